// The model pool as the rest of Caelum sees it: one place for every LLM step. It owns the Ollama
// hosts (health, routing, failover), the Claude fallback and the confidence cascade, and records
// every call in the cost ledger. With no hosts and no key it still answers status calls and says
// plainly that no LLM backend is available.
import { Cascade, type CompleteRequest, type CompleteResult } from './cascade.js';
import { ClaudeBackend } from './claude-backend.js';
import type { CostLedger, LedgerEntry } from './ledger.js';
import { randomUUID } from 'node:crypto';
import { OllamaPool, type HostHealth, type PoolEvents, type Tier, type TierResolution } from './ollama-pool.js';
import { PoolError } from './pool-error.js';
import type { InstalledModel, LoadedModel, ModelDetails } from './ollama-host.js';
import { EventEmitter } from 'node:events';
import { localCostUsd, localRate, type LocalCostSetting, type LocalRate } from './local-cost.js';
import { priceTableVersion } from './prices.js';
import type { CoordinationStatus, PgCoordinator } from './pg-coordination.js';

export interface PoolHostConfig {
  name: string;
  url: string;
  gpu?: string | undefined;
  vramGiB?: number | undefined;
  weight: number;
  maxConcurrent: number;
  tags: string[];
  access: 'network' | 'localhost';
  /** The API the host speaks: Ollama's (default) or OpenAI's chat completions (vLLM, llama.cpp, LM Studio, TGI). */
  api?: 'ollama' | 'openai' | undefined;
  /** Bearer key for an OpenAI-compatible host started with one (vLLM --api-key); a secret. */
  apiKey?: string | undefined;
  tierModels?: Partial<Record<Tier, string>>;
  /** This host's own price of model time, over the pool's. */
  cost?: LocalCostSetting | undefined;
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
  /** Each tier's model and the healthy hosts that serve it; empty when no Ollama host is configured. */
  tiers: TierResolution[];
  /** What LLM work can use right now. */
  mode: 'local-and-claude' | 'local-only' | 'claude-only' | 'none';
  /** Present when host limits and the Claude budget are shared with other instances through PostgreSQL. */
  coordination?: CoordinationStatus;
}

export interface EmbedRequest {
  texts: string[];
  /** An Ollama embedding model; default the embed tier's (nomic-embed-text). */
  model?: string;
  tool?: string;
  supervisor?: string;
  signal?: AbortSignal;
  deadlineMs?: number;
}

export interface EmbedResult {
  embeddings: number[][];
  host: string;
  model: string;
  inputTokens: number;
  latencyMs: number;
  /** Local GPU time priced at localCostUsdPerGpuHour; Claude has no embedding API to compare. */
  costUsd: number;
}

export interface CostSettings {
  baselineModel: string;
  escalationModel: string | undefined;
  defaultThreshold: number;
  /** The pool-wide local rate (a host's own rate may differ). */
  localRate: LocalRate;
  /** False when some host's model time is priced at $0 for want of a rate. */
  localCostConfigured: boolean;
}

