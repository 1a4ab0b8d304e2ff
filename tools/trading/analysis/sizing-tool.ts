// trading_size_position: how many units to trade, from the account equity and the risk taken per
// trade (a given stop, or one set a multiple of ATR away), or from a volatility target, with every
// step of the arithmetic written out.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { atr } from '../indicators/index.js';
import { barDate } from '../market/bars.js';
import { symbolPattern } from '../market/market-store.js';
import { paperBroker } from '../paper/paper-tools.js';
import { closeReturns, rangeOf, sampleStd, symbolBars } from './series.js';

const money = (v: number) => Number(v.toFixed(2)).toLocaleString('en-US', { maximumFractionDigits: 2 });
const price = (v: number) => Number(v.toPrecision(10)).toString();

export const sizePosition = defineTool({
  name: 'trading_size_position',
  domain: 'trading',
  tags: [
    'position sizing',
    'risk per trade',
    'stop loss',
    'atr stop',
    'volatility targeting',
    'how many shares',
    'risk management',
  ],
  requests: [
    'how many shares can I buy if I risk 1 percent of my account',
    'position size with a stop two ATRs below the entry',
    'size a trade to 10 percent annual volatility',
    'how big should my SPX position be for a 500 dollar risk',
  ],
  title: 'Position size from risk per trade or a volatility target',
  description:
    'Works out how many units to trade. method "risk" (default): units = equity × riskPercent / |entry − stop|, with the stop given or set atrMultiple × ATR(atrPeriod) from the entry (Wilder ATR of the symbol’s bars); method "volatility": weight = targetVolatility / the symbol’s annualised σ (sample σ of the last lookback daily returns × √252), units = weight × equity / entry. Units are rounded down to lotSize and capped at maxPositionPercent of equity (default 100%, no leverage). Equity is given, or the paper account’s (usePaperEquity); entry defaults to the last close. Every step is shown. It places no order: use trading_paper_order for that. Example: {"symbol": "SPX", "equity": 100000, "riskPercent": 0.01, "atrMultiple": 2}',
  kind: { effect: 'readOnly' },
  input: z.object({
    symbol: z
      .string()
      .regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ -')
      .optional()
      .describe('Symbol with bars; needed for an ATR stop, the volatility method, or a default entry.'),
    method: z
      .enum(['risk', 'volatility'])
      .default('risk')
      .describe('risk: size by the loss at the stop (default); volatility: size to a target annual volatility.'),
    equity: z.number().gt(0).max(1e12).optional().describe('Account equity in currency; or set usePaperEquity.'),
    usePaperEquity: z.boolean().default(false).describe('Take the equity of the paper account instead of equity.'),
    side: z.enum(['long', 'short']).default('long').describe('long (stop below entry, default) or short (stop above).'),
    entry: z.number().gt(0).optional().describe('Entry price; default the symbol’s last close (as of end).'),
    stop: z.number().gt(0).optional().describe('method risk: stop-loss price. Give this or atrMultiple.'),
    atrMultiple: z
      .number()
      .gt(0)
      .max(20)
      .optional()
      .describe('method risk: stop this many ATRs from the entry; default 2 when no stop is given.'),
    atrPeriod: z.number().int().min(1).max(200).default(14).describe('ATR period in bars; default 14.'),
    riskPercent: z
      .number()
      .gt(0)
      .max(0.2)
      .default(0.01)
      .describe('method risk: share of equity lost if the stop is hit, e.g. 0.01 = 1% (≤ 20%); default 0.01.'),
    targetVolatility: z
      .number()
      .gt(0)
      .max(2)
      .default(0.1)
      .describe('method volatility: target annual volatility of the position, e.g. 0.1; default 0.1.'),
    lookback: z
      .number()
      .int()
      .min(5)
      .max(1000)
      .default(20)
      .describe('method volatility: daily returns for σ; default 20.'),
    maxPositionPercent: z
      .number()
      .gt(0)
      .max(10)
      .default(1)
      .describe('Cap on the position’s value as a share of equity (1 = 100%, above 1 is leverage); default 1.'),
    lotSize: z
      .number()
      .gt(0)
      .max(1e6)
      .default(1)
      .describe('Units are rounded down to a multiple of this (1 = whole shares, 0.001 for crypto); default 1.'),
    end: z
      .string()
      .max(30)
      .optional()
      .describe('As-of date for the close, ATR and σ, YYYY-MM-DD; default the last bar.'),
  }),
  output: z.object({
    method: z.enum(['risk', 'volatility']),
    symbol: z.string().nullable(),
    asOf: z.string().nullable().describe('the bar the entry, ATR or σ come from'),
    side: z.enum(['long', 'short']),
    equity: z.number(),
    entry: z.number(),
    stop: z.number().nullable(),
    atr: z.number().nullable(),
    annualVolatility: z.number().nullable().describe('method volatility: the symbol’s annualised σ'),
    riskPerUnit: z.number().nullable().describe('|entry − stop|'),
    units: z.number().describe('rounded down to lotSize'),
    positionValue: z.number().describe('units × entry'),
    percentOfEquity: z.number().describe('positionValue / equity'),
    riskAtStop: z
      .number()
      .nullable()
      .describe('units × riskPerUnit: the loss if the stop is hit (before costs and gaps)'),
    capped: z.boolean().describe('true when maxPositionPercent limited the size'),
    arithmetic: z.array(z.string()).describe('each step of the calculation'),
  }),
  examples: [
    { symbol: 'SPX', equity: 100000, riskPercent: 0.01, atrMultiple: 2 },
    { equity: 50000, entry: 100, stop: 95, riskPercent: 0.01 },
    { symbol: 'SPX', method: 'volatility', equity: 100000, targetVolatility: 0.1 },
  ],
  async handler(input, context) {
    const steps: string[] = [];
    const equity = await equityOf(input, context, steps);
    const bars = input.symbol
      ? rangeOf(await symbolBars(context, input.symbol), undefined, input.end).history
      : undefined;
    const last = bars ? bars.close.length - 1 : -1;
    const needBars = (why: string) => {
      if (!bars) throw new InputError('symbol', `${why} needs the symbol’s bars; name symbol`);
      return bars;
    };
    let entry = input.entry;
    if (entry === undefined) {
      entry = needBars('a default entry (the last close)').close[last]!;
      steps.push(
        `entry = last close of ${bars!.symbol.toUpperCase()} on ${barDate(bars!.time[last]!)} = ${price(entry)}`,
      );
    } else steps.push(`entry = ${price(entry)} (given)`);
    const sign = input.side === 'long' ? 1 : -1;
    let stop: number | null = null;
    let atrValue: number | null = null;
    let sigma: number | null = null;
    let raw: number;
    if (input.method === 'risk') {
      if (input.stop !== undefined && input.atrMultiple !== undefined)
        throw new InputError('stop', 'give either stop or atrMultiple, not both');
      if (input.stop !== undefined) {
        stop = input.stop;
        steps.push(`stop = ${price(stop)} (given)`);
      } else {
        const multiple = input.atrMultiple ?? 2;
        const series = needBars('an ATR stop');
        if (series.close.length <= input.atrPeriod)
          throw new InputError(
            'atrPeriod',
            `ATR(${input.atrPeriod}) needs more than ${input.atrPeriod} bars; ${series.symbol} has ${series.close.length}`,
          );
        atrValue = atr(series.high, series.low, series.close, input.atrPeriod)[last]!;
        stop = entry - sign * multiple * atrValue;
        steps.push(`ATR(${input.atrPeriod}) on ${barDate(series.time[last]!)} = ${price(atrValue)}`);
        steps.push(
          `stop = entry ${sign > 0 ? '−' : '+'} ${multiple} × ATR = ${price(entry)} ${sign > 0 ? '−' : '+'} ${price(multiple * atrValue)} = ${price(stop)}`,
        );
      }
      if (sign * (entry - stop) <= 0)
        throw new InputError(
          input.stop !== undefined ? 'stop' : 'atrMultiple',
          `a ${input.side} stop must be ${sign > 0 ? 'below' : 'above'} the entry ${price(entry)}, got ${price(stop)}; fix stop or side`,
        );
      const perUnit = Math.abs(entry - stop);
      const budget = equity * input.riskPercent;
      raw = budget / perUnit;
      steps.push(`risk budget = equity × riskPercent = ${money(equity)} × ${input.riskPercent} = ${money(budget)}`);
      steps.push(`risk per unit = |entry − stop| = ${price(perUnit)}`);
      steps.push(`units = risk budget / risk per unit = ${money(budget)} / ${price(perUnit)} = ${price(raw)}`);
    } else {
      const series = needBars('the volatility method');
      const returns = closeReturns(series).subarray(-input.lookback);
      if (returns.length < input.lookback)
        throw new InputError('lookback', `${input.lookback} returns needed; ${series.symbol} has ${returns.length}`);
      sigma = sampleStd(returns) * Math.sqrt(252);
      if (!(sigma > 0))
        throw new InputError(
          'lookback',
          `the last ${input.lookback} returns are constant (σ = 0); use a longer lookback`,
        );
      const weight = input.targetVolatility / sigma;
      raw = (weight * equity) / entry;
      steps.push(`σ = sample std of the last ${input.lookback} daily returns × √252 = ${price(sigma)}`);
      steps.push(`weight = targetVolatility / σ = ${input.targetVolatility} / ${price(sigma)} = ${price(weight)}`);
      steps.push(
        `units = weight × equity / entry = ${price(weight)} × ${money(equity)} / ${price(entry)} = ${price(raw)}`,
      );
    }
    const capUnits = (input.maxPositionPercent * equity) / entry;
    const capped = raw > capUnits;
    if (capped) {
      steps.push(
        `capped at maxPositionPercent: ${input.maxPositionPercent} × ${money(equity)} / ${price(entry)} = ${price(capUnits)} units`,
      );
      raw = capUnits;
    }
    // A hair of tolerance so 1000 / 10 × 1 does not round down to 99 through binary fractions.
    const units = Math.floor(raw / input.lotSize + 1e-9) * input.lotSize;
    steps.push(
      `rounded down to lots of ${input.lotSize}: ${price(units)} units, worth ${money(units * entry)} (${((units * entry * 100) / equity).toFixed(2)}% of equity)`,
    );
    const riskPerUnit = stop === null ? null : Math.abs(entry - stop);
    if (riskPerUnit !== null)
      steps.push(`loss at the stop = ${price(units)} × ${price(riskPerUnit)} = ${money(units * riskPerUnit)}`);
    return {
      method: input.method,
      symbol: bars ? bars.symbol.toUpperCase() : null,
      asOf: bars ? barDate(bars.time[last]!) : null,
      side: input.side,
      equity,
      entry,
      stop,
      atr: atrValue,
      annualVolatility: sigma,
      riskPerUnit,
      units,
      positionValue: units * entry,
      percentOfEquity: (units * entry) / equity,
      riskAtStop: riskPerUnit === null ? null : units * riskPerUnit,
      capped,
      arithmetic: steps,
    };
  },
  summarize: (o) =>
    [
      `${o.side} ${o.units} units${o.symbol ? ` of ${o.symbol}` : ''} at ${o.entry}${o.stop !== null ? `, stop ${Number(o.stop.toPrecision(10))}` : ''}: ${(o.percentOfEquity * 100).toFixed(2)}% of equity${o.riskAtStop !== null ? `, ${o.riskAtStop.toFixed(2)} lost at the stop` : ''}${o.capped ? ' (capped)' : ''}`,
      ...o.arithmetic,
    ].join('\n'),
});

async function equityOf(
  input: { equity?: number | undefined; usePaperEquity: boolean },
  context: Parameters<typeof paperBroker>[0],
  steps: string[],
): Promise<number> {
  if (input.usePaperEquity === (input.equity !== undefined))
    throw new InputError('equity', 'give equity, or usePaperEquity: true for the paper account’s, not both or neither');
  if (input.equity !== undefined) {
    steps.push(`equity = ${money(input.equity)} (given)`);
    return input.equity;
  }
  const account = await paperBroker(context).account();
  steps.push(`equity = paper account equity = ${money(account.equity)}`);
  return account.equity;
}
