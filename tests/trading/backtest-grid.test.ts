// Grid search: the 4,851-combination SMA grid on the S&P 500, its best equal to a plain backtest of the
// same parameters, the budget, cancellation and yielding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBacktest } from '../../tools/trading/backtest/backtest.js';
import { gridCombinations, gridSchema, runGrid } from '../../tools/trading/backtest/grid.js';
import { parseStrategy } from '../../tools/trading/backtest/strategy.js';
import { sp500 } from './backtest-data.js';

const base = parseStrategy({ type: 'sma_crossover', fast: 2, slow: 3 });
const vectorbtGrid = gridSchema.parse({ parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } } });

test('the SMA grid has 4,851 valid combinations; its best equals a plain backtest of those parameters', async () => {
  const started = performance.now();
  const result = await runGrid(sp500(), base, vectorbtGrid);
  const elapsed = performance.now() - started;
  assert.equal(result.combinations, 4851);
  assert.equal(result.skipped, 98 * 98 - 4851);
  assert.equal(result.lookAheadViolations, 0);
  assert.equal(result.top.length, 10);
  for (let i = 1; i < result.top.length; i++) assert.ok(result.top[i - 1]!.objective! >= result.top[i]!.objective!);
  const plain = await runBacktest(sp500(), result.best.strategy);
  assert.equal(plain.metrics.sharpe, result.best.objective);
  assert.equal(plain.metrics.tradeCount, result.best.metrics.tradeCount);
  // The figure is < 5 s; the test allows for the shared, loaded CPU (the bench reports the time).
  assert.ok(elapsed < 20_000, `${elapsed} ms`);
});

test('other objectives rank by their own metric', async () => {
  const spec = gridSchema.parse({
    parameters: { fast: [5, 10, 20], slow: [50, 100, 200] },
    objective: 'total_return',
    top: 3,
  });
  const result = await runGrid(sp500(), base, spec);
  const best = Math.max(...result.top.map((e) => e.metrics.totalReturn!));
  assert.equal(result.best.objective, best);
  assert.equal(result.best.metrics.totalReturn, best);
});

test('a grid beyond its budget is refused with the budget named', async () => {
  const spec = gridSchema.parse({
    parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } },
    maxCombinations: 1000,
  });
  await assert.rejects(
    gridCombinations(base, spec),
    /grid\.maxCombinations: more than 1000 valid combinations \(the budget\) among 9604/,
  );
  await assert.rejects(
    gridCombinations(base, gridSchema.parse({ parameters: { window: [1, 2] } })),
    /grid\.parameters\.window: sma_crossover has no numeric field "window"/,
  );
  await assert.rejects(
    gridCombinations(
      parseStrategy({ type: 'follow_model' }),
      gridSchema.parse({ parameters: { minConfidence: [0.5] } }),
    ),
    /strategy\.type: grid search works on/,
  );
});

test('a grid over too many bars is refused with its work and memory budgets named', async () => {
  const long = sp500();
  const n = 100_000;
  const repeat = (values: Float64Array) => Float64Array.from({ length: n }, (_, i) => values[i % values.length]!);
  const bars = {
    ...long,
    time: Float64Array.from({ length: n }, (_, i) => i * 86_400_000),
    open: repeat(long.open),
    high: repeat(long.high),
    low: repeat(long.low),
    close: repeat(long.close),
    volume: repeat(long.volume),
  };
  await assert.rejects(
    runGrid(bars, base, vectorbtGrid),
    /grid: 4851 combinations × 100000 bars = .* exceed the budget of 250000000/,
  );
  const narrow = gridSchema.parse({ parameters: { fast: [2], slow: { from: 12, to: 400 } } });
  await assert.rejects(
    runGrid(bars, base, narrow),
    /grid: about \d+ MB of indicator series .* exceed the budget of 1024 MB/,
  );
});

test('a grid yields to the event loop and stops when its signal is aborted', async () => {
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    if (ticks === 2) controller.abort();
  }, 5);
  await assert.rejects(runGrid(sp500(), base, vectorbtGrid, { signal: controller.signal }), { name: 'AbortError' });
  clearInterval(timer);
  assert.ok(ticks >= 2, 'timers ran while the grid was working');
});
