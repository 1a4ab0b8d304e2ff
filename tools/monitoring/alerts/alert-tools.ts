// The stateful alert tools over the service's AlertService: fire or resolve alerts (a preview unless
// confirm: true, because a fired alert pages people), list alerts with their groups, escalation,
// silences and recent deliveries, acknowledge an escalating alert, and add or expire silences.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { defineTool } from '../../define-tool.js';
import { InputError, ToolError } from '../../errors.js';
import { monitoringSettings } from '../settings.js';
import { alertServiceOf, alertServiceSettings, openAlertService, type AlertService } from './alert-service.js';
import { fingerprint } from './routing/fingerprint.js';
import { formatDuration } from './routing/duration.js';
import { MatcherError, parseMatcher } from './routing/matchers.js';

/** The data dir's alert service: opened by the suite at start, or here on first use. */
export async function alertService(context: ToolContext): Promise<AlertService> {
  const running = alertServiceOf(context.environment.dataDir);
  if (running) return running;
  const settings = monitoringSettings(context);
  if (!settings)
    throw new ToolError(
      'NOT_CONFIGURED',
      'monitoring is not configured in this process; run the tools through a Caelum service',
    );
  return openAlertService(
    context.environment.dataDir,
    alertServiceSettings(settings.alerting, context.environment.services.databaseUrl),
    context.logger,
  );
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const labelsSchema = z
  .record(z.string().max(256), z.string().max(4096))
  .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels');

const alertRow = z.object({
  fingerprint: z.string(),
  labels: labelsSchema,
  annotations: z.record(z.string(), z.string()),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  state: z.string(),
  receivers: z.array(z.string()),
  silencedBy: z.array(z.string()),
  inhibitedBy: z.array(z.string()),
});

function rows(service: AlertService) {
  return service.engine.listAlerts().map((view) => ({
    fingerprint: view.alert.fingerprint,
    labels: view.alert.labels,
    annotations: view.alert.annotations,
    startsAt: iso(view.alert.startsAt)!,
    endsAt: iso(view.alert.endsAt),
    state: view.state,
    receivers: view.receivers,
    silencedBy: view.silencedBy,
    inhibitedBy: view.inhibitedBy,
  }));
}

function escalationRows(service: AlertService) {
  return service.escalation.list().map((state) => ({
    fingerprint: state.fingerprint,
    alertname: state.alertname ?? null,
    profile: state.profile,
    state: state.state,
    tierReached: state.tierReached,
    tiers: state.tiers.map((tier) => `${tier.receiver} after ${formatDuration(tier.afterMs)}`),
    nextDueAt: iso(state.nextDueAt),
    nextReceiver: state.nextReceiver,
    ack: state.ack ? { by: state.ack.by, comment: state.ack.comment, until: iso(state.ack.until)! } : null,
  }));
}

const escalationRow = z.object({
  fingerprint: z.string(),
  alertname: z.string().nullable(),
  profile: z.string(),
  state: z.string(),
  tierReached: z.number(),
  tiers: z.array(z.string()),
  nextDueAt: z.string().nullable(),
  nextReceiver: z.string().nullable(),
  ack: z.object({ by: z.string(), comment: z.string(), until: z.string() }).nullable(),
});

export const fireAlerts = defineTool({
  name: 'monitoring_fire_alerts',
  domain: 'monitoring',
  tags: ['alert', 'fire', 'resolve', 'notify', 'page'],
  requests: [
    'raise an alert that the database disk is full',
    'page the on-call about a critical incident',
    'mark the disk alert as resolved',
  ],
  title: 'Fire or resolve alerts',
  description:
    'Fires alerts into Caelum\'s Alertmanager-compatible engine (grouped, routed by the configured route tree, sent to its receivers after group_wait, repeated per repeat_interval), starts escalation for critical ones, and forwards them to a configured Alertmanager. Without confirm: true it only shows where each alert would go and when. resolve: true resolves them. Example: {"alerts": [{"labels": {"alertname": "DiskFull", "severity": "critical"}}]}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    alerts: z
      .array(
        z.object({
          labels: labelsSchema.describe('Alert labels, e.g. {"alertname": "DiskFull", "severity": "critical"}.'),
          annotations: z
            .record(z.string().max(256), z.string().max(16_384))
            .refine((annotations) => Object.keys(annotations).length <= 64, 'at most 64 annotations')
            .optional()
            .describe('e.g. summary, description.'),
        }),
      )
      .min(1)
      .max(500)
      .describe('The alerts (at most 500).'),
    resolve: z.boolean().default(false).describe('Resolve these alerts (matched by their labels) instead of firing.'),
    confirm: z.boolean().default(false).describe('true to fire or resolve for real; otherwise a preview.'),
  }),
  output: z.object({
    fired: z.boolean(),
    alerts: z.array(
      z.object({
        fingerprint: z.string(),
        labels: labelsSchema,
        receivers: z.array(z.string()),
        firstNotificationAt: z.string().nullable(),
        escalates: z.boolean(),
        muted: z.boolean().optional(),
      }),
    ),
    forwarded: z.object({ ok: z.boolean(), detail: z.string() }).optional(),
    config: z.string(),
  }),
  examples: [{ alerts: [{ labels: { alertname: 'DiskFull', severity: 'critical', profile: 'database' } }] }],
  async handler(input, context) {
    const service = await alertService(context);
    await service.sync();
    const now = Date.now();
    const groups = service.engine.groups();
    // When the first notification would go: the alert's group's next flush if the group exists, else
    // group_wait from now; never while a silence or inhibition mutes it or for a resolve.
    input.alerts.forEach((alert, index) => {
      const names = Object.keys(alert.labels).filter((name) => alert.labels[name] !== '');
      if (names.length === 0)
        throw new InputError(`alerts.${index}.labels`, 'an alert needs at least one non-empty label, e.g. alertname');
      const bad = names.find((name) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name));
      if (bad !== undefined)
        throw new InputError(
          `alerts.${index}.labels`,
          `"${bad}" is not a valid label name; use [a-zA-Z_][a-zA-Z0-9_]*`,
        );
    });
    const preview = (raw: Record<string, string>) => {
      const labels = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
      const alert = { labels, annotations: {}, startsAt: now, fingerprint: fingerprint(labels) };
      const route = service.engine.testRoute(labels);
      const times = route.matches.map((match) => {
        const group = groups.find((g) => g.groupKey === match.groupKey && g.receiver === match.receiver);
        return group ? group.nextFlushAt : now + match.groupWaitMs;
      });
      const muted = service.engine.isMuted(alert, now);
      const first = input.resolve || muted || times.length === 0 ? null : Math.min(...times);
      return {
        fingerprint: alert.fingerprint,
        receivers: route.receivers,
        firstNotificationAt: iso(first),
        escalates: !input.resolve && !muted && service.escalation.escalates(alert),
        ...(muted ? { muted: true } : {}),
      };
    };
    if (!input.confirm)
      return {
        fired: false,
        alerts: input.alerts.map((alert) => ({ labels: alert.labels, ...preview(alert.labels) })),
        config: service.settings.configSource,
      };
    const { alerts, forwarded } = await service.fire(input.alerts, input.resolve);
    return {
      fired: true,
      alerts: alerts.map((alert) => ({ labels: alert.labels, ...preview(alert.labels) })),
      ...(forwarded ? { forwarded } : {}),
      config: service.settings.configSource,
    };
  },
  summarize: (output) =>
    [
      output.fired
        ? `${output.alerts.length} alert(s) sent to the engine.`
        : 'Preview only: nothing was fired (pass confirm: true).',
      ...output.alerts.map(
        (alert) =>
          `${alert.labels.alertname ?? alert.fingerprint}: → ${alert.receivers.join(', ') || 'no receiver'}${alert.firstNotificationAt ? `, first notification at ${alert.firstNotificationAt}` : ''}${alert.escalates ? ', escalates until acked' : ''}`,
      ),
      ...(output.forwarded ? [`Alertmanager: ${output.forwarded.detail}`] : []),
      `routing config: ${output.config}`,
    ].join('\n'),
});

