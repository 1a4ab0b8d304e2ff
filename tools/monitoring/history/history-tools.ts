// monitoring_get_alert_history, monitoring_list_notifications and monitoring_get_remediation_history:
// what happened, read back from the append-only logs in <dataDir>/monitoring/ (the alert service and
// the remediation runner write them; these tools only read). Each answer is bounded by a limit.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { defineTool } from '../../define-tool.js';
import { alertServiceOf } from '../alerts/alert-service.js';
import { alertHistory, notificationRows, readAlertLogs } from './alert-history.js';
import { readRemediationLog, remediationRuns } from './remediation-history.js';

/**
 * Waits until a running alert service has put what it holds in memory on disk, so the logs are current;
 * a service sharing its logs in PostgreSQL (databaseUrl) is read from there.
 */
async function flushedLogs(context: ToolContext) {
  const running = alertServiceOf(context.environment.dataDir);
  const service = running ? await running.catch(() => undefined) : undefined;
  await service?.flush().catch(() => undefined);
  const shared = await service?.sharedEvents();
  if (shared) return { ...shared, damaged: { alerts: 0, escalation: 0, notifications: 0 } };
  return readAlertLogs(context.environment.dataDir);
}

const sinceField = z
  .number()
  .positive()
  .max(24 * 366)
  .optional()
  .describe('Only the last this many hours; default everything in the log.');

const damagedSchema = z.record(z.string(), z.number().int()).describe('unreadable lines skipped, per log');

export const getAlertHistory = defineTool({
  name: 'monitoring_get_alert_history',
  domain: 'monitoring',
  tags: ['alert', 'history', 'timeline', 'postmortem', 'audit', 'past', 'log', 'acknowledged'],
  requests: [
    'what happened with the DiskFull alert',
    'show the timeline of this alert: when it fired, who acked it, when it resolved',
    'how often has this alert fired lately',
    'who was paged for the database alert',
  ],
  title: "An alert's timeline from the logs",
  description:
    'Returns the timeline of one alert (by fingerprint, or every alert with that alertname) from the monitoring event logs, oldest first: fired, updated (fired again when already firing), resolved, silences that matched it added and expired, escalation steps (started, escalated to a tier\'s receiver, acked by whom and until when, ack expired, resolved), and every notification that carried it with its outcome (sent, retrying, failed, muted…) and the integration errors. Also a summary per alert: firing or resolved, first fired, notifications sent. For what is firing now use monitoring_list_alerts. Example: {"alert": "DiskFull", "sinceHours": 24}',
  kind: { effect: 'readOnly' },
  input: z.object({
    alert: z.string().min(1).max(300).describe('An alertname (e.g. DiskFull) or an alert fingerprint.'),
    sinceHours: sinceField,
    limit: z.number().int().min(1).max(2000).default(200).describe('At most this many timeline entries (the newest).'),
  }),
  output: z.object({
    alerts: z.array(
      z.object({
        fingerprint: z.string(),
        labels: z.record(z.string(), z.string()),
        state: z.enum(['firing', 'resolved']),
        firstFiredAt: z.string(),
        lastResolvedAt: z.string().nullable(),
        notifications: z.number().int().describe('notifications sent that carried it'),
        escalationSteps: z.number().int(),
      }),
    ),
    timeline: z.array(z.object({ at: z.string(), fingerprint: z.string(), event: z.string(), detail: z.string() })),
    totalEvents: z.number().int(),
    knownAlertnames: z.array(z.string()).describe('alertnames in the log, when this alert is not among them'),
    damagedLines: damagedSchema,
  }),
  examples: [{ alert: 'DiskFull' }],
  async handler(input, context) {
    const logs = await flushedLogs(context);
    const history = alertHistory(logs, input.alert, {
      ...(input.sinceHours !== undefined ? { sinceMs: Date.now() - input.sinceHours * 3_600_000 } : {}),
      limit: input.limit,
    });
    return {
      ...history,
      knownAlertnames: history.alerts.length === 0 ? history.knownAlertnames : [],
      damagedLines: logs.damaged,
    };
  },
  summarize: (o) =>
    o.alerts.length === 0
      ? `no alert with that name or fingerprint in the logs${o.knownAlertnames.length ? `; alerts in the logs: ${o.knownAlertnames.join(', ')}` : ' (none has fired yet)'}`
      : [
          ...o.alerts.map(
            (a) =>
              `${a.labels.alertname ?? a.fingerprint} ${JSON.stringify(a.labels)}: ${a.state}, first fired ${a.firstFiredAt}${a.lastResolvedAt ? `, last resolved ${a.lastResolvedAt}` : ''}, ${a.notifications} notifications sent`,
          ),
          `${o.timeline.length} of ${o.totalEvents} events:`,
          ...o.timeline.map((e) => `  ${e.at} ${e.event}${e.detail ? `: ${e.detail}` : ''}`),
        ].join('\n'),
});

