// The safetensors header: 8-byte little-endian length N, then N bytes of JSON mapping each tensor
// name to {dtype, shape, data_offsets} (offsets relative to the byte after the header), plus an
// optional __metadata__ of strings. Only those 8 + N bytes are read; the weights never are.
import type { ConfinedReader } from '../../confined-fs.js';
import {
  CheckpointFormatError,
  checkpointBudgets,
  dtypeBytes,
  elementCount,
  type TensorHeader,
} from './checkpoint-header.js';

export interface SafetensorsHeader {
  tensors: TensorHeader[];
  metadata: Record<string, string>;
}

export async function readSafetensorsHeader(reader: ConfinedReader): Promise<SafetensorsHeader> {
  if (reader.size < 8)
    throw new CheckpointFormatError(`is ${reader.size} bytes, shorter than the 8-byte safetensors length prefix`);
  const prefix = await reader.read(0, 8);
  const length = prefix.readBigUInt64LE(0);
  if (length > BigInt(checkpointBudgets.safetensorsHeaderBytes))
    throw new CheckpointFormatError(
      `declares a ${length} byte safetensors header, over the ${checkpointBudgets.safetensorsHeaderBytes} byte budget: not a safetensors file or corrupt`,
    );
  const n = Number(length);
  if (8 + n > reader.size)
    throw new CheckpointFormatError(
      `declares a ${n} byte safetensors header but the file has only ${reader.size - 8} bytes after the prefix: truncated`,
    );
  const text = (await reader.read(8, n)).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFormatError(
      `has a safetensors header that is not JSON (${(error as Error).message.slice(0, 80)}): corrupt or truncated`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CheckpointFormatError('has a safetensors header that is not a JSON object');
  const dataBytes = reader.size - 8 - n;
  const tensors: TensorHeader[] = [];
  const metadata: Record<string, string> = {};
  const spans: { name: string; start: number; end: number }[] = [];
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null)
        throw new CheckpointFormatError('has a __metadata__ that is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new CheckpointFormatError(`has __metadata__.${k} that is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = entry?.shape;
    const offsets = entry?.data_offsets;
    if (
      typeof entry?.dtype !== 'string' ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    )
      throw new CheckpointFormatError(
        `has tensor ${JSON.stringify(name)} without a valid dtype, shape and data_offsets`,
      );
    const [start, end] = offsets as [number, number];
    if (start > end || end > dataBytes)
      throw new CheckpointFormatError(
        `has tensor ${JSON.stringify(name)} with data_offsets [${start}, ${end}] outside the ${dataBytes} data bytes: truncated or corrupt`,
      );
    const width = dtypeBytes[entry.dtype];
    if (width !== undefined && elementCount(shape as number[]) * width !== end - start)
      throw new CheckpointFormatError(
        `has tensor ${JSON.stringify(name)} of ${entry.dtype} [${shape.join(', ')}] spanning ${end - start} bytes, not ${elementCount(shape as number[]) * width}`,
      );
    if (end > start) spans.push({ name, start, end });
    tensors.push({ name, dtype: entry.dtype, shape: shape as number[], bytes: end - start });
  }
  // Empty tensors take no bytes and cannot overlap anything.
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++)
    if (spans[i]!.start < spans[i - 1]!.end)
      throw new CheckpointFormatError(
        `has tensors ${JSON.stringify(spans[i - 1]!.name)} and ${JSON.stringify(spans[i]!.name)} whose data overlap`,
      );
  return { tensors, metadata };
}
