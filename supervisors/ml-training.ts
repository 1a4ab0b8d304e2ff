// The ml-training supervisor: training jobs (local executor by default, Ray when configured), datasets
// from PostgreSQL or a collection, and model assessment (checkpoint header against a data contract,
// predictions against baselines, registration with an alias). The published schemas are compact;
// the internal tools' full schemas check every call.
import { z } from 'zod';
import { InputError } from '../tools/errors.js';
import type { InvokeOptions } from '../tools/router.js';
import { defineHighLevelTool, runStep, StepFailure, type Supervisor, type SupervisorCall } from './high-level-tool.js';

const tool = {
  submit: 'ml_training_submit_job',
  get: 'ml_training_get_job',
  logs: 'ml_training_read_job_logs',
  stop: 'ml_training_stop_job',
  list: 'ml_training_list_jobs',
  prepare: 'ml_training_prepare_dataset',
  createRun: 'ml_training_create_run',
  listRuns: 'ml_training_list_runs',
  getRun: 'ml_training_get_run',
  inspect: 'ml_training_inspect_checkpoint',
  evaluate: 'ml_training_evaluate_predictions',
  register: 'ml_training_register_model',
} as const;

type Row = Record<string, unknown>;

const actions = ['plan', 'submit', 'status', 'logs', 'stop', 'list'] as const;

/** Option keys each action passes on to its internal tool (the rest of `options` is refused by name). */
const optionKeys: Record<(typeof actions)[number], readonly string[]> = {
  plan: ['name', 'cwd', 'backend', 'env', 'resources', 'placement', 'dataset', 'runtimeEnv'],
  submit: ['name', 'cwd', 'backend', 'env', 'resources', 'placement', 'dataset', 'runtimeEnv'],
  status: [],
  logs: ['tailLines', 'offset', 'followMs'],
  stop: [],
  list: ['state', 'limit'],
};

function needs(input: { action: string }, field: string, value: unknown, example: string): void {
  if (value === undefined)
    throw new InputError(field, `${input.action} needs ${field}; e.g. {"action": "${input.action}", ${example}}`);
}

/** The run a job reports to, found by its job id; undefined when none was created. */
async function runOfJob(call: SupervisorCall, jobId: string): Promise<Row | undefined> {
  const outcome = await call.run(tool.listRuns, { jobId, limit: 1 });
  if (!outcome.ok) return undefined;
  const runs = ((outcome.output as Row).runs ?? []) as Row[];
  const listed = runs.find((run) => run.jobId === jobId);
  if (!listed) return undefined;
  // The run's status and metrics as of now, folded from the job.
  const run = await call.run(tool.getRun, { runId: listed.runId });
  return run.ok ? ((run.output as Row).run as Row) : listed;
}

/** runStep, with the job tools' own advice pointed at manageTrainingJob. */
async function step(
  call: SupervisorCall,
  name: string,
  args: unknown,
  fields: Record<string, string> = {},
  options: InvokeOptions = {},
) {
  try {
    return await runStep(call, name, args, fields, options);
  } catch (error) {
    if (!(error instanceof StepFailure)) throw error;
    const message = error.failure.message.replace(
      'ml_training_list_jobs lists the jobs there are',
      'manageTrainingJob {"action": "list"} lists them',
    );
    throw new StepFailure({ ...error.failure, message });
  }
}

/** Option fields of manageTrainingJob as the internal job tools name them. */
const jobFields = Object.fromEntries(
  [
    'name',
    'cwd',
    'backend',
    'env',
    'resources',
    'placement',
    'dataset',
    'runtimeEnv',
    'tailLines',
    'offset',
    'followMs',
    'state',
    'limit',
  ].map((key) => [key, `options.${key}`]),
);

