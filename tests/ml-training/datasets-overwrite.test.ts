// overwrite replaces only a dataset the tool wrote (its manifest's generator marker, only its files);
// any other directory inside the roots is refused and left as it was. outputDir is resolved before it
// is split, so "a/b/.." names "a".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { datasetSuite, toolName, vectorOf } from './datasets-fixture.js';

async function collectionSuite(t: import('node:test').TestContext) {
  const suite = await datasetSuite(t, { database: false });
  const ids = Array.from({ length: 10 }, (_, i) => `item-${i}`);
  const vectors = new Float32Array(10 * 4);
  ids.forEach((_, i) => vectors.set(vectorOf(i, 4), i * 4));
  await suite.knowledge.replaceCollection(
    'items',
    { space: 'l2', dimension: 4, embedder: 'fixture' },
    { ids, namespaces: ids.map(() => 'ns'), types: ids.map(() => 't'), vectors },
  );
  const invoke = (input: Record<string, unknown>) =>
    suite.dispatcher.router.invoke(toolName, { collection: 'items', ...input }, suite.dispatcher.context({}));
  return { suite, invoke };
}

test('overwrite refuses a directory that is not a dataset the tool wrote, and leaves it as it was', async (t) => {
  const { suite, invoke } = await collectionSuite(t);
  const src = path.join(suite.project, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(path.join(src, 'main.ts'), 'export {};\n');
  const refused = await invoke({ outputDir: 'src', overwrite: true });
  assert.ok(!refused.ok);
  assert.equal(refused.error.kind, 'input');
  assert.match(refused.error.message, /^outputDir: .*src has no readable manifest\.json, so it is not a dataset/);
  assert.equal(await readFile(path.join(src, 'main.ts'), 'utf8'), 'export {};\n', 'src left as it was');

  // A manifest.json of some other program is not the marker either.
  await writeFile(path.join(src, 'manifest.json'), '{"name": "app"}');
  const other = await invoke({ outputDir: 'src', overwrite: true });
  assert.ok(!other.ok);
  assert.match(other.error.message, /^outputDir: .*without "generator": "caelum prepareDataset"/);
  assert.ok((await readdir(src)).includes('main.ts'));
  assert.equal(await readFile(path.join(src, 'manifest.json'), 'utf8'), '{"name": "app"}');

  // A dataset the tool wrote is replaced; once someone adds a file of their own, it is not.
  const first = await invoke({ outputDir: 'data-out', limit: 5 });
  assert.ok(first.ok, first.ok ? '' : first.error.message);
  const manifest = JSON.parse(await readFile(path.join(suite.project, 'data-out', 'manifest.json'), 'utf8'));
  assert.equal(manifest.generator, 'caelum prepareDataset');
  const replaced = await invoke({ outputDir: 'data-out', overwrite: true });
  assert.ok(replaced.ok, replaced.ok ? '' : replaced.error.message);
  assert.equal(JSON.parse(await readFile(path.join(suite.project, 'data-out', 'manifest.json'), 'utf8')).rows, 10);
  await writeFile(path.join(suite.project, 'data-out', 'notes.md'), 'mine');
  const kept = await invoke({ outputDir: 'data-out', overwrite: true, limit: 5 });
  assert.ok(!kept.ok);
  assert.match(kept.error.message, /^outputDir: .*data-out holds files the dataset tool does not write \(notes\.md\)/);
  assert.equal(await readFile(path.join(suite.project, 'data-out', 'notes.md'), 'utf8'), 'mine');
  // Nothing temporary was left beside the targets.
  assert.deepEqual(
    (await readdir(suite.project)).filter((e) => e.includes('.caelum-')),
    [],
  );
});

test('an outputDir with ".." is resolved before it is split: "a/b/.." writes to a', async (t) => {
  const { suite, invoke } = await collectionSuite(t);
  await mkdir(path.join(suite.project, 'a', 'b'), { recursive: true });
  const outcome = await invoke({ outputDir: 'a/b/..', overwrite: false });
  // "a" exists (it holds b), so it is not silently written elsewhere: refused, and nothing in a/b/a.
  assert.ok(!outcome.ok);
  assert.match(outcome.error.message, /^outputDir: .*a already exists/);
  assert.deepEqual(await readdir(path.join(suite.project, 'a', 'b')), []);
  const written = await invoke({ outputDir: 'a/b/../c' });
  assert.ok(written.ok, written.ok ? '' : written.error.message);
  assert.equal(
    (written.output as { directory: string }).directory,
    path.join(await realProject(suite.project), 'a', 'c'),
  );
  assert.deepEqual((await readdir(path.join(suite.project, 'a'))).sort(), ['b', 'c']);
  const escape = await invoke({ outputDir: 'a/../..' });
  assert.ok(!escape.ok);
  assert.match(escape.error.message, /^outputDir: \.\.\/\.\. is outside the allowed roots/);
});

async function realProject(project: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(project);
}
