// One HTTP GET to a metrics source (an exposition endpoint or Prometheus's API) with what every such
// call needs: an injected fetch, a timeout joined to the caller's AbortSignal, a byte cap enforced
// while the body streams in (after gzip is undone, so a small compressed body cannot blow up), and
// credentials (user:password@ in the URL, a bearer token) sent but never shown. Failures are
// ToolErrors that name the redacted URL: UNAVAILABLE (unreachable, non-2xx), TIMEOUT, TOOL_FAILED (too large).
import { ToolError } from '../../errors.js';
import { redactText, redactUrl } from '../../redact.js';

export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface HttpSourceOptions {
  fetch?: FetchFunction;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
  bearerToken?: string;
  accept?: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  bytes: number;
  /** The URL as it may be shown: credentials replaced by ***. */
  shownUrl: string;
}

/** The URL without credentials, and an Authorization header built from them or the token. */
export function prepareRequest(rawUrl: string, bearerToken?: string): { url: URL; headers: Record<string, string> } {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new ToolError('TOOL_FAILED', `"${redactUrl(rawUrl)}" is not a URL; give http(s)://host:port/path`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ToolError('TOOL_FAILED', `${redactUrl(rawUrl)} is not http or https`);
  const headers: Record<string, string> = {};
  // fetch refuses credentials in a URL: user:password@ becomes HTTP Basic auth.
  if (url.username || url.password) {
    const basic = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (bearerToken) headers.authorization = `Bearer ${bearerToken}`;
  return { url, headers };
}

function hide(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return redactText(out);
}

/** GET `rawUrl`; the body is read up to `maxBytes`. Non-2xx answers are returned, not thrown, when `keepErrors`. */
export async function httpGet(rawUrl: string, options: HttpSourceOptions, keepErrors = false): Promise<HttpAnswer> {
  const shownUrl = redactUrl(rawUrl);
  const { url, headers } = prepareRequest(rawUrl, options.bearerToken);
  const password = (() => {
    try {
      return decodeURIComponent(new URL(rawUrl).password);
    } catch {
      return undefined;
    }
  })();
  const secrets = [options.bearerToken, password];
  headers['accept-encoding'] = 'gzip';
  if (options.accept) headers.accept = options.accept;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const fetchFunction = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await fetchFunction(url, { method: 'GET', headers, signal, redirect: 'follow' });
  } catch (error) {
    if (options.signal?.aborted) throw new ToolError('CANCELLED', `request to ${shownUrl} was cancelled`);
    if (timeout.aborted) throw new ToolError('TIMEOUT', `${shownUrl} gave no answer within ${options.timeoutMs} ms`);
    const inner = (error as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (error as Error).message;
    throw new ToolError('UNAVAILABLE', hide(`${shownUrl} is unreachable (${cause})`, secrets), { cause: error });
  }
  const contentType = response.headers.get('content-type') ?? '';
  const declared = Number(response.headers.get('content-length') ?? NaN);
  // A compressed length says little about the real size; only an uncompressed one can refuse early.
  if (!response.headers.get('content-encoding') && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(shownUrl, declared, options.maxBytes);
  }
  let body: string;
  let bytes: number;
  try {
    ({ body, bytes } = await readCapped(response, options.maxBytes, shownUrl));
  } catch (error) {
    if (error instanceof ToolError) throw error;
    if (options.signal?.aborted) throw new ToolError('CANCELLED', `request to ${shownUrl} was cancelled`);
    if (timeout.aborted)
      throw new ToolError('TIMEOUT', `${shownUrl} did not finish its answer within ${options.timeoutMs} ms`);
    throw new ToolError('UNAVAILABLE', hide(`${shownUrl} broke off its answer (${(error as Error).message})`, secrets));
  }
  if (!response.ok && !keepErrors)
    throw new ToolError(
      'UNAVAILABLE',
      hide(`${shownUrl} answered ${response.status} ${response.statusText}: ${body.slice(0, 200).trim()}`, secrets),
    );
  return { status: response.status, contentType, body, bytes, shownUrl };
}

function tooLarge(shownUrl: string, bytes: number, maxBytes: number): ToolError {
  return new ToolError(
    'TOOL_FAILED',
    `${shownUrl} answered more than ${maxBytes} bytes${bytes > maxBytes ? ` (${bytes})` : ''}, over the cap (maxBytes); raise maxBytes or read a smaller endpoint`,
  );
}

async function readCapped(response: Response, maxBytes: number, shownUrl: string) {
  if (!response.body) return { body: '', bytes: 0 };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let body = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(shownUrl, bytes, maxBytes);
    }
    body += decoder.decode(value, { stream: true });
  }
  body += decoder.decode();
  return { body, bytes };
}
