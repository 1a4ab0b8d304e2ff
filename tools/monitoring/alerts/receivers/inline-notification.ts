// A notification built from alerts given inline (by an agent or a test) rather than by the
// dispatcher: one group, its labels the `groupBy` labels the alerts share, common labels and
// annotations those every alert has with the same value, the next repeat `repeatIntervalMs` away.
import type { Alert, LabelSet, Notification } from '../alert-types.js';
import { fingerprint } from '../routing/fingerprint.js';

export interface InlineAlert {
  labels: LabelSet;
  annotations?: Record<string, string> | undefined;
  startsAt?: number | undefined;
  endsAt?: number | undefined;
  generatorURL?: string | undefined;
}

function common(maps: Record<string, string>[]): Record<string, string> {
  if (maps.length === 0) return {};
  const out: Record<string, string> = { ...maps[0] };
  for (const map of maps.slice(1)) for (const key of Object.keys(out)) if (map[key] !== out[key]) delete out[key];
  return out;
}

function labelText(labels: LabelSet): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return `{${pairs.join(',')}}`;
}

export function toAlert(inline: InlineAlert, now: number): Alert {
  return {
    labels: inline.labels,
    annotations: inline.annotations ?? {},
    startsAt: inline.startsAt ?? now,
    endsAt: inline.endsAt,
    generatorURL: inline.generatorURL,
    fingerprint: fingerprint(inline.labels),
  };
}

export function inlineNotification(
  receiver: string,
  inline: InlineAlert[],
  options: { now: number; groupBy?: string[]; repeatIntervalMs?: number; reason?: Notification['reason'] },
): Notification {
  const alerts = inline.map((a) => toAlert(a, options.now));
  const statuses = alerts.map((alert) => ({
    status: alert.endsAt !== undefined && alert.endsAt <= options.now ? ('resolved' as const) : ('firing' as const),
    alert,
  }));
  const commonLabels = common(alerts.map((a) => a.labels));
  const groupLabels: LabelSet = {};
  for (const name of options.groupBy ?? ['alertname'])
    if (commonLabels[name] !== undefined) groupLabels[name] = commonLabels[name];
  const status = statuses.some((s) => s.status === 'firing') ? 'firing' : 'resolved';
  const repeat = options.repeatIntervalMs ?? 4 * 3600_000;
  return {
    receiver,
    groupKey: `{}:${labelText(groupLabels)}`,
    groupLabels,
    commonLabels,
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    status,
    alerts: statuses,
    reason: options.reason ?? 'group_wait',
    at: options.now,
    nextRepeatAt: status === 'firing' && repeat > 0 ? options.now + repeat : null,
  };
}
