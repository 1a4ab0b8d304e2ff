// The Ollama side of the pool: hosts with health, discovery, breakers and slots; routing by model
// tier; failover to another host on connection errors, 5xx and timeouts (never on our own bugs or
// on a request the host rightly refused); and typed events for host up/down. Between the deep
// probes, a cheap liveness check every second notices a host that died while idle.
import { EventEmitter } from 'node:events';
import type { Message } from 'ollama';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import { HostSlots, type Slots } from './host-slots.js';
import type { PoolHostConfig } from './model-pool.js';
import { splitCredentials, type ChatRequest, type ChatResult } from './ollama-host.js';
import { createBackend } from './backends.js';
import type { PoolBackend } from './pool-backend.js';
import { PoolError } from './pool-error.js';
import { ewma, selectHost, type HostView } from './select-host.js';
import { modelKind, rankForTier, tierNote, type ModelInfo } from './tier-resolution.js';

export const defaultTierModels = {
  micro: 'gemma3:1b',
  small: 'qwen3:4b',
  full: 'llama3.1:8b',
  large: 'qwen3:30b',
  code: 'qwen3-coder:30b',
  embed: 'nomic-embed-text',
} as const;
export type Tier = keyof typeof defaultTierModels;

export type HostHealth = 'unknown' | 'healthy' | 'degraded' | 'down';

