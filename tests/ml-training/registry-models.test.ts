// Models in the registry: versions numbered 1, 2, 3… from hashed artifacts, aliases that move
// (candidate freely, production only with confirm), names that carry a version refused with the alias
// way explained, an alias for a version that does not exist refused, and all of it kept across a reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../tools/errors.js';
import { checkModelName, versionInName } from '../../tools/ml-training/registry/model-names.js';
import {
  createRun,
  listModels,
  logRun,
  registerModel,
  resolveModelAlias,
  setModelAlias,
  type RegistryEnvironment,
} from '../../tools/ml-training/registry/registry.js';
import { RegistryStore } from '../../tools/ml-training/registry/registry-store.js';
import { tempDir } from '../helpers.js';

async function environment(t: Parameters<typeof tempDir>[0]): Promise<RegistryEnvironment & { project: string }> {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  await mkdir(path.join(project, 'out'), { recursive: true });
  for (const n of [1, 2, 3]) await writeFile(path.join(project, 'out', `ckpt-${n}.safetensors`), `weights ${n}`);
  return { dataDir: path.join(base, 'data'), allowedRoots: [project], project };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('versions count up from hashed artifacts, with the run, its metrics and the contract', async (t) => {
  const env = await environment(t);
  const { run } = await createRun(env, { name: 'profile-mlp' });
  await logRun(env, { runId: run.runId, metrics: [{ step: 5, values: { val_loss: 0.25, mse: 0.1 } }] });
  const contract = {
    dimensions: { profiles: 7, features: 5 },
    tensors: { 'profile.weight': ['profiles', 'features'] },
  };
  const first = await registerModel(env, {
    name: 'profile-mlp',
    artifact: 'out/ckpt-1.safetensors',
    runId: run.runId,
    contract,
    alias: 'candidate',
  });
  assert.equal(first.version.version, 1);
  assert.equal(first.version.source.sha256, sha('weights 1'));
  assert.equal(first.version.source.path, path.join(await realpath(env.project), 'out', 'ckpt-1.safetensors'));
  assert.deepEqual(first.version.metrics, { val_loss: 0.25, mse: 0.1 });
  assert.deepEqual(first.version.contract, contract);
  assert.deepEqual(first.model.aliases, { candidate: 1 });
  const second = await registerModel(env, { name: 'profile-mlp', artifact: 'out/ckpt-2.safetensors' });
  assert.equal(second.version.version, 2);
  assert.equal(second.version.runId, undefined);
  await assert.rejects(
    registerModel(env, { name: 'profile-mlp', artifact: 'out/nothing.bin' }),
    /artifact: out\/nothing\.bin does not exist/,
  );
  await assert.rejects(
    registerModel(env, { name: 'profile-mlp', artifact: 'out/ckpt-3.safetensors', runId: 'no-such-run' }),
    /runId: no run "no-such-run"/,
  );
});

test('aliases move: candidate freely, production only with confirm, never to a missing version', async (t) => {
  const env = await environment(t);
  for (const n of [1, 2, 3]) await registerModel(env, { name: 'ranker', artifact: `out/ckpt-${n}.safetensors` });
  // The first production is set without confirm: nothing answered before.
  const set = await setModelAlias(env, { name: 'ranker', alias: 'production', version: 1 });
  assert.equal(set.previous, undefined);
  await setModelAlias(env, { name: 'ranker', alias: 'candidate', version: 2 });
  await setModelAlias(env, { name: 'ranker', alias: 'candidate', version: 3 });
  // Moving production needs confirm.
  await assert.rejects(setModelAlias(env, { name: 'ranker', alias: 'production', version: 3 }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.field, 'confirm');
    assert.match(e.message, /production of ranker points at version 1; moving it to version 3 .* pass confirm: true/);
    return true;
  });
  await assert.rejects(
    registerModel(env, { name: 'ranker', artifact: 'out/ckpt-1.safetensors', alias: 'production' }),
    /confirm: production of ranker points at version 1/,
  );
  // Re-pointing production at the version it already has is no move.
  await setModelAlias(env, { name: 'ranker', alias: 'production', version: 1 });
  const moved = await setModelAlias(env, { name: 'ranker', alias: 'production', version: 3, confirm: true });
  assert.equal(moved.previous, 1);
  assert.deepEqual(moved.model.aliases, { production: 3, candidate: 3 });
  assert.equal((await resolveModelAlias(env, 'ranker'))?.source.sha256, sha('weights 3'));
  // The refused registration made no version.
  assert.deepEqual(
    moved.model.versions.map((v) => v.version),
    [1, 2, 3],
  );

  await assert.rejects(setModelAlias(env, { name: 'ranker', alias: 'candidate', version: 9 }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.field, 'version');
    assert.match(e.message, /model ranker has no version 9; its versions are 1, 2, 3/);
    return true;
  });
  await assert.rejects(
    setModelAlias(env, { name: 'nothing', alias: 'candidate', version: 1 }),
    /name: no model "nothing"; registered: ranker/,
  );
  // A name is never a path into the registry.
  await assert.rejects(
    setModelAlias(env, { name: '../models/ranker', alias: 'candidate', version: 1 }),
    /name: no model "\.\.\/models\/ranker"/,
  );
  await assert.rejects(
    setModelAlias(env, { name: 'ranker', alias: 'Prod!', version: 1 }),
    /alias: "Prod!" is not an alias/,
  );
  await assert.rejects(
    setModelAlias(env, { name: 'ranker', alias: 'v2', version: 1 }),
    /alias: "v2" looks like a version/,
  );

  // The history of moves is in the append-only event log, in order.
  const events = (await new RegistryStore(env.dataDir).readEvents()).filter((e) => e.event === 'alias_set');
  assert.deepEqual(
    events.map((e) => [e.alias, e.from, e.to]),
    [
      ['production', undefined, 1],
      ['candidate', undefined, 2],
      ['candidate', 2, 3],
      ['production', 1, 3],
    ],
  );
});

