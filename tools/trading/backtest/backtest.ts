// One backtest of a declarative strategy on a symbol's bars: signals, the engine, metrics with their
// conventions, a buy-and-hold benchmark, the downsampled equity curve, trades and the look-ahead check.
import { barDate, sliceBars, type Bars } from '../market/bars.js';
import { defaultCosts, type CostModel } from '../costs.js';
import { InputError } from '../../errors.js';
import { defaultCapital, runEngine, type Sizing } from './engine.js';
import { checkLookAhead, samplePrefixEnds, type LookAheadReport } from './look-ahead.js';
import { conventions, returnMetrics, runMetrics, type Conventions, type Metrics } from './metrics.js';
import { downsampleEquity, tradeRows, type EquityPoint, type TradeRow } from './report.js';
import { computeSignals, IndicatorCache, type AnyStrategy, type SignalProviders } from './signals.js';
import { checkWarmup, warmup } from './strategy.js';

export interface BacktestOptions {
  costs?: CostModel;
  sizing?: Sizing;
  initialCapital?: number;
  /** First date evaluated (YYYY-MM-DD, inclusive): the run starts flat at that bar's close. Earlier bars still warm the indicators up. */
  start?: string;
  /** Last date evaluated (inclusive). Later bars are cut off before any signal is computed. */
  end?: string;
  maxTrades?: number;
  maxEquityPoints?: number;
  providers?: SignalProviders;
  signal?: AbortSignal;
}

export interface BacktestResult {
  symbol: string;
  source: string;
  start: string;
  end: string;
  bars: number;
  finalEquity: number;
  initialCapital: number;
  metrics: Metrics;
  /** Buy and hold: the return metrics of the close-to-close returns over the same bars. */
  benchmark: Omit<Metrics, 'winRate' | 'exposure' | 'turnover' | 'tradeCount'>;
  conventions: Conventions;
  costs: CostModel;
  sizing: Sizing;
  equity: EquityPoint[];
  trades: TradeRow[];
  tradesTotal: number;
  lookAhead: LookAheadReport;
}

export const defaultMaxTrades = 100;

export async function runBacktest(
  bars: Bars,
  strategy: AnyStrategy,
  options: BacktestOptions = {},
): Promise<BacktestResult> {
  const { first, last } = dateRange(bars, options.start, options.end);
  const usable = last + 1 < bars.close.length ? sliceBars(bars, 0, last + 1) : bars;
  if (last - first < 1)
    throw new InputError(
      'start',
      `the range ${barDate(bars.time[first]!)}..${barDate(bars.time[last]!)} has ${last - first + 1} bar; a backtest needs at least 2`,
    );
  if (strategy.type !== 'peek_ahead') checkWarmup(strategy, last + 1, `the data up to ${barDate(bars.time[last]!)}`);
  const costs = options.costs ?? defaultCosts;
  const sizing = options.sizing ?? { fraction: 1 };
  const initialCapital = options.initialCapital ?? defaultCapital;
  const cache = new IndicatorCache(usable);
  const targets = await computeSignals(strategy, usable, {
    providers: options.providers,
    cache,
    signal: options.signal,
  });
  const sigma = sizing.volatilityTarget ? cache.volatility(sizing.volatilityTarget.lookback) : undefined;
  const run = runEngine(usable, targets, { costs, sizing, initialCapital, from: first + 1, to: last + 1, sigma });
  const ends = samplePrefixEnds(last + 1, Math.max(first, strategy.type === 'peek_ahead' ? 0 : warmup(strategy)));
  const lookAhead = await checkLookAhead(strategy, usable, targets, ends, {
    providers: options.providers,
    signal: options.signal,
  });
  const closes = new Float64Array(last - first);
  for (let t = first + 1; t <= last; t++) closes[t - first - 1] = usable.close[t]! / usable.close[t - 1]! - 1;
  return {
    symbol: bars.symbol,
    source: bars.source,
    start: barDate(bars.time[first]!),
    end: barDate(bars.time[last]!),
    bars: last - first + 1,
    finalEquity: run.equity[run.equity.length - 1]!,
    initialCapital,
    metrics: runMetrics(run),
    benchmark: returnMetrics(closes),
    conventions,
    costs,
    sizing,
    equity: downsampleEquity(run, usable, options.maxEquityPoints),
    trades: tradeRows(run, usable, options.maxTrades ?? defaultMaxTrades),
    tradesTotal: run.trades.length,
    lookAhead,
  };
}

/** Indices of the first and last bar inside [start, end] (dates inclusive). */
export function dateRange(bars: Bars, start?: string, end?: string): { first: number; last: number } {
  const n = bars.close.length;
  if (n === 0) throw new InputError('symbol', `${bars.symbol} has no bars`);
  const parse = (value: string, field: string) => {
    const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isNaN(time)) throw new InputError(field, `"${value}" is not a date; use YYYY-MM-DD`);
    return time;
  };
  let first = 0;
  let last = n - 1;
  if (start) {
    const time = parse(start, 'start');
    while (first < n && bars.time[first]! < time) first++;
  }
  if (end) {
    const time = parse(end, 'end');
    while (last >= 0 && bars.time[last]! > time) last--;
  }
  if (first >= n || last < 0 || first > last)
    throw new InputError(
      start ? 'start' : 'end',
      `no bars of ${bars.symbol} ${start && end ? `from ${start} to ${end}` : start ? `from ${start} on` : `up to ${end}`}; the data runs ${barDate(bars.time[0]!)}..${barDate(bars.time[n - 1]!)}; pick dates inside it`,
    );
  return { first, last };
}
