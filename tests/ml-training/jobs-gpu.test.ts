// GPUs asked for on this machine must exist here: a local job is refused rather than quietly run on
// the CPU. (This machine has no nvidia-smi; on one with fewer GPUs than asked the refusal is the same.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';
import { readGpuInventory } from '../../tools/ml-training/placement/nvidia-smi-run.js';

test('a local submit asking for more GPUs than the machine has is refused, naming resources.gpus', async (t) => {
  const inventory = await readGpuInventory();
  const have = inventory.ok ? inventory.devices.length : 0;
  const suite = await testSuite(t);
  const context = suite.dispatcher.context({});
  const outcome = await suite.dispatcher.router.invoke(
    'ml_training_submit_job',
    { command: ['node', '-e', '0'], outputDir: 'runs/gpu', resources: { gpus: have + 1 }, confirm: true },
    context,
  );
  assert.equal(outcome.ok, false);
  assert.match(
    outcome.ok ? '' : outcome.error.message,
    new RegExp(`^resources\\.gpus: ${have + 1} GPU\\(s\\) requested but this machine has ${have}`),
  );
  // Nothing was started: no output directory was made.
  await assert.rejects(access(path.join(suite.project, 'runs/gpu')));
});
