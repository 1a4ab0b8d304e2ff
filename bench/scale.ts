// The scale-out load test (issue 22): several Caelum services on this machine, each with its own
// data dir, sharing one PostgreSQL database, in front of six loopback model hosts (three speaking
// Ollama's API, three the OpenAI API as vLLM does) and a loopback Claude. Real MCP clients (the
// SDK's Client over Streamable HTTP) spread calls over the instances: LLM completions (some
// escalating to Claude under a daily budget), graph queries and deterministic tools.
//
// Two parts:
// 1. The scaling curve: the same load on 1, 2 and 4 instances; throughput, latency, PostgreSQL
//    statements per call and service CPU per call.
// 2. The fault run: 2,000 calls at concurrency 100 on 4 instances; one instance is killed with
//    SIGKILL and one host is stopped mid-run. Pass: no call lost (a client retries an idempotent
//    call on another instance), no host ever sees more than its maxConcurrent (counted at the
//    peer), the ledger equals what the peers sent (tokens per call and host, Claude dollars to the
//    cent), and the Claude budget is passed by at most one call's cost.
//
// `npm run bench:scale` (builds first); `--quick` runs a smaller load. Loopback only, bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { hostKey, lockKey } from '../gpu-pool/pg-coordination.js';
import { priceCall } from '../gpu-pool/prices.js';
import { AnthropicPeer } from '../tests/peers/anthropic-peer.js';
import { OllamaPeer } from '../tests/peers/ollama-peer.js';
import { OpenAiPeer } from '../tests/peers/openai-peer.js';
import { cliPath, pgUrl, repoRoot } from '../tests/helpers.js';
import { percentile, round, table } from './stats.js';

const quick = process.argv.includes('--quick');
const faultCalls = quick ? 400 : 2_000;
const curveCalls = quick ? 200 : 600;
const concurrency = 100;
const maxConcurrent = 3;
const hostLatencyMs = 40;
const claudeLatencyMs = 60;
// About half of what the escalating calls would spend, so that the budget runs out mid-run.
const claudeBudgetUsd = faultCalls * 0.000_004;
const claudeModel = 'claude-sonnet-5-5';

type Peer = OllamaPeer | OpenAiPeer;
interface Host {
  name: string;
  api: 'ollama' | 'openai';
  peer: Peer;
  url: string;
}

async function startHosts(): Promise<Host[]> {
  const hosts: Host[] = [];
  for (let i = 1; i <= 3; i++) {
    const peer = new OllamaPeer({ latencyMs: hostLatencyMs, reply: (prompt) => `local answer to ${prompt}` });
    hosts.push({ name: `ollama${i}`, api: 'ollama', peer, url: await peer.start() });
  }
  for (let i = 1; i <= 3; i++) {
    const peer = new OpenAiPeer({ latencyMs: hostLatencyMs, reply: (prompt) => `vllm answer to ${prompt}` });
    await peer.start();
    hosts.push({ name: `vllm${i}`, api: 'openai', peer, url: peer.url });
  }
  return hosts;
}

interface Instance {
  index: number;
  child: ChildProcess;
  url: string;
  dataDir: string;
  alive: boolean;
}

