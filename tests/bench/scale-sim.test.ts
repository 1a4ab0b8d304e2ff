// The simulator behind bench/scale-sim.ts, checked against queueing theory: its engine must order
// events exactly, its stations must reproduce the M/M/1 and M/M/c mean waits (Erlang C), and the
// whole closed-loop model must reproduce the exact mean value analysis of a closed network. If the
// engine or the model were wrong, the scale answers in the README would be too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommitLog, Rng, Simulation, Station } from '../../bench/scale-sim-core.js';
import {
  defaultInputs,
  parseInputs,
  simulate,
  throughputBounds,
  type ScaleInputs,
  type ScaleScenario,
} from '../../bench/scale-sim-model.js';

function near(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * expected,
    `${what}: ${actual} is not within ${relative * 100}% of ${expected}`,
  );
}

test('events run in time order, and events at the same time in the order they were scheduled', () => {
  const sim = new Simulation();
  const rng = new Rng(7);
  const ran: { time: number; order: number }[] = [];
  const times = Array.from({ length: 5000 }, () => Math.floor(rng.next() * 100));
  times.forEach((time, order) => sim.at(time, () => ran.push({ time: sim.now, order })));
  sim.run();
  const expected = times.map((time, order) => ({ time, order })).sort((a, b) => a.time - b.time || a.order - b.order);
  assert.deepEqual(ran, expected);
});

test('an event can schedule more events, run stops at its horizon, and the past is refused', () => {
  const sim = new Simulation();
  const seen: number[] = [];
  sim.at(5, () => {
    seen.push(sim.now);
    sim.after(0, () => seen.push(sim.now + 0.5));
    sim.after(10, () => seen.push(sim.now));
  });
  sim.at(1, () => seen.push(sim.now));
  sim.run(10);
  assert.deepEqual(seen, [1, 5, 5.5]);
  assert.equal(sim.now, 10);
  assert.equal(sim.pending, 1);
  assert.throws(() => sim.at(9, () => undefined), /cannot schedule at 9/);
  sim.run();
  assert.deepEqual(seen, [1, 5, 5.5, 15]);
});

test('the same seed draws the same numbers, and exponential draws have the asked mean', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const first = Array.from({ length: 10 }, () => a.next());
  assert.deepEqual(
    first,
    Array.from({ length: 10 }, () => b.next()),
  );
  assert.notDeepEqual(
    first,
    Array.from({ length: 10 }, () => new Rng(43).next()),
  );
  const rng = new Rng(1);
  let sum = 0;
  for (let i = 0; i < 200_000; i++) sum += rng.exponential(3);
  near(sum / 200_000, 3, 0.01, 'mean of Exp(3)');
  let counted = 0;
  for (let i = 0; i < 200_000; i++) counted += rng.count(1.25);
  near(counted / 200_000, 1.25, 0.01, 'mean of count(1.25)');
});

/** Poisson arrivals at rate lambda into a station of c servers with Exp(1/mu) service. */
function meanWait(lambda: number, mu: number, servers: number, customers: number, seed: number) {
  const sim = new Simulation();
  const rng = new Rng(seed);
  const station = new Station(sim, servers);
  let arrived = 0;
  const arrive = (): void => {
    station.request(rng.exponential(1 / mu), () => undefined);
    if (++arrived < customers) sim.after(rng.exponential(1 / lambda), arrive);
  };
  sim.after(rng.exponential(1 / lambda), arrive);
  sim.run();
  return { wait: station.waited / station.started, utilisation: station.utilisation() };
}

function erlangC(lambda: number, mu: number, c: number): number {
  const a = lambda / mu;
  let term = 1;
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += term;
    term *= a / (k + 1);
  }
  const last = term / (1 - a / c);
  return last / (sum + last);
}