const notificationStates = [
  'pending',
  'sent',
  'retrying',
  'failed',
  'muted',
  'no_integrations',
  'superseded',
  'routed',
] as const;

export const listNotifications = defineTool({
  name: 'monitoring_list_notifications',
  domain: 'monitoring',
  tags: ['notification', 'delivery', 'outbox', 'failed', 'retry', 'slack', 'pagerduty', 'pages', 'webhook', 'email'],
  requests: [
    'which alert notifications failed to deliver',
    'did the slack notification go out',
    'show notifications still waiting to be retried',
  ],
  title: 'List alert notifications and their delivery',
  description:
    'Lists the alert notifications in the outbox log, newest first: each one\'s receiver, alerts, why it was sent (group_wait, group_interval, repeat, escalation), attempts, its state (pending, retrying with the next retry time, sent, failed after the last attempt, muted, routed, superseded, no_integrations) and each integration\'s error. Filter by receiver, state or the last hours; reads the whole log, where monitoring_list_alerts shows only the latest deliveries. To send one by hand use monitoring_send_notification. Example: {"state": "failed", "sinceHours": 24}',
  kind: { effect: 'readOnly' },
  input: z.object({
    receiver: z.string().min(1).max(200).optional().describe('Only notifications to this receiver.'),
    state: z.enum(notificationStates).optional().describe('Only notifications in this state.'),
    sinceHours: sinceField,
    limit: z.number().int().min(1).max(1000).default(50).describe('At most this many, newest first.'),
  }),
  output: z.object({
    notifications: z.array(
      z.object({
        id: z.string(),
        receiver: z.string(),
        groupKey: z.string(),
        status: z.enum(['firing', 'resolved']),
        reason: z.string(),
        alertnames: z.array(z.string()),
        alerts: z.number().int(),
        queuedAt: z.string().nullable(),
        lastAttemptAt: z.string().nullable(),
        attempts: z.number().int(),
        state: z.enum(notificationStates),
        retryAt: z.string().nullable(),
        errors: z.array(z.string()),
      }),
    ),
    total: z.number().int().describe('matching notifications, before the limit'),
    byState: z.record(z.string(), z.number().int()).describe('matching notifications per state'),
    damagedLines: damagedSchema,
  }),
  examples: [{}, { state: 'failed', sinceHours: 24 }],
  async handler(input, context) {
    const logs = await flushedLogs(context);
    const since = input.sinceHours === undefined ? undefined : Date.now() - input.sinceHours * 3_600_000;
    const matching = notificationRows(logs).filter(
      (row) =>
        (input.receiver === undefined || row.receiver === input.receiver) &&
        (input.state === undefined || row.state === input.state) &&
        (since === undefined || Date.parse(row.lastAttemptAt ?? row.queuedAt ?? '') >= since),
    );
    const byState: Record<string, number> = {};
    for (const row of matching) byState[row.state] = (byState[row.state] ?? 0) + 1;
    return {
      notifications: matching.slice(0, input.limit),
      total: matching.length,
      byState,
      damagedLines: logs.damaged,
    };
  },
  summarize: (o) =>
    [
      `${o.notifications.length} of ${o.total} notifications (${
        Object.entries(o.byState)
          .map(([state, n]) => `${state} ${n}`)
          .join(', ') || 'none'
      })`,
      ...o.notifications.map(
        (n) =>
          `  ${n.lastAttemptAt ?? n.queuedAt} ${n.state} → ${n.receiver} (${n.status}, ${n.reason}, ${n.attempts} attempts): ${n.alertnames.join(', ')}${n.retryAt ? `; retry at ${n.retryAt}` : ''}${n.errors.length ? `; ${n.errors.join('; ')}` : ''}`,
      ),
    ].join('\n'),
});

