// A Gaussian hidden Markov model with diagonal covariance: scaled forward-backward, Baum-Welch with
// several seeded random restarts (the best log-likelihood wins), Viterbi, and posteriors. States are
// relabelled after fitting by a stress score (the state means projected on each feature's stress
// direction), so state 0 is always the calmest and the labels do not swap between refits.
import { normal, type Random } from './random.js';

export interface HmmParameters {
  start: number[];
  transition: number[][];
  means: number[][];
  variances: number[][];
}

export interface HmmFit {
  parameters: HmmParameters;
  logLikelihood: number;
  iterations: number;
  /** True only when |ΔLL| fell below the tolerance before the iteration cap. */
  converged: boolean;
  restarts: number;
  /** Log-likelihood of each restart's final model. */
  restartLogLikelihoods: number[];
}

export interface FitOptions {
  states: number;
  random: Random;
  restarts?: number;
  maxIterations?: number;
  tolerance?: number;
  varianceFloor?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Per-step emission likelihoods scaled by their row maximum; `offsets` hold the log of that maximum. */
function emissions(data: readonly number[][], p: HmmParameters): { b: Float64Array[]; offsets: Float64Array } {
  const K = p.start.length;
  const T = data.length;
  const b: Float64Array[] = [];
  const offsets = new Float64Array(T);
  const logNorm = p.variances.map((v) => v.reduce((s, x) => s - 0.5 * (LOG_2PI + Math.log(x)), 0));
  const logs = new Float64Array(K);
  for (let t = 0; t < T; t++) {
    const x = data[t]!;
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      const mean = p.means[k]!;
      const variance = p.variances[k]!;
      let s = logNorm[k]!;
      for (let d = 0; d < x.length; d++) {
        const diff = x[d]! - mean[d]!;
        s -= (diff * diff) / (2 * variance[d]!);
      }
      logs[k] = s;
      if (s > max) max = s;
    }
    const row = new Float64Array(K);
    for (let k = 0; k < K; k++) row[k] = Math.exp(logs[k]! - max);
    b.push(row);
    offsets[t] = max;
  }
  return { b, offsets };
}

export interface ForwardBackward {
  logLikelihood: number;
  gamma: Float64Array[];
  /** Expected transition counts summed over time. */
  xiSum: number[][];
}

export function forwardBackward(data: readonly number[][], p: HmmParameters): ForwardBackward {
  const K = p.start.length;
  const T = data.length;
  const { b, offsets } = emissions(data, p);
  const alpha: Float64Array[] = [];
  const scale = new Float64Array(T);
  let logLikelihood = 0;
  for (let t = 0; t < T; t++) {
    const a = new Float64Array(K);
    for (let j = 0; j < K; j++) {
      let s = 0;
      if (t === 0) s = p.start[j]!;
      else for (let i = 0; i < K; i++) s += alpha[t - 1]![i]! * p.transition[i]![j]!;
      a[j] = s * b[t]![j]!;
    }
    let c = 0;
    for (let j = 0; j < K; j++) c += a[j]!;
    if (c === 0 || !Number.isFinite(c)) c = Number.MIN_VALUE;
    for (let j = 0; j < K; j++) a[j]! /= c;
    scale[t] = c;
    alpha.push(a);
    logLikelihood += Math.log(c) + offsets[t]!;
  }
  const beta: Float64Array[] = new Array(T);
  beta[T - 1] = new Float64Array(K).fill(1);
  const xiSum = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let t = T - 2; t >= 0; t--) {
    const next = beta[t + 1]!;
    const bt = b[t + 1]!;
    const c = scale[t + 1]!;
    const current = new Float64Array(K);
    for (let i = 0; i < K; i++) {
      let s = 0;
      for (let j = 0; j < K; j++) {
        const term = p.transition[i]![j]! * bt[j]! * next[j]!;
        s += term;
        xiSum[i]![j]! += (alpha[t]![i]! * term) / c;
      }
      current[i] = s / c;
    }
    beta[t] = current;
  }
  const gamma = alpha.map((a, t) => {
    const g = new Float64Array(K);
    let s = 0;
    for (let k = 0; k < K; k++) {
      g[k] = a[k]! * beta[t]![k]!;
      s += g[k]!;
    }
    for (let k = 0; k < K; k++) g[k]! /= s || 1;
    return g;
  });
  return { logLikelihood, gamma, xiSum };
}