export interface ModelPool {
  status(): PoolStatus;
  /** How calls are priced now: baseline model, local rates. */
  costSettings(): CostSettings;
  complete<T = string>(request: CompleteRequest<T>): Promise<CompleteResult<T>>;
  /** Embeddings from an Ollama host; there is no Claude fallback for embeddings. */
  embed(request: EmbedRequest): Promise<EmbedResult>;
  setHostEnabled(name: string, enabled: boolean): boolean;
  reprobe(): Promise<void>;
  pull(
    host: string,
    model: string,
    onProgress: (status: string, completed?: number, total?: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  unload(host: string, model: string, signal?: AbortSignal): Promise<void>;
  /** A host's installed models and the ones loaded in memory, asked now (not the last probe). */
  listModels(host: string, signal?: AbortSignal): Promise<{ installed: InstalledModel[]; loaded: LoadedModel[] }>;
  /** A model's details on a host: parameters, template, context length, capabilities. */
  showModel(host: string, model: string, signal?: AbortSignal): Promise<ModelDetails>;
  /** Deletes a model from a host's disk; the host is re-probed so routing stops sending it there. */
  deleteModel(host: string, model: string, signal?: AbortSignal): Promise<void>;
  on<E extends keyof PoolEvents>(event: E, listener: (...args: PoolEvents[E]) => void): void;
  /** Starts the periodic deep probes (60 s by default); the first runs at once. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ModelPoolOptions {
  hosts: PoolHostConfig[];
  /** A model per tier, preferred over the tier's own family-and-size preference. */
  tierModels?: Partial<Record<Tier, string>>;
  claude?: { apiKey: string; baseUrl?: string; model: string };
  baselineModel: string;
  ledger: CostLedger;
  defaultThreshold: number;
  /** The pool-wide price of local model time (per GPU-hour, or watts × $/kWh). */
  localCost?: LocalCostSetting;
  probeIntervalMs?: number;
  claudeBudgetUsdPerDay?: number;
  /**
   * With several instances on one database: hosts' slots and queues, host-down notices and the
   * Claude budget shared through PostgreSQL. Without it, all of them live in this process.
   */
  coordination?: PgCoordinator;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
}

export function createModelPool(options: ModelPoolOptions): ModelPool {
  const ollama =
    options.hosts.length > 0
      ? new OllamaPool({
          hosts: options.hosts,
          probeIntervalMs: options.probeIntervalMs,
          ...(options.coordination ? { slotsFor: options.coordination.slotsFor.bind(options.coordination) } : {}),
          ...(options.tierModels ? { tierModels: options.tierModels } : {}),
        })
      : undefined;
  const claude = options.claude
    ? new ClaudeBackend(options.claude, {
        onSdkWarning: (message, model) => options.onWarning?.('claude_sdk_warning', { model, message }),
      })
    : undefined;
  // Escalation and budget events come from the cascade; host events from the Ollama pool.
  const events = new EventEmitter<PoolEvents>();
  const rateOf = (host: string | undefined): LocalRate =>
    localRate(options.hosts.find((h) => h.name === host)?.cost, options.localCost);
  const cascade = new Cascade({
    ollama,
    claude,
    ledger: options.ledger,
    baselineModel: options.baselineModel,
    defaultThreshold: options.defaultThreshold,
    localRate: rateOf,
    claudeBudgetUsdPerDay: options.claudeBudgetUsdPerDay,
    ...(options.coordination
      ? {
          budget: options.coordination.budget(async (day) => {
            const summary = await options.ledger.summarize({
              groupBy: 'backend',
              since: new Date(`${day}T00:00:00Z`),
            });
            return summary.breakdown.claudeUsd + (summary.legacy?.claudeUsd ?? 0);
          }),
        }
      : {}),
    onWarning: options.onWarning,
    events,
  });
  const coordination = options.coordination;
  if (coordination && ollama) {
    // A host this instance sees die is down for every instance within a notification's delivery.
    ollama.on('host-down', (event) => {
      if (event.reportedBy) return;
      const url = ollama.hosts.find((h) => h.config.name === event.host)?.client.url;
      if (url) coordination.announceDown(event.host, url, event.reason);
    });
    coordination.onHostDown((notice) => ollama.markDownElsewhere(notice.url, notice.reason, notice.from));
  }
  const hostNamed = (name: string) => {
    const host = ollama?.hosts.find((h) => h.config.name === name);
    if (!host)
      throw new PoolError(
        'BAD_REQUEST',
        `no Ollama host named "${name}"; configured: ${ollama?.hosts.map((h) => h.config.name).join(', ') || 'none'}`,
      );
    return host;
  };
  return {
    status() {
      const hosts = (ollama?.hostStatus() ?? []).map((h, i) => ({
        ...h,
        gpu: options.hosts[i]!.gpu,
        vramGiB: options.hosts[i]!.vramGiB,
        probed: ollama!.hosts[i]!.lastProbeAt !== undefined,
      }));
      const local = hosts.length > 0;
      const mode: PoolStatus['mode'] = local
        ? claude
          ? 'local-and-claude'
          : 'local-only'
        : claude
          ? 'claude-only'
          : 'none';
      return {
        hosts,
        claudeConfigured: claude !== undefined,
        tiers: ollama?.resolveAll() ?? [],
        mode,
        ...(coordination ? { coordination: coordination.status() } : {}),
      };
    },
    costSettings: () => ({
      baselineModel: options.baselineModel,
      escalationModel: options.claude?.model,
      defaultThreshold: options.defaultThreshold,
      localRate: localRate(undefined, options.localCost),
      // With no host nothing runs locally, so nothing is priced at $0 for want of a rate.
      localCostConfigured: options.hosts.every((h) => rateOf(h.name).basis !== 'unconfigured'),
    }),
    complete: (request) => cascade.complete(request),
    async embed(request) {
      if (!ollama)
        throw new PoolError(
          'NO_HEALTHY_HOST',
          'no Ollama host is configured, so there is no embedding model; set CAELUM_OLLAMA_HOSTS or use the ONNX or lexical embedder',
        );
      const result = await ollama.embed(request.texts, request.model ? { model: request.model } : {}, {
        signal: request.signal,
        deadlineMs: request.deadlineMs ?? 60_000,
      });
      const rate = rateOf(result.host);
      const costUsd = localCostUsd(rate, result.latencyMs);
      const entry: LedgerEntry = {
        v: 2,
        ts: new Date().toISOString(),
        callId: randomUUID(),
        tool: request.tool,
        supervisor: request.supervisor,
        backend: 'ollama',
        host: result.host,
        model: result.model,
        inputTokens: result.promptTokens,
        outputTokens: 0,
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
        latencyMs: Number(result.latencyMs.toFixed(3)),
        costUsd,
        baselineCostUsd: 0,
        savingUsd: 0,
        priceTable: priceTableVersion,
        outcome: 'accepted',
        localRate: rate,
        flags: ['EMBEDDING'],
      };
      await options.ledger
        .append(entry)
        .catch((error: Error) => options.onWarning?.('ledger_write_failed', { error: error.message }));
      return {
        embeddings: result.embeddings,
        host: result.host,
        model: result.model,
        inputTokens: result.promptTokens,
        latencyMs: result.latencyMs,
        costUsd,
      };
    },
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
    listModels: (name, signal) => hostNamed(name).client.inventory({ signal, deadlineMs: 15_000 }),
    showModel: (name, model, signal) => hostNamed(name).client.show(model, { signal, deadlineMs: 15_000 }),
    async deleteModel(name, model, signal) {
      const host = hostNamed(name);
      await host.client.remove(model, { signal, deadlineMs: 60_000 });
      await ollama!.probe(host);
    },
    on(event, listener) {
      if (event === 'escalation' || event === 'budget') events.on(event, listener as never);
      else ollama?.on(event, listener as never);
    },
    async start() {
      await coordination?.start();
      await ollama?.start();
    },
    async close() {
      await ollama?.close();
      await coordination?.close();
    },
  };
}
