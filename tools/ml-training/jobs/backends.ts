// Which executor runs a job: the local one (the default, one store per data dir) or a Ray cluster
// (when mlTraining.ray is configured). The job tools reach executors only through here.
import type { MlTrainingSettings, ToolContext } from '../../context.js';
import { InputError, ToolError } from '../../errors.js';
import type { BackendName, Executor, JobRecord } from './executor.js';
import type { LocalExecutor, LocalJobSettings } from './local-executor.js';
import { localJobStore } from './local-job-store.js';
import { RayExecutor } from './ray-executor.js';

const defaultJobSettings: LocalJobSettings = { heartbeatMs: 1_000, stopGraceMs: 2_000, logTailLines: 40 };

export function jobSettings(context: ToolContext): LocalJobSettings {
  return context.environment.mlTraining?.jobs ?? defaultJobSettings;
}

/** The data dir's store; with databaseUrl configured, its records are also kept in PostgreSQL. */
export function localExecutor(context: ToolContext): LocalExecutor {
  const url = context.environment.services.databaseUrl;
  return localJobStore(context.environment.dataDir, jobSettings(context), context.logger, url ? { url } : undefined);
}

function raySettings(context: ToolContext): NonNullable<MlTrainingSettings['ray']> | undefined {
  return context.environment.mlTraining?.ray;
}

export function executorFor(context: ToolContext, backend: BackendName): Executor {
  if (backend === 'local') return localExecutor(context);
  const ray = raySettings(context);
  if (!ray) throw new InputError('backend', 'ray needs mlTraining.ray.address in caelum.config.json');
  // The key holds the token only in memory, so a changed token gets a new client.
  const key = `${ray.address}\n${ray.timeoutMs}\n${ray.token ?? ''}`;
  let executor = rayExecutors.get(key);
  if (!executor) {
    // Only the job's own variables travel in runtime_env: the host allow-list is left out by value.
    executor = new RayExecutor(ray, { hostEnvironment: context.environment.childEnvironment ?? {} });
    rayExecutors.set(key, executor);
  }
  return executor;
}

/** One Ray client per head node (and timeout) per process. */
const rayExecutors = new Map<string, RayExecutor>();

/** The executors a job id may belong to: local first, then Ray when it is configured. */
export function executorsToSearch(context: ToolContext): Executor[] {
  const executors: Executor[] = [localExecutor(context)];
  if (raySettings(context)) {
    try {
      executors.push(executorFor(context, 'ray'));
    } catch {
      // Not wired: only local jobs can be found.
    }
  }
  return executors;
}

/** The job and the executor that holds it, or an InputError naming the id. */
export async function findJob(context: ToolContext, jobId: string): Promise<{ executor: Executor; record: JobRecord }> {
  const unreachable: string[] = [];
  for (const executor of executorsToSearch(context)) {
    try {
      const record = await executor.status(jobId);
      if (record) return { executor, record };
    } catch (error) {
      // A Ray cluster that is down must not hide that the id is unknown locally; it is named below.
      if (executor.backend === 'local') throw error;
      unreachable.push((error as Error).message);
    }
  }
  if (unreachable.length > 0)
    throw new ToolError('UNAVAILABLE', `job ${jobId} is not a local job, and ${unreachable.join('; ')}`);
  // With the database down, the id may be another data dir's job: say so rather than "no job".
  const problem = localExecutor(context).databaseProblem();
  if (problem) throw new ToolError('UNAVAILABLE', `job ${jobId} is not in this data dir, and ${problem}`);
  throw new InputError('jobId', `no job ${jobId}; ml_training_list_jobs lists the jobs there are`);
}
