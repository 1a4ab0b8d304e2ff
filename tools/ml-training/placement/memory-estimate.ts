// The GPU memory a training run needs: weights + gradients + optimiser state + activations + overhead.
//
// Model states follow ZeRO (Rajbhandari et al., 2020, §3.1): mixed-precision Adam keeps 2P bytes of
// 16-bit weights, 2P of 16-bit gradients and 12P of fp32 optimiser state (master weights, momentum,
// variance) = 16P. Activations follow Korthikanti et al., 2022 ("Reducing Activation Recomputation in
// Large Transformer Models", §4.1): one transformer layer stores s·b·h·(34 + 5·a·s/h) bytes with
// 16-bit activations and no recomputation (s sequence, b batch, h hidden, a heads); 4-byte activations
// double it. Without a head count the s² attention-score term is left out (as with FlashAttention).
// Not counted: allocator fragmentation and temporary buffers, which the placement margin covers.

export type Dtype = 'fp32' | 'fp16' | 'bf16';
export type Optimizer = 'sgd' | 'sgd_momentum' | 'adam' | 'adamw';

export const dtypeBytes: Record<Dtype, number> = { fp32: 4, fp16: 2, bf16: 2 };

/** CUDA context plus the framework's kernels; a few hundred MiB on current drivers (assumed, not measured). */
export const defaultOverheadMiB = 512;

export interface TrainingShape {
  parameters: number;
  dtype: Dtype;
  optimizer: Optimizer;
  /** 16-bit weights for compute with an fp32 master copy in the optimiser; ignored for fp32. */
  mixedPrecision: boolean;
  batchSize: number;
  sequenceLength: number;
  hiddenSize: number;
  layers: number;
  attentionHeads?: number | undefined;
  overheadMiB?: number | undefined;
}

export interface MemoryEstimate {
  weightsBytes: number;
  gradientsBytes: number;
  optimizerBytes: number;
  activationsBytes: number;
  overheadBytes: number;
  totalBytes: number;
  /** The formulas with this run's numbers, for a person to check. */
  formulas: string[];
}

const MiB = 1024 * 1024;

export function estimateTrainingMemory(shape: TrainingShape): MemoryEstimate {
  const p = shape.parameters;
  const bytes = dtypeBytes[shape.dtype];
  const mixed = shape.mixedPrecision && shape.dtype !== 'fp32';
  const weightsBytes = p * bytes;
  const gradientsBytes = p * bytes;
  // Adam's two moments are kept in fp32 whatever the weights' dtype; SGD momentum is one buffer
  // like the (master) weights. Mixed precision adds the fp32 master weights.
  const stateBytesEach = mixed ? 4 : bytes;
  const states = shape.optimizer === 'adam' || shape.optimizer === 'adamw' ? 2 * 4 : 0;
  const momentum = shape.optimizer === 'sgd_momentum' ? stateBytesEach : 0;
  const master = mixed ? 4 : 0;
  const optimizerBytes = p * (states + momentum + master);
  const { batchSize: b, sequenceLength: s, hiddenSize: h, layers: l, attentionHeads: a } = shape;
  const perToken = 34 + (a ? (5 * a * s) / h : 0);
  const activationsBytes = Math.ceil(l * s * b * h * perToken * (bytes / 2));
  const overheadBytes = (shape.overheadMiB ?? defaultOverheadMiB) * MiB;
  const totalBytes = weightsBytes + gradientsBytes + optimizerBytes + activationsBytes + overheadBytes;
  const stateParts = [
    states ? '2 Adam moments × 4 B' : '',
    momentum ? `momentum × ${momentum} B` : '',
    master ? 'fp32 master weights × 4 B' : '',
  ]
    .filter((x) => x !== '')
    .join(' + ');
  return {
    weightsBytes,
    gradientsBytes,
    optimizerBytes,
    activationsBytes,
    overheadBytes,
    totalBytes,
    formulas: [
      `weights = parameters × ${bytes} B (${shape.dtype})`,
      `gradients = parameters × ${bytes} B (${shape.dtype})`,
      `optimiser = parameters × (${stateParts || 'no state'}) = parameters × ${states + momentum + master} B`,
      `activations = layers × seq × batch × hidden × (34${a ? ' + 5 × heads × seq / hidden' : ''}) × ${bytes}/2 B (Korthikanti et al. 2022, no recomputation${a ? '' : ', attention scores not stored'})`,
      `overhead = ${shape.overheadMiB ?? defaultOverheadMiB} MiB (CUDA context and kernels, assumed)`,
    ],
  };
}

/** Bytes as GiB with two decimals, the unit of every placement message. */
export function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}
