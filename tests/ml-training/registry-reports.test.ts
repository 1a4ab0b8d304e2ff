// The registry's reports through the router on state the real registry wrote: runs compared (params
// that differ, final and best values, best run per metric by direction, a job's metrics folded in),
// a model's alias history, and a run deleted only when no version refers to it and it has ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';
import { registryTools } from '../../tools/ml-training/registry/registry-tools.js';
import { registryReportTools } from '../../tools/ml-training/registry/registry-report-tools.js';
import { metricDirection } from '../../tools/ml-training/registry/registry-reports.js';
import { testSuite } from '../helpers.js';
import { seedRegistryExamples, writeJobFiles } from './registry-fixture.js';

async function routed(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t);
  await seedRegistryExamples(suite.dataDir, suite.project);
  const router = new ToolRouter(new ToolRegistry([registryTools, registryReportTools]));
  const context = suite.dispatcher.context({});
  const invoke = (name: string, input: unknown, confirm = false) => router.invoke(name, input, context, { confirm });
  const ok = async (name: string, input: unknown, confirm = false) => {
    const outcome = await invoke(name, input, confirm);
    assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
    return { output: outcome.output as Record<string, any>, text: outcome.text };
  };
  return { suite, invoke, ok };
}

test('every report tool runs its examples on the seeded registry and validates', async (t) => {
  const { ok } = await routed(t);
  for (const tool of registryReportTools)
    for (const example of tool.examples) {
      const { output } = await ok(tool.name, example, tool.kind.effect === 'destructive');
      assert.ok(tool.output.safeParse(output).success, tool.name);
    }
});

test('compares runs: differing params, final and best per metric, best run by direction, job metrics folded', async (t) => {
  const { suite, ok, invoke } = await routed(t);
  await writeJobFiles(
    suite.dataDir,
    'job-compare',
    { state: 'SUCCEEDED', endedAt: '2026-12-03T11:00:00.000Z' },
    [
      '{"step": 0, "loss": 0.7, "val_accuracy": 0.6}',
      '{"step": 1, "loss": 0.2, "val_accuracy": 0.9}',
      '{"step": 2, "loss": 0.3, "val_accuracy": 0.85}',
      '',
    ].join('\n'),
  );
  const created = await ok('ml_training_create_run', {
    name: 'profile-mlp',
    params: { learning_rate: 0.01, epochs: 3 },
    jobId: 'job-compare',
  });
  const third = created.output.run.runId as string;
  const { output, text } = await ok('ml_training_compare_runs', {
    runIds: ['example-run-0001', 'example-run-0002', third],
  });
  const lr = output.params.find((p: { name: string }) => p.name === 'learning_rate');
  assert.deepEqual(lr, { name: 'learning_rate', values: [0.01, 0.001, 0.01], differs: true });
  assert.deepEqual(output.params.find((p: { name: string }) => p.name === 'epochs').values, [null, null, 3]);
  const loss = output.metrics.find((m: { name: string }) => m.name === 'loss');
  assert.equal(loss.direction, 'lower');
  assert.equal(loss.bestRunId, third, 'min loss 0.2 at step 1 of the job');
  assert.equal(loss.bestValue, 0.2);
  // Final values: 0.9, 0.5 and 0.3: the job-linked run is best at the end too.
  assert.equal(loss.bestFinalRunId, third);
  const jobRun = loss.runs.find((m: { runId: string }) => m.runId === third);
  assert.deepEqual(
    {
      final: jobRun.final,
      finalStep: jobRun.finalStep,
      min: jobRun.min,
      minStep: jobRun.minStep,
      points: jobRun.points,
    },
    { final: 0.3, finalStep: 2, min: 0.2, minStep: 1, points: 3 },
  );
  const accuracy = output.metrics.find((m: { name: string }) => m.name === 'val_accuracy');
  assert.equal(accuracy.direction, 'higher');
  assert.equal(accuracy.bestValue, 0.9);
  assert.deepEqual(accuracy.missingIn, ['example-run-0001', 'example-run-0002']);
  assert.equal(output.runs[2].status, 'FINISHED', "the job's SUCCEEDED folds to FINISHED");
  assert.match(text, /parameters that differ: .*learning_rate = 0\.01 \| 0\.001 \| 0\.01/);

  // A metric whose name says nothing (tokens) has no best until the caller says which way it goes.
  await ok('ml_training_log_run', { runId: 'example-run-0001', metrics: [{ step: 5, values: { tokens: 3 } }] });
  const unknown = await ok('ml_training_compare_runs', {
    runIds: ['example-run-0001', 'example-run-0002'],
    metrics: ['tokens'],
  });
  assert.equal(unknown.output.metrics[0].direction, 'unknown');
  assert.equal(unknown.output.metrics[0].bestRunId, null);
  const told = await ok('ml_training_compare_runs', {
    runIds: ['example-run-0001', 'example-run-0002'],
    metrics: ['tokens'],
    higherIsBetter: ['tokens'],
  });
  assert.equal(told.output.metrics[0].bestRunId, 'example-run-0001');

  const missing = await invoke('ml_training_compare_runs', { runIds: ['example-run-0001', 'no-such-run-42'] });
  assert.ok(!missing.ok && missing.error.kind === 'input');
  assert.match(!missing.ok ? missing.error.message : '', /^runIds\.1: no run "no-such-run-42"/);
  const twice = await invoke('ml_training_compare_runs', { runIds: ['example-run-0001', 'example-run-0001'] });
  assert.match(!twice.ok ? twice.error.message : '', /^runIds: example-run-0001 is listed twice/);
  const notLogged = await invoke('ml_training_compare_runs', {
    runIds: ['example-run-0001', 'example-run-0002'],
    metrics: ['bleu'],
  });
  assert.match(
    !notLogged.ok ? notLogged.error.message : '',
    /^metrics: no run here logged bleu; the logged metrics are loss, tokens/,
  );
});

