// trading_run_backtest: a declarative strategy backtested on a symbol's bars (from the market data
// directory) or on bars given inline, with metrics and their conventions, optional grid search and
// walk-forward. Strategies are data; no agent-supplied code runs.
import { z } from 'zod';
import { barsFromRows, type Bars } from '../market/bars.js';
import { createBarSource } from '../market/market-store.js';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { backtestRequestShape, runBacktestRequest, type BacktestOutcome } from './request.js';
import { signalProviders } from '../signal-providers.js';

export const maxInlineBars = 20_000;

const inlineBar = z.object({
  date: z.string().max(30).describe('Bar date, YYYY-MM-DD (UTC).'),
  open: z.number().describe('Open price.'),
  high: z.number().describe('High price.'),
  low: z.number().describe('Low price.'),
  close: z.number().describe('Close price.'),
  volume: z.number().min(0).default(0).describe('Volume; default 0.'),
});

const nullableNumber = z.number().nullable();
/** Metrics as they appear in results: null (with a reason in undefinedBecause) where undefined. */
const metricsOutput = z.object({
  totalReturn: nullableNumber,
  annualReturn: nullableNumber,
  annualVolatility: nullableNumber,
  sharpe: nullableNumber,
  sortino: nullableNumber,
  maxDrawdown: nullableNumber,
  calmar: nullableNumber,
  winRate: nullableNumber.optional(),
  exposure: nullableNumber.optional(),
  turnover: nullableNumber.optional(),
  tradeCount: z.number().int().optional(),
  returnCount: z.number().int(),
  ruined: z.string().optional(),
  undefinedBecause: z.record(z.string(), z.string()),
});

/** The compact, JSON-safe result of a backtest request (shared with the high-level backtestStrategy). */
export const backtestOutputSchema = z.object({
  symbol: z.string(),
  start: z.string(),
  end: z.string(),
  bars: z.number().int(),
  strategy: z.unknown(),
  finalEquity: z.number(),
  metrics: metricsOutput,
  benchmark: metricsOutput,
  conventions: z.record(z.string(), z.union([z.string(), z.number()])),
  equity: z.array(z.object({ date: z.string(), equity: z.number(), drawdown: z.number() })),
  trades: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  tradesTotal: z.number().int(),
  lookAhead: z.object({
    checked: z.array(z.number().int()),
    ok: z.boolean(),
    violations: z.array(z.record(z.string(), z.union([z.string(), z.number()]))),
  }),
  grid: z.record(z.string(), z.unknown()).optional(),
  walkForward: z.record(z.string(), z.unknown()).optional(),
});

