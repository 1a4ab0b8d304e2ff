// Writes a dataset directory with bounded memory: rows are checked and appended to spill files (one
// per column) in a private temporary directory beside the target; at the end each array is streamed,
// header first, from its spill file into dataset.npz (yazl, stored entries), train/validation/test.npy
// and sequences.npz, hashing every byte on the way, then manifest.json is written and the temporary
// directory is renamed onto the target. Nothing is left half-written: a failure or a cancel removes
// the temporary directory, and the target is replaced only by a complete one.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { InputError } from '../../errors.js';
import { codePoints, isInt64Text, itemSize, npyHeader, writeUnicode, type NpyDtype } from './npy-format.js';
import { parseVectorValue } from './vector-text.js';

export const skipReasons = ['null', 'wrongDimension', 'nonFinite', 'unparseable', 'nullId', 'badCode'] as const;
export type SkipReason = (typeof skipReasons)[number];
export type SkipCounts = Record<SkipReason, number>;

export interface DatasetRow {
  id: string | null;
  vector: unknown;
  code?: unknown;
  label?: string | null;
  text?: string | null;
}

export interface ArrayEntry {
  sha256: string;
  bytes: number;
  shape: number[];
  dtype: NpyDtype;
}

export interface FileEntry {
  sha256: string;
  bytes: number;
  shape?: number[];
  dtype?: NpyDtype;
  /** For an .npz: each .npy member inside it. */
  entries?: Record<string, ArrayEntry>;
}

export interface DatasetSplits {
  train: number;
  validation: number;
  test: number;
}

export interface WrittenDataset {
  directory: string;
  rows: number;
  rowsRead: number;
  skipped: SkipCounts;
  dimension: number;
  codeDimension?: number;
  splits: DatasetSplits;
  windows: DatasetSplits;
  members: Record<string, FileEntry>;
  manifest: Record<string, unknown>;
}

/** Rows of each split: in order, train = floor(0.8 n), validation = floor(0.1 n), test = the rest. */
export function splitRows(n: number): DatasetSplits {
  const train = Math.floor(n * 0.8);
  const validation = Math.floor(n * 0.1);
  return { train, validation, test: n - train - validation };
}

const flushBytes = 4 << 20;
const chunkBytes = 1 << 20;

/** An append-only file: buffers in memory up to a few MiB, written on flush. */
class Spill {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  bytes = 0;
  private constructor(
    readonly file: string,
    private handle: FileHandle | undefined,
  ) {}

  static async create(file: string): Promise<Spill> {
    return new Spill(file, await open(file, 'wx'));
  }

  append(data: Buffer): void {
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.bytes += data.length;
  }

  get full(): boolean {
    return this.pendingBytes >= flushBytes;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0 || !this.handle) return;
    const parts = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.writev(parts);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle?.close();
    this.handle = undefined;
  }

  async abandon(): Promise<void> {
    this.pending = [];
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}

/** Bytes [start, end) of a file in chunks that are whole multiples of `unit`. */
async function* readRange(file: string, start: number, end: number, unit: number, signal: AbortSignal) {
  const size = Math.max(unit, Math.floor(chunkBytes / unit) * unit);
  const handle = await open(file, 'r');
  try {
    for (let at = start; at < end;) {
      signal.throwIfAborted();
      const length = Math.min(size, end - at);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, at);
      if (bytesRead !== length) throw new Error(`short read of ${file} at ${at}`);
      at += length;
      yield buffer;
    }
  } finally {
    await handle.close();
  }
}

/** Strings spilled as u32 length + UTF-8, read back one by one. */
async function* readStrings(file: string, bytes: number, signal: AbortSignal): AsyncGenerator<string> {
  let rest = Buffer.alloc(0);
  for await (const chunk of readRange(file, 0, bytes, 1, signal)) {
    let buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let at = 0;
    while (buffer.length - at >= 4) {
      const length = buffer.readUInt32LE(at);
      if (buffer.length - at - 4 < length) break;
      yield buffer.toString('utf8', at + 4, at + 4 + length);
      at += 4 + length;
    }
    buffer = buffer.subarray(at);
    rest = Buffer.from(buffer);
  }
}

/** Groups small buffers into ~1 MiB ones. */
async function* batched(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const part of source) {
    parts.push(part);
    size += part.length;
    if (size >= chunkBytes) {
      yield Buffer.concat(parts);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts);
}

