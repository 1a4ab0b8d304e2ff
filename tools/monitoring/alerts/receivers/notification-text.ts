// The words every receiver shares: a title in Alertmanager's default shape
// (`[FIRING:2] <group label values>`), one line per alert, and when the next repeat is due.
import type { Alert, Notification } from '../alert-types.js';

export function firingCount(n: Notification): number {
  return n.alerts.filter((a) => a.status === 'firing').length;
}

/** Alertmanager's default title: status, the firing count, then the group labels' values. */
export function notificationTitle(n: Notification): string {
  const status = n.status === 'firing' ? `FIRING:${firingCount(n)}` : 'RESOLVED';
  const values = Object.keys(n.groupLabels)
    .sort()
    .map((key) => n.groupLabels[key]);
  const name = values.length > 0 ? values.join(' ') : (n.commonLabels.alertname ?? 'alerts');
  return `[${status}] ${name}`;
}

/** "next repeat at …", or why there is none. */
export function nextRepeatLine(n: Notification): string {
  if (n.nextRepeatAt === null) return 'next repeat: none (the group is resolved or repeats are off)';
  return `next repeat at ${new Date(n.nextRepeatAt).toISOString()} if nothing changes`;
}

function pairs(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}="${labels[key]}"`)
    .join(', ');
}

/** One alert in a line or two: status, labels, then its summary or description when it has one. */
export function alertLine(status: string, alert: Alert): string {
  const text = alert.annotations.summary ?? alert.annotations.description ?? alert.annotations.message;
  const since = new Date(alert.startsAt).toISOString();
  const head = `[${status}] ${alert.labels.alertname ?? alert.fingerprint} {${pairs(alert.labels)}} since ${since}`;
  return text ? `${head}\n  ${text}` : head;
}

/** The body text used by email and as Slack's fallback: every alert, then the repeat line. */
export function notificationBody(n: Notification): string {
  const lines = n.alerts.map((a) => alertLine(a.status, a.alert));
  return [`${notificationTitle(n)} (receiver ${n.receiver}, ${n.reason})`, '', ...lines, '', nextRepeatLine(n)].join(
    '\n',
  );
}
