// Histories read back from the alert service's JSONL logs in <dataDir>/monitoring/: one alert's
// timeline (fired, updated, resolved, silences that matched it, escalation steps, each notification
// that carried it) and the notification outbox (each notification with its attempts and final
// outcome). The service keeps only the latest deliveries in memory; the logs hold everything.
import type { Alert, LabelSet, Notification } from '../alerts/alert-types.js';
import type { DeliveryRecord, QueuedRecord } from '../alerts/alert-service.js';
import type { EngineEvent } from '../alerts/routing/alert-engine.js';
import type { EscalationEvent } from '../alerts/escalation/escalation.js';
import { CompiledSilence } from '../alerts/routing/silences.js';
import { EventLog, monitoringLogFile } from '../state/event-log.js';

const iso = (ms: number) => new Date(ms).toISOString();

export interface LogsRead {
  alerts: EngineEvent[];
  escalation: EscalationEvent[];
  notifications: (QueuedRecord | DeliveryRecord)[];
  /** Damaged (unparseable) complete lines per log. */
  damaged: Record<string, number>;
}

export async function readAlertLogs(dataDir: string): Promise<LogsRead> {
  const [alerts, escalation, notifications] = await Promise.all([
    new EventLog<EngineEvent>(monitoringLogFile(dataDir, 'alerts')).read(),
    new EventLog<EscalationEvent>(monitoringLogFile(dataDir, 'escalation')).read(),
    new EventLog<QueuedRecord | DeliveryRecord>(monitoringLogFile(dataDir, 'notifications')).read(),
  ]);
  return {
    alerts: alerts.events,
    escalation: escalation.events,
    notifications: notifications.events,
    damaged: {
      alerts: alerts.damagedLines.length,
      escalation: escalation.damagedLines.length,
      notifications: notifications.damagedLines.length,
    },
  };
}

export interface TimelineEntry {
  at: string;
  fingerprint: string;
  event: string;
  detail: string;
}

export interface AlertHistory {
  alerts: {
    fingerprint: string;
    labels: LabelSet;
    state: 'firing' | 'resolved';
    firstFiredAt: string;
    lastResolvedAt: string | null;
    notifications: number;
    escalationSteps: number;
  }[];
  timeline: TimelineEntry[];
  totalEvents: number;
  knownAlertnames: string[];
}

