// ml_training_compare_runs, ml_training_get_model_history and ml_training_delete_run: the schemas and
// the words over registry-reports.ts.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { registryEnvironment } from './registry.js';
import { compareRuns, deleteRun, modelHistory } from './registry-reports.js';
import { runStatuses } from './registry-store.js';

const paramValue = z.union([z.string(), z.number(), z.boolean()]);
const runIdField = z.string().min(1).max(64).describe('A run id from ml_training_create_run or ml_training_list_runs.');

export const compareRunsTool = defineTool({
  name: 'ml_training_compare_runs',
  domain: 'ml-training',
  tags: ['runs', 'compare', 'experiments', 'metrics', 'hyperparameters', 'best', 'leaderboard', 'diff'],
  requests: [
    'compare these two training runs',
    'which of my runs has the lowest validation loss',
    'what hyperparameters differ between run a and run b',
    'put the experiments side by side',
  ],
  title: 'Compare runs side by side',
  description:
    'Compares 2–20 runs of the registry: their parameters (which differ), and for each metric every run\'s final value and its best (min and max with the step), and which run is best. A metric\'s direction comes from higherIsBetter / lowerIsBetter, else from its name (loss, error, mse, perplexity → lower; accuracy, f1, auc, r2 → higher); an unknown direction names no best. Job-linked runs read their job\'s metrics as ml_training_get_run does; nothing is sent to MLflow. For one run use ml_training_get_run. Example: {"runIds": ["example-run-0001", "example-run-0002"], "metrics": ["val_loss"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    runIds: z.array(runIdField).min(2).max(20).describe('The runs to compare, 2 to 20.'),
    metrics: z
      .array(z.string().min(1).max(250))
      .max(100)
      .optional()
      .describe('Only these metrics; default every metric any of the runs logged.'),
    higherIsBetter: z
      .array(z.string().min(1).max(250))
      .max(100)
      .optional()
      .describe('Metrics where a higher value is better, when the name does not say (e.g. "tokens_per_second").'),
    lowerIsBetter: z
      .array(z.string().min(1).max(250))
      .max(100)
      .optional()
      .describe('Metrics where a lower value is better, when the name does not say.'),
  }),
  output: z.object({
    runs: z.array(
      z.object({
        runId: z.string(),
        name: z.string(),
        status: z.enum(runStatuses),
        createdAt: z.string(),
        metricPoints: z.number().int(),
      }),
    ),
    params: z.array(z.object({ name: z.string(), values: z.array(paramValue.nullable()), differs: z.boolean() })),
    metrics: z.array(
      z.object({
        name: z.string(),
        direction: z.enum(['lower', 'higher', 'unknown']),
        runs: z.array(
          z.object({
            runId: z.string(),
            final: z.number(),
            finalStep: z.number(),
            min: z.number(),
            minStep: z.number(),
            max: z.number(),
            maxStep: z.number(),
            points: z.number().int(),
          }),
        ),
        bestRunId: z.string().nullable(),
        bestValue: z.number().nullable(),
        bestFinalRunId: z.string().nullable(),
        missingIn: z.array(z.string()),
      }),
    ),
    metricsLeftOut: z.number().int().describe('metrics beyond the first 50 that are not shown'),
  }),
  examples: [{ runIds: ['example-run-0001', 'example-run-0002'] }],
  handler: async (input, context) => compareRuns(registryEnvironment(context), input),
  summarize: (o) => {
    const lines = [`${o.runs.length} runs: ${o.runs.map((r) => `${r.runId} (${r.name}, ${r.status})`).join(', ')}`];
    const differing = o.params.filter((p) => p.differs);
    lines.push(
      differing.length === 0
        ? `parameters: the same in every run (${o.params.length})`
        : `parameters that differ: ${differing.map((p) => `${p.name} = ${p.values.map((v) => (v === null ? '—' : String(v))).join(' | ')}`).join('; ')}`,
    );
    for (const metric of o.metrics) {
      const values = metric.runs.map((m) => `${m.runId} final ${m.final} (step ${m.finalStep})`).join(', ');
      const best =
        metric.bestRunId === null
          ? 'direction unknown: pass higherIsBetter or lowerIsBetter'
          : `best ${metric.bestRunId} (${metric.bestValue}, ${metric.direction} is better)`;
      lines.push(
        `${metric.name}: ${best}; ${values}${metric.missingIn.length ? `; not logged by ${metric.missingIn.join(', ')}` : ''}`,
      );
    }
    if (o.metricsLeftOut > 0) lines.push(`${o.metricsLeftOut} more metrics not shown: name them in metrics`);
    return lines.join('\n');
  },
});

