// Walk-forward evaluation: for each fold, a grid search picks parameters on the train window only,
// then those parameters trade the test window that follows a purge gap. Test-window signals may use
// earlier bars to warm up, but only test-window returns are counted. The aggregate is the metrics of
// all folds' out-of-sample returns concatenated, beside the mean of the per-fold metrics.
import { z } from 'zod';
import { barDate, sliceBars, type Bars } from '../market/bars.js';
import { defaultCosts, type CostModel } from '../costs.js';
import { InputError } from '../../errors.js';
import { defaultCapital, runEngine, type Sizing } from './engine.js';
import { gridCombinations, gridSchema, runGrid, type GridSpec } from './grid.js';
import { checkLookAhead, samplePrefixEnds, type LookAheadReport } from './look-ahead.js';
import { equityReturns, returnMetrics, ruinReason, runMetrics, tradeMetrics, type Metrics } from './metrics.js';
import { computeSignals, type SignalProviders } from './signals.js';
import { checkWarmup, warmup, type Strategy } from './strategy.js';

export const maxFolds = 200;

export const walkForwardSchema = z
  .object({
    mode: z
      .enum(['rolling', 'expanding'])
      .default('rolling')
      .describe('rolling: the train window slides with each fold; expanding: it always starts at the first bar.'),
    train: z.number().int().min(20).describe('Train window length in bars (e.g. 756 ≈ 3 years of daily bars).'),
    test: z.number().int().min(5).describe('Test (out-of-sample) window length in bars (e.g. 252 ≈ 1 year).'),
    purge: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('Bars skipped between a train window and its test window, so no signal straddles both; default 0.'),
  })
  .describe('Walk-forward options: train/test windows in bars, a purge gap, rolling or expanding.');

export type WalkForwardSpec = z.output<typeof walkForwardSchema>;

export interface Fold {
  fold: number;
  train: { start: string; end: string; bars: number };
  test: { start: string; end: string; bars: number };
  strategy: Strategy;
  parameters: Record<string, number>;
  inSampleObjective: number | null;
  outOfSample: Metrics;
  lookAhead: LookAheadReport;
}

/** How folds meet: stated in every walk-forward result. */
export const foldBoundaries =
  "each fold starts flat with the initial capital and closes any position at its last bar's close with slippage and commission, so every fold pays its exit costs; the gap from that close to the next fold's first open is not held";

export interface WalkForwardResult {
  mode: 'rolling' | 'expanding';
  foldBoundaries: typeof foldBoundaries;
  folds: Fold[];
  /** Metrics of all out-of-sample returns concatenated (each fold starts flat and ends flat). If a fold was ruined, the aggregate is too. */
  aggregate: Metrics;
  /** Mean of each metric over the folds where it is defined. */
  meanOfFolds: Record<string, number | null>;
}

export interface WalkForwardOptions {
  costs?: CostModel;
  sizing?: Sizing;
  initialCapital?: number;
  /** Without a grid the strategy is run unchanged on every test window. */
  grid?: GridSpec;
  providers?: SignalProviders;
  signal?: AbortSignal;
}

/** The folds' bar ranges: train [trainStart, trainEnd), test [testStart, testEnd). */
export function foldRanges(n: number, spec: WalkForwardSpec) {
  const need = spec.train + spec.purge + spec.test;
  if (need > n)
    throw new InputError(
      'walkForward.train',
      `train (${spec.train}) + purge (${spec.purge}) + test (${spec.test}) = ${need} bars, but the data has ${n}; shorten the windows`,
    );
  const ranges: { trainStart: number; trainEnd: number; testStart: number; testEnd: number }[] = [];
  for (let trainEnd = spec.train; trainEnd + spec.purge + spec.test <= n; trainEnd += spec.test) {
    const testStart = trainEnd + spec.purge;
    ranges.push({
      trainStart: spec.mode === 'rolling' ? trainEnd - spec.train : 0,
      trainEnd,
      testStart,
      testEnd: testStart + spec.test,
    });
  }
  if (ranges.length > maxFolds)
    throw new InputError('walkForward.test', `${ranges.length} folds; at most ${maxFolds}, lengthen the test window`);
  return ranges;
}

