// monitoring_get_fleet_health: the fleet's servers (config, plus Prometheus targets when discovery is
// on), each classified under the contract from its metric history (Prometheus range queries, or two
// scrapes of its exposition endpoint), with the rule evidence and a forecast per metric: Holt-Winters
// with Brutlag bands once two days of history exist, EWMA bands before; the first step at which the
// forecast's upper band crosses the profile's critical threshold is called out.
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError, ToolError } from '../../errors.js';
import type { ToolContext } from '../../context.js';
import { assessFleet, fleetTimeline, HoltWintersParamsCache } from '../fleet/assess-fleet.js';
import type { MetricHistory } from '../fleet/classify.js';
import { contractSummary, checkProfile, metrics, type Metric, type Profile } from '../fleet/contract.js';
import { classifyOptionsFromConfig } from '../fleet/fleet-config.js';
import type { ForecastResult } from '../fleet/forecast.js';
import { loadFleetModel, type FleetModel, type FleetModelConfig } from '../fleet/fleet-model.js';
import { PrometheusClient } from '../metrics/prometheus-api.js';
import {
  discoverServers,
  readNodeHistoryFromPrometheus,
  readNodeMetricsFromEndpoint,
  type ServerHistory,
} from '../metrics/node-metrics.js';
import { monitoringSettings, type FleetServerConfig, type MonitoringSettings } from '../settings.js';

/** Past this many servers a call must name the ones it wants. */
export const maxFleetServers = 5_000;

/** Points of history per range query (servers × steps), about 1,000 servers at the default week of 5-minute steps. */
export const maxHistoryPoints = 2_500_000;

/** Past this many classifications (servers × timeline points) a timeline is refused. */
export const maxTimelineClassifications = 200_000;

/** The timeline's points: every `stepMinutes` from `hours` before `now` to `now`, both ends included. */
export function timelinePoints(hours: number, stepMinutes: number): number {
  return Math.floor((hours * 60) / stepMinutes) + 1;
}

const criticalKey: Partial<Record<Metric, 'criticalCpu' | 'criticalMemory' | 'criticalDisk' | 'criticalNetErrors'>> = {
  cpu: 'criticalCpu',
  memory: 'criticalMemory',
  disk: 'criticalDisk',
  netErrors: 'criticalNetErrors',
};

const forecastSchema = z.object({
  method: z.string(),
  reason: z.string(),
  /** The forecast at the end of the horizon with its band. */
  end: z.object({ value: z.number(), lower: z.number(), upper: z.number() }),
  peak: z.object({ value: z.number(), at: z.string() }),
  /** When the upper band first reaches the profile's critical threshold, if it does. */
  breach: z.object({ at: z.string(), threshold: z.number() }).nullable(),
});

const serverSchema = z.object({
  /** The configured ONNX fleet model's state for the server and its score, beside the rules' state. */
  model: z.object({ state: z.string(), score: z.number() }).optional(),
  name: z.string(),
  id: z.string(),
  profile: z.string(),
  state: z.string(),
  source: z.string(),
  evidence: z.array(z.record(z.string(), z.unknown())),
  latest: z.record(z.string(), z.number()),
  lastSampleAt: z.string().nullable(),
  forecast: z.record(z.string(), forecastSchema),
  missing: z.record(z.string(), z.string()),
});

const outputSchema = z.object({
  contract: z.record(z.string(), z.unknown()),
  source: z.string(),
  at: z.string(),
  states: z.record(z.string(), z.number()),
  servers: z.array(serverSchema),
  notes: z.array(z.string()),
  timeline: z
    .object({
      times: z.array(z.string()).describe('ISO times of the points, oldest first; the last is `at`.'),
      servers: z
        .array(
          z.object({
            name: z.string().describe('The server, in the order of `servers`.'),
            states: z
              .array(z.string().nullable())
              .describe('Its state at each time (same rules, history up to then); null before its history starts.'),
          }),
        )
        .describe('One row per server; the last state of each row is its `state`.'),
    })
    .optional()
    .describe(
      'With timelineHours > 0: each server classified at past times from the history up to each (a target being down is known for `at` only).',
    ),
});

interface FleetServer extends FleetServerConfig {
  profile: Profile;
  up?: boolean;
  /** Found among Prometheus targets rather than configured. */
  discovered?: boolean;
}

