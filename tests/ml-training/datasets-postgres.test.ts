// ml_training_prepare_dataset against the real PostgreSQL: a cpe_entry-shaped table (768-d real[]
// vectors, 16-d codes, labels) and a table of text vectors, read back by numpy when it is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { datasetSuite, numpyMissing, readWithNumpy, schemaOrSkip, toolName, vectorOf } from './datasets-fixture.js';

interface Output {
  directory: string;
  rows: number;
  rowsRead: number;
  skipped: Record<string, number>;
  dimension: number;
  codeDimension?: number;
  splits: { train: number; validation: number; test: number };
  windows: { train: number; validation: number; test: number };
  query: string;
  parameters: unknown[];
  members: Record<string, { sha256: string; bytes: number; entries?: Record<string, { sha256: string }> }>;
}

test('a cpe_entry table (768-d real[], 16-d code, label) becomes a dataset numpy reads; bad rows are counted and skipped', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_ds_cpe');
  if (!pg) return;
  const { admin, schema } = pg;
  await admin.query(
    `CREATE TABLE ${schema}.cpe_entry (id bigint PRIMARY KEY, concept_text text, concept_vec real[], tmd_code real[], dataset_source text)`,
  );
  const good = 40;
  const insert = (id: number, vec: unknown, code: unknown, source = 'wiki', text: string | null = `concept ${id}`) =>
    admin.query(`INSERT INTO ${schema}.cpe_entry VALUES ($1, $2, $3::real[], $4::real[], $5)`, [
      id,
      text,
      vec,
      code,
      source,
    ]);
  for (let i = 0; i < good; i++)
    await insert(i + 1, vectorOf(i, 768), vectorOf(i, 16, 1), i % 3 === 0 ? 'news' : 'wiki');
  await insert(101, null, vectorOf(0, 16)); // NULL vector
  await insert(102, vectorOf(1, 767), vectorOf(1, 16)); // wrong dimension
  await admin.query(
    `INSERT INTO ${schema}.cpe_entry VALUES (103, 't', array_fill('NaN'::real, ARRAY[768]), $1, 'wiki')`,
    [vectorOf(2, 16)],
  );
  await admin.query(
    `INSERT INTO ${schema}.cpe_entry VALUES (104, 't', array_fill('Infinity'::real, ARRAY[768]), $1, 'wiki')`,
    [vectorOf(3, 16)],
  );
  const suite = await datasetSuite(t);
  const context = suite.dispatcher.context({});
  const outcome = await suite.dispatcher.router.invoke(
    toolName,
    {
      name: 'cpe',
      table: `${schema}.cpe_entry`,
      idColumn: 'id',
      vectorColumn: 'concept_vec',
      codeColumn: 'tmd_code',
      labelColumn: 'dataset_source',
      textColumn: 'concept_text',
      context: 2,
      batchSize: 10,
    },
    context,
  );
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const output = outcome.output as unknown as Output;
  assert.equal(output.directory, path.join(suite.dataDir, 'ml-training', 'datasets', 'cpe'));
  assert.equal(output.rowsRead, 44);
  assert.equal(output.rows, good);
  assert.deepEqual(output.skipped, {
    null: 1,
    wrongDimension: 1,
    nonFinite: 2,
    unparseable: 0,
    nullId: 0,
    badCode: 0,
  });
  assert.equal(output.dimension, 768);
  assert.equal(output.codeDimension, 16);
  // 40 rows in order: train floor(32), validation floor(4), test the rest; windows of 2 inside each.
  assert.deepEqual(output.splits, { train: 32, validation: 4, test: 4 });
  assert.deepEqual(output.windows, { train: 30, validation: 2, test: 2 });
  assert.match(
    output.query,
    /^SELECT src\."id"::text AS id, src\."concept_vec"::text AS vec, .* ORDER BY src\."id" ASC$/,
  );

  const manifest = JSON.parse(await readFile(path.join(output.directory, 'manifest.json'), 'utf8'));
  assert.equal(manifest.rows, good);
  assert.equal(manifest.source.query, output.query);
  assert.deepEqual(manifest.skipped, output.skipped);
  assert.equal(manifest.textRows, 44 - 4);
  assert.ok(Date.parse(manifest.createdAt) > 0);
  assert.deepEqual((await readdir(output.directory)).sort(), [
    'dataset.npz',
    'manifest.json',
    'sequences.npz',
    'test.npy',
    'train.npy',
    'validation.npy',
  ]);
  for (const [file, member] of Object.entries(manifest.members as Output['members'])) {
    const bytes = await readFile(path.join(output.directory, file));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), member.sha256, file);
    assert.equal(bytes.length, member.bytes, file);
  }

  const missing = numpyMissing();
  if (missing) return t.skip(missing);
  const view = readWithNumpy(output.directory, 2);
  assert.deepEqual(view.arrays['dataset.ids'], { dtype: '<i8', shape: [40] });
  assert.deepEqual(view.arrays['dataset.vectors'], { dtype: '<f4', shape: [40, 768] });
  assert.deepEqual(view.arrays['dataset.codes'], { dtype: '<f4', shape: [40, 16] });
  assert.deepEqual(view.arrays['dataset.labels'], { dtype: '<U4', shape: [40] });
  assert.deepEqual(view.arrays['sequences.X_train'], { dtype: '<f4', shape: [30, 2, 768] });
  assert.deepEqual(view.arrays['sequences.y_val'], { dtype: '<f4', shape: [2, 768] });
  assert.deepEqual(view.arrays.test, { dtype: '<f4', shape: [4, 768] });
  assert.deepEqual(
    view.ids,
    Array.from({ length: good }, (_, i) => i + 1),
  );
  assert.deepEqual(
    view.vectors,
    Array.from({ length: good }, (_, i) => vectorOf(i, 768)),
  );
  assert.deepEqual(
    view.codes,
    Array.from({ length: good }, (_, i) => vectorOf(i, 16, 1)),
  );
  assert.deepEqual(
    view.labels,
    Array.from({ length: good }, (_, i) => (i % 3 === 0 ? 'news' : 'wiki')),
  );
  assert.equal(view.texts, null, 'texts are counted, not stored, without keepTexts');
  assert.ok(view.splitsConcatenate, 'train + validation + test = vectors, in order');
  assert.ok(view.windowsOk, 'every window is the N rows before its target, inside its split');
  assert.ok(view.stored, 'entries are stored, not deflated');
  assert.ok(view.zip64, 'every entry carries its ZIP64 record, as numpy writes them');
  for (const file of ['dataset.npz', 'sequences.npz'] as const) {
    const entries = manifest.members[file].entries as Record<string, { sha256: string }>;
    assert.deepEqual(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.sha256])), view.inner[file]);
  }
  for (const [file, sha] of Object.entries(view.files)) assert.equal(manifest.members[file].sha256, sha, file);
});

