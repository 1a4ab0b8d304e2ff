// ml_training_submit_job: the dry-run plan of a training job, and with confirm: true the job itself,
// started by the local executor (the default) or on a Ray cluster. Nothing starts without confirm.
import { readGpuInventory } from '../placement/nvidia-smi-run.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { childEnvironment, trainingJobEnvironment } from '../../child-environment.js';
import type { ToolContext } from '../../context.js';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { planPlacement } from '../placement/placement-tool.js';
import { executorFor, executorsToSearch } from './backends.js';
import type { JobRecord, JobSpec } from './executor.js';
import { jobPaths, prepareOutputDirectory, realDirectory } from './job-files.js';
import {
  datasetSummary,
  durationFromHistory,
  formatDuration,
  resolveOutputDirectory,
  resolveWorkingDirectory,
} from './job-plan.js';
import { jobRecordSchema, reported, resourcesSchema } from './job-schemas.js';

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const placementOutput = z.object({
  decision: z.enum(['gpu', 'refused', 'cpu']),
  device: z.string().nullable(),
  message: z.string(),
  formulas: z.array(z.string()),
});

const planSchema = z.object({
  backend: z.enum(['local', 'ray']),
  name: z.string(),
  command: z.array(z.string()),
  cwd: z.string(),
  outputDir: z.string(),
  envNames: z.array(z.string()).describe('the extra variables passed, by name; values are never shown'),
  resources: resourcesSchema,
  data: z
    .object({
      directory: z.string(),
      name: z.string().optional(),
      rows: z.number().optional(),
      dimension: z.number().optional(),
      codeDimension: z.number().optional(),
      context: z.number().optional(),
      splits: z.record(z.string(), z.number()).optional(),
      source: z.string().optional(),
      createdAt: z.string().optional(),
    })
    .nullable(),
  placement: placementOutput.nullable(),
  estimatedMemoryBytes: z.number().nullable(),
  estimatedDurationMs: z.number().nullable(),
  estimatedDuration: z.string(),
  blockedBy: z.string().nullable().describe('the active job (any backend) already writing to outputDir, if any'),
  notes: z.array(z.string()).optional().describe('what could not be checked (a Ray cluster that did not answer)'),
});

