// The monitoring supervisor's append-only event logs: JSONL under <dataDir>/monitoring/, one event a
// line (alert fired/resolved, silence, ack, escalation step, notification sent, remediation step).
// The service is the only writer of a data dir, so one promise queue per file serialises appends.
// - An append is one write() of whole lines on an O_APPEND handle, then fsync: an acknowledged event
//   survives kill -9 and power loss.
// - A writer killed mid-write leaves at most a torn last line (no newline). Reading ignores it, and the
//   next append first cuts it off, so no later line is glued to it.
// - A complete line that does not parse is reported (line number) and skipped: these logs hold state
//   that can be rebuilt (alerts are re-fired by their sources), unlike a ledger of money.
import { mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { ToolError } from '../../errors.js';

/** Past this a log refuses appends instead of slowing every replay; the error says which file. */
export const maxLogBytes = 64 * 1024 * 1024;

export interface EventLogRead<E> {
  events: E[];
  /** 1-based numbers of complete lines that did not parse. */
  damagedLines: number[];
  tornBytes: number;
}

const queues = new Map<string, Promise<unknown>>();

export function monitoringLogFile(
  dataDir: string,
  name: 'alerts' | 'escalation' | 'notifications' | 'remediation',
): string {
  return path.join(dataDir, 'monitoring', `${name}.jsonl`);
}

export class EventLog<E extends object> {
  constructor(readonly file: string) {}

  async read(): Promise<EventLogRead<E>> {
    const text = await readFile(this.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const end = text.lastIndexOf('\n') + 1;
    const events: E[] = [];
    const damagedLines: number[] = [];
    const lines = text.slice(0, end).split('\n');
    lines.pop();
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        const parsed = JSON.parse(line) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) events.push(parsed as E);
        else damagedLines.push(index + 1);
      } catch {
        damagedLines.push(index + 1);
      }
    });
    return { events, damagedLines, tornBytes: Buffer.byteLength(text.slice(end)) };
  }

  /** Appends the events as whole lines and returns after fsync. */
  append(...events: E[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const previous = queues.get(this.file) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.write(events));
    const tail = run.catch(() => undefined);
    queues.set(this.file, tail);
    void tail.then(() => {
      if (queues.get(this.file) === tail) queues.delete(this.file);
    });
    return run;
  }

  private async write(events: E[]): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const size = await stat(this.file).then(
      (info) => info.size,
      () => 0,
    );
    if (size > maxLogBytes)
      throw new ToolError(
        'TOOL_FAILED',
        `${path.basename(this.file)} in the data dir is over ${maxLogBytes / 1024 / 1024} MiB; archive it to start a new one`,
      );
    if (size > 0) await this.cutTornTail(size);
    const handle = await open(this.file, 'a', 0o600);
    try {
      await handle.write(events.map((event) => JSON.stringify(event) + '\n').join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async cutTornTail(size: number): Promise<void> {
    const handle = await open(this.file, 'r');
    try {
      const window = Math.min(size, 64 * 1024);
      const buffer = Buffer.alloc(window);
      await handle.read(buffer, 0, window, size - window);
      if (buffer[window - 1] === 0x0a) return;
      const lastNewline = buffer.lastIndexOf(0x0a);
      if (lastNewline < 0 && window < size) return; // a line longer than the window: leave it to read()
      await truncate(this.file, size - window + lastNewline + 1);
    } finally {
      await handle.close();
    }
  }
}
