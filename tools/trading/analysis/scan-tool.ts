// trading_scan_symbols: screens the symbols with market data against indicator rules (RSI below 30,
// close above the 200-day SMA, MACD crossing its signal) on an as-of bar, and lists those that pass.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { barDate, type Bars } from '../market/bars.js';
import { listSymbols, symbolPattern } from '../market/market-store.js';
import { computeIndicator, indicatorSpecSchema } from './indicator-specs.js';
import { parseDate, symbolBars } from './series.js';

export const maxScanned = 200;

const indicatorOperand = indicatorSpecSchema.extend({
  field: z
    .string()
    .max(20)
    .optional()
    .describe(
      'Which line: value (default for sma, ema, rsi, atr), macd/signal/histogram, upper/middle/lower/percentB, k/d, adx/plusDI/minusDI.',
    ),
});
const operand = z
  .union([z.number(), z.enum(['close', 'open', 'high', 'low', 'volume']), indicatorOperand])
  .describe('A number, a bar field ("close", ...), or an indicator such as {"type": "sma", "period": 200}.');

const conditionSchema = z.object({
  what: operand.describe('Left side: a bar field ("close") or an indicator, e.g. {"type": "rsi"}.'),
  op: z
    .enum(['above', 'below', 'at_or_above', 'at_or_below', 'crosses_above', 'crosses_below'])
    .describe('Comparison on the as-of bar; crosses_*: on the as-of bar versus the bar before.'),
  than: operand.describe('Right side: a number (30), a bar field, or an indicator ({"type": "sma", "period": 200}).'),
});
type Operand = z.output<typeof operand>;

const firstField: Record<string, string> = {
  macd: 'macd',
  bollinger: 'middle',
  donchian: 'upper',
  stochastic: 'k',
  adx: 'adx',
};

export const scanSymbols = defineTool({
  name: 'trading_scan_symbols',
  domain: 'trading',
  tags: [
    'screener',
    'scan',
    'screen',
    'oversold',
    'overbought',
    'crossover',
    'filter symbols',
    'rsi',
    'moving average',
  ],
  requests: [
    'which symbols look oversold on RSI',
    'find tickers trading above their 200-day moving average',
    'screen for MACD crossing above its signal line',
    'find symbols making a new Donchian channel high',
  ],
  title: 'Screen symbols with indicator rules',
  description:
    'Screens symbols (those named, or every symbol in the market data directory, at most 200) against 1-5 rules that must all hold on the as-of bar (default each symbol’s last bar; with end, the last bar on or before it). A rule compares a bar field, an indicator line or a number: above, below, at_or_above, at_or_below, or crosses_above / crosses_below (from the bar before to the as-of bar). Indicators are those of trading_compute_indicators. Lists the symbols that pass with the values compared, and every symbol’s outcome. Example: {"rules": [{"what": {"type": "rsi"}, "op": "below", "than": 30}]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    rules: z.array(conditionSchema).min(1).max(5).describe('1-5 rules, all of which must hold.'),
    symbols: z
      .array(z.string().regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -'))
      .min(1)
      .max(maxScanned)
      .optional()
      .describe(`Symbols to screen; default every symbol in the market data directory (first ${maxScanned}).`),
    end: z.string().max(30).optional().describe('As-of date, YYYY-MM-DD; default each symbol’s last bar.'),
  }),
  output: z.object({
    asOf: z.string().nullable().describe('the end date asked for, if any'),
    matches: z.array(z.string()).describe('symbols passing every rule'),
    results: z.array(
      z.object({
        symbol: z.string(),
        date: z.string().nullable().describe('the as-of bar used'),
        pass: z.boolean(),
        rules: z.array(
          z.object({
            rule: z.string(),
            left: z.number().nullable(),
            right: z.number().nullable(),
            holds: z.boolean(),
          }),
        ),
        problem: z.string().nullable().describe('why the symbol could not be screened'),
      }),
    ),
    screened: z.number().int(),
    total: z.number().int().describe('symbols asked for (or in the directory)'),
  }),
  examples: [
    { rules: [{ what: { type: 'rsi' }, op: 'below', than: 30 }] },
    {
      symbols: ['SPX'],
      rules: [{ what: 'close', op: 'above', than: { type: 'sma', period: 200 } }],
      end: '2019-12-31',
    },
  ],
  async handler(input, context) {
    const end = input.end === undefined ? undefined : parseDate(input.end, 'end');
    const asked = input.symbols ?? (await listSymbols(context.environment)).map((f) => f.symbol);
    if (asked.length === 0)
      throw new InputError(
        'symbols',
        'the market data directory holds no symbol; import bars with trading_import_bars first',
      );
    input.rules.forEach((rule, index) => checkRule(rule, `rules.${index}`));
    const results = [];
    for (const [index, symbol] of asked.slice(0, maxScanned).entries()) {
      context.signal.throwIfAborted();
      let bars: Bars;
      try {
        bars = await symbolBars(context, symbol, `symbols.${index}`);
      } catch (error) {
        // A named symbol that is not there is the caller's mistake; a broken file in the directory is listed.
        if (input.symbols && error instanceof InputError) throw error;
        results.push({
          symbol: symbol.toUpperCase(),
          date: null,
          pass: false,
          rules: [],
          problem: (error as Error).message,
        });
        continue;
      }
      let last = bars.close.length - 1;
      if (end !== undefined) while (last >= 0 && bars.time[last]! > end) last--;
      if (last < 1) {
        results.push({
          symbol: symbol.toUpperCase(),
          date: null,
          pass: false,
          rules: [],
          problem: `fewer than 2 bars up to ${input.end ?? 'the end'}`,
        });
        continue;
      }
      const history = {
        ...bars,
        time: bars.time.subarray(0, last + 1),
        open: bars.open.subarray(0, last + 1),
        high: bars.high.subarray(0, last + 1),
        low: bars.low.subarray(0, last + 1),
        close: bars.close.subarray(0, last + 1),
        volume: bars.volume.subarray(0, last + 1),
      };
      const rules = input.rules.map((rule, k) => evaluate(rule, history, `rules.${k}`));
      results.push({
        symbol: symbol.toUpperCase(),
        date: barDate(history.time[last]!),
        pass: rules.every((r) => r.holds),
        rules,
        problem: null,
      });
    }
    return {
      asOf: input.end ?? null,
      matches: results.filter((r) => r.pass).map((r) => r.symbol),
      results,
      screened: results.length,
      total: asked.length,
    };
  },
  summarize: (o) =>
    [
      `${o.matches.length} of ${o.screened} symbol(s) pass${o.asOf ? ` as of ${o.asOf}` : ''}: ${o.matches.join(', ') || 'none'}`,
      ...o.results.map((r) =>
        r.problem
          ? `${r.symbol}: not screened (${r.problem})`
          : `${r.symbol} ${r.date}: ${r.pass ? 'PASS' : 'fail'}; ${r.rules
              .map(
                (x) =>
                  `${x.rule} [${x.left === null ? 'n/a' : Number(x.left.toFixed(4))} vs ${x.right === null ? 'n/a' : Number(x.right.toFixed(4))}] ${x.holds ? 'yes' : 'no'}`,
              )
              .join('; ')}`,
      ),
      ...(o.total > o.screened ? [`${o.total - o.screened} more symbol(s) not screened (limit ${maxScanned})`] : []),
    ].join('\n'),
});

