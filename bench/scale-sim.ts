// npm run bench:scale-sim: past this machine, on paper. A discrete-event simulation of many Caelum
// instances sharing one PostgreSQL, in front of a pool of GPU hosts, driven by agents in a closed
// loop (each agent thinks, calls, waits for the answer, thinks again). It answers which resource
// saturates first at 50 instances / 200 hosts / 10,000 agents, and at how many ledger writes per
// second the shared PostgreSQL saturates, with the ledger written one row per call (as today) and
// batched per instance. Engine: bench/scale-sim-core.ts; model: bench/scale-sim-model.ts.
//
// Inputs. The per-call costs come from what bench/scale.ts measures on the real system: the
// `simInputs` field of bench/results/scale.json, or a file given with --inputs <file> (holding that
// object, or `{ "simInputs": ... }`). Without either, the defaults below are used and the output
// says so (`inputsFrom: "defaults"`); a field left out of a given file keeps its default, and the
// output lists it (`inputsFrom: "partial"`, `defaulted`). The format (ScaleInputs), all times mean
// milliseconds, all counts means per call (fractions allowed):
//
//   "simInputs": {
//     "source": "bench/scale.ts, 4 instances, 2026-12-05",
//     "pgOpsPerCall": {                       // statements per call, by call kind and operation
//       "llm":           { "budgetReserve": 1, "slotAcquire": 1, "slotRelease": 1,
//                          "budgetSettle": 1, "ledgerInsert": 1, "notify": 1 },
//       "graph":         { "ledgerInsert": 1 },          // an operation left out keeps its default
//       "deterministic": { "ledgerInsert": 1 }
//     },
//     "pgMsPerOp": { "budgetReserve": 0.15, "slotAcquire": 0.15, "slotRelease": 0.15,
//                    "budgetSettle": 0.15, "ledgerInsert": 0.4, "notify": 0.05 },  // server time
//     "commitOps": ["ledgerInsert"],          // statements whose commit waits for a WAL flush
//     "walFlushMs": 0.5, "walMsPerCommit": 0.005,          // one flush, and each commit it carries
//     "ledgerMsPerExtraRow": 0.02,            // each row past the first in a multi-row insert
//     "instanceCpuMsPerCall": { "llm": 2, "graph": 5, "deterministic": 3 },
//     "hostMsPerLlmCall": 800                 // one LLM call on a host, at its maxConcurrent
//   }
//
// The scenario is not measured: flags set it (`npm run bench:scale-sim -- --think-ms 5000`):
// --think-ms (3000), --mix llm,graph,deterministic (0.3,0.2,0.5), --pg-workers (16),
// --cores-per-instance (4), --slots-per-host (4), --seed (22), --quick (fewer calls measured).
// Every service time is drawn exponential (the pessimistic, CV = 1 choice); the run is seeded, so
// the same inputs print the same tables.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  defaultInputs,
  parseInputs,
  simulate,
  throughputBounds,
  type LedgerWriting,
  type RunResult,
  type ScaleInputs,
  type ScaleScenario,
} from './scale-sim-model.js';
import { round, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    inputs: { type: 'string' },
    seed: { type: 'string', default: '22' },
    quick: { type: 'boolean', default: false },
    'think-ms': { type: 'string', default: '3000' },
    'pg-workers': { type: 'string', default: '16' },
    'cores-per-instance': { type: 'string', default: '4' },
    'slots-per-host': { type: 'string', default: '4' },
    mix: { type: 'string', default: '0.3,0.2,0.5' },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`--${name}: expected a positive number, got '${text}'`);
  return value;
}

async function loadInputs(): Promise<{ inputs: ScaleInputs; from: string; file: string | null; defaulted: string[] }> {
  const measured = path.join(root, 'bench', 'results', 'scale.json');
  const file = flags.inputs ?? (existsSync(measured) ? measured : null);
  if (file === null) return { inputs: defaultInputs, from: 'defaults', file, defaulted: [] };
  const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  // scale.json holds the load test's own results too; only its simInputs field is ours.
  if (!flags.inputs && !(raw && typeof raw === 'object' && 'simInputs' in raw)) {
    return { inputs: defaultInputs, from: 'defaults', file: `${file} (no simInputs field)`, defaulted: [] };
  }
  const { inputs, defaulted } = parseInputs(raw);
  return { inputs, from: defaulted.length === 0 ? 'measured' : 'partial', file, defaulted };
}

const started = performance.now();
const { inputs, from: inputsFrom, file: inputsFile, defaulted } = await loadInputs();
const seed = positive('seed', flags.seed!);
const measureCalls = flags.quick ? 10_000 : 40_000;
const [llm, graph, deterministic] = flags.mix!.split(',').map((part) => Number(part));
if (![llm, graph, deterministic].every((share) => share !== undefined && share >= 0)) {
  throw new Error(`--mix: expected three shares llm,graph,deterministic such as 0.3,0.2,0.5, got '${flags.mix}'`);
}