test('an M/M/1 station waits ρ/(μ − λ) on average, as the closed form says', () => {
  const lambda = 0.8;
  const mu = 1;
  const { wait, utilisation } = meanWait(lambda, mu, 1, 400_000, 11);
  near(wait, lambda / mu / (mu - lambda), 0.05, 'M/M/1 mean wait');
  near(utilisation, 0.8, 0.02, 'M/M/1 utilisation');
});

test('an M/M/4 station waits C(4, a)/(4μ − λ) on average (Erlang C)', () => {
  const lambda = 3.4;
  const mu = 1;
  const expected = erlangC(lambda, mu, 4) / (4 * mu - lambda);
  const { wait, utilisation } = meanWait(lambda, mu, 4, 400_000, 12);
  near(wait, expected, 0.05, 'M/M/4 mean wait');
  near(utilisation, lambda / (4 * mu), 0.02, 'M/M/4 utilisation');
  // The same load on one server four times as fast waits much less in queue: the check above
  // tells a c-server station from a fast single server.
  assert.ok(meanWait(lambda, 4 * mu, 1, 100_000, 13).wait * 2 < expected * 4);
});

test('a group-commit log flushes the commits that gathered during a flush together', () => {
  const sim = new Simulation();
  const log = new GroupCommitLog(sim, 1, 0.01);
  const done: number[] = [];
  for (let i = 0; i < 100; i++) sim.at(i * 0.001, () => log.commit(() => done.push(sim.now)));
  sim.run();
  assert.equal(log.flushes, 2);
  assert.equal(log.commits, 100);
  assert.equal(done[0], 1.01);
  near(done[99]!, 1.01 + 1 + 0.99, 1e-9, 'the second flush carries 99 commits');
});

const quiet: ScaleInputs = {
  ...defaultInputs,
  pgOpsPerCall: {
    llm: { ...defaultInputs.pgOpsPerCall.llm },
    graph: { ...defaultInputs.pgOpsPerCall.graph, ledgerInsert: 0 },
    deterministic: { ...defaultInputs.pgOpsPerCall.deterministic, ledgerInsert: 0 },
  },
  instanceCpuMsPerCall: { llm: 2, graph: 10, deterministic: 10 },
};
const oneCore: ScaleScenario = {
  instances: 1,
  coresPerInstance: 1,
  hosts: 1,
  slotsPerHost: 1,
  agents: 8,
  thinkMs: 50,
  mix: { llm: 0, graph: 0, deterministic: 1 },
  pgWorkers: 1,
  ledger: { mode: 'unbatched' },
};

test('the closed loop matches exact mean value analysis: N agents, think Z, one exponential server', () => {
  // MVA for a delay (think) station and one queueing station with service S.
  const service = 10;
  let queue = 0;
  let throughput = 0;
  let response = 0;
  for (let n = 1; n <= oneCore.agents; n++) {
    response = service * (1 + queue);
    throughput = n / (oneCore.thinkMs + response);
    queue = throughput * response;
  }
  const result = simulate(oneCore, quiet, { seed: 5, measureCalls: 200_000, minMeasureMs: 0, maxMeasureMs: Infinity });
  near(result.callsPerSecond, throughput * 1000, 0.02, 'throughput');
  near(result.latencyMs.mean, response, 0.03, 'mean response');
  near(result.utilisation.instances, throughput * service, 0.02, 'utilisation');
  assert.equal(result.pgStatementsPerSecond, 0);
});

