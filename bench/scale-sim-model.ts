// The model of many Caelum instances sharing one PostgreSQL in front of a pool of GPU hosts, driven
// by agents, built on the engine in bench/scale-sim-core.ts. The per-call costs (ScaleInputs) are
// what bench/scale.ts measures on the real system; the scenario (how many of each, the call mix,
// the think time, how the ledger is written) is what the sweeps in bench/scale-sim.ts vary.
import { z } from 'zod';
import { GroupCommitLog, LevelMeter, Rng, Simulation, Station } from './scale-sim-core.js';

export const callKinds = ['llm', 'graph', 'deterministic'] as const;
export type CallKind = (typeof callKinds)[number];

/** In the order a call runs them; an LLM call holds its host slot between slotAcquire and slotRelease. */
export const pgOpKinds = [
  'budgetReserve',
  'slotAcquire',
  'slotRelease',
  'budgetSettle',
  'ledgerInsert',
  'notify',
] as const;
export type PgOpKind = (typeof pgOpKinds)[number];

/**
 * What bench/scale.ts measures, and the format it writes as the `simInputs` field of
 * bench/results/scale.json (or a file given with --inputs holding either that object or
 * `{ "simInputs": ... }`). Every time is a mean in milliseconds; every count a mean per call and may
 * be fractional. A field left out keeps its default, and the output says which ones did.
 */
export interface ScaleInputs {
  /** Free text: what was measured, where and when. */
  source: string;
  /** PostgreSQL statements per call, by call kind, then by operation. */
  pgOpsPerCall: Record<CallKind, Record<PgOpKind, number>>;
  /** PostgreSQL server time per statement (the backend's work, not the network), by operation. */
  pgMsPerOp: Record<PgOpKind, number>;
  /** The operations whose transaction commits a write and so waits for a WAL flush. */
  commitOps: PgOpKind[];
  /** One WAL flush (write + fsync), and what each commit it carries adds to it. */
  walFlushMs: number;
  walMsPerCommit: number;
  /** What each row past the first adds to a multi-row ledger insert (the batched ledger). */
  ledgerMsPerExtraRow: number;
  /** Instance CPU time per call (routing, validation, the tool's own work), by call kind. */
  instanceCpuMsPerCall: Record<CallKind, number>;
  /** A GPU host's service time for one LLM call, measured at the host's maxConcurrent. */
  hostMsPerLlmCall: number;
}

/** The assumptions used until scale.json exists; each is labelled as such in the output. */
export const defaultInputs: ScaleInputs = {
  source: 'defaults (assumptions, not measured)',
  pgOpsPerCall: {
    // Reserve and settle the budget, take and give back the host slot, one ledger row, one notify.
    llm: { budgetReserve: 1, slotAcquire: 1, slotRelease: 1, budgetSettle: 1, ledgerInsert: 1, notify: 1 },
    // A graph or deterministic call touches PostgreSQL only to record itself in the ledger.
    graph: { budgetReserve: 0, slotAcquire: 0, slotRelease: 0, budgetSettle: 0, ledgerInsert: 1, notify: 0 },
    deterministic: { budgetReserve: 0, slotAcquire: 0, slotRelease: 0, budgetSettle: 0, ledgerInsert: 1, notify: 0 },
  },
  pgMsPerOp: {
    budgetReserve: 0.15,
    slotAcquire: 0.15,
    slotRelease: 0.15,
    budgetSettle: 0.15,
    ledgerInsert: 0.4,
    notify: 0.05,
  },
  commitOps: ['ledgerInsert'],
  walFlushMs: 0.5,
  walMsPerCommit: 0.005,
  ledgerMsPerExtraRow: 0.02,
  instanceCpuMsPerCall: { llm: 2, graph: 5, deterministic: 3 },
  hostMsPerLlmCall: 800,
};

