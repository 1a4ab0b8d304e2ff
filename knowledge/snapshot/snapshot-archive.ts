// The snapshot file: kb_snapshot_YYYYMMDD.tar.gz holding manifest.json and the data files. The
// manifest records the schema version, creation time, counts, sources with their fetch times, a
// sha256 per file, the code version, the config hash and the time of every phase. Writing goes
// through a temp file and a rename; verifying re-hashes every member against the manifest.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';

export const snapshotSchemaVersion = 1;
export const snapshotPattern = /^kb_snapshot_(\d{8})(?:-(\d+))?\.tar\.gz$/;

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
  counts: Record<string, number>;
  sources: Record<
    string,
    { enabled: boolean; note?: string; requests: number; rows: number; firstFetchedAt?: string; lastFetchedAt?: string }
  >;
  files: Record<string, { sha256: string; bytes: number }>;
  timingsMs: Record<string, number>;
  notes: string[];
}

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

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

/** Every member of a snapshot, in memory. */
export async function readSnapshot(file: string): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  await tar.t({
    file,
    onReadEntry(entry) {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => members.set(entry.path.replace(/^\.\//, ''), Buffer.concat(chunks)));
    },
  });
  return members;
}

/** The manifest alone: the archive is streamed, and only manifest.json is kept. */
export async function readSnapshotManifest(file: string): Promise<SnapshotManifest> {
  const chunks: Buffer[] = [];
  await tar.t({
    file,
    filter: (member) => member.replace(/^\.\//, '') === 'manifest.json',
    onReadEntry(entry) {
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
    },
  });
  if (chunks.length === 0) throw new Error(`${path.basename(file)} has no manifest.json`);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnapshotManifest;
}

export interface VerifyReport {
  file: string;
  ok: boolean;
  problems: string[];
  checked: number;
  manifest?: SnapshotManifest;
}

export async function verifySnapshot(file: string): Promise<VerifyReport> {
  const problems: string[] = [];
  let members: Map<string, Buffer>;
  try {
    members = await readSnapshot(file);
  } catch (error) {
    return { file, ok: false, problems: [`cannot read the archive: ${(error as Error).message}`], checked: 0 };
  }
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
    const content = members.get(name);
    if (!content) {
      problems.push(`${name} is listed in the manifest but missing from the archive`);
      continue;
    }
    checked++;
    if (content.length !== expected.bytes)
      problems.push(`${name}: ${content.length} bytes, the manifest says ${expected.bytes}`);
    const actual = sha256(content);
    if (actual !== expected.sha256)
      problems.push(`${name}: sha256 ${actual.slice(0, 16)}…, the manifest says ${expected.sha256.slice(0, 16)}…`);
    if (name.endsWith('.json')) {
      try {
        JSON.parse(content.toString('utf8'));
      } catch {
        problems.push(`${name} is not valid JSON`);
      }
    }
  }
  for (const name of members.keys())
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
    found.push({
      name,
      file,
      date: `${match[1]!.slice(0, 4)}-${match[1]!.slice(4, 6)}-${match[1]!.slice(6)}`,
      bytes: (await stat(file)).size,
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
