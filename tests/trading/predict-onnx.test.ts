// The local ONNX backend on real onnxruntime-node with a model the test builds: outputs match a
// plain-TS reference of the same network to 1e-6 on real S&P 500 bars, a checkpoint loads once and is
// reused, a changed file is refused, contract mismatches are explained tensor by tensor, and the
// causal series equals per-bar predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ToolError } from '../../tools/errors.js';
import { barsFromRows, sliceBars, type BarSource, type Bars } from '../../tools/trading/market/bars.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { fillWindow } from '../../tools/trading/prediction/features.js';
import { ModelRegistry } from '../../tools/trading/prediction/model-registry.js';
import { checkModelFile, OnnxBackend } from '../../tools/trading/prediction/onnx-backend.js';
import { sigmoid } from '../../tools/trading/prediction/onnx-outputs.js';
import { predictSeries } from '../../tools/trading/prediction/predict-series.js';
import { tempDir } from '../helpers.js';
import {
  buildPredictionModel,
  marketEnvironment,
  defaultFeatures,
  modelWeights,
  referenceForward,
  testContract,
  testOutput,
  writeSp500,
  type ModelShape,
} from './predict-model-fixture.js';

const shape: ModelShape = { window: 30, features: defaultFeatures };

async function setup(t: Parameters<typeof tempDir>[0], wrap: (base: BarSource) => BarSource = (base) => base) {
  const dataDir = await tempDir(t);
  const market = path.join(dataDir, 'trading', 'market');
  await writeSp500(market, 'SPX');
  const base = createBarSource(marketEnvironment(dataDir));
  const bars = wrap(base);
  const registry = new ModelRegistry(dataDir);
  const { checkpoint } = await registry.register({
    name: 'ohlc-mlp',
    bytes: buildPredictionModel(shape),
    source: 'test',
    trainedAt: '2020-04-17T00:00:00Z',
    registeredAt: '2026-12-03T00:00:00Z',
    contract: testContract(shape),
    output: testOutput(),
    alias: 'production',
  });
  const backend = new OnnxBackend({ registry, bars, clock: { now: () => Date.parse('2026-12-03T08:00:00Z') } });
  t.after(() => backend.close());
  return { dataDir, registry, backend, checkpoint, spx: await base('SPX') };
}

/** The reference prediction for the window ending at bar `end`. */
function reference(bars: Bars, end: number): number[] {
  const input = new Float32Array(shape.window * shape.features.length);
  fillWindow(bars, shape.features, shape.window, { kind: 'window-zscore' }, end, input, 0);
  return referenceForward(modelWeights(shape), input);
}

