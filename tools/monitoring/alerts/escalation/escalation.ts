// Ack and escalation, beyond Alertmanager: an unacked alert of an escalating severity (critical by
// default) is notified tier by tier (PagerDuty, then Slack, then email by default), each tier after
// its per-profile delay. Time moves only through `tick(now)`: no timers here; the caller ticks
// (the supervisor every few seconds, a test with a simulated clock).
//
// - `ack` stops escalation until the ack expires. At expiry, with the default `resume_next_tier`,
//   the next tier not yet notified hears at once (someone took it and let it lapse) and later tiers
//   keep their gaps from that moment; when every tier was notified, the last one hears again.
//   `restart` starts again from tier 1 with the original delays.
// - `resolve` ends the episode; the same alert firing again starts a new one.
// - Every step is an event written to the injected append-only sink BEFORE the state changes
//   (write-ahead: a sink that throws leaves the state as it was), and `EscalationEngine.replay`
//   rebuilds the state from those events after a restart. A started event carries the alert and
//   its tiers, so a replayed episode keeps the tiers it began with even if the policy changed.
import type { Alert, Notification } from '../alert-types.js';
import { InputError } from '../../../errors.js';
import { checkProfile } from '../../fleet/contract.js';
import {
  escalationPolicySchema,
  tiersFor,
  type EscalationPolicy,
  type EscalationPolicyInput,
  type EscalationProfile,
  type EscalationTier,
} from './escalation-config.js';

export type EscalationStepName = 'started' | 'escalated' | 'acked' | 'ack_expired' | 'resolved';

export interface EscalationEvent {
  at: number;
  fingerprint: string;
  step: EscalationStepName;
  /** 1-based: the tier notified (escalated), else the highest tier notified so far (0: none). */
  tier: number;
  /** The receiver notified (escalated); null for other steps. */
  receiver: string | null;
  profile: EscalationProfile;
  /** started only: the alert and the tiers this episode runs through. */
  alert?: Alert;
  tiers?: EscalationTier[];
  /** acked only. */
  by?: string;
  comment?: string;
  ackedUntil?: number;
}

export type EscalationSink = (event: EscalationEvent) => void;

export interface EscalationState {
  fingerprint: string;
  alertname: string | undefined;
  profile: EscalationProfile;
  startedAt: number;
  /** Highest tier notified (1-based; 0: none yet). */
  tierReached: number;
  tiers: EscalationTier[];
  /** When the next tier is due (null when acked or every tier was notified). */
  nextDueAt: number | null;
  nextReceiver: string | null;
  ack: { by: string; comment: string; until: number } | null;
  state: 'escalating' | 'acked' | 'exhausted';
}

interface Episode {
  alert: Alert;
  profile: EscalationProfile;
  tiers: EscalationTier[];
  startedAt: number;
  /** Tiers notified so far; tiers[reached] is next. */
  reached: number;
  /** dueAt(k) = baseAt + tiers[k].afterMs − baseOffset. */
  baseAt: number;
  baseOffset: number;
  ack: { by: string; comment: string; until: number } | null;
}

export interface EscalationEngineOptions {
  policy?: EscalationPolicyInput;
  sink: EscalationSink;
  now: () => number;
}

export class EscalationEngine {
  readonly policy: EscalationPolicy;
  private readonly episodes = new Map<string, Episode>();
  private readonly sink: EscalationSink;
  private readonly now: () => number;

  constructor(options: EscalationEngineOptions) {
    this.policy = escalationPolicySchema.parse(options.policy ?? {});
    this.sink = options.sink;
    this.now = options.now;
  }

  /** An engine whose state is rebuilt from logged events; the events are not written again. */
  static replay(events: Iterable<EscalationEvent>, options: EscalationEngineOptions): EscalationEngine {
    const engine = new EscalationEngine(options);
    for (const event of events) engine.apply(event);
    return engine;
  }