const ms = z.number().finite().nonnegative();
const opsRecord = z.object(
  Object.fromEntries(pgOpKinds.map((op) => [op, ms.optional()])) as Record<PgOpKind, z.ZodOptional<typeof ms>>,
);
const inputsSchema = z
  .object({
    source: z.string().optional(),
    pgOpsPerCall: z
      .object({ llm: opsRecord.optional(), graph: opsRecord.optional(), deterministic: opsRecord.optional() })
      .optional(),
    pgMsPerOp: opsRecord.optional(),
    commitOps: z.array(z.enum(pgOpKinds)).optional(),
    walFlushMs: ms.optional(),
    walMsPerCommit: ms.optional(),
    ledgerMsPerExtraRow: ms.optional(),
    instanceCpuMsPerCall: z
      .object({ llm: ms.optional(), graph: ms.optional(), deterministic: ms.optional() })
      .optional(),
    hostMsPerLlmCall: ms.optional(),
  })
  .strict();

/**
 * Reads a ScaleInputs object over the defaults. `defaulted` lists every leaf that kept its default
 * (as a dotted path), so a partial scale.json cannot pass for a complete one.
 */
export function parseInputs(raw: unknown): { inputs: ScaleInputs; defaulted: string[] } {
  const given = inputsSchema.parse(
    raw && typeof raw === 'object' && 'simInputs' in raw ? (raw as { simInputs: unknown }).simInputs : raw,
  );
  const defaulted: string[] = [];
  const pick = <T>(value: T | undefined, fallback: T, name: string): T => {
    if (value !== undefined) return value;
    defaulted.push(name);
    return fallback;
  };
  const ops = (
    given: Partial<Record<PgOpKind, number>> | undefined,
    fallback: Record<PgOpKind, number>,
    name: string,
  ) =>
    Object.fromEntries(pgOpKinds.map((op) => [op, pick(given?.[op], fallback[op], `${name}.${op}`)])) as Record<
      PgOpKind,
      number
    >;
  const inputs: ScaleInputs = {
    source: given.source ?? 'unnamed inputs',
    pgOpsPerCall: {
      llm: ops(given.pgOpsPerCall?.llm, defaultInputs.pgOpsPerCall.llm, 'pgOpsPerCall.llm'),
      graph: ops(given.pgOpsPerCall?.graph, defaultInputs.pgOpsPerCall.graph, 'pgOpsPerCall.graph'),
      deterministic: ops(
        given.pgOpsPerCall?.deterministic,
        defaultInputs.pgOpsPerCall.deterministic,
        'pgOpsPerCall.deterministic',
      ),
    },
    pgMsPerOp: ops(given.pgMsPerOp, defaultInputs.pgMsPerOp, 'pgMsPerOp'),
    commitOps: pick(given.commitOps, defaultInputs.commitOps, 'commitOps'),
    walFlushMs: pick(given.walFlushMs, defaultInputs.walFlushMs, 'walFlushMs'),
    walMsPerCommit: pick(given.walMsPerCommit, defaultInputs.walMsPerCommit, 'walMsPerCommit'),
    ledgerMsPerExtraRow: pick(given.ledgerMsPerExtraRow, defaultInputs.ledgerMsPerExtraRow, 'ledgerMsPerExtraRow'),
    instanceCpuMsPerCall: {
      llm: pick(given.instanceCpuMsPerCall?.llm, defaultInputs.instanceCpuMsPerCall.llm, 'instanceCpuMsPerCall.llm'),
      graph: pick(
        given.instanceCpuMsPerCall?.graph,
        defaultInputs.instanceCpuMsPerCall.graph,
        'instanceCpuMsPerCall.graph',
      ),
      deterministic: pick(
        given.instanceCpuMsPerCall?.deterministic,
        defaultInputs.instanceCpuMsPerCall.deterministic,
        'instanceCpuMsPerCall.deterministic',
      ),
    },
    hostMsPerLlmCall: pick(given.hostMsPerLlmCall, defaultInputs.hostMsPerLlmCall, 'hostMsPerLlmCall'),
  };
  return { inputs, defaulted };
}