/** "nomic-embed-text" and "nomic-embed-text:latest" are the same model. */
export function canonicalModel(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** What a tier resolves to now: its model and the healthy hosts that serve it. */
export interface TierResolution {
  tier: Tier;
  /** The configured model, or the built-in default when none is configured. */
  wanted: string;
  /** Undefined when no healthy host serves any model fit for the tier. */
  model: string | undefined;
  hosts: string[];
  substituted: boolean;
  /** Why the tier got another model than the one wanted, or why nothing serves it. */
  note?: string;
}

/** Set on a tier request answered by another model than the tier's wanted one. */
export interface TierSubstitution {
  tier: Tier;
  wanted: string;
  reason: string;
}

export interface PoolEvents {
  /** After probes change what a tier resolves to (and once after the first probes). */
  tiers: [{ tiers: TierResolution[]; changed: Tier[] }];
  'host-up': [{ host: string; previous: HostHealth }];
  /** `reportedBy` is set when another instance saw the host die (pg-coordination.ts). */
  'host-down': [{ host: string; previous: HostHealth; reason: string; reportedBy?: string }];
  failover: [{ from: string; code: string; model: string }];
  escalation: [{ from: Tier; to: Tier | 'claude'; confidence: number; threshold: number; tool?: string }];
  budget: [{ spentUsd: number; budgetUsd: number; day: string }];
}

export interface HostRuntime {
  config: PoolHostConfig;
  client: PoolBackend;
  enabled: boolean;
  health: HostHealth;
  version: string | undefined;
  models: Set<string>;
  /** Family and size of each installed model, from /api/tags; tiers resolve over these. */
  catalog: Map<string, ModelInfo>;
  resident: Map<string, number>;
  breaker: CircuitBreaker;
  slots: Slots;
  /** A host that answered 429/503 with retry-after is left alone until then (performance.now()). */
  coolUntil: number;
  ewmaLatencyMs: number | undefined;
  lastProbeAt: number | undefined;
  lastError: string | undefined;
  /** Down because it could not be reached; a liveness check that reaches it again re-probes it. */
  unreachable: boolean;
  view: HostView;
}

export interface OllamaPoolOptions {
  hosts: PoolHostConfig[];
  tierModels?: Partial<Record<Tier, string>>;
  now?: () => number;
  random?: () => number;
  probeIntervalMs?: number;
  probeDeadlineMs?: number;
  /** Pause between rounds of liveness checks (GET /api/version); 0 turns them off. Default 1 s. */
  livenessIntervalMs?: number;
  /** A liveness check slower than this counts as a failure. Default 750 ms. */
  livenessDeadlineMs?: number;
  /** A probe slower than this marks the host degraded. */
  degradedAfterMs?: number;
  breakerThreshold?: number;
  breakerCooldownMs?: number;
  queuePerHost?: number;
  /**
   * Longest one host may take on one attempt, so that a stalled host leaves time to fail over
   * within the call's deadline. Default: half the call's deadline.
   */
  attemptTimeoutMs?: number;
  /** Slots shared with other instances (pg-coordination.ts); default: this process's own. */
  slotsFor?: (host: string, url: string, limit: number, maxQueue: number) => Slots;
}

export interface PoolChatRequest {
  tier?: Tier;
  model?: string;
  messages: Message[];
  format?: string | object;
  options?: Record<string, unknown>;
  logprobs?: boolean;
  tools?: ChatRequest['tools'];
  onToken?: (text: string) => void;
  requestId?: string | undefined;
}

export interface PoolChatResult extends ChatResult {
  attempts: { host: string; code: string }[];
  /** Whether the model was already resident on the host that answered. */
  resident: boolean;
  substitution?: TierSubstitution;
}

export class OllamaPool extends EventEmitter<PoolEvents> {
  readonly hosts: HostRuntime[];
  private readonly tiers: Record<Tier, string>;
  private readonly now: () => number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private livenessTimer: NodeJS.Timeout | undefined;
  /** Aborted by close(), so that a liveness check in flight does not hold it up. */
  private readonly closing = new AbortController();
  private readonly probing = new Map<string, Promise<void>>();
  /** The last tier resolutions announced, so that a tiers event fires only on a change. */
  private announced = new Map<Tier, string>();
  /** Each tier's preference over the installed models; cleared when a probe or setEnabled changes them. */
  private readonly preferenceCache = new Map<Tier, string[]>();

  constructor(private readonly options: OllamaPoolOptions) {
    super();
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.tiers = { ...defaultTierModels, ...options.tierModels };
    this.hosts = options.hosts.map((config) => this.runtime(config));
  }

  private runtime(config: OllamaPoolOptions['hosts'][number]): HostRuntime {
    const runtime = {
      config,
      client: createBackend(config),
      enabled: true,
      health: 'unknown' as HostHealth,
      version: undefined,
      models: new Set<string>(),
      catalog: new Map<string, ModelInfo>(),
      resident: new Map<string, number>(),
      breaker: new CircuitBreaker(
        this.now,
        this.options.breakerThreshold ?? 3,
        this.options.breakerCooldownMs ?? 10_000,
      ),
      slots: (this.options.slotsFor ?? ((host, _url, limit, queue) => new HostSlots(host, limit, queue)))(
        config.name,
        splitCredentials(config.url).url,
        config.maxConcurrent,
        this.options.queuePerHost ?? config.maxConcurrent * 8,
      ),
      coolUntil: 0,
      ewmaLatencyMs: undefined,
      lastProbeAt: undefined,
      lastError: undefined,
      unreachable: false,
    } as Omit<HostRuntime, 'view'> as HostRuntime;
    const now = this.now;
    runtime.view = {
      name: config.name,
      get usable() {
        return runtime.enabled && runtime.health !== 'down' && runtime.breaker.allows() && now() >= runtime.coolUntil;
      },
      hasModel: (model) => runtime.models.has(model),
      isResident: (model) => runtime.resident.has(model),
      get inFlight() {
        return runtime.slots.inFlight;
      },
      get queued() {
        return runtime.slots.queued;
      },
      weight: config.weight,
      maxConcurrent: config.maxConcurrent,
      get ewmaLatencyMs() {
        return runtime.ewmaLatencyMs;
      },
    };
    return runtime;
  }

  /** The model a tier resolves to now (see resolve), else the model it wants. */
  modelFor(tier: Tier): string {
    return this.resolve(tier).model ?? this.wanted(tier);
  }

  /** The configured model of a tier, or the built-in default. */
  wanted(tier: Tier): string {
    return canonicalModel(this.tiers[tier]);
  }

  /**
   * A tier's preference over every model the enabled hosts have: the wanted model, then the
   * models fit for the tier, best first (see tier-resolution.ts).
   */
  private preferences(tier: Tier): string[] {
    const cached = this.preferenceCache.get(tier);
    if (cached) return cached;
    const catalog = new Map<string, ModelInfo>();
    for (const host of this.hosts) if (host.enabled) for (const [name, info] of host.catalog) catalog.set(name, info);
    const ranked = rankForTier(tier, [...catalog.values()]).map(canonicalModel);
    const order = [...new Set([this.wanted(tier), ...ranked])];
    this.preferenceCache.set(tier, order);
    return order;
  }

  /**
   * The model one host would serve a tier with, and its rank in the tier's preference: the host's
   * own override counts as the wanted model; otherwise the best model of the preference it has.
   */
  private hostChoice(
    tier: Tier,
    host: HostRuntime,
    order: readonly string[],
  ): { model: string; rank: number } | undefined {
    const override = host.config.tierModels?.[tier];
    if (override && host.models.has(canonicalModel(override))) return { model: canonicalModel(override), rank: 0 };
    const rank = order.findIndex((model) => host.models.has(model));
    return rank === -1 ? undefined : { model: order[rank]!, rank };
  }

  /** What a tier resolves to over the usable hosts now; recomputed from the last probes on each call. */
  resolve(tier: Tier): TierResolution {
    const order = this.preferences(tier);
    const wanted = this.wanted(tier);
    let best: { model: string; rank: number } | undefined;
    const hosts: string[] = [];
    for (const host of this.hosts) {
      if (!host.view.usable) continue;
      const choice = this.hostChoice(tier, host, order);
      if (!choice || (best && choice.rank > best.rank)) continue;
      if (!best || choice.rank < best.rank) hosts.length = 0;
      best = choice;
      hosts.push(host.config.name);
    }
    if (!best) {
      // Before the first probes end, no host is known to serve anything: say so, not "no model".
      const pending = this.probing.size > 0 || this.hosts.some((h) => h.enabled && h.lastProbeAt === undefined);
      const note = pending ? 'the hosts are still being probed' : tierNote(tier, undefined);
      return { tier, wanted, model: undefined, hosts: [], substituted: false, note };
    }
    const substituted = best.rank > 0;
    const info = this.hosts.find((h) => h.config.name === hosts[0])!.catalog.get(best.model);
    return {
      tier,
      wanted,
      model: best.model,
      hosts,
      substituted,
      ...(substituted ? { note: info ? tierNote(tier, info) : 'the best model a healthy host serves' } : {}),
    };
  }

  /** Every tier's resolution, in the tiers' order. */
  resolveAll(): TierResolution[] {
    return (Object.keys(defaultTierModels) as Tier[]).map((tier) => this.resolve(tier));
  }

  /** Emits a tiers event when what the tiers resolve to has changed since the last one. */
  private announceTiers(): void {
    if (this.closing.signal.aborted) return;
    const tiers = this.resolveAll();
    const changed = tiers.filter((t) => this.announced.get(t.tier) !== JSON.stringify(t)).map((t) => t.tier);
    if (changed.length === 0) return;
    for (const t of tiers) this.announced.set(t.tier, JSON.stringify(t));
    this.emit('tiers', { tiers, changed });
  }

  /**
   * Probes every host now, then every `probeIntervalMs` (60 s by default); in between, checks
   * every `livenessIntervalMs` (1 s) that each host still answers at all.
   */
  async start(): Promise<void> {
    await this.probeAll();
    if (this.closing.signal.aborted) return;
    const interval = this.options.probeIntervalMs ?? 60_000;
    this.timer = setInterval(() => void this.probeAll(), interval);
    this.timer.unref();
    this.scheduleLiveness();
  }

  /** A chain of timeouts, not an interval, so that two rounds never overlap. */
  private scheduleLiveness(): void {
    const interval = this.options.livenessIntervalMs ?? 1_000;
    if (interval <= 0 || this.closing.signal.aborted) return;
    this.livenessTimer = setTimeout(() => {
      void this.checkLiveness().finally(() => this.scheduleLiveness());
    }, interval);
    this.livenessTimer.unref();
  }

  /** One round of liveness checks. A host under a deep probe is left to it. */
  checkLiveness(): Promise<void> {
    const hosts = this.hosts.filter((h) => h.enabled && !this.probing.has(h.config.name));
    return Promise.all(hosts.map((h) => this.checkHost(h))).then(() => undefined);
  }

  /**
   * A failed check marks the host down (one host-down event, however long it stays down). A
   * check that reaches a host that was unreachable again starts a deep probe, which decides
   * between healthy and degraded. Nothing here is logged or written to the ledger per check.
   */
  private async checkHost(host: HostRuntime): Promise<void> {
    try {
      await host.client.ping({ signal: this.closing.signal, deadlineMs: this.options.livenessDeadlineMs ?? 750 });
    } catch (error) {
      if (this.closing.signal.aborted) return;
      host.unreachable = true;
      if (host.health !== 'down') {
        this.setHealth(host, 'down', (error as Error).message);
        if (this.probing.size === 0) this.announceTiers();
      }
      return;
    }
    if (host.unreachable) {
      host.unreachable = false;
      void this.probe(host);
    }
  }

  probeAll(): Promise<void> {
    return Promise.all(this.hosts.filter((h) => h.enabled).map((h) => this.probe(h))).then(() => undefined);
  }

  /** Discovery plus a one-token generation; concurrent requests to probe one host share a probe. */
  probe(host: HostRuntime): Promise<void> {
    const running = this.probing.get(host.config.name);
    if (running) return running;
    const work = this.runProbe(host).finally(() => {
      this.probing.delete(host.config.name);
      // Probes started together (start, probeAll) announce once, when the last one is done.
      if (this.probing.size === 0) this.announceTiers();
    });
    this.probing.set(host.config.name, work);
    return work;
  }

  private async runProbe(host: HostRuntime): Promise<void> {
    const deadlineMs = this.options.probeDeadlineMs ?? 5_000;
    host.lastProbeAt = this.now();
    try {
      const found = await host.client.discover({ deadlineMs });
      host.unreachable = false;
      host.version = found.version;
      host.models = new Set(found.models.map((m) => canonicalModel(m.name)));
      this.preferenceCache.clear();
      host.catalog = new Map(found.models.map((m) => [canonicalModel(m.name), { ...m, name: canonicalModel(m.name) }]));
      host.resident = new Map(found.resident.map((m) => [canonicalModel(m.name), m.vramBytes]));
      const smallest = [...found.models]
        .filter((m) => modelKind(m) !== 'embed')
        .sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
      if (!smallest) {
        this.setHealth(host, 'degraded', 'no generation model installed');
        return;
      }
      // The one-token probe is a request like any other, so it takes one of the host's slots: a host
      // never sees more than maxConcurrent at once. When every slot stays busy past the deadline, the
      // host is serving calls and its health stands; calls that fail mark it down on their own.
      let release: (() => void) | undefined;
      try {
        release = await host.slots.acquire(AbortSignal.timeout(deadlineMs));
      } catch (error) {
        if (error instanceof PoolError && (error.code === 'CANCELLED' || error.code === 'QUEUE_FULL')) {
          if (host.health === 'unknown') this.setHealth(host, 'healthy');
          // A down host stays down until a probe gets through: the next liveness round tries again.
          if (host.health === 'down') host.unreachable = true;
          return;
        }
        throw error;
      }
      try {
        const { latencyMs } = await host.client.probe(smallest.name, { deadlineMs });
        this.setHealth(host, latencyMs > (this.options.degradedAfterMs ?? 2_000) ? 'degraded' : 'healthy');
      } finally {
        release();
      }
    } catch (error) {
      // A host that cannot be reached comes back through the liveness check; one that answers but
      // cannot generate waits for the next deep probe.
      host.unreachable = error instanceof PoolError && error.code === 'HOST_UNREACHABLE';
      this.setHealth(host, 'down', (error as Error).message);
    }
  }

  /**
   * Another instance saw this host die: it is down here too, at once, and this instance's next
   * liveness check (within livenessIntervalMs) probes it again before it takes calls.
   */
  markDownElsewhere(url: string, reason: string, reportedBy: string): boolean {
    const host = this.hosts.find((h) => h.client.url === url);
    if (!host || !host.enabled || host.health === 'down') return false;
    host.unreachable = true;
    this.setHealth(host, 'down', `another instance saw it fail: ${reason}`, reportedBy);
    if (this.probing.size === 0) this.announceTiers();
    return true;
  }

  private setHealth(host: HostRuntime, health: HostHealth, reason?: string, reportedBy?: string): void {
    const previous = host.health;
    host.health = health;
    host.lastError = health === 'down' ? reason : undefined;
    if (health === 'down' && previous !== 'down')
      this.emit('host-down', {
        host: host.config.name,
        previous,
        reason: reason ?? 'probe failed',
        ...(reportedBy ? { reportedBy } : {}),
      });
    if (health !== 'down' && (previous === 'down' || previous === 'unknown'))
      this.emit('host-up', { host: host.config.name, previous });
  }

  setEnabled(name: string, enabled: boolean): boolean {
    const host = this.hosts.find((h) => h.config.name === name);
    if (!host) return false;
    host.enabled = enabled;
    this.preferenceCache.clear();
    this.announceTiers();
    return true;
  }

  /**
   * Routing needs each host's model list: a host never probed is probed before the first call, and
   * a first probe still running (a call just after start-up) is waited for rather than read as
   * "no model". A host whose first probe failed is not waited for again.
   */
  private async firstProbes(): Promise<void> {
    const pending = this.hosts.filter(
      (h) => h.enabled && (h.lastProbeAt === undefined || (h.version === undefined && this.probing.has(h.config.name))),
    );
    if (pending.length > 0) await Promise.all(pending.map((h) => this.probe(h)));
  }

  async chat(request: PoolChatRequest, limits: { signal?: AbortSignal; deadlineMs: number }): Promise<PoolChatResult> {
    const started = this.now();
    await this.firstProbes();
    const attempts: PoolChatResult['attempts'] = [];
    const tried = new Set<string>();
    let lastFailure: PoolError | undefined;
    let streamed = false;
    const onToken = request.onToken
      ? (text: string) => {
          streamed = true;
          request.onToken!(text);
        }
      : undefined;
    for (;;) {
      limits.signal?.throwIfAborted();
      const remaining = limits.deadlineMs - (this.now() - started);
      if (remaining <= 0)
        throw new PoolError(
          'HOST_TIMEOUT',
          `no host answered within ${limits.deadlineMs} ms (${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')})`,
        );
      const tier = request.tier ?? 'small';
      const chosen = this.choose(request.model, tier, tried);
      if (!chosen) {
        // Hosts were tried and every one failed: that failure is the answer, not "no host".
        if (lastFailure)
          throw new PoolError(
            lastFailure.code,
            `every host with ${this.lacking(request.model, tier)} failed (${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')}); last: ${lastFailure.message}`,
            lastFailure.host,
            { cause: lastFailure },
          );
        throw new PoolError('NO_HEALTHY_HOST', `no usable Ollama host has ${this.lacking(request.model, tier)}`);
      }
      const { host, model: hostModel, substitution } = chosen;
      tried.add(host.config.name);
      let release: (() => void) | undefined;
      const wasResident = host.resident.has(hostModel);
      try {
        release = await host.slots.acquire(limits.signal);
        host.breaker.begin();
        const attemptMs = Math.min(remaining, this.options.attemptTimeoutMs ?? Math.max(remaining / 2, 1));
        const result = await host.client.chat(
          { ...request, model: hostModel, onToken },
          { signal: limits.signal, deadlineMs: attemptMs },
        );
        host.breaker.success();
        host.ewmaLatencyMs = ewma(host.ewmaLatencyMs, result.latencyMs);
        host.resident.set(hostModel, host.resident.get(hostModel) ?? 0);
        return { ...result, attempts, resident: wasResident, ...(substitution ? { substitution } : {}) };
      } catch (error) {
        const failure =
          error instanceof PoolError
            ? error
            : new PoolError('INTERNAL', (error as Error).message, host.config.name, { cause: error });
        attempts.push({ host: host.config.name, code: failure.code });
        lastFailure = failure;
        if (failure.code === 'CANCELLED' || !failure.retryable || streamed) throw failure;
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > 0) {
          // The host asked to be left alone (429/503 with retry-after): other hosts take the call.
          host.coolUntil = this.now() + Math.min(failure.retryAfterMs, 60_000);
        } else if (failure.code !== 'QUEUE_FULL') {
          host.breaker.failure();
          void this.probe(host); // a host that fails is probed again at once
        }
        this.emit('failover', { from: host.config.name, code: failure.code, model: hostModel });
      } finally {
        release?.();
      }
    }
  }

  /** Embeddings from the embed tier's model (or `model`), with the same routing and failover as chat. */
  async embed(
    texts: string[],
    request: { model?: string },
    limits: { signal?: AbortSignal; deadlineMs: number },
  ): Promise<{
    embeddings: number[][];
    host: string;
    model: string;
    promptTokens: number;
    latencyMs: number;
    attempts: { host: string; code: string }[];
    substitution?: TierSubstitution;
  }> {
    const started = this.now();
    await this.firstProbes();
    const attempts: { host: string; code: string }[] = [];
    const tried = new Set<string>();
    for (;;) {
      limits.signal?.throwIfAborted();
      const remaining = limits.deadlineMs - (this.now() - started);
      if (remaining <= 0)
        throw new PoolError(
          'HOST_TIMEOUT',
          `no host embedded within ${limits.deadlineMs} ms (${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')})`,
        );
      const chosen = this.choose(request.model, 'embed', tried);
      if (!chosen)
        throw new PoolError(
          'NO_HEALTHY_HOST',
          `no usable Ollama host has ${this.lacking(request.model, 'embed')}${attempts.length ? ` after ${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')}` : ''}`,
        );
      const { host, model: hostModel, substitution } = chosen;
      tried.add(host.config.name);
      let release: (() => void) | undefined;
      try {
        release = await host.slots.acquire(limits.signal);
        host.breaker.begin();
        const callStarted = this.now();
        const result = await host.client.embed(hostModel, texts, {
          signal: limits.signal,
          deadlineMs: Math.min(remaining, this.options.attemptTimeoutMs ?? Math.max(remaining / 2, 1)),
        });
        host.breaker.success();
        const latencyMs = this.now() - callStarted;
        host.ewmaLatencyMs = ewma(host.ewmaLatencyMs, latencyMs);
        return {
          embeddings: result.embeddings,
          host: host.config.name,
          model: hostModel,
          promptTokens: result.promptTokens,
          latencyMs,
          attempts,
          ...(substitution ? { substitution } : {}),
        };
      } catch (error) {
        const failure =
          error instanceof PoolError
            ? error
            : new PoolError('INTERNAL', (error as Error).message, host.config.name, { cause: error });
        attempts.push({ host: host.config.name, code: failure.code });
        if (failure.code === 'CANCELLED' || !failure.retryable) throw failure;
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > 0) {
          host.coolUntil = this.now() + Math.min(failure.retryAfterMs, 60_000);
        } else if (failure.code !== 'QUEUE_FULL') {
          host.breaker.failure();
          void this.probe(host);
        }
        this.emit('failover', { from: host.config.name, code: failure.code, model: hostModel });
      } finally {
        release?.();
      }
    }
  }

  /** What no usable host has, for the NO_HEALTHY_HOST message. */
  private lacking(model: string | undefined, tier: Tier): string {
    if (model) return canonicalModel(model);
    const kind = tier === 'embed' ? 'embedding model' : 'generation model';
    return `${this.wanted(tier)} nor any other ${kind} for the ${tier} tier`;
  }

  /**
   * The host (and model) for one attempt. A named model must be served as named. A tier goes to
   * the hosts whose best model for it ranks highest in the tier's preference, and among those to
   * the least loaded (selectHost); a model other than the wanted one comes with the reason.
   */
  private choose(
    model: string | undefined,
    tier: Tier,
    tried: ReadonlySet<string>,
  ): { host: HostRuntime; model: string; substitution?: TierSubstitution } | undefined {
    if (model) {
      const exact = canonicalModel(model);
      const picked = selectHost(
        this.hosts.map((h) => h.view),
        exact,
        this.random,
        tried,
      );
      return picked ? { host: this.hosts.find((h) => h.view === picked.host)!, model: exact } : undefined;
    }
    const order = this.preferences(tier);
    let bestRank = Infinity;
    let candidates: { host: HostRuntime; model: string }[] = [];
    for (const host of this.hosts) {
      if (!host.view.usable || tried.has(host.config.name)) continue;
      const choice = this.hostChoice(tier, host, order);
      if (!choice || choice.rank > bestRank) continue;
      if (choice.rank < bestRank) candidates = [];
      bestRank = choice.rank;
      candidates.push({ host, model: choice.model });
    }
    // Each candidate serves the tier with its own model, so residency is checked per host.
    const views: HostView[] = candidates.map(({ host, model: hostModel }) => ({
      name: host.config.name,
      usable: true,
      hasModel: () => true,
      isResident: () => host.resident.has(hostModel),
      inFlight: host.slots.inFlight,
      queued: host.slots.queued,
      weight: host.config.weight,
      maxConcurrent: host.config.maxConcurrent,
      ewmaLatencyMs: host.ewmaLatencyMs,
    }));
    const picked = selectHost(views, '', this.random, tried);
    if (!picked) return undefined;
    const { host, model: chosen } = candidates[views.indexOf(picked.host)]!;
    if (bestRank === 0) return { host, model: chosen };
    const wanted = this.wanted(tier);
    const holders = this.hosts.filter((h) => h.models.has(wanted)).map((h) => h.config.name);
    const why = holders.length
      ? `${wanted} is only on ${holders.join(', ')}, which ${holders.length > 1 ? 'are' : 'is'} down, disabled or failed this call`
      : `no host has ${wanted}`;
    const info = host.catalog.get(chosen);
    return {
      host,
      model: chosen,
      substitution: { tier, wanted, reason: `${why}; ${info ? tierNote(tier, info) : 'the best model left'}` },
    };
  }

  hostStatus() {
    return this.hosts.map((h) => ({
      name: h.config.name,
      url: h.client.url,
      enabled: h.enabled,
      health: h.health,
      version: h.version,
      models: [...h.models].sort(),
      resident: [...h.resident.entries()].map(([name, vramBytes]) => ({ name, vramBytes })),
      inFlight: h.slots.inFlight,
      queued: h.slots.queued,
      breaker: h.breaker.current() as BreakerState,
      ewmaLatencyMs: h.ewmaLatencyMs,
      lastError: h.lastError,
    }));
  }

  async close(): Promise<void> {
    this.closing.abort();
    if (this.timer) clearInterval(this.timer);
    if (this.livenessTimer) clearTimeout(this.livenessTimer);
    await Promise.all(this.hosts.map((h) => h.client.close()));
  }
}
