// The paper account's append-only ledger: JSONL at <dataDir>/trading/paper/ledger.jsonl, one event a
// line, each with a sequence number (1, 2, 3, ... with no gap) and the time it was written.
//
// What it guarantees:
// - An update appends its events as one write() of whole lines on an O_APPEND handle and returns
//   only after fsync, so an acknowledged event survives a crash or power loss.
// - Updates serialise: within a process through a promise queue per file, across processes through
//   a lock file (ledger.jsonl.lock, created O_EXCL; the lock section below says when a lock counts
//   as left by a dead writer and is taken over). An update reads, decides and appends under both,
//   so two writers never decide on the same state.
// - A writer killed mid-write leaves at most a torn last line (no newline). Readers ignore it; the
//   next writer, holding the lock, cuts it off before it appends, so no later line is glued to it.
//   A batch torn this way keeps a prefix of its events: each event is complete on its own.
// - A complete line that does not parse or breaks the sequence (damage from outside) fails closed:
//   the read stops there and reports the line and what is wrong (`damage`), and every update refuses
//   to append until a person repairs the file. Skipping it would erase the history after it and
//   number new events (and order ids, which are `order-<seq>`) on from an earlier event, reusing
//   them. With no complete line ever skipped, the sequence, and so every order id, is never reused
//   within one ledger file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ToolError } from '../../errors.js';
import { paperEventSchema, type PaperEvent } from './paper-events.js';

/** The ledger grows with every order; past this it refuses appends rather than slow every replay. */
export const maxLedgerBytes = 64 * 1024 * 1024;

export function paperLedgerFile(dataDir: string): string {
  return path.join(dataDir, 'trading', 'paper', 'ledger.jsonl');
}

/** The first complete line that is not the next valid event: reading stopped before it. */
export interface LedgerDamage {
  /** 1-based line number in the file. */
  line: number;
  problem: string;
}

export interface LedgerRead {
  /** The valid events before any damage, in order. */
  events: readonly PaperEvent[];
  damage?: LedgerDamage;
  /** Bytes after the last newline: a torn last line, or a write in progress in another process. */
  tornBytes: number;
}

interface Cached {
  ino: number;
  /** Bytes read up to the end of the last good line; a damaged line is read again on every read. */
  offset: number;
  /** Complete lines read so far (events and blank lines). */
  lines: number;
  events: PaperEvent[];
}

// Per file, shared by every ledger object in this process: the write queue and what was read so far.
const queues = new Map<string, Promise<unknown>>();
const caches = new Map<string, Cached>();
const reads = new Map<string, Promise<unknown>>();

export class PaperLedger {
  constructor(readonly file: string) {}