export async function runWalkForward(
  bars: Bars,
  strategy: Strategy,
  spec: WalkForwardSpec,
  options: WalkForwardOptions = {},
): Promise<WalkForwardResult> {
  const costs = options.costs ?? defaultCosts;
  const initialCapital = options.initialCapital ?? defaultCapital;
  const engine = { costs, sizing: options.sizing, initialCapital };
  const folds: Fold[] = [];
  const returns: Float64Array[] = [];
  let closed = 0;
  let winning = 0;
  let invested = 0;
  let turnover = 0;
  let ruinedOn: string | null = null;
  const ranges = foldRanges(bars.close.length, spec);
  if (options.grid) await checkWalkForwardBudget(strategy, options.grid, ranges, options.signal);
  for (const [index, range] of ranges.entries()) {
    options.signal?.throwIfAborted();
    let chosen = strategy;
    let parameters: Record<string, number> = {};
    let inSampleObjective: number | null = null;
    if (options.grid) {
      // The grid sees bars up to the train window's end and nothing after it.
      const train = sliceBars(bars, 0, range.trainEnd);
      const grid = await runGrid(train, strategy, gridSchema.parse(options.grid), {
        ...engine,
        from: Math.max(1, range.trainStart + 1),
        signal: options.signal,
      });
      chosen = grid.best.strategy;
      parameters = grid.best.parameters;
      inSampleObjective = grid.best.objective;
    }
    const test = span(bars, range.testStart, range.testEnd);
    checkWarmup(chosen, range.testEnd, `fold ${index + 1} (data up to ${test.end})`);
    const visible = sliceBars(bars, 0, range.testEnd);
    const targets = await computeSignals(chosen, visible, { providers: options.providers, signal: options.signal });
    const run = runEngine(visible, targets, { ...engine, from: range.testStart, to: range.testEnd, closeAtEnd: true });
    ruinedOn ??= run.ruinedOn;
    const outOfSample = runMetrics(run);
    const ends = samplePrefixEnds(range.testEnd, Math.max(range.testStart - 1, warmup(chosen)));
    const lookAhead = await checkLookAhead(chosen, visible, targets, ends, {
      providers: options.providers,
      signal: options.signal,
    });
    returns.push(equityReturns(run.equity));
    closed += run.closedTrades;
    winning += run.winningTrades;
    invested += outOfSample.exposure! * run.units.length;
    turnover += (outOfSample.turnover ?? 0) * run.units.length;
    folds.push({
      fold: index + 1,
      train: span(bars, range.trainStart, range.trainEnd),
      test,
      strategy: chosen,
      parameters,
      inSampleObjective,
      outOfSample,
      lookAhead,
    });
  }
  const all = concat(returns);
  const base = returnMetrics(all, ruinedOn);
  if (ruinedOn) base.undefinedBecause.turnover = ruinReason(ruinedOn);
  const aggregate: Metrics = {
    ...base,
    ...tradeMetrics(closed, winning, base.undefinedBecause),
    exposure: invested / all.length,
    turnover: ruinedOn ? null : turnover / all.length,
  };
  return { mode: spec.mode, foldBoundaries, folds, aggregate, meanOfFolds: meanOfFolds(folds) };
}

/** Bar evaluations all folds' grids may run together (about 20 of the 4,851-combination S&P grids). */
export const maxWalkForwardWork = 500_000_000;

async function checkWalkForwardBudget(
  strategy: Strategy,
  grid: GridSpec,
  ranges: readonly { trainEnd: number }[],
  signal?: AbortSignal,
): Promise<void> {
  const combinations = (await gridCombinations(strategy, gridSchema.parse(grid), { signal })).strategies.length;
  const work = ranges.reduce((sum, range) => sum + combinations * range.trainEnd, 0);
  if (work > maxWalkForwardWork)
    throw new InputError(
      'walkForward',
      `${ranges.length} folds × ${combinations} combinations = ${work} bar evaluations exceed the budget of ${maxWalkForwardWork}; use fewer folds (a longer test window), a rolling mode or a smaller grid`,
    );
}

function span(bars: Bars, start: number, end: number) {
  return { start: barDate(bars.time[start]!), end: barDate(bars.time[end - 1]!), bars: end - start };
}

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const averaged = [
  'totalReturn',
  'annualReturn',
  'annualVolatility',
  'sharpe',
  'sortino',
  'maxDrawdown',
  'calmar',
  'winRate',
  'exposure',
  'turnover',
] as const;

function meanOfFolds(folds: readonly Fold[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const name of averaged) {
    const values = folds.map((f) => f.outOfSample[name]).filter((v): v is number => v !== null);
    out[name] = values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
  }
  return out;
}
