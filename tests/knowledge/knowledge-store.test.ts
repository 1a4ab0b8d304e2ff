// The knowledge store on real Kuzu and hnswlib: memory round trips, documents reconciled after a
// kill -9, the embedder guard and re-embedding, and worker builds that leave the event loop free.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { KnowledgeBase } from '../../knowledge/knowledge-store.js';
import { forget, recall, remember } from '../../knowledge/memory.js';
import { LexicalEmbedder } from '../../knowledge/vector/lexical-embedder.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { VectorIndex } from '../../knowledge/vector/vector-index.js';
import { repoRoot, tempDir } from '../helpers.js';

test('memory: remember, recall by question and by name, no duplicates, forget', async (t) => {
  const kb = new KnowledgeBase({ dataDir: await tempDir(t) });
  t.after(() => kb.close());
  const input = {
    entities: [
      { name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool', 'prefers small models'] },
      { name: 'Grace', entityType: 'person', observations: ['writes the Cypher guard'] },
    ],
    relations: [
      { from: 'Ada', to: 'Caelum', relationType: 'works_on' },
      { from: 'Grace', to: 'Ada', relationType: 'reviews' },
    ],
  };
  const first = await remember(kb, input);
  assert.deepEqual(first, { entities: 3, observations: 3, relations: 2, indexed: 7 });
  await remember(kb, input); // the same facts again change nothing
  const graph = await kb.graph();
  assert.equal(await graph.count('Observation'), 3);
  assert.equal(await graph.count('RELATION'), 2);
  const byQuestion = await recall(kb, { query: 'who maintains the GPU pool', k: 2 });
  assert.equal(byQuestion.entities[0]!.name, 'Ada');
  assert.deepEqual(byQuestion.entities[0]!.observations.sort(), ['maintains the GPU pool', 'prefers small models']);
  assert.deepEqual(byQuestion.entities[0]!.relations, [
    { direction: 'out', relationType: 'works_on', other: 'Caelum' },
    { direction: 'in', relationType: 'reviews', other: 'Grace' },
  ]);
  const byName = await recall(kb, { names: ['Grace', 'Nobody'] });
  assert.deepEqual(
    byName.entities.map((e) => e.name),
    ['Grace'],
  );
  assert.equal((await recall(kb, { names: ['Caelum'] })).entities[0]!.entityType, 'unspecified');
  const removed = await forget(kb, {
    entities: ['Grace'],
    observations: [{ entity: 'Ada', contents: ['prefers small models'] }],
  });
  assert.deepEqual(removed, { entities: 1, observations: 2, relations: 1 });
  assert.deepEqual((await recall(kb, { names: ['Ada'] })).entities[0]!.observations, ['maintains the GPU pool']);
  const search = await kb.search({ query: 'Cypher guard', k: 5, filter: { namespace: 'memory' } });
  assert.ok(!search.hits.some((h) => h.text?.includes('Cypher guard')), 'forgotten facts are gone from search too');
});

test('documents acknowledged before a kill -9 are all searchable after restart (vectors reconciled from the graph)', async (t) => {
  const dataDir = await tempDir(t);
  const script = `
import { KnowledgeBase } from ${JSON.stringify(path.join(repoRoot, 'knowledge/knowledge-store.ts'))};
const kb = new KnowledgeBase({ dataDir: ${JSON.stringify(dataDir)}, saveDelayMs: 60000 });
await kb.indexDocuments(Array.from({ length: 40 }, (_, i) => ({ id: 'first-' + i, namespace: 'docs', type: 'note', text: 'first batch note number ' + i })));
await kb.flush();
await kb.indexDocuments(Array.from({ length: 25 }, (_, i) => ({ id: 'late-' + i, namespace: 'docs', type: 'note', text: 'late unsaved note about zebras ' + i })));
console.log('acknowledged');
process.kill(process.pid, 'SIGKILL');`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  assert.match(child.stdout, /acknowledged/);
  const saved = await VectorIndex.load(path.join(dataDir, 'knowledge', 'vectors'), 'knowledge');
  assert.equal(saved.count, 40, 'only the first batch reached the index files');
  const warnings: string[] = [];
  const kb = new KnowledgeBase({ dataDir, onWarning: (event) => warnings.push(event) });
  t.after(() => kb.close());
  const index = await kb.collection();
  assert.equal(index!.count, 65);
  assert.ok(warnings.includes('vector_index_reconciled'));
  const found = await kb.search({ query: 'zebras', k: 3 });
  assert.ok(found.hits.every((h) => h.id.startsWith('late-')));
  assert.deepEqual(await kb.verify('knowledge'), { ok: true, problems: [], count: 65, documents: 65 });
});

test('an index refuses queries from another embedder, and a re-embedding rebuild fixes it', async (t) => {
  const dataDir = await tempDir(t);
  const first = new KnowledgeBase({ dataDir, embedder: new LexicalEmbedder(384) });
  await first.indexDocuments([
    { id: 'a', namespace: 'docs', type: 'note', text: 'hnsw index on hnswlib' },
    { id: 'b', namespace: 'docs', type: 'note', text: 'kuzu graph store' },
  ]);
  await first.close();
  const second = new KnowledgeBase({ dataDir, embedder: new LexicalEmbedder(256) });
  t.after(() => second.close());
  await assert.rejects(
    second.search({ query: 'graph', k: 1 }),
    (error: KnowledgeError) =>
      error.code === 'EMBEDDER_MISMATCH' &&
      /built with the embedder "lexical-hash-v2\/384"/.test(error.message) &&
      /rebuild/.test(error.message),
  );
  await assert.rejects(
    second.indexDocuments([{ id: 'c', namespace: 'docs', type: 'note', text: 'x' }]),
    (error: KnowledgeError) => error.code === 'EMBEDDER_MISMATCH',
  );
  const rebuilt = await second.rebuild('knowledge', { reembed: true });
  assert.deepEqual([rebuilt.count, rebuilt.reembedded], [2, true]);
  const found = await second.search({ query: 'kuzu graph', k: 1 });
  assert.equal(found.embedder, 'lexical-hash-v2/256');
  assert.equal(found.hits[0]!.id, 'b');
});

test('a 30k-vector build runs in a worker: the event loop is never blocked for long, and the index answers', async (t) => {
  const kb = new KnowledgeBase({ dataDir: await tempDir(t) });
  t.after(() => kb.close());
  const n = 30_000;
  const d = 64;
  const vectors = new Float32Array(new SharedArrayBuffer(n * d * 4));
  let s = 1;
  for (let i = 0; i < vectors.length; i++)
    vectors[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const ids = Array.from({ length: n }, (_, i) => `v${i}`);
  let maxGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 2);
  const progress: number[] = [];
  const started = performance.now();
  const index = await kb.replaceCollection(
    'bulk',
    { space: 'cosine', dimension: d, embedder: 'test/64', efConstruction: 100 },
    { ids, namespaces: ids.map((_, i) => (i % 100 === 0 ? 'rare' : 'common')), types: ids.map(() => 'point'), vectors },
    { onProgress: (done) => progress.push(done) },
  );
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.equal(index.count, n);
  assert.ok(elapsed > 500, `the build took ${elapsed.toFixed(0)} ms`);
  assert.ok(
    maxGap < 100,
    `the event loop was blocked for ${maxGap.toFixed(1)} ms during a ${elapsed.toFixed(0)} ms build`,
  );
  assert.ok(progress.length > 10 && progress.at(-1) === n);
  const probe = Array.from(vectors.subarray(123 * d, 124 * d));
  assert.equal(index.search(probe, 1, { embedder: 'test/64' })[0]!.id, 'v123');
  assert.equal(index.search(probe, 3, { embedder: 'test/64', filter: { namespace: 'rare' } }).length, 3);
  const reloaded = await VectorIndex.load(kb.vectorDir, 'bulk');
  assert.equal(reloaded.search(probe, 1, { embedder: 'test/64' })[0]!.id, 'v123');
});