/**
 * How ledger rows reach PostgreSQL. Unbatched: the call inserts its row and waits for the commit,
 * as PgLedger.append does today. Batched: the instance buffers rows and writes them in one insert
 * every `everyMs` or `maxRows`, whichever comes first; the call does not wait, so a crash loses up
 * to `everyMs` of that instance's rows. That is the durability the batching trades for PostgreSQL load.
 */
export type LedgerWriting = { mode: 'unbatched' } | { mode: 'batched'; everyMs: number; maxRows: number };

export interface ScaleScenario {
  instances: number;
  coresPerInstance: number;
  hosts: number;
  slotsPerHost: number;
  agents: number;
  /** Mean of the exponential pause between an agent's answer and its next call. */
  thinkMs: number;
  /** Shares of calls by kind; normalised, so they need not sum to 1. */
  mix: Record<CallKind, number>;
  /** PostgreSQL's parallel workers (its cores, in effect: connections past that only queue). */
  pgWorkers: number;
  ledger: LedgerWriting;
}

export interface RunOptions {
  seed: number;
  /**
   * The warm-up ends at the first window (default: half the think time, at least 500 ms) in which the
   * mean number of calls in flight grew by no more than 1% over the window before, once
   * minWarmupMs (default: two windows) has passed, or at maxWarmupMs. Past saturation the queues
   * take many think times to fill, and measuring while they fill would overstate the throughput.
   */
  warmupWindowMs?: number;
  minWarmupMs?: number;
  maxWarmupMs?: number;
  /**
   * Measuring stops once it has both this many completed calls and this much simulated time (long
   * enough for a batched ledger's flush interval to repeat many times), or at maxMeasureMs.
   */
  measureCalls?: number;
  minMeasureMs?: number;
  maxMeasureMs?: number;
}

export interface RunResult {
  warmupMs: number;
  measuredMs: number;
  calls: number;
  callsPerSecond: number;
  latencyMs: { mean: number; p50: number; p99: number };
  /** By call kind: an LLM call's latency is mostly its host, the others' mostly CPU and PostgreSQL. */
  latencyByKindMs: Record<CallKind, { p50: number; p99: number }>;
  utilisation: { instances: number; hosts: number; pg: number; wal: number };
  pgStatementsPerSecond: number;
  ledgerRowsPerSecond: number;
  ledgerInsertsPerSecond: number;
  rowsPerLedgerInsert: number;
  commitsPerFlush: number;
  /** Mean PostgreSQL queue wait per statement: where its saturation shows first. */
  pgWaitMs: number;
  /** Mean time from a statement's submission to its end, commit included. */
  pgStatementMs: number;
  events: number;
}