test('text vectors ("[…]" and "{…}") with a filter, an order and a limit; string ids and stored texts', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_ds_text');
  if (!pg) return;
  const { admin, schema } = pg;
  await admin.query(`CREATE TABLE ${schema}.items (key text, vec text, source text, body text)`);
  const rows: [string, string | null, string, string][] = [];
  for (let i = 0; i < 12; i++) {
    const v = vectorOf(i, 4);
    rows.push([
      `k${String(i).padStart(2, '0')}`,
      i % 2 ? `[${v.join(', ')}]` : `{${v.join(',')}}`,
      'keep',
      `tëxt ${i}`,
    ]);
  }
  rows.push(['k90', 'not a vector', 'keep', 'x']);
  rows.push(['k91', '[1, 2, 3, 4]', 'drop', 'x']);
  rows.push(['k92', '[1, NaN, 3, 4]', 'keep', 'x']);
  for (const row of rows) await admin.query(`INSERT INTO ${schema}.items VALUES ($1, $2, $3, $4)`, row);
  const suite = await datasetSuite(t);
  const context = suite.dispatcher.context({});
  const outcome = await suite.dispatcher.router.invoke(
    toolName,
    {
      table: `${schema}.items`,
      idColumn: 'key',
      vectorColumn: 'vec',
      textColumn: 'body',
      keepTexts: true,
      where: [
        { column: 'source', op: '=', value: 'keep' },
        { column: 'key', op: '!=', value: 'k03' },
      ],
      orderBy: { column: 'key', direction: 'desc' },
      limit: 10,
      outputDir: 'datasets/items',
    },
    context,
  );
  // The parent of outputDir must exist inside the roots.
  assert.ok(!outcome.ok);
  assert.match(outcome.error.message, /^outputDir: datasets does not exist/);
  const again = await suite.dispatcher.router.invoke(
    toolName,
    {
      table: `${schema}.items`,
      idColumn: 'key',
      vectorColumn: 'vec',
      textColumn: 'body',
      keepTexts: true,
      where: [
        { column: 'source', op: '=', value: 'keep' },
        { column: 'key', op: '!=', value: 'k03' },
      ],
      orderBy: { column: 'key', direction: 'desc' },
      limit: 10,
      outputDir: 'items',
    },
    context,
  );
  assert.ok(again.ok, again.ok ? '' : again.error.message);
  const output = again.output as unknown as Output;
  assert.equal(output.directory, path.join(await realpath(suite.project), 'items'));
  // Descending keys: k92 (NaN), k90 (not a vector), then k11 … k04, k02 (k03 filtered out): 10 read, 8 kept.
  assert.equal(output.rowsRead, 10);
  assert.equal(output.rows, 8);
  assert.equal(output.skipped.nonFinite, 1);
  assert.equal(output.skipped.unparseable, 1);
  assert.deepEqual(output.parameters, ['keep', 'k03', 10]);
  assert.match(output.query, /WHERE src\."source" = \$1 AND src\."key" <> \$2 ORDER BY src\."key" DESC LIMIT \$3$/);
  const missing = numpyMissing();
  if (missing) return t.skip(missing);
  const view = readWithNumpy(output.directory, 1);
  const kept = [11, 10, 9, 8, 7, 6, 5, 4];
  assert.deepEqual(view.arrays['dataset.ids'], { dtype: '<U3', shape: [8] });
  assert.deepEqual(
    view.ids,
    kept.map((i) => `k${String(i).padStart(2, '0')}`),
  );
  assert.deepEqual(
    view.vectors,
    kept.map((i) => vectorOf(i, 4)),
  );
  assert.deepEqual(
    view.texts,
    kept.map((i) => `tëxt ${i}`),
  );
  assert.ok(view.windowsOk && view.splitsConcatenate);
});

