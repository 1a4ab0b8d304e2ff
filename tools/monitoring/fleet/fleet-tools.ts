// The fleet's internal tools: classify servers under the contract with evidence, forecast one metric
// with bands (and its MASE on a holdout), and the cost-avoidance formula. All pure computation on the
// data passed in; getFleetHealth feeds them from Prometheus.
import { z } from 'zod';
import { defineTool, type AnyTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { classify, maintenanceWindowSchema, type MetricHistory } from './classify.js';
import { contractSummary, contractSummarySchema, fleetContract, profileSchema, stateSchema } from './contract.js';
import { costAvoidanceInputSchema, costAvoidanceSchema, estimateCostAvoidance } from './cost-avoidance.js';
import { forecastSeries, mase, seasonalNaive, type HoltWintersParams } from './forecast.js';
import { checkMaintenanceWindows } from './fleet-config.js';
import { fleetRulesOverrideSchema, rulesWithOverrides } from './rules.js';

export const classifyBudgets = { maxServers: 5000, maxSamplesPerServer: 20_000, maxSamplesTotal: 2_000_000 };

const sampleSchema = z.object({
  t: z.union([z.number(), z.string()]).describe('Sample time: epoch ms or an ISO timestamp.'),
  cpu: z.number().optional().describe('CPU use, 0..1.'),
  memory: z.number().optional().describe('Memory use (1 − available/total), 0..1.'),
  disk: z.number().optional().describe('Fullest filesystem use (1 − avail/size), 0..1.'),
  load: z.number().optional().describe('load1 per CPU core.'),
  netErrors: z.number().optional().describe('Network receive + transmit errors per second.'),
});

const evidenceSchema = z.object({
  rule: z.string(),
  metric: z.string(),
  value: z.number(),
  threshold: z.number(),
  forMinutes: z.number(),
  heldMinutes: z.number().optional(),
  window: z.string().optional(),
});

function toMs(value: number | string, field: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InputError(field, `"${String(value).slice(0, 40)}" is not a time; give epoch ms or ISO 8601`);
  return ms;
}

function columns(samples: z.infer<typeof sampleSchema>[], field: string): MetricHistory {
  const sorted = samples.map((s, i) => ({ ...s, ms: toMs(s.t, `${field}.${i}.t`) })).sort((a, b) => a.ms - b.ms);
  const column = (m: 'cpu' | 'memory' | 'disk' | 'load' | 'netErrors') =>
    sorted.some((s) => s[m] !== undefined) ? Float64Array.from(sorted, (s) => s[m] ?? NaN) : undefined;
  const history: MetricHistory = { t: Float64Array.from(sorted, (s) => s.ms) };
  for (const m of fleetContract.modelFeatures) {
    const c = column(m);
    if (c) history[m] = c;
  }
  return history;
}

const exampleStart = Date.parse('2026-12-03T08:00:00Z');
const exampleSamples = (cpu: number[], extra: { memory?: number; disk?: number } = {}) =>
  cpu.map((c, i) => ({
    t: exampleStart + i * 5 * 60_000,
    cpu: c,
    memory: extra.memory ?? 0.5,
    disk: extra.disk ?? 0.4,
  }));

export const classifyServers = defineTool({
  name: 'monitoring_classify_servers',
  domain: 'monitoring',
  tags: ['fleet', 'health', 'state', 'classification', 'contract', 'evidence', 'profiles'],
  requests: [
    'classify these metric samples into fleet states',
    'state of a server from its cpu and memory history',
    'why is this database marked critical',
    'which rule put this host into heavy_load',
    'which servers are idle',
  ],
  title: 'Classify servers under the fleet contract',
  description:
    'Classifies each server into one of the fleet contract\'s 8 states (critical_issue, healthy, heavy_load, idle, maintenance, morning_spike, offline, recovery) from its recent metric samples, by the declared per-profile rules (thresholds held for a duration, the daily spike window, maintenance windows, staleness), and returns the evidence: rule, metric, value, threshold, minutes required and held. Profiles must be one of the 7 contract profiles; an unknown one is refused with the contract hash. Does not fetch metrics: pass the samples. Example: {"servers":[{"name":"db-1","profile":"database","samples":[{"t":"2026-12-03T08:00:00Z","cpu":0.4,"disk":0.9}]}],"now":"2026-12-03T08:05:00Z"}',
  kind: { effect: 'readOnly', openWorld: false },
  input: z.object({
    servers: z
      .array(
        z.object({
          name: z.string().min(1).max(256).describe('Server name; its id is SHA-256 of it.'),
          profile: z.string().describe(`Contract profile: ${fleetContract.profiles.join(', ')}.`),
          samples: z.array(sampleSchema).describe('Recent samples, any order; at least the last hour is best.'),
          up: z.boolean().optional().describe('False when the scrape target is known down.'),
        }),
      )
      .min(1)
      .max(classifyBudgets.maxServers)
      .describe(`Servers to classify, at most ${classifyBudgets.maxServers}.`),
    now: z.string().optional().describe('Evaluation time (ISO 8601); the clock if absent.'),
    timezoneOffsetMinutes: z
      .number()
      .int()
      .min(-840)
      .max(840)
      .default(0)
      .describe('Minutes east of UTC for the morning window and daily maintenance, e.g. 60 for CET.'),
    maintenance: z.array(maintenanceWindowSchema).max(1000).optional().describe('Maintenance windows.'),
    thresholds: fleetRulesOverrideSchema
      .optional()
      .describe('Per-profile threshold overrides, e.g. {"database": {"criticalDisk": 0.8}}.'),
  }),
  output: z.object({
    contract: contractSummarySchema,
    now: z.string(),
    counts: z.record(z.string(), z.number().int()),
    servers: z.array(
      z.object({
        name: z.string(),
        serverId: z.string(),
        profile: profileSchema,
        state: stateSchema,
        evidence: z.array(evidenceSchema),
        latest: z.record(z.string(), z.number()),
        lastSampleAt: z.string().nullable(),
      }),
    ),
  }),
  examples: [
    {
      now: '2026-12-03T08:55:00Z',
      servers: [
        {
          name: 'db-1',
          profile: 'database',
          samples: exampleSamples([0.3, 0.3, 0.32, 0.31, 0.3, 0.3, 0.3, 0.29, 0.3, 0.3, 0.31, 0.3], { disk: 0.91 }),
        },
        {
          name: 'api-1',
          profile: 'web_api',
          samples: exampleSamples([0.5, 0.55, 0.6, 0.62, 0.6, 0.58, 0.61, 0.6, 0.63, 0.6, 0.62, 0.6]),
        },
        {
          name: 'batch-1',
          profile: 'generic',
          samples: exampleSamples([0.6, 0.7, 0.9, 0.92, 0.95, 0.93, 0.94, 0.9, 0.91, 0.98, 0.99, 0.98]),
        },
      ],
    },
  ],
  async handler(input) {
    const rules = rulesWithOverrides(input.thresholds, 'thresholds');
    const now = input.now === undefined ? Date.now() : toMs(input.now, 'now');
    checkMaintenanceWindows(input.maintenance ?? [], 'maintenance');
    let total = 0;
    const servers = input.servers.map((server, i) => {
      total += server.samples.length;
      if (server.samples.length > classifyBudgets.maxSamplesPerServer)
        throw new InputError(
          `servers.${i}.samples`,
          `has ${server.samples.length} samples, over the budget of ${classifyBudgets.maxSamplesPerServer}; send the recent ones`,
        );
      if (total > classifyBudgets.maxSamplesTotal)
        throw new InputError(
          'servers',
          `hold over ${classifyBudgets.maxSamplesTotal} samples in all (the budget); send fewer or shorter histories`,
        );
      const history = columns(server.samples, `servers.${i}.samples`);
      const result = classify(
        server,
        history,
        now,
        {
          rules,
          timezoneOffsetMinutes: input.timezoneOffsetMinutes,
          ...(input.maintenance ? { maintenance: input.maintenance } : {}),
          ...(server.up === undefined ? {} : { up: server.up }),
        },
        `servers.${i}`,
      );
      return {
        ...result,
        lastSampleAt: result.lastSampleAt === null ? null : new Date(result.lastSampleAt).toISOString(),
      };
    });
    const counts: Record<string, number> = Object.fromEntries(fleetContract.states.map((s) => [s, 0]));
    for (const s of servers) counts[s.state]! += 1;
    return { contract: contractSummary(), now: new Date(now).toISOString(), counts, servers };
  },
  summarize: (o) =>
    [
      `${o.servers.length} server(s) under contract v${o.contract.version} (${o.contract.hash.slice(0, 12)}): ${Object.entries(
        o.counts,
      )
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${n} ${s}`)
        .join(', ')}`,
      ...o.servers.map(
        (s) =>
          `${s.name} [${s.profile}] ${s.state}: ${s.evidence.map((e) => `${e.rule} ${e.metric}=${+e.value.toFixed(3)} vs ${e.threshold}${e.heldMinutes ? ` for ${e.heldMinutes} min` : ''}${e.window ? ` (${e.window})` : ''}`).join('; ')}`,
      ),
    ].join('\n'),
});

const forecastPointSchema = z.object({
  step: z.number().int(),
  t: z.string().optional(),
  value: z.number(),
  lower: z.number(),
  upper: z.number(),
});

export const forecastMetric = defineTool({
  name: 'monitoring_forecast_metric',
  domain: 'monitoring',
  tags: ['forecast', 'extrapolate', 'holt-winters', 'ewma', 'seasonal', 'bands', 'mase', 'capacity'],
  requests: [
    'forecast CPU for the next hours',
    'will this disk fill up',
    'extrapolate memory usage of this series over the next day',
    'expected range of this metric',
    'how accurate is the forecast',
  ],
  title: 'Forecast one metric with bands',
  description:
    'Forecasts (extrapolates) one evenly spaced metric series, such as CPU, memory or disk usage, for the next hours: additive seasonal Holt-Winters with Brutlag deviation bands when the history covers two seasons (default season 24 h), otherwise an EWMA with control-limit bands; says which method ran and why. Parameters are fitted on a small grid unless given. With enough history (two seasons plus the horizon) it also reports MASE on a holdout of the last horizon, against seasonal naive\'s. Does not fetch metrics. Example: {"values":[0.2,0.5,0.8,0.4,0.2,0.5,0.8,0.4,0.2,0.5,0.8,0.4],"stepMinutes":60,"seasonHours":4,"horizonHours":4}',
  kind: { effect: 'readOnly', openWorld: false },
  input: z.object({
    values: z.array(z.number()).min(1).max(100_000).describe('The series, oldest first, one value per step, no gaps.'),
    stepMinutes: z.number().positive().max(10080).default(5).describe('Minutes between values, e.g. 5.'),
    horizonHours: z.number().positive().max(720).default(6).describe('Hours to forecast, e.g. 6.'),
    seasonHours: z.number().positive().max(8760).default(24).describe('Season length in hours: 24 daily, 168 weekly.'),
    method: z
      .enum(['auto', 'holt-winters', 'ewma'])
      .default('auto')
      .describe('auto: Holt-Winters when two seasons are there, else EWMA.'),
    params: z
      .object({
        alpha: z.number().min(0).max(1).describe('Level smoothing.'),
        beta: z.number().min(0).max(1).describe('Trend smoothing.'),
        gamma: z.number().min(0).max(1).describe('Season smoothing.'),
      })
      .optional()
      .describe('Fixed Holt-Winters parameters; fitted on a grid if absent.'),
    delta: z
      .number()
      .positive()
      .max(10)
      .default(3)
      .describe('Band width in Brutlag deviations (Holt-Winters) or sigmas (EWMA).'),
    start: z.string().optional().describe('ISO time of the first value, to timestamp the forecast.'),
  }),
  output: z.object({
    method: z.enum(['holt-winters', 'ewma']),
    reason: z.string(),
    params: z.object({ alpha: z.number(), beta: z.number(), gamma: z.number() }).optional(),
    period: z.number().int().describe('season length in steps'),
    horizon: z.number().int().describe('steps forecast'),
    forecast: z.array(forecastPointSchema),
    holdout: z
      .object({
        points: z.number().int(),
        mase: z
          .number()
          .nullable()
          .describe('MASE of this method on the held-out last horizon; < 1 beats seasonal naive in-sample'),
        seasonalNaiveMase: z.number().nullable(),
      })
      .optional(),
  }),
  examples: [
    {
      values: [0.2, 0.5, 0.8, 0.4, 0.21, 0.52, 0.79, 0.41, 0.22, 0.5, 0.81, 0.4],
      stepMinutes: 60,
      seasonHours: 4,
      horizonHours: 4,
    },
    { values: [0.31, 0.3, 0.33, 0.29, 0.3], stepMinutes: 5, horizonHours: 1 },
  ],
  async handler(input) {
    const period = Math.round((input.seasonHours * 60) / input.stepMinutes);
    const horizon = Math.max(1, Math.round((input.horizonHours * 60) / input.stepMinutes));
    const options = {
      period,
      horizon,
      method: input.method,
      params: (input.params ?? 'fit') as HoltWintersParams | 'fit',
      delta: input.delta,
      ewmaWidth: input.delta,
    };
    const result = forecastSeries(input.values, options, 'values');
    const start = input.start === undefined ? undefined : toMs(input.start, 'start');
    const stepMs = input.stepMinutes * 60_000;
    const forecast = result.point.map((value, i) => ({
      step: i + 1,
      ...(start === undefined ? {} : { t: new Date(start + (input.values.length + i) * stepMs).toISOString() }),
      value,
      lower: result.lower[i]!,
      upper: result.upper[i]!,
    }));
    let holdout;
    if (input.values.length >= 2 * period + horizon && result.method === 'holt-winters') {
      const training = input.values.slice(0, -horizon);
      const actual = input.values.slice(-horizon);
      const held = forecastSeries(training, { ...options, method: result.method }, 'values');
      const finite = (x: number) => (Number.isFinite(x) ? x : null);
      holdout = {
        points: horizon,
        mase: finite(mase(actual, held.point, training, period)),
        seasonalNaiveMase: finite(mase(actual, seasonalNaive(training, period, horizon), training, period)),
      };
    }
    return {
      method: result.method,
      reason: result.reason,
      ...(result.params ? { params: result.params } : {}),
      period,
      horizon,
      forecast,
      ...(holdout ? { holdout } : {}),
    };
  },
  summarize: (o) => {
    const last = o.forecast[o.forecast.length - 1]!;
    const accuracy = o.holdout
      ? `; holdout MASE ${o.holdout.mase?.toFixed(3) ?? 'n/a'} (seasonal naive ${o.holdout.seasonalNaiveMase?.toFixed(3) ?? 'n/a'})`
      : '';
    return `${o.method} (${o.reason}): step ${last.step} → ${last.value.toFixed(4)} [${last.lower.toFixed(4)}, ${last.upper.toFixed(4)}]${accuracy}`;
  },
});

export const estimateCostAvoidanceTool = defineTool({
  name: 'monitoring_estimate_cost_avoidance',
  domain: 'monitoring',
  tags: ['cost', 'roi', 'payback', 'incidents', 'false-positives', 'savings'],
  requests: [
    'how much does monitoring save us',
    'what is the ROI of auto-remediation',
    'months to pay back the monitoring',
    'cost of false positive incidents',
  ],
  title: 'Estimate cost avoidance',
  description:
    'Computes the cost avoided per month by faster incident handling, less the cost of false positives and of running the monitoring, the net, the first-year net and the months to pay back the implementation, with the formula and every input echoed. Pure arithmetic on the numbers given; it does not guess them. Example: {"incidentCostPerHour":5000,"minutesSavedPerIncident":25,"incidentsPerMonth":6,"falsePositivesPerMonth":10,"falsePositiveCost":30,"monthlyRunningCost":200,"implementationCost":20000}',
  kind: { effect: 'readOnly', openWorld: false },
  input: costAvoidanceInputSchema,
  output: costAvoidanceSchema,
  examples: [
    {
      incidentCostPerHour: 5000,
      minutesSavedPerIncident: 25,
      incidentsPerMonth: 6,
      falsePositivesPerMonth: 10,
      falsePositiveCost: 30,
      monthlyRunningCost: 200,
      implementationCost: 20000,
    },
  ],
  async handler(input) {
    return estimateCostAvoidance(input);
  },
  summarize: (o) =>
    [
      `net ${o.netPerMonth.toFixed(2)}/month (avoided ${o.avoidedIncidentCostPerMonth.toFixed(2)} − false positives ${o.falsePositiveCostPerMonth.toFixed(2)} − running ${o.monthlyRunningCost.toFixed(2)}); ${o.paybackMonths === null ? 'never pays back' : `pays back in ${o.paybackMonths.toFixed(1)} months`}`,
      ...o.formula,
    ].join('\n'),
});

export const fleetTools: readonly AnyTool[] = [
  classifyServers,
  forecastMetric,
  estimateCostAvoidanceTool,
] as unknown as AnyTool[];