const manageTrainingJob = defineHighLevelTool({
  name: 'manageTrainingJob',
  owner: 'ml-training',
  title: 'Manage training jobs',
  description:
    'Training jobs, local or on Ray; plan is a dry run with placement and estimates. Example: {"action":"plan","command":["node","t.mjs"],"outputDir":"out"}',
  kind: { effect: 'destructive' },
  input: z.object({
    action: z.enum(actions).describe('What to do.'),
    jobId: z.string().min(1).max(200).optional().describe('for status, logs, stop'),
    command: z.array(z.string()).optional().describe('argv, no shell'),
    outputDir: z.string().optional().describe('one active job per dir'),
    options: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('name, cwd, backend, env, resources, placement, dataset; tailLines, offset, followMs; state, limit'),
    confirm: z.boolean().default(false).describe('true to submit or stop'),
  }),
  output: z.object({
    action: z.enum(actions),
    job: z.record(z.string(), z.unknown()).optional(),
    plan: z.record(z.string(), z.unknown()).optional(),
    run: z.record(z.string(), z.unknown()).optional(),
    logs: z.record(z.string(), z.unknown()).optional(),
    jobs: z.array(z.unknown()).optional(),
  }),
  examples: [{ action: 'list' }, { action: 'plan', command: ['node', '--version'], outputDir: 'runs/example' }],
  async handler(input, call) {
    const options = input.options ?? {};
    for (const key of Object.keys(options))
      if (!optionKeys[input.action].includes(key))
        throw new InputError(
          `options.${key}`,
          `${input.action} takes no option "${key}"; it takes ${optionKeys[input.action].join(', ') || 'none'}`,
        );
    switch (input.action) {
      case 'plan':
      case 'submit': {
        needs(input, 'command', input.command, '"command": ["node", "train.mjs"], "outputDir": "runs/a"');
        needs(input, 'outputDir', input.outputDir, '"command": ["node", "train.mjs"], "outputDir": "runs/a"');
        const confirmed = input.action === 'submit' && input.confirm;
        const args = {
          command: input.command,
          outputDir: input.outputDir,
          ...options,
          confirm: confirmed,
        };
        const outcome = await step(call, tool.submit, args, jobFields);
        const output = outcome.output as Row;
        if (!confirmed) {
          const text =
            input.action === 'submit'
              ? `${outcome.text}\nNothing was started: pass confirm: true to submit.`
              : outcome.text;
          return { result: { action: input.action, plan: (output.plan ?? output) as Row }, text };
        }
        const job = (output.job ?? output) as Row;
        // The run records the job's parameters and data; its status and metrics follow the job.
        const run = await call.run(tool.createRun, {
          name: String(options.name ?? job.name ?? input.command![0]),
          params: {
            command: input.command!.join(' '),
            outputDir: input.outputDir!,
            backend: String(options.backend ?? 'local'),
            ...(options.resources ? { resources: JSON.stringify(options.resources) } : {}),
          },
          ...(typeof options.dataset === 'string' ? { dataset: options.dataset } : {}),
          jobId: job.jobId,
        });
        const recorded = run.ok ? ((run.output as Row).run as Row) : undefined;
        const runText = recorded
          ? `run ${String(recorded.runId)} records it`
          : `the run could not be recorded: ${run.ok ? 'no run returned' : run.error.message}`;
        return {
          result: { action: 'submit' as const, job, ...(recorded ? { run: recorded } : {}) },
          text: `${outcome.text}\n${runText}`,
        };
      }
      case 'status': {
        needs(input, 'jobId', input.jobId, '"jobId": "…"');
        const outcome = await step(call, tool.get, { jobId: input.jobId });
        const run = await runOfJob(call, input.jobId!);
        return {
          result: { action: 'status' as const, job: (outcome.output as Row).job as Row, ...(run ? { run } : {}) },
          text: outcome.text + (run ? `\nrun ${String(run.runId)}: ${String(run.status)}` : ''),
        };
      }
      case 'logs': {
        needs(input, 'jobId', input.jobId, '"jobId": "…", "options": {"tailLines": 50}');
        const outcome = await step(call, tool.logs, { jobId: input.jobId, ...options }, jobFields);
        return { result: { action: 'logs' as const, logs: outcome.output as Row }, text: outcome.text };
      }
      case 'stop': {
        needs(input, 'jobId', input.jobId, '"jobId": "…", "confirm": true');
        if (!input.confirm) {
          const job = await step(call, tool.get, { jobId: input.jobId });
          const record = (job.output as Row).job as Row;
          const advice = ['PENDING', 'RUNNING'].includes(String(record.state))
            ? record.recordedElsewhere
              ? 'it runs under another data dir or host, and only the Caelum there can stop it.'
              : 'pass confirm: true to stop this job (its whole process group).'
            : `it already ended (${String(record.state)}).`;
          return {
            result: { action: 'stop' as const, job: record },
            text: `${job.text}\nNothing was stopped: ${advice}`,
          };
        }
        const outcome = await step(call, tool.stop, { jobId: input.jobId, confirm: true }, {}, { confirm: true });
        const output = outcome.output as Row;
        return { result: { action: 'stop' as const, job: (output.job ?? output) as Row }, text: outcome.text };
      }
      case 'list': {
        const outcome = await step(call, tool.list, options, jobFields);
        const output = outcome.output as Row;
        return { result: { action: 'list' as const, jobs: (output.jobs ?? []) as unknown[] }, text: outcome.text };
      }
    }
  },
});

