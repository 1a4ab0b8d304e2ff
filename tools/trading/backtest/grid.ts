// Grid search over a rule strategy's parameters. Each indicator window is computed once (the
// IndicatorCache), each combination then costs two tight loops (signals, engine), and the
// prefix-invariance check reuses prefix indicators across combinations. Yields to the event loop every
// ~20 ms, honours an AbortSignal, and refuses more combinations than its budget.
import { z } from 'zod';
import type { Bars } from '../market/bars.js';
import { defaultCosts, type CostModel } from '../costs.js';
import { InputError } from '../../errors.js';
import { runEngine, type Sizing } from './engine.js';
import { checkRuleLookAhead, PrefixCaches, samplePrefixEnds } from './look-ahead.js';
import { runMetrics, type Metrics } from './metrics.js';
import { IndicatorCache, ruleSignals } from './signals.js';
import { strategySchema, warmup, type Strategy } from './strategy.js';

export const objectives = ['sharpe', 'total_return', 'sortino', 'calmar'] as const;
export type Objective = (typeof objectives)[number];

export const maxGridCombinations = 20_000;

const range = z
  .object({
    from: z.number().describe('First value.'),
    to: z.number().describe('Last value (inclusive).'),
    step: z.number().positive().default(1).describe('Step between values; default 1.'),
  })
  .describe('An inclusive range of values.');

export const gridSchema = z
  .object({
    parameters: z
      .record(z.string(), z.union([z.array(z.number()).min(1).max(1000), range]))
      .describe(
        'Numeric fields of the strategy to search, each a list of values or {from, to, step}. Example for sma_crossover: {"fast": {"from": 2, "to": 99}, "slow": {"from": 3, "to": 100}} (combinations that fail validation, e.g. fast ≥ slow, are skipped).',
      ),
    objective: z.enum(objectives).default('sharpe').describe('What the best combination maximises; default sharpe.'),
    top: z.number().int().min(1).max(50).default(10).describe('How many of the best combinations to return (1-50).'),
    maxCombinations: z
      .number()
      .int()
      .min(1)
      .max(maxGridCombinations)
      .default(maxGridCombinations)
      .describe(`Budget: refuse grids with more valid combinations than this (at most ${maxGridCombinations}).`),
  })
  .describe('Grid search over strategy parameters, chosen in-sample.');

export type GridSpec = z.output<typeof gridSchema>;

export interface GridEntry {
  parameters: Record<string, number>;
  strategy: Strategy;
  objective: number | null;
  metrics: Metrics;
}

export interface GridResult {
  objective: Objective;
  /** Always true: every metric here is in-sample (chosen and measured on the same bars); use walkForward for out-of-sample figures. */
  inSample: true;
  /** Combinations whose objective is a number (not null). */
  definedObjectives: number;
  /** What the metrics mean, and why best is what it is when no objective was defined. */
  note: string;
  combinations: number;
  skipped: number;
  best: GridEntry;
  top: GridEntry[];
  /** Combinations whose prefix-invariance check failed (0 for the built-in rules). */
  lookAheadViolations: number;
  elapsedMs: number;
}

export interface GridOptions {
  costs?: CostModel;
  sizing?: Sizing;
  initialCapital?: number;
  /** Evaluate returns from bar from (the run starts flat at bar from − 1); default 1. */
  from?: number;
  to?: number;
  signal?: AbortSignal;
  /** Injected clock (ms), for the yield cadence. */
  now?: () => number;
}

const searchable = new Set(['sma_crossover', 'ema_crossover', 'rsi_reversion', 'breakout']);

/** How many raw combinations (before validation) a grid may enumerate per valid one in its budget. */
export const rawCombinationFactor = 4;
/** ... but always at least this many (a few tens of ms of parsing), so a small budget can still search a square grid. */
export const minRawCombinations = 10_000;

