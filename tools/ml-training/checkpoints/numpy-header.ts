// NumPy .npy headers (magic \x93NUMPY, version, a Python dict literal with descr, fortran_order and
// shape) and .npz archives (a zip of .npy members): each member's header is read from its first
// bytes, inflating only the first few KiB of a deflated member; the arrays are never read.
import { constants, inflateRawSync } from 'node:zlib';
import type { ConfinedReader } from '../../confined-fs.js';
import { CheckpointFormatError, checkpointBudgets, elementCount, type TensorHeader } from './checkpoint-header.js';
import { memberDataOffset, readZipDirectory } from './zip-directory.js';

export const npyMagic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Compressed bytes inflated to reach a deflated member's header (numpy writes headers < 4 KiB). */
const deflatedHeadBytes = 8 * 1024;

export interface NpyHeader {
  dtype: string;
  shape: number[];
  fortranOrder: boolean;
  /** Bytes before the array data: magic, version, length and the dict. */
  headerBytes: number;
  /** Bytes per element, where the descr says. */
  itemBytes: number | undefined;
}

/** '<f4' → F32, '|b1' → BOOL, ...; other descrs (big-endian, structured) are kept as written. */
function dtypeOf(descr: string): { dtype: string; itemBytes: number | undefined } {
  const m = /^([<|=>])([fiucb])(\d+)$/.exec(descr);
  if (!m) return { dtype: descr, itemBytes: undefined };
  const width = Number(m[3]);
  if (m[1] === '>' && width > 1) return { dtype: descr, itemBytes: width };
  const kind = m[2]!;
  const dtype = kind === 'b' ? 'BOOL' : `${{ f: 'F', i: 'I', u: 'U', c: 'C' }[kind]}${width * 8}`;
  return { dtype, itemBytes: width };
}

/** How many leading bytes hold the header, or undefined if `head` is too short to say. */
function npyHeaderLength(head: Buffer): number | undefined {
  if (head.length < 10) return undefined;
  if (!head.subarray(0, 6).equals(npyMagic))
    throw new CheckpointFormatError('does not start with the .npy magic \\x93NUMPY');
  const major = head[6]!;
  if (major === 1) return 10 + head.readUInt16LE(8);
  if (major !== 2 && major !== 3)
    throw new CheckpointFormatError(`is .npy format version ${major}, which is not known (1, 2 or 3)`);
  return head.length < 12 ? undefined : 12 + head.readUInt32LE(8);
}

export function parseNpyHeader(head: Buffer): NpyHeader {
  const length = npyHeaderLength(head);
  if (length === undefined || length > head.length) throw new CheckpointFormatError('has a truncated .npy header');
  const start = head[6] === 1 ? 10 : 12;
  const dict = head.subarray(start, length).toString(head[6] === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(dict)?.[1] ?? /'descr'\s*:\s*(\[.*\])\s*,\s*'/.exec(dict)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(dict)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(dict)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new CheckpointFormatError('has an .npy header dict without descr, fortran_order and shape');
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (!parts.every((s) => /^\d+L?$/.test(s)))
    throw new CheckpointFormatError(`has an .npy shape (${shapeText}) that is not a tuple of sizes`);
  return {
    ...dtypeOf(descr),
    shape: parts.map((s) => Number.parseInt(s, 10)),
    fortranOrder: fortran === 'True',
    headerBytes: length,
  };
}

/** The data bytes the header implies, checked against what the file holds. */
function npyTensor(name: string, header: NpyHeader, available: number): TensorHeader {
  const expected = header.itemBytes === undefined ? undefined : elementCount(header.shape) * header.itemBytes;
  if (expected !== undefined && available < expected)
    throw new CheckpointFormatError(
      `has ${name} of ${header.dtype} [${header.shape.join(', ')}] needing ${expected} data bytes but only ${available} follow its header: truncated`,
    );
  return { name, dtype: header.dtype, shape: header.shape, bytes: expected ?? available };
}

export async function readNpyHeader(
  reader: ConfinedReader,
  name: string,
): Promise<TensorHeader & { fortranOrder: boolean }> {
  const prefix = await reader.read(0, 12);
  const length = npyHeaderLength(prefix);
  if (length === undefined || length > reader.size) throw new CheckpointFormatError('has a truncated .npy header');
  if (length > checkpointBudgets.npyHeaderBytes)
    throw new CheckpointFormatError(
      `declares a ${length} byte .npy header, over the ${checkpointBudgets.npyHeaderBytes} byte budget`,
    );
  const header = parseNpyHeader(await reader.read(0, length));
  return { ...npyTensor(name, header, reader.size - header.headerBytes), fortranOrder: header.fortranOrder };
}

export async function readNpzHeaders(reader: ConfinedReader, signal?: AbortSignal): Promise<TensorHeader[]> {
  const tensors: TensorHeader[] = [];
  for (const member of await readZipDirectory(reader)) {
    signal?.throwIfAborted();
    if (!member.name.endsWith('.npy')) continue;
    const start = await memberDataOffset(reader, member);
    let head: Buffer;
    if (member.method === 0)
      head = await reader.read(start, Math.min(member.compressedBytes, checkpointBudgets.npyHeaderBytes));
    else if (member.method === 8) {
      const compressed = await reader.read(start, Math.min(member.compressedBytes, deflatedHeadBytes));
      try {
        // A sync flush yields what the first compressed bytes decode to without needing the rest of the stream.
        head = inflateRawSync(compressed, {
          finishFlush: constants.Z_SYNC_FLUSH,
          maxOutputLength: 1100 * deflatedHeadBytes,
        });
      } catch (error) {
        throw new CheckpointFormatError(
          `has member ${JSON.stringify(member.name)} whose deflate stream is corrupt (${(error as Error).message.slice(0, 60)})`,
        );
      }
    } else
      throw new CheckpointFormatError(
        `has member ${JSON.stringify(member.name)} compressed with zip method ${member.method}; only stored (0) and deflated (8) are read`,
      );
    let header: NpyHeader;
    try {
      header = parseNpyHeader(head);
    } catch (error) {
      throw new CheckpointFormatError(`has member ${JSON.stringify(member.name)} that ${(error as Error).message}`);
    }
    tensors.push(npyTensor(member.name.slice(0, -4), header, member.uncompressedBytes - header.headerBytes));
  }
  return tensors;
}
