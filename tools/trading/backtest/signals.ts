// From a declarative strategy to a target position per bar in {-1, 0, 1}. The value at bar t is
// computed from bars[0..t] only; the engine then trades it at bar t+1's open. Indicators come from an
// IndicatorCache, so a grid computes each window's series once however many combinations use it.
import type { Bars } from '../market/bars.js';
import { InputError } from '../../errors.js';
import { ema, rollingHighest, rollingLowest, rsi, sma } from '../indicators/index.js';
import { rollingVolatility } from './engine.js';
import type { CombineStrategy, LeafStrategy, Strategy } from './strategy.js';

/**
 * Where follow_model and follow_committee get their inputs. Each returns one value per bar of `bars`,
 * and the value at t must depend on bars[0..t] only (the look-ahead check calls it on prefixes).
 */
export interface SignalProviders {
  model?(
    bars: Bars,
    spec: { model?: string },
    signal?: AbortSignal,
  ): Promise<{ direction: Int8Array; confidence: Float64Array }>;
  committee?(
    bars: Bars,
    spec: { model?: string },
    signal?: AbortSignal,
  ): Promise<{ direction: Int8Array; consensus: Float64Array }>;
  /**
   * The live committee's thresholds (config trading.committee.proposalConfidence and .consensus),
   * used when a strategy leaves minConfidence / minConsensus out.
   */
  thresholds?: { proposalConfidence: number; consensus: number };
}

/** Used when neither the strategy nor the providers give a threshold (the committee's defaults). */
export const defaultThresholds = { proposalConfidence: 0.65, consensus: 0.7 } as const;

/**
 * A strategy that reads the next bar's close. Not reachable from the zod schema: it exists so that
 * tests can prove the look-ahead check flags a strategy that peeks.
 */
export interface PeekingStrategy {
  type: 'peek_ahead';
}

export type AnyStrategy = Strategy | PeekingStrategy;

/** Indicator series of one set of bars, each computed once. */
export class IndicatorCache {
  private readonly series = new Map<string, Float64Array>();
  constructor(readonly bars: Bars) {}

  private get(key: string, make: () => Float64Array): Float64Array {
    let value = this.series.get(key);
    if (!value) {
      value = make();
      this.series.set(key, value);
    }
    return value;
  }
  sma(period: number) {
    return this.get(`sma:${period}`, () => sma(this.bars.close, period));
  }
  ema(period: number) {
    return this.get(`ema:${period}`, () => ema(this.bars.close, period));
  }
  rsi(period: number) {
    return this.get(`rsi:${period}`, () => rsi(this.bars.close, period));
  }
  highest(period: number) {
    return this.get(`highest:${period}`, () => rollingHighest(this.bars.high, period));
  }
  lowest(period: number) {
    return this.get(`lowest:${period}`, () => rollingLowest(this.bars.low, period));
  }
  /** σ of volatility targeting (engine.ts rollingVolatility). */
  volatility(lookback: number) {
    return this.get(`volatility:${lookback}`, () => rollingVolatility(this.bars.close, lookback));
  }
}

export interface SignalOptions {
  providers?: SignalProviders;
  cache?: IndicatorCache;
  signal?: AbortSignal;
}

/** Target positions for every bar (Int8Array of -1, 0, 1). */
export async function computeSignals(
  strategy: AnyStrategy,
  bars: Bars,
  options: SignalOptions = {},
): Promise<Int8Array> {
  const cache = options.cache ?? new IndicatorCache(bars);
  if (strategy.type === 'combine') {
    const members: Int8Array[] = [];
    for (const member of strategy.members) members.push(await computeSignals(member, bars, { ...options, cache }));
    return combineSignals(strategy, members);
  }
  if (strategy.type === 'follow_model') {
    const model = options.providers?.model;
    if (!model)
      throw new InputError(
        'strategy.type',
        'follow_model needs a prediction backend; configure trading.prediction or use a rule strategy',
      );
    const { direction, confidence } = await model(bars, { model: strategy.model }, options.signal);
    const minimum =
      strategy.minConfidence ??
      options.providers?.thresholds?.proposalConfidence ??
      defaultThresholds.proposalConfidence;
    return gated(direction, confidence, minimum, strategy.allowShort, bars);
  }
  if (strategy.type === 'follow_committee') {
    const committee = options.providers?.committee;
    if (!committee)
      throw new InputError(
        'strategy.type',
        'follow_committee needs the committee; it is not available here, use a rule strategy',
      );
    const { direction, consensus } = await committee(
      bars,
      { ...(strategy.model ? { model: strategy.model } : {}) },
      options.signal,
    );
    const minimum = strategy.minConsensus ?? options.providers?.thresholds?.consensus ?? defaultThresholds.consensus;
    return gated(direction, consensus, minimum, strategy.allowShort, bars);
  }
  return ruleSignals(strategy, cache);
}

/**
 * Signals of a rule strategy (no provider), synchronously: what grids call in their inner loop.
 * `from` lets a caller that needs only the last values skip the rest where the rule has no state
 * (the crossovers); rules with state always run from the first bar.
 */