/**
 * Every valid strategy of the grid, or an InputError naming the field and the budget. Refuses before
 * any parsing when the raw product exceeds rawCombinationFactor × maxCombinations, stops as soon as
 * the valid count passes maxCombinations, and yields to the event loop every ~20 ms.
 */
export async function gridCombinations(
  base: Strategy,
  spec: Pick<GridSpec, 'parameters' | 'maxCombinations'>,
  options: { signal?: AbortSignal; now?: () => number } = {},
): Promise<{
  strategies: { parameters: Record<string, number>; strategy: Strategy }[];
  skipped: number;
}> {
  if (!searchable.has(base.type))
    throw new InputError('strategy.type', `grid search works on ${[...searchable].join(', ')}, not ${base.type}`);
  const fields = Object.entries(spec.parameters);
  if (fields.length === 0)
    throw new InputError('grid.parameters', 'name at least one numeric strategy field to search');
  const axes = fields.map(([name, values]) => {
    if (typeof (base as unknown as Record<string, unknown>)[name] !== 'number')
      throw new InputError(`grid.parameters.${name}`, `${base.type} has no numeric field "${name}"`);
    return { name, values: Array.isArray(values) ? values : expand(values, name) };
  });
  const product = axes.reduce((p, axis) => p * axis.values.length, 1);
  const rawBudget = Math.max(rawCombinationFactor * spec.maxCombinations, minRawCombinations);
  if (product > rawBudget)
    throw new InputError(
      'grid.parameters',
      `${product} combinations before validation; at most ${rawBudget} (${rawCombinationFactor} × the budget of ${spec.maxCombinations} valid ones, at least ${minRawCombinations}), narrow the ranges`,
    );
  const now = options.now ?? (() => performance.now());
  let lastYield = now();
  const strategies: { parameters: Record<string, number>; strategy: Strategy }[] = [];
  let skipped = 0;
  const index = axes.map(() => 0);
  for (let k = 0; k < product; k++) {
    if (now() - lastYield > 20) {
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      lastYield = now();
    }
    const parameters: Record<string, number> = {};
    axes.forEach((axis, i) => (parameters[axis.name] = axis.values[index[i]!]!));
    const parsed = strategySchema.safeParse({ ...base, ...parameters });
    if (parsed.success) strategies.push({ parameters, strategy: parsed.data });
    else skipped++;
    if (strategies.length > spec.maxCombinations)
      throw new InputError(
        'grid.maxCombinations',
        `more than ${spec.maxCombinations} valid combinations (the budget) among ${product}; narrow the ranges`,
      );
    for (let i = axes.length - 1; i >= 0; i--) {
      if (++index[i]! < axes[i]!.values.length) break;
      index[i] = 0;
    }
  }
  if (strategies.length === 0)
    throw new InputError('grid.parameters', `none of the ${product} combinations is a valid ${base.type} strategy`);
  return { strategies, skipped };
}

function expand(range: { from: number; to: number; step: number }, name: string): number[] {
  if (range.to < range.from) throw new InputError(`grid.parameters.${name}.to`, `must be ≥ from (${range.from})`);
  const count = Math.floor((range.to - range.from) / range.step + 1e-9) + 1;
  if (count > 1000) throw new InputError(`grid.parameters.${name}`, `${count} values; at most 1000 per parameter`);
  return Array.from({ length: count }, (_, i) => Number((range.from + i * range.step).toPrecision(12)));
}

/** Bar evaluations a grid may run (4,851 combinations × 5,105 bars is about 25 million). */
export const maxGridWork = 250_000_000;
/** Memory for the indicator series a grid keeps: one per distinct parameter value, for the bars and each look-ahead prefix. */
export const maxGridSeriesBytes = 1024 * 1024 * 1024;

