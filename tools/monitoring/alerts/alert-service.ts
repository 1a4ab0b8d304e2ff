// The service's alerting: one AlertEngine (Alertmanager's routing, grouping, timing, silences and
// inhibition over the configured YAML) and one EscalationEngine (ack and tiers) per data dir, ticked
// every `tickMs` by the service. Each flush goes to its receiver for real (Slack, PagerDuty, webhook,
// SMTP); every engine event, escalation step and delivery is appended to JSONL logs in
// <dataDir>/monitoring/ and replayed when the service starts again, so alerts, silences, acks and the
// groups' timing survive a restart or kill -9.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../context.js';
import type { MonitoringSettings } from '../settings.js';
import { InputError, ToolError } from '../../errors.js';
import type { Alert, Notification, ReceiverConfig } from './alert-types.js';
import { EventLog, monitoringLogFile } from '../state/event-log.js';
import { AlertEngine, type EngineEvent } from './routing/alert-engine.js';
import { parseAlertmanagerConfig, type AlertmanagerConfig } from './routing/am-config.js';
import { EscalationEngine, type EscalationEvent } from './escalation/escalation.js';
import type { EscalationPolicyInput } from './escalation/escalation-config.js';
import { sendNotification, type IntegrationResult } from './receivers/send.js';
import { forwardAlerts } from './receivers/forward.js';
import { fingerprint } from './routing/fingerprint.js';

/** Used when no Alertmanager YAML is configured: everything routes to one receiver with no integrations. */
export const fallbackConfigYaml = 'route:\n  receiver: unrouted\nreceivers:\n  - name: unrouted\n';

export interface AlertServiceSettings {
  config: AlertmanagerConfig;
  /** Where the config came from: the file, or the fallback. */
  configSource: string;
  escalation?: EscalationPolicyInput | undefined;
  alertmanagerUrl?: string | undefined;
  externalUrl: string;
  tickMs: number;
}

/** A notification put in the outbox before any send: replayed and retried if no final record follows. */
export interface QueuedRecord {
  type: 'queued';
  id: string;
  at: number;
  notification: Notification;
}

export interface DeliveryRecord {
  type: 'delivery';
  id: string;
  at: number;
  receiver: string;
  groupKey: string;
  status: Notification['status'];
  reason: Notification['reason'];
  alerts: string[];
  nextRepeatAt: number | null;
  /** sent: at least one integration took it; retrying: none did, another attempt is due at retryAt;
   * failed: given up after the last attempt; muted: an escalation step for a silenced or inhibited alert;
   * no_integrations: the receiver has none (the fallback config), nothing to send to; routed: an
   * escalation tier whose receiver the alert's route already notifies. */
  outcome: 'sent' | 'retrying' | 'failed' | 'muted' | 'no_integrations' | 'superseded' | 'routed';
  attempt: number;
  retryAt?: number;
  results: Pick<IntegrationResult, 'integration' | 'target' | 'status' | 'httpStatus' | 'error' | 'attempts'>[];
}

type OutboxRecord = QueuedRecord | DeliveryRecord;

/** Attempts per notification before it is given up (with backoff 1 s, 2 s, 4 s … up to 5 min). */
export const maxDeliveryAttempts = 8;

/** How often firing alerts are posted to a configured Alertmanager again (below its 5 min resolve_timeout). */
export const reforwardMs = 60_000;

/** Appends through a queue; flush() waits until the events are on disk and fails if one could not be written. */
class Appender<E extends object> {
  private last: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  constructor(
    readonly log: EventLog<E>,
    private readonly logger: Logger,
  ) {}
  append(event: E): void {
    this.last = this.log.append(event).catch((error: unknown) => {
      this.failure = error as Error;
      this.logger.error('monitoring_log_append_failed', { file: this.log.file, error: (error as Error).message });
    });
  }
  async flush(): Promise<void> {
    await this.last;
    const failure = this.failure;
    this.failure = undefined;
    if (failure)
      throw new ToolError(
        'TOOL_FAILED',
        `the change holds in memory but could not be written to ${path.basename(this.log.file)} in the data dir (${failure.message}); it is lost on restart`,
        { cause: failure },
      );
  }
}

interface Pending {
  id: string;
  notification: Notification;
  attempts: number;
  dueAt: number;
}

export class AlertService {
  readonly engine: AlertEngine;
  readonly escalation: EscalationEngine;
  private readonly deliveries: DeliveryRecord[];
  private readonly outbox = new Map<string, Pending>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastForwardAt = Date.now();
  private forwarding: Promise<void> | undefined;
  private readonly controller = new AbortController();

