// One call for a whole evaluation: the model's test predictions and the four baselines scored with
// the same metrics on the same split, and the verdict. What the high-level assessment tool calls.
import { InputError } from '../../errors.js';
import { copyLastBaseline, nearestNeighbourBaseline, randomBaseline, ridgeBaseline, targetsOf } from './baselines.js';
import { vectorMetrics, type Row, type VectorMetrics } from './metrics.js';
import { verdict, type Verdict } from './verdict.js';
import { breathe } from './ridge.js';

export interface NextVectorSplit {
  train: readonly Row[];
  validation?: readonly Row[];
  test: readonly Row[];
}

export interface EvaluationOptions {
  /** How many previous vectors make the context (≥ 1). */
  context: number;
  /** Ridge inputs: the last context vector or the whole context flattened. */
  ridgeFeatures?: 'last' | 'flat';
  /** Fixed ridge λ; when absent it is chosen on validation from lambdaGrid, else 1. */
  lambda?: number;
  /** Seed of the random baseline. */
  seed?: number;
  signal?: AbortSignal;
}

export interface NextVectorEvaluation {
  examples: { train: number; validation: number; test: number };
  dimension: number;
  model: VectorMetrics;
  baselines: Record<'random' | 'copy_last' | 'nearest_neighbour' | 'ridge', VectorMetrics>;
  ridgeLambda: number;
  verdict: Verdict;
}

/** Checks shapes and values up front so every error names the field that is wrong. */
export async function checkSplit(split: NextVectorSplit, context: number, signal?: AbortSignal): Promise<number> {
  if (!Number.isInteger(context) || context < 1) throw new InputError('context', `is ${context}; give an integer ≥ 1`);
  const d = split.train[0]?.length ?? 0;
  let mark = Date.now();
  for (const [name, rows] of Object.entries(split) as [string, readonly Row[] | undefined][]) {
    if (rows === undefined) continue;
    if (name !== 'validation' && rows.length <= context)
      throw new InputError(
        name,
        `has ${rows.length} vectors; it needs more than context (${context}) to make one example`,
      );
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.length !== d || d === 0)
        throw new InputError(`${name}[${i}]`, `has ${row.length} dimensions, expected ${d} like train[0]`);
      for (let k = 0; k < row.length; k++)
        if (!Number.isFinite(row[k]))
          throw new InputError(`${name}[${i}][${k}]`, `is ${row[k]}; every value must be a finite number`);
      mark = await breathe(mark, signal);
    }
  }
  return d;
}

export async function evaluateNextVector(
  split: NextVectorSplit,
  predictions: readonly Row[],
  options: EvaluationOptions,
): Promise<NextVectorEvaluation> {
  const { context, signal } = options;
  const d = await checkSplit(split, context, signal);
  const targets = targetsOf(split.test, context);
  if (predictions.length !== targets.length)
    throw new InputError(
      'predictions',
      `has ${predictions.length} rows; the test split has ${targets.length} examples (test length − context)`,
    );
  const score = (rows: readonly Row[], field: string) =>
    vectorMetrics(rows, targets, { fields: { predictions: field, targets: 'test' }, signal });
  const model = await score(predictions, 'predictions');
  const ridge = await ridgeBaseline(split, {
    context,
    features: options.ridgeFeatures ?? 'last',
    lambda: options.lambda,
    signal,
  });
  const nearest = await nearestNeighbourBaseline(split.train, split.test, context, signal);
  const baselines = {
    random: await score(randomBaseline(split.train, split.test, context, options.seed ?? 0), 'baselines.random'),
    copy_last: await score(copyLastBaseline(split.test, context), 'baselines.copy_last'),
    nearest_neighbour: await score(nearest.predictions, 'baselines.nearest_neighbour'),
    ridge: await score(ridge.predictions, 'baselines.ridge'),
  };
  return {
    examples: {
      train: split.train.length - context,
      validation: Math.max(0, (split.validation?.length ?? 0) - context),
      test: targets.length,
    },
    dimension: d,
    model,
    baselines,
    ridgeLambda: ridge.model.lambda,
    verdict: verdict(model, baselines),
  };
}
