// A loopback MLflow tracking server: the REST endpoints under /api/2.0/mlflow that the registry uses,
// with MLflow's request and response shapes and its errors ({error_code, message}:
// RESOURCE_DOES_NOT_EXIST 404, INVALID_PARAMETER_VALUE 400, RESOURCE_ALREADY_EXISTS 400), its
// log-batch limits (1000 metrics, 100 params, 100 tags, 1000 in all; params never change value),
// and its run status set. Every request is recorded for asserts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MlflowRequest {
  method: string;
  /** The endpoint after /api/2.0/mlflow/, e.g. runs/log-batch. */
  endpoint: string;
  query: Record<string, string>;
  body: Record<string, any>;
  authorization?: string | undefined;
}

interface PeerRun {
  info: {
    run_id: string;
    run_uuid: string;
    experiment_id: string;
    run_name: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: 'active';
  };
  data: {
    metrics: { key: string; value: number; timestamp: number; step: number }[];
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
  };
}

interface PeerModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  source: string;
  run_id?: string;
  status: 'READY';
  tags: { key: string; value: string }[];
  aliases: string[];
}

class PeerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const statuses = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export class MlflowPeer {
  readonly requests: MlflowRequest[] = [];
  readonly experiments = new Map<string, { experiment_id: string; name: string }>();
  readonly runs = new Map<string, PeerRun>();
  readonly models = new Map<
    string,
    { name: string; creation_timestamp: number; versions: PeerModelVersion[]; aliases: Map<string, string> }
  >();
  private server: http.Server | undefined;
  private readonly failures: { endpoint: string; skip: number; status: number; code: string; message: string }[] = [];
  private nextId = 1;
  url = '';

  /** `token`: Bearer auth required; `basic`: user:password for HTTP Basic auth required. */
  constructor(readonly options: { token?: string; basic?: string } = {}) {}

  /** A later request to `endpoint` (after `skip` that succeed) fails with this status and error code. */
  failNext(endpoint: string, options: { skip?: number; status?: number; code?: string; message?: string } = {}): void {
    this.failures.push({
      endpoint,
      skip: options.skip ?? 0,
      status: options.status ?? 503,
      code: options.code ?? 'TEMPORARILY_UNAVAILABLE',
      message: options.message ?? 'try again later',
    });
  }