test('a version in a model name is refused with the alias way explained', async (t) => {
  const env = await environment(t);
  for (const name of ['mlp-v2', 'mlpv2', 'ranker-1.3', 'encoder_2024', 'profile-mlp-3', 'v1', 'model-rev2']) {
    assert.ok(versionInName(name), name);
    await assert.rejects(registerModel(env, { name, artifact: 'out/ckpt-1.safetensors' }), (e: unknown) => {
      assert.ok(e instanceof InputError, name);
      assert.equal(e.field, 'name');
      assert.match(e.message, /carries .*never its version.*alias \(production, candidate\)/);
      return true;
    });
  }
  for (const name of ['profile-mlp', 'resnet50', 'gpt2-ranker', 't5-encoder', 'mlp_tiny'])
    assert.doesNotThrow(() => checkModelName(name), name);
  assert.throws(() => checkModelName('production'), /alias word/);
  assert.throws(() => checkModelName('Profile'), /not a model name/);
  assert.deepEqual((await listModels(env)).models, []);
});

test('models persist across a reopen', async (t) => {
  const env = await environment(t);
  await registerModel(env, { name: 'profile-mlp', artifact: 'out/ckpt-1.safetensors', alias: 'production' });
  await registerModel(env, { name: 'profile-mlp', artifact: 'out/ckpt-2.safetensors', alias: 'candidate' });
  const reopened = await new RegistryStore(env.dataDir).readModel('profile-mlp');
  assert.deepEqual(reopened?.aliases, { production: 1, candidate: 2 });
  assert.deepEqual(
    reopened?.versions.map((v) => [v.version, v.source.sha256]),
    [
      [1, sha('weights 1')],
      [2, sha('weights 2')],
    ],
  );
  const listed = await listModels(env, { name: 'profile-mlp' });
  assert.equal(listed.models[0]!.versions.length, 2);
  await assert.rejects(listModels(env, { name: 'other' }), /name: no model "other"; registered: profile-mlp/);
});