export const backtestTool = defineTool({
  name: 'trading_run_backtest',
  domain: 'trading',
  tags: ['backtest', 'strategy', 'sharpe', 'drawdown', 'walk-forward', 'grid search', 'sma', 'rsi', 'breakout'],
  requests: [
    'backtest a moving average crossover on the S&P 500',
    'what Sharpe ratio and max drawdown would this strategy have had',
    'walk-forward test of an RSI strategy',
    'optimise the SMA windows with a grid search',
    'compare a strategy with buy and hold',
  ],
  title: 'Backtest a declarative strategy',
  description:
    "Backtests a strategy declared as data (sma_crossover, ema_crossover, rsi_reversion, breakout, follow_model, follow_committee, combine) on a symbol's daily bars from the market data directory, or on bars given inline. Signals at a bar's close fill at the next bar's open with slippage and commission. Returns empyrical-convention metrics (Sharpe, Sortino, max drawdown, Calmar, CAGR, win rate, exposure, turnover) with their conventions, a buy-and-hold benchmark, the equity curve (≤ 500 points), trades, and a look-ahead check; optionally a grid search and walk-forward folds. Example: {symbol: 'SP500', strategy: {type: 'sma_crossover', fast: 50, slow: 200}}",
  kind: { effect: 'readOnly' },
  input: z.object({
    symbol: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe('Symbol whose bars are in the market data directory, e.g. SP500.'),
    bars: z
      .array(inlineBar)
      .max(maxInlineBars)
      .optional()
      .describe(`Bars given inline instead of a symbol (oldest first, at most ${maxInlineBars}).`),
    ...backtestRequestShape,
  }),
  output: backtestOutputSchema,
  // The first example is the one an input error shows: the short symbol form.
  examples: [
    { symbol: 'SPX', strategy: { type: 'sma_crossover', fast: 50, slow: 200 } },
    {
      bars: exampleBars(40),
      strategy: { type: 'sma_crossover', fast: 5, slow: 20 },
      costs: { commissionBps: 5, slippageBps: 2 },
    },
  ],
  async handler(input, context) {
    const bars = await loadBars(input, context.environment);
    const outcome = await runBacktestRequest(bars, input, {
      signal: context.signal,
      providers: signalProviders(context),
    });
    return compactOutcome(outcome, input.strategy);
  },
  summarize: (o) => {
    const m = o.metrics;
    const pct = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(2)}%`);
    const ruined = m.ruined ? `${m.ruined}; ` : '';
    return `${ruined}${o.symbol} ${o.start}..${o.end} (${o.bars} bars): total ${pct(m.totalReturn)}, CAGR ${pct(m.annualReturn)}, Sharpe ${m.sharpe?.toFixed(3) ?? 'n/a'}, max drawdown ${pct(m.maxDrawdown)}, ${m.tradeCount ?? 0} trades; buy and hold ${pct(o.benchmark.totalReturn)}; look-ahead check ${o.lookAhead.ok ? 'passed' : 'FAILED'}`;
  },
});

/** Bars for a request: a symbol's from the market data directory, or the inline rows checked. */
export async function loadBars(
  input: { symbol?: string; bars?: z.output<typeof inlineBar>[] },
  environment: Parameters<typeof createBarSource>[0],
): Promise<Bars> {
  if (input.bars && input.symbol) throw new InputError('bars', 'give either symbol or bars, not both');
  if (input.symbol) return createBarSource(environment)(input.symbol);
  if (!input.bars)
    throw new InputError('symbol', 'name a symbol (its bars in the market data directory) or give bars inline');
  const rows = input.bars.map((bar, i) => {
    const time = Date.parse(`${bar.date}T00:00:00Z`);
    if (Number.isNaN(time)) throw new InputError(`bars.${i}.date`, `"${bar.date}" is not a date; use YYYY-MM-DD`);
    if (!(bar.open > 0 && bar.high > 0 && bar.low > 0 && bar.close > 0))
      throw new InputError(`bars.${i}`, 'prices must be positive');
    if (bar.high < bar.low) throw new InputError(`bars.${i}.high`, `high (${bar.high}) is below low (${bar.low})`);
    return { time, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
  });
  for (let i = 1; i < rows.length; i++)
    if (rows[i]!.time <= rows[i - 1]!.time)
      throw new InputError(`bars.${i}.date`, 'dates must be strictly increasing (oldest first, no duplicates)');
  return barsFromRows('inline', 'memory', rows);
}

/** A backtest outcome in the shape of backtestOutputSchema. */
export function compactOutcome(outcome: BacktestOutcome, requested: unknown): z.input<typeof backtestOutputSchema> {
  const { backtest, grid, walkForward } = outcome;
  return {
    symbol: backtest.symbol,
    start: backtest.start,
    end: backtest.end,
    bars: backtest.bars,
    strategy: grid ? grid.best.strategy : requested,
    finalEquity: backtest.finalEquity,
    metrics: backtest.metrics,
    benchmark: backtest.benchmark,
    conventions: backtest.conventions,
    equity: backtest.equity,
    trades: backtest.trades as unknown as Record<string, string | number | boolean>[],
    tradesTotal: backtest.tradesTotal,
    lookAhead: backtest.lookAhead as unknown as {
      checked: number[];
      ok: boolean;
      violations: Record<string, string | number>[];
    },
    grid: grid && {
      objective: grid.objective,
      inSample: grid.inSample,
      definedObjectives: grid.definedObjectives,
      note: grid.note,
      combinations: grid.combinations,
      skipped: grid.skipped,
      lookAheadViolations: grid.lookAheadViolations,
      elapsedMs: Math.round(grid.elapsedMs),
      top: grid.top.map((entry) => ({
        parameters: entry.parameters,
        objective: entry.objective,
        metrics: entry.metrics,
      })),
    },
    walkForward: walkForward && {
      mode: walkForward.mode,
      foldBoundaries: walkForward.foldBoundaries,
      aggregate: walkForward.aggregate,
      meanOfFolds: walkForward.meanOfFolds,
      folds: walkForward.folds.map((f) => ({
        fold: f.fold,
        train: f.train,
        test: f.test,
        parameters: f.parameters,
        inSampleObjective: f.inSampleObjective,
        outOfSample: f.outOfSample,
        lookAheadOk: f.lookAhead.ok,
      })),
    },
  };
}

/** A deterministic synthetic series (a drifting sine), so the example runs in an empty data dir. */
function exampleBars(count: number) {
  return Array.from({ length: count }, (_, i) => {
    const close = Number((100 + i * 0.2 + 5 * Math.sin(i / 4)).toFixed(2));
    const open = Number((close - 0.3 * Math.cos(i / 4)).toFixed(2));
    const date = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
    return { date, open, high: Math.max(open, close) + 0.5, low: Math.min(open, close) - 0.5, close };
  });
}
