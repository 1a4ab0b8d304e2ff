// The checkpoint header readers on real files: a hand-written safetensors file (and a 1 GiB sparse
// one whose header is read without its weights), an ONNX model built with onnx-proto, .npy and .npz
// files written by numpy itself, and the refusals: outside the roots, not a checkpoint, truncated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { Confinement } from '../../tools/confined-fs.js';
import { InputError } from '../../tools/errors.js';
import { inspectCheckpointFile, readCheckpointHeader } from '../../tools/ml-training/checkpoints/read-checkpoint.js';
import { readOnnxHeader } from '../../tools/ml-training/checkpoints/onnx-header.js';
import { tempDir } from '../helpers.js';
import { profileTensors, safetensorsBytes } from './checkpoint-fixture.js';

const { onnx } = onnxProto;

function numpyMissing(): string | false {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'python3 with numpy is not installed: the .npy/.npz files cannot be written by numpy itself';
  }
}

test('a safetensors header gives names, dtypes, shapes, bytes and metadata', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'profile.safetensors');
  await writeFile(file, safetensorsBytes(profileTensors, { format: 'pt', profiles: '8' }));
  const header = await readCheckpointHeader(file, await Confinement.of([dir]));
  assert.equal(header.format, 'safetensors');
  assert.deepEqual(header.tensors, [
    { name: 'profile.weight', dtype: 'F32', shape: [8, 5], bytes: 160 },
    { name: 'profile.bias', dtype: 'F32', shape: [8], bytes: 32 },
  ]);
  assert.deepEqual(header.metadata, { format: 'pt', profiles: '8' });
  assert.equal(header.fileBytes, (await readFile(file)).length);
});

test('a safetensors file written by python per the format spec (the safetensors package is not installed)', async (t) => {
  const missing = numpyMissing();
  if (missing) return t.skip(missing);
  const dir = await tempDir(t);
  const file = path.join(dir, 'py.safetensors');
  execFileSync('python3', [
    '-c',
    [
      'import json, struct, sys, numpy as np',
      "arrays = {'profile.weight': np.ones((8, 5), '<f4'), 'step': np.array([3], '<i8'), 'half': np.zeros((2, 3), '<f2')}",
      "names = {'<f4': 'F32', '<i8': 'I64', '<f2': 'F16'}",
      "header, data = {'__metadata__': {'epoch': '12'}}, b''",
      'for k, a in arrays.items():',
      "    header[k] = {'dtype': names[a.dtype.str], 'shape': list(a.shape), 'data_offsets': [len(data), len(data) + a.nbytes]}",
      '    data += a.tobytes()',
      "h = json.dumps(header).encode(); h += b' ' * (-len(h) % 8)",
      "open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + data)",
    ].join('\n'),
    file,
  ]);
  const header = await readCheckpointHeader(file, await Confinement.of([dir]));
  assert.deepEqual(header.tensors, [
    { name: 'profile.weight', dtype: 'F32', shape: [8, 5], bytes: 160 },
    { name: 'step', dtype: 'I64', shape: [1], bytes: 8 },
    { name: 'half', dtype: 'F16', shape: [2, 3], bytes: 12 },
  ]);
  assert.deepEqual(header.metadata, { epoch: '12' });
});

test('a 1 GiB sparse safetensors file has its header read in well under a second', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'large.safetensors');
  const gib = 1024 ** 3;
  // The header declares one tensor spanning all the data bytes of a 1 GiB file, written sparse.
  const dataBytes = gib - 8;
  const prefixLength = 8;
  const body = (n: number) =>
    Buffer.from(
      JSON.stringify({ 'embed.weight': { dtype: 'U8', shape: [dataBytes - n], data_offsets: [0, dataBytes - n] } }),
    );
  let header = body(0);
  header = body(header.length);
  const prefix = Buffer.alloc(prefixLength);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const handle = await open(file, 'w');
  await handle.write(Buffer.concat([prefix, header]), 0, prefixLength + header.length, 0);
  await handle.truncate(gib);
  await handle.close();
  const read = await readCheckpointHeader(file, await Confinement.of([dir]));
  assert.equal(read.fileBytes, gib);
  assert.deepEqual(read.tensors[0]!.shape, [gib - 8 - header.length]);
  assert.ok(read.headerReadMs < 500, `header read took ${read.headerReadMs} ms`);
  t.diagnostic(`1 GiB safetensors header read in ${read.headerReadMs.toFixed(2)} ms`);
});

