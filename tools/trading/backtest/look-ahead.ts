// The prefix-invariance check that runs in every backtest: signals recomputed on bars[0..t] must
// equal the full run's signals up to t at a few sampled t. A strategy (or an indicator) that reads a
// later bar gives different values once the later bars are cut away, and is flagged.
import { barDate, sliceBars, type Bars } from '../market/bars.js';
import { computeSignals, IndicatorCache, ruleSignals, type AnyStrategy, type SignalOptions } from './signals.js';

export interface LookAheadViolation {
  /** The first bar where the prefix run's signal differs from the full run's. */
  t: number;
  date: string;
  /** Length of the prefix (bars[0..prefixEnd]) that showed it. */
  prefixEnd: number;
  full: number;
  prefix: number;
}

export interface LookAheadReport {
  checked: number[];
  ok: boolean;
  violations: LookAheadViolation[];
}

/**
 * Deterministic sample of prefix ends: the next-to-last bar (the prefix ending at the last bar is the
 * full run, so it can show nothing) and evenly spaced bars from the first one after warm-up; at most
 * `count`, distinct, ascending.
 */
export function samplePrefixEnds(n: number, warmup: number, count = 5): number[] {
  if (n < 3) return [];
  const last = n - 2;
  const first = Math.min(last, Math.max(1, warmup));
  const ends = new Set<number>([last]);
  for (let k = 0; k < count - 1 && ends.size < count; k++)
    ends.add(first + Math.floor(((last - first) * k) / (count - 1)));
  return [...ends].sort((a, b) => a - b);
}

/** Prefix caches by prefix end, shared by every combination of a grid (each window's series once per prefix). */
export class PrefixCaches {
  private readonly caches = new Map<number, IndicatorCache>();
  private readonly scratch = new Map<number, Int8Array>();
  constructor(readonly bars: Bars) {}
  /** A reusable target array for the prefix ending at `end`. */
  buffer(end: number): Int8Array {
    let buffer = this.scratch.get(end);
    if (!buffer) {
      buffer = new Int8Array(end + 1);
      this.scratch.set(end, buffer);
    }
    return buffer;
  }
  get(end: number): IndicatorCache {
    let cache = this.caches.get(end);
    if (!cache) {
      cache = new IndicatorCache(sliceBars(this.bars, 0, end + 1));
      this.caches.set(end, cache);
    }
    return cache;
  }
}

export async function checkLookAhead(
  strategy: AnyStrategy,
  bars: Bars,
  full: Int8Array,
  ends: readonly number[],
  options: SignalOptions & { prefixes?: PrefixCaches } = {},
): Promise<LookAheadReport> {
  const prefixes = options.prefixes ?? new PrefixCaches(bars);
  const violations: LookAheadViolation[] = [];
  for (const end of ends) {
    const cache = prefixes.get(end);
    const prefix = await computeSignals(strategy, cache.bars, { ...options, cache });
    const violation = firstDifference(full, prefix, end, bars);
    if (violation) violations.push(violation);
  }
  return { checked: [...ends], ok: violations.length === 0, violations };
}

/**
 * The same check for rule strategies, synchronously, reusing scratch arrays: a grid's inner loop. It
 * compares the signal at each prefix's last bar (the check's definition), which lets a stateless rule
 * compute that one value from the prefix's own indicators.
 */
export function checkRuleLookAhead(
  strategy: Parameters<typeof ruleSignals>[0],
  full: Int8Array,
  ends: readonly number[],
  prefixes: PrefixCaches,
): LookAheadReport {
  const violations: LookAheadViolation[] = [];
  for (const end of ends) {
    const prefix = ruleSignals(strategy, prefixes.get(end), prefixes.buffer(end), end);
    if (prefix[end] !== full[end]) {
      const date = barDate(prefixes.bars.time[end]!);
      violations.push({ t: end, date, prefixEnd: end, full: full[end]!, prefix: prefix[end]! });
    }
  }
  return { checked: [...ends], ok: violations.length === 0, violations };
}

function firstDifference(full: Int8Array, prefix: Int8Array, end: number, bars: Bars): LookAheadViolation | undefined {
  for (let t = 0; t <= end; t++) {
    if (full[t] !== prefix[t])
      return { t, date: barDate(bars.time[t]!), prefixEnd: end, full: full[t]!, prefix: prefix[t]! };
  }
  return undefined;
}
