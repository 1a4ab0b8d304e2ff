// monitoring_send_notification and monitoring_forward_alerts: an agent's way to send alerts to a
// configured receiver (dry run unless confirm: true) and to forward alerts to an Alertmanager.
// Receivers come from config `monitoring.alerting.receivers` (the Alertmanager YAML's receivers,
// secrets included); an inline receiver is accepted for dry runs only, so an agent can preview the
// payloads without any configuration but can only really send to what an operator configured.
import { z } from 'zod';
import type { ReceiverConfig } from '../alert-types.js';
import type { ToolContext } from '../../../context.js';
import { defineTool } from '../../../define-tool.js';
import { InputError, ToolError } from '../../../errors.js';
import { redactUrl } from '../../../redact.js';
import { forwardAlerts, postableAlert } from './forward.js';
import { inlineNotification, toAlert, type InlineAlert } from './inline-notification.js';
import { nextRepeatLine } from './notification-text.js';
import { sendNotification, type IntegrationResult } from './send.js';

interface AlertingSettings {
  receivers?: ReceiverConfig[];
  alertmanagerUrl?: string;
}

/** Config `monitoring.alerting`, as the lead's config will provide it. */
export function alertingSettings(context: ToolContext): AlertingSettings | undefined {
  return (context.environment as { monitoring?: { alerting?: AlertingSettings } }).monitoring?.alerting;
}

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name is [a-zA-Z_][a-zA-Z0-9_]*');
const inlineAlertSchema = z.object({
  labels: z
    .record(labelName, z.string().max(4096))
    .refine((labels) => Object.keys(labels).length > 0, 'at least one label, e.g. alertname')
    .describe('The alert labels, e.g. {"alertname":"DiskFull","severity":"critical","server":"db-1"}.'),
  annotations: z.record(z.string(), z.string().max(16_384)).optional().describe('Annotations such as summary.'),
  startsAt: z.iso.datetime({ offset: true }).optional().describe('ISO time it started; default now.'),
  endsAt: z.iso.datetime({ offset: true }).optional().describe('ISO time it ended; in the past means resolved.'),
  generatorURL: z.url().optional().describe('Link back to what produced the alert.'),
});
type InlineAlertInput = z.infer<typeof inlineAlertSchema>;

const alertsField = z.array(inlineAlertSchema).min(1).max(500).describe('The alerts (at most 500).');

function toInline(alerts: InlineAlertInput[]): InlineAlert[] {
  return alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt === undefined ? undefined : Date.parse(a.startsAt),
    endsAt: a.endsAt === undefined ? undefined : Date.parse(a.endsAt),
    generatorURL: a.generatorURL,
  }));
}

const inlineReceiverSchema = z.object({
  slack: z
    .array(
      z.object({
        apiUrl: z.url(),
        channel: z.string().optional(),
        title: z.string().optional(),
        text: z.string().optional(),
        sendResolved: z.boolean().default(false),
      }),
    )
    .default([]),
  pagerduty: z
    .array(
      z.object({
        routingKey: z.string().min(1),
        url: z.url().default('https://events.pagerduty.com/v2/enqueue'),
        severity: z.string().optional(),
        sendResolved: z.boolean().default(true),
      }),
    )
    .default([]),
  webhook: z
    .array(
      z.object({
        url: z.url(),
        maxAlerts: z.number().int().min(0).default(0),
        sendResolved: z.boolean().default(true),
      }),
    )
    .default([]),
  email: z
    .array(
      z.object({
        to: z.string().min(3),
        from: z.string().min(3),
        smarthost: z.string().min(3),
        authUsername: z.string().optional(),
        authPassword: z.string().optional(),
        requireTls: z.boolean().default(true),
        sendResolved: z.boolean().default(false),
      }),
    )
    .default([]),
});

const resultSchema = z.object({
  integration: z.enum(['slack', 'pagerduty', 'webhook', 'email']),
  index: z.number().int(),
  target: z.string().describe('scheme://host:port only; never the webhook path or routing key'),
  status: z.enum(['sent', 'dry_run', 'failed', 'rate_limited', 'skipped']),
  httpStatus: z.number().int().optional(),
  error: z.string().optional(),
  attempts: z.number().int(),
  payloadBytes: z.number().int(),
  payload: z.unknown().optional().describe('dry run only; secrets shown as <redacted>'),
  retryAfterMs: z.number().optional(),
  notes: z.array(z.string()),
});

