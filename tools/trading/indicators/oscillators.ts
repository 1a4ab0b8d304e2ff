// RSI (Wilder) and MACD as array functions; NaN before warm-up.
import { checkPeriod, ema, type EmaOptions } from './moving-averages.js';
import { InputError } from '../../errors.js';

/**
 * Wilder's RSI: gains and losses of close-to-close changes, each smoothed with α = 1/period and seeded
 * with the mean of the first period changes, so the first value is at index period (TA-Lib,
 * trading-signals). An average loss of 0 gives 100.
 */
export function rsi(values: Float64Array, period: number): Float64Array {
  checkPeriod(period);
  const n = values.length;
  const out = new Float64Array(n).fill(Number.NaN);
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const change = values[i]! - values[i - 1]!;
    if (change > 0) gain += change;
    else loss -= change;
  }
  gain /= period;
  loss /= period;
  out[period] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  for (let i = period + 1; i < n; i++) {
    const change = values[i]! - values[i - 1]!;
    gain = (gain * (period - 1) + (change > 0 ? change : 0)) / period;
    loss = (loss * (period - 1) + (change < 0 ? -change : 0)) / period;
    out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

export interface Macd {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}

/**
 * MACD: ema(fast) − ema(slow), defined from index slow − 1; the signal line is an EMA of the MACD line
 * started where that line starts (same seed rule as ema()), defined from slow + signal − 2.
 */
export function macd(values: Float64Array, fast = 12, slow = 26, signal = 9, options: EmaOptions = {}): Macd {
  checkPeriod(signal, 'signal');
  if (fast >= slow) throw new InputError('fast', `must be below slow (${slow}), got ${fast}`);
  const n = values.length;
  const fastLine = ema(values, fast, options);
  const slowLine = ema(values, slow, options);
  const line = new Float64Array(n).fill(Number.NaN);
  for (let i = slow - 1; i < n; i++) line[i] = fastLine[i]! - slowLine[i]!;
  const signalLine = new Float64Array(n).fill(Number.NaN);
  if (n >= slow) signalLine.set(ema(line.subarray(slow - 1), signal, options), slow - 1);
  const histogram = new Float64Array(n);
  for (let i = 0; i < n; i++) histogram[i] = line[i]! - signalLine[i]!;
  return { macd: line, signal: signalLine, histogram };
}