export const submitJob = defineTool({
  name: 'ml_training_submit_job',
  domain: 'ml-training',
  tags: ['training', 'train', 'fine-tune', 'model', 'job', 'submit', 'run', 'launch', 'ray', 'dry run', 'plan'],
  requests: [
    'start a training run in the background',
    'launch train.py as a job',
    'plan a training job before running it',
    'submit a job to the ray cluster',
    'run my training script and keep the logs',
    'fine-tune a model with my script',
  ],
  title: 'Plan or submit a training job',
  description:
    'Plans a training job and, with confirm: true, starts it. Without confirm NOTHING runs: it returns the plan (command, cwd, outputDir, the dataset manifest summary, resources, the GPU placement and memory estimate when `placement` is given, and the median duration of earlier successful jobs of the same name, or "no history"). With confirm: true the local executor starts the argv (never through a shell) in its own process group with logs, a heartbeat and a state file, and returns the job record; follow it with ml_training_get_job and ml_training_read_job_logs. At most one active job per outputDir. Not for one-off commands that finish at once. Example: {"command": ["node", "train.mjs"], "outputDir": "runs/example", "name": "example"}',
  kind: { effect: 'action' },
  input: z.object({
    command: z
      .array(z.string().min(1).max(4096))
      .min(1)
      .max(256)
      .describe('The program and its arguments (argv), e.g. ["python3", "train.py", "--epochs", "3"]; no shell.'),
    cwd: z
      .string()
      .min(1)
      .optional()
      .describe('Working directory inside the allowed roots; default the first allowed root.'),
    outputDir: z
      .string()
      .min(1)
      .describe('The directory the job writes to, inside the allowed roots (created on submit); one active job each.'),
    name: z
      .string()
      .min(1)
      .max(120)
      .optional()
      .describe('A name for the job; jobs of the same name give the duration estimate. Default: the outputDir name.'),
    env: z
      .record(z.string(), z.string().max(32_768))
      .optional()
      .describe('Extra environment variables for the job; values are never echoed back. CAELUM_* names are reserved.'),
    backend: z
      .enum(['local', 'ray'])
      .default('local')
      .describe('local (this machine, the default) or ray (needs mlTraining.ray in the config).'),
    resources: resourcesSchema.default({}).describe('What the job needs: {cpus, gpus, memoryMiB}.'),
    placement: planPlacement.input
      .optional()
      .describe(
        'The model to place, as ml_training_plan_placement takes it; the plan then shows the GPU and the memory estimate.',
      ),
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe('A dataset directory with manifest.json (or a dataset name in the data dir), shown in the plan.'),
    runId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/)
      .optional()
      .describe('The registry run this job reports to; passed as CAELUM_RUN_ID.'),
    runtimeEnv: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'Ray only: the runtime_env passed as given (working_dir, pip, conda, env_vars…), e.g. {"pip": ["torch"]}.',
      ),
    confirm: z.boolean().default(false).describe('Must be true to start the job; false returns the plan only.'),
  }),
  output: z.object({
    started: z.boolean(),
    plan: planSchema,
    job: jobRecordSchema.optional(),
    message: z.string(),
  }),
  examples: [
    { command: ['node', 'train.mjs'], outputDir: 'runs/example', name: 'example' },
    {
      command: ['python3', 'train.py', '--epochs', '3'],
      outputDir: 'runs/example',
      resources: { gpus: 1 },
      placement: {
        parameters: 125_000_000,
        dtype: 'bf16',
        optimizer: 'adamw',
        batchSize: 8,
        sequenceLength: 1024,
        hiddenSize: 768,
        layers: 12,
        allowCpu: true,
      },
    },
  ],
  async handler(input, context) {
    const roots = context.environment.allowedRoots;
    for (const name of Object.keys(input.env ?? {})) {
      if (!envName.test(name)) throw new InputError(`env.${name}`, 'not a variable name; use letters, digits and _');
      if (/^CAELUM_/i.test(name))
        throw new InputError(`env.${name}`, 'CAELUM_* variables are set by Caelum for the job; use another name');
    }
    if (input.runtimeEnv !== undefined && input.backend !== 'ray')
      throw new InputError(
        'runtimeEnv',
        'is for backend "ray" (Ray\'s runtime_env); a local job runs in this machine\'s environment: pass variables in env, or set backend: "ray"',
      );
    const cwd = await resolveWorkingDirectory(input.cwd, roots);
    const outputDir = await realDirectory(await resolveOutputDirectory(input.outputDir, roots));
    const name = input.name ?? path.basename(outputDir);
    const data = input.dataset ? await datasetSummary(input.dataset, roots, context.environment.dataDir) : undefined;
    const placed = input.placement ? await planPlacement.handler(input.placement, context) : undefined;
    const placement = placed
      ? {
          decision: placed.decision,
          device: placed.device?.label ?? null,
          message: placed.message,
          formulas: placed.estimate.formulas,
        }
      : null;
    const executor = executorFor(context, input.backend);
    const history = durationFromHistory(await executor.list(), name);
    const { blocker, notes } = await activeJobAt(context, outputDir);
    const plan = {
      backend: input.backend,
      name,
      command: input.command,
      cwd,
      outputDir,
      envNames: Object.keys(input.env ?? {}),
      resources: input.resources,
      data: data ? stripUndefined(data) : null,
      placement,
      estimatedMemoryBytes: placed ? placed.estimate.totalBytes : null,
      estimatedDurationMs: history?.medianMs ?? null,
      estimatedDuration: history
        ? `${formatDuration(history.medianMs)} (median of ${history.runs} earlier successful run(s) named ${name})`
        : `no history: no earlier successful job named ${name}`,
      blockedBy: blocker?.jobId ?? null,
      ...(notes.length > 0 ? { notes } : {}),
    };
    const noted = notes.length > 0 ? ` Not checked: ${notes.join('; ')}.` : '';
    if (!input.confirm) {
      const blocked = blocker ? ` It would be refused now: job ${blocker.jobId} is writing to ${outputDir}.` : '';
      return {
        started: false,
        plan,
        message: `Dry run: nothing was started.${blocked}${noted} Pass confirm: true to start the job.`,
      };
    }
    // One active job per output directory, whichever backend runs it (the local executor checks its own too).
    if (blocker) throw outputTaken(outputDir, blocker);
    if (placed?.decision === 'refused') throw new InputError('placement', placed.message);
    // GPUs asked for on this machine must exist here; a job must not quietly run on the CPU instead.
    if (input.backend === 'local' && (input.resources?.gpus ?? 0) > 0 && !placed) {
      const inventory = await readGpuInventory({ signal: context.signal });
      const count = inventory.ok ? inventory.devices.length : 0;
      if (count < input.resources!.gpus!)
        throw new InputError(
          'resources.gpus',
          `${input.resources!.gpus} GPU(s) requested but this machine has ${count}${inventory.ok ? '' : ` (${inventory.reason})`}; drop gpus to run on the CPU, or use backend "ray"`,
        );
    }
    const spec = jobSpec(input, context, { cwd, outputDir: await prepareOutputDirectory(outputDir), name });
    if (placed?.decision === 'gpu' && placed.device && input.env?.CUDA_VISIBLE_DEVICES === undefined)
      spec.env.CUDA_VISIBLE_DEVICES = placed.device.uuid;
    // Checked again under a per-directory lock, so two submits racing here (to Ray, where no executor
    // check is atomic) cannot both start: the second sees the first's job.
    const record = await withOutputLock(outputDir, async () => {
      const again = await activeJobAt(context, outputDir);
      if (again.blocker) throw outputTaken(outputDir, again.blocker);
      return executor.submit(spec);
    });
    if (placed) record.placement = placement ?? undefined;
    return {
      started: true,
      plan,
      job: reported(record),
      message: `Started job ${record.jobId} (${record.backend}); follow it with ml_training_get_job and ml_training_read_job_logs (manageTrainingJob status and logs).${noted}`,
    };
  },
  summarize: (o) => {
    const p = o.plan;
    const lines = [
      o.job
        ? `job ${o.job.jobId} ${o.job.state} (${o.job.backend}), pid ${o.job.pid ?? '-'}`
        : 'plan (nothing started)',
      `command: ${JSON.stringify(p.command)}`,
      `cwd: ${p.cwd}`,
      `output: ${p.outputDir}${p.blockedBy ? ` (in use by job ${p.blockedBy})` : ''}`,
      `resources: ${JSON.stringify(p.resources)}`,
    ];
    if (p.data)
      lines.push(`data: ${p.data.directory} (${p.data.rows ?? '?'} rows, dimension ${p.data.dimension ?? '?'})`);
    if (p.placement) lines.push(`placement: ${p.placement.message}`);
    lines.push(`estimated duration: ${p.estimatedDuration}`, o.message);
    return lines.join('\n');
  },
});

