// Reports over the runs and models registry, and the one way a run leaves it: runs compared side by
// side (parameters, final and best value of each metric, which run is best per metric), a model's
// history (versions created, aliases moved and removed) from the registry's event log, and deleting
// a run that no model version refers to. The reads fold each run's job as ml_training_get_run does,
// without the MLflow mirror, so a comparison never writes to MLflow.
import { InputError } from '../../errors.js';
import { getRun, registryStore, type RegistryEnvironment, type RunView } from './registry.js';
import type { ParamValue, RegistryStorage, RunStatus } from './registry-store.js';

export type MetricDirection = 'lower' | 'higher' | 'unknown';

const lowerIsBetterName = /(loss|error|err$|mse|mae|rmse|mape|perplexity|nll|wer|cer|latency|_time|duration)/i;
const higherIsBetterName = /(acc|f1|auc|precision|recall|r2|bleu|rouge|map$|ndcg|iou|dice|hit_rate|reward)/i;

/** Which way a metric improves: the caller's lists first, then its name (loss, mse → lower; accuracy, f1 → higher). */
export function metricDirection(
  name: string,
  explicit: { higher?: readonly string[] | undefined; lower?: readonly string[] | undefined } = {},
): MetricDirection {
  if (explicit.higher?.includes(name)) return 'higher';
  if (explicit.lower?.includes(name)) return 'lower';
  if (lowerIsBetterName.test(name)) return 'lower';
  if (higherIsBetterName.test(name)) return 'higher';
  return 'unknown';
}

/** The registry's view of a run without the MLflow mirror (a read must not write to MLflow). */
async function readRun(env: RegistryEnvironment, runId: string, field: string): Promise<RunView> {
  try {
    return (await getRun({ ...env, mlflow: undefined }, runId)).run;
  } catch (error) {
    if (error instanceof InputError) throw new InputError(field, error.message.replace(/^runId: /, ''));
    throw error;
  }
}

export interface MetricOfRun {
  runId: string;
  final: number;
  finalStep: number;
  min: number;
  minStep: number;
  max: number;
  maxStep: number;
  points: number;
}

export interface ComparedMetric {
  name: string;
  direction: MetricDirection;
  runs: MetricOfRun[];
  /** The run whose best value (min for lower, max for higher) is best; null when the direction is unknown. */
  bestRunId: string | null;
  bestValue: number | null;
  /** The run whose final value is best; null when the direction is unknown. */
  bestFinalRunId: string | null;
  /** Runs that never logged this metric. */
  missingIn: string[];
}

export interface RunComparison {
  runs: { runId: string; name: string; status: RunStatus; createdAt: string; metricPoints: number }[];
  params: { name: string; values: (ParamValue | null)[]; differs: boolean }[];
  metrics: ComparedMetric[];
  metricsLeftOut: number;
}

function metricOf(run: RunView, name: string): MetricOfRun | undefined {
  let found: MetricOfRun | undefined;
  for (const point of run.metrics) {
    const value = point.values[name];
    if (value === undefined) continue;
    if (!found) {
      found = {
        runId: run.runId,
        final: value,
        finalStep: point.step,
        min: value,
        minStep: point.step,
        max: value,
        maxStep: point.step,
        points: 0,
      };
    }
    found.points += 1;
    found.final = value;
    found.finalStep = point.step;
    if (value < found.min) [found.min, found.minStep] = [value, point.step];
    if (value > found.max) [found.max, found.maxStep] = [value, point.step];
  }
  return found;
}

function pick(runs: MetricOfRun[], direction: MetricDirection, value: (m: MetricOfRun) => number) {
  if (direction === 'unknown' || runs.length === 0) return undefined;
  return runs.reduce((best, m) =>
    (direction === 'lower' ? value(m) < value(best) : value(m) > value(best)) ? m : best,
  );
}