test('PostgreSQL alone saturates at its throughput bound, and batching the ledger raises it', () => {
  const pgOnly: ScaleScenario = {
    ...oneCore,
    instances: 4,
    coresPerInstance: Infinity,
    hosts: 4,
    slotsPerHost: Infinity,
    agents: 4000,
    thinkMs: 100,
    mix: { llm: 0.3, graph: 0.2, deterministic: 0.5 },
    pgWorkers: 2,
    ledger: { mode: 'unbatched' },
  };
  const inputs = { ...defaultInputs, hostMsPerLlmCall: 50 };
  const bound = throughputBounds(pgOnly, inputs).callsPerSecond.pg;
  const options = { seed: 9, measureCalls: 20_000, minMeasureMs: 2000 };
  const unbatched = simulate(pgOnly, inputs, options);
  assert.ok(unbatched.utilisation.pg > 0.97, `PostgreSQL busy ${unbatched.utilisation.pg}`);
  near(unbatched.callsPerSecond, bound, 0.03, 'saturated throughput against the bound');
  near(unbatched.ledgerInsertsPerSecond, unbatched.callsPerSecond, 0.03, 'one insert per call');

  const batched = simulate({ ...pgOnly, ledger: { mode: 'batched', everyMs: 20, maxRows: 50 } }, inputs, options);
  assert.ok(batched.rowsPerLedgerInsert > 5 && batched.rowsPerLedgerInsert <= 50, `${batched.rowsPerLedgerInsert}`);
  assert.ok(batched.callsPerSecond > 1.5 * unbatched.callsPerSecond, `${batched.callsPerSecond} calls/s`);
  near(batched.ledgerRowsPerSecond, batched.callsPerSecond, 0.05, 'every call still writes its row');
});

test('past saturation the warm-up waits for the queues to fill, so throughput is not overstated', () => {
  // Four host slots of 100 ms serve 40 LLM calls/s, so at 30% LLM calls the system serves 133
  // calls/s whatever the agents offer; 1,000 agents thinking 3 s offer about 330.
  const scenario: ScaleScenario = {
    ...oneCore,
    coresPerInstance: 64,
    hosts: 2,
    slotsPerHost: 2,
    agents: 1000,
    thinkMs: 3000,
    mix: { llm: 0.3, graph: 0.2, deterministic: 0.5 },
    pgWorkers: 16,
  };
  const inputs = { ...defaultInputs, hostMsPerLlmCall: 100 };
  const bound = throughputBounds(scenario, inputs).callsPerSecond.hosts;
  const result = simulate(scenario, inputs, { seed: 2, measureCalls: 20_000 });
  assert.ok(result.warmupMs >= 3 * scenario.thinkMs, `warm-up ${result.warmupMs} ms`);
  assert.ok(result.utilisation.hosts > 0.98, `hosts busy ${result.utilisation.hosts}`);
  near(result.callsPerSecond, bound, 0.03, 'throughput against the hosts bound');
});

test('the same seed gives the same run', () => {
  const scenario = { ...oneCore, agents: 50, mix: { llm: 0.3, graph: 0.2, deterministic: 0.5 }, hosts: 3 };
  const a = simulate(scenario, defaultInputs, { seed: 3, measureCalls: 2000, minMeasureMs: 0 });
  const b = simulate(scenario, defaultInputs, { seed: 3, measureCalls: 2000, minMeasureMs: 0 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, simulate(scenario, defaultInputs, { seed: 4, measureCalls: 2000, minMeasureMs: 0 }));
});

test('inputs: a partial scale.json keeps the defaults it leaves out and says which', () => {
  const { inputs, defaulted } = parseInputs({
    simInputs: { source: 'bench/scale.ts', pgMsPerOp: { ledgerInsert: 0.9 }, hostMsPerLlmCall: 1200 },
  });
  assert.equal(inputs.pgMsPerOp.ledgerInsert, 0.9);
  assert.equal(inputs.pgMsPerOp.slotAcquire, defaultInputs.pgMsPerOp.slotAcquire);
  assert.equal(inputs.hostMsPerLlmCall, 1200);
  assert.ok(defaulted.includes('pgMsPerOp.slotAcquire'));
  assert.ok(defaulted.includes('pgOpsPerCall.llm.notify'));
  assert.ok(!defaulted.includes('pgMsPerOp.ledgerInsert'));
  assert.throws(() => parseInputs({ hostMsPerLlmCall: -1 }));
  assert.throws(() => parseInputs({ hostMsPerLlmCal: 800 }), /hostMsPerLlmCal/);
  assert.throws(() => parseInputs({ commitOps: ['vacuum'] }));
});
