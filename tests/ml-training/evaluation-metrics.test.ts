// The evaluation pieces on their own: streamed metrics, the zero-vector rule, ridge recovering a known
// map (and a 768-d solve's time), the verdict's wording, clear input errors, and the tool end to end
// on .npy files inside the allowed roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { vectorMetrics, type Row } from '../../tools/ml-training/evaluation/metrics.js';
import { fitRidge, predictRidge } from '../../tools/ml-training/evaluation/ridge.js';
import { seededGaussian } from '../../tools/ml-training/evaluation/baselines.js';
import { verdict } from '../../tools/ml-training/evaluation/verdict.js';
import { evaluateNextVector } from '../../tools/ml-training/evaluation/evaluate.js';
import { parseNpy } from '../../tools/ml-training/evaluation/npy.js';
import { InputError } from '../../tools/errors.js';
import { tempDir, testSuite } from '../helpers.js';

function randomRows(n: number, d: number, seed: number): Float64Array[] {
  const g = seededGaussian(seed);
  return Array.from({ length: n }, () => Float64Array.from({ length: d }, g));
}

async function* chunks(rows: readonly Row[], size: number): AsyncGenerator<readonly Row[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** A .npy file as numpy writes it (version 1, header padded to 64 bytes). */
function npy(rows: number[][], dtype: '<f4' | '<f8'): Buffer {
  const d = rows[0]!.length;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': (${rows.length}, ${d}), }`;
  header = header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11) + '\n';
  const prefix = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.alloc(2)]);
  prefix.writeUInt16LE(header.length, 8);
  const data = dtype === '<f4' ? new Float32Array(rows.flat()) : new Float64Array(rows.flat());
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer)]);
}

test('metrics streamed in uneven chunks equal the one-shot values exactly', async () => {
  const pred = randomRows(257, 12, 1);
  const truth = randomRows(257, 12, 2).map((r) => Float32Array.from(r));
  const whole = await vectorMetrics(pred, truth);
  const streamed = await vectorMetrics(chunks(pred, 7), chunks(truth, 50));
  assert.deepEqual(streamed, whole);
  let sq = 0;
  pred.forEach((p, i) => p.forEach((v, k) => (sq += (v - truth[i]![k]!) ** 2)));
  assert.ok(Math.abs(whole.mse - sq / (257 * 12)) < 1e-12);
});

test('cosine: both vectors zero counts 1, one zero counts 0, opposite counts −1', async () => {
  const m = await vectorMetrics(
    [
      [0, 0],
      [0, 0],
      [1, 0],
      [2, 2],
    ],
    [
      [0, 0],
      [3, 4],
      [-5, 0],
      [1, 1],
    ],
  );
  assert.ok(Math.abs(m.cosine - (1 + 0 - 1 + 1) / 4) < 1e-12);
  assert.equal(m.mse, (0 + 25 + 36 + 2) / 8);
});

test('ridge recovers a known linear map; a 768-d solve runs in reasonable time', async () => {
  const d = 8;
  const w = randomRows(d, d, 3);
  const xs = randomRows(200, d, 4);
  const ys = xs.map((x) =>
    predictRidge({ weights: Float64Array.from(w.flatMap((r) => [...r])), inputDim: d, outputDim: d, lambda: 0 }, x),
  );
  const model = await fitRidge(xs, ys, 1e-9);
  model.weights.forEach((v, i) => assert.ok(Math.abs(v - w[Math.floor(i / d)]![i % d]!) < 1e-6, `W[${i}]`));

  const big = 768;
  const started = performance.now();
  const fitted = await fitRidge(randomRows(300, big, 5), randomRows(300, big, 6), 1);
  const ms = performance.now() - started;
  assert.equal(fitted.weights.length, big * big);
  assert.ok(fitted.weights.every(Number.isFinite));
  assert.ok(ms < 30_000, `768-d ridge took ${ms.toFixed(0)} ms`);
  process.stdout.write(`# 768-d ridge fit (300 rows, 768 outputs): ${ms.toFixed(0)} ms\n`);
});

