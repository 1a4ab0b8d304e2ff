// The prediction tools through the router, on a real suite: register → alias → predict on the
// real S&P 500 bars, the model identity in every result, status that shows what is loaded and
// failing, refusals that name the fix (contract mismatch, a path outside the roots, a version in a
// name, no model and no service), and auto falling back to the remote service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { closePredictionBackends } from '../../tools/trading/prediction/backends.js';
import { fillWindow } from '../../tools/trading/prediction/features.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { testSuite } from '../helpers.js';
import { PredictionPeer } from '../peers/prediction-peer.js';
import {
  defaultFeatures,
  marketEnvironment,
  modelWeights,
  referenceForward,
  seedPredictionExamples,
  testContract,
  testOutput,
  writeModel,
  writeSp500,
  type ModelShape,
} from './predict-model-fixture.js';

const shape: ModelShape = { window: 30, features: defaultFeatures };

async function suiteFor(t: Parameters<typeof testSuite>[0], env: Record<string, string> = {}) {
  const suite = await testSuite(t, { env });
  t.after(async () => {
    await closePredictionBackends(suite.dataDir);
    await suite.close();
  });
  await writeSp500(path.join(suite.dataDir, 'trading', 'market'), 'SPX');
  const context = suite.dispatcher.context({});
  const call = async (name: string, input: unknown) => suite.dispatcher.router.invoke(name, input, context);
  const ok = async (name: string, input: unknown) => {
    const outcome = await call(name, input);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return outcome.output as Record<string, any>;
  };
  const refused = async (name: string, input: unknown) => {
    const outcome = await call(name, input);
    assert.ok(!outcome.ok, `${name} should have been refused`);
    return outcome.error;
  };
  return { suite, ok, refused };
}

const registration = (file: string, extra: Record<string, unknown> = {}) => ({
  name: 'ohlc-mlp',
  file,
  trainedAt: '2020-04-17T00:00:00Z',
  contract: testContract(shape),
  output: testOutput(),
  ...extra,
});

