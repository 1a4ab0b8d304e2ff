// An ONNX model's initializers (name, data type, dims), metadata_props and graph inputs/outputs.
// ONNX has no separate header, so the protobuf is walked field by field with positioned reads:
// initializer data fields (raw_data, float_data, ...) are stepped over by their length and never read,
// nodes are skipped, and external data files are never opened: their tensors report the named length.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { ConfinedReader } from '../../confined-fs.js';
import { WindowedReader, wireFields, type WireField } from './protobuf-walk.js';
import {
  CheckpointFormatError,
  checkpointBudgets,
  dtypeBytes,
  elementCount,
  type TensorHeader,
} from './checkpoint-header.js';

const { onnx } = onnxProto;

const dataTypes: Record<number, string> = {
  1: 'F32',
  2: 'U8',
  3: 'I8',
  4: 'U16',
  5: 'I16',
  6: 'I32',
  7: 'I64',
  8: 'STRING',
  9: 'BOOL',
  10: 'F16',
  11: 'F64',
  12: 'U32',
  13: 'U64',
  14: 'C64',
  15: 'C128',
  16: 'BF16',
};

export interface GraphValue {
  name: string;
  dtype: string;
  /** Dimension sizes, or the symbolic name of a dynamic one (e.g. "batch"). */
  shape: (number | string)[];
}

export interface OnnxHeader {
  tensors: TensorHeader[];
  metadata: Record<string, string>;
  inputs: GraphValue[];
  outputs: GraphValue[];
}

function dtypeName(code: number | null | undefined): string {
  return dataTypes[code ?? 0] ?? `ONNX_TYPE_${code ?? 0}`;
}

function tensorBytes(t: OnnxTypes.ITensorProto, dtype: string, shape: number[]): number | null {
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const length = t.externalData?.find((e) => e.key === 'length')?.value;
    return length !== undefined && length !== null && /^\d+$/.test(length) ? Number(length) : null;
  }
  if (t.rawData && t.rawData.length > 0) return t.rawData.length;
  const width = dtypeBytes[dtype];
  return width === undefined ? null : elementCount(shape) * width;
}

/** TensorProto fields that hold the weights themselves: stepped over, never read. */
const tensorDataFields = new Set([4, 5, 6, 7, 9, 10, 11]);
const rawDataField = 9;

/** Reads a small message (metadata, value info, a tensor's description) under the budget. */
async function smallMessage(r: WindowedReader, f: WireField, what: string): Promise<Buffer> {
  const length = f.end - f.valueStart;
  if (length > checkpointBudgets.onnxMessageBytes)
    throw new CheckpointFormatError(
      `has a ${length} byte ${what}, over the ${checkpointBudgets.onnxMessageBytes} byte budget for one description`,
    );
  return r.bytes(f.valueStart, length);
}

/** An initializer's description without its data: the data fields are skipped, raw_data's length kept. */
async function initializer(r: WindowedReader, f: WireField): Promise<TensorHeader> {
  const kept: Buffer[] = [];
  let rawBytes: number | undefined;
  for await (const t of wireFields(r, f.valueStart, f.end)) {
    if (tensorDataFields.has(t.field)) {
      if (t.field === rawDataField) rawBytes = t.end - t.valueStart;
      continue;
    }
    if (t.end - t.tagStart > checkpointBudgets.onnxMessageBytes)
      throw new CheckpointFormatError(
        `has an initializer field of ${t.end - t.tagStart} bytes, over the ${checkpointBudgets.onnxMessageBytes} byte budget`,
      );
    kept.push(await r.bytes(t.tagStart, t.end - t.tagStart));
  }
  const t = onnx.TensorProto.decode(Buffer.concat(kept));
  const dtype = dtypeName(t.dataType);
  const shape = (t.dims ?? []).map(Number);
  return { name: t.name ?? '', dtype, shape, bytes: rawBytes ?? tensorBytes(t, dtype, shape) };
}

export async function readOnnxHeader(reader: ConfinedReader, signal?: AbortSignal): Promise<OnnxHeader> {
  const r = new WindowedReader(reader);
  const tensors: TensorHeader[] = [];
  const metadata: Record<string, string> = {};
  const inputs: OnnxTypes.ValueInfoProto[] = [];
  const outputs: OnnxTypes.ValueInfoProto[] = [];
  let graphs = 0;
  try {
    // ModelProto: graph is field 7, metadata_props field 14; GraphProto: initializer 5, input 11, output 12.
    for await (const m of wireFields(r, 0, r.size)) {
      if (m.wire !== 2) continue;
      if (m.field === 14) {
        const entry = onnx.StringStringEntryProto.decode(await smallMessage(r, m, 'metadata entry'));
        if (entry.key) metadata[entry.key] = entry.value ?? '';
      } else if (m.field === 7) {
        graphs++;
        for await (const g of wireFields(r, m.valueStart, m.end)) {
          signal?.throwIfAborted();
          if (g.wire !== 2) continue;
          if (g.field === 5) tensors.push(await initializer(r, g));
          else if (g.field === 11) inputs.push(onnx.ValueInfoProto.decode(await smallMessage(r, g, 'graph input')));
          else if (g.field === 12) outputs.push(onnx.ValueInfoProto.decode(await smallMessage(r, g, 'graph output')));
        }
      }
    }
  } catch (error) {
    if (error instanceof CheckpointFormatError || signal?.aborted) throw error;
    throw new CheckpointFormatError(
      `is not a decodable ONNX model (${(error as Error).message.slice(0, 80)}): corrupt or truncated`,
    );
  }
  if (graphs === 0)
    throw new CheckpointFormatError('is not a decodable ONNX model: it has no graph (not an ONNX model or truncated)');
  const value = (v: OnnxTypes.IValueInfoProto): GraphValue => ({
    name: v.name ?? '',
    dtype: dtypeName(v.type?.tensorType?.elemType),
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
      d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : '?',
    ),
  });
  // Initializers are listed as graph inputs by older exporters; they are weights, not inputs.
  const initializerNames = new Set(tensors.map((t) => t.name));
  return {
    tensors,
    metadata,
    inputs: inputs.filter((v) => !initializerNames.has(v.name ?? '')).map(value),
    outputs: outputs.map(value),
  };
}