const prepareDataset = defineHighLevelTool({
  name: 'prepareDataset',
  owner: 'ml-training',
  title: 'Prepare a training dataset',
  description:
    'Streams vectors from a PostgreSQL table or knowledge collection into an npz dataset with 80/10/10 splits. Example: {"table":"cpe_entry","columns":{"id":"cpe_id","vector":"concept_vec"}}',
  kind: { effect: 'action' },
  input: z.object({
    table: z.string().optional().describe('schema.table'),
    columns: z.record(z.string(), z.string()).optional().describe('{id, vector, code, label}'),
    where: z.array(z.record(z.string(), z.unknown())).optional().describe('[{column, op, value}]'),
    orderBy: z.string().optional().describe('e.g. id desc'),
    limit: z.number().int().min(1).optional().describe('rows'),
    collection: z.string().optional().describe('instead of table'),
    context: z.number().int().min(1).max(64).optional().describe('window, default 1'),
    outputDir: z.string().optional().describe('dataset dir'),
    overwrite: z.boolean().optional().describe('replace it'),
  }),
  output: z
    .object({
      directory: z.string(),
      rows: z.number(),
      skipped: z.unknown(),
      dimension: z.number(),
      splits: z.unknown(),
    })
    .loose(),
  examples: [{ table: 'cpe_entry', columns: { id: 'cpe_id', vector: 'concept_vec' }, limit: 1000 }],
  async handler(input, call) {
    const columns = input.columns ?? {};
    const order = input.orderBy?.trim().split(/\s+/);
    const args = {
      ...(input.table ? { table: input.table } : {}),
      ...(columns.id ? { idColumn: columns.id } : {}),
      ...(columns.vector ? { vectorColumn: columns.vector } : {}),
      ...(columns.code ? { codeColumn: columns.code } : {}),
      ...(columns.label ? { labelColumn: columns.label } : {}),
      ...(columns.text ? { textColumn: columns.text } : {}),
      ...(input.where ? { where: input.where } : {}),
      ...(order ? { orderBy: { column: order[0], direction: (order[1] ?? 'asc').toLowerCase() } } : {}),
      ...(input.limit ? { limit: input.limit } : {}),
      ...(input.collection ? { collection: input.collection } : {}),
      ...(input.context ? { context: input.context } : {}),
      ...(input.outputDir ? { outputDir: input.outputDir } : {}),
      ...(input.overwrite ? { overwrite: input.overwrite } : {}),
    };
    const outcome = await step(call, tool.prepare, args, {
      idColumn: 'columns.id',
      vectorColumn: 'columns.vector',
      codeColumn: 'columns.code',
      labelColumn: 'columns.label',
      textColumn: 'columns.text',
      'orderBy.column': 'orderBy',
      'orderBy.direction': 'orderBy',
    });
    return {
      result: outcome.output as {
        directory: string;
        rows: number;
        dimension: number;
        skipped: unknown;
        splits: unknown;
      },
      text: outcome.text,
    };
  },
});

