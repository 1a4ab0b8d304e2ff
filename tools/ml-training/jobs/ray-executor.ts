// The `ray` executor: Caelum's job lifecycle over the Ray Jobs REST API on a head node (:8265).
// submit → POST /api/jobs/, status → GET /api/jobs/{id}, logs → GET /api/jobs/{id}/logs, stop →
// POST /api/jobs/{id}/stop, list → GET /api/jobs/, delete → DELETE /api/jobs/{id}. Plain fetch with
// a time limit per request; GETs are tried again on 502/503/504 (a proxy or a dashboard restarting
// in front of the head node); a submit or a stop is sent once. The token goes in the Authorization
// header only; errors name the address, never the token.
import { InputError, ToolError } from '../../errors.js';
import type { Executor, JobRecord, JobSpec, LogChunk } from './executor.js';
import { isTerminal, jobDetailsSchema, lastLine, logChunk, submitBody, toRecord, type JobDetails } from './ray-wire.js';

export interface RaySettings {
  /** The head node's dashboard, e.g. http://ray-head:8265 (a bare host:port gets http://). */
  address: string;
  timeoutMs: number;
  token?: string | undefined;
}

export interface RayExecutorOptions {
  fetch?: typeof fetch;
  /**
   * The host's allow-listed child environment (context.environment.childEnvironment): variables
   * of a spec equal to these are the host's, not the job's, and are not sent to the cluster.
   */
  hostEnvironment?: Record<string, string>;
  /** How long stop() waits for Ray to report the job ended (Ray waits 3 s, then SIGKILLs). */
  stopWaitMs?: number;
  pollMs?: number;
  /** Further attempts of a GET after a 502, 503 or 504. */
  retries?: number;
  /** Largest answer read, in bytes (default 64 MiB): Ray answers a whole log at once. */
  maxAnswerBytes?: number;
  /** Log lines kept with a FAILED job's record, as evidence. */
  evidenceLines?: number;
}

/** The head node did not answer, or answered with its own failure: the cluster's fault, not the caller's. */
export class RayClusterError extends ToolError {
  constructor(
    readonly address: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('UNAVAILABLE', message, options);
  }
}

interface Answer {
  status: number;
  body: string;
}

