// The runs and models registry as internal tools: ml_training_create_run, ml_training_log_run,
// ml_training_get_run, ml_training_list_runs, ml_training_register_model, ml_training_set_model_alias
// and ml_training_list_models. The work is in registry.ts; these are the schemas and the words.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import {
  createRun,
  getRun,
  listModels,
  listRuns,
  logRun,
  registerModel,
  registryEnvironment,
  setModelAlias,
  type MlflowSyncResult,
  type RunView,
} from './registry.js';
import { runStatuses } from './registry-store.js';

const paramValue = z.union([z.string(), z.number(), z.boolean()]);

const mlflowSchema = z
  .object({
    synced: z.boolean(),
    trackingUri: z.string(),
    experimentId: z.string().optional(),
    runId: z.string().optional(),
    sent: z.object({
      metrics: z.number().int(),
      params: z.number().int(),
      tags: z.number().int(),
      statusUpdates: z.number().int(),
      modelVersions: z.number().int(),
      aliases: z.number().int(),
    }),
    requests: z.number().int(),
    error: z.string().optional(),
  })
  .optional();

const metricPointSchema = z.object({
  step: z.number(),
  timestamp: z.number().optional(),
  values: z.record(z.string(), z.number()),
  source: z.enum(['run', 'job']),
});

const artifactSchema = z.object({
  path: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
  loggedAt: z.string(),
});

const runSchema = z.object({
  runId: z.string(),
  name: z.string(),
  params: z.record(z.string(), paramValue),
  dataManifest: z.object({ path: z.string(), sha256: z.string(), manifest: z.unknown() }).optional(),
  metricPoints: z.number().int(),
  metrics: z.array(metricPointSchema),
  latestMetrics: z.record(z.string(), z.object({ value: z.number(), step: z.number() })),
  artifacts: z.array(artifactSchema),
  status: z.enum(runStatuses),
  codeVersion: z.string().optional(),
  gitCommit: z.string().optional(),
  jobId: z.string().optional(),
  job: z
    .union([
      z.object({ found: z.literal(false) }),
      z.object({
        found: z.literal(true),
        state: z.string(),
        exitCode: z.number().nullable().optional(),
        message: z.string().optional(),
        skippedMetricLines: z.number().int(),
      }),
    ])
    .optional(),
  createdAt: z.string(),
  endedAt: z.string().optional(),
  mlflowRunId: z.string().optional(),
});

const versionSchema = z.object({
  version: z.number().int(),
  source: z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int() }),
  runId: z.string().optional(),
  contract: z.unknown().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  createdAt: z.string(),
});

const modelSchema = z.object({
  name: z.string(),
  versions: z.array(versionSchema),
  aliases: z.record(z.string(), z.number().int()),
  createdAt: z.string(),
  updatedAt: z.string(),
  mlflowVersions: z.record(z.string(), z.string()).optional(),
});

/** The run with its most recent `points` metric points (all are kept in the registry). */
function shown(run: RunView, points = 200): z.input<typeof runSchema> {
  return { ...run, metricPoints: run.metrics.length, metrics: points === 0 ? [] : run.metrics.slice(-points) };
}

function mlflowLine(mlflow: MlflowSyncResult | undefined): string[] {
  if (!mlflow) return [];
  if (!mlflow.synced) return [`MLflow sync FAILED: ${mlflow.error ?? 'unknown error'}`];
  const s = mlflow.sent;
  return [
    `MLflow ${mlflow.trackingUri}: synced${mlflow.runId ? ` (run ${mlflow.runId})` : ''}; sent ${s.metrics} metrics, ${s.params} params, ${s.tags} tags, ${s.statusUpdates} status updates, ${s.modelVersions} versions, ${s.aliases} aliases in ${mlflow.requests} requests`,
  ];
}

function runLines(run: z.output<typeof runSchema>): string[] {
  const latest = Object.entries(run.latestMetrics)
    .map(([k, v]) => `${k}=${v.value} (step ${v.step})`)
    .join(', ');
  return [
    `run ${run.runId} "${run.name}": ${run.status}${run.jobId ? ` (job ${run.jobId}${run.job?.found ? ` ${run.job.state}` : ', no job record yet'})` : ''}, created ${run.createdAt}${run.endedAt ? `, ended ${run.endedAt}` : ''}`,
    `  ${run.metricPoints} metric points${latest ? `; latest ${latest}` : ''}; ${run.artifacts.length} artifacts; ${Object.keys(run.params).length} params`,
    ...(run.dataManifest
      ? [`  data: ${run.dataManifest.path} (manifest sha256 ${run.dataManifest.sha256.slice(0, 12)})`]
      : []),
  ];
}