/** A string column: its spill and what the dtype needs (widest string, whether all are int64). */
class StringColumn {
  width = 1;
  allInt64 = true;
  constructor(readonly spill: Spill) {}

  add(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeUInt32LE(bytes.length, 0);
    this.spill.append(prefix);
    this.spill.append(bytes);
    this.width = Math.max(this.width, codePoints(text));
    if (this.allInt64 && !isInt64Text(text)) this.allInt64 = false;
  }

  dtype(asInteger: boolean): NpyDtype {
    return asInteger && this.allInt64 ? '<i8' : `<U${this.width}`;
  }

  async *encoded(dtype: NpyDtype, signal: AbortSignal): AsyncGenerator<Buffer> {
    const size = itemSize(dtype);
    const perChunk = Math.max(1, Math.floor(chunkBytes / size));
    let out = Buffer.alloc(perChunk * size);
    let count = 0;
    for await (const text of readStrings(this.spill.file, this.spill.bytes, signal)) {
      if (dtype === '<i8') out.writeBigInt64LE(BigInt(text), count * size);
      else writeUnicode(out, count * size, text, size / 4);
      if (++count === perChunk) {
        yield out;
        out = Buffer.alloc(perChunk * size);
        count = 0;
      }
    }
    if (count > 0) yield out.subarray(0, count * size);
  }
}

interface ArraySource {
  name: string;
  dtype: NpyDtype;
  shape: number[];
  body: () => AsyncIterable<Buffer>;
}

/** A readable of header + body that hashes what passes and records the entry when it ends. */
function arrayStream(array: ArraySource, signal: AbortSignal, done: (entry: ArrayEntry) => void): Readable {
  const header = npyHeader(array.dtype, array.shape);
  const expected = array.shape.reduce((a, b) => a * b, 1) * itemSize(array.dtype);
  async function* bytes() {
    const hash = createHash('sha256');
    hash.update(header);
    yield header;
    let body = 0;
    for await (const chunk of array.body()) {
      signal.throwIfAborted();
      hash.update(chunk);
      body += chunk.length;
      yield chunk;
    }
    if (body !== expected) throw new Error(`${array.name}: wrote ${body} data bytes, expected ${expected}`);
    done({ sha256: hash.digest('hex'), bytes: header.length + body, shape: array.shape, dtype: array.dtype });
  }
  return Readable.from(bytes(), { objectMode: false });
}

function arrayBytes(array: ArraySource): number {
  return npyHeader(array.dtype, array.shape).length + array.shape.reduce((a, b) => a * b, 1) * itemSize(array.dtype);
}

