// The runs and models registry on disk, in <dataDir>/ml-training/registry/:
//   runs/<runId>/run.json        the run's record, rewritten atomically (temp file, fsync, rename)
//   runs/<runId>/metrics.jsonl   metric points, append-only, one JSON line each
//   models/<name>.json           a model's versions and aliases, rewritten atomically
//   events.jsonl                 append-only history: runs created, ended and deleted, versions, alias moves
//   runs/.<runId>.deleting-<id>  a run being deleted: set aside in one rename, never listed, then removed
// A kill -9 leaves either the old or the new JSON file, and at worst a torn last line in a log, which
// readers skip and the next append starts after. It also reads, never writes, what the job executor
// keeps in <dataDir>/ml-training/jobs/<jobId>/ (job.json and the job's metrics.jsonl).
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { readJson, writeFileAtomic } from '../../../knowledge/snapshot/atomic-file.js';
import type { JobRecord } from '../jobs/executor.js';

export const runStatuses = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type RunStatus = (typeof runStatuses)[number];

export type ParamValue = string | number | boolean;

export interface MetricPoint {
  step: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  values: Record<string, number>;
}

export interface ArtifactRecord {
  path: string;
  sha256: string;
  bytes: number;
  loggedAt: string;
}

export interface DataManifestRecord {
  /** The dataset directory as resolved. */
  path: string;
  /** sha256 of manifest.json's bytes. */
  sha256: string;
  manifest: unknown;
}

/** What has been sent to MLflow for a run, so a later sync sends only what is new. */
export interface MlflowRunState {
  trackingUri: string;
  experimentId: string;
  runId: string;
  paramsSent: boolean;
  /** Tag key → the value MLflow holds; a tag whose value changed (or that is new) is sent again. */
  tagsSent: Record<string, string>;
  /** Flattened metric entries (one per key per point) sent, from the run's own log and from the job's file. */
  localMetricsSent: number;
  jobMetricsSent: number;
  artifactsSent: number;
  /** The status MLflow holds for the run. */
  statusSent: RunStatus;
}

export interface RunRecord {
  runId: string;
  name: string;
  params: Record<string, ParamValue>;
  dataManifest?: DataManifestRecord | undefined;
  artifacts: ArtifactRecord[];
  status: RunStatus;
  codeVersion?: string | undefined;
  gitCommit?: string | undefined;
  jobId?: string | undefined;
  createdAt: string;
  endedAt?: string | undefined;
  mlflow?: MlflowRunState | undefined;
}

export interface ModelVersionRecord {
  version: number;
  source: { path: string; sha256: string; bytes: number };
  runId?: string | undefined;
  contract?: unknown;
  metrics?: Record<string, number> | undefined;
  createdAt: string;
}

export interface MlflowModelState {
  trackingUri: string;
  created: boolean;
  /** Local version → MLflow's version string. */
  versions: Record<string, string>;
  /** Alias → the local version MLflow's alias points at. */
  aliases: Record<string, number>;
}

export interface ModelRecord {
  name: string;
  versions: ModelVersionRecord[];
  aliases: Record<string, number>;
  createdAt: string;
  updatedAt: string;
  mlflow?: MlflowModelState | undefined;
}

export interface JobMetrics {
  points: { step: number; timestamp?: number | undefined; values: Record<string, number> }[];
  /** Lines that did not parse (a torn last line while the job writes, or junk). */
  skippedLines: number;
}

export const runIdPattern = /^[a-z0-9][a-z0-9_-]{7,63}$/;
/** What a model's file may be called: the shape model-names.ts allows, so a name is never a path. */
const modelFilePattern = /^[a-z][a-z0-9_-]{0,62}$/;
export const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * What the registry functions need of a store: the files in the data dir (RegistryStore) or, with
 * databaseUrl configured, PostgreSQL (PgRegistryStore), which instances on several machines share.
 */