  /** Every valid event so far; reads only what was appended since the last read. */
  read(signal?: AbortSignal): Promise<LedgerRead> {
    // Reads share the file's cache, so they take turns: two at once would parse the same lines twice.
    const previous = reads.get(this.file) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.readNew(signal));
    const tail = run.catch(() => undefined);
    reads.set(this.file, tail);
    void tail.then(() => {
      if (reads.get(this.file) === tail) reads.delete(this.file);
    });
    return run;
  }

  private async readNew(signal?: AbortSignal): Promise<LedgerRead> {
    const info = await stat(this.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) {
      caches.delete(this.file);
      return { events: [], tornBytes: 0 };
    }
    let cached = caches.get(this.file);
    if (!cached || cached.ino !== info.ino || info.size < cached.offset) {
      cached = { ino: info.ino, offset: 0, lines: 0, events: [] };
      caches.set(this.file, cached);
    }
    const size = info.size;
    let damage: LedgerDamage | undefined;
    if (size > cached.offset) {
      const handle = await open(this.file, 'r');
      try {
        const buffer = Buffer.alloc(size - cached.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, cached.offset);
        const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
        damage = await parseLines(buffer.subarray(0, end), cached, signal);
      } finally {
        await handle.close();
      }
    }
    // A copy: the cache grows with later reads, and a caller's view of the ledger must not.
    const events = cached.events.slice();
    if (damage) return { events, damage, tornBytes: 0 };
    return { events, tornBytes: size - cached.offset };
  }

  /**
   * Reads the ledger, lets `decide` choose events from it, and appends them, all under the lock.
   * `decide` stamps its events itself, numbering on from the last event it was shown.
   */
  async update<R>(
    decide: (read: LedgerRead) => Promise<{ append: PaperEvent[]; result: R }>,
    signal?: AbortSignal,
  ): Promise<R> {
    const previous = queues.get(this.file) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.locked(decide, signal));
    const tail = run.catch(() => undefined);
    queues.set(this.file, tail);
    void tail.then(() => {
      if (queues.get(this.file) === tail) queues.delete(this.file);
    });
    return run;
  }

  private async locked<R>(
    decide: (read: LedgerRead) => Promise<{ append: PaperEvent[]; result: R }>,
    signal?: AbortSignal,
  ): Promise<R> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const release = await acquireLock(`${this.file}.lock`, signal);
    try {
      let read = await this.read(signal);
      if (read.damage) throw ledgerDamaged(this.file, read);
      if (read.tornBytes > 0) {
        // We hold the lock, so no writer is mid-line: these bytes are a dead writer's torn line.
        await cutTornTail(this.file);
        read = await this.read(signal);
      }
      const { append, result } = await decide(read);
      if (append.length > 0) await this.write(read, append);
      return result;
    } finally {
      await release();
    }
  }

  private async write(read: LedgerRead, events: PaperEvent[]): Promise<void> {
    let seq = read.events.at(-1)?.seq ?? 0;
    for (const event of events) {
      seq += 1;
      if (event.seq !== seq)
        throw new ToolError('TOOL_FAILED', `paper ledger: event numbered ${event.seq}, expected ${seq}`);
    }
    const text = events.map((event) => JSON.stringify(event) + '\n').join('');
    const bytes = Buffer.from(text, 'utf8');
    const current = caches.get(this.file)?.offset ?? 0;
    if (current + bytes.length > maxLedgerBytes)
      throw new InputError(
        '',
        `the paper ledger ${this.file} has reached its budget of ${maxLedgerBytes / 1024 / 1024} MiB; move it away to start a new paper account`,
      );
    const created = current === 0;
    const handle = await open(this.file, 'a');
    try {
      await handle.write(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (created) await syncDirectory(path.dirname(this.file));
  }
}

/**
 * The error every update (and every account read) gives on a damaged ledger: where, what, and how to
 * recover by hand. One line, since it reaches the agent and the operator as it is.
 */
export function ledgerDamaged(file: string, read: LedgerRead): ToolError {
  const { line, problem } = read.damage!;
  const expected = (read.events.at(-1)?.seq ?? 0) + 1;
  return new ToolError(
    'TOOL_FAILED',
    `the paper ledger ${file} is damaged at line ${line} (${problem}); nothing was written, and the ${read.events.length} events before that line are intact. ` +
      `To recover, repair line ${line} by hand so that it is a valid event numbered ${expected}, ` +
      `or move the file aside (e.g. mv ${file} ${file}.damaged) to open a new paper account`,
  );
}

/** Parses complete lines into `cached` up to the first damaged one, which it returns. */
async function parseLines(bytes: Buffer, cached: Cached, signal?: AbortSignal): Promise<LedgerDamage | undefined> {
  let start = 0;
  let count = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    // A long replay yields now and then, so one big ledger does not stall the service.
    if (++count % 5_000 === 0) {
      signal?.throwIfAborted();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const line = bytes.subarray(start, end).toString('utf8');
    if (line.length > 0) {
      const expected = (cached.events.at(-1)?.seq ?? 0) + 1;
      const problem = lineProblem(line, expected);
      if (typeof problem === 'string') return { line: cached.lines + 1, problem };
      cached.events.push(problem);
    }
    cached.lines += 1;
    cached.offset += end + 1 - start;
    start = end + 1;
  }
  return undefined;
}

/** The event on `line`, or what is wrong with it. */
function lineProblem(line: string, expected: number): PaperEvent | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return `not JSON: ${JSON.stringify(line.slice(0, 60))}`;
  }
  const checked = paperEventSchema.safeParse(json);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    return `not a paper event: ${issue.path.join('.') || 'the line'}: ${issue.message}`;
  }
  if (checked.data.seq !== expected) return `event numbered ${checked.data.seq}, expected ${expected}`;
  return checked.data;
}

async function cutTornTail(file: string): Promise<void> {
  const cached = caches.get(file);
  if (!cached) return;
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(cached.offset);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is synced.
  } finally {
    await handle.close();
  }
}

// --- The lock ---------------------------------------------------------------------------------
// The cross-process lock: a file created O_EXCL that holds "<pid> <start> <token>":
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
