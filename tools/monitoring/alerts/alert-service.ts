// The service's alerting: one AlertEngine (Alertmanager's routing, grouping, timing, silences and
// inhibition over the configured YAML) and one EscalationEngine (ack and tiers) per data dir, ticked
// every `tickMs` by the service. Each flush goes to its receiver for real (Slack, PagerDuty, webhook,
// SMTP); every engine event, escalation step and delivery is appended to JSONL logs in
// <dataDir>/monitoring/ and replayed when the service starts again, so alerts, silences, acks and the
// groups' timing survive a restart or kill -9.
//
// With databaseUrl configured, the instances that share the database share one alert state instead:
// the three logs are rows of one PostgreSQL table (state/pg-event-log.ts) and each instance keeps a
// replica of the engines, brought up to date from the rows it has not applied yet. Any instance takes
// fires, resolves, acks and silences: under the database's write lock it applies the newer rows, makes
// the change and commits its events before the call answers, so the change is checked against the
// shared state (a resolve of an alert another instance fired works) and is durable. Only the leader
// (the instance holding a session advisory lock) ticks: it flushes groups and escalation tiers, puts
// the notifications in the outbox and sends them, so each goes out once however many instances run.
// Its writes go over the connection that holds the lock, so an instance that lost its session can
// neither flush nor record anything. Another instance takes over within a poll (1 s) of the lock
// freeing, rebuilding its replica from the whole log first. Delivery keeps the file design's
// at-least-once semantics: the flush and the queued notification are committed before the send and
// the outcome after it; a leader killed between a send and its outcome leaves the notification queued
// and the next leader sends it again; a leader change anywhere else sends nothing twice.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../context.js';
import type { MonitoringSettings } from '../settings.js';
import { InputError, ToolError } from '../../errors.js';
import type { Alert, Notification, ReceiverConfig } from './alert-types.js';
import { EventLog, monitoringLogFile } from '../state/event-log.js';
import { SharedEventStore, type SharedEventRow, type SharedLogName } from '../state/pg-event-log.js';
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
  /** PostgreSQL shared by the instances; unset: the logs are the data dir's JSONL files. */
  databaseUrl?: string | undefined;
  /** How often an instance tries to take the leader lock (and catches up); default 1000 ms. */
  leaderPollMs?: number | undefined;
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

interface LogSink<E extends object> {
  append(event: E): void;
  flush(): Promise<void>;
}