test('the verdict names what is beaten, by how much, and what is not', () => {
  const model = { mse: 0.5, cosine: 0.8, count: 10, dimension: 4 };
  const v = verdict(model, {
    copy_last: { mse: 1, cosine: 0.5, count: 10, dimension: 4 },
    ridge: { mse: 0.4, cosine: 0.8, count: 10, dimension: 4 },
  });
  assert.equal(v.beatsAll, false);
  assert.deepEqual(v.beatsAllOn, { mse: false, cosine: false });
  assert.deepEqual(v.notBeaten, ['ridge']);
  const mse = v.comparisons.find((c) => c.baseline === 'copy_last' && c.metric === 'mse')!;
  assert.deepEqual([mse.improvement, mse.relative, mse.beats], [0.5, 0.5, true]);
  assert.equal(
    v.summary,
    [
      'The model does not beat ridge on every metric.',
      'mse: beats copy_last (0.5000 vs 1.000, 50.0% better)',
      'cosine: beats copy_last (0.8000 vs 0.5000, 60.0% better)',
      'mse: loses to ridge (0.5000 vs 0.4000, 25.0% worse)',
      'cosine: ties ridge (0.8000 vs 0.8000, 0.0%)',
    ].join('\n'),
  );
  assert.equal(
    verdict(model, { copy_last: { mse: 1, cosine: 0.5, count: 10, dimension: 4 } }).summary.split('\n')[0],
    'The model beats all 1 baselines on MSE and cosine.',
  );
});

test('bad input gives an InputError naming the field', async () => {
  const rows = randomRows(10, 3, 7);
  const expect = async (run: () => Promise<unknown>, field: string, pattern: RegExp) => {
    await assert.rejects(run, (e: unknown) => e instanceof InputError && e.field === field && pattern.test(e.message));
  };
  const preds = rows.slice(1);
  await expect(
    () =>
      evaluateNextVector({ train: rows, test: [...rows.slice(0, 4), new Float64Array(2)] }, preds.slice(0, 4), {
        context: 1,
      }),
    'test[4]',
    /2 dimensions, expected 3/,
  );
  await expect(
    () => evaluateNextVector({ train: rows, test: [rows[0]!] }, [], { context: 1 }),
    'test',
    /needs more than context/,
  );
  await expect(
    () => evaluateNextVector({ train: [], test: rows }, preds, { context: 1 }),
    'train',
    /needs more than context/,
  );
  const nan = rows.map((r) => Float64Array.from(r));
  nan[3]![1] = Number.NaN;
  await expect(
    () => evaluateNextVector({ train: nan, test: rows }, preds, { context: 1 }),
    'train[3][1]',
    /NaN; every value must be a finite number/,
  );
  await expect(
    () => evaluateNextVector({ train: rows, test: rows }, preds.slice(2), { context: 1 }),
    'predictions',
    /has 7 rows; the test split has 9/,
  );
  const badPred = preds.map((r) => [...r]);
  badPred[2] = [1, 2];
  await expect(
    () => evaluateNextVector({ train: rows, test: rows }, badPred, { context: 1 }),
    'predictions[2]',
    /2 dimensions/,
  );
  await expect(() => vectorMetrics([], []), 'targets', /no vectors/);
  assert.throws(
    () => parseNpy(Buffer.from('hello world!'), 'test'),
    (e: unknown) => e instanceof InputError && e.field === 'test',
  );
});

test('the tool evaluates .npy files (float32 and float64) inside the allowed roots and refuses one outside', async (t) => {
  const suite = await testSuite(t);
  const context = suite.dispatcher.context({});
  const rows = randomRows(60, 4, 9).map((r) => [...r]);
  await writeFile(path.join(suite.project, 'train.npy'), npy(rows.slice(0, 40), '<f4'));
  await writeFile(path.join(suite.project, 'test.npy'), npy(rows.slice(40), '<f8'));
  await writeFile(path.join(suite.project, 'pred.npy'), npy(rows.slice(40, 59), '<f8'));
  const parsed = parseNpy(npy(rows.slice(0, 3), '<f4'), 'x');
  assert.deepEqual(parsed.shape, [3, 4]);
  assert.equal(parsed.rows[2]![1], Math.fround(rows[2]![1]!));
  const outcome = await suite.dispatcher.router.invoke(
    'ml_training_evaluate_predictions',
    { train: 'train.npy', test: path.join(suite.project, 'test.npy'), predictions: 'pred.npy' },
    context,
  );
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const output = outcome.output as {
    model: { mse: number };
    baselines: Record<string, { mse: number }>;
    verdict: { beatsAll: boolean };
  };
  // Predicting the previous vector is exactly the copy-last baseline: a tie, so not a win.
  assert.equal(output.model.mse, output.baselines.copy_last!.mse);
  assert.equal(output.verdict.beatsAll, false);
  const outside = await tempDir(t);
  await writeFile(path.join(outside, 'x.npy'), npy(rows, '<f8'));
  const refused = await suite.dispatcher.router.invoke(
    'ml_training_evaluate_predictions',
    { train: path.join(outside, 'x.npy'), test: 'test.npy', predictions: 'pred.npy' },
    context,
  );
  assert.ok(!refused.ok);
  assert.match(refused.error.message, /^train: /);
});