function outcomeLine(r: IntegrationResult): string {
  const detail = r.error ? `: ${r.error}` : r.httpStatus ? ` (HTTP ${r.httpStatus})` : '';
  return `${r.integration}[${r.index}] ${r.target} ${r.status}${detail}`;
}

export const sendNotificationTool = defineTool({
  name: 'monitoring_send_notification',
  domain: 'monitoring',
  tags: ['alerts', 'notification', 'slack', 'pagerduty', 'webhook', 'email', 'receiver', 'dry-run'],
  requests: [
    'send this alert to the on-call pagerduty receiver',
    'preview the slack message for these alerts',
    'notify the database receiver about the disk alert',
    'preview the webhook payload of an alert group',
    'dry run the email receiver',
  ],
  title: 'Send alerts to a receiver',
  description:
    'Builds the notification for the given alerts (one group) and sends it to every integration of a configured Alertmanager receiver: Slack incoming webhook (sections ≤ 3,000 chars, 1 msg/s per webhook), PagerDuty Events v2 (summary ≤ 1,024, 512 KB cap), the generic webhook (Alertmanager payload version 4) and email over SMTP. Without confirm: true it is a DRY RUN: nothing is sent and each payload is shown with secrets as <redacted>. Every result says when the next repeat is due. A receiver answering 4xx is an error naming it. Does not route: name the receiver. Example: {"receiver":"team","alerts":[{"labels":{"alertname":"DiskFull","severity":"critical"}}],"receiverConfig":{"webhook":[{"url":"http://127.0.0.1:9/hook"}]}}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    receiver: z.string().min(1).max(200).describe('Receiver name from the configured Alertmanager receivers.'),
    alerts: alertsField,
    groupBy: z
      .array(labelName)
      .max(20)
      .default(['alertname'])
      .describe('Labels that form the group labels and title; default alertname.'),
    repeatIntervalMinutes: z
      .number()
      .min(0)
      .max(10_080)
      .default(240)
      .describe('When the next repeat is due if nothing changes (0: no repeat); default 240 (Alertmanager 4h).'),
    receiverConfig: inlineReceiverSchema
      .optional()
      .describe('An inline receiver to preview payloads with no configuration; dry runs only.'),
    confirm: z.boolean().default(false).describe('Must be true to really send; false is a dry run.'),
  }),
  output: z.object({
    receiver: z.string(),
    dryRun: z.boolean(),
    notification: z.object({
      groupKey: z.string(),
      status: z.enum(['firing', 'resolved']),
      alerts: z.number().int(),
      nextRepeatAt: z.string().nullable(),
    }),
    results: z.array(resultSchema),
    message: z.string(),
  }),
  examples: [
    {
      receiver: 'team',
      alerts: [
        {
          labels: { alertname: 'DiskFull', severity: 'critical', server: 'db-1', profile: 'database' },
          annotations: { summary: 'disk 97% full on db-1' },
        },
      ],
      receiverConfig: {
        slack: [{ apiUrl: 'https://hooks.slack.com/services/T000/B000/XXXX', sendResolved: true }],
        pagerduty: [{ routingKey: 'example-routing-key-0000' }],
        webhook: [{ url: 'http://127.0.0.1:9/hook' }],
      },
    },
  ],
  async handler(input, context) {
    const configured = alertingSettings(context)?.receivers ?? [];
    let receiver: ReceiverConfig;
    if (input.receiverConfig) {
      if (input.confirm)
        throw new InputError(
          'receiverConfig',
          'an inline receiver is for dry runs only; configure it under monitoring.alerting.receivers, or drop confirm',
        );
      receiver = { name: input.receiver, ...input.receiverConfig };
    } else {
      const found = configured.find((r) => r.name === input.receiver);
      if (!found && configured.length === 0)
        throw new ToolError(
          'NOT_CONFIGURED',
          'no receivers are configured (monitoring.alerting.receivers); add the Alertmanager receivers to the config, or pass receiverConfig for a dry run',
        );
      if (!found)
        throw new InputError(
          'receiver',
          `no receiver "${input.receiver}"; configured: ${configured.map((r) => r.name).join(', ')}`,
        );
      receiver = found;
    }
    const now = Date.now();
    const n = inlineNotification(receiver.name, toInline(input.alerts), {
      now,
      groupBy: input.groupBy,
      repeatIntervalMs: input.repeatIntervalMinutes * 60_000,
    });
    const results = await sendNotification(receiver, n, {
      dryRun: !input.confirm,
      now: () => Date.now(),
      signal: context.signal,
      timeoutMs: 10_000,
    });
    if (results.length === 0)
      throw new InputError('receiver', `receiver "${receiver.name}" has no integrations; give it one`);
    const failed = results.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      const summary = `receiver "${receiver.name}": ${results.map(outcomeLine).join('; ')}`;
      if (failed.some((r) => r.httpStatus !== undefined && r.httpStatus < 500 && r.httpStatus >= 400))
        throw new InputError('receiver', `${summary}; the receiver refused the request, check its configuration`);
      throw new ToolError('UNAVAILABLE', summary);
    }
    const verb = input.confirm ? 'sent' : 'dry run, nothing sent';
    return {
      receiver: receiver.name,
      dryRun: !input.confirm,
      notification: {
        groupKey: n.groupKey,
        status: n.status,
        alerts: n.alerts.length,
        nextRepeatAt: n.nextRepeatAt === null ? null : new Date(n.nextRepeatAt).toISOString(),
      },
      results,
      message: `${verb}: ${results.map(outcomeLine).join('; ')}; ${nextRepeatLine(n)}`,
    };
  },
  summarize: (o) => o.message,
});

