// JSON-line logging to stderr (stdout is the MCP wire). Secrets are scrubbed from every line.
// A class, so that `child()` on the dispatch hot path is one small allocation.
import type { LogLevel, Logger } from '../tools/context.js';
import { redactText } from '../tools/redact.js';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string, entry: Record<string, unknown>) => void;

const stderrSink: LogSink = (line) => void process.stderr.write(`${line}\n`);

class JsonLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly sink: LogSink,
    private readonly fields: Record<string, unknown> | undefined,
  ) {}

  private write(level: LogLevel, event: string, fields?: Record<string, unknown>): void {
    if (rank[level] < this.threshold) return;
    const entry = { time: new Date().toISOString(), level, event, ...this.fields, ...fields };
    let line: string;
    try {
      line = redactText(JSON.stringify(entry));
    } catch {
      line = JSON.stringify({ time: entry.time, level, event, note: 'fields were not serialisable' });
    }
    this.sink(line, entry);
  }

  debug(event: string, fields?: Record<string, unknown>): void {
    this.write('debug', event, fields);
  }
  info(event: string, fields?: Record<string, unknown>): void {
    this.write('info', event, fields);
  }
  warn(event: string, fields?: Record<string, unknown>): void {
    this.write('warn', event, fields);
  }
  error(event: string, fields?: Record<string, unknown>): void {
    this.write('error', event, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.threshold, this.sink, this.fields ? { ...this.fields, ...fields } : fields);
  }
}

export function createLogger(options: { level: LogLevel; sink?: LogSink; fields?: Record<string, unknown> }): Logger {
  return new JsonLogger(rank[options.level], options.sink ?? stderrSink, options.fields);
}
