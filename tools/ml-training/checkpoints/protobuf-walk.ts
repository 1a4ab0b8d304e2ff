// Walks protobuf wire format through positioned reads, so that a message's large fields (an ONNX
// initializer's raw_data) are stepped over by their length and never read. Reads go through a small
// window, so walking many small fields costs few system calls.
import type { ConfinedReader } from '../../confined-fs.js';
import { CheckpointFormatError } from './checkpoint-header.js';

const windowBytes = 64 * 1024;

export interface WireField {
  field: number;
  wire: number;
  /** Where the tag starts, where the value (after any length prefix) starts, and where the field ends. */
  tagStart: number;
  valueStart: number;
  end: number;
}

export class WindowedReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  constructor(private readonly reader: ConfinedReader) {}

  get size(): number {
    return this.reader.size;
  }

  /** `length` bytes at `offset`, copied out of the window (callers keep them). */
  async bytes(offset: number, length: number): Promise<Buffer> {
    if (offset + length > this.reader.size)
      throw new CheckpointFormatError('has a protobuf field running past the end of the file: truncated');
    if (offset < this.windowStart || offset + length > this.windowStart + this.window.length) {
      this.window = await this.reader.read(offset, Math.max(length, windowBytes));
      this.windowStart = offset;
    }
    return Buffer.from(this.window.subarray(offset - this.windowStart, offset - this.windowStart + length));
  }

  async varint(offset: number): Promise<{ value: number; next: number }> {
    const head = await this.bytes(offset, Math.min(10, this.reader.size - offset));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < head.length; i++) {
      value += (head[i]! & 0x7f) * scale;
      scale *= 128;
      if ((head[i]! & 0x80) === 0) return { value, next: offset + i + 1 };
    }
    throw new CheckpointFormatError('has a malformed protobuf varint: not a protobuf file or truncated');
  }
}

/** The fields of the message spanning [start, end), in order. */
export async function* wireFields(r: WindowedReader, start: number, end: number): AsyncGenerator<WireField> {
  let p = start;
  while (p < end) {
    const tag = await r.varint(p);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    let valueStart = tag.next;
    let fieldEnd: number;
    if (wire === 0) fieldEnd = (await r.varint(tag.next)).next;
    else if (wire === 1) fieldEnd = tag.next + 8;
    else if (wire === 5) fieldEnd = tag.next + 4;
    else if (wire === 2) {
      const length = await r.varint(tag.next);
      valueStart = length.next;
      fieldEnd = length.next + length.value;
    } else throw new CheckpointFormatError(`has protobuf wire type ${wire} at byte ${p}: not an ONNX model or corrupt`);
    if (field === 0 || fieldEnd > end)
      throw new CheckpointFormatError(
        `has a protobuf field at byte ${p} that runs past its message: not an ONNX model or truncated`,
      );
    yield { field, wire, tagStart: p, valueStart, end: fieldEnd };
    p = fieldEnd;
  }
}
