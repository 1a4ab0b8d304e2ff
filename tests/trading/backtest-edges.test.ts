// Edge cases of the backtest: ruin (equity ≤ 0), windows longer than the data, strict and configurable
// model/committee thresholds, the volatility σ computed once in O(n), grids refused early, folds that
// end flat, and grid results marked in-sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barsFromRows, sliceBars, type Bars } from '../../tools/trading/market/bars.js';
import { rollingVolatility, runEngine } from '../../tools/trading/backtest/engine.js';
import { runBacktest } from '../../tools/trading/backtest/backtest.js';
import { gridCombinations, gridSchema, runGrid } from '../../tools/trading/backtest/grid.js';
import { IndicatorCache, type SignalProviders } from '../../tools/trading/backtest/signals.js';
import { parseStrategy } from '../../tools/trading/backtest/strategy.js';
import { runWalkForward, walkForwardSchema } from '../../tools/trading/backtest/walk-forward.js';
import { sp500 } from './backtest-data.js';

const noCosts = { commissionBps: 0, slippageBps: 0 };

function series(prices: number[]): Bars {
  return barsFromRows(
    'X',
    'memory',
    prices.map((p, i) => ({
      time: Date.UTC(2020, 0, 1 + i),
      open: p,
      high: p * 1.001,
      low: p * 0.999,
      close: p,
      volume: 1,
    })),
  );
}

/** Falls for 60 bars (the SMA 5/50 goes short), then rallies 3% a day while still short. */
function squeeze(): Bars {
  let p = 100;
  return series(Array.from({ length: 140 }, (_, i) => (p = i < 60 ? p * 0.995 : p * 1.03)));
}

test('ruin: a levered short through a rally stops at equity 0 with the date, and growth metrics are null', async () => {
  const strategy = parseStrategy({ type: 'sma_crossover', fast: 5, slow: 50, allowShort: true });
  const result = await runBacktest(squeeze(), strategy, { sizing: { fraction: 10 } });
  const m = result.metrics;
  assert.equal(result.finalEquity, 0);
  assert.match(m.ruined!, /^ruined on \d{4}-\d{2}-\d{2}: equity reached 0$/);
  assert.equal(m.totalReturn, -1);
  assert.equal(m.maxDrawdown, -1);
  for (const name of ['sharpe', 'sortino', 'annualReturn', 'annualVolatility', 'calmar', 'turnover'] as const) {
    assert.equal(m[name], null, name);
    assert.equal(m.undefinedBecause[name], m.ruined, name);
  }
  const run = runEngine(squeeze(), new Int8Array(140).fill(-1), { costs: noCosts, sizing: { fraction: 10 } });
  assert.ok(run.ruinedAt !== null);
  assert.ok(
    Array.from(run.equity).every((v) => v >= 0),
    'never negative',
  );
  assert.ok(Array.from(run.equity.subarray(run.ruinedAt! - run.from + 1)).every((v) => v === 0));
  assert.ok(
    Array.from(run.units.subarray(run.ruinedAt! - run.from)).every((u) => u === 0),
    'liquidated',
  );
  assert.equal(run.trades.filter((t) => t.open).length, 0);
});

test('a window longer than the data is an input error naming the field, the bars and the fix', async () => {
  const small = sliceBars(sp500(), 0, 100);
  await assert.rejects(
    runBacktest(small, parseStrategy({ type: 'sma_crossover', fast: 50, slow: 500 })),
    /strategy\.slow: a window of 500 bars needs 499 bars of warm-up, but the data up to \S+ has only 100 bars.*shorten strategy\.slow/,
  );
  await assert.rejects(
    runBacktest(small, parseStrategy({ type: 'rsi_reversion', period: 150, lower: 30, upper: 70 })),
    /strategy\.period: /,
  );
  const combine = parseStrategy({
    type: 'combine',
    mode: 'all',
    members: [
      { type: 'sma_crossover', fast: 2, slow: 10 },
      { type: 'breakout', lookback: 20, exitLookback: 300 },
    ],
  });
  await assert.rejects(runBacktest(small, combine), /strategy\.members\.1\.exitLookback: /);
  // The end date counts: bars after it are not available.
  await assert.rejects(
    runBacktest(sp500(), parseStrategy({ type: 'sma_crossover', fast: 5, slow: 200 }), { end: '2000-03-01' }),
    /strategy\.slow: /,
  );
  // Each walk-forward fold checks its own bars up to the test window's end.
  await assert.rejects(
    runWalkForward(
      small,
      parseStrategy({ type: 'sma_crossover', fast: 5, slow: 120 }),
      walkForwardSchema.parse({ train: 40, test: 20 }),
    ),
    /strategy\.slow: .*fold 1 .*has only 60 bars/,
  );
});

