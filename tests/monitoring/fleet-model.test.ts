// The ONNX fleet model: its header is checked against the fleet contract before onnxruntime loads
// it. A [7, 5] model loads and runs on real onnxruntime-node (8 state scores per server, mapped to the
// contract's states); the seed's stale [8, 5] model, a 9-state output and a model stamped with
// another contract's hash are refused with both sides named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { InputError } from '../../tools/errors.js';
import { contractHash, fleetContract } from '../../tools/monitoring/fleet/contract.js';
import { fleetModelConfigSchema, loadFleetModel } from '../../tools/monitoring/fleet/fleet-model.js';
import { buildFleetModel, fleetModelReference, type FleetModelShape } from './fleet-model-fixture.js';

async function writeModel(dir: string, name: string, shape: FleetModelShape): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, buildFleetModel(shape));
  return file;
}

test('a [7, 5] fleet model loads, runs, and its 8 scores map to the contract states', async (t) => {
  const dir = await tempDir(t);
  const shape = { profiles: 7, embedding: 5, states: 8, metadata: { fleet_contract_hash: contractHash } };
  const file = await writeModel(dir, 'fleet.onnx', shape);
  const model = await loadFleetModel(fleetModelConfigSchema.parse({ path: file }), [dir]);
  t.after(() => model.close());
  const rows = [
    { profile: 'database', features: [0.4, 0.7, 0.91, 0.8, 0.1] },
    { profile: 'ml_compute', features: [0.99, 0.5, 0.3, 1.4, 0] },
    { profile: 'generic', features: [0.02, 0.2, 0.2, 0.05, 0] },
  ];
  const predictions = await model.run(rows);
  assert.equal(predictions.length, 3);
  predictions.forEach((p, i) => {
    assert.deepEqual(Object.keys(p.scores), [...fleetContract.states]);
    const expected = fleetModelReference(
      shape,
      fleetContract.profiles.indexOf(rows[i]!.profile as never),
      rows[i]!.features,
    );
    fleetContract.states.forEach((s, j) => assert.ok(Math.abs(p.scores[s] - expected[j]!) < 1e-5, `${s}`));
    const best = fleetContract.states[expected.indexOf(Math.max(...expected))];
    assert.equal(p.state, best);
  });
  await assert.rejects(model.run([{ profile: 'gpu_box', features: [0, 0, 0, 0, 0] }]), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, new RegExp(contractHash.slice(0, 12)));
    return true;
  });
});

test("the seed's [8, 5] profile embedding is refused before onnxruntime loads it", async (t) => {
  const dir = await tempDir(t);
  // The graph also holds an operator onnxruntime rejects: a load attempt would fail with its message.
  const file = await writeModel(dir, 'stale.onnx', { profiles: 8, embedding: 5, states: 8, brokenGraph: true });
  await assert.rejects(loadFleetModel(fleetModelConfigSchema.parse({ path: file }), [dir]), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.field, 'monitoring.fleet.model.path');
    assert.match(
      error.message,
      new RegExp(
        `fleet model profile embedding is \\[8, 5\\] but contract v1\\.0\\.0 \\(hash ${contractHash.slice(0, 12)}\\) has 7 profiles; retrain or export for this contract`,
      ),
    );
    assert.doesNotMatch(error.message, /NoSuchOperator|onnxruntime/);
    return true;
  });
});

test('a broken graph that fits the contract reaches onnxruntime, which refuses it', async (t) => {
  // The control for the test above: the contract check passed, so the load was attempted.
  const dir = await tempDir(t);
  const file = await writeModel(dir, 'broken.onnx', { profiles: 7, embedding: 5, states: 8, brokenGraph: true });
  await assert.rejects(
    loadFleetModel(fleetModelConfigSchema.parse({ path: file }), [dir]),
    /onnxruntime could not load/,
  );
});

test('a model with 9 state outputs, or stamped with another contract, is refused naming both sides', async (t) => {
  const dir = await tempDir(t);
  const nine = await writeModel(dir, 'nine.onnx', { profiles: 7, embedding: 5, states: 9 });
  await assert.rejects(
    loadFleetModel(fleetModelConfigSchema.parse({ path: nine }), [dir]),
    /output state_scores is \[batch, 9\] but contract v1\.0\.0 \(hash [0-9a-f]{12}\) has 8 states/,
  );
  const other = await writeModel(dir, 'other.onnx', {
    profiles: 7,
    embedding: 5,
    states: 8,
    metadata: { fleet_contract_hash: 'ab'.repeat(32), fleet_contract_version: '0.9.0' },
  });
  await assert.rejects(
    loadFleetModel(fleetModelConfigSchema.parse({ path: other }), [dir]),
    new RegExp(
      `exported for contract v0\\.9\\.0 \\(hash abababababab\\) but this is contract v1\\.0\\.0 \\(hash ${contractHash.slice(0, 12)}\\)`,
    ),
  );
  await assert.rejects(
    loadFleetModel(fleetModelConfigSchema.parse({ path: path.join(dir, 'nine.onnx'), profileEmbedding: 'emb' }), [dir]),
    /no initializer "emb"/,
  );
});

test('a model outside the allowed roots is refused as an input error', async (t) => {
  const dir = await tempDir(t);
  const elsewhere = await tempDir(t);
  const file = await writeModel(elsewhere, 'fleet.onnx', { profiles: 7, embedding: 5, states: 8 });
  await assert.rejects(loadFleetModel(fleetModelConfigSchema.parse({ path: file }), [dir]), InputError);
});