/** Pipes `source` into `file`, returning the sha256 and size of what was written. */
async function writeHashed(
  source: Readable,
  file: string,
  signal: AbortSignal,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // The pipeline gets a signal of its own, unlinked when it ends: a cancel that comes after this file
  // is done must not reach its (finished) streams, whose listeners Node does not always remove.
  // Already cancelled: the pipeline still starts (and stops at once), so every stream is destroyed.
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await pipeline(source, tap, createWriteStream(file, { flags: 'wx' }), { signal: local.signal });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** An .npz of stored (uncompressed) .npy entries, streamed with yazl. */
async function writeNpz(file: string, arrays: ArraySource[], mtime: Date, signal: AbortSignal): Promise<FileEntry> {
  signal.throwIfAborted();
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  // yazl reports its own errors on the ZipFile and leaves a lazy entry's stream errors unheard: both
  // are routed into the output stream, so the pipeline below fails with them.
  const fail = (error: Error) => output.destroy(error);
  zip.on('error', fail);
  const entries: Record<string, ArrayEntry> = {};
  for (const array of arrays) {
    const name = `${array.name}.npy`;
    // ZIP64 records on every entry, as numpy's savez writes them: an array over 4 GiB takes the same path as the tested ones.
    zip.addReadStreamLazy(
      name,
      { compress: false, forceZip64Format: true, size: arrayBytes(array), mtime },
      (callback) =>
        callback(
          null,
          arrayStream(array, signal, (entry) => {
            entries[name] = entry;
          }).on('error', fail),
        ),
    );
  }
  zip.end();
  const written = await writeHashed(output, file, signal);
  return { ...written, entries };
}

export interface DatasetWriterOptions {
  /** The final directory; it must not exist unless `overwrite`. */
  target: string;
  name: string;
  overwrite: boolean;
  hasCode: boolean;
  hasLabel: boolean;
  keepTexts: boolean;
  hasText: boolean;
  /** Expected vector dimension; default the first good row's. */
  dimension?: number | undefined;
  context: number;
  signal: AbortSignal;
  /** Called before each file is written (6 in all), for progress. */
  onWrite?: (file: string, step: number) => void;
}

/** Files written after the read, in order: the progress steps of the write phase. */
export const writeSteps = ['dataset.npz', 'train.npy', 'validation.npy', 'test.npy', 'sequences.npz', 'manifest.json'];

/** The manifest's `generator`: marks a directory this tool wrote, the only kind `overwrite` may replace. */
export const datasetGenerator = 'caelum prepareDataset';

/**
 * Refuses to replace `target` unless it is a dataset this tool wrote: a real directory (no link) whose
 * manifest.json parses and carries the generator marker (or, for a dataset written before the marker,
 * the split rule and members), and that holds only the files the tool writes.
 */
export async function checkReplaceable(target: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new InputError(
      'outputDir',
      `${target} ${why}; overwrite replaces only a dataset this tool wrote, choose another directory`,
    );
  };
  const info = await lstat(target);
  if (!info.isDirectory()) refuse('exists and is not a directory');
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(path.join(target, 'manifest.json'), 'utf8'));
  } catch {
    refuse('has no readable manifest.json, so it is not a dataset');
  }
  const m = (typeof manifest === 'object' && manifest !== null ? manifest : {}) as Record<string, unknown>;
  const legacy = typeof m['splitRule'] === 'string' && typeof m['members'] === 'object' && m['members'] !== null;
  if (m['generator'] !== datasetGenerator && !legacy)
    refuse(`has a manifest.json without "generator": "${datasetGenerator}", so it is not a dataset`);
  const foreign = (await readdir(target)).filter((entry) => !writeSteps.includes(entry));
  if (foreign.length > 0)
    refuse(
      `holds files the dataset tool does not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})`,
    );
}

export class DatasetWriter {
  readonly skipped: SkipCounts = { null: 0, wrongDimension: 0, nonFinite: 0, unparseable: 0, nullId: 0, badCode: 0 };
  /** The first few skipped rows and why, for the report. */
  readonly examples: { id: string; reason: SkipReason }[] = [];
  rowsRead = 0;
  rows = 0;
  textRows = 0;
  dimension: number;
  codeDimension = 0;
  private closed = false;

  private constructor(
    private readonly options: DatasetWriterOptions,
    readonly temporary: string,
    private readonly vectors: Spill,
    private readonly ids: StringColumn,
    private readonly codes: Spill | undefined,
    private readonly labels: StringColumn | undefined,
    private readonly texts: StringColumn | undefined,
  ) {
    this.dimension = options.dimension ?? 0;
  }

  /** Checks the target and opens the temporary directory beside it. */
  static async create(options: DatasetWriterOptions): Promise<DatasetWriter> {
    const parent = path.dirname(options.target);
    await mkdir(parent, { recursive: true });
    const existing = await lstat(options.target).catch(() => undefined);
    if (existing && !options.overwrite)
      throw new InputError(
        'outputDir',
        `${options.target} already exists; pass overwrite: true to replace it, or choose another name`,
      );
    if (existing) await checkReplaceable(options.target);
    const temporary = path.join(parent, `.${path.basename(options.target)}.caelum-${randomUUID()}.tmp`);
    await mkdir(path.join(temporary, 'work'), { recursive: true });
    const spill = (name: string) => Spill.create(path.join(temporary, 'work', name));
    try {
      return new DatasetWriter(
        options,
        temporary,
        await spill('vectors.f32'),
        new StringColumn(await spill('ids.txt')),
        options.hasCode ? await spill('codes.f32') : undefined,
        options.hasLabel ? new StringColumn(await spill('labels.txt')) : undefined,
        options.keepTexts && options.hasText ? new StringColumn(await spill('texts.txt')) : undefined,
      );
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw error;
    }
  }

  private skip(id: string | null, reason: SkipReason): void {
    this.skipped[reason]++;
    if (this.examples.length < 10) this.examples.push({ id: id ?? '(null)', reason });
  }