const runIdField = z
  .string()
  .min(1)
  .max(64)
  .describe('The run id ml_training_create_run returned (ml_training_list_runs lists them).');

export const createRunTool = defineTool({
  name: 'ml_training_create_run',
  domain: 'ml-training',
  tags: ['run', 'experiment', 'tracking', 'mlflow', 'params', 'hyperparameters', 'dataset', 'manifest'],
  requests: [
    'start tracking a training run',
    'record the hyperparameters of this training',
    'log a new experiment run with its dataset',
    'create an mlflow run for my job',
  ],
  title: 'Create a training run in the registry',
  description:
    'Creates a run in the registry: its name, parameters (hyperparameters), the dataset\'s manifest.json (content and sha256) when a dataset directory is given, the code version, and the job it reports from when jobId is given (its status and metrics then come from that job). Returns the run id to pass to ml_training_log_run and ml_training_get_run, and, when an MLflow server is configured, logs the run there too. It does not start training: submit a job for that. Example: {"name": "profile-mlp", "params": {"learning_rate": 0.01, "epochs": 20}, "dataset": "datasets/concepts"}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    name: z.string().min(1).max(250).describe('What is trained, e.g. profile-mlp; runs of the same name are compared.'),
    params: z
      .record(z.string().min(1).max(250), paramValue)
      .default({})
      .describe('Hyperparameters and settings, name → value (each value at most 6000 characters as text).'),
    dataset: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        'Dataset directory holding manifest.json: a path inside the allowed roots, or the name of a dataset prepared into the data dir.',
      ),
    jobId: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        'The training job this run reports from; its state sets the run status and its metrics file the metrics.',
      ),
  }),
  output: z.object({ run: runSchema, mlflow: mlflowSchema }),
  examples: [{ name: 'profile-mlp', params: { learning_rate: 0.01, epochs: 20 } }],
  async handler(input, context) {
    const result = await createRun(registryEnvironment(context), input);
    return { run: shown(result.run), mlflow: result.mlflow };
  },
  summarize: (o) => [...runLines(o.run), ...mlflowLine(o.mlflow)].join('\n'),
});

export const logRunTool = defineTool({
  name: 'ml_training_log_run',
  domain: 'ml-training',
  tags: ['run', 'metrics', 'loss', 'artifact', 'status', 'mlflow', 'tracking'],
  requests: [
    'log the loss at this step',
    'record validation metrics for my run',
    'attach the checkpoint file to the run',
    'mark the run as finished',
  ],
  title: 'Log metrics, artifacts or the end status of a run',
  description:
    'Adds metric points (step and name → value) to a run, records artifact files from the allowed roots with their sha256 and size, and sets the end status (FINISHED, FAILED or KILLED) of a run that has no job (a job-linked run takes its status from the job). Metrics are appended, never overwritten; an ended run keeps its status. Mirrors what is new to MLflow when configured. Example: {"runId": "example-run-0001", "metrics": [{"step": 10, "values": {"loss": 0.31, "val_loss": 0.35}}], "status": "FINISHED"}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    runId: runIdField,
    metrics: z
      .array(
        z.object({
          step: z.number().int().min(0).describe('Training step or epoch.'),
          values: z
            .record(z.string().min(1).max(250), z.number())
            .describe('Metric name → value, e.g. {"loss": 0.31}.'),
          timestamp: z.number().optional().describe('When it was measured, ms since the epoch; default now.'),
        }),
      )
      .max(100_000)
      .optional()
      .describe('Metric points to append.'),
    artifacts: z
      .array(z.string().min(1).max(4096))
      .max(100)
      .optional()
      .describe('Files the run produced (checkpoints, reports), inside the allowed roots; each is hashed.'),
    status: z
      .enum(['FINISHED', 'FAILED', 'KILLED'])
      .optional()
      .describe('End the run with this status (runs without a job only).'),
  }),
  output: z.object({
    run: runSchema,
    logged: z.object({ metrics: z.number().int(), artifacts: z.number().int() }),
    mlflow: mlflowSchema,
  }),
  examples: [{ runId: 'example-run-0001', metrics: [{ step: 1, values: { loss: 0.42, val_loss: 0.47 } }] }],
  async handler(input, context) {
    const result = await logRun(registryEnvironment(context), input);
    return { run: shown(result.run), logged: result.logged, mlflow: result.mlflow };
  },
  summarize: (o) =>
    [
      `logged ${o.logged.metrics} metric points and ${o.logged.artifacts} artifacts`,
      ...runLines(o.run),
      ...mlflowLine(o.mlflow),
    ].join('\n'),
});

