// What the analysis tools share: a symbol's bars cut to a date range (earlier bars kept for indicator
// warm-up when asked), close-to-close returns, and returns of several symbols on their common dates.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { InputError } from '../../errors.js';
import { dateRange } from '../backtest/backtest.js';
import { barDate, sliceBars, type Bars } from '../market/bars.js';
import { createBarSource, symbolPattern } from '../market/market-store.js';

export const dateField = (what: string) =>
  `${what} date, YYYY-MM-DD (inclusive); default the ${what === 'First' ? 'first' : 'last'} bar held.`;

/** A symbol's bars from the market data directory (or the provider), errors pointed at `field`. */
export async function symbolBars(context: ToolContext, symbol: string, field = 'symbol'): Promise<Bars> {
  try {
    return await createBarSource(context.environment)(symbol, context.signal);
  } catch (error) {
    if (error instanceof InputError && error.field !== field)
      throw new InputError(field, error.message.replace(/^[a-z.]+: /, ''));
    throw error;
  }
}

export interface RangedBars {
  /** All bars up to the end of the range (for warm-up). */
  history: Bars;
  /** The bars inside [start, end]. */
  range: Bars;
  /** Index of the range's first bar in history. */
  first: number;
}

/** The bars inside [start, end] (inclusive); refuses a range with fewer than `minimum` bars. */
export function rangeOf(bars: Bars, start: string | undefined, end: string | undefined, minimum = 1): RangedBars {
  const { first, last } = dateRange(bars, start, end);
  if (last - first + 1 < minimum)
    throw new InputError(
      start ? 'start' : 'end',
      `${bars.symbol} has ${last - first + 1} bar(s) from ${barDate(bars.time[first]!)} to ${barDate(bars.time[last]!)}; at least ${minimum} are needed; widen the range`,
    );
  const history = sliceBars(bars, 0, last + 1);
  return { history, range: sliceBars(bars, first, last + 1), first };
}

/** Simple close-to-close returns: r[i] = close[i+1] / close[i] − 1 (one fewer than the bars). */
export function closeReturns(bars: Bars): Float64Array {
  const n = bars.close.length;
  const out = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) out[i - 1] = bars.close[i]! / bars.close[i - 1]! - 1;
  return out;
}

export interface AlignedReturns {
  /** The common dates (bar times) on which every symbol has a bar. */
  times: Float64Array;
  /** Per symbol, returns between consecutive common dates (one fewer than times). */
  returns: Float64Array[];
}

/**
 * Closes of several symbols on the dates all of them traded (inside [start, end]), and each symbol's
 * simple returns between consecutive common dates: a holiday of one market is skipped for all, so
 * every return covers the same span for every symbol.
 */
export function alignReturns(all: readonly Bars[], start?: number, end?: number): AlignedReturns {
  const inRange = (t: number) => (start === undefined || t >= start) && (end === undefined || t <= end);
  let common = new Set<number>(Array.from(all[0]!.time).filter(inRange));
  for (const bars of all.slice(1)) {
    const next = new Set<number>();
    for (const t of bars.time) if (common.has(t)) next.add(t);
    common = next;
  }
  const times = Float64Array.from([...common].sort((a, b) => a - b));
  const returns = all.map((bars) => {
    const index = new Map<number, number>();
    bars.time.forEach((t, i) => index.set(t, i));
    const out = new Float64Array(Math.max(0, times.length - 1));
    for (let k = 1; k < times.length; k++)
      out[k - 1] = bars.close[index.get(times[k]!)!]! / bars.close[index.get(times[k - 1]!)!]! - 1;
    return out;
  });
  return { times, returns };
}

/** A YYYY-MM-DD date as epoch ms (midnight UTC); the field named when it is not a date. */
export function parseDate(value: string, field: string): number {
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(time)) throw new InputError(field, `"${value}" is not a date; use YYYY-MM-DD`);
  return time;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/** Sample standard deviation (ddof 1). */
export function sampleStd(values: ArrayLike<number>): number {
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** The input fields of a tool over one symbol's bars in a date range. */
export const symbolRangeFields = {
  symbol: z
    .string()
    .regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -')
    .describe('Symbol with bars in the market data directory, e.g. "SPX".'),
  start: z.string().max(30).optional().describe(dateField('First')),
  end: z.string().max(30).optional().describe(dateField('Last')),
};