  /** Requests to one endpoint (e.g. runs/log-batch). */
  calls(endpoint: string): MlflowRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const send = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const prefix = '/api/2.0/mlflow/';
        if (!url.pathname.startsWith(prefix))
          return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no endpoint ${url.pathname}` });
        let body: Record<string, any> = {};
        const text = Buffer.concat(chunks).toString('utf8');
        if (text) {
          try {
            body = JSON.parse(text) as Record<string, any>;
          } catch {
            return send(400, { error_code: 'MALFORMED_REQUEST', message: 'request body is not JSON' });
          }
        }
        const request: MlflowRequest = {
          method: req.method ?? 'GET',
          endpoint: url.pathname.slice(prefix.length),
          query: Object.fromEntries(url.searchParams),
          body,
          authorization: req.headers.authorization,
        };
        this.requests.push(request);
        const expected = this.options.token
          ? `Bearer ${this.options.token}`
          : this.options.basic
            ? `Basic ${Buffer.from(this.options.basic).toString('base64')}`
            : undefined;
        if (expected && request.authorization !== expected)
          return send(401, { error_code: 'UNAUTHENTICATED', message: 'credentials required' });
        const failure = this.failures.findIndex((f) => f.endpoint === request.endpoint);
        if (failure >= 0 && this.failures[failure]!.skip > 0) this.failures[failure]!.skip -= 1;
        else if (failure >= 0) {
          const [f] = this.failures.splice(failure, 1);
          return send(f!.status, { error_code: f!.code, message: f!.message });
        }
        try {
          send(200, this.handle(request));
        } catch (error) {
          if (error instanceof PeerError) return send(error.status, { error_code: error.code, message: error.message });
          send(500, { error_code: 'INTERNAL_ERROR', message: String(error) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private handle(r: MlflowRequest): unknown {
    const key = `${r.method} ${r.endpoint}`;
    const args = r.method === 'POST' ? r.body : { ...r.body, ...r.query };
    switch (key) {
      case 'GET experiments/get-by-name': {
        const name = required(args, 'experiment_name');
        const experiment = this.experiments.get(name);
        if (!experiment)
          throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
        return {
          experiment: {
            ...experiment,
            lifecycle_stage: 'active',
            artifact_location: `mlflow-artifacts:/${experiment.experiment_id}`,
          },
        };
      }
      case 'POST experiments/create': {
        const name = required(args, 'name');
        if (this.experiments.has(name))
          throw new PeerError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
        const experiment_id = String(this.nextId++);
        this.experiments.set(name, { experiment_id, name });
        return { experiment_id };
      }
      case 'POST runs/create': {
        const experimentId = required(args, 'experiment_id');
        if (![...this.experiments.values()].some((e) => e.experiment_id === experimentId))
          throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`);
        const run_id = `${(this.nextId++).toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
        const run: PeerRun = {
          info: {
            run_id,
            run_uuid: run_id,
            experiment_id: experimentId,
            run_name: String(args.run_name ?? ''),
            status: 'RUNNING',
            start_time: Number(args.start_time ?? Date.now()),
            artifact_uri: `mlflow-artifacts:/${experimentId}/${run_id}/artifacts`,
            lifecycle_stage: 'active',
          },
          data: { metrics: [], params: [], tags: [...((args.tags as PeerRun['data']['tags']) ?? [])] },
        };
        this.runs.set(run_id, run);
        return { run };
      }
      case 'GET runs/get':
        return { run: this.run(required(args, 'run_id')) };
      case 'POST runs/log-batch': {
        const run = this.run(required(args, 'run_id'));
        const metrics = (args.metrics ?? []) as PeerRun['data']['metrics'];
        const params = (args.params ?? []) as PeerRun['data']['params'];
        const tags = (args.tags ?? []) as PeerRun['data']['tags'];
        if (metrics.length > 1000)
          throw invalid(
            `A batch logging request can contain at most 1000 metrics. Got ${metrics.length} metrics. Please split up metrics across multiple requests and try again.`,
          );
        if (params.length > 100)
          throw invalid(
            `A batch logging request can contain at most 100 params. Got ${params.length} params. Please split up params across multiple requests and try again.`,
          );
        if (tags.length > 100)
          throw invalid(
            `A batch logging request can contain at most 100 tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`,
          );
        const total = metrics.length + params.length + tags.length;
        if (total > 1000)
          throw invalid(
            `A batch logging request can contain at most 1000 metrics, params, and tags in total. Got ${total}.`,
          );
        for (const m of metrics) {
          if (typeof m.key !== 'string' || typeof m.value !== 'number' || !Number.isInteger(m.timestamp))
            throw invalid(`Invalid metric ${JSON.stringify(m)}: key, value and an integer timestamp are required`);
        }
        for (const p of params) {
          if (typeof p.value !== 'string' || p.value.length > 6000)
            throw invalid(`Param value for key '${p.key}' must be a string of at most 6000 characters`);
          const existing = run.data.params.find((q) => q.key === p.key);
          if (existing && existing.value !== p.value)
            throw invalid(
              `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing.value}' for run ID='${run.info.run_id}'. Attempted logging new value '${p.value}'.`,
            );
        }
        for (const p of params) if (!run.data.params.some((q) => q.key === p.key)) run.data.params.push(p);
        run.data.metrics.push(...metrics.map((m) => ({ ...m, step: m.step ?? 0 })));
        for (const t of tags) {
          const existing = run.data.tags.find((q) => q.key === t.key);
          if (existing) existing.value = t.value;
          else run.data.tags.push({ ...t });
        }
        return {};
      }
      case 'POST runs/update': {
        const run = this.run(required(args, 'run_id'));
        if (args.status !== undefined) {
          if (!statuses.has(String(args.status)))
            throw invalid(`Invalid value ${String(args.status)} for parameter 'status'`);
          run.info.status = String(args.status);
        }
        if (args.end_time !== undefined) run.info.end_time = Number(args.end_time);
        if (args.run_name !== undefined) run.info.run_name = String(args.run_name);
        return { run_info: run.info };
      }
      case 'POST registered-models/create': {
        const name = required(args, 'name');
        if (this.models.has(name))
          throw new PeerError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
        const model = { name, creation_timestamp: Date.now(), versions: [], aliases: new Map<string, string>() };
        this.models.set(name, model);
        return { registered_model: { name, creation_timestamp: model.creation_timestamp } };
      }
      case 'GET registered-models/get': {
        const model = this.model(required(args, 'name'));
        return {
          registered_model: {
            name: model.name,
            creation_timestamp: model.creation_timestamp,
            latest_versions: model.versions.slice(-1),
            aliases: [...model.aliases].map(([alias, version]) => ({ alias, version })),
          },
        };
      }
      case 'POST model-versions/create': {
        const model = this.model(required(args, 'name'));
        const source = required(args, 'source');
        if (args.run_id !== undefined && !this.runs.has(String(args.run_id)))
          throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${String(args.run_id)} not found`);
        const now = Date.now();
        const version: PeerModelVersion = {
          name: model.name,
          version: String(model.versions.length + 1),
          creation_timestamp: now,
          last_updated_timestamp: now,
          source,
          ...(args.run_id ? { run_id: String(args.run_id) } : {}),
          status: 'READY',
          tags: (args.tags as PeerModelVersion['tags']) ?? [],
          aliases: [],
        };
        model.versions.push(version);
        return { model_version: version };
      }
      case 'POST registered-models/alias': {
        const model = this.model(required(args, 'name'));
        const alias = required(args, 'alias');
        const version = required(args, 'version');
        if (!model.versions.some((v) => v.version === version))
          throw new PeerError(
            404,
            'RESOURCE_DOES_NOT_EXIST',
            `Model Version (name=${model.name}, version=${version}) not found`,
          );
        model.aliases.set(alias, version);
        return {};
      }
      case 'DELETE registered-models/alias': {
        const model = this.model(required(args, 'name'));
        model.aliases.delete(required(args, 'alias'));
        return {};
      }
      case 'GET registered-models/alias': {
        const model = this.model(required(args, 'name'));
        const alias = required(args, 'alias');
        const version = model.aliases.get(alias);
        if (!version) throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered model alias ${alias} not found.`);
        return { model_version: this.versionWithAliases(model, version) };
      }
      case 'POST registered-models/get-latest-versions': {
        const model = this.model(required(args, 'name'));
        const latest = model.versions.at(-1);
        return { model_versions: latest ? [this.versionWithAliases(model, latest.version)] : [] };
      }
      default:
        throw new PeerError(404, 'ENDPOINT_NOT_FOUND', `no endpoint ${key}`);
    }
  }

  private versionWithAliases(
    model: { versions: PeerModelVersion[]; aliases: Map<string, string> },
    version: string,
  ): PeerModelVersion {
    const found = model.versions.find((v) => v.version === version)!;
    return { ...found, aliases: [...model.aliases].filter(([, v]) => v === version).map(([a]) => a) };
  }

  private run(runId: string): PeerRun {
    const run = this.runs.get(runId);
    if (!run) throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return run;
  }

  private model(name: string) {
    const model = this.models.get(name);
    if (!model) throw new PeerError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
    return model;
  }
}

function required(args: Record<string, unknown>, field: string): string {
  const value = args[field];
  if (value === undefined || value === null || value === '')
    throw invalid(`Missing value for required parameter '${field}'.`);
  return String(value);
}

function invalid(message: string): PeerError {
  return new PeerError(400, 'INVALID_PARAMETER_VALUE', message);
}
