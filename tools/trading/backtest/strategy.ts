// Strategies as data, checked by zod: the only way an agent describes a strategy. Nothing in a
// strategy is code; each `type` maps to a fixed signal rule in signals.ts.
import { z } from 'zod';
import { InputError } from '../../errors.js';

const window = (what: string) =>
  z
    .number()
    .int('a window is a whole number of bars')
    .min(2, 'a window is at least 2 bars')
    .max(1000, 'a window is at most 1000 bars')
    .describe(`${what} (bars).`);
const allowShort = z.boolean().default(false).describe('Go short on the opposite signal instead of flat.');

const smaCrossover = z.object({
  type: z.literal('sma_crossover').describe('Long while the fast SMA of closes is above the slow one.'),
  fast: window('Fast simple moving average window'),
  slow: window('Slow simple moving average window; must be above fast'),
  allowShort,
});

const emaCrossover = z.object({
  type: z.literal('ema_crossover').describe('Long while the fast EMA (SMA-seeded) of closes is above the slow one.'),
  fast: window('Fast exponential moving average window'),
  slow: window('Slow exponential moving average window; must be above fast'),
  allowShort,
});

const rsiReversion = z.object({
  type: z
    .literal('rsi_reversion')
    .describe('Wilder RSI of closes: long below lower, flat/short above upper, held in between.'),
  period: window('RSI period'),
  lower: z.number().min(0).max(100).describe('Go long when RSI falls below this level (e.g. 30).'),
  upper: z
    .number()
    .min(0)
    .max(100)
    .describe('Leave the long (or go short when allowShort) when RSI rises above this level (e.g. 70).'),
  allowShort,
});

const breakout = z.object({
  type: z
    .literal('breakout')
    .describe('Donchian breakout: close beyond the prior highs/lows enters, the exit channel leaves.'),
  lookback: window('Entry channel: long when the close exceeds the highest high of this many prior bars'),
  exitLookback: window(
    'Exit channel: leave the long when the close falls below the lowest low of this many prior bars',
  ),
  allowShort,
});

const followModel = z.object({
  type: z.literal('follow_model').describe("Trade the model's predicted direction."),
  model: z.string().min(1).max(200).optional().describe('Model name or alias; default the production model.'),
  minConfidence: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      'Take a position only when the prediction confidence is above this (strictly, 0..1); default the committee config trading.committee.proposalConfidence (0.65).',
    ),
  allowShort,
});

const followCommittee = z.object({
  type: z.literal('follow_committee').describe("Trade the committee's decision."),
  model: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('The model whose predictions the committee reviews; default the production model.'),
  minConsensus: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      'Take a position only when the weighted consensus is above this (strictly, 0..1); default the committee config trading.committee.consensus (0.7).',
    ),
  allowShort,
});

const leaves = [smaCrossover, emaCrossover, rsiReversion, breakout, followModel, followCommittee] as const;

export type LeafStrategy =
  | z.output<typeof smaCrossover>
  | z.output<typeof emaCrossover>
  | z.output<typeof rsiReversion>
  | z.output<typeof breakout>
  | z.output<typeof followModel>
  | z.output<typeof followCommittee>;

export interface CombineStrategy {
  type: 'combine';
  mode: 'all' | 'any' | 'majority' | 'weighted';
  members: Strategy[];
  weights?: number[];
  threshold: number;
  allowShort: boolean;
}

export type Strategy = LeafStrategy | CombineStrategy;

export const maxCombineDepth = 3;

const combine = z.object({
  type: z.literal('combine').describe('Combines 2 to 8 member strategies into one position.'),
  mode: z
    .enum(['all', 'any', 'majority', 'weighted'])
    .describe(
      'all: every member agrees; any: some member is in and none opposes; majority: more than half agree; weighted: the weighted mean of member positions passes threshold.',
    ),
  get members(): z.ZodArray<typeof strategySchema> {
    return z
      .array(strategySchema)
      .min(2, 'combine needs at least 2 members')
      .max(8, 'combine takes at most 8 members')
      .describe('The member strategies (2 to 8); combine nests at most 3 deep.');
  },
  weights: z
    .array(z.number().min(0).max(1000))
    .max(8)
    .optional()
    .describe('Weights for mode weighted, one per member (non-negative, not all zero); default equal.'),
  threshold: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe('Mode weighted: long when the weighted mean position is ≥ threshold, short when ≤ −threshold.'),
  allowShort,
});

