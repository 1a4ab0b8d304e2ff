// The Ollama side of the pool: hosts with health, discovery, breakers and slots; routing by model
// tier; failover to another host on connection errors, 5xx and timeouts (never on our own bugs or
// on a request the host rightly refused); and typed events for host up/down. Between the deep
// probes, a cheap liveness check every second notices a host that died while idle.
import { EventEmitter } from 'node:events';
import type { Message } from 'ollama';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import { HostSlots } from './host-slots.js';
import type { PoolHostConfig } from './model-pool.js';
import { OllamaHost, type ChatResult } from './ollama-host.js';
import { PoolError } from './pool-error.js';
import { ewma, selectHost, type HostView } from './select-host.js';

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

export interface PoolEvents {
  'host-up': [{ host: string; previous: HostHealth }];
  'host-down': [{ host: string; previous: HostHealth; reason: string }];
  failover: [{ from: string; code: string; model: string }];
  escalation: [{ from: Tier; to: Tier | 'claude'; confidence: number; threshold: number; tool?: string }];
  budget: [{ spentUsd: number; budgetUsd: number; day: string }];
}

export interface HostRuntime {
  config: PoolHostConfig;
  client: OllamaHost;
  enabled: boolean;
  health: HostHealth;
  version: string | undefined;
  models: Set<string>;
  resident: Map<string, number>;
  breaker: CircuitBreaker;
  slots: HostSlots;
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
}

export interface PoolChatRequest {
  tier?: Tier;
  model?: string;
  messages: Message[];
  format?: string | object;
  options?: Record<string, unknown>;
  logprobs?: boolean;
  onToken?: (text: string) => void;
}

