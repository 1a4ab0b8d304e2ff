// The composition root: the only place that builds concrete pool, ledger and knowledge instances
// and wires them into the supervisors.
import path from 'node:path';
import { createModelPool, type ModelPool } from '../gpu-pool/model-pool.js';
import { JsonlLedger } from '../gpu-pool/ledger.js';
import { PgLedger } from '../gpu-pool/pg-ledger.js';
import { PgCoordinator } from '../gpu-pool/pg-coordination.js';
import { modelNotices } from '../gpu-pool/prices.js';
import { createKnowledgeStore, type KnowledgeStore } from '../knowledge/knowledge-store.js';
import { MemoryLog } from '../knowledge/memory-log.js';
import { snapshotsDirectory } from '../knowledge/snapshot/build-state.js';
import { parseLocation, ReplicaPoller } from '../knowledge/snapshot/replica.js';
import type { Embedder } from '../knowledge/vector/embedder.js';
import { LexicalEmbedder } from '../knowledge/vector/lexical-embedder.js';
import { OllamaEmbedder } from '../knowledge/vector/ollama-embedder.js';
import { ToolRegistry } from '../tools/registry.js';
import { toolsByDomain } from '../tools/catalogue.js';
import type { Clock, Logger, RuntimeView, SuiteEnvironment } from '../tools/context.js';
import { runningJob } from '../tools/knowledge-base/snapshot-jobs.js';
import { busyLocalJobs, closeLocalJobs, openLocalJobs } from '../tools/ml-training/jobs/local-job-store.js';
import { closeRegistryStores } from '../tools/ml-training/registry/registry.js';
import { alertServiceSettings, closeAlertService, openAlertService } from '../tools/monitoring/alerts/alert-service.js';
import { monitoringEnvironment } from './monitoring-config.js';
import { registerSecrets } from '../tools/secrets.js';
import { childEnvironment, trainingJobEnvironment } from '../tools/child-environment.js';
import { closePredictionBackends } from '../tools/trading/prediction/backends.js';
import type { AnyTool } from '../tools/define-tool.js';
import { Dispatcher } from '../supervisors/dispatcher.js';
import { highLevelTools } from '../supervisors/index.js';
import type { CaelumConfig } from './config.js';
import { createLogger } from './logger.js';
import { sampleDirectory } from './sample-data.js';
import { caelumVersion } from './version.js';
import { resolveMounts } from './mounts/mount-config.js';
import { MountManager } from './mounts/mount-manager.js';
import { ExecutionLog } from './dashboard/execution-log.js';

export interface Suite {
  config: CaelumConfig;
  logger: Logger;
  registry: ToolRegistry;
  dispatcher: Dispatcher;
  environment: SuiteEnvironment;
  pool: ModelPool;
  knowledge: KnowledgeStore;
  /** The mounted MCP servers (config mcpServers and the defaults). */
  mounts: MountManager;
  /** Every high-level call an agent made, with its steps (the dashboard's Executions view). */
  executions: ExecutionLog;
  /** Long work in progress (background jobs); the service never idles out while it is not empty. */
  busy(): string[];
  /**
   * Work the suite runs on its own (the first-start sample load), cancelled and awaited by close(),
   * so nothing writes to the data dir after the suite is closed.
   */
  background(name: string, work: (signal: AbortSignal) => Promise<void>): void;
  close(): Promise<void>;
}