  /** Checks one row: kept (appended to the spills) or counted under its reason. */
  add(row: DatasetRow): void {
    this.rowsRead++;
    if (row.id === null || row.id === undefined) return this.skip(null, 'nullId');
    const vector = parseVectorValue(row.vector);
    if (typeof vector === 'string') return this.skip(row.id, vector);
    if (this.dimension === 0 && vector.length > 0) this.dimension = vector.length;
    if (vector.length !== this.dimension || vector.length === 0) return this.skip(row.id, 'wrongDimension');
    let code: Float32Array | undefined;
    if (this.codes) {
      const parsed = parseVectorValue(row.code);
      if (typeof parsed === 'string' || parsed.length === 0) return this.skip(row.id, 'badCode');
      if (this.codeDimension === 0) this.codeDimension = parsed.length;
      if (parsed.length !== this.codeDimension) return this.skip(row.id, 'badCode');
      code = parsed;
    }
    this.rows++;
    this.vectors.append(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
    if (code && this.codes) this.codes.append(Buffer.from(code.buffer, code.byteOffset, code.byteLength));
    this.ids.add(row.id);
    this.labels?.add(row.label ?? '');
    if (row.text !== null && row.text !== undefined && row.text !== '') this.textRows++;
    this.texts?.add(row.text ?? '');
  }

  /** Writes buffered rows to the spill files; call once per batch. */
  async flush(): Promise<void> {
    for (const spill of this.spills()) await spill.flush();
  }

  private spills(): Spill[] {
    return [this.vectors, this.ids.spill, this.codes, this.labels?.spill, this.texts?.spill].filter(
      (s): s is Spill => s !== undefined,
    );
  }

  /** Removes everything written so far; the target is untouched. */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const spill of this.spills()) await spill.abandon();
    await rm(this.temporary, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Writes the arrays, the splits, the sequences and the manifest, then moves the directory into place. */
  async finish(describe: { source: Record<string, unknown>; codeVersion: string }): Promise<WrittenDataset> {
    const { signal } = this.options;
    for (const spill of this.spills()) await spill.close();
    const n = this.rows;
    const d = this.dimension;
    if (n === 0)
      throw new InputError(
        'source',
        `no usable rows: read ${this.rowsRead}, skipped ${JSON.stringify(this.skipped)}; check the filter and the vector column`,
      );
    const createdAt = new Date();
    const rowBytes = d * 4;
    const vectorFile = this.vectors.file;
    const rowsOf = (first: number, end: number) => () =>
      readRange(vectorFile, first * rowBytes, end * rowBytes, rowBytes, signal);

    const datasetArrays: ArraySource[] = [];
    const idType = this.ids.dtype(true);
    datasetArrays.push({
      name: 'ids',
      dtype: idType,
      shape: [n],
      body: () => batched(this.ids.encoded(idType, signal)),
    });
    datasetArrays.push({ name: 'vectors', dtype: '<f4', shape: [n, d], body: rowsOf(0, n) });
    if (this.codes) {
      const codes = this.codes;
      const k = this.codeDimension;
      datasetArrays.push({
        name: 'codes',
        dtype: '<f4',
        shape: [n, k],
        body: () => readRange(codes.file, 0, n * k * 4, k * 4, signal),
      });
    }
    for (const [name, column] of [
      ['labels', this.labels],
      ['texts', this.texts],
    ] as const) {
      if (!column) continue;
      const dtype = column.dtype(false);
      datasetArrays.push({ name, dtype, shape: [n], body: () => batched(column.encoded(dtype, signal)) });
    }
    const members: Record<string, FileEntry> = {};
    const step = (file: string) => {
      signal.throwIfAborted();
      this.options.onWrite?.(file, writeSteps.indexOf(file) + 1);
    };
    step('dataset.npz');
    members['dataset.npz'] = await writeNpz(path.join(this.temporary, 'dataset.npz'), datasetArrays, createdAt, signal);

    const splits = splitRows(n);
    const bounds = {
      train: [0, splits.train],
      validation: [splits.train, splits.train + splits.validation],
      test: [splits.train + splits.validation, n],
    } as const;
    for (const split of ['train', 'validation', 'test'] as const) {
      step(`${split}.npy`);
      const [first, end] = bounds[split];
      const array: ArraySource = { name: split, dtype: '<f4', shape: [end - first, d], body: rowsOf(first, end) };
      let entry: ArrayEntry | undefined;
      const written = await writeHashed(
        arrayStream(array, signal, (e) => (entry = e)),
        path.join(this.temporary, `${split}.npy`),
        signal,
      );
      members[`${split}.npy`] = { ...written, shape: entry!.shape, dtype: '<f4' };
    }

    // Windows of `context` rows → the next row, inside each split: window i is rows i..i+N-1, target i+N.
    const N = this.options.context;
    const windows: DatasetSplits = { train: 0, validation: 0, test: 0 };
    const sequenceArrays: ArraySource[] = [];
    for (const [split, suffix] of [
      ['train', 'train'],
      ['validation', 'val'],
      ['test', 'test'],
    ] as const) {
      const [first, end] = bounds[split];
      const m = Math.max(0, end - first - N);
      windows[split] = m;
      sequenceArrays.push({
        name: `X_${suffix}`,
        dtype: '<f4',
        shape: [m, N, d],
        body: () => batched(slidingWindows(rowsOf(first, end)(), rowBytes, N)),
      });
      sequenceArrays.push({
        name: `y_${suffix}`,
        dtype: '<f4',
        shape: [m, d],
        body: rowsOf(Math.min(first + N, end), end),
      });
    }
    step('sequences.npz');
    members['sequences.npz'] = await writeNpz(
      path.join(this.temporary, 'sequences.npz'),
      sequenceArrays,
      createdAt,
      signal,
    );

    const manifest: Record<string, unknown> = {
      generator: datasetGenerator,
      name: this.options.name,
      source: describe.source,
      rows: n,
      rowsRead: this.rowsRead,
      skipped: this.skipped,
      skippedExamples: this.examples,
      dimension: d,
      ...(this.codes ? { codeDimension: this.codeDimension } : {}),
      ...(this.options.hasText ? { textRows: this.textRows, textsStored: this.texts !== undefined } : {}),
      context: N,
      splitRule: 'in order: train = floor(0.8 n), validation = floor(0.1 n), test = the rest',
      splits,
      sequences: {
        rule: 'inside each split, window i = rows i..i+context-1, target = row i+context; windows never cross a split',
        windows,
      },
      members,
      createdAt: createdAt.toISOString(),
      codeVersion: describe.codeVersion,
    };
    step('manifest.json');
    await rm(path.join(this.temporary, 'work'), { recursive: true, force: true });
    await writeFile(path.join(this.temporary, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', {
      flag: 'wx',
    });
    signal.throwIfAborted();
    await this.moveIntoPlace();
    this.closed = true;
    return {
      directory: this.options.target,
      rows: n,
      rowsRead: this.rowsRead,
      skipped: this.skipped,
      dimension: d,
      ...(this.codes ? { codeDimension: this.codeDimension } : {}),
      splits,
      windows,
      members,
      manifest,
    };
  }

  /** Renames the finished directory onto the target; an old one (overwrite) is moved aside first, then removed. */
  private async moveIntoPlace(): Promise<void> {
    const target = this.options.target;
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !this.options.overwrite)
      throw new InputError('outputDir', `${target} appeared while the dataset was written; pass overwrite: true`);
    if (!existing) {
      await rename(this.temporary, target);
      return;
    }
    await checkReplaceable(target);
    const aside = path.join(path.dirname(target), `.${path.basename(target)}.caelum-${randomUUID()}.old`);
    await rename(target, aside);
    try {
      await rename(this.temporary, target);
    } catch (error) {
      await rename(aside, target).catch(() => undefined);
      throw error;
    }
    await rm(aside, { recursive: true, force: true });
  }
}

/** From rows in order, each window of `N` consecutive rows followed by a next row, as N × rowBytes bytes. */
async function* slidingWindows(chunks: AsyncIterable<Buffer>, rowBytes: number, N: number): AsyncGenerator<Buffer> {
  const ring: Buffer[] = [];
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += rowBytes) {
      const row = Buffer.from(chunk.subarray(at, at + rowBytes));
      if (ring.length === N) yield Buffer.concat(ring, N * rowBytes);
      if (ring.length === N) ring.shift();
      ring.push(row);
    }
  }
}
