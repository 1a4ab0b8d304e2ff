// Daily OHLCV bars, held column-wise in typed arrays: backtests and grid searches walk millions of
// bars, and a Float64Array per field is what keeps those loops fast and allocation-free.

export interface Bars {
  symbol: string;
  /** Bar time as epoch milliseconds, UTC (a daily bar's date at 00:00Z). Strictly increasing. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Where the bars came from: a file path, a provider URL (with no credential), or `memory`. */
  source: string;
}

/** Gets a symbol's bars (from the market data directory, a provider, or a test's memory). */
export type BarSource = (symbol: string, signal?: AbortSignal) => Promise<Bars>;

export function barCount(bars: Bars): number {
  return bars.close.length;
}

/** Bars [start, end) as views on the same memory (no copy). */
export function sliceBars(bars: Bars, start: number, end: number): Bars {
  return {
    symbol: bars.symbol,
    source: bars.source,
    time: bars.time.subarray(start, end),
    open: bars.open.subarray(start, end),
    high: bars.high.subarray(start, end),
    low: bars.low.subarray(start, end),
    close: bars.close.subarray(start, end),
    volume: bars.volume.subarray(start, end),
  };
}

/** A bar time as YYYY-MM-DD (daily bars) or a full ISO time when it is not midnight UTC. */
export function barDate(time: number): string {
  const iso = new Date(time).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** Builds bars from rows; used by loaders and tests. */
export function barsFromRows(
  symbol: string,
  source: string,
  rows: readonly { time: number; open: number; high: number; low: number; close: number; volume: number }[],
): Bars {
  const column = (pick: (row: (typeof rows)[number]) => number) => Float64Array.from(rows, pick);
  return {
    symbol,
    source,
    time: column((r) => r.time),
    open: column((r) => r.open),
    high: column((r) => r.high),
    low: column((r) => r.low),
    close: column((r) => r.close),
    volume: column((r) => r.volume),
  };
}
