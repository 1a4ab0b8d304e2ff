// One JSON POST to a receiver with a time limit per attempt, bounded retries with exponential
// backoff on 5xx and network failures, and the answer's first 200 characters on a refusal. 429 is
// not retried here: the caller reports it as rate limited with the Retry-After it was given.
import { isAbortError } from '../../../errors.js';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<Response>;

export interface PostOptions {
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
  /** Further attempts after the first on a 5xx or a network failure. */
  retries: number;
  backoffMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type PostOutcome =
  | { ok: true; httpStatus: number; attempts: number }
  | { ok: false; httpStatus?: number; error: string; attempts: number; retryAfterMs?: number; rateLimited?: boolean };

/** Bytes of an answer read at most; receivers answer "ok" or a short JSON error. */
const maxAnswerBytes = 64 * 1024;
/** Characters of a refusal's body quoted in the error. */
export const quotedBodyChars = 200;

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.byteLength;
    if (total >= maxAnswerBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function quote(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > quotedBodyChars ? `${flat.slice(0, quotedBodyChars)}…` : flat;
}

function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : undefined;
}

function networkMessage(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: PostOptions,
): Promise<PostOutcome> {
  const fetchImpl = options.fetch ?? (globalThis.fetch as FetchLike);
  let last: PostOutcome & { ok: false } = { ok: false, error: 'not attempted', attempts: 0 };
  for (let attempt = 1; attempt <= options.retries + 1; attempt++) {
    if (attempt > 1) {
      try {
        await options.sleep(options.backoffMs * 2 ** (attempt - 2), options.signal);
      } catch {
        return { ...last, error: 'cancelled by the caller', attempts: attempt - 1 };
      }
    }
    if (options.signal?.aborted) return { ok: false, error: 'cancelled by the caller', attempts: attempt - 1 };
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        signal,
      });
      if (response.ok) {
        await response.body?.cancel();
        return { ok: true, httpStatus: response.status, attempts: attempt };
      }
      const text = await readCapped(response);
      const answer = `HTTP ${response.status}${text ? `: ${quote(text)}` : ''}`;
      if (response.status === 429) {
        const wait = retryAfter(response);
        return {
          ok: false,
          httpStatus: 429,
          error: `rate limited (${answer})`,
          attempts: attempt,
          rateLimited: true,
          ...(wait === undefined ? {} : { retryAfterMs: wait }),
        };
      }
      if (response.status < 500) return { ok: false, httpStatus: response.status, error: answer, attempts: attempt };
      last = { ok: false, httpStatus: response.status, error: answer, attempts: attempt };
    } catch (error) {
      if (options.signal?.aborted) return { ok: false, error: 'cancelled by the caller', attempts: attempt };
      const message =
        timeout.aborted || isAbortError(error)
          ? `no answer within ${options.timeoutMs} ms`
          : `unreachable (${networkMessage(error)})`;
      last = { ok: false, error: message, attempts: attempt };
    }
  }
  const tries = last.attempts === 1 ? '1 attempt' : `${last.attempts} attempts`;
  return { ...last, error: `${last.error}, after ${tries}` };
}
