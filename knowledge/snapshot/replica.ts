// Sharing knowledge snapshots between Caelum instances. One instance publishes a snapshot to a shared
// location (a directory on a shared file system, or a plain HTTP server that takes PUT and answers
// GET): the tarball first, under a temp name then renamed, and then the pointer `latest.json`, so a
// reader that sees the pointer always finds the whole tarball behind it. Every instance configured
// as a replica polls the pointer; when it names a snapshot the local graph does not serve, it
// downloads it into its own data dir under a size cap and a deadline, checks the pointer's sha256 and
// the archive's own manifest, and only then publishes it into the local graph in one transaction
// (publish.ts). A failed download or a bad checksum leaves the current graph serving, and is said.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GraphStore } from '../graph/graph-store.js';
import { writeFileAtomic } from './atomic-file.js';
import { graphSource, publishSnapshot } from './publish.js';
import {
  defaultSnapshotReadLimits,
  readSnapshotManifest,
  sha256File,
  snapshotPattern,
  verifySnapshot,
  type SnapshotReadLimits,
} from './snapshot-archive.js';

export const pointerName = 'latest.json';

/** Where snapshots are shared: a directory, or the base URL of a plain GET/PUT HTTP server. */
export type SnapshotLocation = { kind: 'dir'; path: string } | { kind: 'http'; url: string };

/** The pointer a publisher writes next to the tarballs. */
export interface LatestPointer {
  name: string;
  sha256: string;
  bytes: number;
  createdAt: string;
  publishedAt: string;
  /** The instance that published it: host name and process id. */
  publishedBy: string;
}

export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}

/** An absolute directory or an http(s) URL; anything else is refused with the two forms it takes. */
export function parseLocation(value: string): SnapshotLocation {
  const text = value.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new ReplicaError(`${text} is not a valid URL`);
    }
    return { kind: 'http', url: text.replace(/\/+$/, '') };
  }
  if (path.isAbsolute(text)) return { kind: 'dir', path: path.resolve(text) };
  throw new ReplicaError(
    `${text}: a snapshot location is an absolute directory (/mnt/shared/caelum-kb) or an http(s) URL (http://files.internal/caelum-kb)`,
  );
}

/** The location as it may be shown: a URL loses any user and password it carries. */
export function describeLocation(location: SnapshotLocation): string {
  if (location.kind === 'dir') return location.path;
  const url = new URL(location.url);
  url.username = '';
  url.password = '';
  url.search = '';
  return url.toString().replace(/\/+$/, '');
}

const objectUrl = (location: { url: string }, name: string) => `${location.url}/${encodeURIComponent(name)}`;

/** The instance a pointer names as its publisher. */
export const instanceName = () => `${hostname()}:${process.pid}`;

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The rename is durable only once the directory itself is synced; some file systems refuse, which is no loss. */
async function fsyncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (some network file systems): the rename itself is still atomic.
  }
}

const deadline = (timeoutMs: number, signal?: AbortSignal) =>
  signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);