export interface RegistryStorage {
  /** Runs `work` after every earlier piece of work on `key`, so read-modify-write cycles never interleave. */
  serialised<T>(key: string, work: () => Promise<T>): Promise<T>;
  readRun(runId: string): Promise<RunRecord | undefined>;
  writeRun(run: RunRecord): Promise<void>;
  /** The ids of the runs in the registry; with `limit`, at most that many. */
  listRunIds(limit?: number): Promise<string[]>;
  /** Every run's record, optionally only those with this name or job id. */
  readRuns(filter?: { name?: string | undefined; jobId?: string | undefined }): Promise<RunRecord[]>;
  /** Takes a run out in one step, so readers see the whole run or none; then put back or removed. */
  setRunAside(runId: string): Promise<{ restore(): Promise<void>; remove(): Promise<void> }>;
  appendMetrics(runId: string, points: readonly MetricPoint[]): Promise<void>;
  readMetrics(runId: string): Promise<MetricPoint[]>;
  readModel(name: string): Promise<ModelRecord | undefined>;
  writeModel(model: ModelRecord): Promise<void>;
  listModelNames(): Promise<string[]>;
  appendEvent(event: Record<string, unknown>): Promise<void>;
  /** The event log, oldest first; with `model`, only the events of that model. */
  readEvents(filter?: { model?: string | undefined }): Promise<Record<string, unknown>[]>;
  readJob(jobId: string): Promise<JobRecord | undefined>;
  readJobMetrics(jobId: string): Promise<JobMetrics>;
}

/** Runs `work` after every earlier piece of work on `key` in `queues` (this process only). */
export function serialisedLocally<T>(
  queues: Map<string, Promise<unknown>>,
  key: string,
  work: () => Promise<T>,
): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