async function startInstance(
  index: number,
  root: string,
  databaseUrl: string,
  hosts: Host[],
  claude: AnthropicPeer,
): Promise<Instance> {
  const dataDir = path.join(root, `instance${index}`);
  await mkdir(dataDir, { recursive: true });
  const config = {
    dataDir,
    allowedRoots: [repoRoot],
    databaseUrl,
    http: { host: '127.0.0.1', port: 0, dashboard: false },
    ollamaHosts: hosts.map((h) => ({
      name: h.name,
      url: h.url,
      maxConcurrent,
      api: h.api,
      ...(h.api === 'openai'
        ? { tierModels: { small: 'Qwen/Qwen3-4B', full: 'meta-llama/Llama-3.1-8B-Instruct' } }
        : {}),
    })),
    claude: { apiKey: 'sk-ant-bench', baseUrl: claude.url, model: claudeModel },
    claudeBudgetUsdPerDay: claudeBudgetUsd,
    mountDefaultServers: false,
    logLevel: 'warn',
  };
  const file = path.join(root, `instance${index}.json`);
  await writeFile(file, JSON.stringify(config));
  const child = spawn(process.execPath, [cliPath, 'serve', '--http', '0', '--config', file], {
    cwd: root,
    env: instanceEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`instance ${index} did not start: ${text}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /serving MCP \(Streamable HTTP, stateless\) at (\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`instance ${index} exited (${code}): ${text}`)));
  });
  child.stdout!.resume();
  return { index, child, url, dataDir, alive: true };
}

/** The bench's environment minus what would override the instance's config file. */
function instanceEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith('CAELUM_') || key.startsWith('ANTHROPIC_') || key === 'DATABASE_URL') delete env[key];
  return env;
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  const timer = setTimeout(() => instance.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** CPU time (user + system) of a process so far, ms, from /proc. */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks are 1/100 s
  } catch {
    return 0;
  }
}

type Kind = 'llm' | 'escalating' | 'graph' | 'deterministic';
function callFor(i: number): { kind: Kind; name: string; arguments: Record<string, unknown> } {
  const slot = i % 20;
  if (slot < 8)
    return {
      kind: 'llm',
      name: 'runTool',
      arguments: {
        name: 'infrastructure_run_completion',
        arguments: { prompt: `summarise item ${i} in one line`, tier: 'small', threshold: 0, maxTokens: 64 },
      },
    };
  if (slot < 10)
    return {
      kind: 'escalating',
      name: 'runTool',
      arguments: {
        name: 'infrastructure_run_completion',
        arguments: { prompt: `a hard question number ${i}`, tier: 'small', threshold: 1, maxTokens: 64 },
      },
    };
  if (slot < 15)
    return {
      kind: 'graph',
      name: 'queryKnowledgeGraph',
      arguments: { cypher: 'MATCH (c:Country) RETURN count(c) AS countries' },
    };
  return { kind: 'deterministic', name: 'findTools', arguments: { query: `backtest a trading strategy ${i % 7}` } };
}

interface CallRecord {
  kind: Kind;
  ms: number;
  attempts: number;
  ok: boolean;
  toolError?: boolean;
  error?: string;
}

/**
 * `calls` calls from `concurrency` agents, each with one MCP client per instance, spread round
 * robin. A call whose instance fails (connection refused, reset, HTTP 5xx) is retried on the next
 * live instance: every call here is idempotent (read-only).
 */
async function drive(
  instances: Instance[],
  calls: number,
  /** Called after each call with the count done and the calls in flight per instance now. */
  onProgress?: (done: number, inFlight: ReadonlyMap<number, number>) => void,
): Promise<{ records: CallRecord[]; wallMs: number }> {
  const records: CallRecord[] = [];
  let next = 0;
  let done = 0;
  const inFlight = new Map<number, number>(); // instance index → calls in flight there
  const started = performance.now();
  const agent = async (id: number) => {
    const clients = new Map<number, { client: Client; broken: AbortController }>();
    // A transport error (the instance died mid-answer) fails the calls waiting on that client at
    // once, as a load balancer's reset would, instead of leaving them to the request timeout.
    const clientFor = async (instance: Instance) => {
      let entry = clients.get(instance.index);
      if (!entry) {
        const client = new Client({ name: `agent${id}`, version: '1.0.0' });
        const transport = new StreamableHTTPClientTransport(new URL(instance.url));
        const broken = new AbortController();
        setMaxListeners(0, broken.signal); // one listener per call in flight on this client
        await client.connect(transport);
        const previous = transport.onerror;
        transport.onerror = (error) => {
          previous?.(error);
          broken.abort(error);
        };
        entry = { client, broken };
        clients.set(instance.index, entry);
      }
      return entry;
    };
    for (;;) {
      const i = next++;
      if (i >= calls) break;
      const call = callFor(i);
      const t0 = performance.now();
      let attempts = 0;
      let record: CallRecord | undefined;
      for (let k = 0; k < instances.length * 2 && !record; k++) {
        const live = instances.filter((x) => x.alive);
        const instance = live[(i + k) % live.length];
        if (!instance) break;
        attempts++;
        inFlight.set(instance.index, (inFlight.get(instance.index) ?? 0) + 1);
        try {
          const { client, broken } = await clientFor(instance);
          const result = (await client.callTool({ name: call.name, arguments: call.arguments }, undefined, {
            timeout: 120_000,
            signal: broken.signal,
          })) as { isError?: boolean; content?: { text?: string }[] };
          // A tool error is an answer, not a lost call: it is counted (and fails the run), never retried.
          record = result.isError
            ? {
                kind: call.kind,
                ms: performance.now() - t0,
                attempts,
                ok: false,
                toolError: true,
                error: (result.content?.[0]?.text ?? 'isError').slice(0, 300),
              }
            : { kind: call.kind, ms: performance.now() - t0, attempts, ok: true };
        } catch (error) {
          // A transport failure (refused, reset, the instance died mid-answer): another instance.
          clients.delete(instance.index);
          if (k === instances.length * 2 - 1)
            record = { kind: call.kind, ms: performance.now() - t0, attempts, ok: false, error: String(error) };
        } finally {
          inFlight.set(instance.index, (inFlight.get(instance.index) ?? 1) - 1);
        }
      }
      records.push(record ?? { kind: call.kind, ms: 0, attempts, ok: false, error: 'no live instance' });
      onProgress?.(++done, inFlight);
    }
    await Promise.all([...clients.values()].map((c) => c.client.close().catch(() => undefined)));
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => agent(id)));
  return { records, wallMs: performance.now() - started };
}

/** Advisory locks held now on any host's slots or queue (session locks of the coordination). */
async function hostLocks(admin: pg.Client, hosts: Host[]): Promise<number> {
  const keys = hosts.flatMap((h) => [
    lockKey(`caelum:slot:${hostKey(h.url)}`),
    lockKey(`caelum:queue:${hostKey(h.url)}`),
  ]);
  const { rows } = await admin.query<{ n: string }>(
    `select count(*) as n from pg_locks where locktype = 'advisory' and objsubid = 2 and granted and classid::int = any($1)`,
    [keys],
  );
  return Number(rows[0]!.n);
}

async function freshSchema(admin: pg.Client, name: string): Promise<string> {
  await admin.query(`drop schema if exists ${name} cascade; create schema ${name}`);
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  return url.toString();
}

async function pgTransactions(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(
    'select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()',
  );
  return Number(rows[0]!.n);
}

/** The coordination statements each instance counted (getPoolStatus over MCP), summed. */
async function coordinationOps(instances: Instance[]): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const instance of instances.filter((x) => x.alive)) {
    const client = new Client({ name: 'bench-status', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(instance.url)));
    const result = (await client.callTool({
      name: 'runTool',
      arguments: { name: 'infrastructure_get_pool_status', arguments: {} },
    })) as { structuredContent?: { result?: { coordination?: { operations?: Record<string, number> } } } };
    await client.close();
    const ops = result.structuredContent?.result?.coordination?.operations ?? {};
    for (const [kind, n] of Object.entries(ops)) total[kind] = (total[kind] ?? 0) + n;
  }
  return total;
}

function latencyRow(label: string, records: CallRecord[], wallMs: number, extra: Record<string, string | number>) {
  const ms = records.filter((r) => r.ok).map((r) => r.ms);
  return {
    instances: label,
    calls: records.length,
    'calls/s': round((records.length / wallMs) * 1000, 1),
    'p50 ms': round(percentile(ms, 50), 1),
    'p95 ms': round(percentile(ms, 95), 1),
    'p99 ms': round(percentile(ms, 99), 1),
    ...extra,
  };
}

type CallKindSim = 'llm' | 'graph' | 'deterministic';

/**
 * What one call costs an instance, by kind, on one instance alone: PostgreSQL statements (from the
 * coordination counters and the ledger rows) and service CPU (kind-only loads of 100 calls).
 */
async function perCallCosts(instance: Instance, records: CallRecord[], ops: Record<string, number>) {
  const llmCalls = records.filter((r) => r.kind === 'llm' || r.kind === 'escalating').length;
  const cpu: Record<CallKindSim, number> = { llm: 0, graph: 0, deterministic: 0 };
  for (const kind of ['llm', 'graph', 'deterministic'] as const) {
    const only = (i: number) => (kind === 'llm' ? i * 20 : kind === 'graph' ? i * 20 + 10 : i * 20 + 15);
    const before = await cpuMs(instance.child.pid);
    const n = 100;
    await Promise.all(
      Array.from({ length: 10 }, async (_, agent) => {
        const client = new Client({ name: 'bench-kind', version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(instance.url)));
        for (let i = agent; i < n; i += 10) {
          const call = callFor(only(i));
          await client.callTool({ name: call.name, arguments: call.arguments });
        }
        await client.close();
      }),
    );
    cpu[kind] = ((await cpuMs(instance.child.pid)) - before) / n;
  }
  const per = (k: string) => (ops[k] ?? 0) / Math.max(1, llmCalls);
  return {
    llmCalls,
    ops: {
      slotAcquire: per('acquire') + per('promote'),
      slotRelease: per('release') + per('dequeue'),
      budgetReserve: per('budgetReserve'),
      budgetSettle: per('budgetSettle'),
      notify: per('notify'),
      // Every LLM call books its steps in one insert; other calls write nothing to PostgreSQL.
      ledgerInsert: 1,
    },
    cpu,
  };
}

/** Sequential round trips of each kind of statement the instances send, on a scratch schema. */
async function statementTimes(admin: pg.Client): Promise<Record<string, number>> {
  const schema = `caelum_scale_statements_${process.pid}`;
  const url = await freshSchema(admin, schema);
  const { PgCoordinator } = await import('../gpu-pool/pg-coordination.js');
  const { PgLedger } = await import('../gpu-pool/pg-ledger.js');
  const coordinator = new PgCoordinator({ connectionString: url });
  const ledger = new PgLedger(url);
  await coordinator.start();
  const slots = coordinator.slotsFor('bench', `http://statements-${process.pid}`, 4, 16);
  const budget = coordinator.budget(() => Promise.resolve(0));
  const n = 300;
  const time = async (work: () => Promise<unknown>) => {
    await work();
    const started = performance.now();
    for (let i = 0; i < n; i++) await work();
    return (performance.now() - started) / n;
  };
  const slotPair = await time(async () => (await slots.acquire())());
  const budgetPair = await time(async () => {
    const grant = await budget.reserve(0.001, 1_000_000, 60_000);
    if (grant.granted) await budget.settle(grant, 0.0005);
  });
  const entry = {
    v: 2 as const,
    ts: new Date().toISOString(),
    callId: '00000000-0000-4000-8000-000000000000',
    backend: 'ollama' as const,
    host: 'bench',
    model: 'qwen3:4b',
    inputTokens: 20,
    outputTokens: 20,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    latencyMs: 40,
    costUsd: 0,
    baselineCostUsd: 0.0001,
    savingUsd: 0.0001,
    priceTable: 'bench',
    outcome: 'accepted' as const,
    flags: [],
  };
  const insert = await time(() => ledger.appendAll([entry]));
  const notify = await time(() => coordinator.query('notify', 'select pg_notify($1, $2)', ['caelum_bench', 'x']));
  await coordinator.close();
  await ledger.close();
  await admin.query(`drop schema ${schema} cascade`);
  // A release is issued without waiting on the caller; half the pair's time is each half.
  return {
    slotAcquire: slotPair / 2,
    slotRelease: slotPair / 2,
    budgetReserve: budgetPair / 2,
    budgetSettle: budgetPair / 2,
    ledgerInsert: insert,
    notify,
  };
}

/** The simulation's inputs (bench/scale-sim-model.ts ScaleInputs) from what this run measured. */
function simInputs(
  measured: NonNullable<Awaited<ReturnType<typeof perCallCosts>>>,
  statementMs: Record<string, number>,
) {
  const none = { budgetReserve: 0, slotAcquire: 0, slotRelease: 0, budgetSettle: 0, ledgerInsert: 0, notify: 0 };
  return {
    source: `bench/scale.ts on this machine (${os.cpus().length} cores), ${new Date().toISOString()}: PostgreSQL statements per call from the instances' coordination counters and ledger rows; statement times are sequential loopback round trips (an upper bound on server time); instance CPU per call from /proc on one instance; host service time is the loopback peer's ${hostLatencyMs} ms, not a GPU's`,
    pgOpsPerCall: { llm: measured.ops, graph: none, deterministic: none },
    pgMsPerOp: statementMs,
    commitOps: ['ledgerInsert', 'budgetReserve', 'budgetSettle'],
    instanceCpuMsPerCall: measured.cpu,
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'caelum-scale-'));
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const hosts = await startHosts();
  const claude = new AnthropicPeer({ latencyMs: claudeLatencyMs, keepRequests: false });
  await claude.start();
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, node: process.version },
    load: { concurrency, maxConcurrent, hostLatencyMs, claudeLatencyMs, claudeBudgetUsd, faultCalls, curveCalls },
  };
  const curve: Record<string, string | number>[] = [];
  let measured: Awaited<ReturnType<typeof perCallCosts>> | undefined;
  const curveJson: unknown[] = [];
  try {
    // 1. The scaling curve.
    for (const count of [1, 2, 4]) {
      const schema = `caelum_scale_${count}_${process.pid}`;
      const databaseUrl = await freshSchema(admin, schema);
      const instances: Instance[] = [];
      for (let i = 0; i < count; i++) instances.push(await startInstance(i, root, databaseUrl, hosts, claude));
      // Warm-up: each instance's first calls pay for probes, the graph sample and the client.
      await drive(instances, count * 20);
      const ops0 = await coordinationOps(instances);
      const tx0 = await pgTransactions(admin);
      const cpu0 = await Promise.all(instances.map((x) => cpuMs(x.child.pid)));
      const { records, wallMs } = await drive(instances, curveCalls);
      const tx1 = await pgTransactions(admin);
      const cpu1 = await Promise.all(instances.map((x) => cpuMs(x.child.pid)));
      const ops1 = await coordinationOps(instances);
      const ops = Object.fromEntries(Object.entries(ops1).map(([k, v]) => [k, v - (ops0[k] ?? 0)]));
      if (count === 1) measured = await perCallCosts(instances[0]!, records, ops);
      const cpuPerCall = cpu1.reduce((s, v, i) => s + v - cpu0[i]!, 0) / records.length;
      const pgPerCall = (tx1 - tx0) / records.length;
      curve.push(
        latencyRow(String(count), records, wallMs, {
          failed: records.filter((r) => !r.ok).length,
          'PG tx/call': round(pgPerCall, 2),
          'CPU ms/call': round(cpuPerCall, 2),
        }),
      );
      curveJson.push({
        instances: count,
        calls: records.length,
        wallMs: round(wallMs, 1),
        throughput: round((records.length / wallMs) * 1000, 2),
        byKind: Object.fromEntries(
          (['llm', 'escalating', 'graph', 'deterministic'] as const).map((kind) => {
            const ms = records.filter((r) => r.kind === kind && r.ok).map((r) => r.ms);
            return [kind, { n: ms.length, p50: round(percentile(ms, 50), 1), p95: round(percentile(ms, 95), 1) }];
          }),
        ),
        pgTransactionsPerCall: round(pgPerCall, 3),
        coordinationOperations: ops,
        serviceCpuMsPerCall: round(cpuPerCall, 3),
      });
      await Promise.all(instances.map(stopInstance));
      await admin.query(`drop schema ${schema} cascade`);
    }
    process.stdout.write(table('Scaling curve (same load, more instances; one PostgreSQL)', curve));
    results.curve = curveJson;
    const statementMs = await statementTimes(admin);
    process.stdout.write(
      table('PostgreSQL round trip per statement (sequential, loopback)', [
        Object.fromEntries(Object.entries(statementMs).map(([k, v]) => [k, round(v, 3)])),
      ]),
    );
    if (measured) results.simInputs = simInputs(measured, statementMs);

    // 2. The fault run.
    for (const h of hosts) {
      h.peer.maxInFlight = 0;
    }
    const schema = `caelum_scale_faults_${process.pid}`;
    const databaseUrl = await freshSchema(admin, schema);
    const instances: Instance[] = [];
    for (let i = 0; i < 4; i++) instances.push(await startInstance(i, root, databaseUrl, hosts, claude));
    const claudeBefore = new Set(claude.sent.byRequestId.keys());
    const peerBefore = hosts.map((h) => new Set(h.peer.sentByRequestId.keys()));
    const killAt = Math.floor(faultCalls * 0.4);
    const sessionAt = Math.floor(faultCalls * 0.6);
    let sessionKilled: { atCall: number; terminated: number } | undefined;
    let beforeCut: number[] | undefined;
    let duringCut: number[] | undefined;
    let killed: { instance: number; host: string; inFlight: number; atMs: number } | undefined;
    const started = performance.now();
    const run = await drive(instances, faultCalls, (done, inFlight) => {
      if (done === sessionAt && !sessionKilled) {
        // Instance 0 keeps serving while its coordination session is cut (a PostgreSQL restart, a
        // DBA's pg_terminate_backend): its locks go, and it carries on without passing any limit.
        sessionKilled = { atCall: done, terminated: 0 };
        // The peers' peaks are read in three windows: before the cut, the second after it, and after.
        beforeCut = hosts.map((h) => h.peer.maxInFlight);
        for (const h of hosts) h.peer.maxInFlight = h.peer.inFlight;
        setTimeout(() => {
          duringCut = hosts.map((h) => h.peer.maxInFlight);
          for (const h of hosts) h.peer.maxInFlight = h.peer.inFlight;
        }, 1_000);
        void admin
          .query(
            `select pg_terminate_backend(pid) from pg_stat_activity
             where application_name like 'caelum-coordination %' and datname = current_database()
             and pid = (select min(pid) from pg_stat_activity where application_name like 'caelum-coordination %')`,
          )
          .then((r) => (sessionKilled!.terminated = r.rowCount ?? 0));
      }
      if (done !== killAt || killed) return;
      const victim = instances[3]!;
      victim.child.kill('SIGKILL');
      victim.alive = false;
      const host = hosts[1]!; // ollama2
      void host.peer.stop();
      killed = {
        instance: victim.index,
        host: host.name,
        inFlight: inFlight.get(victim.index) ?? 0,
        atMs: round(performance.now() - started, 1),
      };
    });
    const lost = run.records.filter((r) => !r.ok && !r.toolError);
    const toolErrors = run.records.filter((r) => r.toolError);
    // Once idle, no instance may hold a slot or a queue position of any host.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const leftoverLocks = await hostLocks(admin, hosts);
    const retried = run.records.filter((r) => r.attempts > 1).length;

    // The ledger against what the peers sent, call by call.
    const { rows } = await admin.query<{
      entry: {
        callId: string;
        backend: string;
        host?: string;
        inputTokens: number;
        outputTokens: number;
        costUsd: number;
      };
    }>(`select entry from ${schema}.caelum_cost_ledger`);
    const ledger = new Map<string, { input: number; output: number; cost: number }>(); // callId|host
    let ledgerClaudeUsd = 0;
    let ledgerTotalUsd = 0;
    for (const { entry } of rows) {
      const key = `${entry.callId}|${entry.backend === 'claude' ? 'claude' : entry.host}`;
      const seen = ledger.get(key) ?? { input: 0, output: 0, cost: 0 };
      seen.input += entry.inputTokens;
      seen.output += entry.outputTokens;
      seen.cost += entry.costUsd;
      ledger.set(key, seen);
      ledgerTotalUsd += entry.costUsd;
      if (entry.backend === 'claude') ledgerClaudeUsd += entry.costUsd;
    }
    const mismatches: string[] = [];
    const unbooked: string[] = [];
    const bookedCalls = new Set(rows.map((r) => String(r.entry.callId)));
    let peerSentCalls = 0;
    hosts.forEach((h, index) => {
      for (const [id, sent] of h.peer.sentByRequestId) {
        if (peerBefore[index]!.has(id)) continue;
        peerSentCalls++;
        const booked = ledger.get(`${id}|${h.name}`);
        if (!booked) {
          if (bookedCalls.has(id)) mismatches.push(`${h.name} sent ${id}, whose call is booked without it`);
          else unbooked.push(`${h.name}:${id}`);
          continue;
        }
        if (booked.input !== sent.prompt || booked.output !== sent.completion)
          mismatches.push(
            `${h.name} ${id}: ledger ${booked.input}/${booked.output} tokens, peer ${sent.prompt}/${sent.completion}`,
          );
      }
    });
    let peerClaudeUsd = 0;
    let peerClaudeUnbookedUsd = 0;
    let largestClaudeCallUsd = 0;
    const now = new Date();
    for (const [id, sent] of claude.sent.byRequestId) {
      if (claudeBefore.has(id)) continue;
      const priced = priceCall(sent.model, { inputTokens: sent.inputTokens, outputTokens: sent.outputTokens }, now);
      const usd = priced.known ? priced.usd : 0;
      largestClaudeCallUsd = Math.max(largestClaudeCallUsd, usd);
      const booked = ledger.get(`${id}|claude`);
      if (!booked) {
        if (bookedCalls.has(id)) mismatches.push(`claude sent ${id}, whose call is booked without it`);
        else {
          unbooked.push(`claude:${id}`);
          peerClaudeUnbookedUsd += usd;
        }
      } else if (Math.round(booked.cost * 100) !== Math.round(usd * 100) || Math.abs(booked.cost - usd) > 1e-9)
        mismatches.push(`claude ${id}: ledger $${booked.cost}, peer $${usd}`);
      peerClaudeUsd += usd;
    }
    // Ledger rows no peer sent (a booked step no host answered) are mismatches too.
    const peerIds = new Set<string>();
    hosts.forEach((h) => {
      for (const id of h.peer.sentByRequestId.keys()) peerIds.add(`${id}|${h.name}`);
    });
    for (const id of claude.sent.byRequestId.keys()) peerIds.add(`${id}|claude`);
    for (const key of ledger.keys()) if (!peerIds.has(key)) mismatches.push(`ledger ${key} was never sent by a peer`);
    // A session cut frees an instance's locks while its requests still run; it takes them back on a
    // new session at once, but another instance may take a freed slot first. That second is shown
    // apart; before and after it, no host may pass its limit.
    const maxSeen = hosts.map((h, i) => ({
      host: h.name,
      'before the cut': beforeCut?.[i] ?? h.peer.maxInFlight,
      'the second after': duringCut?.[i] ?? 0,
      after: beforeCut ? h.peer.maxInFlight : 0,
    }));
    const overLimit = maxSeen.filter((h) => h['before the cut'] > maxConcurrent || h.after > maxConcurrent);
    const budgetPassedBy = peerClaudeUsd - claudeBudgetUsd;
    const checks = {
      lost: lost.length,
      toolErrors: toolErrors.length,
      toolErrorSamples: [...new Set(toolErrors.map((r) => r.error))].slice(0, 5),
      leftoverLocks,
      sessionKilled,
      retried,
      overLimit,
      mismatches: mismatches.slice(0, 20),
      mismatchCount: mismatches.length,
      unbooked: unbooked.length,
      unbookedAllowed: killed?.inFlight ?? 0,
      ledgerClaudeUsd: round(ledgerClaudeUsd, 6),
      peerClaudeUsd: round(peerClaudeUsd, 6),
      peerClaudeBookedUsd: round(peerClaudeUsd - peerClaudeUnbookedUsd, 6),
      ledgerTotalUsd: round(ledgerTotalUsd, 6),
      claudeBudgetUsd,
      budgetPassedByUsd: round(budgetPassedBy, 6),
      largestClaudeCallUsd: round(largestClaudeCallUsd, 6),
      peerSentCalls,
    };
    const pass =
      lost.length === 0 &&
      toolErrors.length === 0 &&
      leftoverLocks === 0 &&
      (sessionKilled?.terminated ?? 0) === 1 &&
      overLimit.length === 0 &&
      mismatches.length === 0 &&
      unbooked.length <= (killed?.inFlight ?? 0) &&
      Math.round(ledgerClaudeUsd * 100) === Math.round((peerClaudeUsd - peerClaudeUnbookedUsd) * 100) &&
      budgetPassedBy <= largestClaudeCallUsd;
    process.stdout.write(
      table('Fault run: 4 instances, kill -9 one instance and stop one host mid-run', [
        latencyRow('4', run.records, run.wallMs, {
          lost: lost.length,
          'tool errors': toolErrors.length,
          retried,
          'locks left': leftoverLocks,
          killed: killed ? `instance${killed.instance} + ${killed.host} at ${killed.atMs} ms` : 'none',
        }),
      ]),
    );
    process.stdout.write(
      table(`Peak requests in flight at each host, counted at the peer (limit ${maxConcurrent})`, maxSeen),
    );
    process.stdout.write(
      table('Ledger against the peers', [
        {
          'peer calls (id-tagged)': peerSentCalls,
          mismatches: mismatches.length,
          'unbooked (died with the killed instance)': `${unbooked.length} (≤ ${killed?.inFlight ?? 0} in flight there)`,
          'Claude $ ledger': checks.ledgerClaudeUsd,
          'Claude $ peer (booked calls)': checks.peerClaudeBookedUsd,
          'Claude $ peer (all)': checks.peerClaudeUsd,
          budget: claudeBudgetUsd,
          'passed by': checks.budgetPassedByUsd,
          'one call at most': checks.largestClaudeCallUsd,
        },
      ]),
    );
    for (const m of mismatches.slice(0, 10)) process.stdout.write(`  mismatch: ${m}\n`);
    for (const l of lost.slice(0, 5)) process.stdout.write(`  lost: ${l.kind}: ${l.error}\n`);
    for (const e of checks.toolErrorSamples) process.stdout.write(`  tool error: ${e}\n`);
    if (sessionKilled)
      process.stdout.write(
        `  a coordination session was cut at call ${sessionKilled.atCall} (${sessionKilled.terminated} terminated)\n`,
      );
    const slow = run.records.filter((r) => r.ms > 10_000);
    if (slow.length)
      process.stdout.write(
        `  ${slow.length} calls took over 10 s: ${[...new Set(slow.map((r) => `${r.kind}/${r.attempts} tries`))].join(', ')}\n`,
      );
    process.stdout.write(`${pass ? 'PASS' : 'FAIL'}\n`);
    results.faults = {
      calls: run.records.length,
      wallMs: round(run.wallMs, 1),
      throughput: round((run.records.length / run.wallMs) * 1000, 2),
      p50: round(
        percentile(
          run.records.filter((r) => r.ok).map((r) => r.ms),
          50,
        ),
        1,
      ),
      p99: round(
        percentile(
          run.records.filter((r) => r.ok).map((r) => r.ms),
          99,
        ),
        1,
      ),
      killed,
      maxInFlight: maxSeen,
      checks,
      pass,
    };
    await Promise.all(instances.map(stopInstance));
    await admin.query(`drop schema ${schema} cascade`);
    await mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(repoRoot, 'bench', 'results', 'scale.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (!pass) process.exitCode = 1;
  } finally {
    await Promise.all(hosts.map((h) => h.peer.stop().catch(() => undefined)));
    await claude.stop();
    await admin.end();
    await rm(root, { recursive: true, force: true, maxRetries: 5 });
  }
}

await main();
