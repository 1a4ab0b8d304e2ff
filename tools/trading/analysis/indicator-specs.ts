// The indicators trading_compute_indicators and trading_scan_symbols compute, each as named series
// over a symbol's bars (NaN before warm-up). Moving averages, RSI, MACD, Bollinger, ATR and Donchian
// come from the project's array indicators (tested against trading-signals to 1e-9); the stochastic
// oscillator and ADX are trading-signals' own classes, fed bar by bar.
import { ADX, StochasticOscillator } from 'trading-signals';
import { z } from 'zod';
import { atr, bollinger, ema, macd, rollingHighest, rollingLowest, rsi, sma } from '../indicators/index.js';
import type { Bars } from '../market/bars.js';
import { InputError } from '../../errors.js';

export const indicatorTypes = [
  'sma',
  'ema',
  'rsi',
  'macd',
  'bollinger',
  'atr',
  'donchian',
  'stochastic',
  'adx',
] as const;
export type IndicatorType = (typeof indicatorTypes)[number];

export const indicatorSpecSchema = z.object({
  type: z
    .enum(indicatorTypes)
    .describe(
      'sma, ema (period 20), rsi (14), macd (fast 12, slow 26, signal 9), bollinger (period 20, k 2), atr (14), donchian (20), stochastic (period 14, smoothing 3, signal 3), adx (14).',
    ),
  period: z.number().int().min(1).max(1000).optional().describe('Window in bars; default per type (see type).'),
  fast: z.number().int().min(1).max(1000).optional().describe('macd: fast EMA period; default 12.'),
  slow: z.number().int().min(2).max(1000).optional().describe('macd: slow EMA period; default 26.'),
  signal: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('macd: signal EMA period (default 9); stochastic: %D period (default 3).'),
  k: z.number().gt(0).max(10).optional().describe('bollinger: band width in standard deviations; default 2.'),
  smoothing: z.number().int().min(1).max(100).optional().describe('stochastic: %K slowing period; default 3.'),
});
export type IndicatorSpec = z.output<typeof indicatorSpecSchema>;

export interface ComputedIndicator {
  /** e.g. "rsi(14)", "macd(12,26,9)". */
  name: string;
  type: IndicatorType;
  parameters: Record<string, number>;
  /** Named series, each as long as the bars. */
  series: Record<string, Float64Array>;
}

const defaults: Record<IndicatorType, number> = {
  sma: 20,
  ema: 20,
  rsi: 14,
  macd: 0,
  bollinger: 20,
  atr: 14,
  donchian: 20,
  stochastic: 14,
  adx: 14,
};

export const indicatorConventions = {
  ema: 'α = 2/(period+1), seeded with the SMA of the first period closes (TA-Lib)',
  rsi: "Wilder's smoothing (α = 1/period) of close-to-close gains and losses; first value at bar period",
  macd: 'EMA(fast) − EMA(slow) of closes; signal = EMA(signal) of the MACD line; histogram = MACD − signal',
  bollinger:
    'SMA(period) ± k × population standard deviation of the closes; percentB = (close − lower)/(upper − lower)',
  atr: "Wilder's average of the true range; the first bar (no previous close) is skipped (TA-Lib)",
  donchian: 'highest high and lowest low of the last period bars, this bar included; middle is their mean',
  stochastic:
    'trading-signals: fast %K = 100 × (close − lowest low)/(highest high − lowest low) over period; %K = SMA(smoothing) of it; %D = SMA(signal) of %K',
  adx: "trading-signals ADX with Wilder's smoothing; plusDI and minusDI in percent",
} as const;

/** One indicator over the bars; parameter problems name `field`. */
export function computeIndicator(bars: Bars, spec: IndicatorSpec, field: string): ComputedIndicator {
  const period = spec.period ?? defaults[spec.type];
  const { close, high, low } = bars;
  switch (spec.type) {
    case 'sma':
      return one(spec.type, { period }, { value: sma(close, period) });
    case 'ema':
      return one(spec.type, { period }, { value: ema(close, period) });
    case 'rsi':
      return one(spec.type, { period }, { value: rsi(close, period) });
    case 'macd': {
      const fast = spec.fast ?? 12;
      const slow = spec.slow ?? 26;
      const signal = spec.signal ?? 9;
      if (fast >= slow) throw new InputError(`${field}.fast`, `fast (${fast}) must be below slow (${slow})`);
      const lines = macd(close, fast, slow, signal);
      return one(
        spec.type,
        { fast, slow, signal },
        { macd: lines.macd, signal: lines.signal, histogram: lines.histogram },
      );
    }
    case 'bollinger': {
      const k = spec.k ?? 2;
      const bands = bollinger(close, period, k);
      const percentB = close.map((c, i) => (c - bands.lower[i]!) / (bands.upper[i]! - bands.lower[i]!));
      return one(spec.type, { period, k }, { upper: bands.upper, middle: bands.middle, lower: bands.lower, percentB });
    }
    case 'atr': {
      const value = atr(high, low, close, period);
      return one(spec.type, { period }, { value, percentOfClose: value.map((v, i) => (100 * v) / close[i]!) });
    }
    case 'donchian': {
      const upper = rollingHighest(high, period);
      const lower = rollingLowest(low, period);
      return one(spec.type, { period }, { upper, lower, middle: upper.map((u, i) => (u + lower[i]!) / 2) });
    }
    case 'stochastic': {
      const smoothing = spec.smoothing ?? 3;
      const signal = spec.signal ?? 3;
      const oscillator = new StochasticOscillator({ kPeriod: period, kSlowingPeriod: smoothing, dPeriod: signal });
      const k = nanSeries(close.length);
      const d = nanSeries(close.length);
      for (let i = 0; i < close.length; i++) {
        const result = oscillator.add({ high: high[i]!, low: low[i]!, close: close[i]! });
        if (result) [k[i], d[i]] = [result.stochK, result.stochD];
      }
      return one(spec.type, { period, smoothing, signal }, { k, d });
    }
    case 'adx': {
      const indicator = new ADX(period);
      const adx = nanSeries(close.length);
      const plusDI = nanSeries(close.length);
      const minusDI = nanSeries(close.length);
      for (let i = 0; i < close.length; i++) {
        const result = indicator.add({ high: high[i]!, low: low[i]!, close: close[i]! });
        if (result === null) continue;
        adx[i] = result;
        plusDI[i] = 100 * Number(indicator.pdi);
        minusDI[i] = 100 * Number(indicator.mdi);
      }
      return one(spec.type, { period }, { adx, plusDI, minusDI });
    }
  }
}

function one(type: IndicatorType, parameters: Record<string, number>, series: Record<string, Float64Array>) {
  return { name: `${type}(${Object.values(parameters).join(',')})`, type, parameters, series };
}

function nanSeries(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

/** A series value for JSON: null before warm-up (NaN) or where undefined. */
export function valueAt(series: Float64Array, i: number): number | null {
  const value = series[i];
  return value === undefined || !Number.isFinite(value) ? null : value;
}
