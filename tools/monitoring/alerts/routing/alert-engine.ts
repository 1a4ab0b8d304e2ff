// The stateful alert engine behind the monitoring tools: a parsed Alertmanager config, the active
// alerts (fire = upsert by fingerprint, resolve), silences, inhibition and the dispatcher. Time comes
// only from the injected clock or tick(now). Every state change is appended to an injected event log
// (the lead keeps it as JSONL in the data dir); opening an engine on a log replays it, flush ticks
// included, so the groups and the notification log come back as they were.
import { InputError } from '../../../errors.js';
import type { Alert, LabelSet, Notification } from '../alert-types.js';
import type { AlertmanagerConfig } from './am-config.js';
import { Dispatcher, groupKeyFor, isResolved, repeatDueAt, type GroupView } from './dispatcher.js';
import { fingerprint } from './fingerprint.js';
import { Inhibitor, type InhibitionIndex } from './inhibit.js';
import { MatcherError } from './matchers.js';
import { buildRouteTree, routeAlert, routeChain, type RouteNode } from './route.js';
import { CompiledSilence, silencedBy, type Silence, type SilenceMatcher, type SilenceState } from './silences.js';

export interface FireInput {
  labels: LabelSet;
  annotations?: Record<string, string> | undefined;
  startsAt?: number | undefined;
  endsAt?: number | undefined;
  generatorURL?: string | undefined;
}

export type EngineEvent =
  | { type: 'fire'; at: number; alert: Alert }
  | { type: 'resolve'; at: number; fingerprint: string }
  | { type: 'silence_add'; at: number; silence: Silence }
  | { type: 'silence_expire'; at: number; id: string }
  | { type: 'tick'; at: number };

/** Append-only persistence: the engine appends each event; load() returns them in order. */
export interface EngineEventLog {
  append(event: EngineEvent): void;
  load(): EngineEvent[];
}

export interface AlertEngineOptions {
  config: AlertmanagerConfig;
  now: () => number;
  events?: EngineEventLog | undefined;
  /** Silence ids; inject for determinism (default: crypto.randomUUID). */
  newId?: (() => string) | undefined;
  /** Give alerts without endsAt Alertmanager's global.resolve_timeout expiry; default false (they fire until resolved). */
  autoResolve?: boolean | undefined;
  maxAlerts?: number | undefined;
  maxSilences?: number | undefined;
}

export interface AlertView {
  alert: Alert;
  state: 'active' | 'suppressed';
  silencedBy: string[];
  inhibitedBy: string[];
  receivers: string[];
}

export interface RouteMatch {
  receiver: string;
  routeId: string;
  /** Matchers of each node from the root down, as `amtool config routes test --tree` shows the path. */
  path: string[];
  groupKey: string;
  groupBy: string[] | '...';
  continue: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** When repeats really come: the first group_interval flush strictly after repeat_interval (4h with 5m → 4h5m). */
  effectiveRepeatMs: number;
}

export interface RouteTestResult {
  receivers: string[];
  matches: RouteMatch[];
}

const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Route test for a tree without an engine (the tool uses it for inline YAML). */
export function testRoute(tree: RouteNode, labels: LabelSet): RouteTestResult {
  const matches = routeAlert(tree, labels).map((route) => ({
    receiver: route.receiver,
    routeId: route.id,
    path: routeChain(route).map((node) => (node.parent ? node.key.slice(node.parent.key.length + 1) : 'default-route')),
    groupKey: groupKeyFor(route, labels),
    groupBy: route.groupByAll ? ('...' as const) : route.groupBy,
    continue: route.continue,
    groupWaitMs: route.groupWaitMs,
    groupIntervalMs: route.groupIntervalMs,
    repeatIntervalMs: route.repeatIntervalMs,
    effectiveRepeatMs: repeatDueAt(route, 0),
  }));
  return { receivers: matches.map((m) => m.receiver), matches };
}

export class AlertEngine {
  private config!: AlertmanagerConfig;
  private tree!: RouteNode;
  private dispatcher!: Dispatcher;
  private inhibitor!: Inhibitor;
  private readonly alerts = new Map<string, Alert>();
  private readonly silences = new Map<string, CompiledSilence>();
  private replaying = false;
  /** Bumped on every alert change, so the inhibition index is rebuilt only when state or time moved. */
  private version = 0;
  private inhibition: { version: number; now: number; index: InhibitionIndex } | null = null;

