// trading_get_bars: a symbol's stored daily OHLCV bars for a date range, within a row budget that
// says when it cut the answer and how to get the rest.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { barDate } from '../market/bars.js';
import { symbolRangeFields, rangeOf, symbolBars } from './series.js';

export const maxBarRows = 5_000;

const barRow = z.object({
  date: z.string(),
  open: z.number(),
  high: z.number(),
  low: z.number(),
  close: z.number(),
  volume: z.number(),
});

export const getBars = defineTool({
  name: 'trading_get_bars',
  domain: 'trading',
  tags: ['market data', 'ohlcv', 'candles', 'prices', 'closing prices', 'quotes', 'read'],
  requests: [
    'show the OHLCV candles of a ticker between two dates',
    'read the stored daily prices of SPX',
    'what did SPX close at on a given day',
    'the last 20 daily bars of a symbol',
  ],
  title: 'Read a symbol’s daily OHLCV bars',
  description:
    'Returns the stored daily bars (date, open, high, low, close, volume) of one symbol from the market data directory for a date range, oldest first, at most `limit` rows (default 250, ≤ 5000). When the range holds more, it keeps the most recent rows (or the earliest with keep: "first") and says how many were left out, so narrow start/end to page. Reads data only; for indicators use trading_compute_indicators, for statistics trading_analyze_returns, to add data trading_import_bars. Example: {"symbol": "SPX", "start": "2020-03-02", "end": "2020-03-31"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    ...symbolRangeFields,
    limit: z
      .number()
      .int()
      .min(1)
      .max(maxBarRows)
      .default(250)
      .describe(`Most rows returned (1-${maxBarRows}); default 250.`),
    keep: z
      .enum(['last', 'first'])
      .default('last')
      .describe(
        'When the range holds more than limit rows: keep the most recent (last, default) or the earliest (first).',
      ),
  }),
  output: z.object({
    symbol: z.string(),
    source: z.string().describe('the file or provider the bars came from'),
    available: z.object({ first: z.string(), last: z.string(), bars: z.number().int() }).describe('all the bars held'),
    inRange: z.number().int().describe('bars inside [start, end]'),
    bars: z.array(barRow).describe('oldest first'),
    truncated: z.boolean().describe('true when inRange > limit'),
    omitted: z.number().int().describe('bars in range left out by the limit'),
    note: z.string().nullable().describe('how to get the omitted rows, when some were'),
  }),
  examples: [
    { symbol: 'SPX', start: '2020-03-02', end: '2020-03-31' },
    { symbol: 'SPX', limit: 5 },
  ],
  async handler(input, context) {
    const all = await symbolBars(context, input.symbol);
    const { range } = rangeOf(all, input.start, input.end);
    const n = range.close.length;
    const from = input.keep === 'last' ? Math.max(0, n - input.limit) : 0;
    const to = input.keep === 'last' ? n : Math.min(n, input.limit);
    const bars = [];
    for (let i = from; i < to; i++)
      bars.push({
        date: barDate(range.time[i]!),
        open: range.open[i]!,
        high: range.high[i]!,
        low: range.low[i]!,
        close: range.close[i]!,
        volume: range.volume[i]!,
      });
    const omitted = n - bars.length;
    const note =
      omitted === 0
        ? null
        : `${omitted} earlier bar(s) in range left out by limit ${input.limit}; ${
            input.keep === 'last'
              ? `pass end: "${barDate(range.time[from - 1]!)}" for the ones before ${bars[0]!.date}`
              : `pass start: "${barDate(range.time[to]!)}" for the ones after ${bars.at(-1)!.date}`
          }, or raise limit (≤ ${maxBarRows})`;
    return {
      symbol: all.symbol.toUpperCase(),
      source: all.source,
      available: { first: barDate(all.time[0]!), last: barDate(all.time.at(-1)!), bars: all.close.length },
      inRange: n,
      bars,
      truncated: omitted > 0,
      omitted,
      note: note && (input.keep === 'last' ? note : note.replace('earlier', 'later')),
    };
  },
  summarize: (o) =>
    [
      `${o.symbol}: ${o.bars.length} of ${o.inRange} bars in range (data ${o.available.first}..${o.available.last})`,
      'date,open,high,low,close,volume',
      ...o.bars.map((b) => `${b.date},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
      ...(o.note ? [o.note] : []),
    ].join('\n'),
});
