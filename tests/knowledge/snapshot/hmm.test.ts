// The Gaussian HMM against data simulated from known parameters: Baum-Welch must recover the
// transition matrix to within 0.02, label the states by stress whatever order the restarts found
// them in, decode the path, and report convergence truthfully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fitHmm,
  forwardBackward,
  hitProbability,
  orderByStress,
  simulate,
  viterbi,
  type HmmParameters,
} from '../../../knowledge/snapshot/regimes/gaussian-hmm.js';
import { seededRandom } from '../../../knowledge/snapshot/regimes/random.js';

const truth: HmmParameters = {
  start: [0.6, 0.3, 0.1],
  transition: [
    [0.95, 0.04, 0.01],
    [0.08, 0.87, 0.05],
    [0.03, 0.1, 0.87],
  ],
  // features: growth (stress −), inflation (stress +), credit losses (stress +)
  means: [
    [1.0, -0.6, -0.8],
    [-0.2, 0.4, 0.3],
    [-1.6, 1.3, 1.9],
  ],
  variances: [
    [0.25, 0.3, 0.2],
    [0.3, 0.25, 0.3],
    [0.35, 0.4, 0.3],
  ],
};
const direction = [-1, 1, 1];

test('Baum-Welch recovers the transition matrix of simulated data to within 0.02', () => {
  const { data, states } = simulate(truth, 20_000, seededRandom(7));
  const fit = fitHmm(data, { states: 3, random: seededRandom(11), restarts: 4 });
  const { parameters } = orderByStress(fit.parameters, direction);
  let worst = 0;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      worst = Math.max(worst, Math.abs(parameters.transition[i]![j]! - truth.transition[i]![j]!));
  assert.ok(worst <= 0.02, `largest transition error ${worst.toFixed(4)}`);
  for (let k = 0; k < 3; k++)
    for (let d = 0; d < 3; d++)
      assert.ok(Math.abs(parameters.means[k]![d]! - truth.means[k]![d]!) < 0.05, `mean ${k},${d}`);
  assert.equal(fit.converged, true);
  assert.ok(fit.iterations < 300);
  // Viterbi on the ordered model agrees with the true path almost everywhere.
  const path = viterbi(data, parameters);
  const agreement = path.filter((s, t) => s === states[t]).length / path.length;
  assert.ok(agreement > 0.95, `viterbi agreement ${agreement}`);
});

test('state labels follow stress, not the order a restart happened to find', () => {
  const { data } = simulate(truth, 3_000, seededRandom(3));
  const labels = [1, 2, 3, 4].map((seed) => {
    const fit = fitHmm(data, { states: 3, random: seededRandom(seed * 101), restarts: 1 });
    return orderByStress(fit.parameters, direction).parameters.means.map((m) => Math.round(m[0]!));
  });
  for (const l of labels) assert.deepEqual(l, labels[0]);
  assert.ok(labels[0]![0]! > labels[0]![2]!, 'the calmest state has the highest growth');
});

test('converged is false when the iteration cap stops Baum-Welch first', () => {
  const { data } = simulate(truth, 2_000, seededRandom(5));
  const fit = fitHmm(data, { states: 3, random: seededRandom(1), restarts: 1, maxIterations: 2 });
  assert.equal(fit.converged, false);
  assert.equal(fit.iterations, 2);
});

test('scaled forward-backward stays finite on long sequences and its posteriors sum to one', () => {
  const { data } = simulate(truth, 50_000, seededRandom(9));
  const fb = forwardBackward(data, truth);
  assert.ok(Number.isFinite(fb.logLikelihood) && fb.logLikelihood < 0);
  for (const t of [0, 25_000, 49_999]) assert.ok(Math.abs(fb.gamma[t]!.reduce((s, x) => s + x, 0) - 1) < 1e-9);
});

test('crisis-within-horizon probability counts each path once', () => {
  const A = [
    [0.9, 0.1, 0],
    [0, 0.5, 0.5],
    [0, 0, 1],
  ];
  // From tranquil: crisis needs two steps. P(within 2) = 0.1 × 0.5.
  assert.ok(Math.abs(hitProbability([1, 0, 0], A, [2], 2) - 0.05) < 1e-12);
  assert.equal(hitProbability([1, 0, 0], A, [2], 1), 0);
  assert.ok(Math.abs(hitProbability([0, 1, 0], A, [2], 3) - (1 - 0.5 ** 3)) < 1e-12);
});
