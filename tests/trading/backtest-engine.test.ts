// The engine's fills, costs, sizing and outputs on small hand-made bars, where every number can be
// worked out by hand, plus the caps on what a result returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barsFromRows, type Bars } from '../../tools/trading/market/bars.js';
import { runEngine } from '../../tools/trading/backtest/engine.js';
import { runBacktest } from '../../tools/trading/backtest/backtest.js';
import { runMetrics } from '../../tools/trading/backtest/metrics.js';
import { downsampleEquity } from '../../tools/trading/backtest/report.js';
import { sp500 } from './backtest-data.js';

function bars(opens: number[], closes: number[]): Bars {
  return barsFromRows(
    'TEST',
    'memory',
    opens.map((open, i) => ({
      time: Date.UTC(2024, 0, 1 + i),
      open,
      high: Math.max(open, closes[i]!) + 1,
      low: Math.min(open, closes[i]!) - 1,
      close: closes[i]!,
      volume: 1,
    })),
  );
}

const noCosts = { commissionBps: 0, slippageBps: 0 };

test("a signal at bar t's close fills at bar t+1's open, never at t's close", () => {
  const b = bars([10, 11, 12, 13, 14], [10.5, 11.5, 12.5, 13.5, 14.5]);
  const target = Int8Array.from([0, 1, 1, 0, 0]);
  const run = runEngine(b, target, { costs: noCosts, initialCapital: 1000 });
  const [trade] = run.trades;
  assert.equal(trade!.entryIndex, 2);
  assert.equal(trade!.entryPrice, 12, 'filled at the next open');
  assert.equal(trade!.exitIndex, 4);
  assert.equal(trade!.exitPrice, 14);
  assert.equal(trade!.barsHeld, 2);
  assert.ok(Math.abs(trade!.pnl - (1000 / 12) * 2) < 1e-9);
  assert.deepEqual(Array.from(run.equity.subarray(0, 3)), [1000, 1000, (1000 / 12) * 12.5]);
});

test('slippage moves fills against the trader and commission is charged on the filled notional', () => {
  const b = bars([100, 100, 100, 100], [100, 100, 100, 110]);
  const costs = { commissionBps: 10, slippageBps: 50 };
  const run = runEngine(b, Int8Array.from([1, 1, 0, 0]), { costs, initialCapital: 10_000 });
  const buy = 100 * 1.005;
  const units = 10_000 / (buy * 1.001);
  const sell = 100 * 0.995;
  const expectedCash = 10_000 - units * buy - units * buy * 0.001 + units * sell - units * sell * 0.001;
  assert.ok(Math.abs(run.trades[0]!.units - units) < 1e-9);
  assert.equal(run.trades[0]!.exitPrice, sell);
  assert.ok(Math.abs(run.equity.at(-1)! - expectedCash) < 1e-6);
  assert.ok(run.trades[0]!.pnl < 0, 'a round trip at the same open loses the costs');
});

test('a short gains when the price falls, and switching sides closes before it opens', () => {
  const b = bars([100, 100, 90, 80, 90], [100, 100, 90, 80, 90]);
  const run = runEngine(b, Int8Array.from([-1, -1, 1, 1, 1]), { costs: noCosts, initialCapital: 1000 });
  assert.equal(run.trades.length, 2);
  assert.equal(run.trades[0]!.side, -1);
  assert.ok(Math.abs(run.trades[0]!.pnl - 200) < 1e-9, 'short 10 units at 100, covered at bar 3 open (80)');
  assert.equal(run.trades[0]!.units, -10);
  assert.equal(run.trades[1]!.side, 1);
  assert.equal(run.trades[1]!.open, true);
  assert.equal(runMetrics(run).tradeCount, 1, 'the open trade is not counted');
});