export const forwardAlertsTool = defineTool({
  name: 'monitoring_forward_alerts',
  domain: 'monitoring',
  tags: ['alerts', 'alertmanager', 'forward', 'dry-run'],
  requests: [
    'forward these alerts to alertmanager',
    'fire an alert in our alertmanager',
    'post alerts to the alertmanager api',
    'resolve an alert in alertmanager',
  ],
  title: 'Forward alerts to Alertmanager',
  description:
    'Pushes alerts to an Alertmanager\'s POST /api/v2/alerts (labels, annotations, startsAt, endsAt, generatorURL), so that its own routing, silences and receivers take over. A past endsAt resolves an alert. Without confirm: true it is a DRY RUN showing the exact JSON body. The URL comes from the input or from config monitoring.alerting.alertmanagerUrl. Alertmanager\'s 400 message is quoted; an unreachable Alertmanager is UNAVAILABLE. Example: {"alertmanagerUrl":"http://127.0.0.1:9093","alerts":[{"labels":{"alertname":"DiskFull","severity":"critical"}}]}',
  kind: { effect: 'action', openWorld: true, idempotent: true },
  input: z.object({
    alertmanagerUrl: z
      .url()
      .optional()
      .describe('Alertmanager base URL, e.g. http://127.0.0.1:9093; default the configured one.'),
    alerts: alertsField,
    confirm: z.boolean().default(false).describe('Must be true to post; false shows the body only.'),
  }),
  output: z.object({
    target: z.string(),
    dryRun: z.boolean(),
    posted: z.number().int(),
    body: z.array(z.unknown()).optional().describe('dry run only: the exact JSON array that would be posted'),
    fingerprints: z.array(z.string()).describe("Alertmanager's fingerprint of each alert, in order"),
    message: z.string(),
  }),
  examples: [
    {
      alertmanagerUrl: 'http://127.0.0.1:9093',
      alerts: [{ labels: { alertname: 'DiskFull', severity: 'critical' }, annotations: { summary: 'disk 97% full' } }],
    },
  ],
  async handler(input, context) {
    const url = input.alertmanagerUrl ?? alertingSettings(context)?.alertmanagerUrl;
    if (!url)
      throw new ToolError(
        'NOT_CONFIGURED',
        'no Alertmanager URL: pass alertmanagerUrl or configure monitoring.alerting.alertmanagerUrl',
      );
    const now = Date.now();
    const alerts = toInline(input.alerts).map((a) => toAlert(a, now));
    const fingerprints = alerts.map((a) => a.fingerprint);
    if (!input.confirm) {
      const target = `${redactUrl(url).replace(/\/$/, '')}/api/v2/alerts`;
      return {
        target,
        dryRun: true,
        posted: 0,
        body: alerts.map(postableAlert),
        fingerprints,
        message: `dry run: would post ${alerts.length} alert(s) to ${target}; pass confirm: true to post`,
      };
    }
    const result = await forwardAlerts(url, alerts, { signal: context.signal, timeoutMs: 10_000 });
    return {
      target: result.target,
      dryRun: false,
      posted: result.posted,
      fingerprints,
      message: `posted ${result.posted} alert(s) to ${result.target} (HTTP ${result.httpStatus})`,
    };
  },
  summarize: (o) => o.message,
});

export const notifyTools = [sendNotificationTool, forwardAlertsTool] as const;
