// What the ONNX backend and the registry must not get wrong when the registry is unusual: the same
// bytes under two names with different contracts and mappings (each name runs by its own, sharing
// one session), model names that are Object.prototype keys or have no checkpoint (clear input
// errors, not TypeErrors), and models whose output is narrower than the mapping at run time or not
// finite (refused, naming the output, the index and the checkpoint, instead of a wrong prediction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, ToolError } from '../../tools/errors.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { fillWindow } from '../../tools/trading/prediction/features.js';
import { ModelRegistry } from '../../tools/trading/prediction/model-registry.js';
import { OnnxBackend } from '../../tools/trading/prediction/onnx-backend.js';
import { predictSeries } from '../../tools/trading/prediction/predict-series.js';
import { tempDir } from '../helpers.js';
import {
  buildPredictionModel,
  defaultFeatures,
  marketEnvironment,
  modelWeights,
  referenceForward,
  testContract,
  testOutput,
  writeSp500,
  type ModelShape,
} from './predict-model-fixture.js';

const shape: ModelShape = { window: 30, features: defaultFeatures };
const entry = (name: string, bytes: Uint8Array, extra: Record<string, unknown> = {}) => ({
  name,
  bytes,
  source: 'test',
  trainedAt: '2020-04-17T00:00:00Z',
  registeredAt: '2026-12-03T00:00:00Z',
  contract: testContract(shape),
  output: testOutput(),
  ...extra,
});

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dataDir = await tempDir(t);
  await writeSp500(path.join(dataDir, 'trading', 'market'), 'SPX');
  const bars = createBarSource(marketEnvironment(dataDir));
  const registry = new ModelRegistry(dataDir);
  const backends: OnnxBackend[] = [];
  const backend = () => {
    const made = new OnnxBackend({ registry, bars, clock: { now: () => Date.parse('2026-12-03T08:00:00Z') } });
    backends.push(made);
    return made;
  };
  t.after(async () => void (await Promise.all(backends.map((b) => b.close()))));
  return { dataDir, registry, backend, spx: await bars('SPX') };
}

test('ONNX: the same bytes under two names run each by its own contract and mapping, on one session', async (t) => {
  const { registry, backend, spx } = await setup(t);
  const bytes = buildPredictionModel(shape);
  const zscore = await registry.register(entry('mlp-zscore', bytes, { alias: 'production' }));
  // The raw one also swaps the 1d and 5d outputs: its mapping must be the one read.
  const raw = await registry.register(
    entry('mlp-raw', bytes, {
      contract: { ...testContract(shape), normalisation: { kind: 'none' } },
      output: { ...testOutput(), return1d: 1, return5d: 0 },
    }),
  );
  assert.equal(zscore.checkpoint.sha256, raw.checkpoint.sha256);
  const last = spx.close.length - 1;
  const expected = (kind: 'none' | 'window-zscore') => {
    const input = new Float32Array(shape.window * shape.features.length);
    fillWindow(spx, shape.features, shape.window, { kind }, last, input, 0);
    return referenceForward(modelWeights(shape), input);
  };
  const [z1, z5] = expected('window-zscore');
  const [r1, r5] = expected('none');
  assert.ok(Math.abs(r1! - z1!) > 1e-3, 'the two contracts must give different answers for the test to mean anything');

  // Either load order: whoever loaded the session first, each name reads by its own checkpoint.
  for (const order of [
    ['mlp-zscore', 'mlp-raw'],
    ['mlp-raw', 'mlp-zscore'],
  ]) {
    const shared = backend();
    for (const name of order) {
      const p = await shared.predict({ symbol: 'SPX', model: name });
      const [e1, e5] = name === 'mlp-raw' ? [r5, r1] : [z1, z5];
      assert.ok(Math.abs(p.expectedReturns['1d'] - e1!) < 1e-6, `${name} 1d after ${order[0]}`);
      assert.ok(Math.abs(p.expectedReturns['5d'] - e5!) < 1e-6, `${name} 5d after ${order[0]}`);
      const own = name === 'mlp-raw' ? raw.checkpoint : zscore.checkpoint;
      assert.equal(p.model.name, name);
      assert.equal(p.model.dataContractHash, own.dataContractHash);
    }
    assert.equal(shared.loads, 1);
    assert.deepEqual(
      shared
        .status()
        .loaded.map((l) => l.name)
        .sort(),
      ['mlp-raw', 'mlp-zscore'],
    );
    assert.ok(shared.status().loaded.every((l) => l.sha256 === raw.checkpoint.sha256));
    // The series too: mlp-raw's series on the session mlp-zscore may have opened.
    const series = await predictSeries(spx, 'mlp-raw', shared, { batchSize: 2048 });
    assert.ok(Math.abs(series.expected1d[last]! - r5!) < 1e-6);
    assert.equal(series.model.dataContractHash, raw.checkpoint.dataContractHash);
  }
});