  constructor(private readonly options: AlertEngineOptions) {
    this.setConfig(options.config);
    const events = options.events?.load() ?? [];
    this.replaying = true;
    try {
      for (const event of events) this.apply(event);
    } finally {
      this.replaying = false;
    }
  }

  /** Applies events another writer logged (a shared log), without appending them again. */
  replay(events: Iterable<EngineEvent>): void {
    this.replaying = true;
    try {
      for (const event of events) this.apply(event);
    } finally {
      this.replaying = false;
    }
  }

  /** A new config resets the groups (as an Alertmanager reload does) and re-routes the active alerts. */
  setConfig(config: AlertmanagerConfig): void {
    this.config = config;
    this.tree = buildRouteTree(config);
    this.inhibitor = new Inhibitor(config.inhibitRules);
    this.inhibition = null;
    this.dispatcher = new Dispatcher({
      tree: this.tree,
      receivers: config.receivers,
      isMuted: (alert, now) => this.silencedBy(alert, now).length > 0 || this.inhibitedBy(alert, now) !== null,
    });
    const now = this.options.now();
    for (const alert of this.alerts.values()) this.dispatcher.insert(alert, now);
  }

  fire(input: FireInput): Alert {
    const at = this.options.now();
    const labels: LabelSet = {};
    for (const [name, value] of Object.entries(input.labels)) {
      if (!labelName.test(name))
        throw new InputError('labels', `"${name}" is not a valid label name; use [a-zA-Z_][a-zA-Z0-9_]*`);
      if (value !== '') labels[name] = value; // Alertmanager drops empty labels
    }
    if (Object.keys(labels).length === 0)
      throw new InputError('labels', 'an alert needs at least one non-empty label, e.g. alertname');
    const fp = fingerprint(labels);
    const existing = this.alerts.get(fp);
    const max = this.options.maxAlerts ?? 10_000;
    if (!existing && this.alerts.size >= max)
      throw new InputError('labels', `${max} alerts are active (maxAlerts budget); resolve some first`);
    const timeout = this.options.autoResolve ? at + this.config.global.resolveTimeoutMs : undefined;
    const startsAt = input.startsAt ?? at;
    const alert: Alert = {
      labels,
      annotations: { ...(input.annotations ?? {}) },
      startsAt: existing && !isResolved(existing, at) ? Math.min(existing.startsAt, startsAt) : startsAt,
      endsAt: input.endsAt ?? timeout,
      generatorURL: input.generatorURL,
      fingerprint: fp,
    };
    this.apply({ type: 'fire', at, alert });
    return alert;
  }

  resolve(fp: string): Alert {
    const alert = this.alerts.get(fp);
    const at = this.options.now();
    if (!alert || isResolved(alert, at))
      throw new InputError(
        'fingerprint',
        `no firing alert has fingerprint ${fp}; list the alerts for their fingerprints`,
      );
    this.apply({ type: 'resolve', at, fingerprint: fp });
    return this.alerts.get(fp)!;
  }

  addSilence(input: Omit<Silence, 'id' | 'startsAt'> & { startsAt?: number | undefined }): Silence {
    const at = this.options.now();
    if (input.matchers.length === 0) throw new InputError('matchers', 'a silence needs at least one matcher');
    const silence: Silence = {
      id: (this.options.newId ?? (() => crypto.randomUUID()))(),
      matchers: input.matchers.map((m: SilenceMatcher) => ({ ...m })),
      startsAt: input.startsAt ?? at,
      endsAt: input.endsAt,
      createdBy: input.createdBy,
      comment: input.comment,
    };
    if (silence.endsAt <= silence.startsAt) throw new InputError('endsAt', 'endsAt must be after startsAt');
    let compiled: CompiledSilence;
    try {
      compiled = new CompiledSilence(silence);
    } catch (error) {
      if (error instanceof MatcherError) throw new InputError('matchers', error.message);
      throw error;
    }
    if (compiled.matches({}))
      throw new InputError('matchers', 'at least one matcher must not match the empty label set; narrow it');
    const live = [...this.silences.values()].filter((s) => s.state(at) !== 'expired').length;
    const max = this.options.maxSilences ?? 1000;
    if (live >= max)
      throw new InputError('matchers', `${max} silences are live (maxSilences budget); expire some first`);
    this.apply({ type: 'silence_add', at, silence });
    return silence;
  }