test('an ONNX model gives initializers, metadata_props and graph inputs/outputs; external data is not opened', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'model.onnx');
  const valueInfo = (name: string, shape: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: [{ key: 'profiles', value: '8' }],
    graph: onnx.GraphProto.create({
      name: 'profile',
      node: [onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'profile.weight'], output: ['y'] })],
      initializer: [
        onnx.TensorProto.create({
          name: 'profile.weight',
          dims: [5, 8],
          dataType: onnx.TensorProto.DataType.FLOAT,
          rawData: new Uint8Array(160),
        }),
        onnx.TensorProto.create({
          name: 'table',
          dims: [1000, 64],
          dataType: onnx.TensorProto.DataType.FLOAT16,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: 'missing-weights.bin' },
            { key: 'length', value: '128000' },
          ],
        }),
      ],
      input: [valueInfo('x', ['batch', 5])],
      output: [valueInfo('y', ['batch', 8])],
    }),
  });
  await writeFile(file, onnx.ModelProto.encode(model).finish());
  const header = await readCheckpointHeader(file, await Confinement.of([dir]));
  assert.equal(header.format, 'onnx');
  assert.deepEqual(header.tensors, [
    { name: 'profile.weight', dtype: 'F32', shape: [5, 8], bytes: 160 },
    { name: 'table', dtype: 'F16', shape: [1000, 64], bytes: 128000 },
  ]);
  assert.deepEqual(header.metadata, { profiles: '8' });
  assert.deepEqual(header.graph, {
    inputs: [{ name: 'x', dtype: 'F32', shape: ['batch', 5] }],
    outputs: [{ name: 'y', dtype: 'F32', shape: ['batch', 8] }],
  });
});

test('an ONNX model with 8 MiB of inline weights is described from a few KiB of reads', async () => {
  const weights = 2 * 1024 * 1024;
  const bytes = Buffer.from(
    onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        metadataProps: [{ key: 'note', value: 'inline' }],
        graph: onnx.GraphProto.create({
          name: 'big',
          initializer: [
            onnx.TensorProto.create({ name: 'a', dims: [weights], dataType: 1, rawData: new Uint8Array(weights * 4) }),
            onnx.TensorProto.create({ name: 'b', dims: [3], dataType: 1, floatData: [1, 2, 3] }),
          ],
        }),
      }),
    ).finish(),
  );
  let read = 0;
  const header = await readOnnxHeader({
    size: bytes.length,
    read: async (offset, length) => {
      const slice = bytes.subarray(offset, Math.min(bytes.length, offset + length));
      read += slice.length;
      return slice;
    },
  });
  assert.deepEqual(header.tensors, [
    { name: 'a', dtype: 'F32', shape: [weights], bytes: weights * 4 },
    { name: 'b', dtype: 'F32', shape: [3], bytes: 12 },
  ]);
  assert.deepEqual(header.metadata, { note: 'inline' });
  assert.ok(read < 256 * 1024, `read ${read} of ${bytes.length} bytes`);
  await assert.rejects(
    readOnnxHeader({ size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) }, AbortSignal.abort()),
    { name: 'AbortError' },
  );
});

