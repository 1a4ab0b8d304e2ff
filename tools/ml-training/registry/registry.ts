// The runs and models registry: runs (parameters, the data manifest, metrics over time, artifacts,
// status, code version, the job they report from) and models (versions 1, 2, 3… from artifacts,
// aliases such as production and candidate). The registry's store is the source of truth: the files
// in the data dir, or PostgreSQL when databaseUrl is configured (shared by every instance on that
// database); when MLflow is configured every run and model is mirrored there, and a failed mirror
// never loses the registry's data.
// These functions are what the internal tools call, and what the supervisor may call directly.
import { findJob } from '../jobs/backends.js';
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ToolContext } from '../../context.js';
import { asInputError, Confinement, readConfinedText, withConfinedReader } from '../../confined-fs.js';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import type { JobRecord, JobState } from '../jobs/executor.js';
import { resolveDataset } from '../datasets/dataset-ref.js';
import { checkAlias, checkModelName } from './model-names.js';
import {
  MlflowClient,
  MlflowError,
  chunks,
  logBatchLimits,
  type MlflowSettings,
  type MlflowTag,
} from './mlflow-client.js';
import { PgRegistryStore } from './pg-registry-store.js';
import {
  RegistryStore,
  jobIdPattern,
  runIdPattern,
  type ArtifactRecord,
  type DataManifestRecord,
  type MetricPoint,
  type MlflowModelState,
  type ModelRecord,
  type ModelVersionRecord,
  type ParamValue,
  type RegistryStorage,
  type RunRecord,
  type RunStatus,
} from './registry-store.js';

export interface RegistryEnvironment {
  dataDir: string;
  allowedRoots: readonly string[];
  mlflow?: MlflowSettings | undefined;
  /** PostgreSQL, when configured: the registry lives there, shared by every instance on the database. */
  databaseUrl?: string | undefined;
  codeVersion?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Where a linked job's record comes from; default: <dataDir>/ml-training/jobs/<jobId>/job.json, which
   * the local executor writes. A supervisor with jobs elsewhere (Ray) passes its executor's status here.
   */
  readJob?: ((jobId: string) => Promise<JobRecord | undefined>) | undefined;
}