  private constructor(
    readonly settings: AlertServiceSettings,
    private readonly logs: {
      alerts: Appender<EngineEvent>;
      escalation: Appender<EscalationEvent>;
      deliveries: Appender<OutboxRecord>;
    },
    events: { alerts: EngineEvent[]; escalation: EscalationEvent[]; deliveries: OutboxRecord[] },
    private readonly logger: Logger,
  ) {
    this.engine = new AlertEngine({
      config: settings.config,
      now: Date.now,
      events: { append: (event) => logs.alerts.append(event), load: () => events.alerts },
    });
    this.escalation = EscalationEngine.replay(events.escalation, {
      policy: settings.escalation ?? { enabled: false },
      sink: (event) => logs.escalation.append(event),
      now: Date.now,
    });
    // The outbox: a queued notification without a final record was not delivered before the stop.
    const queued = new Map<string, QueuedRecord>();
    const attempts = new Map<string, number>();
    for (const record of events.deliveries) {
      if (record.type === 'queued') queued.set(record.id, record);
      else if (record.outcome === 'retrying') attempts.set(record.id, record.attempt);
      else queued.delete(record.id);
    }
    const now = Date.now();
    for (const record of queued.values())
      this.outbox.set(record.id, {
        id: record.id,
        notification: record.notification,
        attempts: attempts.get(record.id) ?? 0,
        dueAt: now,
      });
    this.deliveries = events.deliveries.filter((r): r is DeliveryRecord => r.type === 'delivery').slice(-200);
    // A crash between the engine's log and the escalation log can leave a firing critical alert
    // without its escalation: start it now.
    for (const view of this.engine.listAlerts())
      if (this.escalation.escalates(view.alert) && !this.escalation.state(view.alert.fingerprint)) {
        try {
          this.escalation.observe(view.alert);
        } catch (error) {
          logger.warn('alert_escalation_not_started', {
            alert: view.alert.fingerprint,
            error: (error as Error).message,
          });
        }
      }
  }

  static async open(dataDir: string, settings: AlertServiceSettings, logger: Logger): Promise<AlertService> {
    const logs = {
      alerts: new Appender(new EventLog<EngineEvent>(monitoringLogFile(dataDir, 'alerts')), logger),
      escalation: new Appender(new EventLog<EscalationEvent>(monitoringLogFile(dataDir, 'escalation')), logger),
      deliveries: new Appender(new EventLog<OutboxRecord>(monitoringLogFile(dataDir, 'notifications')), logger),
    };
    const [alerts, escalation, deliveries] = await Promise.all([
      logs.alerts.log.read(),
      logs.escalation.log.read(),
      logs.deliveries.log.read(),
    ]);
    for (const [name, read] of Object.entries({ alerts, escalation, deliveries }))
      if (read.damagedLines.length > 0)
        logger.warn('monitoring_log_damaged', { log: name, lines: read.damagedLines.slice(0, 10) });
    return new AlertService(
      settings,
      logs,
      { alerts: alerts.events, escalation: escalation.events, deliveries: deliveries.events },
      logger,
    );
  }

