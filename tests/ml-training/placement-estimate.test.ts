// The memory estimate checked by hand, and placement: the most-free device, the refusal with its
// arithmetic, MIG instances as candidates, and the no-GPU answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { estimateTrainingMemory, type TrainingShape } from '../../tools/ml-training/placement/memory-estimate.js';
import { parseMigList, parseQueryGpu } from '../../tools/ml-training/placement/nvidia-smi-parse.js';
import { devicesFrom, type GpuInventory } from '../../tools/ml-training/placement/nvidia-smi-run.js';
import { placeTraining } from '../../tools/ml-training/placement/placement.js';

const fixtures = path.join(import.meta.dirname, 'fixtures', 'nvidia-smi');
async function inventoryOf(query: string, list?: string): Promise<GpuInventory> {
  const gpus = parseQueryGpu(await readFile(path.join(fixtures, query), 'utf8'));
  const mig = list ? parseMigList(await readFile(path.join(fixtures, list), 'utf8')) : [];
  return { ok: true, gpus, mig, devices: devicesFrom(gpus, mig) };
}

// A GPT-3 XL-sized model (1.3B: 24 layers, hidden 2048, 16 heads) at sequence 2048, micro-batch 1.
const xl: TrainingShape = {
  parameters: 1.3e9,
  dtype: 'bf16',
  optimizer: 'adamw',
  mixedPrecision: true,
  batchSize: 1,
  sequenceLength: 2048,
  hiddenSize: 2048,
  layers: 24,
  attentionHeads: 16,
};

test('1.3B, adamw, bf16 mixed precision: 16 bytes per parameter plus activations, by hand', () => {
  const e = estimateTrainingMemory(xl);
  assert.equal(e.weightsBytes, 2.6e9); // 2 B bf16
  assert.equal(e.gradientsBytes, 2.6e9); // 2 B bf16
  assert.equal(e.optimizerBytes, 15.6e9); // 4 B master + 4 B m + 4 B v
  // per layer 2048 × 1 × 2048 × (34 + 5 × 16 × 2048 / 2048 = 114) = 478,150,656 B; × 24 layers
  assert.equal(e.activationsBytes, 11_475_615_744);
  assert.equal(e.overheadBytes, 512 * 1024 * 1024);
  assert.equal(e.totalBytes, 2.6e9 + 2.6e9 + 15.6e9 + 11_475_615_744 + 536_870_912);
  assert.ok(e.formulas.some((f) => f.includes('parameters × 12 B')));
});

test('variants: fp32 adam is 16 B/param in states, plain sgd is weights and gradients only, no heads drops s²', () => {
  const fp32 = estimateTrainingMemory({ ...xl, dtype: 'fp32', mixedPrecision: true });
  assert.equal(fp32.weightsBytes + fp32.gradientsBytes + fp32.optimizerBytes, 1.3e9 * 16);
  assert.equal(fp32.activationsBytes, 2 * 11_475_615_744);
  const sgd = estimateTrainingMemory({ ...xl, optimizer: 'sgd', mixedPrecision: false });
  assert.equal(sgd.optimizerBytes, 0);
  const momentum = estimateTrainingMemory({ ...xl, optimizer: 'sgd_momentum', mixedPrecision: false });
  assert.equal(momentum.optimizerBytes, 1.3e9 * 2);
  const flash = estimateTrainingMemory({ ...xl, attentionHeads: undefined });
  assert.equal(flash.activationsBytes, 24 * 2048 * 2048 * 34);
});

test('the fit goes to the device with the most free memory', async () => {
  const placement = placeTraining(await inventoryOf('four-gpus-noheader.csv'), estimateTrainingMemory(xl));
  assert.equal(placement.decision, 'gpu');
  assert.equal(placement.decision === 'gpu' ? placement.device.label : '', 'GPU 1');
  assert.match(placement.message, /place on GPU 1 \(NVIDIA A100-SXM4-80GB\): need 33\.61 GiB/);
  assert.match(placement.message, /79\.14 GiB free, the most of 4 device\(s\)/);
});

test('no fit: the refusal spells out the arithmetic and the largest free device', async () => {
  const placement = placeTraining(await inventoryOf('two-gpus-header.csv'), estimateTrainingMemory(xl));
  assert.equal(placement.decision, 'refused');
  assert.equal(
    placement.message,
    'does not fit: need 33.61 GiB = (weights 2.42 + gradients 2.42 + optimiser 14.53 + activations 10.69 + overhead 0.50 = 30.56 GiB) × 1.10 safety margin; the largest free is 22.36 GiB on GPU 0 (NVIDIA GeForce RTX 4090)',
  );
});

test('the safety margin decides a near fit', async () => {
  const inventory = await inventoryOf('two-gpus-header.csv');
  // 1.05B params, adamw mixed: 16.8e9 B of states + 3.42e9 B of activations + 0.5 GiB ≈ 19,820 MiB.
  const small = estimateTrainingMemory({ ...xl, parameters: 1.05e9, attentionHeads: undefined, batchSize: 1 });
  const total = small.totalBytes / 1024 ** 2;
  assert.ok(total < 22897 && total * 1.3 > 22897, `fixture arithmetic: ${total} MiB`);
  assert.equal(placeTraining(inventory, small, { safetyMargin: 0 }).decision, 'gpu');
  assert.equal(placeTraining(inventory, small, { safetyMargin: 0.3 }).decision, 'refused');
});

test('on a MIG machine an instance is chosen when it has the most free memory', async () => {
  const inventory = await inventoryOf('mig-query.csv', 'mig-list.txt');
  assert.ok(inventory.ok);
  // Make the whole GPU 1 busy: the 3g.40gb instance is then the most free.
  const busy = inventory.devices.map((d) => (d.label === 'GPU 1' ? { ...d, freeMiB: 1024 } : d));
  const placement = placeTraining({ ...inventory, devices: busy }, estimateTrainingMemory({ ...xl, parameters: 1e9 }));
  assert.equal(placement.decision, 'gpu');
  assert.equal(placement.decision === 'gpu' ? placement.device.uuid : '', 'MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f');
  assert.match(placement.message, /GPU 0 MIG device 0 \(NVIDIA A100-SXM4-80GB MIG 3g\.40gb\)/);
});

test('devices without a free-memory reading are never chosen', async () => {
  const inventory = await inventoryOf('not-supported.csv');
  const placement = placeTraining(inventory, estimateTrainingMemory({ ...xl, parameters: 1e8, layers: 2 }));
  assert.equal(placement.decision === 'gpu' ? placement.device.label : placement.message, 'GPU 1');
});

test('no GPU: CPU when the request allows it, a refusal that says so when it does not', () => {
  const none: GpuInventory = { ok: false, reason: 'nvidia-smi not found (ENOENT)' };
  const e = estimateTrainingMemory(xl);
  const cpu = placeTraining(none, e, { allowCpu: true });
  assert.equal(cpu.decision, 'cpu');
  assert.match(
    cpu.message,
    /^no GPU: nvidia-smi not found \(ENOENT\); the job would run on CPU, which the request allows/,
  );
  const refused = placeTraining(none, e, { allowCpu: false });
  assert.equal(refused.decision, 'refused');
  assert.match(
    refused.message,
    /would run on CPU, which the request does not allow \(set allowCpu to accept it\); need 33\.61 GiB/,
  );
});