export interface PoolChatResult extends ChatResult {
  attempts: { host: string; code: string }[];
  /** Whether the model was already resident on the host that answered. */
  resident: boolean;
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
      client: new OllamaHost(config),
      enabled: true,
      health: 'unknown' as HostHealth,
      version: undefined,
      models: new Set<string>(),
      resident: new Map<string, number>(),
      breaker: new CircuitBreaker(
        this.now,
        this.options.breakerThreshold ?? 3,
        this.options.breakerCooldownMs ?? 10_000,
      ),
      slots: new HostSlots(config.name, config.maxConcurrent, this.options.queuePerHost ?? config.maxConcurrent * 8),
      ewmaLatencyMs: undefined,
      lastProbeAt: undefined,
      lastError: undefined,
      unreachable: false,
    } as Omit<HostRuntime, 'view'> as HostRuntime;
    runtime.view = {
      name: config.name,
      get usable() {
        return runtime.enabled && runtime.health !== 'down' && runtime.breaker.allows();
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

  /** The model a tier maps to, with the host's own override when it has one. */
  modelFor(tier: Tier, host?: HostRuntime): string {
    return canonicalModel(host?.config.tierModels?.[tier] ?? this.tiers[tier]);
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
      if (host.health !== 'down') this.setHealth(host, 'down', (error as Error).message);
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
    const work = this.runProbe(host).finally(() => this.probing.delete(host.config.name));
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
      host.resident = new Map(found.resident.map((m) => [canonicalModel(m.name), m.vramBytes]));
      const smallest = [...found.models]
        .filter((m) => !/embed/.test(m.name))
        .sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
      if (!smallest) {
        this.setHealth(host, 'degraded', 'no generation model installed');
        return;
      }
      const { latencyMs } = await host.client.probe(smallest.name, { deadlineMs });
      this.setHealth(host, latencyMs > (this.options.degradedAfterMs ?? 2_000) ? 'degraded' : 'healthy');
    } catch (error) {
      // A host that cannot be reached comes back through the liveness check; one that answers but
      // cannot generate waits for the next deep probe.
      host.unreachable = error instanceof PoolError && error.code === 'HOST_UNREACHABLE';
      this.setHealth(host, 'down', (error as Error).message);
    }
  }

  private setHealth(host: HostRuntime, health: HostHealth, reason?: string): void {
    const previous = host.health;
    host.health = health;
    host.lastError = health === 'down' ? reason : undefined;
    if (health === 'down' && previous !== 'down')
      this.emit('host-down', { host: host.config.name, previous, reason: reason ?? 'probe failed' });
    if (health !== 'down' && (previous === 'down' || previous === 'unknown'))
      this.emit('host-up', { host: host.config.name, previous });
  }

  setEnabled(name: string, enabled: boolean): boolean {
    const host = this.hosts.find((h) => h.config.name === name);
    if (!host) return false;
    host.enabled = enabled;
    return true;
  }

  async chat(request: PoolChatRequest, limits: { signal?: AbortSignal; deadlineMs: number }): Promise<PoolChatResult> {
    const started = this.now();
    // Routing needs each host's model list: a host never probed yet is probed before the first call.
    const unprobed = this.hosts.filter((h) => h.enabled && h.lastProbeAt === undefined);
    if (unprobed.length > 0) await Promise.all(unprobed.map((h) => this.probe(h)));
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
      const model = request.model ? canonicalModel(request.model) : this.modelFor(request.tier ?? 'small');
      const chosen = this.choose(model, request.tier, tried);
      if (!chosen) {
        // Hosts were tried and every one failed: that failure is the answer, not "no host".
        if (lastFailure)
          throw new PoolError(
            lastFailure.code,
            `every host with ${model} failed (${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')}); last: ${lastFailure.message}`,
            lastFailure.host,
            { cause: lastFailure },
          );
        throw new PoolError('NO_HEALTHY_HOST', `no usable Ollama host has ${model}`);
      }
      const { host, model: hostModel } = chosen;
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
        return { ...result, attempts, resident: wasResident };
      } catch (error) {
        const failure =
          error instanceof PoolError
            ? error
            : new PoolError('INTERNAL', (error as Error).message, host.config.name, { cause: error });
        attempts.push({ host: host.config.name, code: failure.code });
        lastFailure = failure;
        if (failure.code === 'CANCELLED' || !failure.retryable || streamed) throw failure;
        if (failure.code !== 'QUEUE_FULL') {
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
  }> {
    const started = this.now();
    const unprobed = this.hosts.filter((h) => h.enabled && h.lastProbeAt === undefined);
    if (unprobed.length > 0) await Promise.all(unprobed.map((h) => this.probe(h)));
    const attempts: { host: string; code: string }[] = [];
    const tried = new Set<string>();
    const model = request.model ? canonicalModel(request.model) : this.modelFor('embed');
    for (;;) {
      limits.signal?.throwIfAborted();
      const remaining = limits.deadlineMs - (this.now() - started);
      if (remaining <= 0)
        throw new PoolError(
          'HOST_TIMEOUT',
          `no host embedded within ${limits.deadlineMs} ms (${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')})`,
        );
      const chosen = this.choose(model, request.model ? undefined : 'embed', tried);
      if (!chosen)
        throw new PoolError(
          'NO_HEALTHY_HOST',
          `no usable Ollama host has ${model}${attempts.length ? ` after ${attempts.map((a) => `${a.host}: ${a.code}`).join(', ')}` : ''}`,
        );
      const { host, model: hostModel } = chosen;
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
        };
      } catch (error) {
        const failure =
          error instanceof PoolError
            ? error
            : new PoolError('INTERNAL', (error as Error).message, host.config.name, { cause: error });
        attempts.push({ host: host.config.name, code: failure.code });
        if (failure.code === 'CANCELLED' || !failure.retryable) throw failure;
        if (failure.code !== 'QUEUE_FULL') {
          host.breaker.failure();
          void this.probe(host);
        }
        this.emit('failover', { from: host.config.name, code: failure.code, model: hostModel });
      } finally {
        release?.();
      }
    }
  }

  private choose(
    model: string,
    tier: Tier | undefined,
    tried: ReadonlySet<string>,
  ): { host: HostRuntime; model: string } | undefined {
    // Per-host tier overrides mean each host may serve the tier with its own model.
    if (tier && this.hosts.some((h) => h.config.tierModels?.[tier])) {
      const views = this.hosts.map((h) => ({
        ...h.view,
        usable: h.view.usable,
        inFlight: h.view.inFlight,
        queued: h.view.queued,
        ewmaLatencyMs: h.view.ewmaLatencyMs,
        hasModel: (_m: string) => h.models.has(this.modelFor(tier, h)),
        isResident: (_m: string) => h.resident.has(this.modelFor(tier, h)),
      }));
      const picked = selectHost(views, model, this.random, tried);
      if (!picked) return undefined;
      const host = this.hosts.find((h) => h.config.name === picked.host.name)!;
      return { host, model: this.modelFor(tier, host) };
    }
    const picked = selectHost(
      this.hosts.map((h) => h.view),
      model,
      this.random,
      tried,
    );
    return picked ? { host: this.hosts.find((h) => h.view === picked.host)!, model } : undefined;
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
