// ml_training_plan_placement: where a training run would go on this machine, from nvidia-smi's
// free memory and an estimate of what the run needs; the arithmetic is shown either way.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { estimateTrainingMemory } from './memory-estimate.js';
import { readGpuInventory } from './nvidia-smi-run.js';
import { defaultSafetyMargin, placeTraining } from './placement.js';

const deviceSchema = z.object({
  kind: z.enum(['gpu', 'mig']),
  label: z.string(),
  gpuIndex: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  totalMiB: z.number().nullable(),
  freeMiB: z.number().nullable(),
  note: z.string().optional(),
});

export const planPlacement = defineTool({
  name: 'ml_training_plan_placement',
  domain: 'ml-training',
  tags: ['gpu', 'placement', 'memory', 'nvidia-smi', 'mig', 'training', 'estimate'],
  requests: [
    'which GPU should this training run on',
    'will a 1.3B model fit on my GPU',
    'how much GPU memory does training need',
    'free GPU memory for a training job',
    'estimate memory for adamw bf16 training',
  ],
  title: 'Plan GPU placement for a training run',
  description:
    'Estimates the GPU memory a training run needs (weights + gradients + optimiser state + activations + CUDA overhead, each shown with its formula), reads the GPUs and MIG instances from nvidia-smi, and picks the one with the most free memory that fits with a safety margin; otherwise refuses and shows the arithmetic. With no GPU it says the job would run on CPU and whether allowCpu permits it. Example: {"parameters":125000000,"dtype":"bf16","optimizer":"adamw","mixedPrecision":true,"batchSize":8,"sequenceLength":1024,"hiddenSize":768,"layers":12,"attentionHeads":12,"allowCpu":true}',
  kind: { effect: 'readOnly', openWorld: false },
  input: z.object({
    parameters: z.number().int().min(1).max(1e13).describe('Model parameter count, e.g. 1300000000 for 1.3B.'),
    dtype: z.enum(['fp32', 'fp16', 'bf16']).describe('Dtype of weights, gradients and activations.'),
    optimizer: z
      .enum(['sgd', 'sgd_momentum', 'adam', 'adamw'])
      .describe('Optimiser: sgd keeps no state, sgd_momentum one buffer, adam/adamw two fp32 moments.'),
    mixedPrecision: z
      .boolean()
      .default(true)
      .describe(
        'fp16/bf16 compute with fp32 master weights in the optimiser (adds 4 B per parameter); ignored for fp32.',
      ),
    batchSize: z.number().int().min(1).max(65536).describe('Micro-batch size per device.'),
    sequenceLength: z.number().int().min(1).max(1048576).describe('Tokens per sample.'),
    hiddenSize: z.number().int().min(1).max(131072).describe('Transformer hidden size.'),
    layers: z.number().int().min(1).max(1024).describe('Number of transformer layers.'),
    attentionHeads: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .optional()
      .describe(
        'Attention heads; when given, the stored attention scores (5·heads·seq² per sample per layer) count too.',
      ),
    overheadMiB: z
      .number()
      .min(0)
      .max(65536)
      .optional()
      .describe('CUDA context and framework overhead in MiB; default 512.'),
    safetyMargin: z
      .number()
      .min(0)
      .max(1)
      .default(defaultSafetyMargin)
      .describe('Fraction added to the estimate before it must fit, for fragmentation; default 0.1.'),
    allowCpu: z.boolean().default(false).describe('Whether running on CPU is acceptable when no GPU is usable.'),
  }),
  output: z.object({
    devices: z.array(deviceSchema),
    noGpuReason: z.string().nullable(),
    estimate: z.object({
      weightsBytes: z.number(),
      gradientsBytes: z.number(),
      optimizerBytes: z.number(),
      activationsBytes: z.number(),
      overheadBytes: z.number(),
      totalBytes: z.number(),
      formulas: z.array(z.string()),
    }),
    decision: z.enum(['gpu', 'refused', 'cpu']),
    device: deviceSchema.nullable(),
    needBytes: z.number(),
    message: z.string(),
  }),
  examples: [
    {
      parameters: 125_000_000,
      dtype: 'bf16',
      optimizer: 'adamw',
      mixedPrecision: true,
      batchSize: 8,
      sequenceLength: 1024,
      hiddenSize: 768,
      layers: 12,
      attentionHeads: 12,
      allowCpu: true,
    },
  ],
  async handler(input, context) {
    const estimate = estimateTrainingMemory(input);
    // The binary is the one on PATH; an override would be configuration, never agent input.
    const inventory = await readGpuInventory({ signal: context.signal });
    const placement = placeTraining(inventory, estimate, {
      safetyMargin: input.safetyMargin,
      allowCpu: input.allowCpu,
    });
    return {
      devices: inventory.ok ? inventory.devices : [],
      noGpuReason: inventory.ok ? null : inventory.reason,
      estimate,
      decision: placement.decision,
      device: placement.decision === 'gpu' ? placement.device : null,
      needBytes: placement.needBytes,
      message: placement.message,
    };
  },
  summarize: (o) => [o.message, ...o.estimate.formulas].join('\n'),
});
