// Reads a checkpoint's header whatever its format (safetensors, ONNX, .npy, .npz), through the
// confined file layer: the path is agent-supplied and must stay inside the allowed roots. The format
// is told by magic bytes first and the file extension second; the weights are never loaded.
import path from 'node:path';
import { asInputError, Confinement, withConfinedReader, type ConfinedReader } from '../../confined-fs.js';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import { CheckpointFormatError, type CheckpointFormat, type CheckpointHeader } from './checkpoint-header.js';
import { readNpyHeader, readNpzHeaders, npyMagic } from './numpy-header.js';
import { readOnnxHeader, type GraphValue } from './onnx-header.js';
import { readSafetensorsHeader } from './safetensors-header.js';

export interface CheckpointInspection extends CheckpointHeader {
  /** ONNX only: the graph's inputs and outputs (initializers excluded). */
  graph?: { inputs: GraphValue[]; outputs: GraphValue[] };
}

const extensions: Record<string, CheckpointFormat> = {
  '.safetensors': 'safetensors',
  '.onnx': 'onnx',
  '.npy': 'npy',
  '.npz': 'npz',
};

async function formatOf(reader: ConfinedReader, file: string): Promise<CheckpointFormat | undefined> {
  const head = await reader.read(0, 9);
  if (head.subarray(0, 6).equals(npyMagic)) return 'npy';
  if (
    head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1')) ||
    head.subarray(0, 4).equals(Buffer.from('PK\x05\x06', 'latin1'))
  )
    return 'npz';
  const byExtension = extensions[path.extname(file).toLowerCase()];
  if (byExtension) return byExtension;
  // A safetensors file without its extension: a plausible length, then the JSON object's brace.
  if (head.length === 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(reader.size)) return 'safetensors';
  return undefined;
}

/** Reads the header of `file` (absolute) inside `confinement`; a malformed file throws CheckpointFormatError. */
export async function readCheckpointHeader(
  file: string,
  confinement: Confinement,
  signal?: AbortSignal,
): Promise<CheckpointInspection> {
  const started = performance.now();
  return withConfinedReader(file, confinement, async (reader) => {
    const format = await formatOf(reader, file);
    if (format === undefined)
      throw new CheckpointFormatError(
        'is not a checkpoint this reader knows: expected a .safetensors, .onnx, .npy or .npz file',
      );
    const base = { format, fileBytes: reader.size };
    const done = <T extends object>(rest: T) => ({ ...base, ...rest, headerReadMs: performance.now() - started });
    if (format === 'safetensors') return done(await readSafetensorsHeader(reader));
    if (format === 'npy') {
      const { fortranOrder, ...tensor } = await readNpyHeader(reader, path.basename(file, path.extname(file)));
      return done({ tensors: [tensor], metadata: { fortran_order: String(fortranOrder) } });
    }
    if (format === 'npz') return done({ tensors: await readNpzHeaders(reader, signal), metadata: {} });
    const onnx = await readOnnxHeader(reader, signal);
    return done({
      tensors: onnx.tensors,
      metadata: onnx.metadata,
      graph: { inputs: onnx.inputs, outputs: onnx.outputs },
    });
  });
}

/**
 * The tool-facing read: resolves `requested` inside the allowed roots and reports every refusal or
 * malformed file as an InputError naming `field`.
 */
export async function inspectCheckpointFile(
  requested: string,
  allowedRoots: readonly string[],
  field = 'path',
  signal?: AbortSignal,
): Promise<CheckpointInspection> {
  const target = await resolveInsideRoots(requested, allowedRoots, field);
  if (target.isDirectory)
    throw new InputError(
      field,
      `${requested} is a directory; pass a checkpoint file (.safetensors, .onnx, .npy or .npz)`,
    );
  try {
    return await readCheckpointHeader(target.absolute, await Confinement.of(allowedRoots), signal);
  } catch (error) {
    if (error instanceof CheckpointFormatError) throw new InputError(field, `${requested} ${error.message}`);
    throw asInputError(error, field, requested);
  }
}
