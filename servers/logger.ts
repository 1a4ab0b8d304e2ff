// JSON-line logging to stderr (stdout is the MCP wire). Secrets are scrubbed from every line.
import type { LogLevel, Logger } from '../tools/context.js';
import { redactText } from '../tools/redact.js';

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (line: string, entry: Record<string, unknown>) => void;

export function createLogger(options: { level: LogLevel; sink?: LogSink; fields?: Record<string, unknown> }): Logger {
  const sink: LogSink = options.sink ?? ((line) => process.stderr.write(`${line}\n`));
  const write = (level: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (rank[level] < rank[options.level]) return;
    const entry = { time: new Date().toISOString(), level, event, ...options.fields, ...fields };
    let line: string;
    try {
      line = redactText(JSON.stringify(entry));
    } catch {
      line = JSON.stringify({ time: entry.time, level, event, note: 'fields were not serialisable' });
    }
    sink(line, entry);
  };
  return {
    debug: (event, fields) => write('debug', event, fields),
    info: (event, fields) => write('info', event, fields),
    warn: (event, fields) => write('warn', event, fields),
    error: (event, fields) => write('error', event, fields),
    child: (fields) => createLogger({ ...options, sink, fields: { ...options.fields, ...fields } }),
  };
}