export class RegistryStore implements RegistryStorage {
  readonly directory: string;
  readonly jobsDirectory: string;
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly dataDir: string) {
    this.directory = path.join(dataDir, 'ml-training', 'registry');
    this.jobsDirectory = path.join(dataDir, 'ml-training', 'jobs');
  }

  /** Runs `work` after every earlier piece of work on `key`, so read-modify-write cycles never interleave. */
  serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    return serialisedLocally(this.queues, key, work);
  }

  private runDirectory(runId: string): string {
    if (!runIdPattern.test(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}`);
    return path.join(this.directory, 'runs', runId);
  }

  async readRun(runId: string): Promise<RunRecord | undefined> {
    if (!runIdPattern.test(runId)) return undefined;
    return readJson<RunRecord>(path.join(this.runDirectory(runId), 'run.json'));
  }

  async writeRun(run: RunRecord): Promise<void> {
    await writeFileAtomic(path.join(this.runDirectory(run.runId), 'run.json'), JSON.stringify(run, null, 2));
  }

  async listRunIds(limit?: number): Promise<string[]> {
    const entries = await readdir(path.join(this.directory, 'runs'), { withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    const ids = entries.filter((e) => e.isDirectory() && runIdPattern.test(e.name)).map((e) => e.name);
    return limit === undefined ? ids : ids.slice(0, limit);
  }

  async readRuns(filter: { name?: string | undefined; jobId?: string | undefined } = {}): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    for (const runId of await this.listRunIds()) {
      const run = await this.readRun(runId).catch(() => undefined);
      if (!run) continue;
      if (filter.name !== undefined && run.name !== filter.name) continue;
      if (filter.jobId !== undefined && run.jobId !== filter.jobId) continue;
      runs.push(run);
    }
    return runs;
  }

  /**
   * Takes a run's directory out of the registry in one rename (to a dot-name that listRunIds and
   * readRun never see), so readers see the whole run or none of it. `restore` puts it back; `remove`
   * deletes what was set aside. A crash between the two leaves only an unlisted dot-directory.
   */
  async setRunAside(runId: string): Promise<{ restore(): Promise<void>; remove(): Promise<void> }> {
    const directory = this.runDirectory(runId);
    const aside = path.join(path.dirname(directory), `.${runId}.deleting-${randomUUID()}`);
    await rename(directory, aside);
    return {
      restore: () => rename(aside, directory),
      remove: () => rm(aside, { recursive: true, force: true }),
    };
  }

  async appendMetrics(runId: string, points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    await appendLines(
      path.join(this.runDirectory(runId), 'metrics.jsonl'),
      points.map((p) => JSON.stringify(p)),
    );
  }

  async readMetrics(runId: string): Promise<MetricPoint[]> {
    const text = await readText(path.join(this.runDirectory(runId), 'metrics.jsonl'));
    const points: MetricPoint[] = [];
    for (const value of jsonLines(text ?? '').values) if (isMetricPoint(value)) points.push(value);
    return points;
  }

  private modelFile(name: string): string {
    if (!modelFilePattern.test(name)) throw new Error(`invalid model name ${JSON.stringify(name)}`);
    return path.join(this.directory, 'models', `${name}.json`);
  }

  /** Undefined for a name that is not registered, and for one that could not be (never a path). */
  async readModel(name: string): Promise<ModelRecord | undefined> {
    if (!modelFilePattern.test(name)) return undefined;
    return readJson<ModelRecord>(this.modelFile(name));
  }

  async writeModel(model: ModelRecord): Promise<void> {
    await writeFileAtomic(this.modelFile(model.name), JSON.stringify(model, null, 2));
  }

  async listModelNames(): Promise<string[]> {
    const entries = await readdir(path.join(this.directory, 'models')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    return entries
      .filter((e) => e.endsWith('.json'))
      .map((e) => e.slice(0, -5))
      .filter((name) => modelFilePattern.test(name))
      .sort();
  }

  async appendEvent(event: Record<string, unknown>): Promise<void> {
    await appendLines(path.join(this.directory, 'events.jsonl'), [
      JSON.stringify({ at: new Date().toISOString(), ...event }),
    ]);
  }

  async readEvents(filter: { model?: string | undefined } = {}): Promise<Record<string, unknown>[]> {
    const text = await readText(path.join(this.directory, 'events.jsonl'));
    const events = jsonLines(text ?? '').values.filter(isRecord);
    return filter.model === undefined ? events : events.filter((e) => e.model === filter.model);
  }

  /** The executor's record of a job, or undefined when it has none (yet). */
  async readJob(jobId: string): Promise<JobRecord | undefined> {
    if (!jobIdPattern.test(jobId) || jobId.includes('..')) return undefined;
    const value = await readJson<unknown>(path.join(this.jobsDirectory, jobId, 'job.json')).catch(() => undefined);
    return isRecord(value) && typeof value.state === 'string' ? (value as unknown as JobRecord) : undefined;
  }

  /** The job's metrics file: lines of {"step": n, "<name>": value, …}; a torn or junk line is skipped and counted. */
  async readJobMetrics(jobId: string): Promise<JobMetrics> {
    if (!jobIdPattern.test(jobId) || jobId.includes('..')) return { points: [], skippedLines: 0 };
    const text = await readText(path.join(this.jobsDirectory, jobId, 'metrics.jsonl'));
    const lines = jsonLines(text ?? '');
    const points: JobMetrics['points'] = [];
    let skipped = lines.skipped;
    for (const value of lines.values) {
      if (!isRecord(value)) {
        skipped += 1;
        continue;
      }
      const values: Record<string, number> = {};
      for (const [key, v] of Object.entries(value))
        if (key !== 'step' && key !== 'timestamp' && typeof v === 'number' && Number.isFinite(v)) values[key] = v;
      const step = typeof value.step === 'number' && Number.isFinite(value.step) ? value.step : points.length;
      const timestamp = wallTime(value.timestamp);
      points.push({ step, ...(timestamp === undefined ? {} : { timestamp }), values });
    }
    return { points, skippedLines: skipped };
  }
}

function wallTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? Math.round(value * 1000) : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}

/** A metric point as appendMetrics writes it (anything else in the log is skipped). */
export function isMetricPoint(value: unknown): value is MetricPoint {
  const point = value as Partial<MetricPoint> | null;
  return (
    isRecord(point) && typeof point.step === 'number' && typeof point.timestamp === 'number' && isRecord(point.values)
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Parsed JSON lines; a line that does not parse (a torn write) is skipped and counted. */
function jsonLines(text: string): { values: unknown[]; skipped: number } {
  const values: unknown[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line));
    } catch {
      skipped += 1;
    }
  }
  return { values, skipped };
}

/**
 * Appends whole lines and fsyncs. When an earlier writer died mid-line, the file does not end in a
 * newline: a newline goes first, so the torn fragment stays one bad line instead of spoiling this one.
 */
async function appendLines(file: string, lines: readonly string[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a+');
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.write(prefix + lines.join('\n') + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
