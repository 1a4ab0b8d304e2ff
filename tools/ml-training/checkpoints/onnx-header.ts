// An ONNX model's initializers (name, data type, dims), metadata_props and graph inputs/outputs.
// ONNX has no header to read apart: the protobuf is decoded whole (under a file budget), but the
// weight bytes are never copied or converted (the decoder's raw_data fields are views of the read
// buffer) and external data files are never opened: their tensors report the length the model names.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { ConfinedReader } from '../../confined-fs.js';
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

export async function readOnnxHeader(reader: ConfinedReader): Promise<OnnxHeader> {
  if (reader.size > checkpointBudgets.onnxFileBytes)
    throw new CheckpointFormatError(
      `is ${reader.size} bytes, over the ${checkpointBudgets.onnxFileBytes} byte budget for decoding an ONNX model (its weights are inline; export them as external data)`,
    );
  const bytes = await reader.read(0, reader.size);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new CheckpointFormatError(
      `is not a decodable ONNX model (${(error as Error).message.slice(0, 80)}): corrupt or truncated`,
    );
  }
  if (!model.graph) throw new CheckpointFormatError('is an ONNX model without a graph: not an ONNX model or truncated');
  const tensors = (model.graph.initializer ?? []).map((t) => {
    const dtype = dtypeName(t.dataType);
    const shape = (t.dims ?? []).map(Number);
    return { name: t.name ?? '', dtype, shape, bytes: tensorBytes(t, dtype, shape) };
  });
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps ?? []) if (entry.key) metadata[entry.key] = entry.value ?? '';
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
    inputs: (model.graph.input ?? []).filter((v) => !initializerNames.has(v.name ?? '')).map(value),
    outputs: (model.graph.output ?? []).map(value),
  };
}