  /** Applies an event another writer logged (a shared log), without writing it again. */
  applyLogged(event: EscalationEvent): void {
    this.apply(event);
  }

  /** The profile an alert's labels name; missing means generic, unknown is refused. */
  profileOf(alert: Alert): EscalationProfile {
    const value = alert.labels[this.policy.profileLabel];
    if (value === undefined || value === '') return 'generic';
    return checkProfile(value, `labels.${this.policy.profileLabel}`);
  }

  /** Whether this alert escalates at all (its severity is one of the policy's). */
  escalates(alert: Alert): boolean {
    const severity = alert.labels[this.policy.severityLabel];
    return this.policy.enabled && severity !== undefined && this.policy.severities.includes(severity);
  }

  /**
   * Takes a firing or resolved alert: starts an episode for a new escalating alert, ends one when
   * the alert is resolved, and otherwise keeps the latest copy of the alert. Returns the event
   * written, if any.
   */
  observe(alert: Alert, at = this.now()): EscalationEvent | null {
    const episode = this.episodes.get(alert.fingerprint);
    const resolved = alert.endsAt !== undefined && alert.endsAt <= at;
    if (episode) {
      if (resolved) return this.resolve(alert.fingerprint, at);
      episode.alert = alert;
      return null;
    }
    if (resolved || !this.escalates(alert)) return null;
    const profile = this.profileOf(alert);
    return this.emit({
      at,
      fingerprint: alert.fingerprint,
      step: 'started',
      tier: 0,
      receiver: null,
      profile,
      alert,
      tiers: tiersFor(this.policy, profile),
    });
  }

  /** Writes every step due at `now`: alerts past their endsAt resolved, expired acks, then tiers whose delay has passed. */
  tick(now = this.now()): EscalationEvent[] {
    const written: EscalationEvent[] = [];
    for (const [fingerprint, episode] of this.episodes) {
      const base = { at: now, fingerprint, profile: episode.profile };
      // An alert whose endsAt has passed (resolved, or expired as Alertmanager's resolve_timeout does) ends.
      if (episode.alert.endsAt !== undefined && episode.alert.endsAt <= now) {
        written.push(this.emit({ ...base, step: 'resolved', tier: episode.reached, receiver: null }));
        continue;
      }
      if (episode.ack && now >= episode.ack.until)
        written.push(this.emit({ ...base, step: 'ack_expired', tier: episode.reached, receiver: null }));
      if (episode.ack) continue;
      while (episode.reached < episode.tiers.length && dueAt(episode, episode.reached) <= now) {
        const tier = episode.tiers[episode.reached]!;
        written.push(this.emit({ ...base, step: 'escalated', tier: episode.reached + 1, receiver: tier.receiver }));
      }
    }
    return written;
  }

  ack(fingerprint: string, ack: { by: string; comment?: string; ttlMs?: number }, at = this.now()): EscalationEvent {
    const episode = this.episodes.get(fingerprint);
    if (!episode)
      throw new InputError(
        'fingerprint',
        `no escalation is running for ${fingerprint}; list the escalations to find it`,
      );
    const ttl = ack.ttlMs ?? this.policy.ackTtlMs;
    if (!(ttl > 0) || ttl > this.policy.maxAckTtlMs)
      throw new InputError('ttlMs', `${ttl} ms; an ack lasts more than 0 and at most ${this.policy.maxAckTtlMs} ms`);
    if (!ack.by.trim()) throw new InputError('by', 'empty; say who acknowledges');
    return this.emit({
      at,
      fingerprint,
      step: 'acked',
      tier: episode.reached,
      receiver: null,
      profile: episode.profile,
      by: ack.by,
      comment: ack.comment ?? '',
      ackedUntil: at + ttl,
    });
  }

  /** Ends an episode; null when none runs for this fingerprint. */
  resolve(fingerprint: string, at = this.now()): EscalationEvent | null {
    const episode = this.episodes.get(fingerprint);
    if (!episode) return null;
    return this.emit({
      at,
      fingerprint,
      step: 'resolved',
      tier: episode.reached,
      receiver: null,
      profile: episode.profile,
    });
  }