/** A quantile of values already sorted ascending (nearest rank, as bench/stats.ts does). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function shares(mix: Record<CallKind, number>): Record<CallKind, number> {
  const total = callKinds.reduce((sum, kind) => sum + mix[kind], 0);
  if (!(total > 0)) throw new Error('the call mix must have a positive share');
  return Object.fromEntries(callKinds.map((kind) => [kind, mix[kind] / total])) as Record<CallKind, number>;
}

export function simulate(scenario: ScaleScenario, inputs: ScaleInputs, options: RunOptions): RunResult {
  const sim = new Simulation();
  const rng = new Rng(options.seed);
  const mix = shares(scenario.mix);
  const commits = new Set(inputs.commitOps);
  const instances = Array.from({ length: scenario.instances }, () => new Station(sim, scenario.coresPerInstance));
  const hosts = Array.from({ length: scenario.hosts }, () => new Station(sim, scenario.slotsPerHost));
  const pg = new Station(sim, scenario.pgWorkers);
  const wal = new GroupCommitLog(sim, inputs.walFlushMs, inputs.walMsPerCommit);
  const warmupWindowMs = options.warmupWindowMs ?? Math.max(scenario.thinkMs / 2, 500);
  const minWarmupMs = options.minWarmupMs ?? 2 * warmupWindowMs;
  const maxWarmupMs = options.maxWarmupMs ?? 600_000;
  const measureCalls = options.measureCalls ?? 40_000;
  const minMeasureMs = options.minMeasureMs ?? 2000;
  const maxMeasureMs = options.maxMeasureMs ?? 60_000;

  let phase: 'warmup' | 'measure' | 'done' = 'warmup';
  let measureStart = 0;
  let warmupMs = 0;
  const latencies: number[] = [];
  const byKind = Object.fromEntries(callKinds.map((kind) => [kind, [] as number[]])) as Record<CallKind, number[]>;
  let statements = 0;
  let statementMs = 0;
  let ledgerRows = 0;
  let ledgerInserts = 0;

  /**
   * One statement: a PostgreSQL worker for its service time, then the WAL flush if it commits.
   * Counted when it ends inside the measured window, so the rates are what PostgreSQL did, not what
   * it was asked to do (they differ once a batched ledger's backlog grows).
   */
  function statement(op: PgOpKind, serviceMs: number, rows: number, done: () => void): void {
    const submitted = sim.now;
    const end = (): void => {
      if (phase === 'measure') {
        statements++;
        statementMs += sim.now - submitted;
        if (op === 'ledgerInsert') {
          ledgerRows += rows;
          ledgerInserts++;
        }
      }
      done();
    };
    pg.request(rng.exponential(serviceMs), () => (commits.has(op) ? wal.commit(end) : end()));
  }

  // The batched ledger: each instance's buffer, and a generation number that retires a flush timer
  // when the buffer has already been written because it filled up.
  const buffers = instances.map(() => ({ rows: 0, generation: 0 }));
  function bufferRow(instance: number): void {
    if (scenario.ledger.mode !== 'batched') return;
    const buffer = buffers[instance]!;
    buffer.rows++;
    if (buffer.rows >= scenario.ledger.maxRows) return writeBuffer(instance);
    if (buffer.rows === 1) {
      const generation = buffer.generation;
      sim.after(scenario.ledger.everyMs, () => generation === buffer.generation && writeBuffer(instance));
    }
  }
  function writeBuffer(instance: number): void {
    const buffer = buffers[instance]!;
    const rows = buffer.rows;
    buffer.rows = 0;
    buffer.generation++;
    const serviceMs = inputs.pgMsPerOp.ledgerInsert + (rows - 1) * inputs.ledgerMsPerExtraRow;
    statement('ledgerInsert', serviceMs, rows, () => undefined);
  }

  function pickHost(): Station {
    // The power of two choices: nearly as good as least-loaded over all hosts, and what a
    // balancer without a global view can do.
    const a = hosts[rng.integer(hosts.length)]!;
    const b = hosts[rng.integer(hosts.length)]!;
    return b.load < a.load ? b : a;
  }

  function steps(kind: CallKind): (PgOpKind | 'cpu' | 'host')[] {
    const list: (PgOpKind | 'cpu' | 'host')[] = ['cpu'];
    for (const op of pgOpKinds) {
      if (kind === 'llm' && op === 'slotRelease') list.push('host');
      for (let n = rng.count(inputs.pgOpsPerCall[kind][op]); n > 0; n--) list.push(op);
    }
    return list;
  }

  function call(agent: number): void {
    const instance = agent % instances.length;
    const u = rng.next();
    const kind: CallKind = u < mix.llm ? 'llm' : u < mix.llm + mix.graph ? 'graph' : 'deterministic';
    const plan = steps(kind);
    const started = sim.now;
    let index = 0;
    const advance = (): void => {
      if (index === plan.length) return finish(agent, kind, started);
      const step = plan[index++]!;
      if (step === 'cpu') instances[instance]!.request(rng.exponential(inputs.instanceCpuMsPerCall[kind]), advance);
      else if (step === 'host') pickHost().request(rng.exponential(inputs.hostMsPerLlmCall), advance);
      else if (step === 'ledgerInsert' && scenario.ledger.mode === 'batched') {
        bufferRow(instance);
        advance();
      } else statement(step, inputs.pgMsPerOp[step], 1, advance);
    };
    advance();
  }

  function resetMeters(): void {
    for (const station of [...instances, ...hosts, pg]) station.reset();
    wal.reset();
  }

  const inFlight = new LevelMeter(sim);
  let previousInFlight: number | undefined;
  function checkWarmup(): void {
    const level = scenario.agents - thinking.length;
    const mean = inFlight.mean(level);
    inFlight.reset(level);
    const steady = previousInFlight !== undefined && mean <= previousInFlight * 1.01 + 0.5;
    if ((steady && sim.now >= minWarmupMs) || sim.now >= maxWarmupMs) {
      phase = 'measure';
      measureStart = sim.now;
      warmupMs = sim.now;
      resetMeters();
      return;
    }
    previousInFlight = mean;
    sim.after(warmupWindowMs, checkWarmup);
  }
  sim.after(warmupWindowMs, checkWarmup);

  function finish(agent: number, kind: CallKind, started: number): void {
    if (phase === 'measure') {
      latencies.push(sim.now - started);
      byKind[kind].push(sim.now - started);
      const span = sim.now - measureStart;
      if ((latencies.length >= measureCalls && span >= minMeasureMs) || span >= maxMeasureMs) phase = 'done';
    }
    inFlight.change(scenario.agents - thinking.length);
    thinking.push(agent);
    nextArrival();
  }

  // The thinking agents as one pool rather than one timer each. Each thinks for an exponential time,
  // so the first of n to finish does so after an exponential time of mean thinkMs / n and is any of
  // them with equal chance; and since the exponential has no memory, redrawing that time whenever n
  // changes is exact. The event queue then holds the calls in flight, not every agent: the large
  // sweeps run several times faster.
  const thinking = Array.from({ length: scenario.agents }, (_, agent) => agent);
  let arrivalGeneration = 0;
  function nextArrival(): void {
    const generation = ++arrivalGeneration;
    if (thinking.length === 0) return;
    sim.after(rng.exponential(scenario.thinkMs / thinking.length), () => {
      if (generation !== arrivalGeneration) return;
      const pick = rng.integer(thinking.length);
      const agent = thinking[pick]!;
      inFlight.change(scenario.agents - thinking.length);
      thinking[pick] = thinking[thinking.length - 1]!;
      thinking.pop();
      call(agent);
      nextArrival();
    });
  }
  nextArrival();
  sim.run(Infinity, () => phase === 'done');

  const measuredMs = sim.now - measureStart;
  const perSecond = (n: number) => (measuredMs > 0 ? (n * 1000) / measuredMs : 0);
  const sorted = latencies.sort((a, b) => a - b);
  const busyCores = instances.reduce((sum, station) => sum + station.meanBusy(), 0);
  const busySlots = hosts.reduce((sum, station) => sum + station.meanBusy(), 0);
  return {
    warmupMs,
    measuredMs,
    calls: latencies.length,
    callsPerSecond: perSecond(latencies.length),
    latencyMs: {
      mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length),
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
    },
    latencyByKindMs: Object.fromEntries(
      callKinds.map((kind) => {
        const values = byKind[kind].sort((a, b) => a - b);
        return [kind, { p50: quantile(values, 0.5), p99: quantile(values, 0.99) }];
      }),
    ) as Record<CallKind, { p50: number; p99: number }>,
    utilisation: {
      instances:
        scenario.coresPerInstance === Infinity ? 0 : busyCores / (scenario.instances * scenario.coresPerInstance),
      hosts: scenario.slotsPerHost === Infinity ? 0 : busySlots / (scenario.hosts * scenario.slotsPerHost),
      pg: pg.utilisation(),
      wal: wal.utilisation(),
    },
    pgStatementsPerSecond: perSecond(statements),
    ledgerRowsPerSecond: perSecond(ledgerRows),
    ledgerInsertsPerSecond: perSecond(ledgerInserts),
    rowsPerLedgerInsert: ledgerInserts > 0 ? ledgerRows / ledgerInserts : 0,
    commitsPerFlush: wal.flushes > 0 ? wal.commits / wal.flushes : 0,
    pgWaitMs: pg.started > 0 ? pg.waited / pg.started : 0,
    pgStatementMs: statements > 0 ? statementMs / statements : 0,
    events: sim.executed,
  };
}

