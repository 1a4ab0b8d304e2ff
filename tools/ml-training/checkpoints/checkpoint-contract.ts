// Data contracts declared as data: named dimensions ({profiles: 7, features: 5}) and the tensors a
// model expects, each shape given by dimension names, numbers or '*'. Checked against a checkpoint's
// header before anything is loaded, with a PyTorch-style report that names both sides' dimensions:
// the mismatch behind the seed system's silent failure (8 profiles saved, a 7-profile model built).
import { z } from 'zod';
import { InputError } from '../../errors.js';
import type { TensorHeader } from './checkpoint-header.js';

const dimension = z.union([z.string().min(1), z.number().int().nonnegative()]);
const expectedTensor = z.union(
  [
    z.array(dimension),
    z.object({
      shape: z.array(dimension).describe("Dimension names from `dimensions`, sizes, or '*' for any."),
      dtype: z.string().optional().describe('Expected dtype, e.g. F32, float32, BF16; any if absent.'),
    }),
  ],
  {
    error:
      'expected a shape: a list of dimension names or sizes such as ["profiles", 5], or {"shape": [...], "dtype": "F32"}',
  },
);

export const checkpointContractSchema = z.object({
  dimensions: z
    .record(z.string(), z.number().int().nonnegative())
    .default({})
    .describe('Named dimension sizes the model is built for, e.g. {"profiles": 7, "features": 5}.'),
  tensors: z
    .record(z.string(), expectedTensor)
    .describe('Expected tensors by name: a shape (e.g. ["profiles", "features"]) or {shape, dtype}.'),
});
export type CheckpointContract = z.infer<typeof checkpointContractSchema>;

export const contractReportSchema = z.object({
  compatible: z.boolean(),
  missing: z.array(z.string()),
  unexpected: z.array(z.string()),
  mismatches: z.array(z.object({ tensor: z.string(), kind: z.enum(['shape', 'dtype']), message: z.string() })),
  /** Dimension sizes the checkpoint implies (several where its tensors disagree). */
  checkpointDimensions: z.record(z.string(), z.array(z.number().int())),
  messages: z.array(z.string()),
});
export type ContractReport = z.infer<typeof contractReportSchema>;

const dtypeAliases: Record<string, string> = {
  float32: 'F32',
  fp32: 'F32',
  float: 'F32',
  float16: 'F16',
  fp16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  float64: 'F64',
  double: 'F64',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};
const normalDtype = (d: string) => dtypeAliases[d.toLowerCase()] ?? d.toUpperCase();

/** Parses an agent-supplied contract; a malformed one is an InputError naming the offending field. */
export function parseCheckpointContract(value: unknown, field = 'contract'): CheckpointContract {
  const parsed = checkpointContractSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(
      [field, ...issue.path].join('.'),
      `${issue.message}; a contract is {dimensions: {name: size}, tensors: {tensor: [dimension, ...]}}`,
    );
  }
  for (const [name, expected] of Object.entries(parsed.data.tensors))
    for (const d of Array.isArray(expected) ? expected : expected.shape)
      if (typeof d === 'string' && d !== '*' && !(d in parsed.data.dimensions))
        throw new InputError(
          `${field}.tensors.${name}`,
          `dimension "${d}" is not declared; add it to ${field}.dimensions or use a number or '*'`,
        );
  return parsed.data;
}

const show = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;

/** Compares a checkpoint's tensors with a contract, as PyTorch's load_state_dict would, before any load. */
export function checkContract(tensors: readonly TensorHeader[], contract: CheckpointContract): ContractReport {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const missing = Object.keys(contract.tensors).filter((n) => !byName.has(n));
  const unexpected = tensors.map((t) => t.name).filter((n) => !(n in contract.tensors));
  const mismatches: ContractReport['mismatches'] = [];
  const implied = new Map<string, Set<number>>();
  for (const [name, expected] of Object.entries(contract.tensors)) {
    const actual = byName.get(name);
    if (!actual) continue;
    const spec = Array.isArray(expected) ? { shape: expected, dtype: undefined } : expected;
    const wanted = spec.shape.map((d) => (typeof d === 'number' ? d : d === '*' ? '*' : contract.dimensions[d]!));
    const sameRank = actual.shape.length === spec.shape.length;
    if (sameRank)
      spec.shape.forEach((d, i) => {
        if (typeof d === 'string' && d !== '*') implied.set(d, (implied.get(d) ?? new Set()).add(actual.shape[i]!));
      });
    const fits = sameRank && wanted.every((w, i) => w === '*' || w === actual.shape[i]);
    if (!fits) {
      const named = [...new Set(spec.shape.filter((d): d is string => typeof d === 'string' && d !== '*'))];
      const declared = named.map((d) => `${d} = ${contract.dimensions[d]}`).join(', ');
      const differing = sameRank
        ? spec.shape
            .map((d, i) =>
              typeof d === 'string' && d !== '*' && contract.dimensions[d] !== actual.shape[i]
                ? `${d} = ${actual.shape[i]}`
                : undefined,
            )
            .filter((s): s is string => s !== undefined)
        : [];
      const checkpointSide = sameRank
        ? differing.length > 0
          ? `the checkpoint fits ${[...new Set(differing)].join(', ')}`
          : 'a fixed size differs'
        : `the checkpoint has ${actual.shape.length} dimensions, the contract ${spec.shape.length}`;
      mismatches.push({
        tensor: name,
        kind: 'shape',
        message: `size mismatch for ${name}: copying a param with shape ${show(actual.shape)} from checkpoint, the shape in current model is ${show(wanted.map((w, i) => (w === '*' ? (actual.shape[i] ?? '*') : w)))} (contract: ${declared || 'fixed sizes'}; ${checkpointSide})`,
      });
    }
    if (spec.dtype !== undefined && normalDtype(spec.dtype) !== normalDtype(actual.dtype))
      mismatches.push({
        tensor: name,
        kind: 'dtype',
        message: `dtype mismatch for ${name}: the checkpoint holds ${actual.dtype}, the current model expects ${normalDtype(spec.dtype)}`,
      });
  }
  const messages = [
    ...(missing.length > 0 ? [`Missing key(s) in state_dict: ${missing.map((n) => `"${n}"`).join(', ')}.`] : []),
    ...(unexpected.length > 0
      ? [`Unexpected key(s) in state_dict: ${unexpected.map((n) => `"${n}"`).join(', ')}.`]
      : []),
    ...mismatches.map((m) => m.message),
  ];
  return {
    compatible: messages.length === 0,
    missing,
    unexpected,
    mismatches,
    checkpointDimensions: Object.fromEntries([...implied].map(([d, values]) => [d, [...values].sort((a, b) => a - b)])),
    messages,
  };
}
