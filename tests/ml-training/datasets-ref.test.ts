// A dataset reference resolves one way everywhere (submit plan, evaluation, registry): the absolute
// directory prepareDataset returns round-trips, a bare name is the data-dir dataset before a root
// path, and a link out of the data-dir datasets is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveDataset } from '../../tools/ml-training/datasets/dataset-ref.js';
import { datasetSummary } from '../../tools/ml-training/jobs/job-plan.js';
import { createRun } from '../../tools/ml-training/registry/registry.js';
import { tempDir } from '../helpers.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { evaluatePredictions } from '../../tools/ml-training/evaluation/evaluation-tool.js';
import { submitJob } from '../../tools/ml-training/jobs/job-submit-tool.js';
import { datasetSuite, toolName, vectorOf } from './datasets-fixture.js';

async function layout(t: Parameters<typeof tempDir>[0]) {
  const base = await realpath(await tempDir(t));
  const project = path.join(base, 'project');
  const dataDir = path.join(base, 'data');
  const datasets = path.join(dataDir, 'ml-training', 'datasets');
  const write = async (directory: string, manifest: object) => {
    await mkdir(directory, { recursive: true });
    await writeFile(path.join(directory, 'manifest.json'), JSON.stringify(manifest));
  };
  await write(path.join(datasets, 'concepts'), { name: 'concepts', rows: 2, context: 3 });
  // The same name as a directory in the root: the data-dir dataset wins.
  await write(path.join(project, 'concepts'), { name: 'root-concepts', rows: 9 });
  await write(path.join(project, 'only-root'), { name: 'only-root', rows: 5 });
  await write(path.join(base, 'elsewhere'), { name: 'secret', rows: 1 });
  return { base, project, dataDir, datasets, env: { allowedRoots: [project], dataDir, codeVersion: 'test' } };
}

test('the absolute directory prepareDataset returns is accepted by the submit plan, evaluation and registry', async (t) => {
  const { datasets, dataDir, project, env } = await layout(t);
  const absolute = path.join(datasets, 'concepts');
  const summary = await datasetSummary(absolute, [project], dataDir);
  assert.equal(summary.directory, absolute);
  assert.equal(summary.rows, 2);
  assert.equal(summary.context, 3);
  const { run } = await createRun(env, { name: 'r', dataset: absolute });
  assert.equal(run.dataManifest?.path, absolute);
  assert.deepEqual(run.dataManifest?.manifest, { name: 'concepts', rows: 2, context: 3 });
  // A bare name: the data-dir dataset first, in the submit plan and in the registry alike.
  assert.equal((await datasetSummary('concepts', [project], dataDir)).rows, 2);
  const { run: named } = await createRun(env, { name: 'n', dataset: 'concepts' });
  assert.equal(named.dataManifest?.path, absolute);
  // A name that is only in the root is found there; a path in the root too.
  assert.equal((await resolveDataset('only-root', env)).directory, path.join(project, 'only-root'));
  assert.equal((await resolveDataset('concepts/', env)).manifest['name'], 'root-concepts');
});

test('outside the roots and the data-dir datasets, or through a link out of them, a dataset is refused', async (t) => {
  const { base, datasets, env } = await layout(t);
  await assert.rejects(
    resolveDataset(path.join(base, 'elsewhere'), env),
    /^InputError: dataset: .*outside the allowed roots/,
  );
  await symlink(path.join(base, 'elsewhere'), path.join(datasets, 'linked'));
  await assert.rejects(resolveDataset(path.join(datasets, 'linked'), env), (error: Error) =>
    /^dataset: .*linked is not a dataset directory in .*datasets/.test(error.message),
  );
  // By name, the link is not followed either (and the root has no such directory).
  await assert.rejects(resolveDataset('linked', env), (error: Error) =>
    /^dataset: linked does not exist/.test(error.message),
  );
  await assert.rejects(resolveDataset(path.join(datasets, 'absent'), env), (error: Error) =>
    /^dataset: .*absent is not a dataset directory/.test(error.message),
  );
  await mkdir(path.join(datasets, 'empty'));
  await assert.rejects(resolveDataset(path.join(datasets, 'empty'), env), (error: Error) =>
    /^dataset: .*empty has no manifest\.json; pass a directory made by prepareDataset/.test(error.message),
  );
});

test('prepareDataset → its directory → evaluate_predictions and the submit plan, through the router', async (t) => {
  const suite = await datasetSuite(t, { database: false });
  for (const tool of [evaluatePredictions, submitJob] as unknown as AnyTool[])
    if (!suite.registry.get(tool.name)) suite.registry.add(tool);
  const ids = Array.from({ length: 40 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
  const vectors = new Float32Array(40 * 4);
  ids.forEach((_, i) => vectors.set(vectorOf(i, 4), i * 4));
  await suite.knowledge.replaceCollection(
    'round',
    { space: 'l2', dimension: 4, embedder: 'fixture' },
    { ids, namespaces: ids.map(() => 'ns'), types: ids.map(() => 't'), vectors },
  );
  const context = suite.dispatcher.context({});
  const invoke = async (name: string, input: unknown) => {
    const outcome = await suite.dispatcher.router.invoke(name, input, context);
    assert.ok(outcome.ok, outcome.ok ? '' : `${name}: ${outcome.error.message}`);
    return outcome.output as Record<string, any>;
  };
  const prepared = await invoke(toolName, { collection: 'round' });
  const directory = prepared.directory as string;
  assert.equal(directory, path.join(suite.dataDir, 'ml-training', 'datasets', 'round'));
  const testRows = prepared.splits.test as number;
  const evaluated = await invoke('ml_training_evaluate_predictions', {
    dataset: directory,
    predictions: Array.from({ length: testRows - 1 }, (_, i) =>
      vectorOf(prepared.splits.train + prepared.splits.validation + i + 1, 4),
    ),
  });
  assert.equal(evaluated.examples.test, testRows - 1);
  assert.equal(evaluated.model.mse, 0, 'the exact next vectors score MSE 0');
  const plan = await invoke('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: 'runs/round',
    dataset: directory,
  });
  assert.equal(plan.plan.data.directory, directory);
  assert.equal(plan.plan.data.rows, 40);
});