test('tools: register → predict the S&P 500 → register a candidate → promote it; identity and status follow', async (t) => {
  const { suite, ok, refused } = await suiteFor(t);
  assert.deepEqual((await ok('trading_list_models', {})).models, []);
  const none = await refused('trading_predict_symbols', { symbols: 'SPX' });
  assert.match(
    none.message,
    /no model is registered and no prediction service is configured; register an ONNX model with trading_register_model/,
  );

  await writeModel(path.join(suite.project, 'models'), shape);
  const first = await ok('trading_register_model', { ...registration('models/ohlc-mlp.onnx'), alias: 'production' });
  assert.equal(first.created, true);
  assert.equal(first.checkpoint, `${first.sha256}.onnx`);
  assert.deepEqual(first.aliases, { production: first.sha256 });
  assert.deepEqual(first.inputs, [{ name: 'features', isTensor: true, type: 'float32', shape: ['batch', 30, 5] }]);

  const answer = await ok('trading_predict_symbols', { symbols: ['SPX', 'NOPE'] });
  assert.equal(answer.backend, 'onnx');
  assert.equal(answer.predictions.length, 1);
  assert.equal(answer.failed[0].symbol, 'NOPE');
  const prediction = answer.predictions[0];
  const bars = await createBarSource(marketEnvironment(suite.dataDir))('SPX');
  const input = new Float32Array(150);
  fillWindow(bars, shape.features, 30, { kind: 'window-zscore' }, bars.close.length - 1, input, 0);
  const expected = referenceForward(modelWeights(shape), input);
  assert.ok(Math.abs(prediction.expectedReturns['20d'] - expected[2]!) < 1e-6);
  assert.equal(prediction.asOf, '2020-04-17');
  assert.deepEqual(prediction.model, {
    name: 'ohlc-mlp',
    alias: 'production',
    checkpoint: first.checkpoint,
    sha256: first.sha256,
    trainedAt: '2020-04-17T00:00:00Z',
    dataContractHash: first.dataContractHash,
    backend: 'onnx',
  });

  // A retrained checkpoint (other weights) as candidate; production still answers by default.
  await writeModel(path.join(suite.project, 'models'), { ...shape, seed: 99 }, 'retrained.onnx');
  const second = await ok('trading_register_model', { ...registration('models/retrained.onnx'), alias: 'candidate' });
  assert.notEqual(second.sha256, first.sha256);
  assert.equal((await ok('trading_predict_symbols', { symbols: 'SPX' })).predictions[0].model.sha256, first.sha256);
  const candidate = (await ok('trading_predict_symbols', { symbols: 'SPX', model: 'candidate' })).predictions[0];
  assert.equal(candidate.model.sha256, second.sha256);
  assert.equal(candidate.model.alias, 'candidate');
  const promoted = await ok('trading_set_model_alias', {
    name: 'ohlc-mlp',
    alias: 'production',
    checkpoint: 'candidate',
  });
  assert.deepEqual(promoted, { name: 'ohlc-mlp', alias: 'production', sha256: second.sha256, previous: first.sha256 });
  assert.equal((await ok('trading_predict_symbols', { symbols: 'SPX' })).predictions[0].model.sha256, second.sha256);
  const rollback = await ok('trading_set_model_alias', {
    name: 'ohlc-mlp',
    alias: 'production',
    checkpoint: first.sha256.slice(0, 8),
  });
  assert.equal(rollback.sha256, first.sha256);

  const listed = await ok('trading_list_models', {});
  const [model] = listed.models;
  const byFile = new Map(model.checkpoints.map((c: { sha256: string }) => [c.sha256, c]));
  const one = byFile.get(first.sha256) as Record<string, any>;
  const two = byFile.get(second.sha256) as Record<string, any>;
  assert.deepEqual(one.aliases, ['production']);
  assert.deepEqual(two.aliases, ['candidate']);
  assert.equal(one.loaded.predictions, 2);
  assert.equal(one.loaded.errors, 1);
  assert.equal(two.loaded.predictions, 2);
  const onnx = listed.backends[0];
  assert.equal(onnx.predictions, 4);
  assert.match(onnx.lastError.message, /NOPE/);
});

test('tools: registration refuses a contract that does not fit, a path outside the roots, a version in the name', async (t) => {
  const { suite, ok, refused } = await suiteFor(t);
  await writeModel(path.join(suite.project, 'models'), { window: 32, features: defaultFeatures });
  const mismatch = await refused('trading_register_model', registration('models/ohlc-mlp.onnx'));
  assert.equal(mismatch.kind, 'input');
  assert.match(
    mismatch.message,
    /size mismatch for input 'features': the model expects \[batch, 32, 5\], the contract gives \[batch, 30, 5\]/,
  );
  const badIndex = await refused('trading_register_model', {
    ...registration('models/ohlc-mlp.onnx'),
    contract: testContract({ window: 32, features: defaultFeatures }),
    output: { ...testOutput(), directionLogit: 7 },
  });
  assert.match(badIndex.message, /output\.directionLogit: size mismatch for output 'predictions'/);
  assert.deepEqual((await ok('trading_list_models', {})).models, []);

  await writeModel(path.dirname(suite.project), shape, 'outside.onnx');
  const outside = await refused('trading_register_model', registration('../outside.onnx'));
  assert.match(outside.message, /^file: \.\.\/outside\.onnx is outside the allowed roots/);
  const versioned = await refused('trading_register_model', {
    ...registration('models/ohlc-mlp.onnx'),
    name: 'ohlc-mlp-v2',
  });
  assert.match(versioned.message, /^name: "ohlc-mlp-v2" carries a version; name the model for what it does/);
  const badFeature = await refused('trading_register_model', {
    ...registration('models/ohlc-mlp.onnx'),
    contract: { ...testContract(shape), features: ['log_return', 'rsi'] },
  });
  assert.match(badFeature.message, /contract\.features/);
});

