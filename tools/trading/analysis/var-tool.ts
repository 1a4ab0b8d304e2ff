// trading_estimate_var: value at risk and expected shortfall of one symbol, a weighted basket, or the
// paper account's positions, by historical simulation and by the Gaussian (parametric) formula.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import type { Bars } from '../market/bars.js';
import { barDate } from '../market/bars.js';
import { symbolPattern } from '../market/market-store.js';
import { paperBroker } from '../paper/paper-tools.js';
import { normalDensity, normalQuantile, quantileSorted } from './normal.js';
import { alignReturns, mean, parseDate, sampleStd, symbolBars } from './series.js';

const symbolField = z.string().regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -');
const riskFigures = z.object({
  var: z.number().describe('loss not exceeded with the confidence, as a positive fraction of value'),
  expectedShortfall: z.number().describe('mean loss beyond the VaR, as a positive fraction of value'),
  varAmount: z.number().nullable().describe('var × value, when a value is known'),
  expectedShortfallAmount: z.number().nullable(),
});

export const estimateVar = defineTool({
  name: 'trading_estimate_var',
  domain: 'trading',
  tags: ['value at risk', 'var', 'expected shortfall', 'cvar', 'tail risk', 'risk', 'portfolio risk'],
  requests: [
    'value at risk of SPX at 99 percent',
    'how much could my paper account lose in a day',
    'CVaR of a 60/40 portfolio of two symbols',
    'ten day VaR of SPX',
  ],
  title: 'Value at risk and expected shortfall',
  description:
    'Estimates value at risk (VaR) and expected shortfall (ES, CVaR) at a confidence level over a horizon of 1-20 days, for one symbol, a basket of symbols with fixed weights (holdings), or the paper account’s current positions (usePaperAccount: weights = market value / equity, cash earning 0). Historical: the empirical quantile (linear interpolation) of the overlapping horizon returns of the last `lookback` daily returns, ES the mean of returns at or below it. Parametric: Gaussian, VaR = z·σ√h − μh, ES = σ√h·φ(z)/(1−c) − μh. Losses are positive fractions, and amounts when a value (or the paper equity) is known. Example: {"symbol": "SPX", "confidence": 0.95}',
  kind: { effect: 'readOnly' },
  input: z.object({
    symbol: symbolField.optional().describe('One symbol; or give holdings, or usePaperAccount.'),
    holdings: z
      .array(
        z.object({
          symbol: symbolField.describe('Symbol with bars.'),
          weight: z.number().min(-10).max(10).describe('Share of the portfolio value, e.g. 0.6; negative is short.'),
        }),
      )
      .min(1)
      .max(20)
      .optional()
      .describe('A basket with fixed weights (rebalanced daily), e.g. [{"symbol": "SPX", "weight": 0.6}, ...].'),
    usePaperAccount: z.boolean().default(false).describe('Use the paper account’s positions and equity.'),
    confidence: z
      .number()
      .min(0.8)
      .max(0.999)
      .default(0.95)
      .describe('Confidence level, e.g. 0.95 or 0.99; default 0.95.'),
    horizonDays: z.number().int().min(1).max(20).default(1).describe('Horizon in trading days (1-20); default 1.'),
    lookback: z
      .number()
      .int()
      .min(30)
      .max(20_000)
      .default(500)
      .describe('Daily returns used, the most recent up to end (30-20000); default 500.'),
    end: z
      .string()
      .max(30)
      .optional()
      .describe('Last date of the history used, YYYY-MM-DD; default the last common bar.'),
    value: z
      .number()
      .gt(0)
      .max(1e13)
      .optional()
      .describe('Portfolio value in currency, for amounts; default the paper equity with usePaperAccount.'),
  }),
  output: z.object({
    portfolio: z.string().describe('symbol, holdings or paper account'),
    weights: z.array(z.object({ symbol: z.string(), weight: z.number() })),
    value: z.number().nullable(),
    confidence: z.number(),
    horizonDays: z.number().int(),
    start: z.string().describe('date of the first close of the history used'),
    end: z.string(),
    dailyReturns: z.number().int(),
    observations: z.number().int().describe('horizon returns the historical figures come from'),
    historical: riskFigures.extend({
      tailCount: z.number().int().describe('horizon returns at or below the quantile'),
    }),
    parametric: riskFigures.extend({
      dailyMean: z.number(),
      dailyStd: z.number().describe('sample σ (ddof 1) of the daily portfolio returns'),
      z: z.number().describe('standard normal quantile of the confidence'),
    }),
    worstDay: z.object({ date: z.string(), return: z.number() }),
    note: z.string().nullable(),
  }),
  examples: [
    { symbol: 'SPX', confidence: 0.95 },
    { symbol: 'SPX', confidence: 0.99, horizonDays: 10, value: 1_000_000, end: '2019-12-31' },
  ],
  async handler(input, context) {
    const chosen = [input.symbol !== undefined, input.holdings !== undefined, input.usePaperAccount].filter(
      Boolean,
    ).length;
    if (chosen !== 1) throw new InputError('symbol', 'give exactly one of symbol, holdings or usePaperAccount: true');
    let weights: { symbol: string; weight: number }[];
    let value = input.value ?? null;
    let portfolio: string;
    const notes: string[] = [];
    if (input.symbol) {
      weights = [{ symbol: input.symbol.toUpperCase(), weight: 1 }];
      portfolio = input.symbol.toUpperCase();
    } else if (input.holdings) {
      weights = input.holdings.map((h) => ({ symbol: h.symbol.toUpperCase(), weight: h.weight }));
      const twin = weights.findIndex((w, i) => weights.findIndex((x) => x.symbol === w.symbol) !== i);
      if (twin >= 0)
        throw new InputError(
          `holdings.${twin}.symbol`,
          `${weights[twin]!.symbol} is listed twice; give each symbol once`,
        );
      portfolio = 'holdings';
    } else {
      const account = await paperBroker(context).account();
      const held = account.positions.filter((p) => p.quantity !== 0);
      if (held.length === 0)
        throw new InputError(
          'usePaperAccount',
          'the paper account holds no position; place paper orders first, or pass symbol or holdings',
        );
      weights = held.map((p) => ({ symbol: p.symbol, weight: p.marketValue / account.equity }));
      value ??= account.equity;
      portfolio = 'paper account';
      notes.push('pending paper orders are not counted');
    }
    const bars: Bars[] = [];
    for (const [index, w] of weights.entries())
      bars.push(await symbolBars(context, w.symbol, input.holdings ? `holdings.${index}.symbol` : 'symbol'));
    const end = input.end === undefined ? undefined : parseDate(input.end, 'end');
    const aligned = alignReturns(bars, undefined, end);
    const available = Math.max(0, aligned.times.length - 1);
    if (available < 30)
      throw new InputError(
        input.end ? 'end' : 'symbol',
        `only ${available} daily return(s) ${weights.length > 1 ? 'common to the symbols ' : ''}up to ${input.end ?? 'the last bar'}; at least 30 are needed`,
      );
    const count = Math.min(input.lookback, available);
    if (count < input.lookback) notes.push(`only ${count} daily returns were available (lookback ${input.lookback})`);
    const from = available - count;
    const daily = new Float64Array(count);
    for (const [k, w] of weights.entries()) {
      const r = aligned.returns[k]!;
      for (let t = 0; t < count; t++) daily[t]! += w.weight * r[from + t]!;
    }
    const h = input.horizonDays;
    const horizon = new Float64Array(count - h + 1);
    for (let t = 0; t + h <= count; t++) {
      let growth = 1;
      for (let k = 0; k < h; k++) growth *= 1 + daily[t + k]!;
      horizon[t] = growth - 1;
    }
    const sorted = Float64Array.from(horizon).sort();
    const q = quantileSorted(sorted, 1 - input.confidence);
    let tailSum = 0;
    let tailCount = 0;
    for (const r of sorted) {
      if (r > q) break;
      tailSum += r;
      tailCount++;
    }
    const historicalVar = -q;
    const historicalEs = -(tailSum / tailCount);
    const mu = mean(daily);
    const sigma = sampleStd(daily);
    const z = normalQuantile(input.confidence);
    const parametricVar = z * sigma * Math.sqrt(h) - mu * h;
    const parametricEs = (sigma * Math.sqrt(h) * normalDensity(z)) / (1 - input.confidence) - mu * h;
    let worst = 0;
    for (let t = 1; t < count; t++) if (daily[t]! < daily[worst]!) worst = t;
    if (horizon.length < 250)
      notes.push(`${horizon.length} horizon returns: the historical tail rests on ${tailCount} of them`);
    if (h > 1) notes.push('historical horizon returns overlap, so they are not independent');
    const amount = (v: number) => (value === null ? null : v * value);
    return {
      portfolio,
      weights,
      value,
      confidence: input.confidence,
      horizonDays: h,
      start: barDate(aligned.times[from]!),
      end: barDate(aligned.times[from + count]!),
      dailyReturns: count,
      observations: horizon.length,
      historical: {
        var: historicalVar,
        expectedShortfall: historicalEs,
        varAmount: amount(historicalVar),
        expectedShortfallAmount: amount(historicalEs),
        tailCount,
      },
      parametric: {
        var: parametricVar,
        expectedShortfall: parametricEs,
        varAmount: amount(parametricVar),
        expectedShortfallAmount: amount(parametricEs),
        dailyMean: mu,
        dailyStd: sigma,
        z,
      },
      worstDay: { date: barDate(aligned.times[from + worst + 1]!), return: daily[worst]! },
      note: notes.length > 0 ? notes.join('; ') : null,
    };
  },
  summarize: (o) => {
    const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
    const cash = (v: number | null) => (v === null ? '' : ` (${v.toFixed(2)})`);
    const head = `${o.portfolio}${o.portfolio === o.weights[0]?.symbol ? '' : ` [${o.weights.map((w) => `${w.symbol} ${w.weight.toFixed(4)}`).join(', ')}]`}`;
    return [
      `${head}, ${o.horizonDays}-day, ${(o.confidence * 100).toFixed(1)}% confidence, ${o.dailyReturns} daily returns ${o.start}..${o.end}:`,
      `historical VaR ${pct(o.historical.var)}${cash(o.historical.varAmount)}, ES ${pct(o.historical.expectedShortfall)}${cash(o.historical.expectedShortfallAmount)}`,
      `Gaussian VaR ${pct(o.parametric.var)}${cash(o.parametric.varAmount)}, ES ${pct(o.parametric.expectedShortfall)}${cash(o.parametric.expectedShortfallAmount)}`,
      `worst day ${o.worstDay.date} ${pct(o.worstDay.return)}`,
      ...(o.note ? [o.note] : []),
    ].join('\n');
  },
});
