// trading_compute_indicators: technical indicators over a symbol's stored bars as of a date, the
// latest values and, when asked, the last few points of each series.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { barDate } from '../market/bars.js';
import { symbolPattern } from '../market/market-store.js';
import { computeIndicator, indicatorConventions, indicatorSpecSchema, valueAt } from './indicator-specs.js';
import { rangeOf, symbolBars } from './series.js';

export const maxSeriesPoints = 500;
const values = z.record(z.string(), z.number().nullable());

export const computeIndicators = defineTool({
  name: 'trading_compute_indicators',
  domain: 'trading',
  tags: [
    'indicators',
    'technical analysis',
    'rsi',
    'macd',
    'bollinger bands',
    'atr',
    'moving average',
    'stochastic',
    'adx',
  ],
  requests: [
    'current RSI of a ticker',
    'MACD line, signal and histogram for SPX',
    'where is SPX relative to its Bollinger bands',
    'average true range of SPX over 14 days',
    '200-day simple moving average of the S&P 500',
  ],
  title: 'Technical indicators of a symbol',
  description:
    'Computes technical indicators (SMA, EMA, RSI, MACD, Bollinger bands with %B, ATR, Donchian channel, stochastic %K/%D, ADX with +DI/−DI) over a symbol’s stored daily bars up to an as-of date (default the last bar), and returns each one’s latest values, and with series: N its last N points (≤ 500). Values are null before an indicator has enough bars. Conventions (Wilder RSI/ATR, SMA-seeded EMA, population-σ Bollinger) are returned with the figures. Does not trade or backtest: for a strategy use trading_run_backtest, to screen many symbols trading_scan_symbols. Example: {"symbol": "SPX", "indicators": [{"type": "rsi"}, {"type": "macd"}, {"type": "bollinger"}]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    symbol: z
      .string()
      .regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -')
      .describe('Symbol with bars in the market data directory, e.g. "SPX".'),
    indicators: z
      .array(indicatorSpecSchema)
      .min(1)
      .max(12)
      .describe('1-12 indicators, e.g. [{"type": "rsi", "period": 14}, {"type": "sma", "period": 200}].'),
    end: z
      .string()
      .max(30)
      .optional()
      .describe('As-of date, YYYY-MM-DD: later bars are not read; default the last bar.'),
    series: z
      .number()
      .int()
      .min(0)
      .max(maxSeriesPoints)
      .default(0)
      .describe(
        `Also return the last N points of each indicator (0-${maxSeriesPoints}); default 0, latest values only.`,
      ),
  }),
  output: z.object({
    symbol: z.string(),
    asOf: z.string().describe('the date of the latest values'),
    close: z.number().describe('the close on asOf'),
    bars: z.number().int().describe('bars the indicators were computed over (all up to asOf)'),
    indicators: z.array(
      z.object({
        name: z.string().describe('type and parameters, e.g. "macd(12,26,9)"'),
        type: z.string(),
        parameters: z.record(z.string(), z.number()),
        latest: values.describe('values on asOf; null before warm-up'),
        series: z
          .array(z.object({ date: z.string(), values }))
          .describe('the last `series` points, oldest first; empty unless asked'),
      }),
    ),
    conventions: z.record(z.string(), z.string()),
  }),
  examples: [
    { symbol: 'SPX', indicators: [{ type: 'rsi' }, { type: 'macd' }, { type: 'bollinger' }] },
    {
      symbol: 'SPX',
      indicators: [{ type: 'sma', period: 200 }, { type: 'atr' }, { type: 'adx' }],
      end: '2020-03-23',
      series: 5,
    },
  ],
  async handler(input, context) {
    const { history } = rangeOf(await symbolBars(context, input.symbol), undefined, input.end);
    const last = history.close.length - 1;
    const indicators = input.indicators.map((spec, index) => {
      const field = `indicators.${index}`;
      if (spec.period !== undefined && spec.period > history.close.length)
        throw new InputError(
          `${field}.period`,
          `${spec.period} is longer than the ${history.close.length} bars held up to ${barDate(history.time[last]!)}; use a shorter period`,
        );
      const computed = computeIndicator(history, spec, field);
      const names = Object.keys(computed.series);
      const pick = (i: number) => Object.fromEntries(names.map((n) => [n, valueAt(computed.series[n]!, i)]));
      const series = [];
      for (let i = Math.max(0, last + 1 - input.series); i <= last && input.series > 0; i++)
        series.push({ date: barDate(history.time[i]!), values: pick(i) });
      return { name: computed.name, type: computed.type, parameters: computed.parameters, latest: pick(last), series };
    });
    const used = new Set(input.indicators.map((s) => s.type));
    return {
      symbol: history.symbol.toUpperCase(),
      asOf: barDate(history.time[last]!),
      close: history.close[last]!,
      bars: last + 1,
      indicators,
      conventions: Object.fromEntries(Object.entries(indicatorConventions).filter(([type]) => used.has(type as never))),
    };
  },
  summarize: (o) =>
    [
      `${o.symbol} on ${o.asOf}, close ${o.close}:`,
      ...o.indicators.map(
        (i) =>
          `${i.name}: ${Object.entries(i.latest)
            .map(([k, v]) => `${k} ${v === null ? 'n/a (not enough bars)' : Number(v.toFixed(4))}`)
            .join(', ')}`,
      ),
    ].join('\n'),
});