const base: ScaleScenario = {
  instances: 50,
  coresPerInstance: positive('cores-per-instance', flags['cores-per-instance']!),
  hosts: 200,
  slotsPerHost: positive('slots-per-host', flags['slots-per-host']!),
  agents: 10_000,
  thinkMs: positive('think-ms', flags['think-ms']!),
  mix: { llm: llm!, graph: graph!, deterministic: deterministic! },
  pgWorkers: positive('pg-workers', flags['pg-workers']!),
  ledger: { mode: 'unbatched' },
};
const ledgerSettings: { name: string; ledger: LedgerWriting; durability: string }[] = [
  { name: 'unbatched', ledger: { mode: 'unbatched' }, durability: 'a row is committed before the call answers' },
  {
    name: 'batched 10 ms / 100 rows',
    ledger: { mode: 'batched', everyMs: 10, maxRows: 100 },
    durability: 'a crash loses up to 10 ms (≤ 100 rows) of an instance’s rows',
  },
  {
    name: 'batched 100 ms / 1000 rows',
    ledger: { mode: 'batched', everyMs: 100, maxRows: 1000 },
    durability: 'a crash loses up to 100 ms (≤ 1000 rows) of an instance’s rows',
  },
];

function run(scenario: ScaleScenario): RunResult {
  // A second of simulated time at least: ten flushes of the slowest batched ledger.
  return simulate(scenario, inputs, { seed, measureCalls, minMeasureMs: 1000 });
}

const whole = (value: number) => Math.round(value);
const percent = (share: number) => `${round(share * 100, 1)}%`;
/** One table row; `unbounded` leaves out the resources a sweep made unbounded (they never queue). */
function row(result: RunResult, unbounded = false): Record<string, string | number> {
  const busy = {
    'CPU busy': percent(result.utilisation.instances),
    'slots busy': percent(result.utilisation.hosts),
  };
  return {
    'calls/s': whole(result.callsPerSecond),
    'p50 ms': round(result.latencyMs.p50, 1),
    'p99 ms': round(result.latencyMs.p99, 0),
    'LLM p99 ms': round(result.latencyByKindMs.llm.p99, 0),
    'det p99 ms': round(result.latencyByKindMs.deterministic.p99, 1),
    ...(unbounded ? {} : busy),
    'PG busy': percent(result.utilisation.pg),
    'PG stmt ms': round(result.pgStatementMs, 2),
    'ledger rows/s': whole(result.ledgerRowsPerSecond),
    'inserts/s': whole(result.ledgerInsertsPerSecond),
  };
}

console.log(
  inputsFrom === 'defaults'
    ? 'inputs: DEFAULTS (assumptions, not measurements): rerun after bench/scale.ts writes bench/results/scale.json'
    : `inputs: ${inputsFrom} from ${inputsFile} (${inputs.source})${defaulted.length ? `; defaults kept for ${defaulted.join(', ')}` : ''}`,
);
console.log(
  `scenario: ${base.coresPerInstance} cores per instance, ${base.slotsPerHost} slots per host, think ${base.thinkMs} ms (exponential), ` +
    `mix llm/graph/deterministic ${base.mix.llm}/${base.mix.graph}/${base.mix.deterministic}, PostgreSQL ${base.pgWorkers} workers, seed ${seed}\n`,
);

// 1. The point asked about, and which resource saturates first there.
const headline = ledgerSettings.map((setting) => ({ setting, result: run({ ...base, ledger: setting.ledger }) }));
console.log(
  table(
    'At 50 instances, 200 hosts, 10,000 agents',
    headline.map(({ setting, result }) => ({ ledger: setting.name, ...row(result) })),
  ),
);
const bounds = throughputBounds(base, inputs);
// A call's time with no queue anywhere; N* = max calls/s × (think + that) is the classical
// population at which a closed system saturates a resource.
const unloadedMs = bounds.demandMs.instanceCpu + bounds.demandMs.hostSlot + bounds.demandMs.pg;
const atHeadline = headline[0]!.result;
const resources = [
  { resource: 'GPU hosts', bound: bounds.callsPerSecond.hosts, utilisation: atHeadline.utilisation.hosts },
  { resource: 'PostgreSQL', bound: bounds.callsPerSecond.pg, utilisation: atHeadline.utilisation.pg },
  {
    resource: 'instances (CPU)',
    bound: bounds.callsPerSecond.instances,
    utilisation: atHeadline.utilisation.instances,
  },
].sort((a, b) => a.bound - b.bound);
const firstToSaturate = resources[0]!.resource;
console.log(
  table(
    'Which resource saturates first (unbatched ledger): the most calls/s each can serve, capacity over demand per call',
    resources.map((r) => ({
      resource: r.resource,
      'max calls/s': whole(r.bound),
      'agents at that rate (N*)': whole((r.bound * (base.thinkMs + unloadedMs)) / 1000),
      'utilisation at 10k agents': percent(r.utilisation),
    })),
  ),
);
console.log(`first to saturate: ${firstToSaturate}\n`);

