// A data dir seeded with real runs for the dashboard's browser tests. Everything in it is produced
// by Caelum's own code paths against the loopback peers: LLM calls through the real pool (the
// loopback Ollama host and the loopback Claude: accepted locally, escalated, failed) and a delegated
// task; the bundled sample knowledge in the graph and two snapshot builds from the loopback data
// providers; a training job that ran as a real process with logs and metrics, its checkpoint
// registered with an alias; alerts fired through the configured route and one acked; the S&P 500
// bars of vega-datasets imported, backtests and committee signals; and, when the Debian binaries
// are installed, a fleet read from a real node_exporter and a real Prometheus. Every high-level call
// goes through suite.dispatcher.call, so the execution log has an entry (and kept result) for each.
//
// The one exception is `ledgerRows`: that many rows of GENERATED VOLUME, spread over the last 90
// days and written through the real JsonlLedger.appendAll (so each row passes the ledger schema),
// for the 10k-record render figure. Their callIds start with "generated-", their tool is
// "generated_volume" and they carry the flag "generated", so no one takes them for real calls.
import assert from 'node:assert/strict';
import { access, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { JsonlLedger, type LedgerEntry } from '../../gpu-pool/ledger.js';
import { closeLocalJobs } from '../../tools/ml-training/jobs/local-job-store.js';
import { seededRandom } from '../../knowledge/snapshot/regimes/random.js';
import { repoRoot, testSuite, type TestSuite } from '../helpers.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import { SourcesPeer } from '../peers/kb-sources-peer.js';
import { OllamaPeer, type PeerToolTurn } from '../peers/ollama-peer.js';
import { PredictionPeer } from '../peers/prediction-peer.js';
import {
  nodeExporterBinary,
  prometheusBinary,
  startNodeExporter,
  startPrometheus,
} from '../monitoring/prometheus-peer.js';

type T = { after(fn: () => Promise<void> | void): void };
type Row = Record<string, unknown>;

export interface SeedOptions {
  /** Rows of generated volume to append to the ledger (spread over the last 90 days). Default 0. */
  ledgerRows?: number;
  /**
   * A fleet for getFleetHealth: a real node_exporter read directly (db-1) and through a real
   * Prometheus (web-1). Default: when the Debian binaries are installed; without them the fleet
   * is skipped and `seeded.fleet.skipped` says why.
   */
  fleet?: boolean;
}

export interface Seeded {
  suite: TestSuite;
  peers: {
    ollama: OllamaPeer;
    anthropic: AnthropicPeer;
    sources: SourcesPeer;
    prediction: PredictionPeer;
    /** The loopback webhook receiver the alert route sends to; `seen` holds what it got. */
    webhook: { url: string; seen: { path: string; body: Row }[] };
    /** The real Prometheus, when the fleet was seeded. */
    prometheus?: { url: string };
  };
  /** What was seeded, for the tests to look for. */
  seeded: {
    snapshots: string[];
    jobId: string;
    runId: string | undefined;
    model: { name: string; version: number; alias: string };
    alerts: string[];
    ackedAlert: string;
    symbol: string;
    generatedLedgerRows: number;
    fleet: { servers: string[] } | { skipped: string };
  };
  /** Milliseconds each part took, and in all. */
  timings: Record<string, number>;
}

export const seedSymbol = 'SPX';
export const seedModel = 'seed-mlp';
export const sp500Csv = path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv');

/** The marker in a completion prompt that decides how the loopback models answer it. */
const marks = { local: '[seed:local]', escalate: '[seed:escalate]', fail: '[seed:fail]' } as const;

/** A loopback HTTP server that answers 200 and keeps what it was sent (the alert webhook receiver). */
async function webhookReceiver(): Promise<{ url: string; seen: { path: string; body: Row }[]; server: Server }> {
  const seen: { path: string; body: Row }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      let parsed: Row = {};
      try {
        parsed = body ? (JSON.parse(body) as Row) : {};
      } catch {
        parsed = { raw: body };
      }
      seen.push({ path: request.url ?? '', body: parsed });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** The local models: confident on [seed:local], unsure on [seed:escalate] and [seed:fail]; an analyst vote otherwise. */
function ollamaReply(prompt: string): string {
  if (prompt.includes(marks.local)) return JSON.stringify({ answer: 'blue', confidence: 0.92 });
  if (prompt.includes(marks.escalate) || prompt.includes(marks.fail))
    return JSON.stringify({ answer: 'maybe', confidence: 0.3 });
  return JSON.stringify({
    direction: 'LONG',
    confidence: 0.9,
    rationale: 'Price is above the 200-day average and momentum is positive.',
    risks: ['a gap down on earnings'],
    answer: 'ok',
  });
}

/** Claude: confident on [seed:escalate], still unsure on [seed:fail] (so that call fails). */
function claudeReply(prompt: string): string {
  if (prompt.includes(marks.fail)) return JSON.stringify({ answer: 'unknown', confidence: 0.1 });
  return JSON.stringify({ answer: 'a considered answer', confidence: 0.95 });
}

/** delegateTask's local planner: list the TODOs, outline the file, then answer with what it found. */
const delegateTurn = (messages: { role: string; content: string; tool_name?: string }[]): PeerToolTurn => {
  const done = messages.filter((m) => m.role === 'tool').length;
  if (done === 0) return { toolCalls: [{ name: 'development_list_todos', arguments: { path: '.' } }] };
  if (done === 1)
    return { toolCalls: [{ name: 'development_outline_file', arguments: { path: '.', file: 'src/index.ts' } }] };
  const todo = messages.find((m) => m.role === 'tool' && m.tool_name === 'development_list_todos');
  return { content: `Found: ${/handle negative numbers/.exec(todo?.content ?? '')?.[0] ?? 'no TODO'}` };
};

/** A training script: logs, metric points to CAELUM_METRICS_FILE, and a checkpoint in its output dir. */
const trainScript = `
const fs = require('fs');
const path = require('path');
const out = process.env.CAELUM_OUTPUT_DIR;
const metrics = process.env.CAELUM_METRICS_FILE;
let loss = 1.2;
for (let step = 1; step <= 20; step++) {
  loss = loss * 0.9 + 0.01;
  const accuracy = Math.min(0.99, 0.5 + step * 0.022);
  if (metrics) fs.appendFileSync(metrics, JSON.stringify({ step, loss: Number(loss.toFixed(4)), accuracy }) + '\\n');
  console.log('step ' + step + ' loss ' + loss.toFixed(4) + ' accuracy ' + accuracy.toFixed(3));
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'model.safetensors'), Buffer.alloc(1024, 7));
console.error('checkpoint written to ' + path.join(out, 'model.safetensors'));
console.log('trained');
`;

const project = {
  'src/index.ts':
    '// TODO: handle negative numbers\nexport function add(a: number, b: number) {\n  return a > 0 ? a + b : b;\n}\n',
  'train.js': trainScript,
};

function alertYaml(webhook: string): string {
  return [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 1h',
    '  routes:',
    '    - matchers: [\'severity="critical"\']',
    '      receiver: oncall',
    '      continue: true',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${webhook}/team"}]`,
    '  - name: oncall',
    `    webhook_configs: [{url: "${webhook}/oncall"}]`,
    '',
  ].join('\n');
}

/**
 * `count` ledger rows of generated volume over the last 90 days: local calls mostly accepted, some
 * escalated to Claude (a rejected local row, then the Claude row), a few failed. Costs are
 * plausible figures, not priced by the pool; the rows are marked as generated.
 */
export function generatedLedgerRows(count: number, now = Date.now(), seed = 21): LedgerEntry[] {
  const random = seededRandom(seed);
  const supervisors = ['infrastructure', 'development', 'trading', 'knowledge-base'];
  const local = [
    { model: 'qwen3:4b', tier: 'small', host: 'gpu1' },
    { model: 'llama3.1:8b', tier: 'full', host: 'gpu2' },
  ];
  const rows: LedgerEntry[] = [];
  let call = 0;
  while (rows.length < count) {
    const ts = new Date(now - random() * 90 * 86_400_000).toISOString();
    const callId = `generated-${seed}-${call++}`;
    const supervisor = supervisors[Math.floor(random() * supervisors.length)]!;
    const host = local[Math.floor(random() * local.length)]!;
    const inputTokens = 50 + Math.floor(random() * 1500);
    const outputTokens = 10 + Math.floor(random() * 600);
    const baseline = (inputTokens * 3 + outputTokens * 15) / 1e6;
    const roll = random();
    const common = { v: 2 as const, ts, callId, tool: 'generated_volume', supervisor, flags: ['generated'] };
    const localRow = {
      ...common,
      backend: 'ollama' as const,
      host: host.host,
      model: host.model,
      tier: host.tier,
      inputTokens,
      outputTokens,
      latencyMs: 200 + random() * 3000,
      costUsd: 0,
    };
    const summary = {
      attempts: 1,
      localAttempts: 1,
      threshold: 0.75,
      localComputeUsd: 0,
      claudeUsd: 0,
      baselineModel: 'claude-sonnet-4-5',
    };
    if (roll < 0.7 || rows.length + 1 >= count) {
      rows.push({
        ...localRow,
        baselineCostUsd: baseline,
        savingUsd: baseline,
        outcome: 'accepted',
        confidence: 0.75 + random() * 0.24,
        call: {
          ...summary,
          outcome: 'accepted_local',
          answeredBy: 'ollama',
          costUsd: 0,
          baselineCostUsd: baseline,
          savingUsd: baseline,
          savingExcludingLocalUsd: baseline,
        },
      });
    } else if (roll < 0.93) {
      const claudeCost = baseline * (0.8 + random() * 0.4);
      rows.push(
        { ...localRow, baselineCostUsd: 0, savingUsd: 0, outcome: 'rejected', confidence: random() * 0.7 },
        {
          ...common,
          backend: 'claude',
          model: 'claude-sonnet-4-5',
          inputTokens,
          outputTokens,
          latencyMs: 800 + random() * 4000,
          costUsd: claudeCost,
          baselineCostUsd: baseline,
          savingUsd: 0,
          outcome: 'accepted',
          confidence: 0.9,
          call: {
            ...summary,
            attempts: 2,
            outcome: 'escalated',
            answeredBy: 'claude',
            costUsd: claudeCost,
            claudeUsd: claudeCost,
            baselineCostUsd: baseline,
            savingUsd: 0,
            savingExcludingLocalUsd: 0,
            reason: 'confidence below the threshold',
          },
        },
      );
    } else {
      rows.push({
        ...localRow,
        outputTokens: 0,
        baselineCostUsd: 0,
        savingUsd: 0,
        outcome: 'error',
        errorCode: 'HOST_ERROR',
        reason: 'generated: the host answered 503',
        call: {
          ...summary,
          outcome: 'failed',
          costUsd: 0,
          baselineCostUsd: 0,
          savingUsd: 0,
          savingExcludingLocalUsd: 0,
          reason: 'generated: the host answered 503',
        },
      });
    }
  }
  return rows;
}

/** Appends generated rows through the real ledger, one appendAll per month (it files a batch under its first row's month). */
async function appendGenerated(dataDir: string, count: number): Promise<number> {
  const rows = generatedLedgerRows(count).sort((a, b) => a.ts.localeCompare(b.ts));
  const ledger = new JsonlLedger(path.join(dataDir, 'ledger'));
  const months = new Map<string, LedgerEntry[]>();
  for (const row of rows) {
    const month = row.ts.slice(0, 7);
    months.set(month, [...(months.get(month) ?? []), row]);
  }
  for (const batch of months.values()) await ledger.appendAll(batch);
  return rows.length;
}

/** node_exporter and Prometheus for the fleet, with the monitoring config that names them; or why not. */
async function fleetPeers(
  t: T,
  wanted: boolean | undefined,
): Promise<{ monitoring: Row; prometheus: { url: string } } | { skipped: string }> {
  if (wanted === false) return { skipped: 'not asked for (fleet: false)' };
  const missing: string[] = [];
  for (const binary of [prometheusBinary, nodeExporterBinary])
    if (
      !(await access(binary).then(
        () => true,
        () => false,
      ))
    )
      missing.push(binary);
  if (missing.length) {
    const reason = `${missing.join(' and ')} not installed (apt-get install prometheus prometheus-node-exporter)`;
    if (wanted) throw new Error(`fleet: ${reason}`);
    return { skipped: reason };
  }
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1', profile: 'web_api' } }],
  });
  return {
    prometheus: { url: prometheus.url },
    monitoring: {
      prometheus: { url: prometheus.url, rateWindow: '10s' },
      fleet: {
        servers: [{ name: 'db-1', profile: 'database', scrapeUrl: exporter.metricsUrl }],
        // Prometheus has seconds of history here: read it at a 2 s step.
        forecast: { stepMinutes: 2 / 60, historyDays: 0.01, horizonHours: 0.05, seasonHours: 24, delta: 3 },
      },
    },
  };
}

