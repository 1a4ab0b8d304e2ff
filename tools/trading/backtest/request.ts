// The backtest request as one zod shape, shared by the internal tool trading_backtest and the
// high-level backtestStrategy: strategy, costs, sizing, dates, and optional grid and walk-forward.
import { z } from 'zod';
import { sliceBars, type Bars } from '../market/bars.js';
import { defaultCosts } from '../costs.js';
import { InputError } from '../../errors.js';
import { dateRange, runBacktest, type BacktestResult } from './backtest.js';
import { defaultCapital, type Sizing } from './engine.js';
import { gridSchema, runGrid, type GridResult } from './grid.js';
import type { SignalProviders } from './signals.js';
import { strategySchema } from './strategy.js';
import { runWalkForward, walkForwardSchema, type WalkForwardResult } from './walk-forward.js';

export const costsSchema = z
  .object({
    commissionBps: z.number().min(0).max(1000).default(1).describe('Commission on traded notional, in basis points.'),
    slippageBps: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe('Fill price moved against the order, in basis points.'),
  })
  .describe('Costs: commission and slippage in basis points; default 1 and 1.');

export const sizingSchema = z
  .object({
    fraction: z
      .number()
      .gt(0)
      .max(10)
      .default(1)
      .describe('Share of equity committed on each entry (1 = all; above 1 is leverage); default 1.'),
    volatilityTarget: z
      .object({
        annual: z.number().gt(0).max(5).describe('Target annual volatility, e.g. 0.15.'),
        lookback: z.number().int().min(2).max(1000).default(20).describe('Bars of close returns for σ; default 20.'),
        maxLeverage: z.number().gt(0).max(10).default(1).describe('Cap on the share of equity; default 1.'),
      })
      .optional()
      .describe(
        'Size each entry to annual / σ (σ of the last lookback daily returns × √252), capped; replaces fraction.',
      ),
  })
  .describe('Position sizing, set on entry and not rebalanced while held.');

export const backtestRequestShape = {
  strategy: strategySchema,
  costs: costsSchema.optional().describe('Commission and slippage in basis points; default 1 and 1.'),
  sizing: sizingSchema.optional().describe('Position sizing; default all equity (fraction 1) on each entry.'),
  initialCapital: z.number().gt(0).max(1e12).default(defaultCapital).describe('Starting cash; default 100000.'),
  start: z
    .string()
    .max(30)
    .optional()
    .describe('First date evaluated, YYYY-MM-DD; earlier bars only warm indicators up.'),
  end: z.string().max(30).optional().describe('Last date evaluated, YYYY-MM-DD; later bars are never read.'),
  grid: gridSchema
    .optional()
    .describe(
      'Search the strategy’s parameters; the best (by objective) is then backtested. With walkForward, searched on each train window only.',
    ),
  walkForward: walkForwardSchema.optional().describe('Also evaluate out-of-sample with walk-forward folds.'),
  maxTrades: z
    .number()
    .int()
    .min(0)
    .max(500)
    .default(50)
    .describe('Trades listed (the most recent); the total is always given.'),
};

export const backtestRequestSchema = z.object(backtestRequestShape);
export type BacktestRequest = z.output<typeof backtestRequestSchema>;

export interface BacktestOutcome {
  backtest: BacktestResult;
  grid?: GridResult;
  walkForward?: WalkForwardResult;
}

/** Runs a parsed request on a symbol's bars: grid (if asked), the backtest, walk-forward (if asked). */
export async function runBacktestRequest(
  bars: Bars,
  request: BacktestRequest,
  options: { providers?: SignalProviders; signal?: AbortSignal } = {},
): Promise<BacktestOutcome> {
  const costs = request.costs ?? defaultCosts;
  const sizing: Sizing = request.sizing ?? { fraction: 1 };
  const common = { costs, sizing, initialCapital: request.initialCapital, signal: options.signal };
  let strategy = request.strategy;
  let grid: GridResult | undefined;
  if (request.grid && !request.walkForward) {
    if (request.start || request.end)
      throw new InputError(
        'grid',
        'a grid searches all bars; drop start/end, or use walkForward to keep a test period unseen',
      );
    grid = await runGrid(bars, strategy, request.grid, common);
    strategy = grid.best.strategy;
  }
  const backtest = await runBacktest(bars, strategy, {
    ...common,
    start: request.start,
    end: request.end,
    maxTrades: request.maxTrades,
    providers: options.providers,
  });
  const walkForward = request.walkForward
    ? await runWalkForward(datedBars(bars, request.start, request.end), request.strategy, request.walkForward, {
        ...common,
        grid: request.grid,
        providers: options.providers,
      })
    : undefined;
  return { backtest, grid, walkForward };
}

/** The bars inside [start, end] (dates inclusive), as views. */
function datedBars(bars: Bars, start?: string, end?: string): Bars {
  if (!start && !end) return bars;
  const { first, last } = dateRange(bars, start, end);
  return sliceBars(bars, first, last + 1);
}
