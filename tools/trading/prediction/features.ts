// The feature vocabulary a model's input contract may name, computed from daily bars. Every feature
// at bar t reads bars t-1 and t only, so a window ending at t never sees the future; a window of W
// bars therefore needs W + 1 bars (the one before the window gives the first return).
import type { Bars } from '../market/bars.js';

export const featureNames = [
  'log_return',
  'gap',
  'high_low_range',
  'close_open',
  'close_position',
  'volume_change',
] as const;
export type FeatureName = (typeof featureNames)[number];

/** What each feature is, for descriptions and error messages. */
export const featureMeaning: Record<FeatureName, string> = {
  log_return: 'ln(close[t] / close[t-1])',
  gap: 'ln(open[t] / close[t-1])',
  high_low_range: '(high[t] - low[t]) / close[t]',
  close_open: '(close[t] - open[t]) / open[t]',
  close_position: '(close[t] - low[t]) / (high[t] - low[t]), 0.5 when high = low',
  volume_change: 'ln(volume[t] / volume[t-1]), 0 when either volume is 0',
};

/** Bars a feature reads before the one it describes. */
export const featureLookback = 1;

export type Normalisation =
  { kind: 'none' } | { kind: 'window-zscore' } | { kind: 'fixed'; mean: number[]; std: number[] };

export function featureValue(bars: Bars, feature: FeatureName, t: number): number {
  const { open, high, low, close, volume } = bars;
  switch (feature) {
    case 'log_return':
      return Math.log(close[t]! / close[t - 1]!);
    case 'gap':
      return Math.log(open[t]! / close[t - 1]!);
    case 'high_low_range':
      return (high[t]! - low[t]!) / close[t]!;
    case 'close_open':
      return (close[t]! - open[t]!) / open[t]!;
    case 'close_position': {
      const range = high[t]! - low[t]!;
      return range > 0 ? (close[t]! - low[t]!) / range : 0.5;
    }
    case 'volume_change':
      return volume[t]! > 0 && volume[t - 1]! > 0 ? Math.log(volume[t]! / volume[t - 1]!) : 0;
  }
}

/** The first bar index at which a window of `window` bars can end. */
export function firstWindowEnd(window: number): number {
  return window - 1 + featureLookback;
}

/**
 * Writes the [window, features] block for the window ending at bar `end` into `out` at `offset`,
 * normalised as the contract says. Values are computed in float64 and stored as float32, as the
 * model reads them. Returns the position (row × features + feature) of the first raw value that is not
 * finite (a zero price, a gap), or -1: normalising would spread it over the whole column.
 */
export function fillWindow(
  bars: Bars,
  features: readonly FeatureName[],
  window: number,
  normalisation: Normalisation,
  end: number,
  out: Float32Array,
  offset: number,
  scratch: Float64Array = new Float64Array(window * features.length),
): number {
  const width = features.length;
  const start = end - window + 1;
  let bad = -1;
  for (let row = 0; row < window; row++) {
    for (let f = 0; f < width; f++) {
      const value = featureValue(bars, features[f]!, start + row);
      if (bad < 0 && !Number.isFinite(value)) bad = row * width + f;
      scratch[row * width + f] = value;
    }
  }
  for (let f = 0; f < width; f++) {
    let mean = 0;
    let std = 1;
    if (normalisation.kind === 'fixed') {
      mean = normalisation.mean[f]!;
      std = normalisation.std[f]!;
    } else if (normalisation.kind === 'window-zscore') {
      ({ mean, std } = columnMoments(scratch, window, width, f));
    }
    for (let row = 0; row < window; row++) {
      const index = row * width + f;
      out[offset + index] = (scratch[index]! - mean) / std;
    }
  }
  return bad;
}

/** Mean and population standard deviation of one feature over the window; std 1 when it is flat. */
function columnMoments(values: Float64Array, window: number, width: number, f: number) {
  let sum = 0;
  for (let row = 0; row < window; row++) sum += values[row * width + f]!;
  const mean = sum / window;
  let squares = 0;
  for (let row = 0; row < window; row++) squares += (values[row * width + f]! - mean) ** 2;
  const std = Math.sqrt(squares / window);
  return { mean, std: std > 1e-12 ? std : 1 };
}