export const listAlerts = defineTool({
  name: 'monitoring_list_alerts',
  domain: 'monitoring',
  tags: ['alert', 'list', 'status', 'silence', 'escalation', 'group', 'notification', 'repeat'],
  requests: [
    'which alerts are firing right now',
    'when will the next alert notification be repeated',
    'show escalations and silences',
  ],
  title: 'List alerts, groups, escalation and silences',
  description:
    "Lists firing alerts (active or suppressed, and by which silence or inhibition), the aggregation groups with their next flush and next repeat, each escalation with its tier and next due time, silences, and the latest deliveries with each integration's result. Example: {}",
  kind: { effect: 'readOnly' },
  input: z.object({
    deliveries: z.number().int().min(0).max(200).default(20).describe('How many recent deliveries to show.'),
  }),
  output: z.object({
    alerts: z.array(alertRow),
    groups: z.array(z.record(z.string(), z.unknown())),
    escalation: z.array(escalationRow),
    silences: z.array(z.record(z.string(), z.unknown())),
    deliveries: z.array(z.record(z.string(), z.unknown())),
    outbox: z.array(z.record(z.string(), z.unknown())),
    config: z.string(),
  }),
  examples: [{}],
  async handler(input, context) {
    const service = await alertService(context);
    await service.sync();
    return {
      alerts: rows(service),
      groups: service.engine.groups().map((group) => ({
        ...group,
        nextFlushAt: iso(group.nextFlushAt),
        lastSentAt: iso(group.lastSentAt),
        nextRepeatAt: iso(group.nextRepeatAt),
      })),
      escalation: escalationRows(service),
      silences: service.engine.listSilences().map((silence) => ({
        ...silence,
        startsAt: iso(silence.startsAt),
        endsAt: iso(silence.endsAt),
      })),
      deliveries: service.recentDeliveries(input.deliveries).map((record) => ({
        ...record,
        at: iso(record.at),
        nextRepeatAt: iso(record.nextRepeatAt),
        ...(record.retryAt !== undefined ? { retryAt: iso(record.retryAt) } : {}),
      })),
      outbox: service.pendingDeliveries().map((entry) => ({ ...entry, dueAt: iso(entry.dueAt) })),
      config: service.settings.configSource,
    };
  },
  summarize: (output) => {
    const lines = [`${output.alerts.length} firing alert(s); routing config: ${output.config}.`];
    for (const alert of output.alerts.slice(0, 30))
      lines.push(`${alert.labels.alertname ?? alert.fingerprint} [${alert.state}] → ${alert.receivers.join(', ')}`);
    for (const group of output.groups.slice(0, 30))
      lines.push(
        `group ${String(group.groupKey)} → ${String(group.receiver)}: next flush ${String(group.nextFlushAt)}, next repeat ${String(group.nextRepeatAt)}`,
      );
    for (const step of output.escalation.slice(0, 30))
      lines.push(
        `escalation ${step.alertname ?? step.fingerprint}: ${step.state}, tier ${step.tierReached}/${step.tiers.length}${step.nextDueAt ? `, next ${step.nextReceiver} at ${step.nextDueAt}` : ''}`,
      );
    for (const record of output.deliveries.slice(-10))
      lines.push(
        `sent ${String(record.at)} to ${String(record.receiver)} (${String(record.reason)}): ${JSON.stringify(record.results)}`,
      );
    return lines.join('\n');
  },
});

