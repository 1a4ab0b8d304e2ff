// The .npy format as written here: magic "\x93NUMPY", version 1.0, a little-endian u16 header length,
// and an ASCII Python dict literal padded with spaces and ending in "\n" so that the data starts at a
// multiple of 64 bytes. Dtypes: '<f4' (vectors, codes), '<i8' (integer ids) and '<U<w>' (strings,
// UTF-32LE code points, zero-padded to w), never object arrays.

export type NpyDtype = '<f4' | '<i8' | `<U${number}`;

const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** The complete .npy header (magic to "\n") for a C-order array of `dtype` and `shape`. */
export function npyHeader(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // 6 magic + 2 version + 2 length; the dict, its padding and the "\n" fill to a multiple of 64.
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const headerLength = total - 10;
  if (headerLength > 0xffff) throw new Error(`npy header of ${headerLength} bytes needs format 2.0`);
  const out = Buffer.alloc(total, 0x20);
  magic.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(headerLength, 8);
  out.write(dict, 10, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

/** Bytes per element of a dtype. */
export function itemSize(dtype: NpyDtype): number {
  if (dtype === '<f4') return 4;
  if (dtype === '<i8') return 8;
  return 4 * Number(dtype.slice(2));
}

/** Code points in a string (what numpy's '<U' width counts), not UTF-16 units. */
export function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const high = text.charCodeAt(i);
    if (high >= 0xd800 && high <= 0xdbff) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Writes `text` as `width` UTF-32LE code points at `offset` of `out` (zero-padded). */
export function writeUnicode(out: Buffer, offset: number, text: string, width: number): void {
  out.fill(0, offset, offset + width * 4);
  let at = offset;
  for (const ch of text) {
    out.writeUInt32LE(ch.codePointAt(0)!, at);
    at += 4;
  }
}

const int64 = /^(0|-?[1-9][0-9]{0,18})$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Whether an id reads back unchanged as an int64 (canonical decimal, in range). */
export function isInt64Text(text: string): boolean {
  if (!int64.test(text)) return false;
  const value = BigInt(text);
  return value >= int64Min && value <= int64Max;
}