export const getRemediationHistory = defineTool({
  name: 'monitoring_get_remediation_history',
  domain: 'monitoring',
  tags: ['remediation', 'history', 'playbook', 'runs', 'restart', 'audit', 'journal'],
  requests: [
    'what remediation ran on web-01 recently',
    'did the last auto-remediation succeed',
    'show the history of playbook runs',
  ],
  title: 'Remediation playbooks executed in the past',
  description:
    'Lists the remediation playbooks executed in the past, from the journal monitoring_run_remediation writes (<dataDir>/monitoring/remediation.jsonl), newest first: server, playbook, start and end, status (succeeded, failed, cancelled, unfinished) and every step with its status, duration and detail, plus the refused runs (rate limited, in progress, not configured). Filter by server or the last hours. It runs nothing; monitoring_plan_remediation shows what a run would do. Example: {"server": "web-01", "limit": 5}',
  kind: { effect: 'readOnly' },
  input: z.object({
    server: z.string().min(1).max(253).optional().describe('Only runs on this server.'),
    sinceHours: sinceField,
    limit: z.number().int().min(1).max(500).default(20).describe('At most this many runs, newest first.'),
  }),
  output: z.object({
    runs: z.array(
      z.object({
        runId: z.string().nullable().describe('null for a refused run'),
        server: z.string(),
        playbook: z.string(),
        status: z.string(),
        startedAt: z.string(),
        endedAt: z.string().nullable(),
        durationMs: z.number().nullable(),
        steps: z.array(
          z.object({
            step: z.number().int(),
            kind: z.string(),
            action: z.string(),
            status: z.string(),
            durationMs: z.number().nullable(),
            detail: z.string(),
          }),
        ),
        detail: z.string(),
      }),
    ),
    total: z.number().int(),
    damagedLines: z.number().int(),
  }),
  examples: [{}, { server: 'web-01', limit: 5 }],
  async handler(input, context) {
    const log = await readRemediationLog(context.environment.dataDir);
    const since = input.sinceHours === undefined ? undefined : Date.now() - input.sinceHours * 3_600_000;
    const runs = remediationRuns(log.events).filter(
      (run) =>
        (input.server === undefined || run.server === input.server) &&
        (since === undefined || Date.parse(run.startedAt) >= since),
    );
    return { runs: runs.slice(0, input.limit), total: runs.length, damagedLines: log.damagedLines.length };
  },
  summarize: (o) =>
    o.runs.length === 0
      ? 'no remediation runs in the journal'
      : [
          `${o.runs.length} of ${o.total} runs`,
          ...o.runs.flatMap((r) => [
            `  ${r.startedAt} ${r.playbook} on ${r.server}: ${r.status}${r.durationMs !== null ? ` in ${r.durationMs} ms` : ''}${r.detail && r.runId === null ? ` (${r.detail})` : ''}`,
            ...r.steps.map(
              (s) => `    ${s.step}. [${s.kind}] ${s.action}: ${s.status}${s.detail ? ` (${s.detail})` : ''}`,
            ),
          ]),
        ].join('\n'),
});

export const historyTools = [getAlertHistory, listNotifications, getRemediationHistory];