  expireSilence(id: string): Silence {
    const silence = this.silences.get(id);
    const at = this.options.now();
    if (!silence || silence.state(at) === 'expired')
      throw new InputError('id', `no live silence has id ${id}; list the silences`);
    this.apply({ type: 'silence_expire', at, id });
    return this.silences.get(id)!.silence;
  }

  listSilences(): (Silence & { state: SilenceState })[] {
    const now = this.options.now();
    return [...this.silences.values()].map((s) => ({ ...s.silence, state: s.state(now) }));
  }

  /** The alerts not yet resolved, with why each is suppressed and where it routes. */
  listAlerts(): AlertView[] {
    const now = this.options.now();
    return [...this.alerts.values()]
      .filter((alert) => !isResolved(alert, now))
      .map((alert) => {
        const silenced = this.silencedBy(alert, now);
        const inhibitor = this.inhibitedBy(alert, now);
        return {
          alert,
          state: silenced.length > 0 || inhibitor ? ('suppressed' as const) : ('active' as const),
          silencedBy: silenced,
          inhibitedBy: inhibitor ? [inhibitor] : [],
          receivers: routeAlert(this.tree, alert.labels).map((r) => r.receiver),
        };
      });
  }

  /** Flushes the groups due at `now` (default: the clock) and returns the notifications to send. */
  tick(now: number = this.options.now()): Notification[] {
    const due = this.dispatcher.nextDueAt();
    if (due === null || due > now) {
      this.dropResolved(now);
      return [];
    }
    return this.apply({ type: 'tick', at: now });
  }

  nextDueAt(): number | null {
    return this.dispatcher.nextDueAt();
  }

  groups(): GroupView[] {
    return this.dispatcher.views();
  }

  testRoute(labels: LabelSet): RouteTestResult {
    return testRoute(this.tree, labels);
  }

  /** Whether a silence or an inhibition rule mutes the alert now. */
  isMuted(alert: Alert, now: number = this.options.now()): boolean {
    return this.silencedBy(alert, now).length > 0 || this.inhibitedBy(alert, now) !== null;
  }

  private silencedBy(alert: Alert, now: number): string[] {
    return silencedBy(this.silences.values(), alert.labels, now);
  }

  private inhibitedBy(alert: Alert, now: number): string | null {
    const cached = this.inhibition;
    if (!cached || cached.version !== this.version || cached.now !== now) {
      const firing = [...this.alerts.values()].filter((a) => !isResolved(a, now));
      this.inhibition = { version: this.version, now, index: this.inhibitor.index(firing) };
    }
    return this.inhibitor.inhibitedBy(alert.labels, this.inhibition!.index);
  }

  private dropResolved(now: number): void {
    // Resolved alerts never inhibit, so dropping them leaves the inhibition index valid.
    for (const [fp, alert] of this.alerts) if (isResolved(alert, now)) this.alerts.delete(fp);
  }

  private apply(event: EngineEvent): Notification[] {
    if (!this.replaying) this.options.events?.append(event);
    this.version++;
    switch (event.type) {
      case 'fire':
        this.alerts.set(event.alert.fingerprint, event.alert);
        this.dispatcher.insert(event.alert, event.at);
        return [];
      case 'resolve': {
        // A replayed log whose fire line was damaged (and skipped) may resolve an alert it never saw.
        const known = this.alerts.get(event.fingerprint);
        if (!known) return [];
        const alert = { ...known, endsAt: event.at };
        this.alerts.set(event.fingerprint, alert);
        this.dispatcher.insert(alert, event.at);
        return [];
      }
      case 'silence_add':
        this.silences.set(event.silence.id, new CompiledSilence(event.silence));
        return [];
      case 'silence_expire': {
        const known = this.silences.get(event.id);
        if (!known) return [];
        const silence = known.silence;
        this.silences.set(event.id, new CompiledSilence({ ...silence, endsAt: event.at }));
        return [];
      }
      case 'tick': {
        const sent = this.dispatcher.tick(event.at);
        this.dropResolved(event.at);
        return sent;
      }
    }
  }
}

/** An in-memory event log (tests, and a default when nothing is persisted). */
export function memoryEventLog(initial: EngineEvent[] = []): EngineEventLog & { events: EngineEvent[] } {
  const events = [...initial];
  return { events, append: (event) => void events.push(structuredClone(event)), load: () => structuredClone(events) };
}
