// The array indicators against trading-signals' streaming classes on the S&P 500 closes (to 1e-9,
// relative), with each convention difference named, and against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATR, BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals';
import {
  atr,
  bollinger,
  ema,
  macd,
  rollingHighest,
  rollingLowest,
  rsi,
  sma,
} from '../../tools/trading/indicators/index.js';
import { sp500 } from './backtest-data.js';

const bars = sp500();
const closes = bars.close;

/** Compares ours with the library's series: both defined at the same bars, equal to 1e-9 relative. */
function assertSeries(ours: Float64Array, theirs: (number | null)[], name: string) {
  assert.equal(ours.length, theirs.length);
  let compared = 0;
  for (let i = 0; i < ours.length; i++) {
    const expected = theirs[i];
    if (expected === null || expected === undefined) {
      assert.ok(Number.isNaN(ours[i]), `${name}[${i}] should be NaN before warm-up, got ${ours[i]}`);
      continue;
    }
    const scale = Math.max(1e-12, Math.abs(expected));
    assert.ok(Math.abs(ours[i]! - expected) / scale <= 1e-9, `${name}[${i}]: ${ours[i]} vs ${expected}`);
    compared++;
  }
  assert.ok(compared > closes.length - 300, `${name}: only ${compared} values compared`);
}

function stream(
  make: () => { update(v: number, replace: boolean): unknown; isStable: boolean; getResult(): unknown },
  values: Float64Array,
) {
  const indicator = make();
  return Array.from(values, (v) => {
    indicator.update(v, false);
    return indicator.isStable ? (indicator.getResult() as number) : null;
  });
}

test('sma equals trading-signals SMA on the S&P closes for several windows', () => {
  for (const period of [2, 20, 50, 200])
    assertSeries(
      sma(closes, period),
      stream(() => new SMA(period), closes),
      `sma${period}`,
    );
});

test('ema seeded with the first value equals trading-signals EMA; the default seeds with the SMA (TA-Lib)', () => {
  for (const period of [5, 12, 26, 100])
    assertSeries(
      ema(closes, period, { seed: 'first' }),
      stream(() => new EMA(period), closes),
      `ema${period}`,
    );
  // TA-Lib seeding: the first value is the mean of the first period values, then the same recursion.
  const small = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const out = ema(small, 3);
  assert.ok(Number.isNaN(out[1]!));
  assert.equal(out[2], 2);
  assert.equal(out[3], 4 * 0.5 + 2 * 0.5);
  assert.equal(out[5], 6 * 0.5 + (5 * 0.5 + 3 * 0.5) * 0.5);
});

test('rsi equals trading-signals RSI (Wilder smoothing, first value at index period)', () => {
  for (const period of [2, 14, 30])
    assertSeries(
      rsi(closes, period),
      stream(() => new RSI(period), closes),
      `rsi${period}`,
    );
  assert.equal(rsi(Float64Array.from([1, 2, 3, 4]), 2)[2], 100, 'no loss gives 100');
});

test('macd line, signal and histogram equal trading-signals MACD with first-value-seeded EMAs', () => {
  const ours = macd(closes, 12, 26, 9, { seed: 'first' });
  const indicator = new MACD(new EMA(12), new EMA(26), new EMA(9));
  const line: (number | null)[] = [];
  const signal: (number | null)[] = [];
  const histogram: (number | null)[] = [];
  closes.forEach((close, i) => {
    const result = indicator.update(close, false) as { macd: number; signal: number; histogram: number } | null;
    // trading-signals reports the signal line from the first MACD value; ours waits for 9 of them.
    const signalReady = result !== null && i >= 26 + 9 - 2;
    line.push(result ? result.macd : null);
    signal.push(signalReady ? result.signal : null);
    histogram.push(signalReady ? result.histogram : null);
  });
  assertSeries(ours.macd, line, 'macd');
  assertSeries(ours.signal, signal, 'signal');
  assertSeries(ours.histogram, histogram, 'histogram');
});

test('atr with the first true range as high − low equals trading-signals ATR; the default skips it (TA-Lib)', () => {
  const candles = Array.from(closes, (close, i) => ({ high: bars.high[i]!, low: bars.low[i]!, close }));
  for (const period of [14, 20]) {
    const indicator = new ATR(period);
    const theirs = candles.map((candle) => {
      indicator.update(candle, false);
      return indicator.isStable ? (indicator.getResult() as number) : null;
    });
    assertSeries(atr(bars.high, bars.low, closes, period, { firstTrueRange: 'high_low' }), theirs, `atr${period}`);
  }
  const talib = atr(bars.high, bars.low, closes, 14);
  assert.ok(Number.isNaN(talib[13]!) && Number.isFinite(talib[14]!), 'TA-Lib ATR starts at index period');
});

test('bollinger bands use the population standard deviation and equal trading-signals BollingerBands', () => {
  const indicator = new BollingerBands(20, 2);
  const results = Array.from(
    closes,
    (close) => indicator.update(close, false) as { upper: number; middle: number; lower: number } | null,
  );
  const ours = bollinger(closes, 20, 2);
  assertSeries(
    ours.upper,
    results.map((r) => r?.upper ?? null),
    'upper',
  );
  assertSeries(
    ours.middle,
    results.map((r) => r?.middle ?? null),
    'middle',
  );
  assertSeries(
    ours.lower,
    results.map((r) => r?.lower ?? null),
    'lower',
  );
  // Population: for [1, 2, 3, 4] the deviation is √1.25, not √(5/3).
  const small = bollinger(Float64Array.from([1, 2, 3, 4]), 4, 1);
  assert.ok(Math.abs(small.upper[3]! - (2.5 + Math.sqrt(1.25))) < 1e-12);
});

test('rolling highest and lowest equal a naive window scan', () => {
  for (const period of [1, 5, 55]) {
    const high = rollingHighest(bars.high, period);
    const low = rollingLowest(bars.low, period);
    for (let i = 0; i < bars.high.length; i += 7) {
      if (i < period - 1) {
        assert.ok(Number.isNaN(high[i]!) && Number.isNaN(low[i]!));
        continue;
      }
      assert.equal(high[i], Math.max(...bars.high.subarray(i - period + 1, i + 1)));
      assert.equal(low[i], Math.min(...bars.low.subarray(i - period + 1, i + 1)));
    }
  }
});

test('a window that is not a positive integer is an input error naming the field', () => {
  assert.throws(() => sma(closes, 0), /period: must be an integer ≥ 1/);
  assert.throws(() => macd(closes, 26, 12), /fast: must be below slow/);
});
