// The model pool as the rest of Caelum sees it: one place for every LLM step. It owns the Ollama
// hosts (health, routing, failover), the Claude fallback and the confidence cascade, and records
// every call in the cost ledger. With no hosts and no key it still answers status calls and says
// plainly that no LLM backend is available.
import { Cascade, type CompleteRequest, type CompleteResult } from './cascade.js';
import { ClaudeBackend } from './claude-backend.js';
import type { CostLedger } from './ledger.js';
import { OllamaPool, type HostHealth, type PoolEvents, type Tier } from './ollama-pool.js';
import { PoolError } from './pool-error.js';
import { EventEmitter } from 'node:events';

export interface PoolHostConfig {
  name: string;
  url: string;
  gpu?: string | undefined;
  vramGiB?: number | undefined;
  weight: number;
  maxConcurrent: number;
  tags: string[];
  access: 'network' | 'localhost';
  tierModels?: Partial<Record<Tier, string>>;
}

export interface HostStatus {
  name: string;
  url: string;
  gpu?: string | undefined;
  vramGiB?: number | undefined;
  enabled: boolean;
  health: HostHealth;
  probed: boolean;
  version: string | undefined;
  models: string[];
  resident: { name: string; vramBytes: number }[];
  inFlight: number;
  queued: number;
  breaker: 'closed' | 'open' | 'half-open';
  ewmaLatencyMs: number | undefined;
  lastError: string | undefined;
}

export interface PoolStatus {
  hosts: HostStatus[];
  claudeConfigured: boolean;
  /** What LLM work can use right now. */
  mode: 'local-and-claude' | 'local-only' | 'claude-only' | 'none';
}

export interface ModelPool {
  status(): PoolStatus;
  complete<T = string>(request: CompleteRequest<T>): Promise<CompleteResult<T>>;
  setHostEnabled(name: string, enabled: boolean): boolean;
  reprobe(): Promise<void>;
  pull(host: string, model: string, onProgress: (status: string, completed?: number, total?: number) => void, signal?: AbortSignal): Promise<void>;
  unload(host: string, model: string, signal?: AbortSignal): Promise<void>;
  on<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): void;
  /** Starts the periodic deep probes (60 s by default); the first runs at once. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ModelPoolOptions {
  hosts: PoolHostConfig[];
  claude?: { apiKey: string; baseUrl?: string; model: string };
  baselineModel: string;
  ledger: CostLedger;
  defaultThreshold: number;
  localUsdPerHour?: number;
  probeIntervalMs?: number;
  claudeBudgetUsdPerDay?: number;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
}

export function createModelPool(options: ModelPoolOptions): ModelPool {
  const ollama = options.hosts.length > 0 ? new OllamaPool({ hosts: options.hosts, probeIntervalMs: options.probeIntervalMs }) : undefined;
  const claude = options.claude ? new ClaudeBackend(options.claude) : undefined;
  // Escalation and budget events come from the cascade; host events from the Ollama pool.
  const events = new EventEmitter<PoolEvents>();
  const cascade = new Cascade({
    ollama,
    claude,
    ledger: options.ledger,
    baselineModel: options.baselineModel,
    defaultThreshold: options.defaultThreshold,
    localUsdPerHour: options.localUsdPerHour,
    claudeBudgetUsdPerDay: options.claudeBudgetUsdPerDay,
    onWarning: options.onWarning,
    events,
  });
  const hostNamed = (name: string) => {
    const host = ollama?.hosts.find((h) => h.config.name === name);
    if (!host) throw new PoolError('BAD_REQUEST', `no Ollama host named "${name}"; configured: ${ollama?.hosts.map((h) => h.config.name).join(', ') || 'none'}`);
    return host;
  };
  return {
    status() {
      const hosts = (ollama?.hostStatus() ?? []).map((h, i) => ({ ...h, gpu: options.hosts[i]!.gpu, vramGiB: options.hosts[i]!.vramGiB, probed: ollama!.hosts[i]!.lastProbeAt !== undefined }));
      const local = hosts.length > 0;
      const mode: PoolStatus['mode'] = local ? (claude ? 'local-and-claude' : 'local-only') : claude ? 'claude-only' : 'none';
      return { hosts, claudeConfigured: claude !== undefined, mode };
    },
    complete: (request) => cascade.complete(request),
    setHostEnabled: (name, enabled) => ollama?.setEnabled(name, enabled) ?? false,
    reprobe: () => ollama?.probeAll() ?? Promise.resolve(),
    async pull(name, model, onProgress, signal) {
      const host = hostNamed(name);
      await host.client.pull(model, onProgress, { signal, deadlineMs: 6 * 3_600_000 });
      await ollama!.probe(host);
    },
    async unload(name, model, signal) {
      const host = hostNamed(name);
      await host.client.unload(model, { signal, deadlineMs: 30_000 });
      await ollama!.probe(host);
    },
    on(event, listener) {
      if (event === 'escalation' || event === 'budget') events.on(event, listener as never);
      else ollama?.on(event, listener as never);
    },
    start: () => ollama?.start() ?? Promise.resolve(),
    close: () => ollama?.close() ?? Promise.resolve(),
  };
}