async function call(suite: TestSuite, name: string, args: Row): Promise<Row> {
  const result = await suite.dispatcher.call(name, args);
  assert.equal(result.isError, false, `${name} ${JSON.stringify(args).slice(0, 200)}: ${result.text}`);
  return (result.structuredContent ?? {}) as Row;
}

async function internal(suite: TestSuite, name: string, args: Row): Promise<Row> {
  const outcome = await suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}));
  assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
  return outcome.output as Row;
}

async function timed<X>(timings: Record<string, number>, part: string, work: () => Promise<X>): Promise<X> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[part] = Math.round(performance.now() - started);
  }
}

export async function seedDataDir(t: T, options: SeedOptions = {}): Promise<Seeded> {
  const timings: Record<string, number> = {};
  const started = performance.now();

  const ollama = new OllamaPeer({ resident: ['qwen3:4b'], reply: ollamaReply, toolTurn: delegateTurn });
  const anthropic = new AnthropicPeer({ apiKey: 'sk-ant-seed', reply: claudeReply });
  const sources = new SourcesPeer();
  const prediction = new PredictionPeer();
  const webhook = await webhookReceiver();
  const stopPeers = async () => {
    await Promise.all([ollama.stop(), anthropic.stop(), sources.stop(), prediction.stop()]);
    await new Promise<void>((resolve) => webhook.server.close(() => resolve()));
  };
  await Promise.all([ollama.start(), anthropic.start(), sources.start(), prediction.start()]);

  let fleet: Awaited<ReturnType<typeof fleetPeers>>;
  try {
    fleet = await timed(timings, 'fleetPeers', () => fleetPeers(t, options.fleet));
  } catch (error) {
    await stopPeers();
    throw error;
  }
  const config = {
    mlTraining: { jobs: { heartbeatMs: 200, stopGraceMs: 500, logTailLines: 40 } },
    monitoring: {
      alerting: { configFile: 'am.yml', tickMs: 200, escalation: { tiers: [{ receiver: 'oncall', afterMs: 0 }] } },
      ...('monitoring' in fleet ? fleet.monitoring : {}),
    },
  };
  let suite: TestSuite;
  try {
    suite = await testSuite(t, {
      env: {
        CAELUM_OLLAMA_HOSTS: `gpu1=${ollama.url}`,
        ANTHROPIC_API_KEY: 'sk-ant-seed',
        ANTHROPIC_BASE_URL: anthropic.url,
        CAELUM_KB_SOURCES_URL: sources.url,
        FRED_API_KEY: 'fred-seed-key',
        EIA_API_KEY: 'eia-seed-key',
        CAELUM_PREDICTION_URL: prediction.url,
      },
      files: {
        ...project,
        'caelum.config.json': JSON.stringify(config),
        'am.yml': alertYaml(webhook.url),
        'data/sp500.csv': await readFile(sp500Csv),
      },
    });
  } catch (error) {
    await stopPeers();
    throw error;
  }
  // The suite closes first (and with it the pool and the job store), then the peers go.
  t.after(async () => {
    await closeLocalJobs(suite.dataDir);
    await suite.close();
    await stopPeers();
  });
  await suite.pool.reprobe();

  // 1. LLM calls through the pool: accepted locally, escalated to Claude, failed; and a delegated task.
  await timed(timings, 'llm', async () => {
    const completion = (prompt: string) =>
      suite.dispatcher.call('runTool', {
        name: 'infrastructure_run_completion',
        arguments: { prompt, json: true },
      });
    for (const prompt of [
      `${marks.local} What colour is the sky?`,
      `${marks.local} Name a prime number below ten.`,
      `${marks.local} Summarise: the build passed.`,
      `${marks.escalate} Explain the covariance of two momentum strategies.`,
      `${marks.escalate} Which regime is Turkey in?`,
      `${marks.fail} Predict tomorrow's close to the cent.`,
    ])
      await completion(prompt);
    await call(suite, 'delegateTask', {
      supervisor: 'development',
      task: 'list the TODO comments, then outline the file src/index.ts',
    });
  });

  // 2. Knowledge: the bundled sample in the live graph (as a service loads it on first start), then
  // two snapshot builds from the loopback providers, a shock between them so the diff has regime changes.
  const snapshots = await timed(timings, 'snapshots', async () => {
    const sample = await call(suite, 'runTool', { name: 'knowledge_base_load_sample', arguments: {} });
    assert.equal((sample.result as Row).loaded, true, JSON.stringify(sample.result));
    const names: string[] = [];
    const first = await call(suite, 'buildKnowledgeSnapshot', { skipLlm: true });
    names.push(String((first.build as Row).snapshot));
    sources.options.lastDate = '2026-11-30';
    sources.options.shock = { from: '2025-01-01', size: 8, countries: ['TUR', 'BRA', 'ITA'] };
    // The observation cache would serve the old data for 30 days; a fresh fetch sees the shock.
    await rm(path.join(suite.dataDir, 'kb', 'cache'), { recursive: true, force: true });
    const second = await call(suite, 'buildKnowledgeSnapshot', { skipLlm: true });
    names.push(String((second.build as Row).snapshot));
    return names;
  });

  // 3. A training job that runs to the end (logs, metrics), and its checkpoint registered with an alias.
  const training = await timed(timings, 'training', async () => {
    const submitted = await call(suite, 'manageTrainingJob', {
      action: 'submit',
      command: [process.execPath, 'train.js'],
      outputDir: 'runs/seed-mlp',
      options: { name: seedModel, resources: { cpus: 1, memoryMiB: 512 } },
      confirm: true,
    });
    const jobId = String((submitted.job as Row).jobId);
    const runId = submitted.run ? String((submitted.run as Row).runId) : undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { job } = (await internal(suite, 'ml_training_get_job', { jobId })) as { job: Row };
      if (['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'].includes(String(job.state))) {
        assert.equal(job.state, 'SUCCEEDED', JSON.stringify(job));
        break;
      }
      if (Date.now() > deadline) throw new Error(`job ${jobId} did not end in 20 s: ${JSON.stringify(job)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await call(suite, 'manageTrainingJob', { action: 'status', jobId });
    await call(suite, 'manageTrainingJob', { action: 'logs', jobId, options: { tailLines: 40 } });
    const registered = await call(suite, 'runTool', {
      name: 'ml_training_register_model',
      arguments: {
        name: seedModel,
        artifact: 'runs/seed-mlp/model.safetensors',
        ...(runId ? { runId } : {}),
        alias: 'production',
      },
    });
    const version = Number(((registered.result as Row).version as Row).version);
    return { jobId, runId, model: { name: seedModel, version, alias: 'production' } };
  });

  // 4. Alerts: three fired through the configured route, one acked.
  const alerts = await timed(timings, 'alerts', async () => {
    const fired = [
      { alertname: 'DiskFull', severity: 'critical', instance: 'db-1', profile: 'database' },
      { alertname: 'HighLatency', severity: 'warning', instance: 'web-1', profile: 'web_api' },
      { alertname: 'NodeDown', severity: 'critical', instance: 'web-2' },
    ];
    for (const labels of fired)
      await call(suite, 'manageAlerts', {
        action: 'fire',
        labels,
        annotations: { summary: `${labels.alertname} on ${labels.instance}` },
        confirm: true,
      });
    await call(suite, 'manageAlerts', { action: 'ack', id: 'DiskFull', minutes: 30, comment: 'on it' });
    await call(suite, 'manageAlerts', { action: 'list' });
    return fired.map((labels) => labels.alertname);
  });

  // 5. Market bars imported, two backtests with equity curves, and committee signals over the latest snapshot.
  await timed(timings, 'trading', async () => {
    await call(suite, 'runTool', {
      name: 'trading_import_bars',
      arguments: { symbol: seedSymbol, file: 'data/sp500.csv' },
    });
    await call(suite, 'backtestStrategy', {
      symbol: seedSymbol,
      strategy: { type: 'sma_crossover', fast: 50, slow: 200 },
      costs: { commissionBps: 5, slippageBps: 2 },
    });
    await call(suite, 'backtestStrategy', {
      symbol: seedSymbol,
      strategy: { type: 'rsi_reversion', period: 14, lower: 30, upper: 70 },
      start: '2010-01-01',
    });
    await call(suite, 'generateMarketSignals', { symbols: [seedSymbol] });
    // A call an agent got wrong, so the execution log has a failure with its message.
    const wrong = await suite.dispatcher.call('backtestStrategy', {
      symbol: 'NOPE',
      strategy: { type: 'sma_crossover', fast: 50, slow: 200 },
    });
    assert.equal(wrong.isError, true, 'a backtest of a symbol with no bars fails');
  });

  // 6. The fleet's health over the seconds of history Prometheus has.
  const fleetSeeded = await timed(timings, 'fleet', async () => {
    if (!('monitoring' in fleet)) return fleet;
    const health = await call(suite, 'getFleetHealth', { forecastHours: 0.05 });
    return { servers: (health.servers as Row[]).map((server) => String(server.name)).sort() };
  });

  // 7. Generated ledger volume, marked as such.
  const generated = await timed(timings, 'generatedLedger', () =>
    options.ledgerRows ? appendGenerated(suite.dataDir, options.ledgerRows) : Promise.resolve(0),
  );

  await suite.executions.flush();
  timings.total = Math.round(performance.now() - started);
  return {
    suite,
    peers: {
      ollama,
      anthropic,
      sources,
      prediction,
      webhook: { url: webhook.url, seen: webhook.seen },
      ...('prometheus' in fleet ? { prometheus: fleet.prometheus } : {}),
    },
    seeded: {
      snapshots,
      jobId: training.jobId,
      runId: training.runId,
      model: training.model,
      alerts,
      ackedAlert: 'DiskFull',
      symbol: seedSymbol,
      generatedLedgerRows: generated,
      fleet: fleetSeeded,
    },
    timings,
  };
}
