// The remote prediction service: POST {baseUrl}/api/v1/inference/predict/{symbol} through undici,
// with a time limit per attempt, retries with exponential backoff on 5xx, 429 and network errors,
// and a circuit breaker over consecutive failed calls. The API key goes in the Authorization header
// only; messages and status name the endpoint without it.
import type { Dispatcher } from 'undici';
import type { Clock } from '../../context.js';
import { InputError, ToolError, isAbortError } from '../../errors.js';
import { BreakerOpenError, CircuitBreaker } from './circuit-breaker.js';
import { firstProblem, fromRemote, remoteResponseSchema } from './remote-response.js';
import type { BackendStatus, Prediction, PredictionBackend, PredictionRequest } from './prediction.js';

export interface RemoteBackendOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  /** Further attempts after the first on a retryable failure. */
  retries: number;
  clock?: Clock;
  /** Waits between attempts; injected so tests need not sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  backoffMs?: number;
  breaker?: { failures?: number; coolDownMs?: number };
  dispatcher?: Dispatcher;
}

/**
 * A failed attempt: `retryable` ones (5xx, 429, timeouts, network) are tried again; others (a
 * malformed or oversized answer) end the call at once. Either way a call that ends in one counts
 * towards the breaker: an answer the service cannot form is its fault as much as a 503 is.
 */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Bytes of an answer read at most: a prediction is a few hundred. */
const maxAnswerBytes = 256 * 1024;

export class RemoteBackend implements PredictionBackend {
  readonly kind = 'remote' as const;
  readonly endpoint: string;
  private readonly breaker: CircuitBreaker;
  private readonly clock: Clock;
  /** The model the service last said it runs, and since when this backend has seen it. */
  private serving: { name: string; sha256: string; since: string } | undefined;
  private predictions = 0;
  private errors = 0;
  private lastError: { message: string; at: string } | undefined;
  /** Requests sent, attempts included. */
  requests = 0;

  constructor(private readonly options: RemoteBackendOptions) {
    const url = new URL(options.baseUrl);
    url.username = '';
    url.password = '';
    this.endpoint = url.toString().replace(/\/$/, '');
    this.clock = options.clock ?? { now: () => Date.now() };
    this.breaker = new CircuitBreaker({
      failures: options.breaker?.failures ?? 5,
      coolDownMs: options.breaker?.coolDownMs ?? 30_000,
      clock: this.clock,
    });
  }

  async predict(request: PredictionRequest): Promise<Prediction & { identityMissing: string[] }> {
    // `.` and `..` are dot segments: the URL would climb out of /predict/ (encoding does not help, %2E%2E is one too).
    if (request.symbol.includes('..') || request.symbol === '.')
      throw new InputError(
        'symbols',
        `"${request.symbol}" is not a symbol (it holds a dot segment); pass a ticker such as SPX`,
      );
    try {
      const prediction = await this.call(request);
      this.predictions++;
      const { name, sha256 } = prediction.model;
      if (this.serving?.name !== name || this.serving.sha256 !== sha256)
        this.serving = { name, sha256, since: new Date(this.clock.now()).toISOString() };
      return prediction;
    } catch (error) {
      if (!isAbortError(error) && !request.signal?.aborted) {
        this.errors++;
        this.lastError = { message: (error as Error).message, at: new Date(this.clock.now()).toISOString() };
      }
      throw error;
    }
  }