function checkGridBudget(combinations: number, bars: number, spec: Pick<GridSpec, 'parameters'>): void {
  const work = combinations * bars;
  if (work > maxGridWork)
    throw new InputError(
      'grid',
      `${combinations} combinations × ${bars} bars = ${work} bar evaluations exceed the budget of ${maxGridWork}; narrow the ranges or shorten the period (start/end)`,
    );
  const series = Object.values(spec.parameters).reduce(
    (sum, values) =>
      sum + (Array.isArray(values) ? values.length : Math.floor((values.to - values.from) / values.step) + 1),
    0,
  );
  const bytes = series * bars * 8 * 6;
  if (bytes > maxGridSeriesBytes)
    throw new InputError(
      'grid',
      `about ${Math.round(bytes / 1024 / 1024)} MB of indicator series (${series} series × ${bars} bars, with the look-ahead prefixes) exceed the budget of ${maxGridSeriesBytes / 1024 / 1024} MB; narrow the ranges or shorten the period`,
    );
}

export function objectiveValue(metrics: Metrics, objective: Objective): number | null {
  return objective === 'total_return' ? metrics.totalReturn : metrics[objective];
}

export async function runGrid(
  bars: Bars,
  base: Strategy,
  spec: GridSpec,
  options: GridOptions = {},
): Promise<GridResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const { strategies, skipped } = await gridCombinations(base, spec, { signal: options.signal, now });
  const n = bars.close.length;
  checkGridBudget(strategies.length, n, spec);
  const to = options.to ?? n;
  const cache = new IndicatorCache(bars);
  const prefixes = new PrefixCaches(bars);
  const scratch = new Int8Array(n);
  const buffers = { equity: new Float64Array(n + 1), units: new Float64Array(n), traded: new Float64Array(n) };
  const returns = new Float64Array(n);
  const engine = {
    costs: options.costs ?? defaultCosts,
    sizing: options.sizing,
    initialCapital: options.initialCapital,
    from: options.from,
    to,
    recordTrades: false,
    buffers,
    // σ of the volatility target once for all combinations (it depends on the bars and lookback only).
    sigma: options.sizing?.volatilityTarget ? cache.volatility(options.sizing.volatilityTarget.lookback) : undefined,
  };
  const top: GridEntry[] = [];
  let violations = 0;
  let defined = 0;
  let lastYield = now();
  for (const { parameters, strategy } of strategies) {
    if (now() - lastYield > 20) {
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      lastYield = now();
    }
    const rule = strategy as Parameters<typeof ruleSignals>[0];
    const targets = ruleSignals(rule, cache, scratch);
    const metrics = runMetrics(runEngine(bars, targets, engine), returns);
    const check = checkRuleLookAhead(rule, targets, samplePrefixEnds(to, warmup(strategy)), prefixes);
    if (!check.ok) violations++;
    const value = check.ok ? objectiveValue(metrics, spec.objective) : null;
    if (value !== null) defined++;
    insertTop(top, { parameters, strategy, objective: value, metrics }, spec.top);
  }
  options.signal?.throwIfAborted();
  const inSampleNote =
    "in-sample: the best combination's metrics are measured on the bars it was chosen on, so they overstate what it would do on new data; use walkForward for out-of-sample metrics";
  return {
    objective: spec.objective,
    inSample: true,
    definedObjectives: defined,
    note:
      defined === 0
        ? `no combination had a defined ${spec.objective} (see each entry's metrics.undefinedBecause); best is only the first combination, not a choice. ${inSampleNote}`
        : inSampleNote,
    combinations: strategies.length,
    skipped,
    best: top[0]!,
    top,
    lookAheadViolations: violations,
    elapsedMs: now() - started,
  };
}

/** Keeps the `limit` best entries, best first; a null objective ranks below every number. */
function insertTop(top: GridEntry[], entry: GridEntry, limit: number): void {
  const score = entry.objective ?? -Infinity;
  if (top.length >= limit && score <= (top[top.length - 1]!.objective ?? -Infinity)) return;
  let i = top.length;
  while (i > 0 && (top[i - 1]!.objective ?? -Infinity) < score) i--;
  top.splice(i, 0, entry);
  if (top.length > limit) top.pop();
}
