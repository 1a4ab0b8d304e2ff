// Our engine and metrics against the numpy reference (scripts/trading-reference.py) on the same S&P 500
// bars: every metric and the final equity to 1e-9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runBacktest } from '../../tools/trading/backtest/backtest.js';
import { returnMetrics } from '../../tools/trading/backtest/metrics.js';
import { parseStrategy } from '../../tools/trading/backtest/strategy.js';
import { sp500 } from './backtest-data.js';

interface ReferenceCase {
  name: string;
  strategy: unknown;
  costs: { commissionBps: number; slippageBps: number };
  sizing: { fraction: number };
  metrics: Record<string, number | null>;
  finalEquity: number;
  openTrade: boolean;
}

const reference = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures', 'sp500-reference.json'), 'utf8'),
) as {
  bars: number;
  first: string;
  last: string;
  initialCapital: number;
  buyAndHold: Record<string, number>;
  cases: ReferenceCase[];
};

/** Relative difference, absolute near zero (exposure and turnover can be tiny). */
function close(actual: number | null | undefined, expected: number | null, name: string) {
  if (expected === null) return assert.equal(actual, null, name);
  assert.equal(typeof actual, 'number', `${name} is ${actual}`);
  const difference = Math.abs(actual! - expected);
  assert.ok(
    difference <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${name}: ${actual} vs ${expected} (Δ ${difference})`,
  );
}

test('the fixture covers the whole S&P 500 file', () => {
  const bars = sp500();
  assert.equal(reference.bars, bars.close.length);
  assert.equal(reference.first, '2000-01-03');
  assert.equal(reference.last, '2020-04-17');
  assert.ok(reference.cases.length >= 4);
});

for (const item of reference.cases) {
  test(`matches the numpy reference: ${item.name}`, async () => {
    const result = await runBacktest(sp500(), parseStrategy(item.strategy), {
      costs: item.costs,
      sizing: item.sizing,
      initialCapital: reference.initialCapital,
    });
    for (const [name, expected] of Object.entries(item.metrics))
      close((result.metrics as unknown as Record<string, number | null>)[name], expected, `${item.name} ${name}`);
    close(result.finalEquity, item.finalEquity, `${item.name} final equity`);
    assert.equal(result.trades.at(-1)?.open ?? false, item.openTrade);
    assert.ok(result.metrics.tradeCount > 0);
    assert.equal(result.lookAhead.ok, true);
  });
}

test('buy-and-hold metrics of the daily close returns match the reference, in metrics and as the benchmark', async () => {
  const bars = sp500();
  const returns = new Float64Array(bars.close.length - 1);
  for (let t = 1; t < bars.close.length; t++) returns[t - 1] = bars.close[t]! / bars.close[t - 1]! - 1;
  const metrics = returnMetrics(returns) as unknown as Record<string, number | null>;
  const result = await runBacktest(bars, parseStrategy({ type: 'sma_crossover', fast: 50, slow: 200 }));
  for (const [name, expected] of Object.entries(reference.buyAndHold)) {
    close(metrics[name], expected, `buy and hold ${name}`);
    close((result.benchmark as unknown as Record<string, number | null>)[name], expected, `benchmark ${name}`);
  }
});
