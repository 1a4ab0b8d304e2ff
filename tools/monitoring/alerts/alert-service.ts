// The service's alerting: one AlertEngine (Alertmanager's routing, grouping, timing, silences and
// inhibition over the configured YAML) and one EscalationEngine (ack and tiers) per data dir, ticked
// every `tickMs` by the service. Each flush goes to its receiver for real (Slack, PagerDuty, webhook,
// SMTP); every engine event, escalation step and delivery is appended to JSONL logs in
// <dataDir>/monitoring/ and replayed when the service starts again, so alerts, silences, acks and the
// groups' timing survive a restart or kill -9.
import type { Logger } from '../../context.js';
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

export interface DeliveryRecord {
  type: 'delivery';
  at: number;
  receiver: string;
  groupKey: string;
  status: Notification['status'];
  reason: Notification['reason'];
  alerts: string[];
  nextRepeatAt: number | null;
  results: Pick<IntegrationResult, 'integration' | 'target' | 'status' | 'httpStatus' | 'error' | 'attempts'>[];
}

/** Appends through a queue and remembers the last write, so a tool can wait until its events are on disk. */
class Appender<E extends object> {
  private last: Promise<void> = Promise.resolve();
  constructor(
    readonly log: EventLog<E>,
    private readonly logger: Logger,
  ) {}
  append(event: E): void {
    this.last = this.log
      .append(event)
      .catch((error: unknown) =>
        this.logger.error('monitoring_log_append_failed', { file: this.log.file, error: (error as Error).message }),
      );
  }
  flush(): Promise<void> {
    return this.last;
  }
}

export class AlertService {
  readonly engine: AlertEngine;
  readonly escalation: EscalationEngine;
  private readonly deliveries: DeliveryRecord[];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private readonly controller = new AbortController();

  private constructor(
    readonly settings: AlertServiceSettings,
    private readonly logs: {
      alerts: Appender<EngineEvent>;
      escalation: Appender<EscalationEvent>;
      deliveries: Appender<DeliveryRecord>;
    },
    events: { alerts: EngineEvent[]; escalation: EscalationEvent[]; deliveries: DeliveryRecord[] },
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
    this.deliveries = events.deliveries.slice(-200);
  }

  static async open(dataDir: string, settings: AlertServiceSettings, logger: Logger): Promise<AlertService> {
    const logs = {
      alerts: new Appender(new EventLog<EngineEvent>(monitoringLogFile(dataDir, 'alerts')), logger),
      escalation: new Appender(new EventLog<EscalationEvent>(monitoringLogFile(dataDir, 'escalation')), logger),
      deliveries: new Appender(new EventLog<DeliveryRecord>(monitoringLogFile(dataDir, 'notifications')), logger),
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
    this.timer = setInterval(() => void this.tick(), this.settings.tickMs);
    this.timer.unref();
  }

  /** One flush: due groups and due escalation tiers are delivered. Ticks never overlap. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.runTick()
      .catch((error: unknown) => this.logger.error('alert_tick_failed', { error: (error as Error).message }))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const now = Date.now();
    const due: Notification[] = [...this.engine.tick(now)];
    for (const step of this.escalation.tick(now))
      if (step.step === 'escalated') due.push(this.escalation.notificationFor(step));
    await Promise.all(due.map((notification) => this.deliver(notification)));
  }

  private receiver(name: string): ReceiverConfig | undefined {
    return this.settings.config.receivers.find((receiver) => receiver.name === name);
  }

  private async deliver(notification: Notification): Promise<void> {
    const receiver = this.receiver(notification.receiver);
    let results: IntegrationResult[] = [];
    if (receiver) {
      try {
        results = await sendNotification(receiver, notification, {
          externalUrl: this.settings.externalUrl,
          signal: this.controller.signal,
        });
      } catch (error) {
        this.logger.error('alert_delivery_failed', {
          receiver: notification.receiver,
          error: (error as Error).message,
        });
      }
    }
    const record: DeliveryRecord = {
      type: 'delivery',
      at: notification.at,
      receiver: notification.receiver,
      groupKey: notification.groupKey,
      status: notification.status,
      reason: notification.reason,
      alerts: notification.alerts.map((entry) => entry.alert.fingerprint),
      nextRepeatAt: notification.nextRepeatAt,
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
    const failed = record.results.filter((result) => result.status === 'failed');
    if (failed.length > 0 || !receiver)
      this.logger.warn('alert_delivery_incomplete', {
        receiver: record.receiver,
        missing: !receiver,
        failed: failed.map((result) => `${result.integration} ${result.target}: ${result.error ?? result.status}`),
      });
  }

  /** Fires (or resolves) alerts, starts escalation for those that escalate, and forwards them when configured. */
  async fire(alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[], resolve: boolean) {
    const changed: Alert[] = [];
    for (const input of alerts) {
      if (resolve) {
        const labels = Object.fromEntries(Object.entries(input.labels).filter(([, value]) => value !== ''));
        const alert = this.engine.resolve(fingerprint(labels));
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

  async flush(): Promise<void> {
    await Promise.all([this.logs.alerts.flush(), this.logs.escalation.flush(), this.logs.deliveries.flush()]);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    this.controller.abort();
    await this.flush();
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
