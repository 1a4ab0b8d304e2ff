// A small client for MLflow's tracking REST API (/api/2.0/mlflow/...): JSON in and out, a Bearer token
// when configured, a per-request timeout joined to the caller's signal. Errors carry MLflow's
// error_code (RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE, RESOURCE_ALREADY_EXISTS) and never the token.
import type { MlTrainingSettings } from '../../context.js';
import { redactText, redactUrl } from '../../redact.js';

export type MlflowSettings = NonNullable<MlTrainingSettings['mlflow']>;

/** MLflow's log-batch request limits. */
export const logBatchLimits = { metrics: 1000, params: 100, tags: 100, total: 1000, paramValue: 6000, tagValue: 5000 };

export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  constructor(
    message: string,
    /** HTTP status, 0 when the server could not be reached. */
    readonly status: number,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export interface MlflowTag {
  key: string;
  value: string;
}
export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export class MlflowClient {
  /** Requests sent, for the result's account. */
  requests = 0;

  constructor(
    private readonly settings: MlflowSettings,
    private readonly signal?: AbortSignal,
  ) {
    this.shownUri = redactUrl(settings.trackingUri);
  }

  /** The tracking URI as it may be shown and stored: credentials in it replaced by ***. */
  readonly shownUri: string;

  private redact(text: string): string {
    const token = this.settings.token;
    return redactText(token ? text.split(token).join('***') : text);
  }

  async call<T>(method: 'GET' | 'POST' | 'DELETE', endpoint: string, body?: Record<string, unknown>): Promise<T> {
    const url = new URL(`api/2.0/mlflow/${endpoint}`, this.settings.trackingUri.replace(/\/?$/, '/'));
    // GET carries its fields in the query; POST and DELETE in a JSON body, as MLflow's own client sends them.
    const json = method !== 'GET';
    if (!json && body) for (const [key, value] of Object.entries(body)) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (json) headers['content-type'] = 'application/json';
    // fetch refuses a URL with credentials in it: user:password@ becomes HTTP Basic auth (MLflow's basic-auth app).
    if (url.username || url.password) {
      const basic = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      url.username = '';
      url.password = '';
      if (!this.settings.token) headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    }
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    const timeout = AbortSignal.timeout(this.settings.timeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    this.requests += 1;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        signal,
        ...(json ? { body: JSON.stringify(body ?? {}) } : {}),
      });
    } catch (error) {
      if (this.signal?.aborted) throw error;
      const reason = timeout.aborted
        ? `no answer within ${this.settings.timeoutMs} ms`
        : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      throw new MlflowError(
        this.redact(`MLflow at ${this.shownUri} is unreachable (${method} ${endpoint}: ${reason})`),
        0,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const payload = (parsed ?? {}) as { error_code?: string; message?: string };
      const detail = payload.message ? `: ${payload.message.slice(0, 300)}` : '';
      throw new MlflowError(
        this.redact(
          `MLflow ${method} ${endpoint} answered ${response.status}${payload.error_code ? ` ${payload.error_code}` : ''}${detail}`,
        ),
        response.status,
        payload.error_code,
      );
    }
    if (parsed === undefined)
      throw new MlflowError(
        `MLflow ${method} ${endpoint} answered ${response.status} with a body that is not JSON`,
        502,
      );
    return parsed as T;
  }

  /** The experiment's id, created when missing (a concurrent create is tolerated). */
  async experimentId(name: string): Promise<string> {
    const found = await this.getExperimentByName(name);
    if (found) return found;
    try {
      const created = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
      return created.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again;
      }
      throw error;
    }
  }

  private async getExperimentByName(name: string): Promise<string | undefined> {
    try {
      const answer = await this.call<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      return answer.experiment.experiment_id;
    } catch (error) {
      if (error instanceof MlflowError && (error.errorCode === 'RESOURCE_DOES_NOT_EXIST' || error.status === 404))
        return undefined;
      throw error;
    }
  }

  async createRun(request: {
    experimentId: string;
    runName: string;
    startTime: number;
    tags: MlflowTag[];
  }): Promise<string> {
    const answer = await this.call<{ run: { info: { run_id: string } } }>('POST', 'runs/create', {
      experiment_id: request.experimentId,
      run_name: request.runName,
      start_time: request.startTime,
      tags: request.tags,
    });
    return answer.run.info.run_id;
  }

  /** One log-batch request; the caller keeps it within logBatchLimits. */
  async logBatch(runId: string, batch: { metrics?: MlflowMetric[]; params?: MlflowTag[]; tags?: MlflowTag[] }) {
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async updateRun(runId: string, status: string, endTime?: number): Promise<void> {
    await this.call('POST', 'runs/update', {
      run_id: runId,
      status,
      ...(endTime === undefined ? {} : { end_time: endTime }),
    });
  }

  /** Creates the registered model; one that already exists is fine. */
  async ensureRegisteredModel(name: string): Promise<void> {
    try {
      await this.call('POST', 'registered-models/create', { name });
    } catch (error) {
      if (error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS') return;
      throw error;
    }
  }

  async createModelVersion(request: { name: string; source: string; runId?: string; tags: MlflowTag[] }) {
    const answer = await this.call<{ model_version: { version: string } }>('POST', 'model-versions/create', {
      name: request.name,
      source: request.source,
      ...(request.runId ? { run_id: request.runId } : {}),
      tags: request.tags,
    });
    return String(answer.model_version.version);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    await this.call('POST', 'registered-models/alias', { name, alias, version });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.call('DELETE', 'registered-models/alias', { name, alias });
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
