// The baselines a next-vector model must beat, computed on the same split as the model. A split is
// one sequence of vectors; example t (t = context … length−1) gives the `context` previous vectors
// rows[t−context … t−1] and asks for rows[t]. Baselines:
//   random     — seeded Gaussian per dimension with the train split's mean and (population) std;
//   copy-last  — the last context vector;
//   nearest    — the successor of the train example whose last context vector is nearest (L2, HNSW);
//   ridge      — closed-form ridge from the last context vector ("last") or the flattened context
//                ("flat", oldest first) to the next vector; λ chosen on validation when one is given.
import hnswlib from 'hnswlib-node';
import { InputError } from '../../errors.js';
import type { Row } from './metrics.js';
import { breathe, normalEquations, predictRidge, solveRidge, type RidgeModel } from './ridge.js';

export const lambdaGrid = [1e-3, 1e-2, 1e-1, 1, 10, 100] as const;

/** mulberry32: small, seedable, and easy to reproduce exactly in the numpy reference. */
export function seededUniform(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller, two uniforms per draw (the cosine branch only). */
export function seededGaussian(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u1 = 1 - uniform();
    const u2 = uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  };
}

/** The example targets of a split: rows[context …]. */
export function targetsOf(rows: readonly Row[], context: number): Row[] {
  return rows.slice(context);
}

/** The model inputs of a split's examples: the last context vector, or the flattened context. */
export function featuresOf(rows: readonly Row[], context: number, features: 'last' | 'flat'): Row[] {
  const out: Row[] = [];
  for (let t = context; t < rows.length; t++) {
    if (features === 'last') {
      out.push(rows[t - 1]!);
      continue;
    }
    const d = rows[0]!.length;
    const flat = new Float64Array(context * d);
    for (let k = 0; k < context; k++) flat.set(rows[t - context + k]!, k * d);
    out.push(flat);
  }
  return out;
}

export function randomBaseline(
  train: readonly Row[],
  test: readonly Row[],
  context: number,
  seed: number,
): Float64Array[] {
  const d = train[0]!.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const row of train) for (let k = 0; k < d; k++) mean[k]! += row[k]!;
  for (let k = 0; k < d; k++) mean[k]! /= train.length;
  for (const row of train) for (let k = 0; k < d; k++) std[k]! += (row[k]! - mean[k]!) ** 2;
  for (let k = 0; k < d; k++) std[k] = Math.sqrt(std[k]! / train.length);
  const gaussian = seededGaussian(seed);
  const out: Float64Array[] = [];
  for (let t = context; t < test.length; t++) {
    const row = new Float64Array(d);
    for (let k = 0; k < d; k++) row[k] = mean[k]! + std[k]! * gaussian();
    out.push(row);
  }
  return out;
}

export function copyLastBaseline(test: readonly Row[], context: number): Row[] {
  return featuresOf(test, context, 'last');
}

/** Predictions and, per test example, the index of the train example whose successor was taken. */
export async function nearestNeighbourBaseline(
  train: readonly Row[],
  test: readonly Row[],
  context: number,
  signal?: AbortSignal,
): Promise<{ predictions: Row[]; neighbours: number[] }> {
  const keys = featuresOf(train, context, 'last');
  const successors = targetsOf(train, context);
  if (keys.length === 0)
    throw new InputError('train', `has ${train.length} vectors; it needs more than context (${context})`);
  const index = new hnswlib.HierarchicalNSW('l2', train[0]!.length);
  index.initIndex(keys.length, 16, 200, 100);
  let mark = Date.now();
  for (let i = 0; i < keys.length; i++) {
    index.addPoint(Array.from(keys[i]!), i);
    mark = await breathe(mark, signal);
  }
  // A wide beam: on the set sizes evaluated here the search is then exact in practice.
  index.setEf(Math.max(200, Math.min(keys.length, 400)));
  const predictions: Row[] = [];
  const neighbours: number[] = [];
  for (const query of featuresOf(test, context, 'last')) {
    const label = index.searchKnn(Array.from(query), 1).neighbors[0]!;
    neighbours.push(label);
    predictions.push(successors[label]!);
    mark = await breathe(mark, signal);
  }
  return { predictions, neighbours };
}

function mseOf(predictions: readonly Row[], targets: readonly Row[]): number {
  let sum = 0;
  for (let i = 0; i < targets.length; i++)
    for (let k = 0; k < targets[i]!.length; k++) sum += (predictions[i]![k]! - targets[i]![k]!) ** 2;
  return sum / (targets.length * targets[0]!.length);
}

export interface RidgeBaseline {
  predictions: Float64Array[];
  model: RidgeModel;
  /** Validation MSE per λ tried, when λ was chosen on validation. */
  validation: { lambda: number; mse: number }[];
}

export async function ridgeBaseline(
  split: { train: readonly Row[]; validation?: readonly Row[]; test: readonly Row[] },
  options: { context: number; features: 'last' | 'flat'; lambda?: number; signal?: AbortSignal },
): Promise<RidgeBaseline> {
  const { context, features, signal } = options;
  const normal = await normalEquations(
    featuresOf(split.train, context, features),
    targetsOf(split.train, context),
    signal,
  );
  const tried: { lambda: number; mse: number }[] = [];
  let model: RidgeModel | undefined;
  const validation = split.validation && split.validation.length > context ? split.validation : undefined;
  if (options.lambda === undefined && validation) {
    const inputs = featuresOf(validation, context, features);
    const targets = targetsOf(validation, context);
    let best = Infinity;
    for (const lambda of lambdaGrid) {
      const candidate = await solveRidge(normal, lambda, signal);
      const mse = mseOf(
        inputs.map((x) => predictRidge(candidate, x)),
        targets,
      );
      tried.push({ lambda, mse });
      if (mse < best) [best, model] = [mse, candidate];
    }
  }
  model ??= await solveRidge(normal, options.lambda ?? 1, signal);
  const predictions = featuresOf(split.test, context, features).map((x) => predictRidge(model, x));
  return { predictions, model, validation: tried };
}
