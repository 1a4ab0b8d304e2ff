// A .npy reader for the one shape evaluation needs: a 2-D little-endian float32/float64 array in C
// order (rows × dimension). Format: magic \x93NUMPY, major and minor version bytes, the header length
// (uint16 LE in version 1, uint32 LE in versions 2 and 3), then a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (300, 16), } padded with spaces to the data.
import { InputError } from '../../errors.js';
import { Confinement, asInputError, readConfined } from '../../confined-fs.js';

export interface NpyMatrix {
  dtype: 'float32' | 'float64';
  shape: [number, number];
  rows: Float32Array[] | Float64Array[];
}

const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export function parseNpy(bytes: Buffer, field: string): NpyMatrix {
  const bad = (why: string) => new InputError(field, `is not a float .npy array we can read: ${why}`);
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(magic)) throw bad('the file does not start with \\x93NUMPY');
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw bad(`format version ${major} is unknown`);
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > bytes.length) throw bad('the header is cut short');
  const header = bytes.subarray(start, start + headerLength).toString('latin1');
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw bad('the header lacks descr, fortran_order or shape');
  const dtype = descr === '<f4' ? 'float32' : descr === '<f8' ? 'float64' : undefined;
  if (!dtype) throw bad(`dtype ${descr}; save it as little-endian float32 (<f4) or float64 (<f8)`);
  if (fortran === 'True') throw bad('it is in Fortran order; save it with numpy.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n >= 0))
    throw bad(`shape (${shapeText}); give a 2-D array of vectors (rows × dimension)`);
  const [n, d] = shape as [number, number];
  const width = dtype === 'float32' ? 4 : 8;
  const dataStart = start + headerLength;
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