export async function compareRuns(
  env: RegistryEnvironment,
  input: {
    runIds: readonly string[];
    metrics?: readonly string[] | undefined;
    higherIsBetter?: readonly string[] | undefined;
    lowerIsBetter?: readonly string[] | undefined;
    maxMetrics?: number | undefined;
  },
): Promise<RunComparison> {
  const duplicate = input.runIds.find((id, i) => input.runIds.indexOf(id) !== i);
  if (duplicate !== undefined)
    throw new InputError('runIds', `${duplicate} is listed twice; name each run once (at least two different runs)`);
  const views: RunView[] = [];
  for (const [i, runId] of input.runIds.entries()) views.push(await readRun(env, runId, `runIds.${i}`));
  const paramNames = [...new Set(views.flatMap((run) => Object.keys(run.params)))].sort();
  const params = paramNames.map((name) => {
    const values = views.map((run) => run.params[name] ?? null);
    return { name, values, differs: values.some((v) => v !== values[0]) };
  });
  const logged = [...new Set(views.flatMap((run) => Object.keys(run.latestMetrics)))].sort();
  if (input.metrics) {
    const unknown = input.metrics.filter((name) => !logged.includes(name));
    if (unknown.length > 0)
      throw new InputError(
        'metrics',
        `no run here logged ${unknown.join(', ')}; the logged metrics are ${logged.slice(0, 30).join(', ') || 'none'}`,
      );
  }
  const names = input.metrics ? [...input.metrics] : logged;
  const maxMetrics = input.maxMetrics ?? 50;
  const metrics: ComparedMetric[] = names.slice(0, maxMetrics).map((name) => {
    const direction = metricDirection(name, { higher: input.higherIsBetter, lower: input.lowerIsBetter });
    const runs = views.map((run) => metricOf(run, name)).filter((m): m is MetricOfRun => m !== undefined);
    const best = pick(runs, direction, (m) => (direction === 'lower' ? m.min : m.max));
    const bestFinal = pick(runs, direction, (m) => m.final);
    return {
      name,
      direction,
      runs,
      bestRunId: best?.runId ?? null,
      bestValue: best ? (direction === 'lower' ? best.min : best.max) : null,
      bestFinalRunId: bestFinal?.runId ?? null,
      missingIn: views.filter((run) => !runs.some((m) => m.runId === run.runId)).map((run) => run.runId),
    };
  });
  return {
    runs: views.map((run) => ({
      runId: run.runId,
      name: run.name,
      status: run.status,
      createdAt: run.createdAt,
      metricPoints: run.metrics.length,
    })),
    params,
    metrics,
    metricsLeftOut: Math.max(0, names.length - maxMetrics),
  };
}

// ------------------------------------------------------------------------------------- model history

export interface ModelHistoryEvent {
  at: string;
  event: 'model_version_created' | 'alias_set' | 'alias_removed';
  version?: number | undefined;
  sha256?: string | undefined;
  alias?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

async function knownModelNames(store: RegistryStorage): Promise<string> {
  const names = await store.listModelNames();
  return names.length === 0
    ? 'no models are registered: register one with ml_training_register_model'
    : `registered: ${names.slice(0, 20).join(', ')}`;
}

/** A model's versions, current aliases and its events (newest first, at most `limit`), optionally one alias's. */
export async function modelHistory(
  env: RegistryEnvironment,
  input: { name: string; alias?: string | undefined; limit?: number | undefined },
) {
  const store = registryStore(env);
  const model = await store.readModel(input.name).catch(() => undefined);
  if (!model) throw new InputError('name', `no model "${input.name}"; ${await knownModelNames(store)}`);
  const kinds = new Set(['model_version_created', 'alias_set', 'alias_removed']);
  const events: ModelHistoryEvent[] = [];
  for (const event of await store.readEvents({ model: model.name })) {
    if (event.model !== model.name || typeof event.event !== 'string' || !kinds.has(event.event)) continue;
    if (input.alias !== undefined && event.alias !== input.alias) continue;
    const number = (value: unknown) => (typeof value === 'number' ? value : undefined);
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    events.push({
      at: text(event.at) ?? '',
      event: event.event as ModelHistoryEvent['event'],
      ...(number(event.version) !== undefined ? { version: number(event.version) } : {}),
      ...(text(event.sha256) ? { sha256: text(event.sha256) } : {}),
      ...(text(event.alias) ? { alias: text(event.alias) } : {}),
      ...(number(event.from) !== undefined ? { from: number(event.from) } : {}),
      ...(number(event.to) !== undefined ? { to: number(event.to) } : {}),
    });
  }
  events.reverse();
  const limit = input.limit ?? 50;
  return {
    name: model.name,
    aliases: model.aliases,
    versions: model.versions.map((v) => ({
      version: v.version,
      createdAt: v.createdAt,
      sha256: v.source.sha256,
      path: v.source.path,
      ...(v.runId ? { runId: v.runId } : {}),
      ...(v.metrics ? { metrics: v.metrics } : {}),
    })),
    events: events.slice(0, limit),
    totalEvents: events.length,
  };
}

// -------------------------------------------------------------------------------------- delete a run

/** The model versions that name `runId` as the run that produced them, as "name version n". */
async function versionsOfRun(store: RegistryStorage, runId: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await store.listModelNames()) {
    const model = await store.readModel(name).catch(() => undefined);
    for (const version of model?.versions ?? [])
      if (version.runId === runId) found.push(`${name} version ${version.version}`);
  }
  return found;
}

