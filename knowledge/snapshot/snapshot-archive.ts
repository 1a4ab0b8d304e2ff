// The snapshot file: kb_snapshot_YYYYMMDD.tar.gz holding manifest.json and the data files. The
// manifest records the schema version, creation time, counts, sources with their fetch times, a
// sha256 per file, the code version, the config hash and the time of every phase. Writing goes
// through a temp file and a rename; verifying re-hashes every member against the manifest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import type { Coverage } from './coverage.js';

export const snapshotSchemaVersion = 1;
export const snapshotPattern = /^kb_snapshot_(\d{8})(?:-(\d+))?\.tar\.gz$/;

/** What a sample snapshot is, in its manifest: the label, the tasks it covers and their recordings. */
export interface SampleLabel {
  label: string;
  tasks: string[];
  recordings: {
    id: string;
    provider: string;
    stat: string;
    countries: string[];
    recordedAt: string;
    /** The requests as they were recorded. */
    requests: string[];
    files: { file: string; sha256: string }[];
    source: Record<string, string>;
  }[];
  notShipped: { file: string; would: string; reason: string }[];
}

export interface SnapshotManifest {
  schemaVersion: number;
  name: string;
  buildId: string;
  createdAt: string;
  codeVersion: string;
  configHash: string;
  catalogueHash: string;
  window: { startYear: number; endYear: number };
  mode: { offline: boolean; skipIngestion: boolean; skipLlm: boolean };
  /** What share of each phase came back; absent in snapshots built before coverage was recorded. */
  coverage?: Coverage;
  counts: Record<string, number>;
  sources: Record<
    string,
    { enabled: boolean; note?: string; requests: number; rows: number; firstFetchedAt?: string; lastFetchedAt?: string }
  >;
  files: Record<string, { sha256: string; bytes: number }>;
  /** Present on a sample snapshot (built from shipped recordings, not from the providers). */
  sample?: SampleLabel;
  timingsMs: Record<string, number>;
  notes: string[];
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** A file's sha256 and size, streamed. */
export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Writes the files and the manifest into a tar.gz at `target` (atomically). */
export async function writeSnapshot(
  target: string,
  files: Record<string, string>,
  manifest: Omit<SnapshotManifest, 'files'>,
): Promise<SnapshotManifest> {
  const staging = await mkdtemp(path.join(path.dirname(target), '.staging-'));
  try {
    const entries: SnapshotManifest['files'] = {};
    for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
      await writeFile(path.join(staging, name), content);
      entries[name] = { sha256: sha256(content), bytes: Buffer.byteLength(content) };
    }
    const full: SnapshotManifest = { ...manifest, files: entries };
    await writeFile(path.join(staging, 'manifest.json'), JSON.stringify(full, null, 2));
    const temp = `${target}.${process.pid}.tmp`;
    await tar.create(
      { gzip: { level: 6 }, file: temp, cwd: staging, portable: true, mtime: new Date(manifest.createdAt) },
      ['manifest.json', ...Object.keys(entries)],
    );
    await rename(temp, target);
    return full;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Budgets of reading a snapshot: a member over `maxMemberBytes` (by its tar header, before any
 * byte of it is buffered) refuses the archive, and so do more than `maxTotalBytes` of kept members.
 * A snapshot can be planted in the data dir, and the archive is gzip: 1 MiB can inflate to 1 GiB.
 */
export interface SnapshotReadLimits {
  maxMemberBytes: number;
  maxTotalBytes: number;
}

export const defaultSnapshotReadLimits: SnapshotReadLimits = {
  maxMemberBytes: 256 * 2 ** 20,
  maxTotalBytes: 768 * 2 ** 20,
};

export class SnapshotTooLargeError extends Error {
  override readonly name = 'SnapshotTooLargeError';
}

interface ScanResult {
  /** The kept members' content. */
  members: Map<string, Buffer>;
  /** Every member's digest and size, hashed while streaming. */
  digests: Map<string, { sha256: string; bytes: number }>;
}

const memberName = (entryPath: string) => entryPath.replace(/^\.\//, '');

interface ScanOptions {
  /** Whether to buffer a member. */
  keep: (name: string) => boolean;
  /** Hash every member (verify), refusing any over the limit; otherwise members not kept are skipped. */
  hashAll: boolean;
  /** Stop once these members have been read. */
  stopAfter?: ReadonlySet<string>;
}

/**
 * Streams the archive once, buffering only the members `keep` names. Stops reading at the first
 * member over the limits, with a SnapshotTooLargeError naming it.
 */
async function scanSnapshot(file: string, options: ScanOptions, limits: SnapshotReadLimits): Promise<ScanResult> {
  const members = new Map<string, Buffer>();
  const digests = new Map<string, { sha256: string; bytes: number }>();
  let kept = 0;
  let refused: SnapshotTooLargeError | undefined;
  let finished = false;
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const parser = new tar.Parser({
    onReadEntry(entry) {
      const name = memberName(entry.path);
      if (refused || finished || entry.type !== 'File') return entry.resume();
      const buffering = options.keep(name);
      if (!buffering && !options.hashAll) return entry.resume();
      if (entry.size > limits.maxMemberBytes) {
        refused = new SnapshotTooLargeError(
          `${name} is ${mib(entry.size)}, over the ${mib(limits.maxMemberBytes)} limit of one snapshot member`,
        );
        return entry.resume();
      }
      if (buffering && kept + entry.size > limits.maxTotalBytes) {
        refused = new SnapshotTooLargeError(
          `the snapshot's members pass ${mib(limits.maxTotalBytes)} at ${name}, over the limit of one read`,
        );
        return entry.resume();
      }
      if (buffering) kept += entry.size;
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let bytes = 0;
      entry.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (buffering) chunks.push(chunk);
      });
      entry.on('end', () => {
        digests.set(name, { sha256: hash.digest('hex'), bytes });
        if (buffering) members.set(name, Buffer.concat(chunks));
        if (options.stopAfter && [...options.stopAfter].every((wanted) => members.has(wanted))) finished = true;
      });
    },
  });
  const ended = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', () => resolve());
  });
  ended.catch(() => undefined); // awaited below; a parse error must not go unhandled meanwhile
  // Small reads: one gzip chunk can inflate about a thousandfold before the entry sees it.
  const stream = createReadStream(file, { highWaterMark: 16 * 1024 });
  try {
    for await (const chunk of stream) {
      if (refused || finished) break;
      parser.write(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  if (refused) throw refused;
  if (finished) return { members, digests };
  parser.end();
  await ended;
  return { members, digests };
}

/**
 * The members of a snapshot, in memory: all of them, or only `names` (reading stops once they are
 * in). Other members are skipped whatever their size; a kept one past the limits throws a
 * SnapshotTooLargeError before it is buffered.
 */
export async function readSnapshot(
  file: string,
  names?: readonly string[],
  limits: SnapshotReadLimits = defaultSnapshotReadLimits,
): Promise<Map<string, Buffer>> {
  const wanted = names ? new Set(names) : undefined;
  const keep = (name: string) => !wanted || wanted.has(name);
  return (await scanSnapshot(file, { keep, hashAll: false, ...(wanted ? { stopAfter: wanted } : {}) }, limits)).members;
}

/** The manifest alone: the archive is streamed, and only manifest.json is kept. */
export async function readSnapshotManifest(file: string): Promise<SnapshotManifest> {
  const raw = (await readSnapshot(file, ['manifest.json'])).get('manifest.json');
  if (!raw) throw new Error(`${path.basename(file)} has no manifest.json`);
  return JSON.parse(raw.toString('utf8')) as SnapshotManifest;
}

export interface VerifyReport {
  file: string;
  ok: boolean;
  problems: string[];
  checked: number;
  manifest?: SnapshotManifest;
}

/** Re-hashes every member against the manifest, streaming: only the JSON members are held, to parse them. */
export async function verifySnapshot(
  file: string,
  limits: SnapshotReadLimits = defaultSnapshotReadLimits,
): Promise<VerifyReport> {
  const problems: string[] = [];
  let scan: ScanResult;
  try {
    scan = await scanSnapshot(file, { keep: (name) => name.endsWith('.json'), hashAll: true }, limits);
  } catch (error) {
    const refused = error instanceof SnapshotTooLargeError ? 'refused: ' : 'cannot read the archive: ';
    return { file, ok: false, problems: [`${refused}${(error as Error).message}`], checked: 0 };
  }
  const { members, digests } = scan;
  const raw = members.get('manifest.json');
  if (!raw) return { file, ok: false, problems: ['manifest.json is missing'], checked: 0 };
  let manifest: SnapshotManifest;
  try {
    manifest = JSON.parse(raw.toString('utf8')) as SnapshotManifest;
  } catch (error) {
    return { file, ok: false, problems: [`manifest.json is not JSON: ${(error as Error).message}`], checked: 0 };
  }
  if (manifest.schemaVersion !== snapshotSchemaVersion)
    problems.push(`schema version ${manifest.schemaVersion}; this Caelum reads ${snapshotSchemaVersion}`);
  let checked = 0;
  for (const [name, expected] of Object.entries(manifest.files ?? {})) {
    const digest = digests.get(name);
    if (!digest) {
      problems.push(`${name} is listed in the manifest but missing from the archive`);
      continue;
    }
    checked++;
    if (digest.bytes !== expected.bytes)
      problems.push(`${name}: ${digest.bytes} bytes, the manifest says ${expected.bytes}`);
    if (digest.sha256 !== expected.sha256)
      problems.push(
        `${name}: sha256 ${digest.sha256.slice(0, 16)}…, the manifest says ${String(expected.sha256).slice(0, 16)}…`,
      );
    const content = members.get(name);
    if (content) {
      try {
        JSON.parse(content.toString('utf8'));
      } catch {
        problems.push(`${name} is not valid JSON`);
      }
    }
  }
  for (const name of digests.keys())
    if (name !== 'manifest.json' && !manifest.files?.[name])
      problems.push(`${name} is in the archive but not in the manifest`);
  return { file, ok: problems.length === 0, problems, checked, manifest };
}

export interface SnapshotInfo {
  name: string;
  file: string;
  date: string;
  bytes: number;
}

/** Snapshots in a directory, oldest first (by date in the name, then sequence). */
export async function listSnapshots(directory: string): Promise<SnapshotInfo[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: (SnapshotInfo & { sequence: number })[] = [];
  for (const name of names) {
    const match = snapshotPattern.exec(name);
    if (!match) continue;
    const file = path.join(directory, name);
    // A snapshot removed between readdir and stat (pruned, or its data dir deleted) is not listed.
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!info) continue;
    found.push({
      name,
      file,
      date: `${match[1]!.slice(0, 4)}-${match[1]!.slice(4, 6)}-${match[1]!.slice(6)}`,
      bytes: info.size,
      sequence: Number(match[2] ?? 1),
    });
  }
  found.sort((a, b) => a.date.localeCompare(b.date) || a.sequence - b.sequence);
  return found.map(({ sequence: _sequence, ...info }) => info);
}

/** The index of a snapshot named with or without `.tar.gz`, or -1. */
export function snapshotIndex(snapshots: readonly SnapshotInfo[], name: string): number {
  return snapshots.findIndex((s) => s.name === name || s.name === `${name}.tar.gz`);
}

/** kb_snapshot_YYYYMMDD.tar.gz, or -2, -3… when that day already has one. */
export async function nextSnapshotName(directory: string, date: Date): Promise<string> {
  const day = date.toISOString().slice(0, 10).replace(/-/g, '');
  const taken = new Set((await listSnapshots(directory)).map((s) => s.name));
  let name = `kb_snapshot_${day}.tar.gz`;
  for (let n = 2; taken.has(name); n++) name = `kb_snapshot_${day}-${n}.tar.gz`;
  return name;
}
