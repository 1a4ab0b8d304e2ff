// The paper account's append-only ledger: JSONL at <dataDir>/trading/paper/ledger.jsonl, one event a
// line, each with a sequence number (1, 2, 3, ... with no gap) and the time it was written.
//
// What it guarantees:
// - An update appends its events as one write() of whole lines on an O_APPEND handle and returns
//   only after fsync, so an acknowledged event survives a crash or power loss.
// - Updates serialise: within a process through a promise queue per file, across processes through
//   a lock file (ledger.jsonl.lock, created O_EXCL, holding the writer's pid). A lock left by a dead
//   writer (kill -9) is taken over. An update reads, decides and appends under both, so two writers
//   never decide on the same state.
// - A writer killed mid-write leaves at most a torn last line (no newline). Readers ignore it; the
//   next writer, holding the lock, cuts it off before it appends, so no later line is glued to it.
//   A batch torn this way keeps a prefix of its events: each event is complete on its own.
// - A complete line that does not parse or breaks the sequence (damage from outside) is skipped and
//   counted in `skippedLines`, never guessed at.
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ToolError } from '../../errors.js';
import { paperEventSchema, type PaperEvent } from './paper-events.js';

/** The ledger grows with every order; past this it refuses appends rather than slow every replay. */
export const maxLedgerBytes = 64 * 1024 * 1024;
const lockWaitMs = 10_000;
/** A lock file with no readable pid (its writer died between create and write) is stale after this. */
const unreadableLockMs = 5_000;

export function paperLedgerFile(dataDir: string): string {
  return path.join(dataDir, 'trading', 'paper', 'ledger.jsonl');
}

export interface LedgerRead {
  events: readonly PaperEvent[];
  /** Complete lines that were not valid events, skipped. */
  skippedLines: number;
  /** Bytes after the last newline: a torn last line, or a write in progress in another process. */
  tornBytes: number;
}

interface Cached {
  ino: number;
  offset: number;
  events: PaperEvent[];
  skippedLines: number;
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
      return { events: [], skippedLines: 0, tornBytes: 0 };
    }
    let cached = caches.get(this.file);
    if (!cached || cached.ino !== info.ino || info.size < cached.offset) {
      cached = { ino: info.ino, offset: 0, events: [], skippedLines: 0 };
      caches.set(this.file, cached);
    }
    const size = info.size;
    if (size > cached.offset) {
      const handle = await open(this.file, 'r');
      try {
        const buffer = Buffer.alloc(size - cached.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, cached.offset);
        const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
        await parseLines(buffer.subarray(0, end).toString('utf8'), cached, signal);
        cached.offset += end;
      } finally {
        await handle.close();
      }
    }
    // A copy: the cache grows with later reads, and a caller's view of the ledger must not.
    return { events: cached.events.slice(), skippedLines: cached.skippedLines, tornBytes: size - cached.offset };
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

async function parseLines(text: string, cached: Cached, signal?: AbortSignal): Promise<void> {
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    // A long replay yields now and then, so one big ledger does not stall the service.
    if (++count % 5_000 === 0) {
      signal?.throwIfAborted();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const event = parseEvent(line);
    const expected = (cached.events.at(-1)?.seq ?? 0) + 1;
    if (event && event.seq === expected) cached.events.push(event);
    else cached.skippedLines += 1;
  }
}

function parseEvent(line: string): PaperEvent | undefined {
  try {
    const checked = paperEventSchema.safeParse(JSON.parse(line));
    return checked.success ? checked.data : undefined;
  } catch {
    return undefined;
  }
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

async function acquireLock(lock: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(lock, 'wx');
      try {
        await handle.write(String(process.pid));
      } finally {
        await handle.close();
      }
      return () => rm(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await breakStaleLock(lock)) continue;
    if (Date.now() > deadline)
      throw new ToolError(
        'UNAVAILABLE',
        `the paper ledger is locked by another process (${lock}) for over ${lockWaitMs} ms`,
      );
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 15));
  }
}

/**
 * Removes `lock` if its writer is dead. The check and the removal happen under a second lock, so two
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

async function isStale(lock: string): Promise<boolean> {
  const [text, info] = await Promise.all([
    readFile(lock, 'utf8').catch(() => undefined),
    stat(lock).catch(() => undefined),
  ]);
  if (!info) return false;
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > unreadableLockMs;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
