// The ONNX embedder on real onnxruntime-node, with a small sentence-embedding model this test
// builds (token embedding table → MatMul → Tanh, as [batch, tokens, dim] states) and a WordPiece
// vocabulary: vectors match a plain-JS reference, padding does not change them, and the WordPiece
// tokenizer splits words the documented way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { OnnxEmbedder } from '../../knowledge/vector/onnx-embedder.js';
import { WordPieceTokenizer } from '../../knowledge/vector/wordpiece.js';
import { VectorIndex } from '../../knowledge/vector/vector-index.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { tempDir } from '../helpers.js';

const { onnx } = onnxProto;
const vocab = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'the',
  'gpu',
  'pool',
  'graph',
  'kuzu',
  'un',
  '##aff',
  '##able',
  'rate',
  'central',
  'bank',
  'hike',
  '##s',
  ',',
  '.',
  'inflation',
];
const dim = 16;

function weights(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

const embedding = weights(vocab.length * dim, 11);
const projection = weights(dim * dim, 29);

function tensor(name: string, dims: number[], data: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(0)),
  });
}

function valueInfo(name: string, elemType: number, shape: (string | number)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

function buildModel(): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: 'tiny-sentence-encoder',
    node: [
      onnx.NodeProto.create({
        opType: 'Gather',
        input: ['embeddings', 'input_ids'],
        output: ['tokens'],
        name: 'gather',
      }),
      onnx.NodeProto.create({
        opType: 'MatMul',
        input: ['tokens', 'projection'],
        output: ['projected'],
        name: 'matmul',
      }),
      onnx.NodeProto.create({ opType: 'Tanh', input: ['projected'], output: ['last_hidden_state'], name: 'tanh' }),
    ],
    initializer: [tensor('embeddings', [vocab.length, dim], embedding), tensor('projection', [dim, dim], projection)],
    input: [
      valueInfo('input_ids', onnx.TensorProto.DataType.INT64, ['batch', 'tokens']),
      valueInfo('attention_mask', onnx.TensorProto.DataType.INT64, ['batch', 'tokens']),
    ],
    output: [valueInfo('last_hidden_state', onnx.TensorProto.DataType.FLOAT, ['batch', 'tokens', dim])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'caelum-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Mean of tanh(E[id]·W) over the tokens, L2-normalised: what the embedder must compute. */
function reference(ids: number[]): number[] {
  const sum = new Array<number>(dim).fill(0);
  for (const id of ids) {
    for (let j = 0; j < dim; j++) {
      let v = 0;
      for (let k = 0; k < dim; k++) v += embedding[id * dim + k]! * projection[k * dim + j]!;
      sum[j]! += Math.tanh(v);
    }
  }
  const mean = sum.map((v) => v / ids.length);
  const norm = Math.hypot(...mean);
  return mean.map((v) => v / norm);
}

async function files(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const modelPath = path.join(dir, 'tiny-encoder.onnx');
  const tokenizerPath = path.join(dir, 'vocab.txt');
  await writeFile(modelPath, buildModel());
  await writeFile(tokenizerPath, `${vocab.join('\n')}\n`);
  return { dir, modelPath, tokenizerPath };
}

test('WordPiece: lowercasing, accents, punctuation and ## continuations, with [CLS]/[SEP] and truncation', () => {
  const tokenizer = new WordPieceTokenizer(new Map(vocab.map((v, i) => [v, i])));
  const ids = (text: string, max = 64) => tokenizer.encode(text, max).ids.map((id) => vocab[id]);
  assert.deepEqual(ids('The GPU pool, unaffable.'), [
    '[CLS]',
    'the',
    'gpu',
    'pool',
    ',',
    'un',
    '##aff',
    '##able',
    '.',
    '[SEP]',
  ]);
  assert.deepEqual(ids('Central bank HIKES'), ['[CLS]', 'central', 'bank', 'hike', '##s', '[SEP]']);
  assert.deepEqual(ids('Kùzu zebra'), ['[CLS]', 'kuzu', '[UNK]', '[SEP]']);
  assert.deepEqual(tokenizer.encode('the gpu pool graph kuzu', 4), { ids: [2, 4, 5, 3], truncated: 3 });
});

test('ONNX embedder: vectors match the reference, padding in a batch changes nothing, and the name pins the model', async (t) => {
  const { modelPath, tokenizerPath } = await files(t);
  const embedder = await OnnxEmbedder.load({ modelPath, tokenizerPath });
  t.after(() => embedder.close());
  assert.equal(embedder.dimension, dim);
  assert.equal(embedder.semantic, true);
  assert.match(embedder.name, /^onnx\/tiny-encoder@[0-9a-f]{12}\/16$/);
  const usage: number[] = [];
  const [short, long] = await embedder.embed(['gpu pool', 'the central bank hikes rates, inflation'], {
    onUsage: (u) => usage.push(u.inputTokens),
  });
  const alone = (await embedder.embed(['gpu pool']))[0]!;
  const expected = reference([2, 5, 6, 3]);
  for (let i = 0; i < dim; i++) {
    assert.ok(Math.abs(short![i]! - expected[i]!) < 1e-5, `component ${i}: ${short![i]} vs ${expected[i]}`);
    assert.ok(Math.abs(alone[i]! - short![i]!) < 1e-6, 'padding to the longer text changed the vector');
  }
  assert.ok(Math.abs(Math.hypot(...long!) - 1) < 1e-6);
  assert.deepEqual(usage, [4 + 11]);
});

test('ONNX embedder: an index built with it refuses another embedder; bad files get clear errors', async (t) => {
  const { dir, modelPath, tokenizerPath } = await files(t);
  const embedder = await OnnxEmbedder.load({ modelPath, tokenizerPath });
  t.after(() => embedder.close());
  const index = VectorIndex.create({ space: 'cosine', dimension: dim, embedder: embedder.name });
  const texts = ['gpu pool', 'kuzu graph', 'central bank rate hikes'];
  (await embedder.embed(texts)).forEach((v, i) => index.upsert(`t${i}`, v, { namespace: 'n', type: 't' }));
  const [query] = await embedder.embed(['the kuzu graph']);
  assert.equal(index.search(query!, 1, { embedder: embedder.name })[0]!.id, 't1');
  assert.throws(
    () => index.search(query!, 1, { embedder: 'lexical-hash-v2/16' }),
    (e: KnowledgeError) => e.code === 'EMBEDDER_MISMATCH',
  );
  await assert.rejects(
    OnnxEmbedder.load({ modelPath: path.join(dir, 'missing.onnx'), tokenizerPath }),
    (e: KnowledgeError) => e.code === 'NOT_FOUND',
  );
  await writeFile(path.join(dir, 'junk.onnx'), 'not a model');
  await assert.rejects(
    OnnxEmbedder.load({ modelPath: path.join(dir, 'junk.onnx'), tokenizerPath }),
    (e: KnowledgeError) => e.code === 'BAD_INPUT' && /onnxruntime could not load/.test(e.message),
  );
  await writeFile(path.join(dir, 'bad-vocab.txt'), 'hello\nworld\n');
  await assert.rejects(
    OnnxEmbedder.load({ modelPath, tokenizerPath: path.join(dir, 'bad-vocab.txt') }),
    (e: KnowledgeError) => e.code === 'BAD_INPUT' && /\[CLS\]/.test(e.message),
  );
});