export const getModelHistoryTool = defineTool({
  name: 'ml_training_get_model_history',
  domain: 'ml-training',
  tags: ['model', 'history', 'alias', 'promotion', 'rollback', 'audit', 'versions', 'registry', 'past'],
  requests: [
    'when was production of profile-mlp last changed',
    'show the promotion history of this model',
    'which versions were promoted and rolled back before',
    'audit the alias moves of a model',
  ],
  title: "A model's history: versions and alias moves",
  description:
    'Returns one registered model\'s history from the registry\'s event log, newest first: each version created (with its artifact sha256) and each alias set, moved (from → to) or removed, with times; plus its current aliases and versions with the run each came from. Pass alias to follow only one (e.g. production). For the current state of every model use ml_training_list_models; to move an alias use ml_training_set_model_alias. Example: {"name": "profile-mlp", "alias": "production"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    name: z.string().min(1).max(63).describe('The registered model name, e.g. profile-mlp.'),
    alias: z.string().min(1).max(63).optional().describe('Only the moves of this alias, e.g. production.'),
    limit: z.number().int().min(1).max(1000).default(50).describe('At most this many events, newest first.'),
  }),
  output: z.object({
    name: z.string(),
    aliases: z.record(z.string(), z.number().int()),
    versions: z.array(
      z.object({
        version: z.number().int(),
        createdAt: z.string(),
        sha256: z.string(),
        path: z.string(),
        runId: z.string().optional(),
        metrics: z.record(z.string(), z.number()).optional(),
      }),
    ),
    events: z.array(
      z.object({
        at: z.string(),
        event: z.enum(['model_version_created', 'alias_set', 'alias_removed']),
        version: z.number().int().optional(),
        sha256: z.string().optional(),
        alias: z.string().optional(),
        from: z.number().int().optional(),
        to: z.number().int().optional(),
      }),
    ),
    totalEvents: z.number().int(),
  }),
  examples: [{ name: 'profile-mlp' }],
  handler: async (input, context) => modelHistory(registryEnvironment(context), input),
  summarize: (o) =>
    [
      `${o.name}: ${o.versions.length} versions; aliases ${
        Object.entries(o.aliases)
          .map(([a, v]) => `${a} → ${v}`)
          .join(', ') || 'none'
      }; ${o.events.length} of ${o.totalEvents} events`,
      ...o.events.map((e) =>
        e.event === 'model_version_created'
          ? `  ${e.at} version ${e.version} created (sha256 ${e.sha256?.slice(0, 12) ?? '?'})`
          : e.event === 'alias_set'
            ? `  ${e.at} ${e.alias} → ${e.to}${e.from !== undefined ? ` (was ${e.from})` : ''}`
            : `  ${e.at} ${e.alias} removed (was ${e.from})`,
      ),
    ].join('\n'),
});

export const deleteRunTool = defineTool({
  name: 'ml_training_delete_run',
  domain: 'ml-training',
  tags: ['run', 'delete', 'remove', 'cleanup', 'experiment', 'registry'],
  requests: [
    'delete this failed run',
    'remove the test run from the registry',
    'clean up an experiment I no longer need',
  ],
  title: 'Delete a training run from the registry',
  description:
    'Deletes a run\'s record and its own metric points from the registry. Refused (naming them) when a model version was registered from the run, since a version keeps the run it came from, and when the run is still RUNNING. Without confirm: true it only says what would be deleted and what stands in the way. Artifact files, the job\'s files and the MLflow run are left as they are. Example: {"runId": "example-run-0002", "confirm": true}',
  kind: { effect: 'destructive' },
  input: z.object({
    runId: runIdField,
    confirm: z.boolean().default(false).describe('Must be true to delete; false only reports what would be deleted.'),
  }),
  output: z.object({
    deleted: z.boolean(),
    runId: z.string(),
    name: z.string(),
    status: z.enum(runStatuses),
    metricPoints: z.number().int(),
    artifacts: z.number().int(),
    referencedBy: z.array(z.string()).describe('model versions registered from the run ("name version n")'),
    message: z.string(),
  }),
  examples: [{ runId: 'example-run-0001', confirm: false }],
  handler: async (input, context) => deleteRun(registryEnvironment(context), input),
  summarize: (o) => o.message,
});

export const registryReportTools = [compareRunsTool, getModelHistoryTool, deleteRunTool];
