// ATR (Wilder), Bollinger bands and rolling highest/lowest (Donchian channels) as array functions.
import { checkPeriod } from './moving-averages.js';

export interface AtrOptions {
  /**
   * The first bar has no previous close. `skip` (default, TA-Lib): its true range is left out and the
   * first ATR, at index period, is the mean of TR[1..period]. `high_low` (trading-signals): its true
   * range is high − low and the first ATR, at index period − 1, is the mean of TR[0..period−1].
   */
  firstTrueRange?: 'skip' | 'high_low';
}

/** Average true range with Wilder's smoothing (α = 1/period). */
export function atr(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  period: number,
  options: AtrOptions = {},
): Float64Array {
  checkPeriod(period);
  const n = close.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const start = options.firstTrueRange === 'high_low' ? 0 : 1;
  if (n < start + period) return out;
  const trueRange = (i: number) => {
    const range = high[i]! - low[i]!;
    if (i === 0) return range;
    const previous = close[i - 1]!;
    return Math.max(range, Math.abs(high[i]! - previous), Math.abs(low[i]! - previous));
  };
  let value = 0;
  for (let i = start; i < start + period; i++) value += trueRange(i);
  value /= period;
  out[start + period - 1] = value;
  for (let i = start + period; i < n; i++) {
    value = (value * (period - 1) + trueRange(i)) / period;
    out[i] = value;
  }
  return out;
}

export interface Bands {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}

/**
 * Bollinger bands: middle = SMA(period), upper/lower = middle ± k × the population standard deviation
 * (divide by period, as TA-Lib and trading-signals do, not period − 1). The window's mean and squared
 * deviations are updated with Welford's add/remove step, which keeps precision where a running Σx²
 * would cancel (prices in the thousands, deviations in the tens).
 */
export function bollinger(values: Float64Array, period = 20, k = 2): Bands {
  checkPeriod(period);
  const n = values.length;
  const upper = new Float64Array(n).fill(Number.NaN);
  const middle = new Float64Array(n).fill(Number.NaN);
  const lower = new Float64Array(n).fill(Number.NaN);
  let mean = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const incoming = values[i]!;
    if (i < period) {
      const delta = incoming - mean;
      mean += delta / (i + 1);
      squares += delta * (incoming - mean);
    } else {
      const outgoing = values[i - period]!;
      const previousMean = mean;
      mean += (incoming - outgoing) / period;
      squares += (incoming - outgoing) * (incoming - mean + outgoing - previousMean);
    }
    if (i >= period - 1) {
      const deviation = Math.sqrt(Math.max(0, squares / period));
      middle[i] = mean;
      upper[i] = mean + k * deviation;
      lower[i] = mean - k * deviation;
    }
  }
  return { upper, middle, lower };
}

/** Highest value of the last period values (including i); NaN before index period − 1. O(n). */
export function rollingHighest(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, 1);
}

/** Lowest value of the last period values (including i); NaN before index period − 1. O(n). */
export function rollingLowest(values: Float64Array, period: number): Float64Array {
  return rollingExtreme(values, period, -1);
}

/** A monotone deque of indices: each value enters and leaves once, so the window size does not matter. */
function rollingExtreme(values: Float64Array, period: number, sign: 1 | -1): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  const deque = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i]! * sign;
    while (tail > head && values[deque[tail - 1]!]! * sign <= value) tail--;
    deque[tail++] = i;
    if (deque[head]! <= i - period) head++;
    if (i >= period - 1) out[i] = values[deque[head]!]!;
  }
  return out;
}