  /** Ticks every tickMs until closed; the timer never holds the process open. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.settings.tickMs);
    this.timer.unref();
  }

  /**
   * One flush: due groups and due escalation tiers go into the outbox (on disk first), and every due
   * outbox entry is sent. Sends run in the background, so a slow receiver never holds up the next tick.
   */
  tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const due: Notification[] = [...this.engine.tick(now)];
      for (const step of this.escalation.tick(now)) {
        if (step.step !== 'escalated') continue;
        const notification = this.escalation.notificationFor(step);
        const alert = notification.alerts[0]!.alert;
        if (this.engine.isMuted(alert, now)) this.record(notification, randomUUID(), 1, 'muted', []);
        // A tier whose receiver the alert's own route already notifies (and repeats to) is not paged twice.
        else if (this.engine.testRoute(alert.labels).receivers.includes(notification.receiver))
          this.record(notification, randomUUID(), 1, 'routed', []);
        else due.push(notification);
      }
      for (const notification of due) this.enqueue(notification);
      this.reforward(now);
      for (const pending of this.outbox.values())
        if (pending.dueAt <= now && !this.inFlight.has(pending.id)) {
          const sending = this.send(pending).finally(() => this.inFlight.delete(pending.id));
          this.inFlight.set(pending.id, sending);
        }
    } catch (error) {
      this.logger.error('alert_tick_failed', { error: (error as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Alertmanager resolves an alert nobody re-sends within its resolve_timeout (5 min by default), as
   * Prometheus re-sends firing alerts on every evaluation; the firing alerts go again every minute.
   */
  private reforward(now: number): void {
    if (!this.settings.alertmanagerUrl || this.forwarding || now - this.lastForwardAt < reforwardMs) return;
    const firing = this.engine.listAlerts().map((view) => view.alert);
    this.lastForwardAt = now;
    if (firing.length === 0) return;
    this.forwarding = forwardAlerts(this.settings.alertmanagerUrl, firing.slice(0, 1000), {
      signal: this.controller.signal,
    })
      .then(() => undefined)
      .catch((error: unknown) => this.logger.warn('alert_forward_failed', { error: (error as Error).message }))
      .finally(() => (this.forwarding = undefined));
  }

  /** Waits for the sends in flight (tests and close). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  private enqueue(notification: Notification): void {
    // A newer flush of the same group to the same receiver replaces one still waiting for a retry.
    for (const pending of this.outbox.values())
      if (
        !this.inFlight.has(pending.id) &&
        pending.notification.receiver === notification.receiver &&
        pending.notification.groupKey === notification.groupKey
      ) {
        this.outbox.delete(pending.id);
        this.record(pending.notification, pending.id, pending.attempts, 'superseded', []);
      }
    const id = randomUUID();
    this.logs.deliveries.append({ type: 'queued', id, at: notification.at, notification });
    this.outbox.set(id, { id, notification, attempts: 0, dueAt: notification.at });
  }

  private receiver(name: string): ReceiverConfig | undefined {
    return this.settings.config.receivers.find((receiver) => receiver.name === name);
  }

  private async send(pending: Pending): Promise<void> {
    const { notification } = pending;
    const receiver = this.receiver(notification.receiver);
    const integrations = receiver
      ? receiver.slack.length + receiver.pagerduty.length + receiver.webhook.length + receiver.email.length
      : 0;
    pending.attempts++;
    if (!receiver || integrations === 0) {
      this.outbox.delete(pending.id);
      this.record(notification, pending.id, pending.attempts, 'no_integrations', []);
      return;
    }
    let results: IntegrationResult[] = [];
    try {
      results = await sendNotification(receiver, notification, {
        externalUrl: this.settings.externalUrl,
        signal: this.controller.signal,
      });
    } catch (error) {
      this.logger.error('alert_delivery_failed', { receiver: notification.receiver, error: (error as Error).message });
    }
    if (this.controller.signal.aborted) return; // closing: the outbox entry stays queued for the next start
    const sent = results.some((result) => result.status === 'sent');
    if (sent || pending.attempts >= maxDeliveryAttempts) {
      this.outbox.delete(pending.id);
      this.record(notification, pending.id, pending.attempts, sent ? 'sent' : 'failed', results);
      if (!sent)
        this.logger.error('alert_delivery_given_up', { receiver: notification.receiver, attempts: pending.attempts });
      return;
    }
    // Nothing took it (failures, Slack's rate limit): try again with backoff, or when the limit says.
    const retryAfter = Math.max(0, ...results.map((result) => result.retryAfterMs ?? 0));
    pending.dueAt = Date.now() + Math.max(retryAfter, Math.min(300_000, 1_000 * 2 ** (pending.attempts - 1)));
    this.record(notification, pending.id, pending.attempts, 'retrying', results, pending.dueAt);
  }

  private record(
    notification: Notification,
    id: string,
    attempt: number,
    outcome: DeliveryRecord['outcome'],
    results: IntegrationResult[],
    retryAt?: number,
  ): void {
    const record: DeliveryRecord = {
      type: 'delivery',
      id,
      at: Date.now(),
      receiver: notification.receiver,
      groupKey: notification.groupKey,
      status: notification.status,
      reason: notification.reason,
      alerts: notification.alerts.map((entry) => entry.alert.fingerprint),
      nextRepeatAt: notification.nextRepeatAt,
      outcome,
      attempt,
      ...(retryAt !== undefined ? { retryAt } : {}),
      results: results.map(({ integration, target, status, httpStatus, error, attempts }) => ({
        integration,
        target,
        status,
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        ...(error !== undefined ? { error } : {}),
        attempts,
      })),
    };
    this.deliveries.push(record);
    if (this.deliveries.length > 200) this.deliveries.shift();
    this.logs.deliveries.append(record);
    if (outcome === 'retrying' || outcome === 'failed')
      this.logger.warn('alert_delivery_incomplete', {
        receiver: record.receiver,
        outcome,
        attempt,
        failed: record.results.map(
          (result) => `${result.integration} ${result.target}: ${result.error ?? result.status}`,
        ),
      });
  }

  /**
   * Fires (or resolves) a batch of alerts, checked as a whole first so a bad one changes nothing;
   * starts escalation for those that escalate, and forwards them when an Alertmanager is configured.
   */
  async fire(alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[], resolve: boolean) {
    const now = Date.now();
    const firing = new Set(this.engine.listAlerts().map((view) => view.alert.fingerprint));
    const prepared = alerts.map((input, index) => {
      const field = `alerts.${index}.labels`;
      const labels = Object.fromEntries(Object.entries(input.labels).filter(([, value]) => value !== ''));
      for (const name of Object.keys(labels))
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name))
          throw new InputError(field, `"${name}" is not a valid label name; use [a-zA-Z_][a-zA-Z0-9_]*`);
      if (Object.keys(labels).length === 0)
        throw new InputError(field, 'an alert needs at least one non-empty label, e.g. alertname');
      const fp = fingerprint(labels);
      if (resolve && !firing.has(fp))
        throw new InputError(field, `no firing alert has exactly these labels (fingerprint ${fp}); list the alerts`);
      const candidate: Alert = { labels, annotations: input.annotations ?? {}, startsAt: now, fingerprint: fp };
      if (!resolve && this.escalation.escalates(candidate)) {
        try {
          this.escalation.profileOf(candidate);
        } catch (error) {
          throw new InputError(field, (error as Error).message.replace(/^labels\.[a-z_]+: /, ''));
        }
      }
      return { input: { ...input, labels }, fp };
    });
    const changed: Alert[] = [];
    for (const { input, fp } of prepared) {
      if (resolve) {
        const alert = this.engine.resolve(fp);
        this.escalation.resolve(alert.fingerprint);
        changed.push(alert);
      } else {
        const alert = this.engine.fire(input);
        this.escalation.observe(alert);
        changed.push(alert);
      }
    }
    let forwarded: { ok: boolean; detail: string } | undefined;
    if (this.settings.alertmanagerUrl) {
      try {
        const result = await forwardAlerts(this.settings.alertmanagerUrl, changed, { signal: this.controller.signal });
        forwarded = { ok: true, detail: `forwarded ${result.posted} to ${result.target} (HTTP ${result.httpStatus})` };
      } catch (error) {
        forwarded = { ok: false, detail: (error as Error).message };
      }
    }
    await this.flush();
    return { alerts: changed, forwarded };
  }

  recentDeliveries(limit = 20): DeliveryRecord[] {
    return this.deliveries.slice(-limit);
  }

  /** Notifications waiting in the outbox (queued, or failed and due again). */
  pendingDeliveries(): { receiver: string; groupKey: string; attempts: number; dueAt: number }[] {
    return [...this.outbox.values()].map((p) => ({
      receiver: p.notification.receiver,
      groupKey: p.notification.groupKey,
      attempts: p.attempts,
      dueAt: p.dueAt,
    }));
  }

  async flush(): Promise<void> {
    await Promise.all([this.logs.alerts.flush(), this.logs.escalation.flush(), this.logs.deliveries.flush()]);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.controller.abort();
    await this.settle();
    await this.forwarding;
    await this.flush().catch(() => undefined);
  }
}

const services = new Map<string, Promise<AlertService>>();

/** Parses the configured Alertmanager YAML (or the fallback) for the service. */
export function alertConfigFrom(
  yaml: string | undefined,
  source: string,
): { config: AlertmanagerConfig; source: string } {
  if (yaml === undefined)
    return {
      config: parseAlertmanagerConfig(fallbackConfigYaml),
      source:
        'none: every alert goes to receiver "unrouted", which has no integrations (set monitoring.alerting.configFile)',
    };
  return { config: parseAlertmanagerConfig(yaml, { field: source }), source };
}

/** The service's settings from the suite's monitoring settings. */
export function alertServiceSettings(alerting: MonitoringSettings['alerting']): AlertServiceSettings {
  return {
    config: alerting.config,
    configSource: alerting.configSource,
    escalation: alerting.escalation,
    alertmanagerUrl: alerting.alertmanagerUrl,
    externalUrl: alerting.externalUrl,
    tickMs: alerting.tickMs,
  };
}

/** Opens (once per data dir) and starts the service; concurrent callers share one opening. */
export function openAlertService(
  dataDir: string,
  settings: AlertServiceSettings,
  logger: Logger,
): Promise<AlertService> {
  let opening = services.get(dataDir);
  if (!opening) {
    opening = AlertService.open(dataDir, settings, logger).then((service) => {
      service.start();
      return service;
    });
    services.set(dataDir, opening);
    opening.catch(() => services.delete(dataDir));
  }
  return opening;
}

/** The data dir's service once open; undefined when the suite never opened one. */
export function alertServiceOf(dataDir: string): Promise<AlertService> | undefined {
  return services.get(dataDir);
}

export async function closeAlertService(dataDir: string): Promise<void> {
  const opening = services.get(dataDir);
  services.delete(dataDir);
  const service = await opening?.catch(() => undefined);
  await service?.close();
}
