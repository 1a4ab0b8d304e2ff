// Closed-form ridge regression, W = (XᵀX + λI)⁻¹ XᵀY, solved with our own Cholesky decomposition
// (no dependency): XᵀX + λI is symmetric positive definite for λ > 0, so Cholesky is the stable and
// cheapest direct solve (D³/3 flops; a 768×768 system takes well under a second). No intercept term:
// the map is linear through the origin, as the formula says.
import { InputError } from '../../errors.js';
import type { Row } from './metrics.js';

export interface RidgeModel {
  /** Row-major inputDim × outputDim. */
  weights: Float64Array;
  inputDim: number;
  outputDim: number;
  lambda: number;
}

/** Yields to the event loop when more than 20 ms passed since `since`; returns the new mark. */
export async function breathe(since: number, signal?: AbortSignal): Promise<number> {
  if (Date.now() - since <= 20) return since;
  signal?.throwIfAborted();
  await new Promise((resolve) => setImmediate(resolve));
  return Date.now();
}

/** In place: the lower triangle of `a` (n×n, row-major, symmetric) becomes L with a = L·Lᵀ. */
export async function choleskyInPlace(a: Float64Array, n: number, signal?: AbortSignal): Promise<void> {
  let mark = Date.now();
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let diagonal = a[rj + j]!;
    for (let k = 0; k < j; k++) diagonal -= a[rj + k]! * a[rj + k]!;
    if (!(diagonal > 0))
      throw new InputError('lambda', `the system is not positive definite at row ${j}; use a larger lambda`);
    const ljj = Math.sqrt(diagonal);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let sum = a[ri + j]!;
      for (let k = 0; k < j; k++) sum -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = sum / ljj;
    }
    mark = await breathe(mark, signal);
  }
}

/** Solves (L·Lᵀ) X = B for B (n×m, row-major), in place, with L from choleskyInPlace. */
export async function choleskySolveInPlace(
  l: Float64Array,
  n: number,
  b: Float64Array,
  m: number,
  signal?: AbortSignal,
): Promise<void> {
  let mark = Date.now();
  // Forward: L Z = B.
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k]!;
      if (lik === 0) continue;
      const bi = i * m;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c]! -= lik * b[bk + c]!;
    }
    const lii = l[ri + i]!;
    for (let c = 0, bi = i * m; c < m; c++) b[bi + c]! /= lii;
    mark = await breathe(mark, signal);
  }
  // Backward: Lᵀ X = Z.
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i]!;
      if (lki === 0) continue;
      const bi = i * m;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c]! -= lki * b[bk + c]!;
    }
    const lii = l[i * n + i]!;
    for (let c = 0, bi = i * m; c < m; c++) b[bi + c]! /= lii;
    mark = await breathe(mark, signal);
  }
}

/** XᵀX (D×D) and XᵀY (D×m) in one pass over paired rows. */
export async function normalEquations(
  inputs: readonly Row[],
  outputs: readonly Row[],
  signal?: AbortSignal,
): Promise<{ xtx: Float64Array; xty: Float64Array; inputDim: number; outputDim: number }> {
  if (inputs.length === 0)
    throw new InputError('train', 'no training examples for ridge regression; give a longer train split');
  const d = inputs[0]!.length;
  const m = outputs[0]!.length;
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d * m);
  let mark = Date.now();
  for (let r = 0; r < inputs.length; r++) {
    const x = inputs[r]!;
    const y = outputs[r]!;
    for (let i = 0; i < d; i++) {
      const xi = x[i]!;
      if (xi === 0) continue;
      const row = i * d;
      for (let j = i; j < d; j++) xtx[row + j]! += xi * x[j]!;
      const out = i * m;
      for (let c = 0; c < m; c++) xty[out + c]! += xi * y[c]!;
    }
    mark = await breathe(mark, signal);
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) xtx[i * d + j] = xtx[j * d + i]!;
  return { xtx, xty, inputDim: d, outputDim: m };
}

/** W = (XᵀX + λI)⁻¹ XᵀY from precomputed normal equations (they are not modified). */
export async function solveRidge(
  normal: { xtx: Float64Array; xty: Float64Array; inputDim: number; outputDim: number },
  lambda: number,
  signal?: AbortSignal,
): Promise<RidgeModel> {
  if (!(lambda > 0) || !Number.isFinite(lambda))
    throw new InputError('lambda', `is ${lambda}; give a finite number above 0`);
  const { inputDim: d, outputDim: m } = normal;
  const a = Float64Array.from(normal.xtx);
  for (let i = 0; i < d; i++) a[i * d + i]! += lambda;
  await choleskyInPlace(a, d, signal);
  const weights = Float64Array.from(normal.xty);
  await choleskySolveInPlace(a, d, weights, m, signal);
  return { weights, inputDim: d, outputDim: m, lambda };
}

export async function fitRidge(
  inputs: readonly Row[],
  outputs: readonly Row[],
  lambda: number,
  signal?: AbortSignal,
): Promise<RidgeModel> {
  return solveRidge(await normalEquations(inputs, outputs, signal), lambda, signal);
}

export function predictRidge(model: RidgeModel, x: Row): Float64Array {
  const { weights, inputDim: d, outputDim: m } = model;
  const y = new Float64Array(m);
  for (let i = 0; i < d; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    for (let c = 0; c < m; c++) y[c]! += xi * weights[i * m + c]!;
  }
  return y;
}