test('a fraction of equity sizes the entry; volatility targeting sizes by recent volatility', () => {
  const b = bars([100, 100, 100, 100], [100, 100, 100, 100]);
  const half = runEngine(b, Int8Array.from([1, 1, 1, 1]), {
    costs: noCosts,
    initialCapital: 1000,
    sizing: { fraction: 0.5 },
  });
  assert.equal(half.trades[0]!.units, 5);
  const s = sp500();
  const target = new Int8Array(s.close.length).fill(1);
  const calm = runEngine(s, target, {
    costs: noCosts,
    sizing: { fraction: 1, volatilityTarget: { annual: 0.05, lookback: 20, maxLeverage: 1 } },
  });
  const full = runEngine(s, target, { costs: noCosts });
  assert.ok(calm.trades[0]!.entryIndex > 20, 'no entry before the lookback has returns');
  assert.ok(Math.abs(calm.trades[0]!.units * calm.trades[0]!.entryPrice) < 0.9 * 100_000, 'sized below full equity');
  assert.ok(runMetrics(calm).annualVolatility! < runMetrics(full).annualVolatility!);
});

test('a strategy that never trades has null Sharpe and Sortino with reasons, and the result is JSON-safe', async () => {
  const result = await runBacktest(sp500(), { type: 'peek_ahead' }, { end: '2000-01-05' });
  assert.equal(result.bars, 3);
  const flat = await runBacktest(sp500(), {
    type: 'rsi_reversion',
    period: 14,
    lower: 0,
    upper: 100,
    allowShort: false,
  });
  assert.equal(flat.metrics.sharpe, null);
  assert.match(flat.metrics.undefinedBecause.sharpe!, /zero standard deviation/);
  assert.equal(flat.metrics.winRate, null);
  assert.equal(flat.metrics.calmar, null);
  const json = JSON.stringify(flat);
  assert.ok(!/NaN|Infinity/.test(json));
  assert.deepEqual(JSON.parse(json).conventions.annualization, 252);
  assert.equal(flat.conventions.ddof, 1);
  assert.equal(flat.conventions.riskFreePerPeriod, 0);
  assert.equal(flat.conventions.sharpeBasis, 'daily_returns');
});

test('the equity curve keeps at most 500 points with the first, last, peak and trough; trades are capped with a total', async () => {
  const result = await runBacktest(
    sp500(),
    { type: 'sma_crossover', fast: 3, slow: 10, allowShort: true },
    { maxTrades: 20 },
  );
  assert.ok(result.equity.length <= 500 && result.equity.length > 400);
  assert.equal(result.equity[0]!.date, '2000-01-03');
  assert.equal(result.equity.at(-1)!.date, '2020-04-17');
  const deepest = Math.min(...result.equity.map((p) => p.drawdown));
  assert.ok(Math.abs(deepest - result.metrics.maxDrawdown!) < 1e-12, 'the deepest drawdown point survives');
  assert.equal(result.trades.length, 20);
  assert.ok(result.tradesTotal > 500);
  assert.equal(result.trades.at(-1)!.exitDate, '2020-04-17');
});

test('start and end restrict the evaluated bars; earlier bars still warm the indicators up', async () => {
  const strategy = { type: 'sma_crossover' as const, fast: 50, slow: 200, allowShort: false };
  const result = await runBacktest(sp500(), strategy, { start: '2010-01-04', end: '2010-12-31' });
  assert.equal(result.start, '2010-01-04');
  assert.equal(result.end, '2010-12-31');
  assert.equal(result.metrics.returnCount, result.bars - 1);
  assert.ok(result.metrics.exposure! > 0.5, 'invested from the first days: the 200-day SMA was already warm');
  await assert.rejects(runBacktest(sp500(), strategy, { start: '2030-01-01' }), /start: no bars of SP500/);
  await assert.rejects(runBacktest(sp500(), strategy, { end: 'yesterday' }), /end: "yesterday" is not a date/);
});

test('downsampling a short run keeps every point', () => {
  const b = bars([1, 2, 3], [1, 2, 3]);
  const run = runEngine(b, Int8Array.from([1, 1, 1]), { costs: noCosts });
  assert.equal(downsampleEquity(run, b).length, 3);
});
