// Our metrics, baselines and ridge solution against numpy's (scripts/ml-evaluation-reference.py,
// a seeded noisy linear dynamical system, d=16), to 1e-6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { evaluateNextVector } from '../../tools/ml-training/evaluation/evaluate.js';
import {
  featuresOf,
  nearestNeighbourBaseline,
  randomBaseline,
  ridgeBaseline,
} from '../../tools/ml-training/evaluation/baselines.js';
import type { VectorMetrics } from '../../tools/ml-training/evaluation/metrics.js';

interface Reference {
  context: number;
  seed: number;
  train: number[][];
  validation: number[][];
  test: number[][];
  predictions: number[][];
  nearestIndices: number[];
  ridgeLast: { lambda: number; weights: number[][] };
  ridgeFlatLambda: number;
  metrics: Record<string, VectorMetrics>;
  randomFirstRow: number[];
}

const reference = JSON.parse(
  await readFile(path.join(import.meta.dirname, 'fixtures', 'evaluation-reference.json'), 'utf8'),
) as Reference;
const split = { train: reference.train, validation: reference.validation, test: reference.test };

function close(actual: number, expected: number, what: string, tolerance = 1e-6) {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs numpy ${expected}`);
}

function closeMetrics(actual: VectorMetrics, expected: VectorMetrics, what: string) {
  close(actual.mse, expected.mse, `${what} mse`);
  close(actual.cosine, expected.cosine, `${what} cosine`);
  assert.equal(actual.count, expected.count);
  assert.equal(actual.dimension, expected.dimension);
}

test('model and baseline metrics equal numpy to 1e-6, and the model beats all four', async () => {
  const result = await evaluateNextVector(split, reference.predictions, {
    context: reference.context,
    seed: reference.seed,
  });
  closeMetrics(result.model, reference.metrics.model!, 'model');
  for (const name of ['random', 'copy_last', 'nearest_neighbour', 'ridge'] as const)
    closeMetrics(result.baselines[name], reference.metrics[name]!, name);
  assert.equal(result.ridgeLambda, reference.ridgeLast.lambda);
  assert.deepEqual(result.examples, { train: 238, validation: 58, test: 98 });
  assert.equal(result.verdict.beatsAll, true, result.verdict.summary);
});

test('the random baseline draws the same stream as the reference', () => {
  const first = randomBaseline(split.train, split.test, reference.context, reference.seed)[0]!;
  first.forEach((v, k) => close(v, reference.randomFirstRow[k]!, `random[0][${k}]`, 1e-9));
});

test('HNSW finds the exact nearest neighbour (recall 1) on this set', async () => {
  const { neighbours } = await nearestNeighbourBaseline(split.train, split.test, reference.context);
  const hits = neighbours.filter((n, i) => n === reference.nearestIndices[i]).length;
  assert.equal(hits / neighbours.length, 1, `recall ${hits}/${neighbours.length}`);
});

test('ridge weights (last) and the flat-context ridge equal numpy', async () => {
  const last = await ridgeBaseline(split, { context: reference.context, features: 'last' });
  assert.equal(last.validation.length, 6);
  const m = last.model.outputDim;
  reference.ridgeLast.weights.forEach((row, i) =>
    row.forEach((w, c) => close(last.model.weights[i * m + c]!, w, `W[${i}][${c}]`)),
  );
  const flat = await ridgeBaseline(split, { context: reference.context, features: 'flat' });
  assert.equal(flat.model.lambda, reference.ridgeFlatLambda);
  assert.equal(flat.model.inputDim, 32);
  const targets = reference.test.slice(reference.context);
  let sum = 0;
  flat.predictions.forEach((p, i) => p.forEach((v, k) => (sum += (v - targets[i]![k]!) ** 2)));
  close(sum / (targets.length * 16), reference.metrics.ridge_flat!.mse, 'ridge flat mse');
  assert.equal(featuresOf(reference.test, 2, 'flat')[0]![16], reference.test[1]![0], 'flat features run oldest first');
});