  private async call(request: PredictionRequest): Promise<Prediction & { identityMissing: string[] }> {
    let admission: { probe: boolean };
    try {
      admission = this.breaker.admit();
    } catch (error) {
      if (error instanceof BreakerOpenError)
        throw new ToolError('UNAVAILABLE', `prediction service ${this.endpoint}: ${error.message}`);
      throw error;
    }
    // A half-open probe is one request: the service gets no burst while it recovers.
    const attempts = admission.probe ? 1 : this.options.retries + 1;
    let last: AttemptError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await this.wait((this.options.backoffMs ?? 200) * 2 ** (attempt - 1), request.signal);
      try {
        const prediction = await this.attempt(request);
        this.breaker.success();
        return prediction;
      } catch (error) {
        if (request.signal?.aborted || !(error instanceof AttemptError)) {
          this.breaker.release();
          throw error;
        }
        last = error;
        if (!error.retryable) break;
      }
    }
    this.breaker.failure();
    const tries = last!.retryable ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
    throw new ToolError('UNAVAILABLE', `prediction service ${this.endpoint} failed${tries}: ${last!.message}`);
  }

  private async attempt(request: PredictionRequest): Promise<Prediction & { identityMissing: string[] }> {
    const { request: send } = await import('undici');
    const url = `${this.endpoint}/api/v1/inference/predict/${encodeURIComponent(request.symbol)}`;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const started = performance.now();
    this.requests++;
    let status: number;
    let body: string;
    try {
      const response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({ symbol: request.symbol }),
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        signal,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      status = response.statusCode;
      body = await readCapped(response.body);
    } catch (error) {
      if (request.signal?.aborted || error instanceof AttemptError) throw error;
      if (timeout.aborted || /timeout/i.test((error as Error).name))
        throw new AttemptError(
          `no answer within ${this.options.timeoutMs} ms (trading.predictionService.timeoutMs)`,
          true,
        );
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
      throw new AttemptError(`${code}: ${(error as Error).message}`, true);
    }
    const latencyMs = performance.now() - started;
    this.refuseStatus(status, body, request.symbol);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new AttemptError(`answered HTTP ${status} with a body that is not JSON (${body.slice(0, 80)})`, false);
    }
    const parsed = remoteResponseSchema.safeParse(json);
    if (!parsed.success) throw new AttemptError(`malformed prediction: ${firstProblem(parsed.error)}`, false);
    if (parsed.data.symbol.toUpperCase() !== request.symbol.toUpperCase())
      throw new AttemptError(
        `malformed prediction: symbol: asked for ${request.symbol}, answered ${parsed.data.symbol}`,
        false,
      );
    return fromRemote(parsed.data, latencyMs, new Date(this.clock.now()).toISOString());
  }

  /** Status codes other than 2xx: the caller's faults become input errors, the service's are retried. */
  private refuseStatus(status: number, body: string, symbol: string): void {
    if (status >= 200 && status < 300) return;
    const detail = body.replace(/\s+/g, ' ').slice(0, 200);
    if (status >= 500 || status === 429 || status === 408)
      throw new AttemptError(`HTTP ${status}${detail ? ` (${detail})` : ''}`, true);
    if (status === 404)
      throw new InputError(
        'symbols',
        `the prediction service has no prediction for "${symbol}" (HTTP 404); check the symbol`,
      );
    if (status === 401 || status === 403)
      throw new ToolError(
        'NOT_CONFIGURED',
        `prediction service ${this.endpoint} refused the request (HTTP ${status}); set trading.predictionService.apiKey (CAELUM_PREDICTION_API_KEY)`,
      );
    throw new InputError('symbols', `the prediction service refused "${symbol}" (HTTP ${status}: ${detail})`);
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.options.sleep) return this.options.sleep(ms, signal);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const onAbort = () => (clearTimeout(timer), reject(signal!.reason as Error));
      // The listener goes when the wait ends: a long-lived signal would otherwise gather one per retry.
      const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  status(): BackendStatus {
    return {
      backend: 'remote',
      loaded: this.serving ? [this.serving] : [],
      endpoint: this.endpoint,
      predictions: this.predictions,
      errors: this.errors,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      breaker: this.breaker.state(),
    };
  }

  async close(): Promise<void> {
    // Nothing held: connections belong to undici's dispatcher.
  }
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxAnswerBytes) {
      body.destroy();
      throw new AttemptError(
        `answered more than ${maxAnswerBytes / 1024} KiB; a prediction is a few hundred bytes`,
        false,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