async function httpPut(
  url: string,
  body: string | ReadableStream,
  headers: Record<string, string>,
  signal: AbortSignal,
) {
  const response = await fetch(url, {
    method: 'PUT',
    body,
    headers,
    signal,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  await response.body?.cancel();
  if (!response.ok) throw new ReplicaError(`PUT ${url.replace(/\?.*$/, '')}: HTTP ${response.status}`);
}

export interface PublishOptions {
  publishedBy?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  now?: () => Date;
}

/**
 * Copies a snapshot to the shared location and points latest.json at it. The tarball goes first
 * (temp name, fsync, rename), the pointer second, so the pointer never names a partial file.
 */
export async function publishToLocation(
  file: string,
  location: SnapshotLocation,
  options: PublishOptions = {},
): Promise<LatestPointer> {
  const name = path.basename(file);
  if (!snapshotPattern.test(name))
    throw new ReplicaError(`${name} is not a snapshot file name (kb_snapshot_YYYYMMDD.tar.gz)`);
  const manifest = await readSnapshotManifest(file);
  const { sha256, bytes } = await sha256File(file);
  const signal = deadline(options.timeoutMs ?? 300_000, options.signal);
  const pointer: LatestPointer = {
    name,
    sha256,
    bytes,
    createdAt: manifest.createdAt,
    publishedAt: (options.now?.() ?? new Date()).toISOString(),
    publishedBy: options.publishedBy ?? instanceName(),
  };
  if (location.kind === 'dir') {
    await mkdir(location.path, { recursive: true });
    const target = path.join(location.path, name);
    const already = await stat(target).then(
      () => sha256File(target),
      () => undefined,
    );
    if (already?.sha256 !== sha256) {
      const temp = path.join(location.path, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await pipeline(createReadStream(file), createWriteStream(temp, { flags: 'wx' }), { signal });
        await fsyncFile(temp);
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    }
    await writeFileAtomic(path.join(location.path, pointerName), JSON.stringify(pointer, null, 2));
    await fsyncDirectory(location.path);
    return pointer;
  }
  const body = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream;
  await httpPut(
    objectUrl(location, name),
    body,
    { 'content-type': 'application/gzip', 'content-length': String(bytes) },
    signal,
  );
  await httpPut(
    objectUrl(location, pointerName),
    JSON.stringify(pointer, null, 2),
    { 'content-type': 'application/json' },
    signal,
  );
  return pointer;
}

/** A pointer as read from a location nobody here controls: every field checked before it is used. */
function checkPointer(value: unknown, where: string): LatestPointer {
  const p = value as Partial<LatestPointer> | null;
  const problems: string[] = [];
  if (!p || typeof p !== 'object') throw new ReplicaError(`${where} is not a JSON object`);
  // The name becomes a local file name: only a snapshot name, never a path, is taken.
  if (typeof p.name !== 'string' || !snapshotPattern.test(p.name))
    problems.push('name is not kb_snapshot_YYYYMMDD[-n].tar.gz');
  if (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)) problems.push('sha256 is not 64 hex digits');
  if (typeof p.bytes !== 'number' || !Number.isSafeInteger(p.bytes) || p.bytes <= 0)
    problems.push('bytes is not a positive integer');
  if (typeof p.publishedAt !== 'string' || Number.isNaN(Date.parse(p.publishedAt)))
    problems.push('publishedAt is not a date');
  if (problems.length) throw new ReplicaError(`${where}: ${problems.join('; ')}`);
  return {
    name: p.name!,
    sha256: p.sha256!,
    bytes: p.bytes!,
    createdAt: typeof p.createdAt === 'string' ? p.createdAt : '',
    publishedAt: p.publishedAt!,
    publishedBy: typeof p.publishedBy === 'string' ? p.publishedBy.slice(0, 200) : 'unknown',
  };
}

const pointerLimit = 64 * 1024;

/** A response body of at most `cap` bytes, read as it streams; undefined (and the rest left unread) past it. */
async function readCapped(response: Response, cap: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > cap) {
    await response.body?.cancel();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > cap) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The pointer at the location, or undefined when nothing has been published there yet. */
export async function readLatest(
  location: SnapshotLocation,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<LatestPointer | undefined> {
  const where = `${describeLocation(location)}/${pointerName}`;
  let text: string;
  if (location.kind === 'dir') {
    try {
      const info = await stat(path.join(location.path, pointerName));
      if (info.size > pointerLimit)
        throw new ReplicaError(`${where} is ${info.size} bytes; a pointer is a few hundred`);
      text = await readFile(path.join(location.path, pointerName), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  } else {
    const response = await fetch(objectUrl(location, pointerName), {
      signal: deadline(options.timeoutMs ?? 10_000, options.signal),
      headers: { accept: 'application/json' },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ReplicaError(`GET ${where}: HTTP ${response.status}`);
    }
    const raw = await readCapped(response, pointerLimit);
    if (!raw) throw new ReplicaError(`${where} is over ${pointerLimit} bytes; a pointer is a few hundred`);
    text = raw.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReplicaError(`${where} is not JSON: ${(error as Error).message}`);
  }
  return checkPointer(parsed, where);
}

export interface DownloadOptions {
  limits?: SnapshotReadLimits;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * A free local name for a downloaded snapshot: its own name, unless this instance already holds a
 * different file by that name (its own build of the same day), which is never overwritten.
 */
async function localName(directory: string, pointer: LatestPointer): Promise<{ file: string; have: boolean }> {
  const match = snapshotPattern.exec(pointer.name)!;
  for (let n = Number(match[2] ?? 1); n < 1000; n++) {
    const name = n === 1 ? `kb_snapshot_${match[1]}.tar.gz` : `kb_snapshot_${match[1]}-${n}.tar.gz`;
    const file = path.join(directory, name);
    const info = await stat(file).catch(() => undefined);
    if (!info) return { file, have: false };
    if (info.size === pointer.bytes && (await sha256File(file)).sha256 === pointer.sha256) return { file, have: true };
  }
  throw new ReplicaError(`no free local name for ${pointer.name} in ${directory}`);
}

/**
 * Downloads the snapshot a pointer names into `directory` and checks it: size (never more than the
 * pointer says, nor than the read budget), sha256 against the pointer, then every member against the
 * archive's manifest. Only a file that passes is renamed into place; anything else is removed.
 */
export async function downloadSnapshot(
  location: SnapshotLocation,
  pointer: LatestPointer,
  directory: string,
  options: DownloadOptions = {},
): Promise<string> {
  const limits = options.limits ?? defaultSnapshotReadLimits;
  const where = `${describeLocation(location)}/${pointer.name}`;
  // The archive is gzip of at most maxTotalBytes of members: a larger tarball cannot be read anyway.
  if (pointer.bytes > limits.maxTotalBytes)
    throw new ReplicaError(`${where} is ${pointer.bytes} bytes, over the ${limits.maxTotalBytes}-byte snapshot budget`);
  await mkdir(directory, { recursive: true });
  const local = await localName(directory, pointer);
  if (local.have) return local.file;
  const signal = deadline(options.timeoutMs ?? 300_000, options.signal);
  const temp = path.join(directory, `.replica-${pointer.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    let source: Readable;
    if (location.kind === 'dir') {
      source = createReadStream(path.join(location.path, pointer.name));
    } else {
      const response = await fetch(objectUrl(location, pointer.name), { signal });
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new ReplicaError(`GET ${where}: HTTP ${response.status}`);
      }
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (Number.isFinite(length) && length !== pointer.bytes) {
        await response.body.cancel();
        throw new ReplicaError(`${where}: the server sends ${length} bytes, latest.json says ${pointer.bytes}`);
      }
      source = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
    }
    const hash = createHash('sha256');
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > pointer.bytes)
          return callback(new ReplicaError(`${where} is longer than the ${pointer.bytes} bytes latest.json says`));
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(source, count, createWriteStream(temp, { flags: 'wx' }), { signal });
    const sha256 = hash.digest('hex');
    if (bytes !== pointer.bytes)
      throw new ReplicaError(`${where}: ${bytes} bytes arrived, latest.json says ${pointer.bytes}`);
    if (sha256 !== pointer.sha256)
      throw new ReplicaError(
        `${where}: sha256 ${sha256.slice(0, 16)}…, latest.json says ${pointer.sha256.slice(0, 16)}…; refused`,
      );
    const report = await verifySnapshot(temp, limits);
    if (!report.ok) throw new ReplicaError(`${where} failed verification: ${report.problems.slice(0, 3).join('; ')}`);
    await fsyncFile(temp);
    await rename(temp, local.file);
    return local.file;
  } catch (error) {
    await rm(temp, { force: true });
    if (signal.aborted && !(error instanceof ReplicaError))
      throw new ReplicaError(
        `${where}: download stopped (${signal.reason instanceof Error ? signal.reason.message : 'aborted'})`,
      );
    throw error;
  }
}

export interface ReplicaStatus {
  /** The shared location, without credentials. */
  location: string;
  pollSeconds: number;
  lastPollAt?: string;
  /** The last poll's or load's failure; cleared by the next good poll. */
  lastError?: string;
  lastErrorAt?: string;
  /** What this replica loaded from the location (since start, or found in the graph at start). */
  serving?: { name: string; sha256: string; loadedAt: string; publishedBy?: string };
  /** The last load: from the pointer's publishedAt to the graph serving it, and the download alone. */
  lastLoad?: { name: string; publishToServingMs: number; downloadMs: number; loadMs: number };
}

export interface ReplicaOptions {
  location: SnapshotLocation;
  pollMs: number;
  /** <dataDir>/kb/snapshots. */
  directory: string;
  graph: () => Promise<GraphStore>;
  log: (level: 'info' | 'warn', event: string, fields: Record<string, unknown>) => void;
  timeoutMs?: number;
  limits?: SnapshotReadLimits;
}

/**
 * Polls a location's latest.json and loads what it names into the local graph. One poll at a time,
 * on an unref'd timer, so it never holds the process open nor piles up behind a slow location; a
 * pointer that failed is retried with a backoff (pollMs doubling, at most ten minutes) until it changes.
 */
export class ReplicaPoller {
  private readonly state: ReplicaStatus;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closed = false;
  /** The poll in progress, which close() stops: one per poll, so no listener piles up on a long-lived signal. */
  private controller = new AbortController();
  private failed: { sha256: string; count: number; retryAt: number } | undefined;
  private swept = false;

  constructor(private readonly options: ReplicaOptions) {
    this.state = { location: describeLocation(options.location), pollSeconds: options.pollMs / 1000 };
  }

  start(): void {
    this.schedule(0);
  }

  status(): ReplicaStatus {
    return structuredClone(this.state);
  }

  private schedule(delay: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.poll().finally(() => {
        this.running = undefined;
        this.schedule(this.options.pollMs);
      });
    }, delay);
    this.timer.unref();
  }

  /** One poll: read the pointer and load what it names when it is new. Never throws. */
  async poll(): Promise<'none' | 'unchanged' | 'loaded' | 'waiting' | 'failed'> {
    const timeoutMs = this.options.timeoutMs ?? 300_000;
    let pointer: LatestPointer | undefined;
    this.controller = new AbortController();
    this.state.lastPollAt = new Date().toISOString();
    try {
      if (!this.swept) await this.sweep();
      pointer = await readLatest(this.options.location, {
        timeoutMs: Math.min(timeoutMs, 30_000),
        signal: this.controller.signal,
      });
      if (!pointer) return this.clean('none');
      // The graph's own record says what it serves: after a restart nothing is downloaded again, and a
      // snapshot restored here by hand is replaced by the shared one at the next poll.
      const graph = await this.options.graph();
      const source = await graphSource(graph);
      if (source?.sha256 === pointer.sha256) {
        this.state.serving ??= { name: source.snapshot, sha256: source.sha256, loadedAt: source.publishedAt };
        return this.clean('unchanged');
      }
      if (this.failed?.sha256 === pointer.sha256 && Date.now() < this.failed.retryAt) return 'waiting';
      const started = performance.now();
      const file = await downloadSnapshot(this.options.location, pointer, this.options.directory, {
        timeoutMs,
        signal: this.controller.signal,
        ...(this.options.limits ? { limits: this.options.limits } : {}),
      });
      const downloaded = performance.now();
      if (this.closed) return 'failed';
      const loadedAt = new Date().toISOString();
      const result = await publishSnapshot(graph, file, loadedAt, {
        sha256: pointer.sha256,
        replicaOf: this.state.location,
      });
      const lag = Date.now() - Date.parse(pointer.publishedAt);
      this.state.serving = {
        name: result.source.snapshot,
        sha256: pointer.sha256,
        loadedAt,
        publishedBy: pointer.publishedBy,
      };
      this.state.lastLoad = {
        name: pointer.name,
        publishToServingMs: lag,
        downloadMs: Math.round(downloaded - started),
        loadMs: Math.round(performance.now() - downloaded),
      };
      this.failed = undefined;
      this.options.log('info', 'kb_replica_loaded', {
        snapshot: pointer.name,
        sha256: pointer.sha256,
        from: this.state.location,
        publishedBy: pointer.publishedBy,
        rows: result.rows,
        ...this.state.lastLoad,
      });
      return this.clean('loaded');
    } catch (error) {
      if (this.closed) return 'failed';
      const message = (error as Error).message;
      this.state.lastError = message;
      this.state.lastErrorAt = new Date().toISOString();
      if (pointer) {
        const count = this.failed?.sha256 === pointer.sha256 ? this.failed.count + 1 : 1;
        const backoff = Math.min(this.options.pollMs * 2 ** (count - 1), 600_000);
        this.failed = { sha256: pointer.sha256, count, retryAt: Date.now() + backoff };
      }
      this.options.log('warn', 'kb_replica_failed', {
        from: this.state.location,
        error: message,
        serving: this.state.serving?.name ?? null,
      });
      return 'failed';
    }
  }

  /** Downloads a killed process left half-written: removed once, before this poller's first download. */
  private async sweep(): Promise<void> {
    this.swept = true;
    const names = await readdir(this.options.directory).catch(() => [] as string[]);
    for (const name of names) {
      const owner = /^\.replica-.+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1];
      if (owner && Number(owner) !== process.pid) await rm(path.join(this.options.directory, name), { force: true });
    }
  }

  private clean<T>(outcome: T): T {
    delete this.state.lastError;
    delete this.state.lastErrorAt;
    return outcome;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller.abort();
    await this.running?.catch(() => undefined);
  }
}