test('.npy and .npz (stored and deflated) headers written by numpy', async (t) => {
  const missing = numpyMissing();
  if (missing) return t.skip(missing);
  const dir = await tempDir(t);
  execFileSync('python3', [
    '-c',
    [
      'import numpy as np, sys',
      'd = sys.argv[1]',
      "np.save(d + '/w.npy', np.zeros((8, 5), dtype='<f4'))",
      "np.save(d + '/f.npy', np.asfortranarray(np.zeros((3, 4), dtype='<i8')))",
      "np.savez(d + '/s.npz', **{'profile.weight': np.zeros((8, 5), dtype='<f4'), 'steps': np.arange(3, dtype='<i8')})",
      "np.savez_compressed(d + '/c.npz', weight=np.random.rand(300, 7).astype('<f2'), flag=np.array(True))",
    ].join('\n'),
    dir,
  ]);
  const confinement = await Confinement.of([dir]);
  const npy = await readCheckpointHeader(path.join(dir, 'w.npy'), confinement);
  assert.equal(npy.format, 'npy');
  assert.deepEqual(npy.tensors, [{ name: 'w', dtype: 'F32', shape: [8, 5], bytes: 160 }]);
  assert.equal(npy.metadata.fortran_order, 'false');
  const fortran = await readCheckpointHeader(path.join(dir, 'f.npy'), confinement);
  assert.deepEqual(fortran.tensors[0]!.shape, [3, 4]);
  assert.equal(fortran.metadata.fortran_order, 'true');
  const stored = await readCheckpointHeader(path.join(dir, 's.npz'), confinement);
  assert.equal(stored.format, 'npz');
  assert.deepEqual(stored.tensors, [
    { name: 'profile.weight', dtype: 'F32', shape: [8, 5], bytes: 160 },
    { name: 'steps', dtype: 'I64', shape: [3], bytes: 24 },
  ]);
  const deflated = await readCheckpointHeader(path.join(dir, 'c.npz'), confinement);
  assert.deepEqual(deflated.tensors, [
    { name: 'weight', dtype: 'F16', shape: [300, 7], bytes: 4200 },
    { name: 'flag', dtype: 'BOOL', shape: [], bytes: 1 },
  ]);
});

test('refusals are InputErrors naming the field: outside the roots, not a checkpoint, truncated, missing', async (t) => {
  const base = await tempDir(t);
  const root = path.join(base, 'root');
  await mkdir(root);
  const outside = path.join(base, 'outside.safetensors');
  await writeFile(outside, safetensorsBytes(profileTensors));
  const whole = safetensorsBytes(profileTensors);
  await writeFile(path.join(root, 'cut.safetensors'), whole.subarray(0, 40));
  await writeFile(path.join(root, 'short-data.safetensors'), whole.subarray(0, whole.length - 10));
  await writeFile(path.join(root, 'notes.txt'), 'not a checkpoint at all\n');
  const header = (json: object, dataBytes: number) => {
    const body = Buffer.from(JSON.stringify(json));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(body.length));
    return Buffer.concat([prefix, body, Buffer.alloc(dataBytes)]);
  };
  await writeFile(
    path.join(root, 'overlap.safetensors'),
    header(
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      12,
    ),
  );
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(BigInt(2 ** 40));
  await writeFile(path.join(root, 'huge.safetensors'), huge);
  await writeFile(
    path.join(root, 'bad.npy'),
    Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([200, 0])]),
  );
  await writeFile(path.join(root, 'bad.onnx'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]));
  const expect = async (requested: string, pattern: RegExp) => {
    await assert.rejects(inspectCheckpointFile(requested, [root], 'path'), (error: unknown) => {
      assert.ok(error instanceof InputError, String(error));
      assert.equal(error.field, 'path');
      assert.match(error.message, pattern);
      return true;
    });
  };
  await expect(outside, /outside the allowed roots/);
  await expect('../outside.safetensors', /outside the allowed roots/);
  await expect('notes.txt', /not a checkpoint.*\.safetensors, \.onnx, \.npy or \.npz/);
  await expect('cut.safetensors', /header.*truncated/);
  await expect('short-data.safetensors', /data_offsets.*outside.*truncated/);
  await expect('overlap.safetensors', /"a" and "b" whose data overlap/);
  await expect('huge.safetensors', /over the 100000000 byte budget/);
  await expect('bad.npy', /truncated \.npy header/);
  await expect('bad.onnx', /not an ONNX model/);
  await expect('nothing.npz', /does not exist/);
  await expect('.', /directory/);
});