const assessModel = defineHighLevelTool({
  name: 'assessModel',
  owner: 'ml-training',
  title: 'Assess a model',
  description:
    'Checks a checkpoint (safetensors, ONNX, npy, npz) against a data contract before loading, scores predictions against baselines, registers it if it passes. Example: {"checkpoint":"m.onnx","predictions":"p.npy","dataset":"d"}',
  kind: { effect: 'action' },
  input: z.object({
    checkpoint: z.string().optional().describe('path'),
    contract: z.record(z.string(), z.unknown()).optional().describe('{dimensions, tensors}'),
    predictions: z.string().optional().describe('.npy path'),
    dataset: z.string().optional().describe('dir or name'),
    context: z.number().int().min(1).max(64).optional().describe('window length'),
    register: z.record(z.string(), z.string()).optional().describe('{name, alias, runId}'),
  }),
  output: z.object({
    checkpoint: z.record(z.string(), z.unknown()).optional(),
    evaluation: z.record(z.string(), z.unknown()).optional(),
    registered: z.record(z.string(), z.unknown()).nullable().optional(),
    passed: z.boolean(),
    verdict: z.string(),
  }),
  examples: [
    {
      checkpoint: 'models/profile.safetensors',
      contract: { dimensions: { profiles: 7, features: 5 }, tensors: { 'profile.weight': ['profiles', 'features'] } },
    },
  ],
  async handler(input, call) {
    if (input.checkpoint === undefined && input.predictions === undefined)
      throw new InputError(
        'checkpoint',
        'pass a checkpoint (with a contract) and/or predictions with a dataset; e.g. {"checkpoint": "model.safetensors", "contract": {…}}',
      );
    if (input.register && typeof input.register.name !== 'string')
      throw new InputError(
        'register.name',
        'name the model to register, e.g. {"name": "next-vector", "alias": "candidate"}',
      );
    if (input.register && input.checkpoint === undefined)
      throw new InputError('register', 'registering needs the checkpoint that is registered; pass checkpoint');
    const texts: string[] = [];
    const reasons: string[] = [];
    let checkpoint: Row | undefined;
    let evaluation: Row | undefined;
    if (input.checkpoint !== undefined) {
      const outcome = await step(
        call,
        tool.inspect,
        {
          path: input.checkpoint,
          ...(input.contract ? { contract: input.contract } : {}),
        },
        { path: 'checkpoint' },
      );
      checkpoint = outcome.output as Row;
      texts.push(outcome.text);
      const report = checkpoint.report as { compatible: boolean } | undefined;
      if (report && !report.compatible) reasons.push('the checkpoint does not match the contract');
      if (!report && input.register) reasons.push('no contract was given to check the checkpoint against');
    }
    if (input.predictions !== undefined) {
      if (input.dataset === undefined)
        throw new InputError(
          'dataset',
          'evaluating predictions needs the dataset they are for; e.g. {"predictions": "runs/a/predictions.npy", "dataset": "datasets/x"}',
        );
      const outcome = await step(call, tool.evaluate, {
        dataset: input.dataset,
        predictions: input.predictions,
        ...(input.context ? { context: input.context } : {}),
      });
      evaluation = outcome.output as Row;
      texts.push(outcome.text);
      const verdict = evaluation.verdict as { beatsAll: boolean; notBeaten: string[] };
      if (!verdict.beatsAll) reasons.push(`it does not beat ${verdict.notBeaten.join(', ')}`);
    }
    const passed = reasons.length === 0;
    let registered: Row | null | undefined;
    if (input.register) {
      if (!passed) registered = null;
      else {
        const outcome = await step(
          call,
          tool.register,
          {
            name: input.register.name,
            artifact: input.checkpoint,
            ...(input.register.runId ? { runId: input.register.runId } : {}),
            ...(input.contract ? { contract: input.contract } : {}),
            ...(input.register.alias ? { alias: input.register.alias } : {}),
          },
          {
            name: 'register.name',
            alias: 'register.alias',
            runId: 'register.runId',
            artifact: 'checkpoint',
            confirm: 'register.alias',
          },
        );
        registered = outcome.output as Row;
        texts.push(outcome.text);
      }
    }
    const verdict = passed
      ? `passed${registered ? `; registered as ${input.register!.name}` : ''}`
      : `not passed: ${reasons.join('; ')}${input.register ? '; not registered' : ''}`;
    texts.push(verdict);
    return {
      result: {
        ...(checkpoint ? { checkpoint } : {}),
        ...(evaluation ? { evaluation } : {}),
        ...(registered !== undefined ? { registered } : {}),
        passed,
        verdict,
      },
      text: texts.join('\n'),
    };
  },
});

export const mlTrainingSupervisor: Supervisor = {
  name: 'ml-training',
  description: 'Model training: jobs, datasets, checkpoints, evaluation, runs and models.',
  tools: [manageTrainingJob, prepareDataset, assessModel],
};