function configured(settings: MonitoringSettings | undefined): MonitoringSettings {
  if (settings?.prometheus || settings?.fleet.servers.some((server) => server.scrapeUrl)) return settings;
  throw new ToolError(
    'NOT_CONFIGURED',
    'no metrics source is configured: set monitoring.prometheus.url (or CAELUM_PROMETHEUS_URL), or give fleet servers a scrapeUrl (node_exporter /metrics) in monitoring.fleet.servers',
  );
}

async function fleetServers(
  settings: MonitoringSettings,
  client: PrometheusClient | undefined,
  notes: string[],
): Promise<FleetServer[]> {
  const servers = new Map<string, FleetServer>();
  settings.fleet.servers.forEach((server, index) =>
    servers.set(server.name, {
      ...server,
      profile: checkProfile(server.profile, `monitoring.fleet.servers.${index}.profile`),
    }),
  );
  if (client && settings.fleet.discover) {
    const byInstance = new Map([...servers.values()].map((server) => [server.instance ?? server.name, server]));
    const discovered = await discoverServers(client).catch((error: unknown) => {
      // Servers read straight from their node_exporter are still assessed when Prometheus is down.
      if (!settings.fleet.servers.some((server) => server.scrapeUrl) || !unreachable(error)) throw error;
      notes.push(`Prometheus targets were not read: ${(error as Error).message}`);
      return [];
    });
    let defaulted = 0;
    for (const target of discovered) {
      const known = byInstance.get(target.name);
      if (known) {
        known.up = target.health !== 'down';
        continue;
      }
      if (target.profile === undefined) defaulted++;
      servers.set(target.name, {
        name: target.name,
        instance: target.name,
        profile: checkProfile(target.profile ?? settings.fleet.defaultProfile, `target ${target.name} label profile`),
        up: target.health !== 'down',
        discovered: true,
      });
    }
    if (defaulted > 0)
      notes.push(
        `${defaulted} Prometheus target(s) have no profile label and count as ${settings.fleet.defaultProfile} (monitoring.fleet.defaultProfile)`,
      );
  }
  return [...servers.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function columnar(history: ServerHistory | undefined): MetricHistory {
  if (!history) return { t: [] };
  // One time axis: the union of the metrics' timestamps; a metric missing at a step carries its last value.
  const times = [...new Set(metrics.flatMap((metric) => history.series[metric].map((point) => point.at)))].sort(
    (a, b) => a - b,
  );
  const result: MetricHistory = { t: times };
  for (const metric of metrics) {
    const points = history.series[metric];
    if (points.length === 0) continue;
    const values = new Array<number>(times.length);
    let j = 0;
    let last = points[0]!.value;
    for (let i = 0; i < times.length; i++) {
      while (j < points.length && points[j]!.at <= times[i]!) last = points[j++]!.value;
      values[i] = last;
    }
    (result as unknown as Record<string, number[]>)[metric] = values;
  }
  return result;
}

/** A forecast as the agent needs it: the end of the horizon with its band, the peak, and the first breach. */
function summarise(
  result: ForecastResult,
  lastAt: number,
  stepMs: number,
  threshold: number | undefined,
): z.input<typeof forecastSchema> {
  let peak = 0;
  let breach: { at: string; threshold: number } | null = null;
  for (let h = 0; h < result.point.length; h++) {
    if (result.point[h]! > result.point[peak]!) peak = h;
    if (!breach && threshold !== undefined && result.upper[h]! >= threshold)
      breach = { at: new Date(lastAt + (h + 1) * stepMs).toISOString(), threshold };
  }
  const end = result.point.length - 1;
  return {
    method: result.method,
    reason: result.reason,
    end: { value: result.point[end]!, lower: result.lower[end]!, upper: result.upper[end]! },
    peak: { value: result.point[peak]!, at: new Date(lastAt + (peak + 1) * stepMs).toISOString() },
    breach,
  };
}

/** Holt-Winters parameters fitted once per profile and metric, kept for the life of the process. */
const fittedParams = new HoltWintersParamsCache();

/** Prometheus could not be reached (as opposed to refusing a query). */
function unreachable(error: unknown): boolean {
  return error instanceof ToolError && (error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT');
}

/** Loaded fleet models by path: checked against the contract and loaded once per process. */
const fleetModels = new Map<string, Promise<FleetModel>>();

/**
 * The configured fleet model's state per server, from the latest metrics; undefined (with a note)
 * when none is configured or it does not fit the contract: the rules' states stand either way.
 */
async function modelStates(
  config: FleetModelConfig | undefined,
  rows: { profile: string; latest: Partial<Record<Metric, number>> }[],
  notes: string[],
): Promise<({ state: string; score: number } | undefined)[] | undefined> {
  if (!config || rows.length === 0) return undefined;
  let loading = fleetModels.get(config.path);
  if (!loading) {
    // The model file is the operator's configuration, not agent input: it is read where it is.
    loading = loadFleetModel(config, [path.dirname(path.resolve(config.path))]);
    fleetModels.set(config.path, loading);
    loading.catch(() => fleetModels.delete(config.path));
  }
  try {
    const model = await loading;
    const predictions = await model.run(
      rows.map((row) => ({ profile: row.profile, features: metrics.map((metric) => row.latest[metric] ?? 0) })),
    );
    return predictions.map((prediction) => ({ state: prediction.state, score: prediction.scores[prediction.state] }));
  } catch (error) {
    notes.push(`the fleet model was not used: ${(error as Error).message}`);
    return undefined;
  }
}

export async function fleetHealth(
  input: {
    servers?: string[] | undefined;
    forecastHours: number;
    timelineHours?: number;
    timelineStepMinutes?: number;
  },
  context: ToolContext,
): Promise<z.input<typeof outputSchema>> {
  const settings = configured(monitoringSettings(context));
  const notes: string[] = [];
  const classifyOptions = classifyOptionsFromConfig(settings.fleet);
  const rules = classifyOptions.rules!;
  const client = settings.prometheus
    ? new PrometheusClient(settings.prometheus, { signal: context.signal, maxPoints: maxHistoryPoints })
    : undefined;
  let servers = await fleetServers(settings, client, notes);
  if (input.servers) {
    const known = new Set(servers.map((server) => server.name));
    const unknown = input.servers.filter((name) => !known.has(name));
    if (unknown.length > 0)
      throw new InputError(
        'servers',
        `${unknown.slice(0, 5).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the fleet; it has ${servers.length} server(s)${
          servers.length > 0
            ? `, e.g. ${servers
                .slice(0, 5)
                .map((s) => s.name)
                .join(', ')}`
            : ''
        }`,
      );
    const wanted = new Set(input.servers);
    servers = servers.filter((server) => wanted.has(server.name));
  }
  if (servers.length > maxFleetServers)
    throw new InputError(
      'servers',
      `the fleet has ${servers.length} servers, over ${maxFleetServers}; name the ones to read`,
    );
  const timelineHours = input.timelineHours ?? 0;
  const timelineStep = input.timelineStepMinutes ?? 60;
  const points = timelineHours > 0 ? timelinePoints(timelineHours, timelineStep) : 0;
  if (servers.length * points > maxTimelineClassifications) {
    const fits = Math.floor(maxTimelineClassifications / servers.length);
    const step = Math.floor((timelineHours * 60) / fits) + 1;
    throw new InputError(
      'timelineHours',
      `${timelineHours} h every ${timelineStep} min is ${points} points × ${servers.length} servers = ${servers.length * points} classifications, over the budget of ${maxTimelineClassifications}; ${step <= 1440 ? `set timelineStepMinutes to ${step} or more, ` : ''}shorten timelineHours, or name fewer servers`,
    );
  }
  const now = Date.now();
  const { forecast } = settings.fleet;
  const stepMs = forecast.stepMinutes * 60_000;
  const histories = new Map<string, ServerHistory>();
  const fromPrometheus = servers.filter((server) => !server.scrapeUrl);
  let prometheusDown: string | undefined;
  if (client && fromPrometheus.length > 0) {
    const read = await readNodeHistoryFromPrometheus(client, {
      only: input.servers !== undefined,
      startMs: now - forecast.historyDays * 86_400_000,
      endMs: now,
      stepS: Math.round(forecast.stepMinutes * 60),
      window: settings.prometheus!.rateWindow,
      servers: fromPrometheus.map((server) => server.instance ?? server.name),
    }).catch((error: unknown) => {
      if (fromPrometheus.length === servers.length || !unreachable(error)) throw error;
      prometheusDown = (error as Error).message;
      return [];
    });
    for (const history of read) histories.set(history.server, history);
    // Targets that are not node_exporters (Prometheus itself, Alertmanager, blackbox) have no node
    // metrics: they are left out rather than reported offline.
    const withoutMetrics = servers.filter(
      (server) =>
        server.discovered === true &&
        server.up !== false &&
        metrics.every((metric) => (histories.get(server.instance ?? server.name)?.series[metric].length ?? 0) === 0),
    );
    if (withoutMetrics.length > 0) {
      const left = new Set(withoutMetrics);
      servers = servers.filter((server) => !left.has(server));
      notes.push(
        `${withoutMetrics.length} Prometheus target(s) without node_exporter metrics left out: ${withoutMetrics
          .slice(0, 5)
          .map((server) => server.name)
          .join(', ')}${withoutMetrics.length > 5 ? ', …' : ''}`,
      );
    }
    if (prometheusDown !== undefined) {
      const skipped = new Set(fromPrometheus);
      servers = servers.filter((server) => !skipped.has(server));
      notes.push(
        `${fromPrometheus.length} server(s) read through Prometheus were not assessed (${prometheusDown}); only servers with a scrapeUrl are shown`,
      );
    }
  } else if (fromPrometheus.length > 0)
    notes.push(`${fromPrometheus.length} server(s) have no scrapeUrl and no Prometheus is configured: no metrics`);
  const scraped = new Map<string, { source: string; missing: Record<string, string> }>();
  await Promise.all(
    servers
      .filter((server) => server.scrapeUrl)
      .map(async (server) => {
        try {
          const reading = await readNodeMetricsFromEndpoint(server.name, server.scrapeUrl!, {
            signal: context.signal,
            intervalMs: 1_000,
          });
          const series = Object.fromEntries(
            metrics.map((metric) => [
              metric,
              reading.metrics[metric] === null ? [] : [{ at: reading.at, value: reading.metrics[metric]! }],
            ]),
          ) as ServerHistory['series'];
          histories.set(server.instance ?? server.name, {
            server: server.name,
            source: 'prometheus',
            startMs: reading.at,
            endMs: reading.at,
            stepS: reading.intervalS ?? 1,
            series,
            missing: reading.missing,
            evidence: reading.evidence,
          });
          scraped.set(server.name, { source: 'exposition', missing: reading.missing as Record<string, string> });
        } catch (error) {
          server.up = false;
          scraped.set(server.name, { source: 'exposition', missing: { all: (error as Error).message } });
        }
      }),
  );
  if (scraped.size > 0)
    notes.push(
      'servers read from an exposition endpoint have one reading (two scrapes 1 s apart): duration rules need Prometheus history, and they get no forecast',
    );
  const states: Record<string, number> = {};
  const inputs = servers.map((server) => ({
    name: server.name,
    profile: server.profile,
    history: columnar(histories.get(server.instance ?? server.name)),
    ...(server.up !== undefined ? { up: server.up } : {}),
  }));
  // Scraped servers have one reading: they are classified but not forecast.
  const assessed = assessFleet(inputs, now, {
    ...classifyOptions,
    stepMinutes: forecast.stepMinutes,
    horizonHours: input.forecastHours > 0 ? input.forecastHours : 1,
    seasonHours: forecast.seasonHours,
    delta: forecast.delta,
    metrics: input.forecastHours > 0 ? metrics : [],
    cache: fittedParams,
  });
  const predicted = await modelStates(settings.fleet.model, assessed, notes);
  const rows = assessed.map((health, index) => {
    const server = servers[index]!;
    const history = histories.get(server.instance ?? server.name);
    states[health.state] = (states[health.state] ?? 0) + 1;
    const times = inputs[index]!.history.t;
    const lastAt = times.length > 0 ? times[times.length - 1]! : now;
    const forecasts: Record<string, z.input<typeof forecastSchema>> = {};
    if (!scraped.has(server.name))
      for (const [metric, result] of Object.entries(health.forecasts) as [Metric, ForecastResult][]) {
        const key = criticalKey[metric];
        forecasts[metric] = summarise(result, lastAt, stepMs, key ? rules.profiles[health.profile][key] : undefined);
      }
    return {
      ...(predicted?.[index] ? { model: predicted[index] } : {}),
      name: health.name,
      id: health.serverId,
      profile: health.profile,
      state: health.state,
      source: scraped.get(server.name)?.source ?? (client ? 'prometheus' : 'none'),
      evidence: health.evidence as unknown as Record<string, unknown>[],
      latest: health.latest as Record<string, number>,
      lastSampleAt: health.lastSampleAt === null ? null : new Date(health.lastSampleAt).toISOString(),
      forecast: forecasts,
      missing: scraped.get(server.name)?.missing ?? ((history?.missing ?? {}) as Record<string, string>),
    };
  });
  if (servers.length === 0) notes.push('the fleet is empty: no servers configured and no Prometheus targets found');
  let timeline: z.input<typeof outputSchema>['timeline'];
  if (points > 0) {
    const timelineStepMs = timelineStep * 60_000;
    const times = Array.from({ length: points }, (_, k) => now - (points - 1 - k) * timelineStepMs);
    const grid = fleetTimeline(inputs, times, classifyOptions);
    timeline = {
      times: times.map((time) => new Date(time).toISOString()),
      servers: inputs.map((server, index) => ({ name: server.name, states: grid[index]! })),
    };
    if (client && timelineHours > forecast.historyDays * 24)
      notes.push(
        `the timeline reaches back ${timelineHours} h but ${Number((forecast.historyDays * 24).toFixed(2))} h of history is read (monitoring.fleet.forecast.historyDays): earlier points are null`,
      );
  }
  return {
    contract: contractSummary(),
    source:
      [
        ...(client ? [`prometheus ${client.shownUrl}`] : []),
        ...(scraped.size > 0 ? ['node_exporter endpoints'] : []),
      ].join(' and ') || 'none',
    at: new Date(now).toISOString(),
    states,
    servers: rows,
    notes,
    ...(timeline ? { timeline } : {}),
  };
}

export const getFleetHealth = defineTool({
  name: 'monitoring_get_fleet_health',
  domain: 'monitoring',
  tags: ['fleet', 'health', 'servers', 'hosts', 'state', 'contract', 'forecast', 'prometheus', 'node_exporter'],
  requests: [
    'which servers in the fleet are unhealthy right now',
    'forecast cpu and memory for my servers for the next hours',
    'is any database server about to run out of disk',
    'fleet status from prometheus by server profile',
  ],
  title: 'Fleet health with forecasts',
  description:
    "Classifies every fleet server into one of the contract's 8 states (critical_issue, heavy_load, morning_spike, maintenance, offline, recovery, idle, healthy) from its Prometheus history or node_exporter endpoint by per-profile rules, with the evidence, and forecasts each metric (Holt-Winters with Brutlag bands, EWMA before two days of history), flagging when the upper band reaches the profile's critical threshold. timelineHours adds each server's state at past times (a servers × time grid). Use it to see which servers are in trouble now or about to be. Example: {\"forecastHours\": 6}",
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    servers: z
      .array(z.string().min(1).max(200))
      .max(maxFleetServers)
      .optional()
      .describe('Server names; default: the whole fleet.'),
    forecastHours: z.number().min(0).max(48).default(6).describe('Forecast horizon in hours; 0 skips forecasting.'),
    timelineHours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .default(0)
      .describe(
        `Hours of past states per server, ending now; 0 (default) gives none. Servers × points is capped at ${maxTimelineClassifications}.`,
      ),
    timelineStepMinutes: z
      .number()
      .int()
      .min(5)
      .max(1440)
      .default(60)
      .describe('Minutes between timeline points, e.g. 60.'),
  }),
  output: outputSchema,
  examples: [{ forecastHours: 6 }],
  handler: (input, context) => fleetHealth(input, context),
  summarize: (output) => {
    const counts = Object.entries(output.states)
      .map(([state, count]) => `${count} ${state}`)
      .join(', ');
    const lines = [`${output.servers.length} server(s) from ${output.source}: ${counts || 'none'}.`];
    for (const server of output.servers.filter((s) => s.state !== 'healthy' && s.state !== 'idle').slice(0, 20)) {
      const why = server.evidence[0] as
        { rule?: string; metric?: string; value?: number; threshold?: number } | undefined;
      lines.push(
        `${server.name} (${server.profile}): ${server.state}${why?.rule ? `: ${why.rule} ${why.metric ?? ''} ${why.value ?? ''} vs ${why.threshold ?? ''}` : ''}`,
      );
    }
    for (const server of output.servers)
      for (const [metric, forecast] of Object.entries(server.forecast))
        if (forecast.breach)
          lines.push(
            `${server.name}: ${metric} may reach ${forecast.breach.threshold} by ${forecast.breach.at} (${forecast.method} upper band)`,
          );
    return [...lines, ...output.notes].join('\n');
  },
});