/** A strategy with its cross-field rules (fast < slow, lower < upper, weights, nesting depth). */
export const strategySchema: z.ZodType<Strategy, unknown> = z
  .discriminatedUnion('type', [...leaves, combine])
  .superRefine((strategy, context) => {
    for (const problem of strategyProblems(strategy as Strategy)) context.addIssue({ code: 'custom', ...problem });
  })
  .describe(
    'A declarative strategy: {type: sma_crossover|ema_crossover|rsi_reversion|breakout|follow_model|follow_committee|combine, ...}. Example: {"type":"sma_crossover","fast":50,"slow":200}.',
  ) as unknown as z.ZodType<Strategy, unknown>;

/**
 * Cross-field rules zod's field checks cannot express, for this level only (zod applies them to each
 * member as it parses it), each with the path it concerns.
 */
export function strategyProblems(strategy: Strategy): { path: (string | number)[]; message: string }[] {
  switch (strategy.type) {
    case 'sma_crossover':
    case 'ema_crossover':
      return strategy.fast < strategy.slow
        ? []
        : [{ path: ['fast'], message: `fast (${strategy.fast}) must be below slow (${strategy.slow})` }];
    case 'rsi_reversion':
      return strategy.lower < strategy.upper
        ? []
        : [{ path: ['lower'], message: `lower (${strategy.lower}) must be below upper (${strategy.upper})` }];
    case 'combine': {
      const problems: { path: (string | number)[]; message: string }[] = [];
      const depth = combineDepth(strategy);
      if (depth > maxCombineDepth)
        problems.push({
          path: ['members'],
          message: `combine nests at most ${maxCombineDepth} deep, this one ${depth}; flatten the members`,
        });
      const weights = strategy.weights;
      if (weights && weights.length !== strategy.members.length)
        problems.push({
          path: ['weights'],
          message: `give one weight per member (${strategy.members.length}), got ${weights.length}`,
        });
      if (weights && weights.every((w) => w === 0))
        problems.push({ path: ['weights'], message: 'weights must not all be zero' });
      if (weights && strategy.mode !== 'weighted')
        problems.push({ path: ['weights'], message: 'weights apply only to mode "weighted"' });
      return problems;
    }
    default:
      return [];
  }
}

/** How many combine levels a strategy nests (0 for a leaf). */
export function combineDepth(strategy: Strategy): number {
  return strategy.type === 'combine' ? 1 + Math.max(...strategy.members.map(combineDepth)) : 0;
}

/** Parses a strategy, throwing an InputError that names the first offending field and the fix. */
export function parseStrategy(input: unknown, field = 'strategy'): Strategy {
  const parsed = strategySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = [field, ...issue.path].join('.');
  throw new InputError(where, issue.message);
}

/** The longest look-back a strategy needs before its first signal, in bars. */
export function warmup(strategy: Strategy): number {
  switch (strategy.type) {
    case 'sma_crossover':
    case 'ema_crossover':
      return strategy.slow - 1;
    case 'rsi_reversion':
      return strategy.period;
    case 'breakout':
      return Math.max(strategy.lookback, strategy.exitLookback);
    case 'combine':
      return Math.max(...strategy.members.map(warmup));
    default:
      return 0;
  }
}

/** The field that sets a strategy's warm-up (the longest window), as a path from `prefix`, and its value. */
export function warmupField(strategy: Strategy, prefix = 'strategy'): { field: string; window: number } {
  switch (strategy.type) {
    case 'sma_crossover':
    case 'ema_crossover':
      return { field: `${prefix}.slow`, window: strategy.slow };
    case 'rsi_reversion':
      return { field: `${prefix}.period`, window: strategy.period };
    case 'breakout':
      return strategy.exitLookback > strategy.lookback
        ? { field: `${prefix}.exitLookback`, window: strategy.exitLookback }
        : { field: `${prefix}.lookback`, window: strategy.lookback };
    case 'combine': {
      const warmups = strategy.members.map(warmup);
      const longest = warmups.indexOf(Math.max(...warmups));
      return warmupField(strategy.members[longest]!, `${prefix}.members.${longest}`);
    }
    default:
      return { field: prefix, window: 0 };
  }
}

/**
 * Refuses a strategy whose warm-up leaves no tradable bar: its first signal must come before the
 * last of the `available` bars (up to the evaluated end), or the run could never trade.
 */
export function checkWarmup(strategy: Strategy, available: number, where: string): void {
  const bars = warmup(strategy);
  if (bars < available - 1) return;
  const { field, window } = warmupField(strategy);
  throw new InputError(
    field,
    `a window of ${window} bars needs ${bars} bars of warm-up, but ${where} has only ${available} bars, so no signal could ever trade; shorten ${field} (warm-up under ${available - 1} bars) or use more data`,
  );
}
