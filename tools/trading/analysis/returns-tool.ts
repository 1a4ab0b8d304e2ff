// trading_analyze_returns: how a symbol itself performed over a date range, buy and hold, in the
// backtests' metric conventions (empyrical), with the worst drawdown dated and calendar-year returns.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { conventions, returnMetrics } from '../backtest/metrics.js';
import { barDate } from '../market/bars.js';
import { drawdownEpisodes } from './drawdowns.js';
import { closeReturns, symbolRangeFields, rangeOf, symbolBars } from './series.js';

const nullable = z.number().nullable();

export const analyzeReturns = defineTool({
  name: 'trading_analyze_returns',
  domain: 'trading',
  tags: [
    'returns',
    'performance',
    'sharpe',
    'sortino',
    'volatility',
    'cagr',
    'max drawdown',
    'buy and hold',
    'statistics',
  ],
  requests: [
    'how did SPX perform between two dates',
    'annualised volatility and Sharpe ratio of a ticker',
    'CAGR of the S&P 500 since 2000',
    'yearly returns of SPX',
    'best and worst day of SPX in 2008',
  ],
  title: 'Return statistics of a symbol',
  description:
    'Statistics of holding one symbol over a date range, from its daily closes (close-to-close simple returns, empyrical conventions: 252 periods a year, sample σ): total return, CAGR (by bars and by calendar days), annualised volatility, Sharpe and Sortino (with an optional annual risk-free rate), max drawdown with its peak, trough and recovery dates, Calmar, best and worst day, share of up days, and each calendar year’s return. For a strategy’s performance use trading_run_backtest; for every drawdown episode trading_find_drawdowns. Example: {"symbol": "SPX", "start": "2010-01-01", "end": "2019-12-31"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    ...symbolRangeFields,
    riskFreeRate: z
      .number()
      .min(-0.5)
      .max(1)
      .default(0)
      .describe(
        'Annual risk-free rate for Sharpe and Sortino, e.g. 0.02; converted to (1+rate)^(1/252) − 1 a day. Default 0.',
      ),
  }),
  output: z.object({
    symbol: z.string(),
    start: z.string().describe('first bar of the range (the start value)'),
    end: z.string(),
    bars: z.number().int(),
    returns: z.number().int().describe('daily returns (bars − 1)'),
    startClose: z.number(),
    endClose: z.number(),
    totalReturn: nullable,
    annualReturn: nullable.describe('CAGR by bars: (Π(1+r))^(252/returns) − 1'),
    calendarCagr: nullable.describe('CAGR by calendar days: (end/start)^(365.25/days) − 1'),
    annualVolatility: nullable,
    sharpe: nullable,
    sortino: nullable,
    calmar: nullable,
    maxDrawdown: z.object({
      depth: nullable.describe('trough / peak − 1; 0 when the close never fell below an earlier one'),
      peak: z.string().nullable(),
      trough: z.string().nullable(),
      recovery: z.string().nullable().describe('first close back at the peak; null if not recovered by end'),
    }),
    bestDay: z.object({ date: z.string(), return: z.number() }).nullable(),
    worstDay: z.object({ date: z.string(), return: z.number() }).nullable(),
    positiveDays: nullable.describe('share of daily returns > 0'),
    years: z
      .array(z.object({ year: z.number().int(), return: z.number(), partial: z.boolean() }))
      .describe('close-to-close return per calendar year inside the range; partial when the range cuts the year'),
    riskFreeRate: z.number(),
    undefinedBecause: z.record(z.string(), z.string()),
    conventions: z.record(z.string(), z.union([z.string(), z.number()])),
  }),
  examples: [
    { symbol: 'SPX', start: '2010-01-01', end: '2019-12-31' },
    { symbol: 'SPX', riskFreeRate: 0.02 },
  ],
  async handler(input, context) {
    const { range } = rangeOf(await symbolBars(context, input.symbol), input.start, input.end, 2);
    const { close, time } = range;
    const n = close.length;
    const returns = closeReturns(range);
    const base = returnMetrics(returns);
    const perDay = (1 + input.riskFreeRate) ** (1 / 252) - 1;
    const excess = perDay === 0 ? base : returnMetrics(returns.map((r) => r - perDay));
    const undefinedBecause = { ...base.undefinedBecause };
    for (const name of ['sharpe', 'sortino'])
      if (excess.undefinedBecause[name]) undefinedBecause[name] = excess.undefinedBecause[name];
      else delete undefinedBecause[name];
    const worst = drawdownEpisodes(close).reduce<ReturnType<typeof drawdownEpisodes>[number] | undefined>(
      (w, e) => (!w || e.depth < w.depth ? e : w),
      undefined,
    );
    let best = 0;
    let low = 0;
    let up = 0;
    for (let i = 0; i < returns.length; i++) {
      if (returns[i]! > returns[best]!) best = i;
      if (returns[i]! < returns[low]!) low = i;
      if (returns[i]! > 0) up++;
    }
    const days = (time[n - 1]! - time[0]!) / 86_400_000;
    return {
      symbol: range.symbol.toUpperCase(),
      start: barDate(time[0]!),
      end: barDate(time[n - 1]!),
      bars: n,
      returns: returns.length,
      startClose: close[0]!,
      endClose: close[n - 1]!,
      totalReturn: base.totalReturn,
      annualReturn: base.annualReturn,
      calendarCagr: days > 0 ? (close[n - 1]! / close[0]!) ** (365.25 / days) - 1 : null,
      annualVolatility: base.annualVolatility,
      sharpe: excess.sharpe,
      sortino: excess.sortino,
      calmar: base.calmar,
      maxDrawdown: {
        depth: worst ? worst.depth : 0,
        peak: worst ? barDate(time[worst.peak]!) : null,
        trough: worst ? barDate(time[worst.trough]!) : null,
        recovery: worst?.recovery === undefined ? null : barDate(time[worst.recovery]!),
      },
      bestDay: { date: barDate(time[best + 1]!), return: returns[best]! },
      worstDay: { date: barDate(time[low + 1]!), return: returns[low]! },
      positiveDays: up / returns.length,
      years: yearReturns(time, close),
      riskFreeRate: input.riskFreeRate,
      undefinedBecause,
      conventions: {
        annualization: conventions.annualization,
        ddof: conventions.ddof,
        returns: 'simple close-to-close returns; the first bar of the range is the start value',
        annualReturn: conventions.annualReturn,
        sharpe: 'mean(r − rf) / std(r − rf, ddof 1) × √252, rf = (1 + riskFreeRate)^(1/252) − 1 per day',
        sortino: 'mean(r − rf) × 252 / (√mean(min(r − rf, 0)²) × √252), over all periods (empyrical)',
        maxDrawdown: conventions.maxDrawdown,
        calmar: conventions.calmar,
      },
    };
  },
  summarize: (o) => {
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)}%`);
    const dd = o.maxDrawdown;
    return [
      `${o.symbol} ${o.start}..${o.end} (${o.returns} daily returns): total ${pct(o.totalReturn)}, CAGR ${pct(o.annualReturn)}, volatility ${pct(o.annualVolatility)}, Sharpe ${o.sharpe?.toFixed(3) ?? 'n/a'}, Sortino ${o.sortino?.toFixed(3) ?? 'n/a'}`,
      `max drawdown ${pct(dd.depth)} (peak ${dd.peak ?? '-'}, trough ${dd.trough ?? '-'}, ${dd.recovery ? `recovered ${dd.recovery}` : 'not recovered'}), Calmar ${o.calmar?.toFixed(3) ?? 'n/a'}`,
      `best day ${o.bestDay ? `${o.bestDay.date} ${pct(o.bestDay.return)}` : '-'}, worst day ${o.worstDay ? `${o.worstDay.date} ${pct(o.worstDay.return)}` : '-'}, up days ${pct(o.positiveDays)}`,
      `years: ${o.years.map((y) => `${y.year}${y.partial ? '*' : ''} ${pct(y.return)}`).join(', ')}${o.years.some((y) => y.partial) ? ' (* partial)' : ''}`,
    ].join('\n');
  },
});

/**
 * Each calendar year's return: its last close in the range over the previous year's last close (for
 * the range's first year, over the range's first close). Partial: the first year (it misses the
 * return into its first bar) and a last year that ends before the last week of December.
 */
function yearReturns(time: Float64Array, close: Float64Array) {
  const years: { year: number; return: number; partial: boolean }[] = [];
  const n = close.length;
  const yearOf = (i: number) => new Date(time[i]!).getUTCFullYear();
  let baseClose = close[0]!;
  for (let i = 1; i < n; i++) {
    if (i < n - 1 && yearOf(i + 1) === yearOf(i)) continue;
    const date = new Date(time[i]!);
    const endsYear = date.getUTCMonth() === 11 && date.getUTCDate() >= 24;
    years.push({ year: yearOf(i), return: close[i]! / baseClose - 1, partial: years.length === 0 || !endsYear });
    baseClose = close[i]!;
  }
  return years;
}
