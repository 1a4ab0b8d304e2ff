// The dashboard's Fleet data: the servers' states over time (a servers × time grid for the heatmap),
// one server's forecasts with their bands, and the alerts with their escalation. Every figure comes
// from the same internal tools an agent calls (monitoring_get_fleet_health, monitoring_list_alerts),
// so the page shows their numbers; this file only picks, orders and joins them.
import { z } from 'zod';
import { fleetContract } from '../../../tools/monitoring/fleet/contract.js';
import {
  maxTimelineClassifications,
  timelinePoints,
} from '../../../tools/monitoring/fleet-health/fleet-health-tool.js';
import type { Suite } from '../../composition.js';
import type { DashboardEvents } from '../events.js';
import { params, tool, ApiError, type ApiContext, type ApiRoute } from '../api.js';

/** How to give Caelum a fleet, shown when none is configured or it is empty. */
export const fleetHowTo =
  'Point Caelum at a Prometheus server (monitoring.prometheus.url in caelum.config.json, or CAELUM_PROMETHEUS_URL=http://127.0.0.1:9090): its node_exporter targets become the fleet (monitoring.fleet.discover, profile from the target label "profile"). Or list servers in monitoring.fleet.servers as {"name": "web-1", "profile": "web", "scrapeUrl": "http://web-1:9100/metrics"}. Then restart the service.';

/** What monitoring_get_fleet_health's NOT_CONFIGURED refusal means, for the page. */
const notConfigured =
  'No fleet is configured: there is no Prometheus URL and no fleet server with a scrapeUrl, so monitoring_get_fleet_health has no metrics to classify.';

/** Worst first: the order the heatmap rows are kept in when a fleet has more rows than are shown. */
const severity: Record<string, number> = {
  critical_issue: 0,
  offline: 1,
  heavy_load: 2,
  recovery: 3,
  morning_spike: 4,
  maintenance: 5,
  idle: 6,
  healthy: 7,
};
const rank = (state: string | null | undefined) => (state ? (severity[state] ?? 8) : 9);

const fleetQuery = z.object({
  hours: z.coerce.number().int().min(1).max(168).default(24),
  stepMinutes: z.coerce.number().int().min(5).max(1440).default(60),
  rows: z.coerce.number().int().min(1).max(500).default(60),
});

interface HealthServer {
  name: string;
  profile: string;
  state: string;
  source: string;
  lastSampleAt: string | null;
  latest: Record<string, number>;
  evidence: Record<string, unknown>[];
  forecast: Record<string, unknown>;
  missing: Record<string, string>;
  model?: { state: string; score: number };
}
interface Health {
  at: string;
  source: string;
  states: Record<string, number>;
  servers: HealthServer[];
  notes: string[];
  timeline?: { times: string[]; servers: { name: string; states: (string | null)[] }[] };
}

async function fleet(context: ApiContext) {
  const query = params(context, fleetQuery);
  const points = timelinePoints(query.hours, query.stepMinutes);
  if (points * query.rows > maxTimelineClassifications)
    throw new ApiError(400, `rows: ${query.rows} rows × ${points} points is over ${maxTimelineClassifications}`);
  const answer = await tool(context, 'monitoring_get_fleet_health', {
    forecastHours: 0,
    timelineHours: query.hours,
    timelineStepMinutes: query.stepMinutes,
  });
  if (!answer.ok) {
    if (answer.code === 'NOT_CONFIGURED')
      return {
        ok: true,
        missing: notConfigured,
        how: fleetHowTo,
        states: fleetContract.states,
      };
    return { ok: false, error: answer.message, code: answer.code };
  }
  const health = answer.output as unknown as Health;
  const timeline = health.timeline ?? { times: [], servers: [] };
  const rowOf = new Map(timeline.servers.map((row) => [row.name, row.states]));
  // Worst first: current state, then how many points were not healthy/idle, then the name.
  const troubled = (name: string) =>
    (rowOf.get(name) ?? []).filter((state) => state !== null && state !== 'healthy' && state !== 'idle').length;
  const ordered = [...health.servers].sort(
    (a, b) => rank(a.state) - rank(b.state) || troubled(b.name) - troubled(a.name) || a.name.localeCompare(b.name),
  );
  const shown = ordered.slice(0, query.rows);
  const notes = [...health.notes];
  if (ordered.length > shown.length)
    notes.unshift(
      `showing the worst ${shown.length} of ${ordered.length} servers (worst state first, then most time out of healthy/idle)`,
    );
  return {
    ok: true,
    at: health.at,
    source: health.source,
    /** The tool's counts of current states, over the whole fleet. */
    states: health.states,
    total: health.servers.length,
    stateNames: fleetContract.states,
    servers: shown.map((server) => ({
      name: server.name,
      profile: server.profile,
      state: server.state,
      source: server.source,
      lastSampleAt: server.lastSampleAt,
      ...(server.model ? { model: server.model } : {}),
    })),
    timeline: {
      times: timeline.times,
      stepMinutes: query.stepMinutes,
      servers: shown.map((server) => ({ name: server.name, states: rowOf.get(server.name) ?? [] })),
    },
    notes,
    ...(health.servers.length === 0
      ? {
          missing: 'The fleet is empty: no servers are configured and no Prometheus target was found.',
          how: fleetHowTo,
        }
      : {}),
  };
}