function mStep(data: readonly number[][], fb: ForwardBackward, floor: number): HmmParameters {
  const K = fb.gamma[0]!.length;
  const D = data[0]!.length;
  const T = data.length;
  const start = Array.from(fb.gamma[0]!, (g) => Math.max(g, 1e-12));
  const startSum = start.reduce((s, x) => s + x, 0);
  const transition = fb.xiSum.map((row) => {
    const s = row.reduce((a, x) => a + x, 0);
    return row.map((x) => (s > 0 ? Math.max(x / s, 1e-12) : 1 / K));
  });
  const means: number[][] = [];
  const variances: number[][] = [];
  for (let k = 0; k < K; k++) {
    let weight = 0;
    const mean = new Array<number>(D).fill(0);
    for (let t = 0; t < T; t++) {
      const g = fb.gamma[t]![k]!;
      weight += g;
      for (let d = 0; d < D; d++) mean[d]! += g * data[t]![d]!;
    }
    for (let d = 0; d < D; d++) mean[d] = weight > 1e-12 ? mean[d]! / weight : 0;
    const variance = new Array<number>(D).fill(0);
    for (let t = 0; t < T; t++) {
      const g = fb.gamma[t]![k]!;
      for (let d = 0; d < D; d++) {
        const diff = data[t]![d]! - mean[d]!;
        variance[d]! += g * diff * diff;
      }
    }
    for (let d = 0; d < D; d++) variance[d] = (weight > 1e-12 ? variance[d]! / weight : 1) + floor;
    means.push(mean);
    variances.push(variance);
  }
  return {
    start: start.map((x) => x / startSum),
    transition: transition.map((row) => {
      const s = row.reduce((a, x) => a + x, 0);
      return row.map((x) => x / s);
    }),
    means,
    variances,
  };
}

function initialParameters(data: readonly number[][], K: number, random: Random): HmmParameters {
  const D = data[0]!.length;
  const T = data.length;
  const globalMean = new Array<number>(D).fill(0);
  for (const x of data) for (let d = 0; d < D; d++) globalMean[d]! += x[d]! / T;
  const globalVariance = new Array<number>(D).fill(0);
  for (const x of data) for (let d = 0; d < D; d++) globalVariance[d]! += (x[d]! - globalMean[d]!) ** 2 / T;
  // k-means++ style: spread the initial means over the data.
  const means: number[][] = [data[Math.floor(random() * T)]!.slice()];
  while (means.length < K) {
    const distances = data.map((x) => Math.min(...means.map((m) => m.reduce((s, v, d) => s + (x[d]! - v) ** 2, 0))));
    const total = distances.reduce((s, x) => s + x, 0);
    let pick = random() * total;
    let index = 0;
    while (index < T - 1 && pick > distances[index]!) pick -= distances[index++]!;
    means.push(
      total > 0
        ? data[index]!.slice()
        : globalMean.map((m, d) => m + normal(random) * Math.sqrt(globalVariance[d]! || 1)),
    );
  }
  const stay = 0.7 + 0.25 * random();
  const transition = Array.from({ length: K }, (_, i) =>
    Array.from({ length: K }, (_, j) => (i === j ? stay : (1 - stay) / (K - 1))),
  );
  return {
    start: new Array<number>(K).fill(1 / K),
    transition,
    means,
    variances: means.map(() => globalVariance.map((v) => Math.max(v, 1e-3))),
  };
}

