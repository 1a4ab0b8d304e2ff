// trading_find_drawdowns: the worst drawdown episodes of a symbol's closes (pyfolio's "worst
// drawdown periods"), each dated from peak to trough to recovery, with their lengths.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { barDate } from '../market/bars.js';
import { drawdownEpisodes } from './drawdowns.js';
import { symbolRangeFields, rangeOf, symbolBars } from './series.js';

const episode = z.object({
  rank: z.number().int().describe('1 = deepest'),
  depth: z.number().describe('trough close / peak close − 1 (negative)'),
  peak: z.string(),
  peakClose: z.number(),
  trough: z.string(),
  troughClose: z.number(),
  recovery: z.string().nullable().describe('first close at or above the peak close; null: not recovered by the end'),
  barsToTrough: z.number().int(),
  barsToRecover: z.number().int().nullable().describe('trough to recovery, in bars'),
  calendarDays: z.number().int().describe('peak to recovery (or to the end when not recovered), calendar days'),
});

export const findDrawdowns = defineTool({
  name: 'trading_find_drawdowns',
  domain: 'trading',
  tags: ['drawdown', 'crash', 'peak to trough', 'recovery', 'underwater', 'bear market', 'risk'],
  requests: [
    'the five deepest drawdowns of SPX',
    'how long did SPX take to recover from the 2020 crash',
    'is SPX below its all-time high and by how much',
    'all drawdowns of more than 10 percent',
  ],
  title: 'Worst drawdown episodes of a symbol',
  description:
    'Finds the drawdown episodes of a symbol’s daily closes in a date range: each from a peak through its trough to the first close back at the peak (or still open at the end), with depth, dates, closes, bars to the trough, bars to recover and calendar length, deepest first (at most `top`, ≤ 100; minDepth drops shallow ones). Also says how far the last close is below the running peak. For one summary figure with returns and Sharpe use trading_analyze_returns. Example: {"symbol": "SPX", "top": 5}',
  kind: { effect: 'readOnly' },
  input: z.object({
    ...symbolRangeFields,
    top: z.number().int().min(1).max(100).default(5).describe('Episodes listed, deepest first (1-100); default 5.'),
    minDepth: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe('Only episodes at least this deep, as a positive fraction (0.1 = 10%); default 0, all.'),
  }),
  output: z.object({
    symbol: z.string(),
    start: z.string(),
    end: z.string(),
    episodes: z.array(episode),
    found: z.number().int().describe('episodes at least minDepth deep; at most top are listed'),
    current: z.object({
      drawdown: z.number().describe('last close / running peak − 1 (0 at a new high)'),
      peak: z.string(),
      peakClose: z.number(),
    }),
  }),
  examples: [
    { symbol: 'SPX', top: 5 },
    { symbol: 'SPX', start: '2007-01-01', end: '2013-12-31', minDepth: 0.1 },
  ],
  async handler(input, context) {
    const { range } = rangeOf(await symbolBars(context, input.symbol), input.start, input.end, 2);
    const { close, time } = range;
    const n = close.length;
    const found = drawdownEpisodes(close)
      .filter((e) => -e.depth >= input.minDepth)
      .sort((a, b) => a.depth - b.depth);
    const day = 86_400_000;
    const episodes = found.slice(0, input.top).map((e, index) => ({
      rank: index + 1,
      depth: e.depth,
      peak: barDate(time[e.peak]!),
      peakClose: close[e.peak]!,
      trough: barDate(time[e.trough]!),
      troughClose: close[e.trough]!,
      recovery: e.recovery === undefined ? null : barDate(time[e.recovery]!),
      barsToTrough: e.trough - e.peak,
      barsToRecover: e.recovery === undefined ? null : e.recovery - e.trough,
      calendarDays: Math.round((time[e.recovery ?? n - 1]! - time[e.peak]!) / day),
    }));
    let peak = 0;
    for (let i = 1; i < n; i++) if (close[i]! >= close[peak]!) peak = i;
    return {
      symbol: range.symbol.toUpperCase(),
      start: barDate(time[0]!),
      end: barDate(time[n - 1]!),
      episodes,
      found: found.length,
      current: { drawdown: close[n - 1]! / close[peak]! - 1, peak: barDate(time[peak]!), peakClose: close[peak]! },
    };
  },
  summarize: (o) => {
    const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
    return [
      `${o.symbol} ${o.start}..${o.end}: ${o.found} drawdown episode(s)${o.episodes.length < o.found ? `, the ${o.episodes.length} deepest listed` : ''}`,
      ...o.episodes.map(
        (e) =>
          `${e.rank}. ${pct(e.depth)}: peak ${e.peak} (${e.peakClose}), trough ${e.trough} (${e.troughClose}) after ${e.barsToTrough} bars, ${e.recovery ? `recovered ${e.recovery} after ${e.barsToRecover} more bars` : 'not recovered'} (${e.calendarDays} days)`,
      ),
      `now ${pct(o.current.drawdown)} from the peak of ${o.current.peak} (${o.current.peakClose})`,
    ].join('\n');
  },
});
