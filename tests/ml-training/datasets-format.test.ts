// The pieces of the dataset writer that need no database: .npy headers, the split rule, and how
// vector text is read (NaN and overflow are non-finite, words are unparseable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { npyHeader, isInt64Text, codePoints } from '../../tools/ml-training/datasets/npy-format.js';
import { splitRows } from '../../tools/ml-training/datasets/dataset-writer.js';
import { parseVectorValue } from '../../tools/ml-training/datasets/vector-text.js';

test('.npy headers are version 1.0, padded with spaces to a multiple of 64, and end in a newline', () => {
  for (const [dtype, shape, tuple] of [
    ['<f4', [2, 768], '(2, 768)'],
    ['<i8', [3], '(3,)'],
    ['<U12', [0], '(0,)'],
    ['<f4', [5, 4, 768], '(5, 4, 768)'],
  ] as const) {
    const header = npyHeader(dtype, shape);
    assert.equal(header.length % 64, 0);
    assert.deepEqual([...header.subarray(0, 8)], [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    assert.equal(header.readUInt16LE(8), header.length - 10);
    assert.equal(header[header.length - 1], 0x0a);
    assert.equal(
      header.toString('latin1', 10).trimEnd(),
      `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${tuple}, }`,
    );
  }
});

test('splits are in order: floor(0.8 n), floor(0.1 n), the rest', () => {
  assert.deepEqual(splitRows(1), { train: 0, validation: 0, test: 1 });
  assert.deepEqual(splitRows(9), { train: 7, validation: 0, test: 2 });
  assert.deepEqual(splitRows(10), { train: 8, validation: 1, test: 1 });
  assert.deepEqual(splitRows(100_000), { train: 80_000, validation: 10_000, test: 10_000 });
});

test('vector text: real[] and pgvector literals parse; NULL, words, NaN, Infinity and float32 overflow do not', () => {
  assert.deepEqual([...(parseVectorValue('{0.5,-1,2}') as Float32Array)], [0.5, -1, 2]);
  assert.deepEqual([...(parseVectorValue('[0.5, -1, 2]') as Float32Array)], [0.5, -1, 2]);
  assert.equal(parseVectorValue(null), 'null');
  assert.equal(parseVectorValue('abc'), 'unparseable');
  assert.equal(parseVectorValue('{1,NULL,2}'), 'unparseable');
  assert.equal(parseVectorValue('{{1,2},{3,4}}'), 'unparseable');
  assert.equal(parseVectorValue('{1,NaN,2}'), 'nonFinite');
  assert.equal(parseVectorValue('[1, -Infinity]'), 'nonFinite');
  assert.equal(parseVectorValue('{1e39}'), 'nonFinite');
  assert.equal(parseVectorValue([1, Number.NaN]), 'nonFinite');
});

test('ids are int64 only in canonical decimal within range; widths count code points', () => {
  assert.ok(isInt64Text('0') && isInt64Text('-42') && isInt64Text('9223372036854775807'));
  assert.ok(!isInt64Text('9223372036854775808') && !isInt64Text('007') && !isInt64Text('1.0') && !isInt64Text(''));
  assert.equal(codePoints('tëxt 😀'), 6);
});