export const ackAlert = defineTool({
  name: 'monitoring_ack_alert',
  domain: 'monitoring',
  tags: ['alert', 'ack', 'acknowledge', 'escalation', 'on-call', 'paging'],
  requests: ['acknowledge the disk alert so it stops escalating', 'ack the critical alert for two hours'],
  title: 'Acknowledge an escalating alert',
  description:
    'Acknowledges an escalating alert (by fingerprint or alertname) so no further tier is notified until the ack expires; an expired ack re-arms escalation. Example: {"alert": "DiskFull", "minutes": 60, "comment": "on it"}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    alert: z.string().min(1).max(300).describe('The fingerprint, or an alertname that one escalation has.'),
    minutes: z.number().positive().max(43_200).optional().describe("How long the ack holds; default the policy's."),
    comment: z.string().max(1000).optional().describe('Why, for the log.'),
    by: z.string().min(1).max(200).default('agent').describe('Who acknowledges.'),
  }),
  output: z.object({ escalation: z.array(escalationRow) }),
  examples: [{ alert: 'DiskFull', minutes: 60 }],
  async handler(input, context) {
    const service = await alertService(context);
    await service.sync();
    const running = service.escalation.list();
    let target = running.find((state) => state.fingerprint === input.alert);
    if (!target) {
      const named = running.filter((state) => state.alertname === input.alert);
      if (named.length > 1)
        throw new InputError(
          'alert',
          `${named.length} escalations are for ${input.alert}; pass one fingerprint: ${named.map((s) => s.fingerprint).join(', ')}`,
        );
      target = named[0];
    }
    if (!target)
      throw new InputError(
        'alert',
        `no escalation is running for ${input.alert}${
          running.length > 0
            ? `; running: ${running
                .map((s) => s.alertname ?? s.fingerprint)
                .slice(0, 10)
                .join(', ')}`
            : ' (none is running)'
        }`,
      );
    const maxMinutes = service.escalation.policy.maxAckTtlMs / 60_000;
    if (input.minutes !== undefined && input.minutes > maxMinutes)
      throw new InputError(
        'minutes',
        `${input.minutes}; an ack lasts at most ${maxMinutes} minutes (escalation.maxAckTtlMs)`,
      );
    await service.change(() =>
      service.escalation.ack(target.fingerprint, {
        by: input.by,
        ...(input.comment !== undefined ? { comment: input.comment } : {}),
        ...(input.minutes !== undefined ? { ttlMs: Math.round(input.minutes * 60_000) } : {}),
      }),
    );
    return { escalation: escalationRows(service).filter((row) => row.fingerprint === target.fingerprint) };
  },
  summarize: (output) =>
    output.escalation
      .map((row) => `${row.alertname ?? row.fingerprint}: acked by ${row.ack?.by} until ${row.ack?.until}`)
      .join('\n'),
});