function describeSilence(silence: CompiledSilence['silence']): string {
  const matchers = silence.matchers
    .map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`)
    .join(', ');
  return `silence ${silence.id} {${matchers}} by ${silence.createdBy} until ${iso(silence.endsAt)}${silence.comment ? `: ${silence.comment}` : ''}`;
}

/**
 * The timeline of every alert whose fingerprint is `alert`, or whose alertname is `alert`, since
 * `sinceMs`, oldest first, at most `limit` entries (the newest are kept).
 */
export function alertHistory(
  logs: LogsRead,
  alert: string,
  options: { sinceMs?: number; limit: number },
): AlertHistory {
  const labelsOf = new Map<string, LabelSet>();
  for (const event of logs.alerts)
    if (event.type === 'fire' && (event.alert.fingerprint === alert || event.alert.labels.alertname === alert))
      labelsOf.set(event.alert.fingerprint, event.alert.labels);
  const since = options.sinceMs ?? 0;
  const timeline: (TimelineEntry & { ms: number })[] = [];
  const push = (ms: number, fingerprint: string, event: string, detail: string) => {
    if (ms >= since) timeline.push({ ms, at: iso(ms), fingerprint, event, detail });
  };
  const firing = new Set<string>();
  const summary = new Map<string, AlertHistory['alerts'][number]>();
  const silences = new Map<string, CompiledSilence>();
  for (const event of logs.alerts) {
    if (event.type === 'fire') {
      const fp = event.alert.fingerprint;
      if (!labelsOf.has(fp)) continue;
      const row = summary.get(fp) ?? {
        fingerprint: fp,
        labels: event.alert.labels,
        state: 'firing' as const,
        firstFiredAt: iso(event.at),
        lastResolvedAt: null,
        notifications: 0,
        escalationSteps: 0,
      };
      row.state = 'firing';
      summary.set(fp, row);
      push(event.at, fp, firing.has(fp) ? 'updated' : 'fired', annotationsText(event.alert));
      firing.add(fp);
    } else if (event.type === 'resolve') {
      const row = summary.get(event.fingerprint);
      if (!row) continue;
      row.state = 'resolved';
      row.lastResolvedAt = iso(event.at);
      firing.delete(event.fingerprint);
      push(event.at, event.fingerprint, 'resolved', '');
    } else if (event.type === 'silence_add') {
      let compiled: CompiledSilence;
      try {
        compiled = new CompiledSilence(event.silence);
      } catch {
        continue;
      }
      silences.set(event.silence.id, compiled);
      for (const [fp, labels] of labelsOf)
        if (compiled.matches(labels)) push(event.at, fp, 'silence_added', describeSilence(event.silence));
    } else if (event.type === 'silence_expire') {
      const compiled = silences.get(event.id);
      if (!compiled) continue;
      for (const [fp, labels] of labelsOf)
        if (compiled.matches(labels)) push(event.at, fp, 'silence_expired', `silence ${event.id}`);
    }
  }
  for (const step of logs.escalation) {
    const row = summary.get(step.fingerprint);
    if (!row) continue;
    row.escalationSteps += 1;
    const detail =
      step.step === 'escalated'
        ? `tier ${step.tier} → ${step.receiver} (profile ${step.profile})`
        : step.step === 'acked'
          ? `by ${step.by ?? '?'}${step.ackedUntil ? ` until ${iso(step.ackedUntil)}` : ''}${step.comment ? `: ${step.comment}` : ''}`
          : step.step === 'started'
            ? `profile ${step.profile}, tiers ${(step.tiers ?? []).map((t) => t.receiver).join(' → ')}`
            : `tier reached ${step.tier}`;
    push(step.at, step.fingerprint, `escalation_${step.step}`, detail);
  }
  for (const record of logs.notifications) {
    if (record.type !== 'delivery') continue;
    for (const fp of record.alerts) {
      const row = summary.get(fp);
      if (!row) continue;
      if (record.outcome === 'sent') row.notifications += 1;
      const failures = record.results
        .filter((r) => r.status !== 'sent')
        .map((r) => `${r.integration}: ${r.error ?? r.status}`);
      push(
        record.at,
        fp,
        `notification_${record.outcome}`,
        `${record.status} to ${record.receiver} (${record.reason}, attempt ${record.attempt})${failures.length ? `; ${failures.join('; ')}` : ''}`,
      );
    }
  }
  timeline.sort((a, b) => a.ms - b.ms);
  const names = new Set<string>();
  for (const event of logs.alerts)
    if (event.type === 'fire' && event.alert.labels.alertname) names.add(event.alert.labels.alertname);
  return {
    alerts: [...summary.values()],
    timeline: timeline.slice(-options.limit).map(({ ms: _ms, ...entry }) => entry),
    totalEvents: timeline.length,
    knownAlertnames: [...names].sort().slice(0, 50),
  };
}

function annotationsText(alert: Alert): string {
  const summary = alert.annotations.summary ?? alert.annotations.description;
  return summary ? summary.slice(0, 300) : '';
}

// ------------------------------------------------------------------------------------ notifications

export type NotificationState = DeliveryRecord['outcome'] | 'pending';

export interface NotificationRow {
  id: string;
  receiver: string;
  groupKey: string;
  status: Notification['status'];
  reason: Notification['reason'];
  alertnames: string[];
  alerts: number;
  queuedAt: string | null;
  lastAttemptAt: string | null;
  attempts: number;
  state: NotificationState;
  retryAt: string | null;
  errors: string[];
}

/** Each notification in the outbox log, newest first, with its attempts and final (or current) state. */
export function notificationRows(logs: LogsRead): NotificationRow[] {
  const rows = new Map<string, NotificationRow & { ms: number }>();
  const names = new Map<string, string>();
  for (const event of logs.alerts)
    if (event.type === 'fire' && event.alert.labels.alertname)
      names.set(event.alert.fingerprint, event.alert.labels.alertname);
  for (const record of logs.notifications) {
    if (record.type === 'queued') {
      const n = record.notification;
      rows.set(record.id, {
        ms: record.at,
        id: record.id,
        receiver: n.receiver,
        groupKey: n.groupKey,
        status: n.status,
        reason: n.reason,
        alertnames: [...new Set(n.alerts.map((a) => a.alert.labels.alertname ?? a.alert.fingerprint))],
        alerts: n.alerts.length,
        queuedAt: iso(record.at),
        lastAttemptAt: null,
        attempts: 0,
        state: 'pending',
        retryAt: null,
        errors: [],
      });
      continue;
    }
    const row = rows.get(record.id) ?? {
      ms: record.at,
      id: record.id,
      receiver: record.receiver,
      groupKey: record.groupKey,
      status: record.status,
      reason: record.reason,
      alertnames: [...new Set(record.alerts.map((fp) => names.get(fp) ?? fp))],
      alerts: record.alerts.length,
      queuedAt: null,
      lastAttemptAt: null,
      attempts: 0,
      state: 'pending' as NotificationState,
      retryAt: null,
      errors: [],
    };
    row.lastAttemptAt = iso(record.at);
    row.attempts = Math.max(row.attempts, record.attempt);
    row.state = record.outcome;
    row.retryAt = record.retryAt !== undefined ? iso(record.retryAt) : null;
    row.errors = record.results
      .filter((r) => r.status !== 'sent')
      .map(
        (r) => `${r.integration} ${r.target}: ${r.error ?? r.status}${r.httpStatus ? ` (HTTP ${r.httpStatus})` : ''}`,
      );
    rows.set(record.id, row);
  }
  return [...rows.values()].sort((a, b) => b.ms - a.ms).map(({ ms: _ms, ...row }) => row);
}