export class RayExecutor implements Executor {
  readonly backend = 'ray' as const;
  /** The address without credentials or a trailing slash; what messages name. */
  readonly address: string;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly settings: RaySettings,
    private readonly options: RayExecutorOptions = {},
  ) {
    const given = /^[a-z][a-z0-9+.-]*:\/\//i.test(settings.address) ? settings.address : `http://${settings.address}`;
    let url: URL;
    try {
      url = new URL(given);
    } catch (error) {
      const shown = settings.address.replace(/\/\/[^/@]*@/, '//…@');
      throw new ToolError(
        'NOT_CONFIGURED',
        `mlTraining.ray.address "${shown}" is not a URL; set it to the head node's dashboard, e.g. http://ray-head:8265`,
        { cause: error },
      );
    }
    url.username = '';
    url.password = '';
    this.address = url.toString().replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
  }

  async submit(spec: JobSpec): Promise<JobRecord> {
    if (spec.command.length === 0)
      throw new InputError('command', 'is empty; give the program and its arguments, e.g. ["python", "train.py"]');
    let answer: Answer;
    try {
      answer = await this.call('POST', '/api/jobs/', submitBody(spec, this.options.hostEnvironment));
    } catch (error) {
      // A timeout after the request was sent: Ray may have accepted the job all the same.
      const cause = (error as { cause?: { name?: string } }).cause;
      if (error instanceof RayClusterError && (cause?.name === 'TimeoutError' || cause?.name === 'AbortError'))
        throw new RayClusterError(this.address, `${error.message}. ${this.maybeAccepted(spec.jobId)}`, undefined, {
          cause: error,
        });
      throw error;
    }
    if (answer.status === 502 || answer.status === 504)
      throw new RayClusterError(
        this.address,
        `a proxy in front of Ray at ${this.address} answered the submit of ${spec.jobId} with HTTP ${answer.status}. ${this.maybeAccepted(spec.jobId)}`,
        answer.status,
      );
    if (answer.status === 400) {
      const reason = lastLine(answer.body);
      if (/already exists/i.test(reason))
        throw new InputError(
          'jobId',
          `the Ray cluster at ${this.address} already has a job "${spec.jobId}"; submit under a new job id`,
        );
      throw new InputError(fieldOf(reason), `the Ray cluster at ${this.address} refused the job (HTTP 400: ${reason})`);
    }
    this.expectOk(answer, `submit of ${spec.jobId}`);
    const record = await this.status(spec.jobId);
    if (record) return record;
    throw new RayClusterError(this.address, `Ray at ${this.address} accepted job ${spec.jobId} but does not know it`);
  }

  async status(jobId: string): Promise<JobRecord | undefined> {
    const details = await this.details(jobId);
    if (!details) return undefined;
    const record = toRecord(details);
    if (details.status === 'FAILED') record.lastLogLines = await this.evidence(jobId);
    return record;
  }

  async logs(jobId: string, options: { tailLines?: number; offset?: number }): Promise<LogChunk> {
    // Status first: when it already says ended, the logs fetched next are complete.
    const details = await this.details(jobId);
    if (!details) throw this.unknown(jobId);
    const answer = await this.call('GET', `/api/jobs/${encodeURIComponent(jobId)}/logs`);
    if (answer.status === 404) throw this.unknown(jobId);
    this.expectOk(answer, `logs of ${jobId}`);
    const { logs } = this.json(
      answer,
      (value): value is { logs: string } => typeof (value as { logs?: unknown })?.logs === 'string',
    );
    return logChunk(logs, options, isTerminal(details));
  }

  async stop(jobId: string): Promise<JobRecord> {
    const answer = await this.call('POST', `/api/jobs/${encodeURIComponent(jobId)}/stop`);
    if (answer.status === 404) throw this.unknown(jobId);
    this.expectOk(answer, `stop of ${jobId}`);
    const { stopped } = this.json(
      answer,
      (value): value is { stopped: boolean } => typeof (value as { stopped?: unknown })?.stopped === 'boolean',
    );
    if (!stopped) {
      // Ray answers stopped: false when no supervisor is left to stop: the job has ended.
      const record = await this.status(jobId);
      const ended = record?.endedAt ? ` at ${record.endedAt}` : '';
      throw new InputError(
        'jobId',
        `job ${jobId} already ended (${record?.state ?? 'unknown'}${ended}); there is nothing to stop`,
      );
    }
    return this.awaitEnd(jobId);
  }

  async list(): Promise<JobRecord[]> {
    const answer = await this.call('GET', '/api/jobs/');
    this.expectOk(answer, 'list');
    const value = this.json(answer, (v): v is unknown => v !== null && typeof v === 'object');
    // Ray answers a list of JobDetails; releases before 2.0 answered a map keyed by id.
    const entries = Array.isArray(value)
      ? value
      : Object.entries(value as Record<string, object>).map(([id, info]) => ({ submission_id: id, ...info }));
    const records: JobRecord[] = [];
    for (const entry of entries) {
      const details = jobDetailsSchema.safeParse(entry);
      // DRIVER jobs (a script that called ray.init itself) cannot be stopped or read through this API.
      if (!details.success || (details.data.type && details.data.type !== 'SUBMISSION')) continue;
      if (!details.data.submission_id) continue;
      records.push(toRecord(details.data));
    }
    return records;
  }

  /** DELETE /api/jobs/{id}: forget an ended job on the cluster (its record and logs). */
  async delete(jobId: string): Promise<boolean> {
    const details = await this.details(jobId);
    if (!details) throw this.unknown(jobId);
    if (!isTerminal(details))
      throw new InputError('jobId', `job ${jobId} is ${details.status}; stop it before deleting it`);
    const answer = await this.call('DELETE', `/api/jobs/${encodeURIComponent(jobId)}`);
    if (answer.status === 404) throw this.unknown(jobId);
    this.expectOk(answer, `delete of ${jobId}`);
    return this.json(
      answer,
      (v): v is { deleted: boolean } => typeof (v as { deleted?: unknown })?.deleted === 'boolean',
    ).deleted;
  }

  private async details(jobId: string): Promise<JobDetails | undefined> {
    const answer = await this.call('GET', `/api/jobs/${encodeURIComponent(jobId)}`);
    if (answer.status === 404) return undefined;
    this.expectOk(answer, `status of ${jobId}`);
    let value: unknown;
    try {
      value = JSON.parse(answer.body);
    } catch (error) {
      throw new RayClusterError(
        this.address,
        `Ray at ${this.address} answered status of ${jobId} with a body that is not JSON`,
        answer.status,
        { cause: error },
      );
    }
    const details = jobDetailsSchema.safeParse(value);
    if (!details.success) {
      const issue = details.error.issues[0]!;
      throw new RayClusterError(
        this.address,
        `Ray at ${this.address} answered a malformed job: ${issue.path.join('.')}: ${issue.message}`,
      );
    }
    return details.data;
  }

  /** The last log lines of a FAILED job; best effort: the state is the answer, the lines are extra. */
  private async evidence(jobId: string): Promise<string[] | undefined> {
    let logs: unknown;
    try {
      const answer = await this.call('GET', `/api/jobs/${encodeURIComponent(jobId)}/logs`);
      if (answer.status !== 200) return undefined;
      logs = (JSON.parse(answer.body) as { logs?: unknown }).logs;
    } catch {
      return undefined; // Too large, or gone between the two requests.
    }
    if (typeof logs !== 'string') return undefined;
    const chunk = logChunk(logs, { tailLines: this.options.evidenceLines ?? 20 }, true);
    return chunk.text === '' ? [] : chunk.text.replace(/\n$/, '').split('\n');
  }

  /** Ray stops a job asynchronously: the stop answer comes before the driver is gone. */
  private async awaitEnd(jobId: string): Promise<JobRecord> {
    const deadline = Date.now() + (this.options.stopWaitMs ?? 10_000);
    for (;;) {
      const record = await this.status(jobId);
      if (!record) throw this.unknown(jobId);
      if (record.endedAt !== undefined) return record;
      if (Date.now() >= deadline) {
        const waited = this.options.stopWaitMs ?? 10_000;
        return {
          ...record,
          message: `stop requested; Ray has not reported the end after ${waited} ms (${record.state})`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 100));
    }
  }

  private unknown(jobId: string): InputError {
    return new InputError(
      'jobId',
      `the Ray cluster at ${this.address} has no job "${jobId}"; list the jobs to see their ids`,
    );
  }

  private expectOk(answer: Answer, what: string): void {
    if (answer.status >= 200 && answer.status < 300) return;
    const reason = lastLine(answer.body);
    // Ray's 400s after submit are about the id: "Can only stop submission type jobs" for a driver's id.
    if (answer.status === 400)
      throw new InputError('jobId', `Ray at ${this.address} refused the ${what} (HTTP 400: ${reason})`);
    if (answer.status === 401 || answer.status === 403)
      throw new ToolError(
        'NOT_CONFIGURED',
        `Ray at ${this.address} refused the ${what} (HTTP ${answer.status}); set mlTraining.ray.token to a token the cluster accepts`,
      );
    throw new RayClusterError(
      this.address,
      `Ray at ${this.address} failed the ${what} (HTTP ${answer.status}${reason ? `: ${reason}` : ''})`,
      answer.status,
    );
  }

  /** What to do after a submit whose answer was lost: look before submitting again. */
  private maybeAccepted(jobId: string): string {
    return `Ray may have accepted submission ${jobId} before the answer was lost: check its status (ml_training_get_job {"jobId": "${jobId}"}, or \`ray job status ${jobId}\`) before submitting again, or the job may run twice`;
  }

  private json<T>(answer: Answer, check: (value: unknown) => value is T): T {
    let value: unknown;
    try {
      value = JSON.parse(answer.body);
    } catch {
      value = undefined;
    }
    if (!check(value))
      throw new RayClusterError(
        this.address,
        `Ray at ${this.address} answered with an unexpected body (${answer.body.slice(0, 80)})`,
        answer.status,
      );
    return value;
  }

  private async call(method: string, path: string, body?: unknown): Promise<Answer> {
    const attempts = method === 'GET' ? (this.options.retries ?? 2) + 1 : 1;
    let answer: Answer | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** (attempt - 1)));
      answer = await this.send(method, path, body);
      if (![502, 503, 504].includes(answer.status)) return answer;
    }
    return answer!;
  }

  private async send(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.settings.token) headers.authorization = `Bearer ${this.settings.token}`;
    const url = `${this.address}${path}`;
    try {
      const response = await this.fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        redirect: 'error',
      });
      return { status: response.status, body: await this.read(response, `${method} ${path}`) };
    } catch (error) {
      if (error instanceof RayClusterError) throw error;
      throw this.unreachable(method, path, error);
    }
  }

  /** The body, up to maxAnswerBytes: Ray's logs endpoint answers a job's whole log at once. */
  private async read(response: Response, what: string): Promise<string> {
    const limit = this.options.maxAnswerBytes ?? 64 * 1024 * 1024;
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > limit) {
        await response.body.cancel().catch(() => undefined);
        throw new RayClusterError(
          this.address,
          `Ray at ${this.address} answered ${what} with more than ${limit} bytes (the answer budget); read the job's logs on the cluster instead`,
          response.status,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private unreachable(method: string, path: string, error: unknown): RayClusterError {
    const name = (error as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return new RayClusterError(
        this.address,
        `Ray head node at ${this.address} did not answer ${method} ${path} within ${this.settings.timeoutMs} ms (mlTraining.ray.timeoutMs); the cluster may be down or overloaded`,
        undefined,
        { cause: error },
      );
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    const code = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
    return new RayClusterError(
      this.address,
      `cannot reach the Ray head node at ${this.address} (${code}); the cluster may be down, or mlTraining.ray.address may be wrong`,
      undefined,
      { cause: error },
    );
  }
}

/** The spec field a Ray 400 is about, from the Python error's text. */
function fieldOf(reason: string): string {
  if (/runtime_env/.test(reason)) return 'runtimeEnv';
  if (/metadata/.test(reason)) return 'metadata';
  if (/entrypoint_/.test(reason)) return 'resources';
  if (/entrypoint/.test(reason)) return 'command';
  if (/submission_id|job_id/.test(reason)) return 'jobId';
  return '';
}
