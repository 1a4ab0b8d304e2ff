// The dataset catalogue on datasets the real prepare tool wrote (from a knowledge-store collection, no
// PostgreSQL): the list reads each manifest, and verify hashes the files again, catching a flipped
// byte, a truncated file, a removed one and a stray one, within a byte budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AnyTool } from '../../tools/define-tool.js';
import { datasetCatalogTools } from '../../tools/ml-training/datasets/dataset-catalog-tools.js';
import { datasetSuite, seedDatasetExamples } from './datasets-fixture.js';

async function catalogue(t: Parameters<typeof datasetSuite>[0]) {
  const suite = await datasetSuite(t, { database: false });
  for (const tool of datasetCatalogTools)
    if (!suite.registry.get(tool.name)) suite.registry.add(tool as unknown as AnyTool);
  const context = suite.dispatcher.context({});
  const invoke = (name: string, input: unknown) => suite.dispatcher.router.invoke(name, input, context);
  const ok = async (name: string, input: unknown) => {
    const outcome = await invoke(name, input);
    assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
    return { output: outcome.output as Record<string, any>, text: outcome.text };
  };
  return { suite, invoke, ok };
}

test('with nothing prepared the list is empty and says how to make one', async (t) => {
  const { ok } = await catalogue(t);
  const { output, text } = await ok('ml_training_list_datasets', {});
  assert.deepEqual(output.datasets, []);
  assert.match(text, /no datasets in .*; make one with ml_training_prepare_dataset/);
});

test('lists the prepared datasets from their manifests, and a directory without one with its problem', async (t) => {
  const { suite, ok } = await catalogue(t);
  const seeded = await seedDatasetExamples(suite);
  await seedDatasetExamples(suite, 'another-set');
  const broken = path.join(suite.dataDir, 'ml-training', 'datasets', 'broken');
  await mkdir(broken);
  await writeFile(path.join(broken, 'manifest.json'), '{not json');
  const { output, text } = await ok('ml_training_list_datasets', {});
  assert.deepEqual(
    output.datasets.map((d: { name: string }) => d.name),
    ['another-set', 'broken', 'example-vectors'],
  );
  const example = output.datasets[2];
  const bytes = Object.values(seeded.members).reduce((sum, m) => sum + m.bytes, 0);
  assert.deepEqual(
    {
      rows: example.rows,
      dimension: example.dimension,
      context: example.context,
      splits: example.splits,
      source: example.source,
      from: example.from,
      files: example.files,
      bytes: example.bytes,
    },
    {
      rows: 40,
      dimension: 4,
      context: 2,
      splits: { train: 32, validation: 4, test: 4 },
      source: 'collection',
      from: 'example-vectors',
      files: 5,
      bytes,
    },
  );
  assert.match(output.datasets[1].problem, /no readable manifest\.json/);
  assert.match(text, /example-vectors: 40 rows × 4, split 32\/4\/4, from collection example-vectors/);
  const limited = await ok('ml_training_list_datasets', { limit: 1 });
  assert.equal(limited.output.datasets.length, 1);
  assert.equal(limited.output.total, 3);
});

test('verify passes an intact dataset and reports a changed byte, a truncation, a removal and a stray file', async (t) => {
  const { suite, ok, invoke } = await catalogue(t);
  const seeded = await seedDatasetExamples(suite);
  const intact = await ok('ml_training_verify_dataset', { dataset: 'example-vectors' });
  assert.equal(intact.output.ok, true);
  assert.deepEqual(
    intact.output.files.map((f: { file: string; status: string }) => [f.file, f.status]).sort(),
    Object.keys(seeded.members)
      .map((file) => [file, 'ok'])
      .sort(),
  );
  assert.equal(
    intact.output.bytesHashed,
    Object.values(seeded.members).reduce((sum, m) => sum + m.bytes, 0),
  );
  // The absolute directory prepareDataset returned is accepted too.
  assert.equal((await ok('ml_training_verify_dataset', { dataset: seeded.directory })).output.ok, true);

  // One byte flipped inside train.npy (same size), validation.npy cut short, test.npy removed, a stray file.
  const file = (name: string) => path.join(seeded.directory, name);
  const handle = await open(file('train.npy'), 'r+');
  const last = Buffer.alloc(1);
  const size = seeded.members['train.npy']!.bytes;
  await handle.read(last, 0, 1, size - 1);
  await handle.write(Buffer.from([last[0]! ^ 0xff]), 0, 1, size - 1);
  await handle.close();
  await truncate(file('validation.npy'), 10);
  await rm(file('test.npy'));
  await writeFile(file('notes.txt'), 'hand edit');
  const { output, text } = await ok('ml_training_verify_dataset', { dataset: 'example-vectors' });
  assert.equal(output.ok, false);
  const status = Object.fromEntries(output.files.map((f: { file: string; status: string }) => [f.file, f.status]));
  assert.deepEqual(status, {
    'dataset.npz': 'ok',
    'train.npy': 'sha256_mismatch',
    'validation.npy': 'size_mismatch',
    'test.npy': 'missing',
    'sequences.npz': 'ok',
  });
  assert.deepEqual(output.extraFiles, ['notes.txt']);
  assert.match(text, /NOT intact/);
  assert.match(text, /validation\.npy: size_mismatch \(manifest \d+ bytes, now 10\)/);

  // A budget smaller than the first file: nothing is hashed, everything is unchecked, and it is not ok.
  const budget = await ok('ml_training_verify_dataset', { dataset: 'example-vectors', maxBytes: 16 });
  assert.equal(budget.output.ok, false);
  assert.ok(budget.output.files.some((f: { status: string }) => f.status === 'unchecked'));
  assert.ok(budget.output.bytesHashed <= 16);

  const unknown = await invoke('ml_training_verify_dataset', { dataset: 'nope' });
  assert.ok(!unknown.ok && unknown.error.kind === 'input');
  assert.match(!unknown.ok ? unknown.error.message : '', /^dataset: /);
});
