// The common shape every checkpoint header reader returns: tensor names, dtypes, shapes and byte
// sizes plus string metadata, read from the header alone (never the weights), and the budgets.
import { z } from 'zod';

export const checkpointFormats = ['safetensors', 'onnx', 'npy', 'npz'] as const;
export type CheckpointFormat = (typeof checkpointFormats)[number];

export const tensorHeaderSchema = z.object({
  name: z.string(),
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  /** Bytes the tensor's data takes in the file; null where the header does not say (ONNX external data). */
  bytes: z.number().int().nonnegative().nullable(),
});
export type TensorHeader = z.infer<typeof tensorHeaderSchema>;

export const checkpointHeaderSchema = z.object({
  format: z.enum(checkpointFormats),
  tensors: z.array(tensorHeaderSchema),
  metadata: z.record(z.string(), z.string()),
  fileBytes: z.number().int().nonnegative(),
  headerReadMs: z.number().nonnegative(),
});
export type CheckpointHeader = z.infer<typeof checkpointHeaderSchema>;

export const checkpointBudgets = {
  /** A safetensors JSON header larger than this is refused (the format's own reference limit is 100 MB). */
  safetensorsHeaderBytes: 100 * 1000 * 1000,
  /** One ONNX description read whole (a metadata entry, a graph input, an initializer without its data). */
  onnxMessageBytes: 16 * 1024 * 1024,
  /** An .npy header dict is at most this long (numpy writes < 4 KiB; the v2 format allows 4 GiB). */
  npyHeaderBytes: 1024 * 1024,
  /** Members of one .npz listed at most. */
  npzMembers: 10_000,
  /** Central directory bytes read at most. */
  zipDirectoryBytes: 64 * 1024 * 1024,
} as const;

/** A file that is not a well-formed checkpoint of the format; the caller turns it into an InputError. */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
}

/** Bytes per element of the dtype names the readers produce; undefined where unknown. */
export const dtypeBytes: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
  C64: 8,
  C128: 16,
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
