// Simple and exponential moving averages over whole arrays. They are array functions rather than the
// streaming classes of trading-signals because a backtest or a grid computes each series once over
// thousands of bars; tests check them against trading-signals to 1e-9 and the bench shows the speed.
import { InputError } from '../../errors.js';

/** Rejects a window the indicators cannot compute (not an integer, below 1). */
export function checkPeriod(period: number, field = 'period'): void {
  if (!Number.isInteger(period) || period < 1) throw new InputError(field, `must be an integer ≥ 1, got ${period}`);
}

/** Simple moving average; NaN for the first period − 1 values. A rolling sum, one pass. */
export function sma(values: Float64Array, period: number): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i]!;
    if (i >= period) sum -= values[i - period]!;
    if (i >= period - 1) out[i] = sum / period;
  }
  return out;
}

export interface EmaOptions {
  /**
   * How the recursion starts. `sma` (default, TA-Lib): the first value, at index period − 1, is the
   * mean of the first period values. `first` (trading-signals, pandas ewm(adjust=False)): the
   * recursion starts from values[0] and is reported from index period − 1 on.
   */
  seed?: 'sma' | 'first';
}

/** Exponential moving average with α = 2 / (period + 1); NaN before index period − 1. */
export function ema(values: Float64Array, period: number, options: EmaOptions = {}): Float64Array {
  return exponential(values, period, 2 / (period + 1), options.seed ?? 'sma');
}

function exponential(values: Float64Array, period: number, alpha: number, seed: 'sma' | 'first'): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n < period) return out;
  let value = 0;
  if (seed === 'sma') {
    for (let i = 0; i < period; i++) value += values[i]!;
    value /= period;
  } else {
    value = values[0]!;
    for (let i = 1; i < period; i++) value = values[i]! * alpha + value * (1 - alpha);
  }
  out[period - 1] = value;
  for (let i = period; i < n; i++) {
    value = values[i]! * alpha + value * (1 - alpha);
    out[i] = value;
  }
  return out;
}
