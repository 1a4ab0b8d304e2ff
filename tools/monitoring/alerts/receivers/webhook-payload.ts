// Alertmanager's generic webhook payload, version "4", field for field as Alertmanager 0.25 sends
// it (Go's RFC3339Nano times; endsAt "0001-01-01T00:00:00Z" when unset; max_alerts keeps the first
// N alerts and counts the rest in truncatedAlerts). The body stays exactly Alertmanager's; when the
// next repeat is due travels in a header (`X-Caelum-Next-Repeat-At`, see send.ts).
import type { Notification, ReceiverConfig } from '../alert-types.js';
import { goTime } from './text-limits.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

export function buildWebhookPayload(
  n: Notification,
  config: ReceiverConfig['webhook'][number],
  options: { externalUrl?: string } = {},
): WebhookPayload {
  const limit = config.maxAlerts > 0 ? config.maxAlerts : n.alerts.length;
  const kept = n.alerts.slice(0, limit);
  return {
    receiver: n.receiver,
    status: n.status,
    alerts: kept.map(({ status, alert }) => ({
      status,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: goTime(alert.startsAt),
      endsAt: goTime(alert.endsAt),
      generatorURL: alert.generatorURL ?? '',
      fingerprint: alert.fingerprint,
    })),
    groupLabels: n.groupLabels,
    commonLabels: n.commonLabels,
    commonAnnotations: n.commonAnnotations,
    externalURL: options.externalUrl ?? '',
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
  };
}
