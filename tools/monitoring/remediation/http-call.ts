// One bounded HTTP request for remediation steps and service health checks: a deadline that covers
// the body too, the caller's AbortSignal, no redirects followed (a 3xx must not carry a restart call
// to another host), and a cap on the bytes read from the answer. Errors name the URL redacted.
import { redactUrl } from '../../redact.js';

/** Most bytes read from any answer; a health body is searched only within them. */
export const httpBodyCap = 64 * 1024;

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  timeoutMs: number;
}

export interface HttpOutcome {
  /** The HTTP status, or null when no answer came (refused, timed out, cancelled). */
  status: number | null;
  /** At most httpBodyCap bytes of the answer, decoded as UTF-8. */
  body: string;
  truncated: boolean;
  durationMs: number;
  /** Why no answer came; absent when one did. */
  error?: string;
  cancelled: boolean;
}

export interface HttpDependencies {
  fetch: typeof fetch;
  now: () => number;
  signal?: AbortSignal | undefined;
}

export async function httpCall(request: HttpRequest, deps: HttpDependencies): Promise<HttpOutcome> {
  const started = deps.now();
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = deps.signal ? AbortSignal.any([deps.signal, deadline]) : deadline;
  const elapsed = () => Math.max(0, deps.now() - started);
  try {
    const { url, headers } = withoutUserInfo(request.url, request.headers ?? {});
    const response = await deps.fetch(url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: 'manual',
      signal,
    });
    const { text, truncated } = await readCapped(response);
    return { status: response.status, body: text, truncated, durationMs: elapsed(), cancelled: false };
  } catch (error) {
    const cancelled = deps.signal?.aborted === true;
    const reason = cancelled
      ? 'cancelled'
      : deadline.aborted
        ? `no answer within ${request.timeoutMs} ms (timeoutMs)`
        : describe(error);
    return {
      status: null,
      body: '',
      truncated: false,
      durationMs: elapsed(),
      error: `${request.method} ${redactUrl(request.url)}: ${reason}`,
      cancelled,
    };
  }
}

/** fetch refuses URLs with user:password@; they become a Basic Authorization header instead. */
function withoutUserInfo(
  raw: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  const url = new URL(raw);
  if (!url.username && !url.password) return { url: raw, headers };
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  return { url: url.toString(), headers: hasAuthorization ? headers : { ...headers, authorization } };
}

async function readCapped(response: Response): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
    const room = httpBodyCap - bytes;
    if (value.length > room) {
      chunks.push(value.subarray(0, room));
      await reader.cancel().catch(() => undefined);
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(value);
    bytes += value.length;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? error.message;
}
