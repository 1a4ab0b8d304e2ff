// The dashboard's Training data, read by the ml-training tools an MCP call would run: jobs
// (ml_training_list_jobs, ml_training_get_job, ml_training_read_job_logs), runs with their metrics
// over time (ml_training_list_runs, ml_training_get_run) and the model registry with its aliases
// (ml_training_list_models). A watcher sends event `training` while a page is open when the job
// list changes, so the view follows a job's state live.
import { z } from 'zod';
import type { Suite } from '../../composition.js';
import type { DashboardEvents } from '../events.js';
import { params, tool, ApiError, type ApiContext, type ApiRoute, type ToolAnswer } from '../api.js';

const jobId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a job id such as job-example (letters, digits, ".", "_", "-")');

/** Runs whose metrics are read for one job's page. */
const runsPerJob = 5;

export const trainingExample = {
  submit: { command: ['node', 'train.mjs'], outputDir: 'runs/example', name: 'example', confirm: true },
  run: { name: 'example', jobId: '<the jobId submit returned>' },
  model: { name: 'profile-mlp', artifact: 'runs/example/model.safetensors', runId: '<run id>', alias: 'candidate' },
};

function failed(answer: ToolAnswer): string | undefined {
  return answer.ok ? undefined : `${answer.code}: ${answer.message}`;
}

async function training(context: ApiContext) {
  const query = params(context, z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }));
  const [jobs, runs, models] = await Promise.all([
    tool(context, 'ml_training_list_jobs', { limit: query.limit }),
    tool(context, 'ml_training_list_runs', { limit: 100 }),
    tool(context, 'ml_training_list_models', {}),
  ]);
  const jobList = jobs.ok ? (jobs.output.jobs as unknown[]) : [];
  const runList = runs.ok ? (runs.output.runs as unknown[]) : [];
  const modelList = models.ok ? (models.output.models as unknown[]) : [];
  const missing: Record<string, string> = {};
  if (jobs.ok && jobList.length === 0)
    missing.jobs = `No training job yet. Submit one with runTool {"name":"ml_training_submit_job","arguments":${JSON.stringify(trainingExample.submit)}} (without confirm it only plans); the script writes metrics as JSON lines {"step": n, "loss": …} to the file named by CAELUM_METRICS_FILE.`;
  if (runs.ok && runList.length === 0)
    missing.runs = `No run in the registry, so no metrics over time. Create one linked to the job with runTool {"name":"ml_training_create_run","arguments":${JSON.stringify(trainingExample.run)}}; its metrics then come from the job's metrics file.`;
  if (models.ok && modelList.length === 0)
    missing.models = `No model registered. Register a checkpoint with runTool {"name":"ml_training_register_model","arguments":${JSON.stringify(trainingExample.model)}}.`;
  return {
    ok: true,
    jobs: jobs.ok ? jobs.output : { error: failed(jobs) },
    runs: runs.ok ? runs.output : { error: failed(runs) },
    models: models.ok ? models.output : { error: failed(models) },
    ...(Object.keys(missing).length > 0 ? { missing } : {}),
  };
}

async function trainingJob(context: ApiContext) {
  const query = params(context, z.object({ jobId, tail: z.coerce.number().int().min(1).max(2000).default(200) }));
  const job = await tool(context, 'ml_training_get_job', { jobId: query.jobId });
  if (!job.ok) {
    if (job.code === 'NOT_FOUND' || /no job|not found|unknown job/i.test(job.message))
      throw new ApiError(404, job.message);
    return { ok: false, error: failed(job) };
  }
  const [logs, runs] = await Promise.all([
    tool(context, 'ml_training_read_job_logs', { jobId: query.jobId, tailLines: query.tail }),
    tool(context, 'ml_training_list_runs', { jobId: query.jobId, limit: runsPerJob }),
  ]);
  const runIds = runs.ok ? (runs.output.runs as { runId: string }[]).map((r) => r.runId) : [];
  const details = await Promise.all(runIds.map((runId) => tool(context, 'ml_training_get_run', { runId })));
  return {
    ok: true,
    job: job.output.job,
    logs: logs.ok ? logs.output : { error: failed(logs) },
    runs: details.map((answer, index) =>
      answer.ok ? answer.output.run : { runId: runIds[index], error: failed(answer) },
    ),
    ...(runs.ok && runIds.length === 0
      ? {
          missing: `No run reports to job ${query.jobId}, so its metrics are not read. Link one with runTool {"name":"ml_training_create_run","arguments":${JSON.stringify({ name: (job.output.job as { name: string }).name, jobId: query.jobId })}}; the metrics the job wrote to CAELUM_METRICS_FILE then show here.`,
        }
      : {}),
  };
}

export const trainingRoutes: ApiRoute[] = [
  { path: 'training', handler: training },
  { path: 'training/job', handler: trainingJob },
];

/** The job list's states, sent as event `training` when it changes (every 5 s while a page is open). */
export function trainingWatcher(events: DashboardEvents, suite: Suite): void {
  const signal = new AbortController().signal;
  events.watch('training', 5_000, async () => {
    const answer = await tool({ suite, params: new URLSearchParams(), signal }, 'ml_training_list_jobs', {
      limit: 50,
    });
    if (!answer.ok) return { error: answer.message };
    const jobs = answer.output.jobs as { jobId: string; state: string; endedAt?: string; heartbeatAt?: string }[];
    return {
      total: answer.output.total,
      jobs: jobs.map((j) => ({ jobId: j.jobId, state: j.state, ...(j.endedAt ? { endedAt: j.endedAt } : {}) })),
    };
  });
}