function checkRule(rule: z.output<typeof conditionSchema>, field: string): void {
  if (typeof rule.what === 'number')
    throw new InputError(`${field}.what`, 'the left side must be a bar field or an indicator; put the number in than');
}

/** The operand's series over the bars (a number is constant). */
function seriesOf(value: Operand, bars: Bars, field: string): { label: string; at: (i: number) => number } {
  if (typeof value === 'number') return { label: String(value), at: () => value };
  if (typeof value === 'string') return { label: value, at: (i) => bars[value][i]! };
  const computed = computeIndicator(bars, value, field);
  const names = Object.keys(computed.series);
  const line = value.field ?? firstField[value.type] ?? 'value';
  const series = computed.series[line];
  if (!series)
    throw new InputError(`${field}.field`, `${computed.name} has no line "${line}"; use one of ${names.join(', ')}`);
  return {
    label: line === names[0] && !value.field ? computed.name : `${computed.name}.${line}`,
    at: (i) => series[i]!,
  };
}

function evaluate(rule: z.output<typeof conditionSchema>, bars: Bars, field: string) {
  const left = seriesOf(rule.what, bars, `${field}.what`);
  const right = seriesOf(rule.than, bars, `${field}.than`);
  const i = bars.close.length - 1;
  const [l, r, lp, rp] = [left.at(i), right.at(i), left.at(i - 1), right.at(i - 1)];
  const known = (...xs: number[]) => xs.every(Number.isFinite);
  let holds: boolean;
  switch (rule.op) {
    case 'above':
      holds = known(l, r) && l > r;
      break;
    case 'below':
      holds = known(l, r) && l < r;
      break;
    case 'at_or_above':
      holds = known(l, r) && l >= r;
      break;
    case 'at_or_below':
      holds = known(l, r) && l <= r;
      break;
    case 'crosses_above':
      holds = known(l, r, lp, rp) && lp <= rp && l > r;
      break;
    case 'crosses_below':
      holds = known(l, r, lp, rp) && lp >= rp && l < r;
      break;
  }
  const value = (x: number) => (Number.isFinite(x) ? x : null);
  return { rule: `${left.label} ${rule.op.replace(/_/g, ' ')} ${right.label}`, left: value(l), right: value(r), holds };
}