export interface DeleteRunResult {
  deleted: boolean;
  runId: string;
  name: string;
  status: RunStatus;
  metricPoints: number;
  artifacts: number;
  referencedBy: string[];
  message: string;
}

/**
 * Deletes a run's record and metrics from the registry when no model version refers to it and it is
 * not still RUNNING. Without confirm it only says what would go and what stands in the way. The run
 * is set aside in one rename, the models are checked again, and only then removed (or put back).
 */
export async function deleteRun(
  env: RegistryEnvironment,
  input: { runId: string; confirm: boolean },
): Promise<DeleteRunResult> {
  const store = registryStore(env);
  const run = await readRun(env, input.runId, 'runId');
  const referencedBy = await versionsOfRun(store, run.runId);
  const base = {
    runId: run.runId,
    name: run.name,
    status: run.status,
    metricPoints: run.metrics.filter((p) => p.source === 'run').length,
    artifacts: run.artifacts.length,
    referencedBy,
  };
  const blocker =
    referencedBy.length > 0
      ? `${referencedBy.join(', ')} ${referencedBy.length === 1 ? 'was' : 'were'} built from it, and a model version keeps the run it came from`
      : run.status === 'RUNNING'
        ? `it is still RUNNING${run.jobId ? ` (job ${run.jobId}): stop the job first` : ': end it with ml_training_log_run status FINISHED, FAILED or KILLED first'}`
        : undefined;
  if (!input.confirm)
    return {
      deleted: false,
      ...base,
      message: blocker
        ? `Run ${run.runId} cannot be deleted: ${blocker}.`
        : `Would delete run ${run.runId} (${run.name}, ${run.status}): its record, ${base.metricPoints} metric points of its own and the list of ${base.artifacts} artifacts (the artifact files stay). Pass confirm: true to delete it.`,
    };
  if (blocker) throw new InputError('runId', `run ${run.runId} cannot be deleted: ${blocker}`);
  return store.serialised(`run:${run.runId}`, async () => {
    const aside = await store.setRunAside(run.runId);
    // A version registered from the run while it was being read names it now: put the run back.
    const late = await versionsOfRun(store, run.runId);
    if (late.length > 0) {
      await aside.restore();
      throw new InputError('runId', `run ${run.runId} cannot be deleted: ${late.join(', ')} now refers to it`);
    }
    await aside.remove();
    await store.appendEvent({ event: 'run_deleted', runId: run.runId, name: run.name });
    return {
      deleted: true,
      ...base,
      message: `Deleted run ${run.runId} (${run.name}) from the registry.${run.mlflowRunId ? ` Its MLflow run ${run.mlflowRunId} is left as it is.` : ''}`,
    };
  });
}
