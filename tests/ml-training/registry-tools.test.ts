// The registry's internal tools through the router, on a suite built from configuration: every
// example runs on the seeded state and validates against its schema, bad input becomes isError
// naming the field (an unknown run id named), and CAELUM_MLFLOW_URI alone turns the MLflow mirror on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';
import { registryTools } from '../../tools/ml-training/registry/registry-tools.js';
import { testSuite } from '../helpers.js';
import { MlflowPeer } from './mlflow-peer.js';
import { seedRegistryExamples } from './registry-fixture.js';

async function routed(t: Parameters<typeof testSuite>[0], env: Record<string, string> = {}) {
  const suite = await testSuite(t, { env });
  await seedRegistryExamples(suite.dataDir, suite.project);
  const router = new ToolRouter(new ToolRegistry([registryTools]));
  const context = suite.dispatcher.context({});
  return { suite, invoke: (name: string, input: unknown) => router.invoke(name, input, context) };
}

test('every registry tool runs each of its examples on the seeded state', async (t) => {
  const { invoke } = await routed(t);
  for (const tool of registryTools) {
    for (const example of tool.examples) {
      const outcome = await invoke(tool.name, example);
      assert.ok(outcome.ok, `${tool.name} ${JSON.stringify(example)}: ${outcome.ok ? '' : outcome.error.message}`);
      assert.ok(tool.output.safeParse(outcome.output).success, `${tool.name} output fails its schema`);
      assert.ok(outcome.text.length > 0);
    }
  }
});

test('bad input through the router is an input error naming the field and the fix', async (t) => {
  const { invoke } = await routed(t);
  const unknown = await invoke('ml_training_get_run', { runId: 'no-such-run-42' });
  assert.equal(unknown.ok, false);
  assert.ok(!unknown.ok && unknown.error.kind === 'input');
  assert.match(
    !unknown.ok ? unknown.error.message : '',
    /^runId: no run "no-such-run-42" in the registry; list them with ml_training_list_runs/,
  );

  const logged = await invoke('ml_training_log_run', {
    runId: 'no-such-run-42',
    metrics: [{ step: 1, values: { loss: 1 } }],
  });
  assert.match(!logged.ok ? logged.error.message : '', /^runId: no run "no-such-run-42"/);

  const versioned = await invoke('ml_training_register_model', {
    name: 'profile-mlp-v2',
    artifact: 'models/profile.safetensors',
  });
  assert.ok(!versioned.ok && versioned.error.kind === 'input');
  assert.match(!versioned.ok ? versioned.error.message : '', /^name: "profile-mlp-v2" carries the version token "v2"/);

  const production = await invoke('ml_training_set_model_alias', {
    name: 'profile-mlp',
    alias: 'production',
    version: 1,
  });
  assert.ok(production.ok);
  const registered = await invoke('ml_training_register_model', {
    name: 'profile-mlp',
    artifact: 'models/profile.safetensors',
  });
  assert.ok(registered.ok);
  const move = await invoke('ml_training_set_model_alias', { name: 'profile-mlp', alias: 'production', version: 2 });
  assert.match(!move.ok ? move.error.message : '', /^confirm: production of profile-mlp points at version 1/);
  const moved = await invoke('ml_training_set_model_alias', {
    name: 'profile-mlp',
    alias: 'production',
    version: 2,
    confirm: true,
  });
  assert.ok(moved.ok);
  assert.match(moved.ok ? moved.text : '', /production → 2 \(was 1\)/);

  const missing = await invoke('ml_training_set_model_alias', { name: 'profile-mlp', alias: 'candidate', version: 7 });
  assert.match(!missing.ok ? missing.error.message : '', /^version: model profile-mlp has no version 7/);
  const badStatus = await invoke('ml_training_log_run', { runId: 'example-run-0001', status: 'DONE' });
  assert.ok(!badStatus.ok && badStatus.error.kind === 'input');
  assert.match(!badStatus.ok ? badStatus.error.message : '', /status/);
});

test('CAELUM_MLFLOW_URI in the configuration turns the mirror on for the tools', async (t) => {
  const peer = new MlflowPeer();
  await peer.start();
  t.after(() => peer.stop());
  const { invoke } = await routed(t, { CAELUM_MLFLOW_URI: peer.url, MLFLOW_EXPERIMENT_NAME: 'from-config' });
  const created = await invoke('ml_training_create_run', { name: 'profile-mlp', params: { lr: 0.1 } });
  assert.ok(created.ok, created.ok ? '' : created.error.message);
  const output = created.output as { mlflow: { synced: boolean; runId: string } };
  assert.equal(output.mlflow.synced, true);
  assert.ok(peer.experiments.has('from-config'));
  assert.match(created.ok ? created.text : '', /MLflow http:\/\/127\.0\.0\.1:\d+\/: synced/);
  // The seeded run (made before MLflow was configured) is mirrored on its first read.
  const seeded = await invoke('ml_training_get_run', { runId: 'example-run-0001' });
  assert.ok(seeded.ok);
  const mirrored = peer.runs.get((seeded.output as { mlflow: { runId: string } }).mlflow.runId)!;
  assert.deepEqual(
    mirrored.data.metrics.map((m) => [m.key, m.value]),
    [['loss', 0.9]],
  );
});
