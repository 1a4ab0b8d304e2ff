// The logger a tool call gets: everything goes to stderr as usual, and what reaches the session's
// logging level (logging/setLevel; warning until the client sets one) is also sent to the client
// as an MCP log message, scrubbed of secrets and without stack traces.
import { LoggingLevelSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../tools/context.js';
import { redactText } from '../tools/redact.js';

export const defaultClientLevel: LoggingLevel = 'warning';

const severity = new Map(LoggingLevelSchema.options.map((level, index) => [level, index]));

/** Whether a message at `level` reaches a client that asked for `threshold` and above. */
export function reaches(level: LoggingLevel, threshold: LoggingLevel): boolean {
  return severity.get(level)! >= severity.get(threshold)!;
}

export function clientForwardingLogger(
  base: Logger,
  threshold: () => LoggingLevel,
  forward: (level: LoggingLevel, data: unknown) => unknown,
  bound: Record<string, unknown> = {},
): Logger {
  const send = (level: LoggingLevel, event: string, fields: Record<string, unknown> | undefined) => {
    if (!reaches(level, threshold())) return;
    const { error, ...rest } = fields ?? {};
    const message = error && typeof error === 'object' ? (error as { message?: unknown }).message : error;
    const data = { event, ...bound, ...rest, ...(message !== undefined ? { message } : {}) };
    forward(level, JSON.parse(redactText(JSON.stringify(data))));
  };
  return {
    debug(event, fields) {
      base.debug(event, fields);
      send('debug', event, fields);
    },
    info(event, fields) {
      base.info(event, fields);
      send('info', event, fields);
    },
    warn(event, fields) {
      base.warn(event, fields);
      send('warning', event, fields);
    },
    error(event, fields) {
      base.error(event, fields);
      send('error', event, fields);
    },
    child: (fields) => clientForwardingLogger(base.child(fields), threshold, forward, { ...bound, ...fields }),
  };
}
