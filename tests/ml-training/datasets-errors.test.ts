// ml_training_prepare_dataset's refusals name the field and the fix; a cancel leaves nothing behind;
// an existing dataset is replaced only with overwrite; a knowledge-store collection exports too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { datasetSuite, numpyMissing, readWithNumpy, schemaOrSkip, toolName, vectorOf } from './datasets-fixture.js';

test('a missing table, a non-vector column, a bad filter column or value, and no database are isError naming the field', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_ds_err');
  if (!pg) return;
  const { admin, schema } = pg;
  await admin.query(`CREATE TABLE ${schema}.t (id int, vec real[], label text, n int)`);
  await admin.query(`INSERT INTO ${schema}.t VALUES (1, '{1,2}', 'abc', 5)`);
  const suite = await datasetSuite(t);
  const context = suite.dispatcher.context({});
  const fails = async (input: Record<string, unknown>) => {
    const outcome = await suite.dispatcher.router.invoke(toolName, { idColumn: 'id', ...input }, context);
    assert.ok(!outcome.ok, JSON.stringify(input));
    assert.equal(outcome.error.kind, 'input', outcome.error.message);
    return outcome.error.message;
  };
  assert.match(
    await fails({ table: `${schema}.nope`, vectorColumn: 'vec' }),
    new RegExp(`^table: ${schema}\\.nope does not exist; pass an existing table`),
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'label' }),
    /^vectorColumn: label is text holding 'abc', not a vector; pass a real\[\] or vector-text column/,
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'n' }),
    /^vectorColumn: n is integer, not a vector; pass a real\[\]/,
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'vec', where: [{ column: 'nope', op: '=', value: 1 }] }),
    new RegExp(`^where\\.0\\.column: column "nope" is not in ${schema}\\.t; its columns are: id, vec, label, n`),
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'vec', where: [{ column: 'n', op: '>', value: 'many' }] }),
    /^where: invalid input syntax for type integer: "many"/,
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'vec', where: [{ column: 'n', op: 'in' }] }),
    /^where\.0\.value: operator "in" needs a value/,
  );
  assert.match(
    await fails({ table: `${schema}.t`, vectorColumn: 'vec', orderBy: { column: 'when' } }),
    /^orderBy\.column: column "when" is not in/,
  );
  assert.match(await fails({ collection: 'absent' }), /^collection: no collection named "absent"/);
  // Nothing was left in the datasets directory by the refusals.
  const datasets = path.join(suite.dataDir, 'ml-training', 'datasets');
  assert.deepEqual(await readdir(datasets).catch(() => []), []);

  const unconfigured = await datasetSuite(t, { database: false });
  const outcome = await unconfigured.dispatcher.router.invoke(
    toolName,
    { table: `${schema}.t`, vectorColumn: 'vec' },
    unconfigured.dispatcher.context({}),
  );
  assert.ok(!outcome.ok);
  assert.match(outcome.error.message, /^table: PostgreSQL is not configured; set databaseUrl .*DATABASE_URL/);
});

