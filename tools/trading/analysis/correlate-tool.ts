// trading_correlate_symbols: the Pearson correlation matrix of several symbols' daily returns over
// the dates they all traded, with each one's volatility, so a user sees what moves together.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { barDate } from '../market/bars.js';
import { symbolPattern } from '../market/market-store.js';
import { alignReturns, dateField, parseDate, symbolBars } from './series.js';

export const correlateSymbols = defineTool({
  name: 'trading_correlate_symbols',
  domain: 'trading',
  tags: ['correlation', 'correlation matrix', 'diversification', 'co-movement', 'pairs', 'returns', 'portfolio'],
  requests: [
    'correlation between two tickers',
    'do these symbols move together',
    'correlation of daily returns for my symbols since 2015',
    'which of my stocks are least correlated for diversification',
  ],
  title: 'Correlation matrix of symbols’ daily returns',
  description:
    'Computes the Pearson correlation of the daily close-to-close returns of 2-20 symbols over the dates on which all of them have a bar (inside start..end), as a matrix and as pairs sorted from most to least correlated, with each symbol’s annualised volatility (√252) and the number of returns used. A date one market was closed is skipped for all, so each return spans the same days. Needs at least 3 common returns; says when fewer than 30. Example: {"symbols": ["SPX", "VIX"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    symbols: z
      .array(z.string().regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -'))
      .min(2)
      .max(20)
      .describe('2-20 symbols with bars in the market data directory, e.g. ["SPX", "VIX"].'),
    start: z.string().max(30).optional().describe(dateField('First')),
    end: z.string().max(30).optional().describe(dateField('Last')),
  }),
  output: z.object({
    symbols: z.array(z.string()),
    start: z.string().describe('first common date'),
    end: z.string().describe('last common date'),
    returns: z.number().int().describe('daily returns used per symbol'),
    matrix: z
      .array(z.array(z.number().nullable()))
      .describe('matrix[i][j] = correlation of symbols i and j; null when a symbol’s returns are constant'),
    pairs: z
      .array(z.object({ a: z.string(), b: z.string(), correlation: z.number().nullable() }))
      .describe('every pair, most correlated first'),
    annualVolatility: z.record(z.string(), z.number()).describe('per symbol, sample σ of daily returns × √252'),
    note: z.string().nullable(),
  }),
  examples: [{ symbols: ['SPX', 'VIX'] }],
  async handler(input, context) {
    const names = input.symbols.map((s) => s.toUpperCase());
    const twin = names.findIndex((s, i) => names.indexOf(s) !== i);
    if (twin >= 0) throw new InputError(`symbols.${twin}`, `${names[twin]} is listed twice; name each symbol once`);
    const all = [];
    for (const [index, symbol] of input.symbols.entries())
      all.push(await symbolBars(context, symbol, `symbols.${index}`));
    const start = input.start === undefined ? undefined : parseDate(input.start, 'start');
    const end = input.end === undefined ? undefined : parseDate(input.end, 'end');
    const { times, returns } = alignReturns(all, start, end);
    const count = Math.max(0, times.length - 1);
    if (count < 3) {
      const spans = all.map((b) => `${b.symbol} ${barDate(b.time[0]!)}..${barDate(b.time.at(-1)!)}`).join(', ');
      throw new InputError(
        input.start || input.end ? 'start' : 'symbols',
        `the symbols share ${times.length} date(s)${input.start || input.end ? ' in the range' : ''}, ${count} return(s); at least 3 are needed (data: ${spans}); pick symbols or a range that overlap`,
      );
    }
    const centred = returns.map(centre);
    const norms = centred.map((r) => Math.sqrt(dot(r, r)));
    const k = names.length;
    const matrix = Array.from({ length: k }, (_, i) =>
      Array.from({ length: k }, (_, j) => {
        if (norms[i] === 0 || norms[j] === 0) return null;
        if (i === j) return 1;
        return Math.max(-1, Math.min(1, dot(centred[i]!, centred[j]!) / (norms[i]! * norms[j]!)));
      }),
    );
    const pairs = [];
    for (let i = 0; i < k; i++)
      for (let j = i + 1; j < k; j++) pairs.push({ a: names[i]!, b: names[j]!, correlation: matrix[i]![j]! });
    pairs.sort((x, y) => (y.correlation ?? -2) - (x.correlation ?? -2));
    return {
      symbols: names,
      start: barDate(times[0]!),
      end: barDate(times.at(-1)!),
      returns: count,
      matrix,
      pairs,
      annualVolatility: Object.fromEntries(
        names.map((s, i) => [s, (norms[i]! / Math.sqrt(count - 1)) * Math.sqrt(252)]),
      ),
      note:
        count < 30
          ? `only ${count} common returns: the correlations are rough; widen the range if the data allow`
          : null,
    };
  },
  summarize: (o) =>
    [
      `${o.symbols.join(', ')}: ${o.returns} common daily returns ${o.start}..${o.end}`,
      ...o.pairs.map(
        (p) => `${p.a} / ${p.b}: ${p.correlation === null ? 'n/a (constant returns)' : p.correlation.toFixed(4)}`,
      ),
      `annual volatility: ${Object.entries(o.annualVolatility)
        .map(([s, v]) => `${s} ${(v * 100).toFixed(2)}%`)
        .join(', ')}`,
      ...(o.note ? [o.note] : []),
    ].join('\n'),
});

function centre(values: Float64Array): Float64Array {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  return values.map((v) => v - mean);
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