/** A provider whose strength is `value` on every bar, long every bar. */
function constant(value: number): SignalProviders {
  const make = (bars: Bars) => ({
    direction: new Int8Array(bars.close.length).fill(1),
    strength: new Float64Array(bars.close.length).fill(value),
  });
  return {
    async model(bars) {
      const { direction, strength } = make(bars);
      return { direction, confidence: strength };
    },
    async committee(bars) {
      const { direction, strength } = make(bars);
      return { direction, consensus: strength };
    },
  };
}

test('model and committee thresholds are strict, and default to the providers thresholds, then 0.65 / 0.7', async () => {
  const bars = sliceBars(sp500(), 0, 60);
  const exposure = async (strategy: unknown, providers: SignalProviders) =>
    (await runBacktest(bars, parseStrategy(strategy), { providers })).metrics.exposure;
  assert.equal(await exposure({ type: 'follow_model' }, constant(0.65)), 0, 'confidence equal to 0.65 is not above it');
  assert.ok((await exposure({ type: 'follow_model' }, constant(0.66)))! > 0);
  assert.equal(
    await exposure({ type: 'follow_committee' }, constant(0.7)),
    0,
    'consensus equal to 0.7 is not above it',
  );
  assert.ok((await exposure({ type: 'follow_committee' }, constant(0.71)))! > 0);
  const configured = (value: number) => ({
    ...constant(value),
    thresholds: { proposalConfidence: 0.8, consensus: 0.5 },
  });
  assert.equal(await exposure({ type: 'follow_model' }, configured(0.7)), 0, 'the config raises the bar to 0.8');
  assert.ok((await exposure({ type: 'follow_committee' }, configured(0.6)))! > 0, 'the config lowers it to 0.5');
  assert.ok((await exposure({ type: 'follow_model', minConfidence: 0.6 }, configured(0.7)))! > 0, 'the strategy wins');
  assert.equal(await exposure({ type: 'follow_committee', minConsensus: 0.6 }, configured(0.6)), 0);
});

/** The direct O(n × lookback) definition, for comparison. */
function naiveVolatility(close: Float64Array, lookback: number): Float64Array {
  const out = new Float64Array(close.length).fill(Number.NaN);
  for (let t = lookback; t < close.length; t++) {
    const r = Array.from({ length: lookback }, (_, k) => close[t - k]! / close[t - k - 1]! - 1);
    const mean = r.reduce((a, b) => a + b, 0) / lookback;
    out[t] = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (lookback - 1)) * Math.sqrt(252);
  }
  return out;
}

test('volatility σ: rolling sums match the direct definition, are cached per lookback and passed to the engine', () => {
  const close = sp500().close;
  for (const lookback of [2, 20, 1000]) {
    const fast = rollingVolatility(close, lookback);
    const slow = naiveVolatility(close, lookback);
    for (let t = 0; t < close.length; t++) {
      if (t < lookback) assert.ok(Number.isNaN(fast[t]!));
      else
        assert.ok(Math.abs(fast[t]! - slow[t]!) <= 1e-10 * Math.max(slow[t]!, 0.01), `lookback ${lookback} bar ${t}`);
    }
  }
  const cache = new IndicatorCache(sp500());
  assert.equal(cache.volatility(20), cache.volatility(20), 'computed once');
  // The engine sizes with the σ it is given: a σ of 0.3 with a 0.15 target takes half the equity.
  const bars = series([100, 100, 100, 100]);
  const sizing = { fraction: 1, volatilityTarget: { annual: 0.15, lookback: 2, maxLeverage: 1 } };
  const run = runEngine(bars, Int8Array.from([1, 1, 1, 1]), {
    costs: noCosts,
    sizing,
    initialCapital: 1000,
    sigma: new Float64Array(4).fill(0.3),
  });
  assert.equal(run.trades[0]!.units, 5);
});