export function fitHmm(data: readonly number[][], options: FitOptions): HmmFit {
  if (data.length < 2 || data[0]!.length === 0)
    throw new RangeError('an HMM needs at least two observations with at least one feature');
  const restarts = options.restarts ?? 8;
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-6;
  const floor = options.varianceFloor ?? 1e-3;
  let best: HmmFit | undefined;
  const restartLogLikelihoods: number[] = [];
  for (let r = 0; r < restarts; r++) {
    let parameters = initialParameters(data, options.states, options.random);
    let previous = -Infinity;
    let converged = false;
    let iterations = 0;
    let fb = forwardBackward(data, parameters);
    for (; iterations < maxIterations; iterations++) {
      parameters = mStep(data, fb, floor);
      fb = forwardBackward(data, parameters);
      if (Math.abs(fb.logLikelihood - previous) < tolerance * Math.max(1, Math.abs(fb.logLikelihood))) {
        converged = true;
        iterations++;
        break;
      }
      previous = fb.logLikelihood;
    }
    restartLogLikelihoods.push(fb.logLikelihood);
    if (!best || fb.logLikelihood > best.logLikelihood)
      best = { parameters, logLikelihood: fb.logLikelihood, iterations, converged, restarts, restartLogLikelihoods };
  }
  return { ...best!, restartLogLikelihoods };
}

/** Reorders states by ascending stress: Σ_d direction[d] × mean[k][d]. */
export function orderByStress(
  p: HmmParameters,
  direction: readonly number[],
): { parameters: HmmParameters; order: number[]; stress: number[] } {
  const stress = p.means.map((m) => m.reduce((s, v, d) => s + (direction[d] ?? 0) * v, 0));
  const order = stress.map((_, k) => k).sort((a, b) => stress[a]! - stress[b]!);
  return {
    order,
    stress: order.map((k) => stress[k]!),
    parameters: {
      start: order.map((k) => p.start[k]!),
      transition: order.map((i) => order.map((j) => p.transition[i]![j]!)),
      means: order.map((k) => p.means[k]!),
      variances: order.map((k) => p.variances[k]!),
    },
  };
}

export function viterbi(data: readonly number[][], p: HmmParameters): number[] {
  const K = p.start.length;
  const T = data.length;
  const { b, offsets } = emissions(data, p);
  const logA = p.transition.map((row) => row.map(Math.log));
  let delta = p.start.map((s, k) => Math.log(s) + Math.log(b[0]![k]!) + offsets[0]!);
  const back: Int32Array[] = [];
  for (let t = 1; t < T; t++) {
    const next = new Array<number>(K);
    const pointer = new Int32Array(K);
    for (let j = 0; j < K; j++) {
      let bestValue = -Infinity;
      let bestState = 0;
      for (let i = 0; i < K; i++) {
        const v = delta[i]! + logA[i]![j]!;
        if (v > bestValue) {
          bestValue = v;
          bestState = i;
        }
      }
      next[j] = bestValue + Math.log(b[t]![j]!) + offsets[t]!;
      pointer[j] = bestState;
    }
    back.push(pointer);
    delta = next;
  }
  const path = new Array<number>(T);
  path[T - 1] = delta.indexOf(Math.max(...delta));
  for (let t = T - 1; t > 0; t--) path[t - 1] = back[t - 1]![path[t]!]!;
  return path;
}

/** Samples a state path and observations from known parameters (for verification). */
export function simulate(p: HmmParameters, length: number, random: Random): { states: number[]; data: number[][] } {
  const pick = (weights: readonly number[]) => {
    let u = random();
    for (let k = 0; k < weights.length; k++) {
      u -= weights[k]!;
      if (u <= 0) return k;
    }
    return weights.length - 1;
  };
  const states: number[] = [];
  const data: number[][] = [];
  let s = pick(p.start);
  for (let t = 0; t < length; t++) {
    if (t > 0) s = pick(p.transition[s]!);
    states.push(s);
    data.push(p.means[s]!.map((m, d) => m + Math.sqrt(p.variances[s]![d]!) * normal(random)));
  }
  return { states, data };
}

/**
 * Probability of entering any of `states` within `horizon` steps, from a distribution over the
 * current state: the target states absorb, so each path counts once.
 */
export function hitProbability(
  current: readonly number[],
  transition: readonly (readonly number[])[],
  states: readonly number[],
  horizon: number,
): number {
  const K = current.length;
  const target = new Set(states);
  let v = current.slice();
  let hit = 0;
  for (let step = 0; step < horizon; step++) {
    const next = new Array<number>(K).fill(0);
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) next[j]! += v[i]! * transition[i]![j]!;
    for (const k of target) {
      hit += next[k]!;
      next[k] = 0;
    }
    v = next;
  }
  return Math.min(1, Math.max(0, hit));
}