// 2. The curve around that point: agents, then instances.
const agentsSweep = [100, 500, 1000, 2000, 5000, 8000, 10_000, 12_000, 15_000, 20_000].map((agents) => ({
  agents,
  result: run({ ...base, agents }),
}));
console.log(
  table(
    'Agents sweep (50 instances, 200 hosts, unbatched ledger)',
    agentsSweep.map(({ agents, result }) => ({ agents, ...row(result) })),
  ),
);
const instancesSweep = [1, 2, 5, 10, 20, 50, 100].map((instances) => ({
  instances,
  result: run({ ...base, instances }),
}));
console.log(
  table(
    'Instances sweep (200 hosts, 10,000 agents, unbatched ledger)',
    instancesSweep.map(({ instances, result }) => ({ instances, ...row(result) })),
  ),
);

// 3. Where the shared PostgreSQL saturates. Instances and hosts are made unbounded (pure delays) so
// that PostgreSQL is the only thing that queues, and agents grow in steps of the population at which
// each ledger setting's bound says PostgreSQL saturates, until it is past 95% busy for two points.
const pgOnly: ScaleScenario = { ...base, coresPerInstance: Infinity, slotsPerHost: Infinity };
const steps = [0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2];
const saturation = ledgerSettings.map((setting) => {
  const bound = throughputBounds({ ...pgOnly, ledger: setting.ledger }, inputs);
  const saturationAgents = (bound.callsPerSecond.pg * (base.thinkMs + unloadedMs)) / 1000;
  const points: { agents: number; result: RunResult }[] = [];
  let past = 0;
  for (const step of steps) {
    const agents = Math.max(100, Math.round((saturationAgents * step) / 100) * 100);
    const result = run({ ...pgOnly, agents, ledger: setting.ledger });
    points.push({ agents, result });
    if (result.utilisation.pg >= 0.95 && ++past === 2) break;
  }
  const light = points[0]!.result.pgStatementMs;
  const knee = points.find((p) => p.result.pgStatementMs >= 2 * light);
  const saturated = points.find((p) => p.result.utilisation.pg >= 0.95);
  return { setting, points, knee, saturated, bound };
});
for (const { setting, points } of saturation) {
  console.log(
    table(
      `PostgreSQL saturation, ledger ${setting.name} (instances and hosts unbounded; ${setting.durability})`,
      points.map(({ agents, result }) => ({
        agents,
        ...row(result, true),
        'rows/insert': round(result.rowsPerLedgerInsert, 1),
        'commits/flush': round(result.commitsPerFlush, 1),
      })),
    ),
  );
}
const describe = (point: { agents: number; result: RunResult } | undefined) =>
  point
    ? `${whole(point.result.callsPerSecond)} calls/s, ${whole(point.result.ledgerRowsPerSecond)} rows/s in ${whole(point.result.ledgerInsertsPerSecond)} inserts/s (${point.agents} agents)`
    : 'not reached in the sweep';
console.log(
  table(
    'Where PostgreSQL saturates (knee: time per statement doubles; saturated: PostgreSQL ≥ 95% busy)',
    saturation.map(({ setting, knee, saturated, points, bound }) => ({
      ledger: setting.name,
      'bound calls/s': whole(bound.callsPerSecond.pg),
      'rows/insert there': round(bound.rowsPerInsert, 1),
      knee: describe(knee),
      saturated: describe(saturated),
      'peak ledger rows/s': whole(Math.max(...points.map((p) => p.result.ledgerRowsPerSecond))),
    })),
  ),
);
console.log(
  'batching trades durability for PostgreSQL load: the rows an instance buffers are not yet committed, and a crash loses them; the call no longer waits for the commit, so a saturated PostgreSQL shows as a growing backlog, not as slower calls',
);

const seconds = (performance.now() - started) / 1000;
const out = path.join(root, 'bench', 'results');
await mkdir(out, { recursive: true });
const json = {
  inputsFrom,
  inputsFile: inputsFile && path.relative(root, inputsFile),
  defaulted,
  inputs,
  scenario: { ...base, headlineInstances: 50, headlineHosts: 200, headlineAgents: 10_000 },
  seed,
  measureCalls,
  headline: headline.map(({ setting, result }) => ({ ledger: setting.name, ...result })),
  bounds: { demandMsPerCall: bounds.demandMs, maxCallsPerSecond: bounds.callsPerSecond },
  firstToSaturate,
  agentsSweep,
  instancesSweep,
  pgSaturation: saturation.map(({ setting, points, knee, saturated, bound }) => ({
    ledger: setting.name,
    writing: setting.ledger,
    durability: setting.durability,
    boundCallsPerSecond: bound.callsPerSecond.pg,
    boundRowsPerInsert: bound.rowsPerInsert,
    knee: knee && { agents: knee.agents, ...knee.result },
    saturated: saturated && { agents: saturated.agents, ...saturated.result },
    points,
  })),
  wallSeconds: round(seconds, 1),
};
// Infinity (the unbounded resources of the saturation sweep) has no JSON form; it is written as null.
await writeFile(path.join(out, 'scale-sim.json'), `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwall ${round(seconds, 1)} s; written ${path.join('bench', 'results', 'scale-sim.json')}`);
