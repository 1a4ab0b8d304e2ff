// Data contracts against checkpoint headers, and the ml_training_inspect_checkpoint tool through the
// router: the seed system's failure (a checkpoint saved for 8 profiles loaded into a 7-profile model)
// is caught before any load, naming the tensor, both shapes and the dimension values on each side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../tools/errors.js';
import { checkContract, parseCheckpointContract } from '../../tools/ml-training/checkpoints/checkpoint-contract.js';
import { testSuite } from '../helpers.js';
import { profileTensors, safetensorsBytes, seedCheckpointExamples } from './checkpoint-fixture.js';

const seedContract = {
  dimensions: { profiles: 7, features: 5 },
  tensors: { 'profile.weight': ['profiles', 'features'], 'profile.bias': ['profiles'] },
};

test('a checkpoint for 8 profiles against a 7-profile contract: size mismatches naming both sides', () => {
  const report = checkContract(
    profileTensors.map((t) => ({ ...t, bytes: null })),
    parseCheckpointContract(seedContract),
  );
  assert.equal(report.compatible, false);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.unexpected, []);
  assert.deepEqual(
    report.mismatches.map((m) => m.message),
    [
      'size mismatch for profile.weight: copying a param with shape [8, 5] from checkpoint, the shape in current model is [7, 5] (contract: profiles = 7, features = 5; the checkpoint fits profiles = 8)',
      'size mismatch for profile.bias: copying a param with shape [8] from checkpoint, the shape in current model is [7] (contract: profiles = 7; the checkpoint fits profiles = 8)',
    ],
  );
  assert.deepEqual(report.checkpointDimensions, { profiles: [8], features: [5] });
});

test('missing and unexpected keys, rank and dtype mismatches, wildcards, and a compatible checkpoint', () => {
  const tensors = [
    { name: 'encoder.weight', dtype: 'F16', shape: [32, 5], bytes: 320 },
    { name: 'states.embedding', dtype: 'F32', shape: [8, 5, 2], bytes: 320 },
    { name: 'optimizer.step', dtype: 'I64', shape: [], bytes: 8 },
  ];
  const report = checkContract(
    tensors,
    parseCheckpointContract({
      dimensions: { states: 8, features: 5 },
      tensors: {
        'encoder.weight': { shape: ['*', 'features'], dtype: 'float32' },
        'states.embedding': ['states', 'features'],
        'head.weight': [1, 'states'],
      },
    }),
  );
  assert.equal(report.compatible, false);
  assert.deepEqual(report.missing, ['head.weight']);
  assert.deepEqual(report.unexpected, ['optimizer.step']);
  assert.deepEqual(
    report.mismatches.map((m) => [m.tensor, m.kind]),
    [
      ['encoder.weight', 'dtype'],
      ['states.embedding', 'shape'],
    ],
  );
  assert.match(report.mismatches[0]!.message, /holds F16, the current model expects F32/);
  assert.match(report.mismatches[1]!.message, /has 3 dimensions, the contract 2/);
  assert.match(report.messages[0]!, /^Missing key\(s\) in state_dict: "head.weight"\.$/);
  assert.match(report.messages[1]!, /^Unexpected key\(s\) in state_dict: "optimizer.step"\.$/);

  const fits = checkContract(
    tensors.slice(0, 1),
    parseCheckpointContract({
      dimensions: { features: 5 },
      tensors: { 'encoder.weight': { shape: ['*', 'features'], dtype: 'F16' } },
    }),
  );
  assert.deepEqual({ compatible: fits.compatible, messages: fits.messages }, { compatible: true, messages: [] });
});

test('a contract that does not parse is an InputError naming the field', () => {
  const field = (value: unknown) => {
    try {
      parseCheckpointContract(value);
    } catch (error) {
      assert.ok(error instanceof InputError);
      return error.field;
    }
    assert.fail('parsed');
  };
  assert.equal(field({ dimensions: { profiles: -1 }, tensors: {} }), 'contract.dimensions.profiles');
  assert.equal(field({ dimensions: {} }), 'contract.tensors');
  assert.equal(field({ tensors: { w: ['rows'] } }), 'contract.tensors.w');
});

test('ml_training_inspect_checkpoint reads the header and reports against an inline contract', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  await seedCheckpointExamples(suite.project);
  await writeFile(
    path.join(suite.project, 'models', 'fits.safetensors'),
    safetensorsBytes([{ name: 'w', dtype: 'F32', shape: [7, 5] }]),
  );
  const context = suite.dispatcher.context({});
  const invoke = (input: unknown) => suite.dispatcher.router.invoke('ml_training_inspect_checkpoint', input, context);

  const caught = await invoke({ path: 'models/profile.safetensors', contract: seedContract });
  assert.ok(caught.ok, caught.ok ? '' : caught.error.message);
  const output = caught.output as {
    format: string;
    tensors: { name: string }[];
    metadata: Record<string, string>;
    report: { compatible: boolean; messages: string[] };
  };
  assert.equal(output.format, 'safetensors');
  assert.deepEqual(
    output.tensors.map((x) => x.name),
    ['profile.weight', 'profile.bias'],
  );
  assert.deepEqual(output.metadata, { format: 'pt' });
  assert.equal(output.report.compatible, false);
  assert.match(
    caught.text,
    /NOT compatible[\s\S]*size mismatch for profile\.weight: copying a param with shape \[8, 5\]/,
  );

  const fits = await invoke({
    path: path.join(suite.project, 'models', 'fits.safetensors'),
    contract: { dimensions: { profiles: 7, features: 5 }, tensors: { w: ['profiles', 'features'] } },
  });
  assert.ok(fits.ok && (fits.output as { report: { compatible: boolean } }).report.compatible);

  const badContract = await invoke({ path: 'models/profile.safetensors', contract: { tensors: { w: ['rows'] } } });
  assert.ok(!badContract.ok);
  assert.match(badContract.error.message, /^contract\.tensors\.w: dimension "rows" is not declared/);
  const outside = await invoke({ path: '/etc/hostname' });
  assert.ok(!outside.ok);
  assert.match(outside.error.message, /^path: .*outside the allowed roots/);
});