test('a huge grid is refused before any parsing; a grid over budget stops early; long enumeration yields and aborts', async () => {
  const base = parseStrategy({ type: 'sma_crossover', fast: 10, slow: 50 });
  let started = performance.now();
  await assert.rejects(
    gridCombinations(
      base,
      gridSchema.parse({ parameters: { fast: { from: 2, to: 1001 }, slow: { from: 2, to: 1001 } } }),
    ),
    /grid\.parameters: 1000000 combinations before validation; at most 80000/,
  );
  assert.ok(performance.now() - started < 200, 'refused without enumerating');
  let clock = 0;
  const now = () => clock++;
  await assert.rejects(
    gridCombinations(
      base,
      gridSchema.parse({ parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } }, maxCombinations: 100 }),
      { now },
    ),
    /grid\.maxCombinations: more than 100 valid/,
  );
  assert.ok(clock < 1000, `stopped after ${clock} of 9604 combinations`);
  const controller = new AbortController();
  controller.abort();
  started = 0;
  await assert.rejects(
    gridCombinations(
      base,
      gridSchema.parse({ parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } } }),
      {
        signal: controller.signal,
        now: () => (started += 25),
      },
    ),
    { name: 'AbortError' },
  );
});

test('each walk-forward fold ends flat: the held position is closed at its last close with costs, and the result says so', async () => {
  let p = 100;
  const rising = series(Array.from({ length: 300 }, () => (p *= 1.002)));
  const strategy = parseStrategy({ type: 'sma_crossover', fast: 2, slow: 5 });
  const result = await runWalkForward(rising, strategy, walkForwardSchema.parse({ train: 100, test: 50 }), {
    costs: { commissionBps: 10, slippageBps: 10 },
  });
  assert.match(result.foldBoundaries, /closes any position at its last bar's close with slippage and commission/);
  for (const fold of result.folds) assert.equal(fold.outOfSample.tradeCount, 1, 'the fold-end exit is a closed trade');
  assert.equal(result.aggregate.tradeCount, result.folds.length);
  const run = runEngine(rising, new Int8Array(300).fill(1), {
    costs: { commissionBps: 10, slippageBps: 10 },
    initialCapital: 1000,
    from: 200,
    to: 250,
    closeAtEnd: true,
  });
  const trade = run.trades[0]!;
  assert.equal(trade.open, false);
  assert.equal(run.units.at(-1), 0);
  const exit = rising.close[249]! * 0.999;
  assert.ok(Math.abs(trade.exitPrice - exit) < 1e-12);
  assert.ok(Math.abs(run.equity.at(-1)! - (1000 + trade.pnl)) < 1e-6);
});

test('a grid result is marked in-sample, and says when no combination had a defined objective', async () => {
  const base = parseStrategy({ type: 'sma_crossover', fast: 10, slow: 50 });
  const spec = gridSchema.parse({ parameters: { fast: [2, 3], slow: [10, 20] } });
  const grid = await runGrid(sliceBars(sp500(), 0, 300), base, spec);
  assert.equal(grid.inSample, true);
  assert.equal(grid.definedObjectives, 4);
  assert.match(grid.note, /^in-sample: /);
  const flat = await runGrid(series(new Array(100).fill(50)), base, spec);
  assert.equal(flat.definedObjectives, 0);
  assert.match(flat.note, /^no combination had a defined sharpe/);
});