/** The configured embedder; the ONNX runtime and model load only when first used. */
export function embedderFor(config: CaelumConfig, pool: ModelPool): Embedder | (() => Promise<Embedder>) {
  const e = config.embedder;
  if (e.kind === 'ollama') {
    return new OllamaEmbedder(
      async (texts, options) => {
        const result = await pool.embed({
          texts,
          model: options.model,
          tool: 'knowledge-embed',
          supervisor: 'knowledge-base',
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return result;
      },
      e.model,
      e.dimension ?? 768,
    );
  }
  if (e.kind === 'onnx') {
    return async () => {
      const { OnnxEmbedder } = await import('../knowledge/vector/onnx-embedder.js');
      return OnnxEmbedder.load({
        modelPath: path.resolve(e.modelPath!),
        tokenizerPath: path.resolve(e.tokenizerPath!),
      });
    };
  }
  return new LexicalEmbedder(e.dimension ?? 384);
}

export interface SuiteOptions {
  logger?: Logger;
  clock?: Clock;
  /** Extra internal tools (tests, mounted servers). */
  extraTools?: readonly AnyTool[];
  /** How this process serves: the shared service, or in-process with the reason. */
  runtime?: () => RuntimeView;
  /**
   * false: do not poll knowledgeBase.replica (one-shot commands; the serving process follows the
   * location, and a short command should neither download a snapshot nor wait for one to load).
   */
  followReplica?: boolean;
}

/** The environment for programs Caelum starts on a project's behalf: an allow-list (tools/child-environment.ts). */
export { childEnvironment };

export function environmentOf(config: CaelumConfig): SuiteEnvironment {
  return {
    childEnvironment: childEnvironment(process.env),
    jobEnvironment: trainingJobEnvironment(process.env),
    dataDir: config.dataDir,
    codeVersion: caelumVersion,
    knowledgeBase: {
      sources: config.knowledgeBase.sources,
      ...(config.knowledgeBase.startYear ? { startYear: config.knowledgeBase.startYear } : {}),
      llmCacheDays: config.knowledgeBase.llmCacheDays,
      minCoverage: config.knowledgeBase.minCoverage,
      ...(sampleDirectory() ? { sampleDirectory: sampleDirectory() } : {}),
      ...(config.knowledgeBase.publishTo ? { publishTo: config.knowledgeBase.publishTo } : {}),
    },
    allowedRoots: config.allowedRoots,
    testRunsAllowed: config.testRunsAllowed,
    advisories: config.development.advisories,
    trading: config.trading,
    mlTraining: config.mlTraining,
    monitoring: monitoringEnvironment(config.monitoring),
    confidenceThreshold: config.confidenceThreshold,
    thresholds: config.thresholds,
    services: {
      ollamaHosts: config.ollamaHosts.map((host) => ({
        name: host.name,
        url: host.url,
        ...(host.api ? { api: host.api } : {}),
      })),
      databaseUrl: config.databaseUrl,
      claude: {
        keyConfigured: Boolean(config.claude.apiKey),
        baseUrl: config.claude.baseUrl,
        model: config.claude.model,
      },
    },
  };
}

export function createSuite(config: CaelumConfig, options: SuiteOptions = {}): Suite {
  // A suite built from a config object (tests, mounted servers) registers its secrets too.
  registerSecrets(config, process.env);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const registry = new ToolRegistry([...Object.values(toolsByDomain), options.extraTools ?? []]);
  const environment = environmentOf(config);
  if (options.runtime) environment.runtime = options.runtime;
  // With DATABASE_URL the ledger is shared through PostgreSQL; otherwise it is JSONL in the data dir.
  const ledger = config.databaseUrl
    ? new PgLedger(config.databaseUrl)
    : new JsonlLedger(path.join(config.dataDir, 'ledger'));
  const pool = createModelPool({
    hosts: config.ollamaHosts,
    ...(config.tierModels ? { tierModels: config.tierModels } : {}),
    claude: config.claude.apiKey
      ? { apiKey: config.claude.apiKey, baseUrl: config.claude.baseUrl, model: config.claude.model }
      : undefined,
    baselineModel: config.claude.baselineModel,
    ledger,
    defaultThreshold: config.confidenceThreshold,
    localCost:
      config.localCost ??
      (config.localCostUsdPerGpuHour !== undefined ? { usdPerGpuHour: config.localCostUsdPerGpuHour } : undefined),
    probeIntervalMs: config.probeIntervalMs,
    claudeBudgetUsdPerDay: config.claudeBudgetUsdPerDay,
    // Instances sharing a database share host limits, host-down notices and the Claude budget too.
    ...(config.databaseUrl
      ? {
          coordination: new PgCoordinator({
            connectionString: config.databaseUrl,
            onWarning: (event, fields) => logger.warn(event, fields),
          }),
        }
      : {}),
    onWarning: (event, fields) => logger.warn(event, fields),
  });
  // A configured model past its deprecation or end-of-life date, or with no price, is said at start-up.
  for (const notice of modelNotices(
    { escalation: config.claude.apiKey ? config.claude.model : undefined, baseline: config.claude.baselineModel },
    new Date(),
  ))
    logger.warn('claude_model_notice', {
      role: notice.role,
      model: notice.model,
      status: notice.status,
      message: notice.message,
    });
  pool.on('host-down', (event) => logger.warn('host_down', event));
  pool.on('host-up', (event) => logger.info('host_up', event));
  pool.on('failover', (event) => logger.info('failover', event));
  pool.on('escalation', (event) => logger.info('escalation', event));
  pool.on('budget', (event) => logger.warn('claude_budget_spent', event));
  // Once the first probes are done, one line per tier; later, one per tier that changed.
  pool.on('tiers', ({ tiers, changed }) => {
    for (const tier of tiers.filter((t) => changed.includes(t.tier)))
      if (tier.model) logger.info('tier_resolved', { ...tier });
      else logger.warn('tier_unserved', { ...tier });
  });
  const knowledge = createKnowledgeStore({
    dataDir: config.dataDir,
    embedder: embedderFor(config, pool),
    graph: {
      queryTimeoutMs: config.graph.queryTimeoutMs,
      bufferPoolBytes: config.graph.bufferPoolMiB * 2 ** 20,
      maxResultBytes: config.graph.maxResultBytes,
      memoryCapBytes: config.graph.memoryCapMiB * 2 ** 20,
    },
    quotas: {
      graphBytes: config.budgets.memoryQuotaMiB * 2 ** 20,
      vectorBytes: config.budgets.vectorQuotaMiB * 2 ** 20,
    },
    onWarning: (event, fields) => logger.warn(event, fields),
  });
  // Instances sharing a database share agent memory: the log in PostgreSQL is the truth, applied to
  // each instance's graph. A one-shot command uses it on demand; the serving process follows it.
  const memoryLog = config.databaseUrl
    ? new MemoryLog({
        url: config.databaseUrl,
        store: knowledge,
        onWarning: (event, fields) => logger.warn(event, fields),
      })
    : undefined;
  if (memoryLog) {
    environment.memoryLog = memoryLog;
    if (options.followReplica !== false) memoryLog.start();
  }
  const mounts = new MountManager(
    resolveMounts(config.mcpServers, config.allowedRoots, config.dataDir, process.env, config.mountDefaultServers),
    {
      registry,
      logger,
      dataDir: config.dataDir,
      cwd: config.allowedRoots[0]!,
      roots: config.allowedRoots,
      baseEnv: environment.childEnvironment ?? {},
    },
  );
  environment.mounts = mounts;
  const dispatcher = new Dispatcher(
    registry,
    {
      logger,
      clock: options.clock ?? { now: () => performance.now() },
      pool,
      ledger,
      knowledge,
      environment,
    },
    highLevelTools(),
    config.budgets.toolResultBytes,
  );
  const executions = new ExecutionLog(config.dataDir, (error) =>
    logger.warn('execution_log_failed', { error: error.message }),
  );
  dispatcher.onCall((record) => executions.record(record));
  void mounts.start();
  dispatcher.waitForCatalogue(() => mounts.ready());
  const background = new Map<string, { controller: AbortController; done: Promise<void> }>();
  // Training jobs left by an earlier run are reconciled now: a live one is re-attached (its heartbeat
  // watched again), a vanished one becomes LOST with its evidence.
  // Alerts, silences, acks and group timing come back from the data dir's logs (with databaseUrl, from
  // the log the instances share in PostgreSQL); groups flush every tickMs.
  openAlertService(
    config.dataDir,
    alertServiceSettings(environment.monitoring!.alerting, config.databaseUrl),
    logger,
  ).catch((error: unknown) => logger.warn('alert_service_open_failed', { error: (error as Error).message }));
  // A replica follows the snapshots another instance publishes to the shared location: polled on an
  // unref'd timer, each new one downloaded, verified and loaded into this instance's own graph.
  const replicaConfig = config.knowledgeBase.replica;
  const replica = replicaConfig
    ? new ReplicaPoller({
        location: parseLocation(replicaConfig.source),
        pollMs: replicaConfig.pollSeconds * 1000,
        timeoutMs: replicaConfig.timeoutSeconds * 1000,
        directory: snapshotsDirectory(config.dataDir),
        graph: () => knowledge.graph(),
        log: (level, event, fields) => logger[level](event, fields),
      })
    : undefined;
  if (replica) {
    environment.knowledgeBase!.replica = () => replica.status();
    if (options.followReplica !== false) replica.start();
  }
  openLocalJobs(
    config.dataDir,
    config.mlTraining.jobs,
    logger,
    config.databaseUrl ? { url: config.databaseUrl } : undefined,
  )
    .then((active) => {
      if (active.length > 0) logger.info('training_jobs_reattached', { jobs: active.map((job) => job.jobId) });
    })
    .catch((error: unknown) => logger.warn('training_jobs_reconcile_failed', { error: (error as Error).message }));
  return {
    config,
    logger,
    registry,
    dispatcher,
    environment,
    pool,
    knowledge,
    mounts,
    executions,
    busy: () => {
      const job = runningJob(knowledge);
      // Background work (the sample load) is cheap to redo, so it never holds a stop: close() cancels it.
      // Training jobs outlive the service, but while one runs the service watches its heartbeat.
      return [
        ...(job ? [`snapshot build job ${job.jobId}`] : []),
        ...busyLocalJobs(config.dataDir).map((training) => `training job ${training.jobId} (${training.name})`),
      ];
    },
    background: (name, work) => {
      const controller = new AbortController();
      const done = work(controller.signal)
        .catch((error: unknown) => logger.warn('background_failed', { name, error: (error as Error).message }))
        .finally(() => background.delete(name));
      background.set(name, { controller, done });
    },
    close: async () => {
      for (const task of background.values()) task.controller.abort();
      await Promise.all([...background.values()].map((task) => task.done));
      await mounts.close();
      await executions.flush();
      // The poller goes before the graph it writes to.
      await replica?.close();
      await memoryLog?.close();
      await knowledge.close();
      await closeLocalJobs(config.dataDir);
      await closeRegistryStores(config.dataDir);
      await closeAlertService(config.dataDir);
      await closePredictionBackends(config.dataDir);
      await pool.close();
      if (ledger instanceof PgLedger) await ledger.close();
    },
  };
}
