// Phase "hmm": one 3-state Gaussian HMM per country (tranquil, turbulent, crisis) on its standardised
// monthly features, with seeded restarts so a rebuild gives the same answer. The output carries the
// parameters in stress order, the Viterbi path, the posterior of every month, the current state and
// the scenario probabilities derived from the transition matrix.
import { fitHmm, forwardBackward, hitProbability, orderByStress, viterbi } from './gaussian-hmm.js';
import { featureMatrix } from './features.js';
import { hashSeed, seededRandom } from './random.js';
import type { Observation } from '../observation.js';

export const stateNames = ['tranquil', 'turbulent', 'crisis'] as const;
export type StateName = (typeof stateNames)[number];

export interface CountryRegime {
  country: string;
  status: 'fitted' | 'insufficient_data';
  reason?: string;
  features: { stat: string; direction: number; change: boolean; mean: number; std: number }[];
  dropped: { stat: string; reason: string }[];
  months: string[];
  start?: number[];
  transition?: number[][];
  means?: number[][];
  variances?: number[][];
  stress?: number[];
  logLikelihood?: number;
  iterations?: number;
  converged?: boolean;
  restarts?: number;
  viterbi?: StateName[];
  posteriors?: number[][];
  state?: StateName;
  probabilities?: Record<StateName, number>;
  asOf?: string;
  /** P(crisis at some month within 12), P(turbulent or worse within 3), from the current posterior. */
  scenarios?: { crisis12m: number; stress3m: number };
}

export interface RegimeOptions {
  startYear: number;
  restarts?: number;
  minimumMonths?: number;
  seed?: string;
}

const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

export function fitCountryRegime(
  country: string,
  observations: readonly Observation[],
  options: RegimeOptions,
): CountryRegime {
  const matrix = featureMatrix(observations, options.startYear);
  const base = {
    country,
    features: matrix.features.map((f) => ({ ...f, mean: round(f.mean), std: round(f.std) })),
    dropped: matrix.dropped,
    months: matrix.months,
  };
  const minimum = options.minimumMonths ?? 24;
  if (matrix.features.length === 0 || matrix.rows.length < minimum) {
    return {
      ...base,
      status: 'insufficient_data',
      reason:
        matrix.features.length === 0
          ? 'no usable feature (see dropped)'
          : `${matrix.rows.length} months of features; at least ${minimum} are needed`,
    };
  }
  const fit = fitHmm(matrix.rows, {
    states: 3,
    random: seededRandom(hashSeed(`${options.seed ?? 'caelum'}:${country}`)),
    restarts: options.restarts ?? 8,
  });
  const { parameters, stress } = orderByStress(
    fit.parameters,
    matrix.features.map((f) => f.direction / matrix.features.length),
  );
  const fb = forwardBackward(matrix.rows, parameters);
  const path = viterbi(matrix.rows, parameters);
  const posteriors = fb.gamma.map((g) => Array.from(g, (x) => round(x)));
  const current = Array.from(fb.gamma.at(-1)!);
  const transition = parameters.transition.map((row) => row.map((x) => round(x)));
  const stateIndex = current.indexOf(Math.max(...current));
  return {
    ...base,
    status: 'fitted',
    start: parameters.start.map((x) => round(x)),
    transition,
    means: parameters.means.map((m) => m.map((x) => round(x))),
    variances: parameters.variances.map((m) => m.map((x) => round(x))),
    stress: stress.map((x) => round(x)),
    logLikelihood: round(fb.logLikelihood, 4),
    iterations: fit.iterations,
    converged: fit.converged,
    restarts: fit.restarts,
    viterbi: path.map((k) => stateNames[k]!),
    posteriors,
    state: stateNames[stateIndex]!,
    probabilities: { tranquil: round(current[0]!), turbulent: round(current[1]!), crisis: round(current[2]!) },
    asOf: matrix.months.at(-1)!,
    scenarios: {
      crisis12m: round(hitProbability(current, parameters.transition, [2], 12)),
      stress3m: round(hitProbability(current, parameters.transition, [1, 2], 3)),
    },
  };
}