test('"in", "like", "<=" and is_null filters bind their values; the statement timeout stops a slow read', async (t) => {
  const pg = await schemaOrSkip(t, 'caelum_ds_ops');
  if (!pg) return;
  const { admin, schema } = pg;
  await admin.query(
    `CREATE TABLE ${schema}.v AS SELECT i AS id, ARRAY[i, -i]::double precision[] AS vec, 'tag' || (i % 4) AS tag, CASE WHEN i % 5 = 0 THEN NULL ELSE i END AS maybe FROM generate_series(1, 40) i`,
  );
  await admin.query(`CREATE VIEW ${schema}.slow AS SELECT v.*, pg_sleep(0.05)::text AS nap FROM ${schema}.v`);
  const suite = await datasetSuite(t);
  const context = suite.dispatcher.context({});
  const run = (input: Record<string, unknown>) =>
    suite.dispatcher.router.invoke(toolName, { vectorColumn: 'vec', overwrite: true, ...input }, context);
  const filtered = await run({
    table: `${schema}.v`,
    where: [
      { column: 'tag', op: 'in', value: ['tag1', 'tag2'] },
      { column: 'tag', op: 'like', value: 'tag%' },
      { column: 'id', op: '<=', value: 20 },
      { column: 'maybe', op: 'not_null' },
    ],
  });
  assert.ok(filtered.ok, filtered.ok ? '' : filtered.error.message);
  const output = filtered.output as { rows: number; directory: string; dimension: number };
  // ids 1..20 with id % 4 in {1, 2}, less the multiples of 5 (maybe is NULL): 1 2 6 9 13 14 17 18.
  assert.equal(output.rows, 8);
  assert.equal(output.dimension, 2);
  const nulls = await run({ table: `${schema}.v`, where: [{ column: 'maybe', op: 'is_null' }] });
  assert.ok(nulls.ok && (nulls.output as { rows: number }).rows === 8);

  const slow = await run({ table: `${schema}.slow`, statementTimeoutMs: 300 });
  assert.ok(!slow.ok);
  assert.match(slow.error.message, /statement timeout/);
  assert.deepEqual(await readdir(path.dirname(output.directory)), ['v'], 'the failed read left nothing');
});