test('metric direction: names decide, the caller overrides', () => {
  assert.equal(metricDirection('val_loss'), 'lower');
  assert.equal(metricDirection('rmse'), 'lower');
  assert.equal(metricDirection('top1_accuracy'), 'higher');
  assert.equal(metricDirection('f1'), 'higher');
  assert.equal(metricDirection('reward_mean'), 'higher');
  assert.equal(metricDirection('tokens'), 'unknown');
  assert.equal(metricDirection('tokens', { higher: ['tokens'] }), 'higher');
  assert.equal(metricDirection('val_loss', { higher: ['val_loss'] }), 'higher');
});

test("a model's history lists versions and every alias move, newest first, and follows one alias", async (t) => {
  const { ok, invoke } = await routed(t);
  await ok('ml_training_set_model_alias', { name: 'profile-mlp', alias: 'production', version: 1 });
  await ok('ml_training_register_model', {
    name: 'profile-mlp',
    artifact: 'models/profile.safetensors',
    runId: 'example-run-0002',
    alias: 'candidate',
  });
  await ok('ml_training_set_model_alias', { name: 'profile-mlp', alias: 'production', version: 2, confirm: true });
  await ok('ml_training_set_model_alias', { name: 'profile-mlp', alias: 'production', version: 1, confirm: true });
  const { output, text } = await ok('ml_training_get_model_history', { name: 'profile-mlp' });
  assert.deepEqual(output.aliases, { production: 1, candidate: 2 });
  assert.deepEqual(
    output.events.map((e: Record<string, unknown>) => [e.event, e.alias ?? null, e.from ?? null, e.to ?? e.version]),
    [
      ['alias_set', 'production', 2, 1],
      ['alias_set', 'production', 1, 2],
      ['alias_set', 'candidate', null, 2],
      ['model_version_created', null, null, 2],
      ['alias_set', 'production', null, 1],
      ['model_version_created', null, null, 1],
    ],
  );
  assert.equal(output.versions[1].runId, 'example-run-0002');
  assert.match(text, /production → 1 \(was 2\)/);
  const production = await ok('ml_training_get_model_history', { name: 'profile-mlp', alias: 'production', limit: 2 });
  assert.equal(production.output.totalEvents, 3);
  assert.deepEqual(
    production.output.events.map((e: { to: number }) => e.to),
    [1, 2],
  );
  const unknown = await invoke('ml_training_get_model_history', { name: 'nope' });
  assert.match(!unknown.ok ? unknown.error.message : '', /^name: no model "nope"; registered: profile-mlp/);
});

test('a run is deleted only when it has ended and no model version was built from it', async (t) => {
  const { suite, ok, invoke } = await routed(t);
  const runs = path.join(suite.dataDir, 'ml-training', 'registry', 'runs');
  // example-run-0001 produced profile-mlp version 1: the preview says so, a confirmed delete is refused.
  const preview = await ok('ml_training_delete_run', { runId: 'example-run-0001' }, true);
  assert.equal(preview.output.deleted, false);
  assert.deepEqual(preview.output.referencedBy, ['profile-mlp version 1']);
  const refused = await invoke('ml_training_delete_run', { runId: 'example-run-0001', confirm: true }, true);
  assert.ok(!refused.ok && refused.error.kind === 'input');
  assert.match(
    !refused.ok ? refused.error.message : '',
    /^runId: run example-run-0001 cannot be deleted: profile-mlp version 1 was built from it/,
  );
  // A RUNNING run is refused too.
  const running = await ok('ml_training_create_run', { name: 'scratch' });
  const stillRunning = await invoke('ml_training_delete_run', { runId: running.output.run.runId, confirm: true }, true);
  assert.match(
    !stillRunning.ok ? stillRunning.error.message : '',
    /it is still RUNNING: end it with ml_training_log_run/,
  );
  // The router wants confirm for a destructive tool.
  const unconfirmed = await invoke('ml_training_delete_run', { runId: 'example-run-0002', confirm: true }, false);
  assert.match(!unconfirmed.ok ? unconfirmed.error.message : '', /^confirm: ml_training_delete_run is destructive/);
  const dry = await ok('ml_training_delete_run', { runId: 'example-run-0002' }, true);
  assert.equal(dry.output.deleted, false);
  assert.match(dry.output.message, /Would delete run example-run-0002 .*2 metric points/);
  assert.ok((await readdir(runs)).includes('example-run-0002'));
  const deleted = await ok('ml_training_delete_run', { runId: 'example-run-0002', confirm: true }, true);
  assert.equal(deleted.output.deleted, true);
  assert.deepEqual(
    (await readdir(runs)).filter((name) => name.startsWith('example-run') || name.startsWith('.')),
    ['example-run-0001'],
    'nothing left behind, not even the set-aside directory',
  );
  const list = await ok('ml_training_list_runs', { name: 'profile-mlp' });
  assert.deepEqual(
    list.output.runs.map((r: { runId: string }) => r.runId),
    ['example-run-0001'],
  );
  const again = await invoke('ml_training_get_run', { runId: 'example-run-0002' });
  assert.match(!again.ok ? again.error.message : '', /^runId: no run "example-run-0002"/);
});