export function ruleSignals(
  strategy: Exclude<LeafStrategy, { type: 'follow_model' | 'follow_committee' }> | PeekingStrategy,
  cache: IndicatorCache,
  out?: Int8Array,
  from = 0,
): Int8Array {
  const n = cache.bars.close.length;
  const target = out ?? new Int8Array(n);
  switch (strategy.type) {
    case 'sma_crossover':
      crossover(cache.sma(strategy.fast), cache.sma(strategy.slow), strategy.allowShort, target, from);
      break;
    case 'ema_crossover':
      crossover(cache.ema(strategy.fast), cache.ema(strategy.slow), strategy.allowShort, target, from);
      break;
    case 'rsi_reversion':
      reversion(cache.rsi(strategy.period), strategy.lower, strategy.upper, strategy.allowShort, target);
      break;
    case 'breakout':
      channelBreakout(cache, strategy.lookback, strategy.exitLookback, strategy.allowShort, target);
      break;
    case 'peek_ahead': {
      const close = cache.bars.close;
      for (let t = 0; t < n; t++)
        target[t] = (close[t + 1] as number | undefined) !== undefined && close[t + 1]! > close[t]! ? 1 : 0;
      break;
    }
  }
  return target;
}

/** Long while fast > slow; short (or flat) while fast < slow; flat while either is warming up. */
export function crossover(
  fast: Float64Array,
  slow: Float64Array,
  allowShort: boolean,
  target: Int8Array,
  from = 0,
): void {
  const below = allowShort ? -1 : 0;
  for (let t = from; t < target.length; t++) {
    const f = fast[t]!;
    const s = slow[t]!;
    target[t] = f > s ? 1 : f < s ? below : 0;
  }
}

/** Long below lower; flat (or short) above upper; the position is held in between. */
function reversion(values: Float64Array, lower: number, upper: number, allowShort: boolean, target: Int8Array): void {
  let position = 0;
  for (let t = 0; t < target.length; t++) {
    const value = values[t]!;
    if (value < lower) position = 1;
    else if (value > upper) position = allowShort ? -1 : 0;
    target[t] = position;
  }
}

/** Enter on a close beyond the prior lookback bars' extreme, leave on a close beyond the prior exitLookback bars' opposite extreme. */
function channelBreakout(
  cache: IndicatorCache,
  lookback: number,
  exitLookback: number,
  allowShort: boolean,
  target: Int8Array,
): void {
  const close = cache.bars.close;
  const entryHigh = cache.highest(lookback);
  const entryLow = cache.lowest(lookback);
  const exitLow = cache.lowest(exitLookback);
  const exitHigh = cache.highest(exitLookback);
  let position = 0;
  if (target.length > 0) target[0] = 0;
  for (let t = 1; t < target.length; t++) {
    const price = close[t]!;
    if (position === 1 && price < exitLow[t - 1]!) position = 0;
    else if (position === -1 && price > exitHigh[t - 1]!) position = 0;
    if (position === 0) {
      if (price > entryHigh[t - 1]!) position = 1;
      else if (allowShort && price < entryLow[t - 1]!) position = -1;
    }
    target[t] = position;
  }
}

/** A position only where the strength is strictly above the minimum, as the live committee decides. */
function gated(
  direction: Int8Array,
  strength: Float64Array,
  minimum: number,
  allowShort: boolean,
  bars: Bars,
): Int8Array {
  const n = bars.close.length;
  if (direction.length !== n || strength.length !== n)
    throw new Error(`a signal provider returned ${direction.length} values for ${n} bars`);
  const target = new Int8Array(n);
  for (let t = 0; t < n; t++) {
    const d = Math.sign(direction[t]!);
    target[t] = strength[t]! > minimum && (d > 0 || allowShort) ? d : 0;
  }
  return target;
}

/** Combines member positions bar by bar (see the schema's description of each mode). */
export function combineSignals(strategy: CombineStrategy, members: readonly Int8Array[]): Int8Array {
  const n = members[0]!.length;
  const count = members.length;
  const weights = strategy.weights ?? members.map(() => 1);
  const totalWeight = weights.reduce((sum, w) => sum + w, 0);
  const target = new Int8Array(n);
  for (let t = 0; t < n; t++) {
    let longs = 0;
    let shorts = 0;
    let weighted = 0;
    for (let m = 0; m < count; m++) {
      const p = members[m]![t]!;
      if (p > 0) longs++;
      else if (p < 0) shorts++;
      weighted += weights[m]! * p;
    }
    let position = 0;
    if (strategy.mode === 'all') position = longs === count ? 1 : shorts === count ? -1 : 0;
    else if (strategy.mode === 'any') position = longs > 0 && shorts === 0 ? 1 : shorts > 0 && longs === 0 ? -1 : 0;
    else if (strategy.mode === 'majority') position = longs * 2 > count ? 1 : shorts * 2 > count ? -1 : 0;
    else {
      const mean = weighted / totalWeight;
      position = mean >= strategy.threshold ? 1 : mean <= -strategy.threshold ? -1 : 0;
    }
    target[t] = position < 0 && !strategy.allowShort ? 0 : position;
  }
  return target;
}
