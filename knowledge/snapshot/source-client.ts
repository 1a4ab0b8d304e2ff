// HTTP for the data providers, through undici: one semaphore per provider (World Bank 3, FRED 8,
// IMF 5, OECD 3, BIS 5, EIA 5), a 15 s timeout per attempt, and retries with exponential backoff and
// full jitter on 429, 5xx, timeouts and dropped connections, waiting at least what `Retry-After`
// asks. Other 4xx answers are returned, not retried: they are the request's fault and the provider's
// parser turns them into a message. Clock, randomness, sleep and dispatcher are injectable.
import { request, type Dispatcher } from 'undici';
import type { Provider } from './catalogue/statistics.js';
import { Semaphore } from './semaphore.js';

export const defaultConcurrency: Readonly<Record<Provider, number>> = {
  world_bank: 3,
  fred: 8,
  imf: 5,
  oecd: 3,
  bis: 5,
  eia: 5,
};

export interface SourceClientOptions {
  concurrency?: Partial<Record<Provider, number>>;
  timeoutMs?: number;
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured; a longer one fails the request instead of stalling the build. */
  maxRetryAfterMs?: number;
  dispatcher?: Dispatcher;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
}

export interface SourceResponse {
  status: number;
  contentType: string;
  body: string;
  attempts: number;
  fetchedAt: string;
}

export class SourceHttpError extends Error {
  override readonly name = 'SourceHttpError';
  constructor(
    message: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ProviderTraffic {
  requests: number;
  retries: number;
  failures: number;
  limit: number;
  maxInFlight: number;
}

const sleepFor = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | string[] | undefined, now: Date): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) return Math.round(Number(text) * 1000);
  const when = Date.parse(text);
  return Number.isNaN(when) ? undefined : Math.max(0, when - now.getTime());
}

export class SourceClient {
  private readonly semaphores: Record<Provider, Semaphore>;
  private readonly counters: Record<Provider, { requests: number; retries: number; failures: number }>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly options: SourceClientOptions = {}) {
    const limits = { ...defaultConcurrency, ...options.concurrency };
    this.semaphores = Object.fromEntries(Object.entries(limits).map(([p, n]) => [p, new Semaphore(n)])) as Record<
      Provider,
      Semaphore
    >;
    this.counters = Object.fromEntries(
      Object.keys(limits).map((p) => [p, { requests: 0, retries: 0, failures: 0 }]),
    ) as SourceClient['counters'];
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? sleepFor;
    this.now = options.now ?? (() => new Date());
  }

  traffic(): Record<Provider, ProviderTraffic> {
    return Object.fromEntries(
      Object.entries(this.semaphores).map(([p, s]) => [
        p,
        { ...this.counters[p as Provider], limit: s.limit, maxInFlight: s.maxInFlight },
      ]),
    ) as Record<Provider, ProviderTraffic>;
  }

  /** GET with the provider's limit and the retry policy. `label` is the URL as it may be logged. */
  async get(
    provider: Provider,
    url: string,
    options: { headers?: Record<string, string>; signal?: AbortSignal; label: string },
  ): Promise<SourceResponse> {
    const counters = this.counters[provider];
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      options.signal?.throwIfAborted();
      let wait: number | undefined;
      const release = await this.semaphores[provider].acquire(options.signal);
      try {
        counters.requests++;
        const attemptSignal = options.signal
          ? AbortSignal.any([options.signal, AbortSignal.timeout(this.timeoutMs)])
          : AbortSignal.timeout(this.timeoutMs);
        const response = await request(url, {
          method: 'GET',
          headers: { 'user-agent': 'caelum-kb/1', ...options.headers },
          signal: attemptSignal,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
        });
        const body = await response.body.text();
        const contentType = String(response.headers['content-type'] ?? '');
        if (response.statusCode === 429 || response.statusCode >= 500) {
          lastError = `HTTP ${response.statusCode}`;
          const asked = retryAfterMs(response.headers['retry-after'], this.now());
          if (asked !== undefined && asked > this.maxRetryAfterMs) {
            counters.failures++;
            throw new SourceHttpError(
              `${options.label}: HTTP ${response.statusCode} with Retry-After ${Math.round(asked / 1000)} s, longer than the ${this.maxRetryAfterMs / 1000} s this build waits`,
              attempt,
            );
          }
          wait = Math.max(asked ?? 0, this.backoff(attempt));
        } else {
          return {
            status: response.statusCode,
            contentType,
            body,
            attempts: attempt,
            fetchedAt: this.now().toISOString(),
          };
        }
      } catch (error) {
        if (error instanceof SourceHttpError) throw error;
        if (options.signal?.aborted) throw options.signal.reason;
        const name = (error as Error).name;
        const code = (error as { code?: string }).code ?? '';
        lastError =
          name === 'TimeoutError' || name === 'AbortError' || /TIMEOUT/.test(code)
            ? `timed out after ${this.timeoutMs} ms`
            : `${code || name}: ${(error as Error).message}`;
        wait = this.backoff(attempt);
      } finally {
        release();
      }
      if (attempt < this.maxAttempts) {
        counters.retries++;
        await this.sleep(wait ?? 0, options.signal);
      }
    }
    counters.failures++;
    throw new SourceHttpError(
      `${options.label}: ${lastError} (gave up after ${this.maxAttempts} attempts)`,
      this.maxAttempts,
    );
  }

  /** Full jitter: a uniform wait up to base × 2^(attempt-1), capped. */
  private backoff(attempt: number): number {
    return Math.round(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
  }
}
