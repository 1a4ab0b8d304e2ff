// A zip archive's member list from its central directory (zip64 included), read with positioned
// reads: the end record, the directory, and each member's local header only. adm-zip is installed
// but loads the whole archive into memory, which an .npz of weights must not need.
import type { ConfinedReader } from '../../confined-fs.js';
import { CheckpointFormatError, checkpointBudgets } from './checkpoint-header.js';

export interface ZipMember {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedBytes: number;
  uncompressedBytes: number;
  /** Offset of the member's local header. */
  localHeader: number;
}

const endRecord = 0x06054b50;
const zip64Locator = 0x07064b50;
const zip64End = 0x06064b50;
const directoryEntry = 0x02014b50;
const localEntry = 0x04034b50;
const max32 = 0xffffffff;

export async function readZipDirectory(reader: ConfinedReader): Promise<ZipMember[]> {
  const tailLength = Math.min(reader.size, 22 + 0xffff);
  const tailStart = reader.size - tailLength;
  const tail = await reader.read(tailStart, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--)
    if (tail.readUInt32LE(i) === endRecord) {
      at = i;
      break;
    }
  if (at < 0)
    throw new CheckpointFormatError(
      'has no zip end-of-central-directory record: not an .npz (zip) archive or truncated',
    );
  let count = tail.readUInt16LE(at + 10);
  let directorySize = tail.readUInt32LE(at + 12);
  let directoryOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || directorySize === max32 || directoryOffset === max32) {
    if (at < 20 || tail.readUInt32LE(at - 20) !== zip64Locator)
      throw new CheckpointFormatError('is a zip64 archive without its zip64 locator: corrupt');
    const recordOffset = Number(tail.readBigUInt64LE(at - 20 + 8));
    const record = await reader.read(recordOffset, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== zip64End)
      throw new CheckpointFormatError('has a corrupt zip64 end record');
    count = Number(record.readBigUInt64LE(32));
    directorySize = Number(record.readBigUInt64LE(40));
    directoryOffset = Number(record.readBigUInt64LE(48));
  }
  if (count > checkpointBudgets.npzMembers)
    throw new CheckpointFormatError(`lists ${count} members, over the ${checkpointBudgets.npzMembers} member budget`);
  if (directorySize > checkpointBudgets.zipDirectoryBytes || directoryOffset + directorySize > reader.size)
    throw new CheckpointFormatError(
      `has a zip central directory of ${directorySize} bytes at ${directoryOffset} that does not fit the file: truncated or corrupt`,
    );
  const directory = await reader.read(directoryOffset, directorySize);
  const members: ZipMember[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== directoryEntry)
      throw new CheckpointFormatError(`has a corrupt zip central directory at entry ${n}`);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let uncompressed = directory.readUInt32LE(p + 24);
    let compressed = directory.readUInt32LE(p + 20);
    let local = directory.readUInt32LE(p + 42);
    const name = directory.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    // Zip64 sizes and offset sit in extra field 0x0001, each only where the 32-bit field is saturated.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = directory.readUInt16LE(e);
      const size = directory.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        const next = () => {
          const v = Number(directory.readBigUInt64LE(q));
          q += 8;
          return v;
        };
        if (uncompressed === max32) uncompressed = next();
        if (compressed === max32) compressed = next();
        if (local === max32) local = next();
      }
      e += 4 + size;
    }
    members.push({
      name,
      method: directory.readUInt16LE(p + 10),
      compressedBytes: compressed,
      uncompressedBytes: uncompressed,
      localHeader: local,
    });
    p = extraEnd + commentLength;
  }
  return members;
}

/** Where a member's (possibly compressed) data starts: after its local header's name and extra field. */
export async function memberDataOffset(reader: ConfinedReader, member: ZipMember): Promise<number> {
  const header = await reader.read(member.localHeader, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== localEntry)
    throw new CheckpointFormatError(`has a corrupt local header for member ${JSON.stringify(member.name)}`);
  const start = member.localHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + member.compressedBytes > reader.size)
    throw new CheckpointFormatError(
      `has member ${JSON.stringify(member.name)} running past the end of the file: truncated`,
    );
  return start;
}
