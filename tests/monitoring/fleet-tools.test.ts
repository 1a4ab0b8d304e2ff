// The fleet's internal tools called as the router calls them: input schema, handler, output schema.
// Every example runs offline; unknown profiles, over-budget inputs and bad states at the output
// boundary are refused with the field and the contract hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ToolContext } from '../../tools/context.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { InputError } from '../../tools/errors.js';
import { contractHash, serverId } from '../../tools/monitoring/fleet/contract.js';
import { classifyServers, fleetTools, forecastMetric } from '../../tools/monitoring/fleet/fleet-tools.js';
import { generateFleet } from '../../tools/monitoring/fleet/synthetic-fleet.js';

const now = Date.parse('2026-12-03T12:00:00Z');
const context = { clock: { now: () => now } } as unknown as ToolContext;
const short = contractHash.slice(0, 12);

async function call(tool: AnyTool, raw: unknown) {
  const input = tool.input.parse(raw);
  const output = await tool.handler(input, context);
  return tool.output.parse(output) as Record<string, unknown>;
}

test('every example of the fleet tools runs offline and fits its output schema', async () => {
  assert.deepEqual(
    fleetTools.map((t) => t.name),
    ['monitoring_classify_servers', 'monitoring_forecast_metric', 'monitoring_estimate_cost_avoidance'],
  );
  for (const tool of fleetTools)
    for (const example of tool.examples) {
      const output = await call(tool, example);
      assert.ok(tool.summarize!(output as never).length > 0);
    }
  const classified = (await call(classifyServers, classifyServers.examples[0])) as {
    servers: { name: string; state: string; serverId: string }[];
    contract: { hash: string };
  };
  assert.deepEqual(
    classified.servers.map((s) => [s.name, s.state]),
    [
      ['db-1', 'critical_issue'],
      ['api-1', 'morning_spike'],
      ['batch-1', 'critical_issue'],
    ],
  );
  assert.equal(classified.servers[0]!.serverId, serverId('db-1'));
  assert.equal(classified.contract.hash, contractHash);
});

test('classify takes rows in any order with ISO or epoch times, and evaluates at the wall clock when no time is given', async () => {
  const live = Date.now();
  const samples = [0, 1, 2, 3, 4, 5].map((i) => ({ t: new Date(live - i * 300_000).toISOString(), cpu: 0.02 }));
  const r = (await call(classifyServers, { servers: [{ name: 'quiet', profile: 'generic', samples }] })) as {
    now: string;
    servers: { state: string; lastSampleAt: string }[];
    counts: Record<string, number>;
  };
  assert.ok(Math.abs(Date.parse(r.now) - Date.now()) < 10_000, r.now);
  assert.equal(r.servers[0]!.state, 'idle');
  assert.equal(r.servers[0]!.lastSampleAt, new Date(live).toISOString());
  assert.equal(r.counts['idle'], 1);
  assert.equal(r.counts['healthy'], 0);
});

test('an unknown profile, in a server or a maintenance window, is an input error with the contract hash', async () => {
  const servers = [
    { name: 'a', profile: 'generic', samples: [] },
    { name: 'b', profile: 'gpu_box', samples: [] },
  ];
  await assert.rejects(call(classifyServers, { servers }), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.field, 'servers.1.profile');
    assert.match(error.message, new RegExp(`hash ${short}`));
    return true;
  });
  await assert.rejects(
    call(classifyServers, {
      servers: servers.slice(0, 1),
      maintenance: [{ name: 'x', profiles: ['gpu_box'], daily: { from: '01:00', to: '02:00' } }],
    }),
    /maintenance\.0\.profiles\.0: "gpu_box" is not a profile/,
  );
  await assert.rejects(
    call(classifyServers, { servers: servers.slice(0, 1), thresholds: { gpu_box: { heavyCpu: 0.5 } } }),
    /thresholds\.gpu_box/,
  );
});

test('the output boundary refuses a state outside the contract', () => {
  const bad = {
    contract: { version: '1.0.0', hash: contractHash, profiles: [], states: [] },
    now: 'x',
    counts: {},
    servers: [
      { name: 'a', serverId: 'x', profile: 'generic', state: 'degraded', evidence: [], latest: {}, lastSampleAt: null },
    ],
  };
  const parsed = classifyServers.output.safeParse(bad);
  assert.equal(parsed.success, false);
  assert.match(parsed.error!.issues[0]!.message, new RegExp(short));
});

test('over-budget sample counts are refused naming the budget', async () => {
  const samples = Array.from({ length: 20_001 }, (_, i) => ({ t: i * 1000, cpu: 0.1 }));
  await assert.rejects(
    call(classifyServers, { servers: [{ name: 'a', profile: 'generic', samples }] }),
    /servers\.0\.samples: has 20001 samples, over the budget of 20000/,
  );
});

test('forecast on a week of 5-minute CPU: Holt-Winters, timestamps, and a holdout MASE under seasonal naive', async () => {
  const fleet = generateFleet({ servers: 1, days: 7, seed: 12, spikeRate: 0, shiftRate: 0 });
  const values = Array.from(fleet.servers[0]!.cpu);
  const r = (await call(forecastMetric, {
    values,
    stepMinutes: 5,
    horizonHours: 6,
    start: new Date(fleet.start).toISOString(),
  })) as {
    method: string;
    period: number;
    horizon: number;
    forecast: { t: string; value: number; lower: number; upper: number }[];
    holdout: { mase: number; seasonalNaiveMase: number };
  };
  assert.equal(r.method, 'holt-winters');
  assert.equal(r.period, 288);
  assert.equal(r.horizon, 72);
  assert.equal(r.forecast.length, 72);
  assert.equal(r.forecast[0]!.t, new Date(fleet.start + values.length * 300_000).toISOString());
  assert.ok(r.holdout.mase < 1, `holdout MASE ${r.holdout.mase}`);
  assert.ok(r.holdout.mase < r.holdout.seasonalNaiveMase);
  const short = (await call(forecastMetric, { values: values.slice(0, 100), horizonHours: 1 })) as {
    method: string;
    holdout?: unknown;
  };
  assert.equal(short.method, 'ewma');
  assert.equal(short.holdout, undefined);
});