export const getRunTool = defineTool({
  name: 'ml_training_get_run',
  domain: 'ml-training',
  tags: ['run', 'metrics', 'status', 'history', 'mlflow', 'job', 'tracking', 'parameters'],
  requests: [
    'how is my training run doing',
    'show the loss curve of this run',
    'did the run finish or fail',
    'what dataset and parameters did this run use',
  ],
  title: 'Get a run: status, metrics over time, artifacts',
  description:
    'Returns one run: parameters, data manifest, metric points over time and the latest value of each metric, artifacts, status, code version. A run linked to a job takes its status from the job\'s state (SUCCEEDED → FINISHED, FAILED or LOST → FAILED, STOPPED → KILLED, else RUNNING) and its metrics from the job\'s metrics file, read now. When MLflow is configured it sends MLflow whatever it has not seen yet. Use ml_training_list_runs to find run ids. Example: {"runId": "example-run-0001"}',
  kind: { effect: 'action', idempotent: true, openWorld: true },
  input: z.object({
    runId: runIdField,
    points: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(200)
      .describe('How many of the most recent metric points to return (all are kept).'),
  }),
  output: z.object({ run: runSchema, mlflow: mlflowSchema }),
  examples: [{ runId: 'example-run-0001' }],
  async handler(input, context) {
    const result = await getRun(registryEnvironment(context), input.runId);
    return { run: shown(result.run, input.points), mlflow: result.mlflow };
  },
  summarize: (o) => [...runLines(o.run), ...mlflowLine(o.mlflow)].join('\n'),
});

export const listRunsTool = defineTool({
  name: 'ml_training_list_runs',
  domain: 'ml-training',
  tags: ['runs', 'experiments', 'history', 'status', 'tracking', 'compare', 'finished'],
  requests: ['list my training runs', 'which runs failed', 'show recent experiments named profile-mlp'],
  title: 'List runs in the registry',
  description:
    'Lists runs, newest first, with status (job-linked runs read their job), creation and end time, job and MLflow ids; filter by name, status or jobId (the runs a job reports to). Use ml_training_get_run for one run\'s metrics and parameters. Example: {"status": "FAILED", "limit": 10}',
  kind: { effect: 'readOnly' },
  input: z.object({
    name: z.string().min(1).max(250).optional().describe('Only runs of this name.'),
    status: z.enum(runStatuses).optional().describe('Only runs in this status.'),
    jobId: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('Only the runs linked to this job (the job id ml_training_submit_job returned).'),
    limit: z.number().int().min(1).max(500).default(20).describe('At most this many runs.'),
  }),
  output: z.object({
    runs: z.array(
      z.object({
        runId: z.string(),
        name: z.string(),
        status: z.enum(runStatuses),
        createdAt: z.string(),
        endedAt: z.string().optional(),
        jobId: z.string().optional(),
        mlflowRunId: z.string().optional(),
      }),
    ),
    total: z.number().int(),
  }),
  examples: [{}, { status: 'RUNNING', limit: 10 }],
  handler: async (input, context) => listRuns(registryEnvironment(context), input),
  summarize: (o) =>
    [
      `${o.runs.length} of ${o.total} runs`,
      ...o.runs.map((r) => `  ${r.runId} ${r.name} ${r.status} ${r.createdAt}${r.jobId ? ` job ${r.jobId}` : ''}`),
    ].join('\n'),
});

const modelNameField = z
  .string()
  .min(1)
  .max(63)
  .describe('Model name: what it does, lowercase (e.g. profile-mlp); never a version (no v2, 1.3 or dates).');

