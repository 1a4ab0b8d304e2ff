// What every internal tool handler receives. No MCP types and no process globals here:
// the composition root in servers/ fills these in.
import type { ModelPool } from '../gpu-pool/model-pool.js';
import type { CostLedger } from '../gpu-pool/ledger.js';
import type { KnowledgeStore } from '../knowledge/knowledge-store.js';
import type { MemoryLog } from '../knowledge/memory-log.js';
import type { MonitoringSettings } from './monitoring/settings.js';
import type { MountStatus } from './mounted/mounted-tool.js';
import type { ReplicaStatus } from '../knowledge/snapshot/replica.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface Clock {
  now(): number;
}

/** Reports progress of long work; the MCP edge turns it into notifications/progress. */
export type ProgressReporter = (progress: number, total?: number, message?: string) => void;

/** A redacted view of the services Caelum is configured to use. Never holds secrets. */
export interface ServicesView {
  /** Every pool host; `api` says which API it speaks (Ollama's when absent). */
  ollamaHosts: { name: string; url: string; api?: 'ollama' | 'openai' }[];
  /** Connection string for PostgreSQL; the password is kept only for connecting, never reported. */
  databaseUrl: string | undefined;
  claude: { keyConfigured: boolean; baseUrl: string | undefined; model: string };
}

/** A data provider for knowledge snapshot builds. The key is for requests only, never reported. */
export interface SnapshotSource {
  baseUrl?: string;
  apiKey?: string;
  enabled: boolean;
}

/** Config `trading`: where predictions and bars come from, and the committee's thresholds. */
export interface TradingSettings {
  /** A remote prediction service; the key is for requests only, never reported. */
  predictionService?: { baseUrl: string; apiKey?: string | undefined; timeoutMs: number; retries: number } | undefined;
  marketData: {
    directory?: string | undefined;
    providerUrl?: string | undefined;
    cacheHours: number;
    timeoutMs: number;
  };
  committee: {
    proposalConfidence: number;
    consensus: number;
    weights: { model: number; technical: number; macro: number; analyst: number };
  };
}

/** Config `mlTraining`: the job heartbeat, a Ray cluster and an MLflow server (tokens for requests only). */
export interface MlTrainingSettings {
  jobs: { heartbeatMs: number; stopGraceMs: number; logTailLines: number };
  ray?: { address: string; timeoutMs: number; token?: string | undefined } | undefined;
  mlflow?: { trackingUri: string; experiment: string; timeoutMs: number; token?: string | undefined } | undefined;
}

/** How the suite is being served, for getSystemStatus. */
export interface RuntimeView {
  mode: 'service' | 'in-process';
  detail: string;
}

/** The mounted MCP servers: their state, and a restart that clears a server's breaker. */
export interface MountsView {
  list(): MountStatus[];
  restart(name: string): Promise<MountStatus>;
}

export interface SuiteEnvironment {
  dataDir: string;
  /** Caelum's version, recorded in snapshot manifests. */
  codeVersion?: string;
  /** Knowledge snapshot builds: providers by name (world_bank, fred, imf, oecd, bis, eia), window, LLM reuse. */
  knowledgeBase?: {
    sources: Record<string, SnapshotSource>;
    startYear?: number;
    llmCacheDays: number;
    /** Share of a build phase's tasks that must come back for the build to be done (0..1). */
    minCoverage?: number;
    /** The shipped recordings the sample knowledge base is built from (data/kb-sample). */
    sampleDirectory?: string;
    /** Shared location (directory or http(s) URL) a published build is also copied to, for replicas. */
    publishTo?: string;
    /** Set when this instance follows another's snapshots: where from, and how the poller is doing. */
    replica?: () => ReplicaStatus;
  };
  allowedRoots: string[];
  /** Environment for child processes run on a project's behalf (tests, npm), without Caelum's secrets. */
  childEnvironment?: Record<string, string>;
  /** Extra variables for training jobs only: the host's GPU selection and CUDA library path (CUDA_VISIBLE_DEVICES…). */
  jobEnvironment?: Record<string, string>;
  /** Project directories where the test-running tool may run without confirm: true. */
  testRunsAllowed?: string[];
  /** Where known-vulnerable dependency versions come from (development.advisories). */
  advisories?: {
    source: 'auto' | 'npm' | 'osv' | 'off';
    osvFile?: string;
    osvUrl?: string;
    registry?: string;
    timeoutMs: number;
  };
  /** The trading supervisor's settings (config `trading`). */
  trading?: TradingSettings;
  /** The ml-training supervisor's settings (config `mlTraining`). */
  mlTraining?: MlTrainingSettings;
  /** The monitoring supervisor's settings (config `monitoring`, with the Alertmanager YAML parsed). */
  monitoring?: MonitoringSettings;
  services: ServicesView;
  confidenceThreshold: number;
  /** Overrides of the threshold by supervisor and by tool name. */
  thresholds: { supervisors: Record<string, number>; tools: Record<string, number> };
  /** With databaseUrl: agent memory goes through the log in PostgreSQL that every instance applies. */
  memoryLog?: MemoryLog;
  /** The mounted MCP servers (config mcpServers); absent when none are configured. */
  mounts?: MountsView;
  /** Live: the shared service (with its sessions) or an in-process server and why. */
  runtime?: () => RuntimeView;
}

export interface ToolContext {
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  progress: ProgressReporter;
  pool: ModelPool;
  ledger: CostLedger;
  knowledge: KnowledgeStore;
  environment: SuiteEnvironment;
}
