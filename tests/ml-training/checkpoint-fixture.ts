// Checkpoint files written by hand per their formats, for the checkpoint tests and the conformance
// suite (whose inspect example names models/profile.safetensors in the project).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SafetensorsTensor {
  name: string;
  dtype: 'F32' | 'F16' | 'I64';
  shape: number[];
}

const widths = { F32: 4, F16: 2, I64: 8 } as const;

/** A safetensors file: 8-byte LE header length, the JSON header, then the tensors' bytes (zeros). */
export function safetensorsBytes(tensors: readonly SafetensorsTensor[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * widths[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, Buffer.alloc(offset)]);
}

/** The seed system's checkpoint: a profile table saved for 8 profiles of 5 features. */
export const profileTensors: SafetensorsTensor[] = [
  { name: 'profile.weight', dtype: 'F32', shape: [8, 5] },
  { name: 'profile.bias', dtype: 'F32', shape: [8] },
];

/** Writes models/profile.safetensors under `root` (the conformance suite's project). */
export async function seedCheckpointExamples(root: string): Promise<void> {
  await mkdir(path.join(root, 'models'), { recursive: true });
  await writeFile(path.join(root, 'models', 'profile.safetensors'), safetensorsBytes(profileTensors, { format: 'pt' }));
}