export function registryEnvironment(context: ToolContext): RegistryEnvironment {
  return {
    dataDir: context.environment.dataDir,
    allowedRoots: context.environment.allowedRoots,
    mlflow: context.environment.mlTraining?.mlflow,
    databaseUrl: context.environment.services.databaseUrl,
    codeVersion: context.environment.codeVersion,
    signal: context.signal,
    // The job's live state from its executor (a local job checked now, a Ray job from its cluster);
    // the job.json on disk is the fallback.
    readJob: async (jobId) => {
      try {
        return (await findJob(context, jobId)).record;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * One store per data dir (and database), so that writes to one run or model are serialised across
 * calls. With databaseUrl the registry is in PostgreSQL only: when it cannot be reached the call fails
 * naming DATABASE_URL rather than writing to the files, which would split the registry in two.
 */
const stores = new Map<string, RegistryStorage>();
export function registryStore(env: Pick<RegistryEnvironment, 'dataDir' | 'databaseUrl'>): RegistryStorage {
  const dataDir = path.resolve(env.dataDir);
  const key = `${dataDir}\n${env.databaseUrl ?? ''}`;
  let store = stores.get(key);
  if (!store) {
    store = env.databaseUrl ? new PgRegistryStore(dataDir, { url: env.databaseUrl }) : new RegistryStore(dataDir);
    stores.set(key, store);
  }
  return store;
}

/** Closes the database connections of a data dir's registry stores (a service shutting down). */
export async function closeRegistryStores(dataDir: string): Promise<void> {
  const prefix = `${path.resolve(dataDir)}\n`;
  for (const [key, store] of [...stores]) {
    if (!key.startsWith(prefix)) continue;
    stores.delete(key);
    if (store instanceof PgRegistryStore) await store.close();
  }
}

export const jobStateToRunStatus: Record<JobState, RunStatus> = {
  PENDING: 'RUNNING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'FINISHED',
  FAILED: 'FAILED',
  LOST: 'FAILED',
  STOPPED: 'KILLED',
};

/** What an MLflow sync did: synced, or why not. Local data is kept either way. */
export interface MlflowSyncResult {
  synced: boolean;
  trackingUri: string;
  experimentId?: string | undefined;
  runId?: string | undefined;
  /** Entries sent by this sync (0 when everything was already there). */
  sent: {
    metrics: number;
    params: number;
    tags: number;
    statusUpdates: number;
    modelVersions: number;
    aliases: number;
  };
  requests: number;
  error?: string | undefined;
}

export interface RunView {
  runId: string;
  name: string;
  params: Record<string, ParamValue>;
  dataManifest?: DataManifestRecord | undefined;
  /** The run's own points, then the job's (job points without a timestamp have none). */
  metrics: { step: number; timestamp?: number | undefined; values: Record<string, number>; source: 'run' | 'job' }[];
  latestMetrics: Record<string, { value: number; step: number }>;
  artifacts: ArtifactRecord[];
  status: RunStatus;
  codeVersion?: string | undefined;
  gitCommit?: string | undefined;
  jobId?: string | undefined;
  job?:
    | { found: false }
    | {
        found: true;
        state: JobState;
        exitCode?: number | null | undefined;
        message?: string | undefined;
        skippedMetricLines: number;
      }
    | undefined;
  createdAt: string;
  endedAt?: string | undefined;
  mlflowRunId?: string | undefined;
}

// ---------------------------------------------------------------------------------------------- runs

export interface CreateRunInput {
  name: string;
  params?: Record<string, ParamValue> | undefined;
  /** A dataset directory holding manifest.json: inside the allowed roots, or a name under <dataDir>/ml-training/datasets. */
  dataset?: string | undefined;
  jobId?: string | undefined;
  /** A run id to use instead of a fresh one (fixtures, or a supervisor that chose it already). */
  runId?: string | undefined;
  gitCommit?: string | undefined;
}

export async function createRun(
  env: RegistryEnvironment,
  input: CreateRunInput,
): Promise<{ run: RunView; mlflow?: MlflowSyncResult | undefined }> {
  const store = registryStore(env);
  const params = checkParams(input.params ?? {});
  if (input.jobId !== undefined && (!jobIdPattern.test(input.jobId) || input.jobId.includes('..')))
    throw new InputError('jobId', `"${input.jobId}" is not a job id; pass the jobId a job submit returned`);
  const runId = input.runId ?? randomUUID().replaceAll('-', '');
  if (!runIdPattern.test(runId))
    throw new InputError('runId', `"${runId}" is not a run id (8–64 of a-z, 0-9, _ and -)`);
  const dataManifest = input.dataset === undefined ? undefined : await readDataset(env, input.dataset);
  return store.serialised(`run:${runId}`, async () => {
    if (await store.readRun(runId)) throw new InputError('runId', `run ${runId} exists already`);
    const run: RunRecord = {
      runId,
      name: input.name,
      params,
      ...(dataManifest ? { dataManifest } : {}),
      artifacts: [],
      status: 'RUNNING',
      ...(env.codeVersion ? { codeVersion: env.codeVersion } : {}),
      ...(input.gitCommit ? { gitCommit: input.gitCommit } : {}),
      ...(input.jobId ? { jobId: input.jobId } : {}),
      createdAt: new Date().toISOString(),
    };
    await store.writeRun(run);
    await store.appendEvent({
      event: 'run_created',
      runId,
      name: run.name,
      ...(run.jobId ? { jobId: run.jobId } : {}),
    });
    return foldAndSync(env, store, run);
  });
}

export interface LogRunInput {
  runId: string;
  metrics?: { step: number; values: Record<string, number>; timestamp?: number | undefined }[] | undefined;
  artifacts?: string[] | undefined;
  status?: RunStatus | undefined;
}

export async function logRun(
  env: RegistryEnvironment,
  input: LogRunInput,
): Promise<{ run: RunView; logged: { metrics: number; artifacts: number }; mlflow?: MlflowSyncResult | undefined }> {
  const store = registryStore(env);
  await existingRun(store, input.runId);
  // Hashed before the run is locked: a large artifact must not hold up other writers of the run.
  const artifacts: ArtifactRecord[] = [];
  for (const [i, file] of (input.artifacts ?? []).entries())
    artifacts.push({ ...(await hashArtifact(env, file, `artifacts.${i}`)), loggedAt: new Date().toISOString() });
  const points: MetricPoint[] = (input.metrics ?? []).map((m, i) => {
    for (const [key, value] of Object.entries(m.values))
      if (!Number.isFinite(value))
        throw new InputError(`metrics.${i}.values.${key}`, 'must be a finite number (NaN and Infinity are not logged)');
    return { step: m.step, timestamp: m.timestamp ?? Date.now(), values: m.values };
  });
  return store.serialised(`run:${input.runId}`, async () => {
    const run = await existingRun(store, input.runId);
    if (input.status !== undefined && input.status !== run.status) {
      if (run.jobId)
        throw new InputError(
          'status',
          `run ${run.runId} reports from job ${run.jobId}, whose state sets its status; stop the job instead`,
        );
      if (run.status !== 'RUNNING')
        throw new InputError('status', `run ${run.runId} is already ${run.status}; an ended run keeps its status`);
      if (input.status === 'RUNNING') throw new InputError('status', 'a run cannot be set back to RUNNING');
    }
    await store.appendMetrics(run.runId, points);
    if (artifacts.length > 0) run.artifacts.push(...artifacts);
    if (input.status !== undefined && input.status !== run.status) {
      run.status = input.status;
      run.endedAt = new Date().toISOString();
      await store.appendEvent({ event: 'run_ended', runId: run.runId, status: run.status });
    }
    if (artifacts.length > 0 || input.status !== undefined) await store.writeRun(run);
    const folded = await foldAndSync(env, store, run);
    return { ...folded, logged: { metrics: points.length, artifacts: artifacts.length } };
  });
}

/**
 * Links a run to the job that reports to it (for a supervisor that creates the run before it knows
 * the job id): from then on the job's state sets the run's status. A run keeps its first job.
 */
export async function linkRunToJob(
  env: RegistryEnvironment,
  runId: string,
  jobId: string,
): Promise<{ run: RunView; mlflow?: MlflowSyncResult | undefined }> {
  if (!jobIdPattern.test(jobId) || jobId.includes('..'))
    throw new InputError('jobId', `"${jobId}" is not a job id; pass the jobId a job submit returned`);
  const store = registryStore(env);
  await existingRun(store, runId);
  return store.serialised(`run:${runId}`, async () => {
    const run = await existingRun(store, runId);
    if (run.jobId !== undefined && run.jobId !== jobId)
      throw new InputError(
        'jobId',
        `run ${runId} already reports from job ${run.jobId}; create a new run for job ${jobId}`,
      );
    if (run.jobId === undefined) {
      if (run.status !== 'RUNNING')
        throw new InputError('runId', `run ${runId} has ended (${run.status}); create a new run for job ${jobId}`);
      run.jobId = jobId;
      await store.writeRun(run);
      await store.appendEvent({ event: 'run_linked', runId, jobId });
    }
    return foldAndSync(env, store, run);
  });
}

/** A run with its status and metrics folded from its job when it has one; syncs MLflow when configured. */
export async function getRun(
  env: RegistryEnvironment,
  runId: string,
): Promise<{ run: RunView; mlflow?: MlflowSyncResult | undefined }> {
  const store = registryStore(env);
  await existingRun(store, runId);
  return store.serialised(`run:${runId}`, async () => foldAndSync(env, store, await existingRun(store, runId)));
}

/**
 * Runs, newest first. The name and jobId filters select from the stored records before any job is
 * read; without a status filter only the runs shown (the first `limit`) read their job (for Ray an
 * HTTP request each); a status filter needs every candidate's folded status, so those all read theirs.
 */
export async function listRuns(
  env: RegistryEnvironment,
  filter: {
    name?: string | undefined;
    status?: RunStatus | undefined;
    jobId?: string | undefined;
    limit?: number | undefined;
  } = {},
): Promise<{ runs: RunSummary[]; total: number }> {
  const store = registryStore(env);
  const limit = filter.limit ?? 50;
  const candidates = await store.readRuns({ name: filter.name, jobId: filter.jobId });
  candidates.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.runId.localeCompare(b.runId));
  const summarise = async (run: RunRecord): Promise<RunSummary> => {
    const job = run.jobId ? ((await env.readJob?.(run.jobId)) ?? (await store.readJob(run.jobId))) : undefined;
    const status = (job ? jobStateToRunStatus[job.state] : undefined) ?? run.status;
    return {
      runId: run.runId,
      name: run.name,
      status,
      createdAt: run.createdAt,
      ...(run.endedAt || job?.endedAt ? { endedAt: run.endedAt ?? job?.endedAt } : {}),
      ...(run.jobId ? { jobId: run.jobId } : {}),
      ...(run.mlflow ? { mlflowRunId: run.mlflow.runId } : {}),
    };
  };
  if (filter.status === undefined) {
    const runs: RunSummary[] = [];
    for (const run of candidates.slice(0, limit)) runs.push(await summarise(run));
    return { runs, total: candidates.length };
  }
  const runs: RunSummary[] = [];
  for (const run of candidates) {
    const summary = await summarise(run);
    if (summary.status === filter.status) runs.push(summary);
  }
  return { runs: runs.slice(0, limit), total: runs.length };
}

export interface RunSummary {
  runId: string;
  name: string;
  status: RunStatus;
  createdAt: string;
  endedAt?: string | undefined;
  jobId?: string | undefined;
  mlflowRunId?: string | undefined;
}

async function existingRun(store: RegistryStorage, runId: string): Promise<RunRecord> {
  const run = await store.readRun(runId);
  if (run) return run;
  const known = await store.listRunIds(5);
  throw new InputError(
    'runId',
    `no run "${runId}" in the registry; ${known.length === 0 ? 'no runs exist yet: create one with ml_training_create_run' : `list them with ml_training_list_runs (e.g. ${known.join(', ')})`}`,
  );
}

/** Folds the job's state and metrics into the run (persisting a status change), then syncs MLflow. */
async function foldAndSync(
  env: RegistryEnvironment,
  store: RegistryStorage,
  run: RunRecord,
): Promise<{ run: RunView; mlflow?: MlflowSyncResult | undefined }> {
  const own = await store.readMetrics(run.runId);
  let job: JobRecord | undefined;
  let jobPoints: { step: number; timestamp?: number | undefined; values: Record<string, number> }[] = [];
  let skipped = 0;
  if (run.jobId) {
    job = (await env.readJob?.(run.jobId)) ?? (await store.readJob(run.jobId));
    const metrics = await store.readJobMetrics(run.jobId);
    jobPoints = metrics.points;
    skipped = metrics.skippedLines;
    if (job && run.gitCommit === undefined && job.cwd) {
      const commit = await gitCommitOf(job.cwd, env.allowedRoots);
      if (commit) {
        run.gitCommit = commit;
        await store.writeRun(run);
      }
    }
    // A state this registry does not know (a newer executor) leaves the run's status as it was.
    const status = job ? jobStateToRunStatus[job.state] : undefined;
    if (job && status !== undefined) {
      if (status !== run.status) {
        run.status = status;
        if (status !== 'RUNNING') run.endedAt = job.endedAt ?? new Date().toISOString();
        else delete run.endedAt;
        await store.writeRun(run);
        if (status !== 'RUNNING')
          await store.appendEvent({
            event: 'run_ended',
            runId: run.runId,
            status,
            jobId: run.jobId,
            jobState: job.state,
          });
      }
    }
  }
  const mlflow = env.mlflow ? await syncRun(env, store, run, own, jobPoints) : undefined;
  const metrics: RunView['metrics'] = [
    ...own.map((p) => ({ ...p, source: 'run' as const })),
    ...jobPoints.map((p) => ({ ...p, source: 'job' as const })),
  ];
  const latestMetrics: RunView['latestMetrics'] = {};
  for (const point of metrics)
    for (const [key, value] of Object.entries(point.values)) latestMetrics[key] = { value, step: point.step };
  const view: RunView = {
    runId: run.runId,
    name: run.name,
    params: run.params,
    ...(run.dataManifest ? { dataManifest: run.dataManifest } : {}),
    metrics,
    latestMetrics,
    artifacts: run.artifacts,
    status: run.status,
    ...(run.codeVersion ? { codeVersion: run.codeVersion } : {}),
    ...(run.gitCommit ? { gitCommit: run.gitCommit } : {}),
    ...(run.jobId
      ? {
          jobId: run.jobId,
          job: job
            ? {
                found: true as const,
                state: job.state,
                ...(job.exitCode !== undefined ? { exitCode: job.exitCode } : {}),
                ...(job.message ? { message: job.message } : {}),
                skippedMetricLines: skipped,
              }
            : { found: false as const },
        }
      : {}),
    createdAt: run.createdAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
    ...(run.mlflow ? { mlflowRunId: run.mlflow.runId } : {}),
  };
  return { run: view, ...(mlflow ? { mlflow } : {}) };
}

function emptySent(): MlflowSyncResult['sent'] {
  return { metrics: 0, params: 0, tags: 0, statusUpdates: 0, modelVersions: 0, aliases: 0 };
}

function flatten(points: readonly { step: number; timestamp?: number | undefined; values: Record<string, number> }[]) {
  const now = Date.now();
  return points.flatMap((p) =>
    Object.entries(p.values).map(([key, value]) => ({ key, value, step: p.step, timestamp: p.timestamp ?? now })),
  );
}

function runTags(run: RunRecord): MlflowTag[] {
  const tags: MlflowTag[] = [{ key: 'caelum.run_id', value: run.runId }];
  if (run.codeVersion) tags.push({ key: 'caelum.code_version', value: run.codeVersion });
  if (run.gitCommit) tags.push({ key: 'mlflow.source.git.commit', value: run.gitCommit });
  if (run.jobId) tags.push({ key: 'caelum.job_id', value: run.jobId });
  if (run.dataManifest) {
    tags.push({ key: 'caelum.dataset.path', value: run.dataManifest.path.slice(0, logBatchLimits.tagValue) });
    tags.push({ key: 'caelum.dataset.manifest_sha256', value: run.dataManifest.sha256 });
  }
  return tags;
}

/**
 * Sends what MLflow has not seen of this run: the run itself, params and tags once, artifacts and
 * metrics from where the last sync stopped (in log-batch chunks), and the status when it changed.
 * Progress is saved after each request, so a failure part-way resends nothing already accepted.
 */
async function syncRun(
  env: RegistryEnvironment,
  store: RegistryStorage,
  run: RunRecord,
  own: readonly MetricPoint[],
  jobPoints: readonly { step: number; timestamp?: number | undefined; values: Record<string, number> }[],
): Promise<MlflowSyncResult> {
  const settings = env.mlflow!;
  const client = new MlflowClient(settings, env.signal);
  const trackingUri = client.shownUri;
  const sent = emptySent();
  let state = run.mlflow?.trackingUri === trackingUri ? run.mlflow : undefined;
  const save = async () => {
    run.mlflow = state;
    await store.writeRun(run);
  };
  try {
    if (!state) {
      const experimentId = await client.experimentId(settings.experiment);
      const mlflowRunId = await client.createRun({
        experimentId,
        runName: run.name,
        startTime: Date.parse(run.createdAt),
        tags: [],
      });
      state = {
        trackingUri,
        experimentId,
        runId: mlflowRunId,
        paramsSent: false,
        tagsSent: {},
        localMetricsSent: 0,
        jobMetricsSent: 0,
        artifactsSent: 0,
        statusSent: 'RUNNING',
      };
      await save();
    }
    const current = state;
    const params = current.paramsSent
      ? []
      : Object.entries(run.params).map(([key, value]) => ({ key, value: String(value) }));
    const tags = runTags(run).filter((tag) => current.tagsSent[tag.key] !== tag.value);
    if (params.length > 0 || tags.length > 0) {
      const paramChunks = chunks(params, logBatchLimits.params);
      const tagChunks = chunks(tags, logBatchLimits.tags);
      for (let i = 0; i < Math.max(paramChunks.length, tagChunks.length); i += 1) {
        await client.logBatch(current.runId, { params: paramChunks[i] ?? [], tags: tagChunks[i] ?? [] });
        sent.params += paramChunks[i]?.length ?? 0;
        sent.tags += tagChunks[i]?.length ?? 0;
        for (const tag of tagChunks[i] ?? []) current.tagsSent[tag.key] = tag.value;
      }
    }
    if (!current.paramsSent || tags.length > 0) {
      current.paramsSent = true;
      await save();
    }
    const artifactTags = run.artifacts.slice(current.artifactsSent).map((a, i) => ({
      key: `caelum.artifact.${current.artifactsSent + i}`,
      value: JSON.stringify({ path: a.path, sha256: a.sha256, bytes: a.bytes }).slice(0, logBatchLimits.tagValue),
    }));
    for (const batch of chunks(artifactTags, logBatchLimits.tags)) {
      await client.logBatch(current.runId, { tags: batch });
      current.artifactsSent += batch.length;
      sent.tags += batch.length;
      await save();
    }
    for (const [source, points] of [
      ['localMetricsSent', own],
      ['jobMetricsSent', jobPoints],
    ] as const) {
      const pending = flatten(points).slice(current[source]);
      for (const batch of chunks(pending, logBatchLimits.metrics)) {
        await client.logBatch(current.runId, { metrics: batch });
        current[source] += batch.length;
        sent.metrics += batch.length;
        await save();
      }
    }
    if (run.status !== current.statusSent) {
      await client.updateRun(
        current.runId,
        run.status,
        run.status === 'RUNNING' ? undefined : Date.parse(run.endedAt ?? new Date().toISOString()),
      );
      current.statusSent = run.status;
      sent.statusUpdates += 1;
      await save();
    }
    return {
      synced: true,
      trackingUri,
      experimentId: current.experimentId,
      runId: current.runId,
      sent,
      requests: client.requests,
    };
  } catch (error) {
    if (!(error instanceof MlflowError)) throw error;
    return {
      synced: false,
      trackingUri,
      ...(state ? { experimentId: state.experimentId, runId: state.runId } : {}),
      sent,
      requests: client.requests,
      error: `${error.message}; the run is saved locally and the rest is sent on the next sync`,
    };
  }
}

// -------------------------------------------------------------------------------------------- models

export interface ModelView {
  name: string;
  versions: ModelVersionRecord[];
  aliases: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  mlflowVersions?: Record<string, string> | undefined;
}

function modelView(model: ModelRecord): ModelView {
  return {
    name: model.name,
    versions: model.versions,
    aliases: model.aliases,
    createdAt: model.createdAt,
    updatedAt: model.updatedAt,
    ...(model.mlflow ? { mlflowVersions: model.mlflow.versions } : {}),
  };
}

export interface RegisterModelInput {
  name: string;
  artifact: string;
  runId?: string | undefined;
  contract?: unknown;
  alias?: string | undefined;
  confirm?: boolean | undefined;
}

export async function registerModel(
  env: RegistryEnvironment,
  input: RegisterModelInput,
): Promise<{ model: ModelView; version: ModelVersionRecord; mlflow?: MlflowSyncResult | undefined }> {
  checkModelName(input.name);
  if (input.alias !== undefined) checkAlias(input.alias);
  const store = registryStore(env);
  // The run first: its metrics become the version's snapshot, and in MLflow the version links to it.
  let metrics: Record<string, number> | undefined;
  if (input.runId !== undefined) {
    const { run } = await getRun(env, input.runId);
    metrics = Object.fromEntries(Object.entries(run.latestMetrics).map(([k, v]) => [k, v.value]));
  }
  const source = await hashArtifact(env, input.artifact, 'artifact');
  return store.serialised(`model:${input.name}`, async () => {
    const now = new Date().toISOString();
    const model: ModelRecord = (await store.readModel(input.name)) ?? {
      name: input.name,
      versions: [],
      aliases: {},
      createdAt: now,
      updatedAt: now,
    };
    const version: ModelVersionRecord = {
      version: (model.versions.at(-1)?.version ?? 0) + 1,
      source,
      ...(input.runId ? { runId: input.runId } : {}),
      ...(input.contract !== undefined ? { contract: input.contract } : {}),
      ...(metrics && Object.keys(metrics).length > 0 ? { metrics } : {}),
      createdAt: now,
    };
    if (input.alias !== undefined) checkProductionMove(model, input.alias, version.version, input.confirm);
    model.versions.push(version);
    const previous = input.alias === undefined ? undefined : model.aliases[input.alias];
    if (input.alias !== undefined) model.aliases[input.alias] = version.version;
    model.updatedAt = now;
    await store.writeModel(model);
    await store.appendEvent({
      event: 'model_version_created',
      model: model.name,
      version: version.version,
      sha256: source.sha256,
    });
    if (input.alias !== undefined)
      await store.appendEvent({
        event: 'alias_set',
        model: model.name,
        alias: input.alias,
        to: version.version,
        ...(previous === undefined ? {} : { from: previous }),
      });
    const mlflow = env.mlflow ? await syncModel(env, store, model) : undefined;
    return { model: modelView(model), version, ...(mlflow ? { mlflow } : {}) };
  });
}

function checkProductionMove(model: ModelRecord, alias: string, version: number, confirm: boolean | undefined): void {
  const current = model.aliases[alias];
  if (alias === 'production' && current !== undefined && current !== version && confirm !== true)
    throw new InputError(
      'confirm',
      `production of ${model.name} points at version ${current}; moving it to version ${version} changes what answers in production: pass confirm: true to move it (or point candidate at version ${version} first)`,
    );
}

export async function setModelAlias(
  env: RegistryEnvironment,
  input: { name: string; alias: string; version: number; confirm?: boolean | undefined },
): Promise<{ model: ModelView; previous?: number | undefined; mlflow?: MlflowSyncResult | undefined }> {
  checkAlias(input.alias);
  const store = registryStore(env);
  return store.serialised(`model:${input.name}`, async () => {
    const model = await store.readModel(input.name).catch(() => undefined);
    if (!model) throw new InputError('name', `no model "${input.name}"; ${await knownModels(store)}`);
    if (!model.versions.some((v) => v.version === input.version))
      throw new InputError(
        'version',
        `model ${model.name} has no version ${input.version}; its versions are ${model.versions.map((v) => v.version).join(', ')}`,
      );
    checkProductionMove(model, input.alias, input.version, input.confirm);
    const previous = model.aliases[input.alias];
    if (previous !== input.version) {
      model.aliases[input.alias] = input.version;
      model.updatedAt = new Date().toISOString();
      await store.writeModel(model);
      await store.appendEvent({
        event: 'alias_set',
        model: model.name,
        alias: input.alias,
        to: input.version,
        ...(previous === undefined ? {} : { from: previous }),
      });
    }
    const mlflow = env.mlflow ? await syncModel(env, store, model) : undefined;
    return { model: modelView(model), ...(previous === undefined ? {} : { previous }), ...(mlflow ? { mlflow } : {}) };
  });
}

/** Removes an alias (removing production needs confirm); MLflow's alias is deleted too when configured. */
export async function removeModelAlias(
  env: RegistryEnvironment,
  input: { name: string; alias: string; confirm?: boolean | undefined },
): Promise<{ model: ModelView; previous?: number | undefined; mlflow?: MlflowSyncResult | undefined }> {
  const store = registryStore(env);
  return store.serialised(`model:${input.name}`, async () => {
    const model = await store.readModel(input.name).catch(() => undefined);
    if (!model) throw new InputError('name', `no model "${input.name}"; ${await knownModels(store)}`);
    const previous = model.aliases[input.alias];
    if (previous === undefined)
      throw new InputError(
        'alias',
        `model ${model.name} has no alias "${input.alias}"; its aliases are ${Object.keys(model.aliases).join(', ') || 'none'}`,
      );
    if (input.alias === 'production' && input.confirm !== true)
      throw new InputError(
        'confirm',
        `removing production of ${model.name} (version ${previous}) leaves nothing answering in production: pass confirm: true`,
      );
    delete model.aliases[input.alias];
    model.updatedAt = new Date().toISOString();
    await store.writeModel(model);
    await store.appendEvent({ event: 'alias_removed', model: model.name, alias: input.alias, from: previous });
    const mlflow = env.mlflow ? await syncModel(env, store, model) : undefined;
    return { model: modelView(model), previous, ...(mlflow ? { mlflow } : {}) };
  });
}

export async function listModels(env: RegistryEnvironment, filter: { name?: string | undefined } = {}) {
  const store = registryStore(env);
  const names = filter.name === undefined ? await store.listModelNames() : [filter.name];
  const models: ModelView[] = [];
  for (const name of names) {
    const model = await store.readModel(name).catch(() => undefined);
    if (model) models.push(modelView(model));
  }
  if (filter.name !== undefined && models.length === 0)
    throw new InputError('name', `no model "${filter.name}"; ${await knownModels(store)}`);
  return { models };
}

/** The model's current version for an alias (`production` by default). */
export async function resolveModelAlias(
  env: RegistryEnvironment,
  name: string,
  alias = 'production',
): Promise<ModelVersionRecord | undefined> {
  const model = await registryStore(env).readModel(name);
  const version = model?.aliases[alias];
  return version === undefined ? undefined : model?.versions.find((v) => v.version === version);
}

async function knownModels(store: RegistryStorage): Promise<string> {
  const names = await store.listModelNames();
  return names.length === 0
    ? 'no models are registered: register one with ml_training_register_model'
    : `registered: ${names.join(', ')}`;
}

/** Mirrors the model in MLflow: the registered model, each version not yet sent, and each alias that moved. */
async function syncModel(
  env: RegistryEnvironment,
  store: RegistryStorage,
  model: ModelRecord,
): Promise<MlflowSyncResult> {
  const settings = env.mlflow!;
  const client = new MlflowClient(settings, env.signal);
  const trackingUri = client.shownUri;
  const sent = emptySent();
  const state: MlflowModelState =
    model.mlflow?.trackingUri === trackingUri
      ? model.mlflow
      : { trackingUri, created: false, versions: {}, aliases: {} };
  const save = async () => {
    model.mlflow = state;
    await store.writeModel(model);
  };
  try {
    if (!state.created) {
      await client.ensureRegisteredModel(model.name);
      state.created = true;
      await save();
    }
    for (const version of model.versions) {
      if (state.versions[version.version] !== undefined) continue;
      const run = version.runId ? await store.readRun(version.runId) : undefined;
      const mlflowRunId = run?.mlflow?.trackingUri === trackingUri ? run.mlflow.runId : undefined;
      state.versions[version.version] = await client.createModelVersion({
        name: model.name,
        source: pathToFileURL(version.source.path).href,
        ...(mlflowRunId ? { runId: mlflowRunId } : {}),
        tags: [
          { key: 'caelum.version', value: String(version.version) },
          { key: 'caelum.sha256', value: version.source.sha256 },
        ],
      });
      sent.modelVersions += 1;
      await save();
    }
    for (const [alias, version] of Object.entries(model.aliases)) {
      const target = state.versions[version];
      if (state.aliases[alias] === version || target === undefined) continue;
      await client.setAlias(model.name, alias, target);
      state.aliases[alias] = version;
      sent.aliases += 1;
      await save();
    }
    for (const alias of Object.keys(state.aliases)) {
      if (model.aliases[alias] !== undefined) continue;
      await client.deleteAlias(model.name, alias);
      delete state.aliases[alias];
      sent.aliases += 1;
      await save();
    }
    return { synced: true, trackingUri, sent, requests: client.requests };
  } catch (error) {
    if (!(error instanceof MlflowError)) throw error;
    return {
      synced: false,
      trackingUri,
      sent,
      requests: client.requests,
      error: `${error.message}; the model is saved locally and the rest is sent on the next sync`,
    };
  }
}

// ---------------------------------------------------------------------------------------- input bits

function checkParams(params: Record<string, ParamValue>): Record<string, ParamValue> {
  for (const [key, value] of Object.entries(params)) {
    if (key.length === 0 || key.length > 250)
      throw new InputError('params', `parameter name "${key.slice(0, 40)}" must be 1–250 characters (MLflow's limit)`);
    if (String(value).length > logBatchLimits.paramValue)
      throw new InputError(
        `params.${key}`,
        `is ${String(value).length} characters; a parameter value holds at most ${logBatchLimits.paramValue} (MLflow's limit): log a path or a hash instead`,
      );
  }
  return params;
}

async function readDataset(env: RegistryEnvironment, dataset: string): Promise<DataManifestRecord> {
  // The same resolution as the job submit and the evaluation: a bare name is the data-dir dataset first.
  const found = await resolveDataset(dataset, env);
  return {
    path: found.directory,
    sha256: createHash('sha256').update(found.text).digest('hex'),
    manifest: found.manifest,
  };
}

/**
 * The commit checked out in `directory` (a job's working directory), when it is inside the allowed
 * roots and has its own .git directory: HEAD, then the loose ref, then packed-refs. Undefined otherwise.
 */
export async function gitCommitOf(directory: string, roots: readonly string[]): Promise<string | undefined> {
  const sha = /^[0-9a-f]{40}$/;
  try {
    const confinement = await Confinement.of(roots);
    const read = (relative: string) =>
      readConfinedText(path.join(directory, '.git', relative), confinement, { maxBytes: 4 * 1024 * 1024 });
    const head = (await read('HEAD')).trim();
    if (sha.test(head)) return head;
    const ref = /^ref: (refs\/[\w./-]+)$/.exec(head)?.[1];
    if (!ref || ref.includes('..')) return undefined;
    const loose = (await read(ref).catch(() => '')).trim();
    if (sha.test(loose)) return loose;
    for (const line of (await read('packed-refs').catch(() => '')).split('\n')) {
      const [commit, name] = line.trim().split(' ');
      if (name === ref && commit && sha.test(commit)) return commit;
    }
  } catch {
    // No repository there, or outside the roots: the commit is optional.
  }
  return undefined;
}

const hashChunk = 8 * 1024 * 1024;

/** The artifact's real path, sha256 and size, read through the confined layer in chunks. */
export async function hashArtifact(
  env: RegistryEnvironment,
  file: string,
  field: string,
): Promise<{ path: string; sha256: string; bytes: number }> {
  const resolved = await resolveInsideRoots(file, env.allowedRoots, field);
  if (resolved.isDirectory)
    throw new InputError(field, `${file} is a directory; pass a file (a checkpoint, an .npz, a report)`);
  try {
    return await withConfinedReader(resolved.absolute, await Confinement.of(env.allowedRoots), async (reader) => {
      const hash = createHash('sha256');
      for (let offset = 0; offset < reader.size; offset += hashChunk) {
        env.signal?.throwIfAborted();
        hash.update(await reader.read(offset, hashChunk));
      }
      return { path: resolved.absolute, sha256: hash.digest('hex'), bytes: reader.size };
    });
  } catch (error) {
    throw asInputError(error, field, file);
  }
}
