// Cost avoidance: the formula on a worked example with every input echoed, and seeded property tests
// (500 cases per input) that the net moves the right way when each input grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCostAvoidance, type CostAvoidanceInput } from '../../tools/monitoring/fleet/cost-avoidance.js';
import { seededRandom } from '../../tools/monitoring/fleet/synthetic-fleet.js';

test('the worked example: 6 incidents × 25 min × $5000/h, less 10 false alarms × $30 and $200 running', () => {
  const input = {
    incidentCostPerHour: 5000,
    minutesSavedPerIncident: 25,
    incidentsPerMonth: 6,
    falsePositivesPerMonth: 10,
    falsePositiveCost: 30,
    monthlyRunningCost: 200,
    implementationCost: 20000,
  };
  const r = estimateCostAvoidance(input);
  assert.deepEqual(r.inputs, input);
  assert.equal(r.avoidedIncidentCostPerMonth, 12500);
  assert.equal(r.falsePositiveCostPerMonth, 300);
  assert.equal(r.netPerMonth, 12000);
  assert.equal(r.netFirstYear, 12 * 12000 - 20000);
  assert.ok(Math.abs(r.paybackMonths! - 20000 / 12000) < 1e-12);
  assert.ok(
    r.formula.some((f) => f.includes('incidentsPerMonth × minutesSavedPerIncident / 60 × incidentCostPerHour')),
  );
  const never = estimateCostAvoidance({ ...input, falsePositivesPerMonth: 1000 });
  assert.equal(never.paybackMonths, null);
  assert.equal(never.paysBack, false);
  const defaults = estimateCostAvoidance({ ...input, monthlyRunningCost: undefined, implementationCost: undefined });
  assert.equal(defaults.inputs.monthlyRunningCost, 0);
  assert.equal(defaults.paybackMonths, 0);
});

type Key = keyof Required<CostAvoidanceInput>;
const keys: Key[] = [
  'incidentCostPerHour',
  'minutesSavedPerIncident',
  'incidentsPerMonth',
  'falsePositivesPerMonth',
  'falsePositiveCost',
  'monthlyRunningCost',
  'implementationCost',
];

function randomInput(random: () => number): Required<CostAvoidanceInput> {
  return {
    incidentCostPerHour: 100 + random() * 20000,
    minutesSavedPerIncident: 1 + random() * 120,
    incidentsPerMonth: 0.5 + random() * 30,
    falsePositivesPerMonth: random() * 100,
    falsePositiveCost: 1 + random() * 200,
    monthlyRunningCost: random() * 2000,
    implementationCost: 1000 + random() * 100000,
  };
}

const direction: Record<Key, 1 | -1 | 0> = {
  incidentCostPerHour: 1,
  minutesSavedPerIncident: 1,
  incidentsPerMonth: 1,
  falsePositivesPerMonth: -1,
  falsePositiveCost: -1,
  monthlyRunningCost: -1,
  implementationCost: 0,
};

for (const key of keys) {
  test(`growing ${key} moves the result the right way (500 seeded cases)`, () => {
    const random = seededRandom(1000 + keys.indexOf(key));
    for (let i = 0; i < 500; i++) {
      const base = randomInput(random);
      const bigger = { ...base, [key]: base[key] * (1.01 + random()) + 1 };
      const a = estimateCostAvoidance(base);
      const b = estimateCostAvoidance(bigger);
      const context = `case ${i}: ${key} ${base[key]} → ${bigger[key]}`;
      if (direction[key] === 1) assert.ok(b.netPerMonth > a.netPerMonth, context);
      if (direction[key] === -1) assert.ok(b.netPerMonth < a.netPerMonth, context);
      if (direction[key] === 0) {
        assert.equal(b.netPerMonth, a.netPerMonth, context);
        assert.ok(b.netFirstYear < a.netFirstYear, context);
      }
      // Payback follows: shorter when the net grows, longer when it shrinks or the implementation costs more.
      if (a.paybackMonths !== null && b.paybackMonths !== null) {
        if (direction[key] === 1) assert.ok(b.paybackMonths < a.paybackMonths, context);
        else assert.ok(b.paybackMonths > a.paybackMonths, context);
      }
      if (direction[key] === 1 && a.paysBack) assert.ok(b.paysBack, context);
      if (direction[key] === -1 && !a.paysBack) assert.ok(!b.paysBack, context);
      assert.deepEqual(b.inputs, bigger, 'every input is echoed');
    }
  });
}
