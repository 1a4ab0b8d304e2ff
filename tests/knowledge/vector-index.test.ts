// The HNSW index on real hnswlib-node: recall against brute force, filtered exact scans, updates,
// deletes, growth, persistence with checksums, and the embedder guard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { VectorIndex } from '../../knowledge/vector/vector-index.js';
import { LexicalEmbedder } from '../../knowledge/vector/lexical-embedder.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { tempDir } from '../helpers.js';

function seeded(seed: number) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
}

function dataset(n: number, dimension: number, seed = 1) {
  const random = seeded(seed);
  const centres = Array.from({ length: 20 }, () => Array.from({ length: dimension }, random));
  return Array.from({ length: n }, (_, i) => centres[i % 20]!.map((c) => c + random() * 0.3));
}

function cosine(a: number[], b: number[]) {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

const embedder = 'test/32';

test('recall@10 against brute force is at least 0.99 on clustered data, across a resize', () => {
  const vectors = dataset(3000, 32);
  const index = VectorIndex.create({ space: 'cosine', dimension: 32, embedder, capacity: 256 });
  vectors.forEach((v, i) => index.upsert(`v${i}`, v, { namespace: i % 2 ? 'odd' : 'even', type: 'point' }));
  assert.equal(index.count, 3000);
  const queries = dataset(100, 32, 7);
  let hits = 0;
  for (const q of queries) {
    const truth = vectors
      .map((v, i) => ({ i, s: cosine(q, v) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((x) => `v${x.i}`);
    const found = new Set(index.search(q, 10, { embedder, ef: 100 }).map((h) => h.id));
    hits += truth.filter((id) => found.has(id)).length;
  }
  assert.ok(hits / 1000 >= 0.99, `recall ${hits / 1000}`);
});

test('a filtered search is exact over the candidates and returns only matches', () => {
  const vectors = dataset(2000, 16, 3);
  const index = VectorIndex.create({ space: 'cosine', dimension: 16, embedder: 'test/16' });
  vectors.forEach((v, i) => index.upsert(`v${i}`, v, { namespace: i % 100 === 0 ? 'rare' : 'common', type: 'point' }));
  const q = vectors[500]!;
  const hits = index.search(q, 5, { embedder: 'test/16', filter: { namespace: 'rare' } });
  assert.equal(hits.length, 5);
  assert.ok(hits.every((h) => h.namespace === 'rare'));
  const truth = vectors
    .map((v, i) => ({ id: `v${i}`, s: cosine(q, v), rare: i % 100 === 0 }))
    .filter((x) => x.rare)
    .sort((a, b) => b.s - a.s)
    .slice(0, 5);
  assert.deepEqual(
    hits.map((h) => h.id),
    truth.map((t) => t.id),
  );
  assert.ok(Math.abs(hits[0]!.score - truth[0]!.s) < 1e-5);
});

test('updates replace in place; deletes disappear and free their slot for reuse', () => {
  const index = VectorIndex.create({ space: 'l2', dimension: 2, embedder: 'test/2', capacity: 4 });
  index.upsert('a', [0, 0], { namespace: 'n', type: 't' });
  index.upsert('b', [10, 10], { namespace: 'n', type: 't' });
  assert.equal(index.search([9, 9], 1, { embedder: 'test/2' })[0]!.id, 'b');
  index.upsert('a', [9.5, 9.5], { namespace: 'n', type: 't' });
  assert.equal(index.search([9.4, 9.4], 1, { embedder: 'test/2' })[0]!.id, 'a', 'the update moved a');
  assert.equal(index.count, 2);
  assert.equal(index.remove('a'), true);
  assert.deepEqual(
    index.search([9.4, 9.4], 2, { embedder: 'test/2' }).map((h) => h.id),
    ['b'],
  );
  index.upsert('c', [1, 1], { namespace: 'n', type: 't' });
  assert.equal(index.search([1, 1], 1, { embedder: 'test/2' })[0]!.id, 'c');
  for (let i = 0; i < 10; i++) index.upsert(`x${i}`, [100 + i, 0], { namespace: 'n', type: 't' });
  assert.equal(index.count, 12, 'grew past its capacity');
});

test('an index refuses a query from another embedder, or of the wrong dimension', () => {
  const index = VectorIndex.create({ space: 'cosine', dimension: 4, embedder: 'lexical-hash-v2/4' });
  index.upsert('a', [1, 0, 0, 0], { namespace: 'n', type: 't' });
  assert.throws(
    () => index.search([1, 0, 0, 0], 1, { embedder: 'onnx:minilm/4' }),
    (e: KnowledgeError) =>
      e.code === 'EMBEDDER_MISMATCH' && /built with the embedder "lexical-hash-v2\/4"/.test(e.message),
  );
  assert.throws(
    () => index.search([1, 0, 0], 1, { embedder: 'lexical-hash-v2/4' }),
    (e: KnowledgeError) => e.code === 'DIMENSION_MISMATCH',
  );
});

test('save and load round-trip with ids, metadata, deletes and results intact; tampering is caught', async (t) => {
  const dir = await tempDir(t);
  const vectors = dataset(500, 8, 5);
  const index = VectorIndex.create({ space: 'cosine', dimension: 8, embedder: 'test/8' });
  vectors.forEach((v, i) => index.upsert(`v${i}`, v, { namespace: `ns${i % 3}`, type: 'p' }));
  index.remove('v3');
  await index.save(dir, 'demo');
  const manifest = JSON.parse(await readFile(path.join(dir, 'demo.manifest.json'), 'utf8'));
  assert.deepEqual(
    [manifest.embedder, manifest.dimension, manifest.space, manifest.count],
    ['test/8', 8, 'cosine', 499],
  );
  const loaded = await VectorIndex.load(dir, 'demo');
  assert.equal(loaded.count, 499);
  assert.equal(loaded.has('v3'), false);
  const q = vectors[10]!;
  assert.deepEqual(loaded.search(q, 5, { embedder: 'test/8' }), index.search(q, 5, { embedder: 'test/8' }));
  assert.deepEqual(
    loaded.search(q, 3, { embedder: 'test/8', filter: { namespace: 'ns1' } }),
    index.search(q, 3, { embedder: 'test/8', filter: { namespace: 'ns1' } }),
  );
  loaded.upsert('new', q, { namespace: 'ns0', type: 'p' });
  assert.equal(loaded.search(q, 1, { embedder: 'test/8' })[0]!.score > 0.999, true);
  const bytes = await readFile(path.join(dir, 'demo.hnsw'));
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  await writeFile(path.join(dir, 'demo.hnsw'), bytes);
  await assert.rejects(
    VectorIndex.load(dir, 'demo', { verify: true }),
    (e: KnowledgeError) => e.code === 'INDEX_CORRUPT',
    'a flipped byte fails the checksum',
  );
  await writeFile(path.join(dir, 'demo.hnsw'), bytes.subarray(0, bytes.length - 8));
  await assert.rejects(
    VectorIndex.load(dir, 'demo'),
    (e: KnowledgeError) => e.code === 'INDEX_CORRUPT' && /sizes/.test(e.message),
    'a truncated file fails the size check on every load',
  );
  await assert.rejects(VectorIndex.load(dir, 'missing'), (e: KnowledgeError) => e.code === 'NOT_FOUND');
});

test('the lexical embedder puts texts that share words closer than unrelated ones, deterministically', async () => {
  const embedder = new LexicalEmbedder(384);
  const [a, b, c] = await embedder.embed([
    'central bank raises interest rates',
    'the central bank cut interest rates',
    'a recipe for lemon cake',
  ]);
  assert.ok(cosine(a!, b!) > cosine(a!, c!) + 0.3, `${cosine(a!, b!)} vs ${cosine(a!, c!)}`);
  assert.deepEqual((await embedder.embed(['central bank raises interest rates']))[0], a);
  assert.ok(Math.abs(Math.hypot(...a!) - 1) < 1e-9);
  assert.equal(embedder.name, 'lexical-hash-v2/384');
});
