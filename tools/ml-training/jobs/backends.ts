// Which executor runs a job: the local one (the default, one store per data dir) or a Ray cluster
// (when mlTraining.ray is configured). The job tools reach executors only through here.
import type { MlTrainingSettings, ToolContext } from '../../context.js';
import { InputError, ToolError } from '../../errors.js';
import type { BackendName, Executor, JobRecord } from './executor.js';
import type { LocalExecutor, LocalJobSettings } from './local-executor.js';
import { localJobStore } from './local-job-store.js';

const defaultJobSettings: LocalJobSettings = { heartbeatMs: 1_000, stopGraceMs: 2_000, logTailLines: 40 };

export function jobSettings(context: ToolContext): LocalJobSettings {
  return context.environment.mlTraining?.jobs ?? defaultJobSettings;
}

export function localExecutor(context: ToolContext): LocalExecutor {
  return localJobStore(context.environment.dataDir, jobSettings(context), context.logger);
}

function raySettings(context: ToolContext): NonNullable<MlTrainingSettings['ray']> | undefined {
  return context.environment.mlTraining?.ray;
}

export function executorFor(context: ToolContext, backend: BackendName): Executor {
  if (backend === 'local') return localExecutor(context);
  const ray = raySettings(context);
  if (!ray) throw new InputError('backend', 'ray needs mlTraining.ray.address in caelum.config.json');
  // TODO(lead): return new RayExecutor(ray, {}) from './ray-executor.js' once helper B's file is merged.
  throw new ToolError('NOT_CONFIGURED', `the Ray backend (${ray.address}) is not wired into this build yet`);
}

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
  for (const executor of executorsToSearch(context)) {
    const record = await executor.status(jobId);
    if (record) return { executor, record };
  }
  throw new InputError('jobId', `no job ${jobId}; ml_training_list_jobs lists the jobs there are`);
}