test('registry: Object.prototype keys and a model without checkpoints are input errors, not TypeErrors', async (t) => {
  const { registry } = await setup(t);
  await mkdir(registry.directory, { recursive: true });
  await writeFile(registry.file, JSON.stringify({ models: { empty: { checkpoints: [], aliases: {} } } }));
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty@production', 'valueOf@abcdef12']) {
    await assert.rejects(
      registry.resolve(name),
      (e: Error) =>
        e instanceof InputError && e.field === 'model' && /not a model name|no model "constructor"/.test(e.message),
      name,
    );
  }
  await assert.rejects(
    registry.resolve('empty'),
    (e: Error) => e instanceof InputError && /model "empty" has no checkpoint registered/.test(e.message),
  );
  // A name that happens to be a prototype key is an ordinary name once registered.
  const bytes = buildPredictionModel(shape);
  const { checkpoint } = await registry.register(entry('constructor', bytes));
  const resolved = await registry.resolve('constructor');
  assert.equal(resolved.name, 'constructor');
  assert.equal(resolved.checkpoint.sha256, checkpoint.sha256);
  await assert.rejects(registry.setAlias('valueof', 'production', 'abcdef12'), /no model "valueof"/);
});

test('ONNX: a dynamic output narrower than the mapping is refused at run time, in predict and in a series', async (t) => {
  const { registry, backend, spx } = await setup(t);
  // Declared [batch, n]: registration cannot see that index 5 is past the 5 values the model gives.
  const bytes = buildPredictionModel({ ...shape, seed: 11, dynamicWidth: true });
  const { checkpoint } = await registry.register(
    entry('ohlc-dynamic', bytes, { output: { ...testOutput(), riskScore: 5 } }),
  );
  const onnx = backend();
  const refused = (e: Error) =>
    e instanceof ToolError &&
    e.message.includes(
      `output 'predictions' of checkpoint ${checkpoint.file} of ohlc-dynamic gives 5 values per row, the mapping reads index 5 for riskScore`,
    );
  await assert.rejects(onnx.predict({ symbol: 'SPX', model: 'ohlc-dynamic' }), refused);
  // Batched, index 5 of a row would be the next row's index 0: silently wrong without the check.
  await assert.rejects(predictSeries(spx, 'ohlc-dynamic', onnx, { batchSize: 256 }), refused);
  assert.match(onnx.status().lastError!.message, /reads index 5 for riskScore/);
});

test('ONNX: a NaN output is refused naming the output, index and checkpoint, not called SHORT', async (t) => {
  const { registry, backend, spx } = await setup(t);
  const bytes = buildPredictionModel({ ...shape, seed: 12, outputBias: { 4: Number.NaN } });
  const { checkpoint } = await registry.register(entry('ohlc-broken', bytes));
  const onnx = backend();
  const refused = (e: Error) =>
    e instanceof ToolError &&
    e.message.startsWith(
      `output 'predictions' of checkpoint ${checkpoint.file} of ohlc-broken gave NaN at index 4 (directionLogit) of 5 for SPX, window ending`,
    );
  await assert.rejects(onnx.predict({ symbol: 'SPX', model: 'ohlc-broken' }), refused);
  await assert.rejects(predictSeries(spx, 'ohlc-broken', onnx), refused);
});