test('ONNX backend: a prediction matches the plain-TS network to 1e-6 and carries the model identity', async (t) => {
  const { backend, checkpoint, spx } = await setup(t);
  // The file holds 5,105 rows (2000-01-03 … 2020-04-17).
  const last = spx.close.length - 1;
  assert.ok(last > 5000);
  const prediction = await backend.predict({ symbol: 'SPX' });
  const [r1, r5, r20, volatility, logit] = reference(spx, last);
  assert.ok(Math.abs(prediction.expectedReturns['1d'] - r1!) < 1e-6, `${prediction.expectedReturns['1d']} vs ${r1}`);
  assert.ok(Math.abs(prediction.expectedReturns['5d'] - r5!) < 1e-6);
  assert.ok(Math.abs(prediction.expectedReturns['20d'] - r20!) < 1e-6);
  assert.ok(Math.abs(prediction.volatility - volatility!) < 1e-6);
  const up = sigmoid(logit!);
  assert.equal(prediction.direction, up >= 0.5 ? 'LONG' : 'SHORT');
  assert.ok(Math.abs(prediction.confidence - Math.max(up, 1 - up)) < 1e-6);
  assert.match(prediction.riskScoreSource, /^derived: min\(1, \|volatility\|/);
  assert.equal(prediction.currentPrice, spx.close[last]);
  assert.equal(prediction.asOf, '2020-04-17');
  assert.deepEqual(prediction.model, {
    name: 'ohlc-mlp',
    alias: 'production',
    checkpoint: `${checkpoint.sha256}.onnx`,
    sha256: checkpoint.sha256,
    trainedAt: '2020-04-17T00:00:00Z',
    dataContractHash: checkpoint.dataContractHash,
    backend: 'onnx',
  });
  assert.match(checkpoint.dataContractHash, /^[0-9a-f]{64}$/);
});

test('ONNX backend: the checkpoint loads once and is reused; status counts predictions and errors', async (t) => {
  const { backend, checkpoint } = await setup(t);
  await Promise.all([backend.predict({ symbol: 'SPX' }), backend.predict({ symbol: 'SPX', model: 'ohlc-mlp' })]);
  await backend.predict({ symbol: 'SPX', model: `ohlc-mlp@${checkpoint.sha256.slice(0, 10)}` });
  await assert.rejects(backend.predict({ symbol: 'NOPE' }), InputError);
  assert.equal(backend.loads, 1);
  const status = backend.status();
  assert.deepEqual(status.loaded, [{ name: 'ohlc-mlp', sha256: checkpoint.sha256, since: '2026-12-03T08:00:00.000Z' }]);
  assert.equal(status.predictions, 3);
  assert.equal(status.errors, 1);
  assert.match(status.lastError!.message, /NOPE/);
});

test('ONNX backend: a checkpoint file changed after registration is refused at load', async (t) => {
  const { backend, registry, checkpoint } = await setup(t);
  const file = path.join(registry.directory, checkpoint.file);
  const bytes = await readFile(file);
  // One weight byte flipped: still a valid model, but not the registered one.
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
  await writeFile(file, bytes);
  await assert.rejects(
    backend.predict({ symbol: 'SPX' }),
    (e: ToolError) =>
      e instanceof ToolError &&
      e.message.includes(`the registry recorded ${checkpoint.sha256}`) &&
      /changed after registration and is not loaded/.test(e.message),
  );
  assert.equal(backend.loads, 0);
});

test('ONNX backend: fewer bars than the window is an input error naming the window and the bars', async (t) => {
  const short = barsFromRows(
    'TINY',
    'memory',
    Array.from({ length: 12 }, (_, i) => ({
      time: i * 86_400_000,
      open: 10,
      high: 11,
      low: 9,
      close: 10 + i,
      volume: 100,
    })),
  );
  const { backend } = await setup(t, (base) => async (symbol) => (symbol === 'TINY' ? short : base(symbol)));
  await assert.rejects(
    backend.predict({ symbol: 'TINY' }),
    (e: InputError) =>
      e.field === 'symbols' && /TINY has 12 bars; ohlc-mlp reads a window of 30 bars and needs 31/.test(e.message),
  );
});

test('contract mismatches are explained the PyTorch way: tensor, both shapes, both sides', async () => {
  const bytes = buildPredictionModel({ window: 32, features: defaultFeatures });
  const label = 'ohlc-mlp (model.onnx)';
  await assert.rejects(
    checkModelFile(bytes, label, testContract({ window: 30, features: defaultFeatures }), testOutput()),
    (e: InputError) =>
      e.message ===
      "contract: size mismatch for input 'features': the model expects [batch, 32, 5], the contract gives [batch, 30, 5] (window 30 × 5 features: log_return, gap, high_low_range, close_open, volume_change) (the model was exported for window 32 × 5 features); register the checkpoint with the contract it was trained on",
  );
  await assert.rejects(
    checkModelFile(bytes, label, testContract({ window: 32, features: defaultFeatures.slice(0, 4) }), testOutput()),
    /the model expects \[batch, 32, 5\], the contract gives \[batch, 32, 4\] \(window 32 × 4 features/,
  );
  await assert.rejects(
    checkModelFile(
      bytes,
      label,
      { ...testContract({ window: 32, features: defaultFeatures }), inputName: 'bars' },
      testOutput(),
    ),
    (e: InputError) =>
      e.field === 'contract.inputName' &&
      /missing input 'bars' in ohlc-mlp \(model.onnx\): the model's inputs are 'features' \[batch, 32, 5\]/.test(
        e.message,
      ),
  );
  await assert.rejects(
    checkModelFile(bytes, label, testContract({ window: 32, features: defaultFeatures }), {
      ...testOutput(),
      riskScore: 5,
    }),
    (e: InputError) =>
      e.field === 'output.riskScore' &&
      /the model gives \[batch, 5\] \(5 values per row\), the mapping reads index 5/.test(e.message),
  );
  await assert.rejects(
    checkModelFile(bytes, label, testContract({ window: 32, features: defaultFeatures }), testOutput('scores')),
    /missing output 'scores'.*'predictions' \[batch, 5\]/,
  );
  const fits = await checkModelFile(
    bytes,
    label,
    testContract({ window: 32, features: defaultFeatures }),
    testOutput(),
  );
  assert.deepEqual(fits.inputs, [{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', 32, 5] }]);
});

test('predictSeries: the batched causal run equals a prediction from bars[0..t] at sampled t', async (t) => {
  let visible: Bars | undefined;
  const { backend, spx } = await setup(t, (base) => async (symbol) => visible ?? base(symbol));
  const series = await predictSeries(spx, 'production', backend, { batchSize: 700 });
  assert.equal(series.warmUp, 30);
  assert.equal(series.direction[29], 0);
  assert.equal(series.confidence[29], 0);
  assert.ok(series.direction.subarray(30).every((d) => d === 1 || d === -1));
  for (const at of [30, 31, 699, 700, 2500, spx.close.length - 1]) {
    visible = sliceBars(spx, 0, at + 1);
    const single = await backend.predict({ symbol: 'SPX' });
    assert.equal(series.direction[at], single.direction === 'LONG' ? 1 : -1, `direction at ${at}`);
    assert.ok(Math.abs(series.confidence[at]! - single.confidence) < 1e-6, `confidence at ${at}`);
    assert.ok(Math.abs(series.expected1d[at]! - single.expectedReturns['1d']) < 1e-6, `expected1d at ${at}`);
    assert.ok(Math.abs(series.expected1d[at]! - reference(spx, at)[0]!) < 1e-6, `reference at ${at}`);
  }
  assert.equal(backend.loads, 1);
});

test('registry: concurrent registrations both land, files are named by sha256, alias names are not model names', async (t) => {
  const dataDir = await tempDir(t);
  const registry = new ModelRegistry(dataDir);
  const entry = (name: string, seed: number) => ({
    name,
    bytes: buildPredictionModel({ ...shape, seed }),
    source: 'test',
    trainedAt: '2020-04-17',
    registeredAt: '2026-12-03T00:00:00Z',
    contract: testContract(shape),
    output: testOutput(),
  });
  const [a, b] = await Promise.all([registry.register(entry('ohlc-mlp', 1)), registry.register(entry('ohlc-wide', 2))]);
  const file = await registry.read();
  assert.deepEqual(Object.keys(file.models).sort(), ['ohlc-mlp', 'ohlc-wide']);
  assert.equal(a.checkpoint.file, `${a.checkpoint.sha256}.onnx`);
  assert.notEqual(a.checkpoint.sha256, b.checkpoint.sha256);
  // No model holds production yet, and a name alone falls back to its newest checkpoint.
  await assert.rejects(registry.resolve(), /no model has the alias "production"/);
  assert.equal((await registry.resolve('ohlc-wide')).checkpoint.sha256, b.checkpoint.sha256);
  await assert.rejects(registry.register(entry('production', 3)), /"production" is an alias name/);
  const again = await registry.register(entry('ohlc-mlp', 1));
  assert.equal(again.created, false);
});

test('ONNX backend: a zero close is refused with the bar it sits on, not predicted as NaN', async (t) => {
  const rows = Array.from({ length: 40 }, (_, i) => ({
    time: Date.UTC(2020, 0, 1 + i),
    open: 100 + i,
    high: 102 + i,
    low: 99 + i,
    close: i === 35 ? 0 : 101 + i,
    volume: 1000 + i,
  }));
  const broken = barsFromRows('BROKEN', 'memory', rows);
  const { backend, registry } = await setup(
    t,
    (base) => async (symbol) => (symbol === 'BROKEN' ? broken : base(symbol)),
  );
  await assert.rejects(
    backend.predict({ symbol: 'BROKEN' }),
    (e: InputError) =>
      e.field === 'symbols' &&
      /feature log_return is not finite in the window ending 2020-02-09 \(bar 35, 2020-02-05; close 0/.test(e.message),
  );
  // One file, one contract: the same bytes with another contract are refused.
  await assert.rejects(
    registry.register({
      name: 'ohlc-mlp',
      bytes: buildPredictionModel(shape),
      source: 'test',
      trainedAt: '2020-04-17',
      registeredAt: '2026-12-03T00:00:00Z',
      contract: { ...testContract(shape), normalisation: { kind: 'none' } },
      output: testOutput(),
    }),
    /is already registered with data contract [0-9a-f]{12} \(window 30/,
  );
});