/** Appends through a queue; flush() waits until the events are on disk and fails if one could not be written. */
class Appender<E extends object> implements LogSink<E> {
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

/** Shared mode: events wait here until the write transaction that made them commits them. */
class BufferedSink<E extends object> implements LogSink<E> {
  constructor(
    private readonly log: SharedLogName,
    private readonly buffer: { log: SharedLogName; event: object }[],
  ) {}
  append(event: E): void {
    this.buffer.push({ log: this.log, event: structuredClone(event) });
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

interface SharedState {
  store: SharedEventStore;
  /** Events made by the current write, committed at its end. */
  buffer: { log: SharedLogName; event: object }[];
  /** The last seq applied to this replica. */
  lastSeq: number;
  /** A write failed after the engines changed: the replica is rebuilt from the log before the next use. */
  stale: boolean;
  /** One write or catch-up at a time in this process, so no row is applied twice. */
  chain: Promise<unknown>;
  /** The dedicated connection: LISTEN, the leader lock, and the leader's writes. */
  client: import('pg').Client | undefined;
  leader: boolean;
  /** Aborted when the leadership is lost: sends in flight stop and stay queued for the next leader. */
  leadership: AbortController;
  pollTimer: NodeJS.Timeout | undefined;
  polling: boolean;
  /** The last poll failure reported, so an outage is logged once, not every poll. */
  pollError: string | undefined;
}

interface Pending {
  id: string;
  notification: Notification;
  attempts: number;
  dueAt: number;
}

export class AlertService {
  private alertEngine!: AlertEngine;
  private escalationEngine!: EscalationEngine;
  private deliveries: DeliveryRecord[] = [];
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
      alerts: LogSink<EngineEvent>;
      escalation: LogSink<EscalationEvent>;
      deliveries: LogSink<OutboxRecord>;
    },
    events: { alerts: EngineEvent[]; escalation: EscalationEvent[]; deliveries: OutboxRecord[] },
    private readonly logger: Logger,
    private readonly shared?: SharedState,
  ) {
    this.load(events);
    // A crash between the engine's log and the escalation log can leave a firing critical alert
    // without its escalation: start it now. (A shared log writes both in one transaction.)
    if (!shared)
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

  get engine(): AlertEngine {
    return this.alertEngine;
  }

  get escalation(): EscalationEngine {
    return this.escalationEngine;
  }

  /** Whether this instance runs the timers and sends (always, without a shared database). */
  get leading(): boolean {
    return this.shared ? this.shared.leader : true;
  }

  /** Builds the engines, the outbox and the recent deliveries from the logs' events. */
  private load(events: { alerts: EngineEvent[]; escalation: EscalationEvent[]; deliveries: OutboxRecord[] }): void {
    const logs = this.logs;
    this.alertEngine = new AlertEngine({
      config: this.settings.config,
      now: Date.now,
      events: { append: (event) => logs.alerts.append(event), load: () => events.alerts },
    });
    this.escalationEngine = EscalationEngine.replay(events.escalation, {
      policy: this.settings.escalation ?? { enabled: false },
      sink: (event) => logs.escalation.append(event),
      now: Date.now,
    });
    // The outbox: a queued notification without a final record was not delivered before the stop.
    this.outbox.clear();
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
  }

  /** Applies rows another instance committed (shared mode), in seq order. */
  private applyRows(rows: SharedEventRow[]): void {
    const shared = this.shared!;
    for (const row of rows) {
      if (row.log === 'alerts') this.alertEngine.replay([row.event as EngineEvent]);
      else if (row.log === 'escalation') this.escalationEngine.applyLogged(row.event as EscalationEvent);
      else {
        const record = row.event as OutboxRecord;
        if (record.type === 'queued')
          this.outbox.set(record.id, {
            id: record.id,
            notification: record.notification,
            attempts: 0,
            dueAt: record.notification.at,
          });
        else {
          const pending = this.outbox.get(record.id);
          if (record.outcome !== 'retrying') this.outbox.delete(record.id);
          else if (pending) {
            pending.attempts = record.attempt;
            pending.dueAt = record.retryAt ?? Date.now();
          }
          this.deliveries.push(record);
          if (this.deliveries.length > 200) this.deliveries.shift();
        }
      }
      shared.lastSeq = row.seq;
    }
  }

  /** Shared mode: every event of the three logs, in order, from PostgreSQL (the history tools read these). */
  async sharedEvents(): Promise<
    { alerts: EngineEvent[]; escalation: EscalationEvent[]; notifications: OutboxRecord[] } | undefined
  > {
    if (!this.shared) return undefined;
    const rows = await unavailable(this.shared.store.all());
    const events = split(rows);
    return { alerts: events.alerts, escalation: events.escalation, notifications: events.deliveries };
  }

  /** Rebuilds the replica from the whole shared log (at open, at takeover, after a failed write). */
  private rebuildFrom(rows: SharedEventRow[]): void {
    this.shared!.buffer.length = 0;
    this.load(split(rows));
    this.shared!.lastSeq = rows.at(-1)?.seq ?? 0;
    this.shared!.stale = false;
  }

  /** Runs `step` after the writes and catch-ups already queued in this process. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const shared = this.shared!;
    const run = shared.chain.then(step, step);
    shared.chain = run.catch(() => undefined);
    return unavailable(run);
  }

  /**
   * Brings this instance's view up to the shared log's last committed row, so reads on any instance
   * show the same alerts, groups, silences and escalations. Without a shared database: nothing to do.
   */
  sync(): Promise<void> {
    const shared = this.shared;
    if (!shared) return Promise.resolve();
    return this.serial(async () => {
      if (shared.stale) this.rebuildFrom(await shared.store.all());
      else this.applyRows(await shared.store.since(shared.lastSeq));
    });
  }

  /**
   * Makes a change and returns once its events are durable: on the data dir's files, or (shared) in
   * one write transaction that first applies what other instances wrote, so `change` decides on the
   * shared state. Events of a change that throws part-way are kept, as the files keep them.
   */
  async change<T>(change: () => T, onLeaderConnection = false): Promise<T> {
    const shared = this.shared;
    if (!shared) {
      const result = change();
      await this.flush();
      return result;
    }
    return this.serial(async () => {
      const client = onLeaderConnection ? shared.client : undefined;
      if (onLeaderConnection && (!client || !shared.leader))
        throw new ToolError('UNAVAILABLE', 'this instance is no longer the alert leader');
      let changed = false;
      try {
        const outcome = await shared.store.write(client, async (write) => {
          if (shared.stale) this.rebuildFrom(await write.since(0));
          else this.applyRows(await write.since(shared.lastSeq));
          changed = true;
          let result: { value: T } | { error: unknown };
          try {
            result = { value: change() };
          } catch (error) {
            result = { error };
          }
          const last = await write.append(shared.buffer.splice(0));
          if (last !== null) shared.lastSeq = last;
          return result;
        });
        if ('error' in outcome) throw outcome.error;
        return outcome.value;
      } catch (error) {
        // The engines may hold a change the database did not take: rebuild them from the log next time.
        if (changed) shared.stale = true;
        throw error;
      }
    });
  }

  static async open(dataDir: string, settings: AlertServiceSettings, logger: Logger): Promise<AlertService> {
    if (settings.databaseUrl) return AlertService.openShared(settings, logger);
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

  /** Shared mode: the replica starts from the whole table; the first poll may make it the leader. */
  private static async openShared(settings: AlertServiceSettings, logger: Logger): Promise<AlertService> {
    const store = new SharedEventStore({ url: settings.databaseUrl! });
    try {
      await store.open();
    } catch (error) {
      await store.close();
      throw new ToolError(
        'UNAVAILABLE',
        `cannot open the shared alert log in PostgreSQL (databaseUrl): ${(error as Error).message}`,
        { cause: error },
      );
    }
    const buffer: { log: SharedLogName; event: object }[] = [];
    const shared: SharedState = {
      store,
      buffer,
      lastSeq: 0,
      stale: true,
      chain: Promise.resolve(),
      client: undefined,
      leader: false,
      leadership: new AbortController(),
      pollTimer: undefined,
      polling: false,
      pollError: undefined,
    };
    const logs = {
      alerts: new BufferedSink<EngineEvent>('alerts', buffer),
      escalation: new BufferedSink<EscalationEvent>('escalation', buffer),
      deliveries: new BufferedSink<OutboxRecord>('notifications', buffer),
    };
    const service = new AlertService(settings, logs, { alerts: [], escalation: [], deliveries: [] }, logger, shared);
    try {
      await service.sync();
    } catch (error) {
      await store.close();
      throw error;
    }
    return service;
  }

  /** Ticks every tickMs until closed (shared: polls for the leadership too); the timers never hold the process open. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.settings.tickMs);
    this.timer.unref();
    const shared = this.shared;
    if (shared) {
      shared.pollTimer = setInterval(() => void this.poll(), this.settings.leaderPollMs ?? 1_000);
      shared.pollTimer.unref();
      void this.poll();
    }
  }

  /**
   * Shared mode, every poll: (re)connects the dedicated connection and tries the leader lock. A new
   * leader rebuilds its replica from the whole log before its first tick. A follower catches up.
   */
  private async poll(): Promise<void> {
    const shared = this.shared!;
    if (shared.polling || this.controller.signal.aborted) return;
    shared.polling = true;
    try {
      if (!shared.client) {
        const client = await shared.store.connect();
        if (this.controller.signal.aborted) {
          await client.end().catch(() => undefined);
          return;
        }
        const lost = () => this.loseLeadership(client);
        client.on('error', lost);
        client.on('end', lost);
        client.on('notification', () => {
          if (shared.leader) this.tick();
          else void this.sync().catch(() => undefined);
        });
        shared.client = client;
      }
      if (shared.leader) return;
      const client = shared.client;
      if (await shared.store.tryLead(client)) {
        if (shared.client !== client) return;
        shared.stale = true;
        shared.leadership = new AbortController();
        shared.leader = true;
        await this.sync();
        this.logger.info('alert_leader_acquired', { lastSeq: shared.lastSeq });
        this.tick();
      } else await this.sync();
      if (shared.pollError !== undefined) this.logger.info('alert_leader_poll_recovered', {});
      shared.pollError = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (shared.pollError !== message) this.logger.warn('alert_leader_poll_failed', { error: message });
      shared.pollError = message;
    } finally {
      shared.polling = false;
    }
  }

  /** The dedicated connection is gone, and the session lock with it: stop leading, reconnect at the next poll. */
  private loseLeadership(client: import('pg').Client): void {
    const shared = this.shared!;
    if (shared.client !== client) return;
    shared.client = undefined;
    void client.end().catch(() => undefined);
    if (!shared.leader) return;
    shared.leader = false;
    shared.leadership.abort();
    if (!this.controller.signal.aborted) this.logger.warn('alert_leader_lost', {});
  }

  /**
   * One flush: due groups and due escalation tiers go into the outbox (on disk first), and every due
   * outbox entry is sent. Sends run in the background, so a slow receiver never holds up the next tick.
   */
  tick(): void {
    if (this.ticking) return;
    const shared = this.shared;
    if (shared) {
      // Only the leader flushes, on its own connection, and sends only what that transaction committed.
      if (!shared.leader || this.controller.signal.aborted) return;
      this.ticking = true;
      this.change(() => this.collect(Date.now()), true)
        .then(() => this.sendDue(Date.now()))
        .catch((error: unknown) => {
          if (shared.leader) this.logger.error('alert_tick_failed', { error: (error as Error).message });
        })
        .finally(() => (this.ticking = false));
      return;
    }
    this.ticking = true;
    try {
      const now = Date.now();
      this.collect(now);
      this.sendDue(now);
    } catch (error) {
      this.logger.error('alert_tick_failed', { error: (error as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  /** Due groups and escalation tiers into the outbox, and the periodic re-forward. */
  private collect(now: number): void {
    {
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
    }
  }

  /** Sends every outbox entry that is due and not already in flight. */
  private sendDue(now: number): void {
    for (const pending of this.outbox.values())
      if (pending.dueAt <= now && !this.inFlight.has(pending.id)) {
        const sending = this.send(pending)
          .catch((error: unknown) =>
            this.logger.error('alert_delivery_record_failed', { error: (error as Error).message }),
          )
          .finally(() => this.inFlight.delete(pending.id));
        this.inFlight.set(pending.id, sending);
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
    const attempt = pending.attempts + 1;
    // Shared: the outcome is written over the leader's connection, or not at all once it lost the lead.
    const commit = (step: () => void): Promise<void> =>
      this.shared ? this.change(step, true) : (step(), Promise.resolve());
    if (!receiver || integrations === 0) {
      await commit(() => {
        pending.attempts = attempt;
        this.outbox.delete(pending.id);
        this.record(notification, pending.id, attempt, 'no_integrations', []);
      });
      return;
    }
    const signal = this.shared
      ? AbortSignal.any([this.controller.signal, this.shared.leadership.signal])
      : this.controller.signal;
    if (signal.aborted) return;
    pending.attempts = attempt;
    let results: IntegrationResult[] = [];
    try {
      results = await sendNotification(receiver, notification, { externalUrl: this.settings.externalUrl, signal });
    } catch (error) {
      this.logger.error('alert_delivery_failed', { receiver: notification.receiver, error: (error as Error).message });
    }
    // Closing, or the leadership was lost: the outbox entry stays queued for the next start or leader.
    if (signal.aborted) return;
    const sent = results.some((result) => result.status === 'sent');
    if (sent || attempt >= maxDeliveryAttempts) {
      await commit(() => {
        this.outbox.delete(pending.id);
        this.record(notification, pending.id, attempt, sent ? 'sent' : 'failed', results);
      });
      if (!sent) this.logger.error('alert_delivery_given_up', { receiver: notification.receiver, attempts: attempt });
      return;
    }
    // Nothing took it (failures, Slack's rate limit): try again with backoff, or when the limit says.
    const retryAfter = Math.max(0, ...results.map((result) => result.retryAfterMs ?? 0));
    const dueAt = Date.now() + Math.max(retryAfter, Math.min(300_000, 1_000 * 2 ** (attempt - 1)));
    await commit(() => {
      // A rebuild may have replaced the entry: the replica's copy is the one to update.
      const current = this.outbox.get(pending.id) ?? pending;
      current.attempts = attempt;
      current.dueAt = dueAt;
      this.record(notification, pending.id, attempt, 'retrying', results, dueAt);
    });
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
    const changed = await this.change(() => this.fireNow(alerts, resolve));
    let forwarded: { ok: boolean; detail: string } | undefined;
    if (this.settings.alertmanagerUrl) {
      try {
        const result = await forwardAlerts(this.settings.alertmanagerUrl, changed, { signal: this.controller.signal });
        forwarded = { ok: true, detail: `forwarded ${result.posted} to ${result.target} (HTTP ${result.httpStatus})` };
      } catch (error) {
        forwarded = { ok: false, detail: (error as Error).message };
      }
    }
    return { alerts: changed, forwarded };
  }

  private fireNow(
    alerts: { labels: Record<string, string>; annotations?: Record<string, string> }[],
    resolve: boolean,
  ): Alert[] {
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
    return changed;
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

  /** Waits until the events made so far are durable (shared: commits any made outside change()). */
  async flush(): Promise<void> {
    if (this.shared) {
      if (this.shared.buffer.length > 0) await this.change(() => undefined);
      return;
    }
    await Promise.all([this.logs.alerts.flush(), this.logs.escalation.flush(), this.logs.deliveries.flush()]);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shared?.pollTimer) clearInterval(this.shared.pollTimer);
    this.controller.abort();
    await this.settle();
    await this.forwarding;
    await this.flush().catch(() => undefined);
    const shared = this.shared;
    if (shared) {
      await shared.chain;
      // Ending the session frees the leader lock at once; the next instance's poll takes it.
      const client = shared.client;
      shared.client = undefined;
      shared.leader = false;
      await client?.end().catch(() => undefined);
      await shared.store.close();
    }
  }
}

/** The rows of the shared table, per log. */
function split(rows: SharedEventRow[]) {
  const events = { alerts: [] as EngineEvent[], escalation: [] as EscalationEvent[], deliveries: [] as OutboxRecord[] };
  for (const row of rows)
    if (row.log === 'alerts') events.alerts.push(row.event as EngineEvent);
    else if (row.log === 'escalation') events.escalation.push(row.event as EscalationEvent);
    else events.deliveries.push(row.event as OutboxRecord);
  return events;
}

/** A database failure reaches a tool as UNAVAILABLE with the reason; the tools' own errors pass as they are. */
function unavailable<T>(work: Promise<T>): Promise<T> {
  return work.catch((error: unknown) => {
    if (error instanceof InputError || error instanceof ToolError) throw error;
    throw new ToolError(
      'UNAVAILABLE',
      `the alert log shared in PostgreSQL (databaseUrl) is unavailable: ${(error as Error).message}`,
      { cause: error },
    );
  });
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
export function alertServiceSettings(
  alerting: MonitoringSettings['alerting'],
  databaseUrl?: string | undefined,
): AlertServiceSettings {
  return {
    databaseUrl,
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
