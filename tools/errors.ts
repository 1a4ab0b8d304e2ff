// The three error channels of STYLE.md, as types the router can tell apart.
// InputError: the caller can fix it (becomes isError with a field-naming message).
// ToolError: our own fault, with a stable code; the client gets a short safe message.

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    /** Dotted path of the offending field, e.g. `arguments.path`; empty for the whole input. */
    readonly field: string,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** INCOMPLETE: the work ran, but what it depends on outside Caelum (data sources) fell short; the message says what. */
export type ToolErrorCode =
  'TOOL_FAILED' | 'OUTPUT_INVALID' | 'CANCELLED' | 'TIMEOUT' | 'NOT_CONFIGURED' | 'UNAVAILABLE' | 'INCOMPLETE';

export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}
