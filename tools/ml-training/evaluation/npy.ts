// A .npy reader for the one shape evaluation needs: a 2-D little-endian float32/float64 array in C
// order (rows × dimension). The header is parsed by the checkpoint reader (checkpoints/numpy-header.ts);
// this file checks the layout and reads the data.
import { InputError } from '../../errors.js';
import { CheckpointFormatError } from '../checkpoints/checkpoint-header.js';
import { parseNpyHeader, type NpyHeader } from '../checkpoints/numpy-header.js';
import { Confinement, asInputError, readConfined } from '../../confined-fs.js';

export interface NpyMatrix {
  dtype: 'float32' | 'float64';
  shape: [number, number];
  rows: Float32Array[] | Float64Array[];
}

export function parseNpy(bytes: Buffer, field: string): NpyMatrix {
  const bad = (why: string) => new InputError(field, `is not a float .npy array we can read: ${why}`);
  let header: NpyHeader;
  try {
    header = parseNpyHeader(bytes);
  } catch (error) {
    if (error instanceof CheckpointFormatError) throw bad(`it ${error.message}`);
    throw error;
  }
  const dtype = header.dtype === 'F32' ? 'float32' : header.dtype === 'F64' ? 'float64' : undefined;
  if (!dtype) throw bad(`dtype ${header.dtype}; save it as little-endian float32 (<f4) or float64 (<f8)`);
  if (header.fortranOrder) throw bad('it is in Fortran order; save it with numpy.ascontiguousarray');
  const shape = header.shape;
  if (shape.length !== 2) throw bad(`shape (${shape.join(', ')}); give a 2-D array of vectors (rows × dimension)`);
  const [n, d] = shape as [number, number];
  const width = dtype === 'float32' ? 4 : 8;
  const dataStart = header.headerBytes;
  if (bytes.length - dataStart !== n * d * width)
    throw bad(`it holds ${bytes.length - dataStart} data bytes, shape (${n}, ${d}) needs ${n * d * width}`);
  // Copy into a fresh, aligned buffer: typed-array views need an offset that is a multiple of the width.
  const data = new ArrayBuffer(n * d * width);
  new Uint8Array(data).set(bytes.subarray(dataStart));
  const rows =
    dtype === 'float32'
      ? Array.from({ length: n }, (_, i) => new Float32Array(data, i * d * 4, d))
      : Array.from({ length: n }, (_, i) => new Float64Array(data, i * d * 8, d));
  return { dtype, shape: [n, d], rows };
}

/** Reads a .npy file inside the allowed roots, refusing one over maxBytes before reading it. */
export async function readNpy(
  file: string,
  allowedRoots: readonly string[],
  field: string,
  maxBytes: number,
): Promise<NpyMatrix> {
  let bytes: Buffer;
  try {
    bytes = await readConfined(file, await Confinement.of(allowedRoots), { maxBytes });
  } catch (error) {
    throw asInputError(error, field, file);
  }
  return parseNpy(bytes, field);
}