test('tools: auto falls back to the remote service when no model is registered; the key never shows', async (t) => {
  const peer = await new PredictionPeer().start();
  t.after(() => peer.stop());
  const { ok, refused } = await suiteFor(t, { CAELUM_PREDICTION_URL: peer.url, CAELUM_PREDICTION_API_KEY: 'key-0042' });
  const answer = await ok('trading_predict_symbols', { symbols: ['SPX', 'NDX'] });
  assert.equal(answer.backend, 'remote');
  assert.deepEqual(
    answer.predictions.map((p: { symbol: string }) => p.symbol),
    ['SPX', 'NDX'],
  );
  assert.equal(answer.predictions[0].model.backend, 'remote');
  assert.deepEqual(answer.predictions[0].identityMissing, ['data_contract_hash']);
  assert.equal(peer.requests.length, 2);
  assert.ok(peer.requests.every((r) => r.authorization === 'Bearer key-0042'));
  const listed = await ok('trading_list_models', {});
  assert.equal(listed.backends[1].backend, 'remote');
  assert.equal(listed.backends[1].predictions, 2);
  assert.ok(!JSON.stringify({ answer, listed }).includes('key-0042'));
  const onnx = await refused('trading_predict_symbols', { symbols: 'SPX', backend: 'onnx' });
  assert.match(onnx.message, /no model has the alias "production"; the registry is empty/);
});

test('tools: every prediction tool runs on its examples in a seeded suite and its output fits its schema', async (t) => {
  const { suite } = await suiteFor(t);
  await seedPredictionExamples(suite.project, suite.dataDir);
  const context = suite.dispatcher.context({});
  for (const name of [
    'trading_list_models',
    'trading_predict_symbols',
    'trading_register_model',
    'trading_set_model_alias',
  ]) {
    const tool = suite.registry.get(name)!;
    for (const example of tool.examples) {
      const outcome = await suite.dispatcher.router.invoke(name, example, context, { confirm: true });
      assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
      assert.ok(tool.output.safeParse(outcome.output).success, `${name} output fails its schema`);
      assert.ok(outcome.text.length > 0);
    }
  }
});

test('tools: a prototype key as model, a ".." symbol, and every symbol failing are each answered clearly', async (t) => {
  const peer = await new PredictionPeer().start();
  t.after(() => peer.stop());
  const { suite, ok, refused } = await suiteFor(t, { CAELUM_PREDICTION_URL: peer.url });
  await writeModel(path.join(suite.project, 'models'), shape);
  await ok('trading_register_model', { ...registration('models/ohlc-mlp.onnx'), alias: 'production' });
  for (const model of ['constructor', 'toString', '__proto__', 'hasOwnProperty@production']) {
    const error = await refused('trading_predict_symbols', { symbols: 'SPX', model });
    assert.equal(error.kind, 'input', `${model}: ${error.message}`);
    assert.match(error.message, /^model: (no model "constructor"|"\w+" is not a model name)/);
  }
  const dots = await refused('trading_predict_symbols', { symbols: '..', backend: 'remote' });
  assert.equal(dots.kind, 'input');
  assert.match(dots.message, /without "\.\."/);
  assert.equal(peer.requests.length, 0);
  // Several symbols, all failing: every one is named, in the order asked.
  const none = await refused('trading_predict_symbols', { symbols: ['NOPE', 'GONE'] });
  assert.equal(none.kind, 'input');
  assert.match(none.message, /all 2 symbols failed: NOPE: .*NOPE.* \| GONE: .*GONE/);
  peer.fallback = { kind: 'status', status: 503 };
  const down = await refused('trading_predict_symbols', { symbols: ['SPX', 'NDX'], backend: 'remote' });
  assert.notEqual(down.kind, 'input');
  assert.match(down.message, /SPX: .*HTTP 503.* \| NDX: .*HTTP 503/);
});