function jobSpec(
  input: {
    command: string[];
    env?: Record<string, string> | undefined;
    resources: JobSpec['resources'];
    runId?: string | undefined;
    dataset?: string | undefined;
    backend: string;
    runtimeEnv?: Record<string, unknown> | undefined;
  },
  context: ToolContext,
  where: { cwd: string; outputDir: string; name: string },
): JobSpec {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const jobId = `job-${stamp}-${randomBytes(3).toString('hex')}`;
  const env: Record<string, string> = {
    ...childEnvironment(context.environment.childEnvironment ?? {}),
    // A local job sees the host's GPU selection and libraries (CUDA_VISIBLE_DEVICES…); a Ray job runs
    // on a cluster node, whose own settings these would override. A placement overrides the GPU below.
    ...(input.backend === 'local' ? trainingJobEnvironment(context.environment.jobEnvironment ?? {}) : {}),
    ...input.env,
    CAELUM_JOB_ID: jobId,
    CAELUM_OUTPUT_DIR: where.outputDir,
    ...(input.backend === 'local' ? { CAELUM_METRICS_FILE: jobPaths(context.environment.dataDir, jobId).metrics } : {}),
    ...(input.runId ? { CAELUM_RUN_ID: input.runId } : {}),
  };
  return {
    jobId,
    name: where.name,
    command: input.command,
    cwd: where.cwd,
    env,
    outputDir: where.outputDir,
    resources: input.resources,
    metadata: {
      ...(input.runId ? { runId: input.runId } : {}),
      ...(input.dataset ? { dataset: input.dataset } : {}),
    },
    ...(input.runtimeEnv ? { runtimeEnv: input.runtimeEnv } : {}),
  };
}

/**
 * The active (PENDING or RUNNING) job writing to `outputDir` on any backend: local, and Ray when it
 * is configured. A Ray cluster that does not answer is noted, not fatal (local jobs are still checked).
 */
function outputTaken(outputDir: string, blocker: JobRecord): InputError {
  return new InputError(
    'outputDir',
    `${outputDir} is the output of job ${blocker.jobId} (${blocker.name}, ${blocker.state}) on the ${blocker.backend} backend; at most one job writes to an output directory: wait for it to end, stop it, or choose another outputDir`,
  );
}

/** Submits to one output directory, one at a time in this process. */
const outputLocks = new Map<string, Promise<unknown>>();
async function withOutputLock<T>(outputDir: string, work: () => Promise<T>): Promise<T> {
  const key = path.resolve(outputDir);
  const previous = outputLocks.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(work);
  const tail = mine.catch(() => undefined);
  outputLocks.set(key, tail);
  try {
    return await mine;
  } finally {
    if (outputLocks.get(key) === tail) outputLocks.delete(key);
  }
}

async function activeJobAt(
  context: ToolContext,
  outputDir: string,
): Promise<{ blocker: JobRecord | undefined; notes: string[] }> {
  const notes: string[] = [];
  for (const executor of executorsToSearch(context)) {
    let jobs: JobRecord[];
    try {
      jobs = await executor.list();
    } catch (error) {
      if (executor.backend === 'local') throw error;
      notes.push(`${executor.backend} jobs writing to the output directory (${(error as Error).message})`);
      continue;
    }
    const blocker = jobs.find(
      (j) =>
        (j.state === 'PENDING' || j.state === 'RUNNING') &&
        // Jobs of other data dirs or hosts (listed from PostgreSQL) write to their own machines' paths.
        !j.recordedElsewhere &&
        j.outputDir !== '' &&
        path.resolve(j.outputDir) === path.resolve(outputDir),
    );
    if (blocker) return { blocker, notes };
  }
  return { blocker: undefined, notes };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