async function fleetServer(context: ApiContext) {
  const query = params(
    context,
    z.object({
      name: z.string().min(1, 'name the server, e.g. ?name=web-1').max(200),
      forecastHours: z.coerce.number().min(1).max(48).default(6),
    }),
  );
  const answer = await tool(context, 'monitoring_get_fleet_health', {
    servers: [query.name],
    forecastHours: query.forecastHours,
  });
  if (!answer.ok) {
    if (answer.code === 'NOT_CONFIGURED') return { ok: true, missing: notConfigured, how: fleetHowTo };
    if (answer.code === 'INVALID_INPUT') throw new ApiError(404, `name: ${answer.message}`);
    return { ok: false, error: answer.message, code: answer.code };
  }
  const health = answer.output as unknown as Health;
  const server = health.servers[0];
  if (!server) throw new ApiError(404, `name: ${query.name} is not in the fleet`);
  return { ok: true, at: health.at, forecastHours: query.forecastHours, server, notes: health.notes };
}

interface AlertList {
  alerts: {
    fingerprint: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    state: string;
    receivers: string[];
    silencedBy: string[];
    inhibitedBy: string[];
  }[];
  groups: { groupKey?: string; receiver?: string; fingerprints?: string[]; nextRepeatAt?: string | null }[];
  escalation: {
    fingerprint: string;
    state: string;
    tierReached: number;
    tiers: string[];
    nextDueAt: string | null;
    nextReceiver: string | null;
    ack: { by: string; comment: string; until: string } | null;
  }[];
  silences: Record<string, unknown>[];
  deliveries: Record<string, unknown>[];
  config: string;
}

/** The alerts with their escalation and next repeat joined in, as monitoring_list_alerts gives them. */
export async function alertsData(context: ApiContext) {
  const answer = await tool(context, 'monitoring_list_alerts', { deliveries: 10 });
  if (!answer.ok) return { ok: false, error: answer.message, code: answer.code };
  const list = answer.output as unknown as AlertList;
  const escalationOf = new Map(list.escalation.map((row) => [row.fingerprint, row]));
  return {
    ok: true,
    config: list.config,
    alerts: list.alerts.map((alert) => {
      const repeats = list.groups
        .filter((group) => group.fingerprints?.includes(alert.fingerprint))
        .map((group) => group.nextRepeatAt)
        .filter((at): at is string => typeof at === 'string')
        .sort();
      return {
        fingerprint: alert.fingerprint,
        alertname: alert.labels.alertname ?? alert.fingerprint,
        severity: alert.labels.severity ?? null,
        instance: alert.labels.instance ?? null,
        summary: alert.annotations.summary ?? alert.annotations.description ?? null,
        startsAt: alert.startsAt,
        state: alert.state,
        receivers: alert.receivers,
        mutedBy: [...alert.silencedBy, ...alert.inhibitedBy],
        nextRepeatAt: repeats[0] ?? null,
        escalation: escalationOf.get(alert.fingerprint) ?? null,
      };
    }),
    escalation: list.escalation,
    silences: list.silences.length,
    deliveries: list.deliveries,
  };
}

export const fleetRoutes: ApiRoute[] = [
  { path: 'fleet', handler: fleet },
  { path: 'fleet-server', handler: fleetServer },
  { path: 'alerts', handler: alertsData },
];

/** Event `alerts`: the alert list, checked every 10 s while a page is open, sent when it changed. */
export function fleetWatchers(events: DashboardEvents, suite: Suite): void {
  const signal = new AbortController().signal;
  events.watch('alerts', 10_000, async () => {
    const data = await alertsData({ suite, params: new URLSearchParams(), signal });
    // Deliveries carry their own timestamps; the page refreshes on a change of the alerts themselves.
    return { ...data, deliveries: undefined };
  });
  // An alert tool that ran changes the list now, not at the next tick.
  suite.executions.on('entry', (entry) => {
    if (entry.supervisor === 'monitoring' || /alert/i.test(entry.tool)) void events.refresh('alerts');
  });
}