export const silenceAlerts = defineTool({
  name: 'monitoring_silence_alerts',
  domain: 'monitoring',
  tags: ['alert', 'silence', 'mute', 'maintenance', 'expire'],
  requests: ['silence alerts from db-1 during maintenance', 'mute the disk alerts for an hour', 'remove the silence'],
  title: 'Add or expire a silence',
  description:
    'Adds an Alertmanager-style silence (matchers such as job="db" or instance=~"db-.*", all must match; =~ is an anchored RE2 match) for some minutes, or expires one by id. Silenced alerts are not sent. Example: {"matchers": ["alertname=\\"DiskFull\\""], "minutes": 60}',
  kind: { effect: 'action' },
  input: z.object({
    matchers: z
      .array(z.string().min(1).max(1000))
      .max(50)
      .optional()
      .describe('Matchers name op "value", op one of = != =~ !~.'),
    minutes: z.number().positive().max(525_600).default(60).describe('How long the silence lasts.'),
    comment: z.string().max(1000).default('').describe('Why.'),
    createdBy: z.string().min(1).max(200).default('agent').describe('Who silences.'),
    expire: z.string().min(1).max(100).optional().describe('A silence id to expire instead.'),
  }),
  output: z.object({ silence: z.record(z.string(), z.unknown()), suppressed: z.array(z.string()) }),
  examples: [{ matchers: ['alertname="DiskFull"', 'instance=~"db-.*"'], minutes: 30, comment: 'disk swap' }],
  async handler(input, context) {
    const service = await alertService(context);
    if (input.expire !== undefined && input.matchers !== undefined)
      throw new InputError('matchers', 'give matchers to add a silence, or expire to end one, not both');
    if (input.expire !== undefined) {
      const id = input.expire;
      const silence = await service.change(() => service.engine.expireSilence(id));
      return { silence: { ...silence, startsAt: iso(silence.startsAt), endsAt: iso(silence.endsAt) }, suppressed: [] };
    }
    if (!input.matchers || input.matchers.length === 0)
      throw new InputError('matchers', 'give at least one matcher, e.g. ["alertname=\\"DiskFull\\""], or expire: <id>');
    const matchers = input.matchers.map((text, index) => {
      try {
        const matcher = parseMatcher(text);
        return {
          name: matcher.name,
          value: matcher.value,
          isRegex: matcher.type === '=~' || matcher.type === '!~',
          isEqual: matcher.type === '=' || matcher.type === '=~',
        };
      } catch (error) {
        if (error instanceof MatcherError) throw new InputError(`matchers.${index}`, error.message);
        throw error;
      }
    });
    const now = Date.now();
    const silence = await service.change(() =>
      service.engine.addSilence({
        matchers,
        endsAt: now + Math.round(input.minutes * 60_000),
        createdBy: input.createdBy,
        comment: input.comment,
      }),
    );
    const suppressed = service.engine
      .listAlerts()
      .filter((view) => view.silencedBy.includes(silence.id))
      .map((view) => view.alert.labels.alertname ?? view.alert.fingerprint);
    return { silence: { ...silence, startsAt: iso(silence.startsAt), endsAt: iso(silence.endsAt) }, suppressed };
  },
  summarize: (output) =>
    `silence ${String(output.silence.id)} until ${String(output.silence.endsAt)}; it mutes ${output.suppressed.length} firing alert(s)${output.suppressed.length ? `: ${output.suppressed.join(', ')}` : ''}`,
});

export const alertTools = [fireAlerts, listAlerts, ackAlert, silenceAlerts] as const;