export const registerModelTool = defineTool({
  name: 'ml_training_register_model',
  domain: 'ml-training',
  tags: ['model', 'registry', 'register', 'version', 'alias', 'checkpoint', 'production', 'candidate', 'mlflow'],
  requests: [
    'register this checkpoint as a new model version',
    'add the trained model to the model registry',
    'save the model from this run as candidate',
    'register the safetensors file under profile-mlp',
  ],
  title: 'Register a model version from an artifact',
  description:
    'Registers an artifact file (inside the allowed roots; its sha256 is computed) as the next version (1, 2, 3…) of a model name, with the run that produced it (its latest metrics are kept as a snapshot), an optional data contract, and optionally an alias pointed at it. Names carry no version: the registry numbers versions and aliases (production, candidate) say which one answers. Moving an existing production alias needs confirm: true. Mirrors the model version and alias to MLflow when configured. Example: {"name": "profile-mlp", "artifact": "models/profile.safetensors", "runId": "example-run-0001", "alias": "candidate"}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    name: modelNameField,
    artifact: z.string().min(1).max(4096).describe('The model file (checkpoint), inside the allowed roots.'),
    runId: z.string().min(1).max(64).optional().describe('The run that produced it.'),
    contract: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('The data contract it was built for, as JSON (e.g. {"dimensions": {"profiles": 7}}).'),
    alias: z.string().min(1).max(63).optional().describe('Point this alias at the new version (e.g. candidate).'),
    confirm: z.boolean().optional().describe('Required as true to move an existing production alias.'),
  }),
  output: z.object({ model: modelSchema, version: versionSchema, mlflow: mlflowSchema }),
  examples: [
    { name: 'profile-mlp', artifact: 'models/profile.safetensors', runId: 'example-run-0001', alias: 'candidate' },
  ],
  async handler(input, context) {
    return registerModel(registryEnvironment(context), input);
  },
  summarize: (o) =>
    [
      `${o.model.name} version ${o.version.version}: ${o.version.source.path} (sha256 ${o.version.source.sha256.slice(0, 12)}, ${o.version.source.bytes} bytes)`,
      `aliases: ${
        Object.entries(o.model.aliases)
          .map(([a, v]) => `${a} → ${v}`)
          .join(', ') || 'none'
      }`,
      ...mlflowLine(o.mlflow),
    ].join('\n'),
});

export const setModelAliasTool = defineTool({
  name: 'ml_training_set_model_alias',
  domain: 'ml-training',
  tags: ['model', 'alias', 'promote', 'production', 'candidate', 'rollback', 'registry'],
  requests: ['promote version 3 to production', 'roll production back to version 2', 'make version 4 the candidate'],
  title: 'Point a model alias at a version',
  description:
    'Points an alias (production, candidate, or any lowercase role name) of a registered model at one of its versions: promotion and rollback. The version must exist. Moving an existing production alias to another version needs confirm: true, because it changes what answers in production. Mirrors the alias to MLflow when configured. Example: {"name": "profile-mlp", "alias": "production", "version": 1, "confirm": true}',
  kind: { effect: 'action', idempotent: true, openWorld: true },
  input: z.object({
    name: modelNameField,
    alias: z.string().min(1).max(63).describe('The alias, e.g. production or candidate.'),
    version: z.number().int().min(1).describe('The version it should point at.'),
    confirm: z.boolean().optional().describe('Required as true to move an existing production alias.'),
  }),
  output: z.object({ model: modelSchema, previous: z.number().int().optional(), mlflow: mlflowSchema }),
  examples: [{ name: 'profile-mlp', alias: 'candidate', version: 1 }],
  async handler(input, context) {
    return setModelAlias(registryEnvironment(context), input);
  },
  summarize: (o) =>
    [
      `${o.model.name}: ${Object.entries(o.model.aliases)
        .map(([a, v]) => `${a} → ${v}`)
        .join(', ')}${o.previous !== undefined ? ` (was ${o.previous})` : ''}`,
      ...mlflowLine(o.mlflow),
    ].join('\n'),
});

export const listModelsTool = defineTool({
  name: 'ml_training_list_models',
  domain: 'ml-training',
  tags: ['models', 'registry', 'versions', 'version', 'aliases', 'production'],
  requests: ['which models are registered', 'what version is in production', 'list the versions of profile-mlp'],
  title: 'List registered models, versions and aliases',
  description:
    'Lists the registered models with every version (artifact path and sha256, run, metrics snapshot, contract) and the aliases pointing at them; pass a name for one model. Example: {"name": "profile-mlp"}',
  kind: { effect: 'readOnly' },
  input: z.object({ name: z.string().min(1).max(63).optional().describe('Only this model.') }),
  output: z.object({ models: z.array(modelSchema) }),
  examples: [{}],
  handler: async (input, context) => listModels(registryEnvironment(context), input),
  summarize: (o) =>
    o.models.length === 0
      ? 'no models are registered'
      : o.models
          .map(
            (m) =>
              `${m.name}: versions ${m.versions.map((v) => v.version).join(', ')}; aliases ${
                Object.entries(m.aliases)
                  .map(([a, v]) => `${a} → ${v}`)
                  .join(', ') || 'none'
              }`,
          )
          .join('\n'),
});

/** The registry's internal tools, for the ml-training list. */
export const registryTools = [
  createRunTool,
  logRunTool,
  getRunTool,
  listRunsTool,
  registerModelTool,
  setModelAliasTool,
  listModelsTool,
];