test('a cancel during the read leaves no dataset and no temporary directory; an existing one needs overwrite', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_ds_cancel');
  if (!pg) return;
  const { admin, schema } = pg;
  await admin.query(
    `CREATE TABLE ${schema}.v AS SELECT i AS id, array_fill((i % 7)::real, ARRAY[32]) AS vec FROM generate_series(1, 200) i`,
  );
  const suite = await datasetSuite(t);
  const datasets = path.join(suite.dataDir, 'ml-training', 'datasets');
  const input = { name: 'v', table: `${schema}.v`, vectorColumn: 'vec', batchSize: 20 };

  const controller = new AbortController();
  const seen: number[] = [];
  const cancelled = await suite.dispatcher.router.invoke(
    toolName,
    input,
    suite.dispatcher.context({
      signal: controller.signal,
      progress: (done) => {
        seen.push(done);
        if (done >= 40) controller.abort();
      },
    }),
  );
  assert.ok(!cancelled.ok);
  assert.equal(cancelled.error.kind, 'cancelled');
  assert.deepEqual(seen.slice(0, 3), [0, 20, 40], 'progress is reported per batch');
  assert.deepEqual(await readdir(datasets), [], 'no dataset and no temporary directory');

  // A cancel after the read, while the files are written, leaves nothing either.
  const late = new AbortController();
  const lateOutcome = await suite.dispatcher.router.invoke(
    toolName,
    input,
    suite.dispatcher.context({
      signal: late.signal,
      progress: (_done, _total, message) => message === 'writing sequences.npz' && late.abort(),
    }),
  );
  assert.ok(!lateOutcome.ok);
  assert.equal(lateOutcome.error.kind, 'cancelled');
  assert.deepEqual(await readdir(datasets), []);

  const context = suite.dispatcher.context({});
  const first = await suite.dispatcher.router.invoke(toolName, input, context);
  assert.ok(first.ok, first.ok ? '' : first.error.message);
  const manifest = await readFile(path.join(datasets, 'v', 'manifest.json'), 'utf8');
  const refused = await suite.dispatcher.router.invoke(toolName, input, context);
  assert.ok(!refused.ok);
  assert.match(refused.error.message, /^outputDir: .*v already exists; pass overwrite: true/);
  assert.equal(await readFile(path.join(datasets, 'v', 'manifest.json'), 'utf8'), manifest, 'left as it was');
  const replaced = await suite.dispatcher.router.invoke(toolName, { ...input, overwrite: true, limit: 50 }, context);
  assert.ok(replaced.ok, replaced.ok ? '' : replaced.error.message);
  assert.equal(JSON.parse(await readFile(path.join(datasets, 'v', 'manifest.json'), 'utf8')).rows, 50);
  assert.deepEqual(await readdir(datasets), ['v']);
});

test('a knowledge-store collection exports its stored vectors in id order, with labels from the item type', async (t) => {
  const suite = await datasetSuite(t, { database: false });
  const ids = Array.from({ length: 10 }, (_, i) => `item-${i}`);
  const vectors = new Float32Array(10 * 6);
  ids.forEach((_, i) => vectors.set(vectorOf(i, 6), i * 6));
  await suite.knowledge.replaceCollection(
    'exportable',
    { space: 'l2', dimension: 6, embedder: 'fixture' },
    { ids, namespaces: ids.map(() => 'ns'), types: ids.map((_, i) => (i % 2 ? 'odd' : 'even')), vectors },
  );
  await mkdir(path.join(suite.project, 'out'));
  await writeFile(path.join(suite.project, 'out', 'keep.txt'), 'x');
  const outcome = await suite.dispatcher.router.invoke(
    toolName,
    { collection: 'exportable', labelFrom: 'type', outputDir: 'out/exported', context: 3 },
    suite.dispatcher.context({}),
  );
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const output = outcome.output as { rows: number; source: string; splits: object; windows: object };
  assert.equal(output.rows, 10);
  assert.equal(output.source, 'collection');
  assert.deepEqual(output.splits, { train: 8, validation: 1, test: 1 });
  assert.deepEqual(output.windows, { train: 5, validation: 0, test: 0 });
  const manifest = JSON.parse(await readFile(path.join(suite.project, 'out', 'exported', 'manifest.json'), 'utf8'));
  assert.equal(manifest.source.kind, 'collection');
  assert.equal(manifest.source.normalized, false);
  const missing = numpyMissing();
  if (missing) return t.skip(missing);
  const view = readWithNumpy(path.join(suite.project, 'out', 'exported'), 3);
  assert.deepEqual(view.ids, ids);
  assert.deepEqual(
    view.vectors,
    ids.map((_, i) => vectorOf(i, 6)),
  );
  assert.deepEqual(
    view.labels,
    ids.map((_, i) => (i % 2 ? 'odd' : 'even')),
  );
  assert.deepEqual(view.arrays['sequences.X_val'], { dtype: '<f4', shape: [0, 3, 6] });
  assert.ok(view.windowsOk);
});