/**
 * Operational analysis (the utilisation law): the most calls per second each resource can serve,
 * its capacity over what one call demands of it. The smallest is the bound the system saturates
 * at; the simulation then shows how latency behaves on the way there. A batched ledger's demand
 * depends on its batch size, which depends on the rate: an instance's batch holds its first row
 * and those that arrive in the next everyMs, up to maxRows. The PostgreSQL bound is solved for the
 * batch size at that bound's own rate (a fixed point, found by iterating from one row).
 */
export function throughputBounds(scenario: ScaleScenario, inputs: ScaleInputs) {
  const mix = shares(scenario.mix);
  const demands = (rowsPerInsert: number) => {
    let cpu = 0;
    let pg = 0;
    let commitsPerCall = 0;
    let rowsPerCall = 0;
    for (const kind of callKinds) {
      cpu += mix[kind] * inputs.instanceCpuMsPerCall[kind];
      rowsPerCall += mix[kind] * inputs.pgOpsPerCall[kind].ledgerInsert;
      for (const op of pgOpKinds) {
        const count = inputs.pgOpsPerCall[kind][op];
        const perRow =
          op === 'ledgerInsert'
            ? (inputs.pgMsPerOp.ledgerInsert + (rowsPerInsert - 1) * inputs.ledgerMsPerExtraRow) / rowsPerInsert
            : inputs.pgMsPerOp[op];
        pg += mix[kind] * count * perRow;
        if (inputs.commitOps.includes(op)) {
          commitsPerCall += (mix[kind] * count) / (op === 'ledgerInsert' ? rowsPerInsert : 1);
        }
      }
    }
    return { cpu, pg, commitsPerCall, rowsPerCall };
  };
  const perSecond = (servers: number, demandMs: number) => (demandMs > 0 ? (servers * 1000) / demandMs : Infinity);
  let rowsPerInsert = 1;
  let demand = demands(rowsPerInsert);
  const ledger = scenario.ledger;
  if (ledger.mode === 'batched') {
    for (let i = 0; i < 100; i++) {
      const rowsPerInstancePerMs =
        (perSecond(scenario.pgWorkers, demand.pg) * demand.rowsPerCall) / 1000 / scenario.instances;
      const next = Math.min(ledger.maxRows, 1 + rowsPerInstancePerMs * ledger.everyMs);
      if (!Number.isFinite(next) || Math.abs(next - rowsPerInsert) < 1e-6) break;
      rowsPerInsert = next;
      demand = demands(rowsPerInsert);
    }
  }
  const host = mix.llm * inputs.hostMsPerLlmCall;
  return {
    demandMs: { instanceCpu: demand.cpu, hostSlot: host, pg: demand.pg },
    rowsPerInsert,
    callsPerSecond: {
      instances: perSecond(scenario.instances * scenario.coresPerInstance, demand.cpu),
      hosts: perSecond(scenario.hosts * scenario.slotsPerHost, host),
      pg: perSecond(scenario.pgWorkers, demand.pg),
      // Group commit leaves only the per-commit part of a flush as a hard limit.
      wal: perSecond(1, demand.commitsPerCall * inputs.walMsPerCommit),
    },
  };
}
