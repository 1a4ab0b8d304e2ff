// The paper ledger's cross-process lock: a file created O_EXCL that holds "<pid> <start> <token>",
// the writer's pid, its start time from /proc/<pid>/stat (clock ticks since boot; "-" where there is
// no /proc) and a random token.
//
// A lock is taken over (stale) when:
// - it holds this process's pid but not a token this process holds now: a previous incarnation with
//   the same pid wrote it (a container restarted as pid 1 after kill -9). Within this process the
//   per-file queue already serialises, so our own pid never means "wait";
// - its pid is dead (ESRCH);
// - its pid is alive but /proc shows a start time other than the one recorded: the pid was reused by
//   another process. Only on Linux (with /proc) and for locks that recorded a start time;
// - it has no readable pid and is older than a few seconds (its writer died between create and write).
// Elsewhere a live pid counts as the holder: a reused pid of another process then blocks until that
// process exits, and the error names the lock file so that a person can remove it.
import { randomBytes } from 'node:crypto';
import { open, readFile, rm, stat } from 'node:fs/promises';
import { ToolError } from '../../errors.js';

const lockWaitMs = 10_000;
/** A lock file with no readable pid (its writer died between create and write) is stale after this. */
const unreadableLockMs = 5_000;

/** Tokens of the locks this process holds now. */
const held = new Set<string>();
let ownStart: Promise<string | undefined> | undefined;

/** Takes `lock`, waiting up to 10 s for another holder; returns its release. */
export async function acquireLock(lock: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  ownStart ??= startTime(process.pid);
  const token = randomBytes(8).toString('hex');
  const content = `${process.pid} ${(await ownStart) ?? '-'} ${token}`;
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(lock, 'wx');
      held.add(token);
      try {
        await handle.write(content);
      } finally {
        await handle.close();
      }
      return async () => {
        held.delete(token);
        await rm(lock, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakStaleLock(lock)) continue;
    if (Date.now() > deadline)
      throw new ToolError(
        'UNAVAILABLE',
        `the paper ledger is locked by another process (${lock}) for over ${lockWaitMs} ms; if no Caelum process is writing it, remove that file`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
  }
}

/**
 * Removes `lock` if its writer is gone. The check and the removal happen under a second lock, so two
 * processes that both find it stale cannot remove a third one's fresh lock between them.
 */
async function breakStaleLock(lock: string): Promise<boolean> {
  const breaker = `${lock}.break`;
  try {
    await (await open(breaker, 'wx')).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A breaker left by a process killed in these few lines is cleared after a while.
    const info = await stat(breaker).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > unreadableLockMs) await rm(breaker, { force: true });
    return false;
  }
  try {
    if (!(await isStale(lock))) return false;
    await rm(lock, { force: true });
    return true;
  } finally {
    await rm(breaker, { force: true });
  }
}

export async function isStale(lock: string): Promise<boolean> {
  const [text, info] = await Promise.all([
    readFile(lock, 'utf8').catch(() => undefined),
    stat(lock).catch(() => undefined),
  ]);
  if (!info) return false;
  const [pidText, start, token] = (text ?? '').trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > unreadableLockMs;
  // Our pid: ours only while we hold it (a lock file from before tokens, holding just a pid, is not).
  if (pid === process.pid) return !(token !== undefined && held.has(token));
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  if (!start || start === '-') return false;
  const now = await startTime(pid);
  return now !== undefined && now !== start;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined without /proc. */
export async function startTime(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces; count fields after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}