  state(fingerprint: string): EscalationState | undefined {
    const episode = this.episodes.get(fingerprint);
    return episode ? snapshot(fingerprint, episode) : undefined;
  }

  list(): EscalationState[] {
    return [...this.episodes].map(([fingerprint, episode]) => snapshot(fingerprint, episode));
  }

  /** The notification an `escalated` event sends to its tier's receiver. */
  notificationFor(event: EscalationEvent): Notification {
    const episode = this.episodes.get(event.fingerprint);
    if (!episode || event.step !== 'escalated' || !event.receiver)
      throw new Error(`no escalation notification for ${event.step} ${event.fingerprint}`);
    const { alert } = episode;
    const next = snapshot(event.fingerprint, episode);
    return {
      receiver: event.receiver,
      groupKey: `{}/escalation:{fingerprint="${event.fingerprint}"}`,
      groupLabels: { alertname: alert.labels.alertname ?? event.fingerprint },
      commonLabels: alert.labels,
      commonAnnotations: {
        ...alert.annotations,
        escalation: `tier ${event.tier} of ${episode.tiers.length} (${episode.profile}), unacknowledged`,
      },
      status: 'firing',
      alerts: [{ status: 'firing', alert }],
      reason: 'escalation',
      at: event.at,
      nextRepeatAt: next.nextDueAt,
    };
  }

  private emit(event: EscalationEvent): EscalationEvent {
    this.sink(event);
    this.apply(event);
    return event;
  }

  private apply(event: EscalationEvent): void {
    const episode = this.episodes.get(event.fingerprint);
    switch (event.step) {
      case 'started':
        this.episodes.set(event.fingerprint, {
          alert: event.alert!,
          profile: event.profile,
          tiers: event.tiers ?? tiersFor(this.policy, event.profile),
          startedAt: event.at,
          reached: 0,
          baseAt: event.at,
          baseOffset: 0,
          ack: null,
        });
        return;
      case 'escalated':
        if (episode) episode.reached = Math.max(episode.reached, event.tier);
        return;
      case 'acked':
        if (episode) episode.ack = { by: event.by ?? '', comment: event.comment ?? '', until: event.ackedUntil! };
        return;
      case 'ack_expired':
        if (episode) rearm(episode, event.at, this.policy.onAckExpiry);
        return;
      case 'resolved':
        this.episodes.delete(event.fingerprint);
        return;
    }
  }
}

function dueAt(episode: Episode, index: number): number {
  return episode.baseAt + episode.tiers[index]!.afterMs - episode.baseOffset;
}

function rearm(episode: Episode, at: number, mode: EscalationPolicy['onAckExpiry']): void {
  episode.ack = null;
  episode.baseAt = at;
  if (mode === 'restart') {
    episode.reached = 0;
    episode.baseOffset = 0;
    return;
  }
  // The next tier not yet notified is due at once; all notified: the last one again.
  episode.reached = Math.min(episode.reached, episode.tiers.length - 1);
  episode.baseOffset = episode.tiers[episode.reached]!.afterMs;
}

function snapshot(fingerprint: string, episode: Episode): EscalationState {
  const exhausted = episode.reached >= episode.tiers.length;
  const nextDueAt = episode.ack || exhausted ? null : dueAt(episode, episode.reached);
  return {
    fingerprint,
    alertname: episode.alert.labels.alertname,
    profile: episode.profile,
    startedAt: episode.startedAt,
    tierReached: episode.reached,
    tiers: episode.tiers,
    nextDueAt,
    nextReceiver: nextDueAt === null ? null : episode.tiers[episode.reached]!.receiver,
    ack: episode.ack,
    state: episode.ack ? 'acked' : exhausted ? 'exhausted' : 'escalating',
  };
}
