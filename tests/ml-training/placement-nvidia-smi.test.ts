// nvidia-smi parsing and running: each fixture of real-shaped output, MIG, and the no-GPU paths
// (missing binary, driver failure, a hanging nvidia-smi) through a fake executable in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { parseMigList, parseQueryGpu } from '../../tools/ml-training/placement/nvidia-smi-parse.js';
import { readGpuInventory } from '../../tools/ml-training/placement/nvidia-smi-run.js';

const fixtures = path.join(import.meta.dirname, 'fixtures', 'nvidia-smi');
const fixture = (name: string) => readFile(path.join(fixtures, name), 'utf8');

/** A fake nvidia-smi: prints `query` for --query-gpu and `list` for -L, then exits with `status`. */
async function fakeSmi(dir: string, body: string): Promise<string> {
  const file = path.join(dir, 'nvidia-smi');
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}
const printing = (query: string, list?: string) =>
  list
    ? `if [ "$1" = "-L" ]; then cat '${path.join(fixtures, list)}'; else cat '${path.join(fixtures, query)}'; fi`
    : `if [ "$1" = "-L" ]; then exit 0; fi; cat '${path.join(fixtures, query)}'`;

test('four A100s without header or units parse to their free memory', async () => {
  const rows = parseQueryGpu(await fixture('four-gpus-noheader.csv'));
  assert.equal(rows.length, 4);
  assert.deepEqual(
    rows.map((r) => [r.index, r.freeMiB, r.usedMiB, r.utilizationPercent]),
    [
      [0, 10117, 71234, 97],
      [1, 81037, 4, 0],
      [2, 40491, 40960, 55],
      [3, 451, 81000, 100],
    ],
  );
  assert.equal(rows[1]!.uuid, 'GPU-2d8c4b63-9f10-4a8f-8b2c-4e3e7d6f9b12');
  assert.equal(rows[1]!.name, 'NVIDIA A100-SXM4-80GB');
  assert.equal(rows[1]!.totalMiB, 81920);
});

test('the csv variant with header and units parses by column name', async () => {
  const rows = parseQueryGpu(await fixture('two-gpus-header.csv'));
  assert.deepEqual(
    rows.map((r) => [r.index, r.name, r.totalMiB, r.freeMiB, r.utilizationPercent]),
    [
      [0, 'NVIDIA GeForce RTX 4090', 24564, 22897, 3],
      [1, 'NVIDIA GeForce RTX 3090', 24576, 5938, 81],
    ],
  );
});

test('[N/A] and [Not Supported] become null, not zero', async () => {
  const rows = parseQueryGpu(await fixture('not-supported.csv'));
  assert.equal(rows[0]!.freeMiB, null);
  assert.equal(rows[0]!.usedMiB, null);
  assert.equal(rows[0]!.totalMiB, 11441);
  assert.equal(rows[0]!.utilizationPercent, null);
  assert.equal(rows[1]!.freeMiB, 11129);
  assert.throws(() => parseQueryGpu('0, GPU-x, Tesla\n'), /row 1 has 3 fields, expected 7/);
});

test('MIG instances come from nvidia-smi -L with memory from the profile name', async () => {
  const mig = parseMigList(await fixture('mig-list.txt'));
  assert.deepEqual(
    mig.map((m) => [m.gpuIndex, m.device, m.profile, m.memoryMiB]),
    [
      [0, 0, '3g.40gb', 38912],
      [0, 1, '2g.20gb', 19456],
      [0, 2, '1g.10gb', 9728],
    ],
  );
  assert.equal(mig[0]!.uuid, 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f');
  // Media-engine and H100/H200 profiles, as other drivers print them.
  const other = parseMigList(
    'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\n  MIG 1g.10gb+me   Device  0: (UUID: MIG-a)\n  MIG 1g.20gb     Device  1: (UUID: MIG-b)\n',
  );
  assert.deepEqual(
    other.map((m) => [m.profile, m.memoryMiB]),
    [
      ['1g.10gb+me', 9728],
      ['1g.20gb', 19456],
    ],
  );
});

test('a MIG machine: the MIG parent is replaced by its instances, the plain GPU stays whole', async (t) => {
  const dir = await tempDir(t);
  const inventory = await readGpuInventory({ binary: await fakeSmi(dir, printing('mig-query.csv', 'mig-list.txt')) });
  assert.ok(inventory.ok);
  assert.deepEqual(
    inventory.devices.map((d) => [d.kind, d.label, d.freeMiB]),
    [
      ['mig', 'GPU 0 MIG device 0', 38912],
      ['mig', 'GPU 0 MIG device 1', 19456],
      ['mig', 'GPU 0 MIG device 2', 9728],
      ['gpu', 'GPU 1', 60557],
    ],
  );
  assert.equal(inventory.devices[0]!.name, 'NVIDIA A100-SXM4-80GB MIG 3g.40gb');
  assert.equal(inventory.devices[0]!.uuid, 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f');
});

test('a missing nvidia-smi is "not found (ENOENT)"', async (t) => {
  const dir = await tempDir(t);
  const inventory = await readGpuInventory({ binary: path.join(dir, 'no-such-nvidia-smi') });
  assert.equal(inventory.ok, false);
  assert.match(!inventory.ok ? inventory.reason : '', /not found \(ENOENT\)/);
});

test('the driver failure text becomes the reason', async (t) => {
  const dir = await tempDir(t);
  const binary = await fakeSmi(dir, `cat '${path.join(fixtures, 'driver-failure.txt')}'; exit 9`);
  const inventory = await readGpuInventory({ binary });
  assert.equal(inventory.ok, false);
  assert.match(
    !inventory.ok ? inventory.reason : '',
    /failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/,
  );
});

test('a hanging nvidia-smi is killed at the timeout', async (t) => {
  const dir = await tempDir(t);
  const binary = await fakeSmi(dir, 'exec sleep 30');
  const started = Date.now();
  const inventory = await readGpuInventory({ binary, timeoutMs: 300 });
  assert.ok(Date.now() - started < 5000, 'returned long after the timeout');
  assert.equal(inventory.ok, false);
  assert.match(!inventory.ok ? inventory.reason : '', /did not answer within 300 ms/);
});

test('a working nvidia-smi without MIG gives one device per GPU', async (t) => {
  const dir = await tempDir(t);
  const inventory = await readGpuInventory({ binary: await fakeSmi(dir, printing('four-gpus-noheader.csv')) });
  assert.ok(inventory.ok);
  assert.deepEqual(
    inventory.devices.map((d) => [d.kind, d.label, d.freeMiB]),
    [
      ['gpu', 'GPU 0', 10117],
      ['gpu', 'GPU 1', 81037],
      ['gpu', 'GPU 2', 40491],
      ['gpu', 'GPU 3', 451],
    ],
  );
});
