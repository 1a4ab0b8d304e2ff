// Walk-forward: fold layout, in-sample-only parameter choice, out-of-sample metrics and their aggregate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceBars } from '../../tools/trading/market/bars.js';
import { gridSchema } from '../../tools/trading/backtest/grid.js';
import { equityReturns, returnMetrics } from '../../tools/trading/backtest/metrics.js';
import { runEngine } from '../../tools/trading/backtest/engine.js';
import { computeSignals } from '../../tools/trading/backtest/signals.js';
import { parseStrategy } from '../../tools/trading/backtest/strategy.js';
import { foldRanges, runWalkForward, walkForwardSchema } from '../../tools/trading/backtest/walk-forward.js';
import { sp500 } from './backtest-data.js';

const strategy = parseStrategy({ type: 'sma_crossover', fast: 10, slow: 50 });
const grid = gridSchema.parse({ parameters: { fast: [5, 10, 20, 40], slow: [50, 100, 150, 200] } });

test('rolling and expanding folds: train, purge gap, test, stepping by the test length', () => {
  const rolling = foldRanges(1000, walkForwardSchema.parse({ train: 500, test: 100, purge: 10 }));
  assert.equal(rolling.length, 4);
  assert.deepEqual(rolling[0], { trainStart: 0, trainEnd: 500, testStart: 510, testEnd: 610 });
  assert.deepEqual(rolling[1], { trainStart: 100, trainEnd: 600, testStart: 610, testEnd: 710 });
  const expanding = foldRanges(1000, walkForwardSchema.parse({ mode: 'expanding', train: 500, test: 100 }));
  assert.deepEqual(expanding[2], { trainStart: 0, trainEnd: 700, testStart: 700, testEnd: 800 });
});

test('windows longer than the data are an input error naming the field and the data length', () => {
  assert.throws(
    () => foldRanges(5105, walkForwardSchema.parse({ train: 5000, test: 252, purge: 5 })),
    /walkForward\.train: train \(5000\) \+ purge \(5\) \+ test \(252\) = 5257 bars, but the data has 5105/,
  );
});

test('the aggregate is the metrics of the concatenated out-of-sample returns; each fold only counts its test window', async () => {
  const bars = sp500();
  const spec = walkForwardSchema.parse({ train: 756, test: 252, purge: 5 });
  const result = await runWalkForward(bars, strategy, spec, { grid });
  assert.equal(result.folds.length, Math.floor((5105 - 756 - 5) / 252));
  assert.equal(result.aggregate.returnCount, result.folds.length * 252);
  const returns: Float64Array[] = [];
  for (const [i, range] of foldRanges(bars.close.length, spec).entries()) {
    const fold = result.folds[i]!;
    assert.equal(fold.outOfSample.returnCount, 252);
    assert.equal(fold.test.bars, 252);
    assert.ok(fold.lookAhead.ok);
    const visible = sliceBars(bars, 0, range.testEnd);
    const run = runEngine(visible, await computeSignals(fold.strategy, visible), {
      costs: { commissionBps: 1, slippageBps: 1 },
      from: range.testStart,
      to: range.testEnd,
      closeAtEnd: true,
    });
    returns.push(equityReturns(run.equity));
  }
  const all = new Float64Array(returns.reduce((n, r) => n + r.length, 0));
  returns.reduce((offset, r) => (all.set(r, offset), offset + r.length), 0);
  const expected = returnMetrics(all);
  assert.equal(result.aggregate.sharpe, expected.sharpe);
  assert.equal(result.aggregate.maxDrawdown, expected.maxDrawdown);
  const sharpes = result.folds.map((f) => f.outOfSample.sharpe).filter((v): v is number => v !== null);
  assert.ok(Math.abs(result.meanOfFolds.sharpe! - sharpes.reduce((a, b) => a + b, 0) / sharpes.length) < 1e-12);
});

test('parameters are chosen on the train window only: changing the test-window bars does not change them', async () => {
  const bars = sp500();
  const spec = walkForwardSchema.parse({ train: 1000, test: 500, purge: 0 });
  const before = await runWalkForward(bars, strategy, spec, { grid });
  const [first] = foldRanges(bars.close.length, spec);
  const changed = { ...bars, close: bars.close.slice(), open: bars.open.slice() };
  for (let t = first!.testStart; t < bars.close.length; t++) {
    changed.close[t] = bars.close[t]! * (1 + 0.05 * Math.sin(t));
    changed.open[t] = bars.open[t]! * (1 - 0.05 * Math.sin(t));
  }
  const after = await runWalkForward(changed, strategy, spec, { grid });
  assert.deepEqual(after.folds[0]!.parameters, before.folds[0]!.parameters);
  assert.equal(after.folds[0]!.inSampleObjective, before.folds[0]!.inSampleObjective);
  assert.notEqual(after.folds[0]!.outOfSample.sharpe, before.folds[0]!.outOfSample.sharpe);
});

test('a walk-forward whose grids together exceed the work budget is refused before it starts', async () => {
  const big = gridSchema.parse({ parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } } });
  await assert.rejects(
    runWalkForward(sp500(), strategy, walkForwardSchema.parse({ mode: 'expanding', train: 500, test: 100 }), {
      grid: big,
    }),
    /walkForward: 46 folds × 4851 combinations = \d+ bar evaluations exceed the budget of 500000000/,
  );
});
