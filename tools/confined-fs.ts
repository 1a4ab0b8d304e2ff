// The one way tools read and write project files. A project is untrusted: any path in it may be a
// symbolic link out of the allowed roots, a device, a FIFO, a sparse 500 MB file, or be swapped for a
// link between a check and a use. So every access opens first and verifies the opened descriptor:
//   - the last component is opened with O_NOFOLLOW, and O_NONBLOCK so that opening a FIFO cannot block
//     the event loop; a link there is followed only when its real target lies inside the confinement
//     (a tsconfig.json linked to a shared one in the same tree), and the target is then opened by its
//     real name, so a device or FIFO outside is never even opened;
//   - fstat must say "regular file", with a size under the caller's cap;
//   - the kernel's own name for the descriptor (/proc/self/fd/N) must lie inside the confinement, so a
//     directory swapped for a link anywhere on the path is caught after the open, not before it;
//   - the bytes are read from that descriptor, so nothing can be swapped in between.
// Writes go through a descriptor of the parent directory, verified the same way: the temporary file
// and the rename are addressed through /proc/self/fd/<dir>/, so a swapped directory cannot redirect them.
// Error messages name the path and the reason, never the content.
import { constants, lstatSync, openSync, fstatSync, readSync, closeSync, readlinkSync, realpathSync } from 'node:fs';
import { open, readlink, realpath, lstat, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { InputError } from './errors.js';

const procFd = process.platform === 'linux';
const readFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const directoryFlags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_DIRECTORY;

export type ConfinedReason = 'missing' | 'outside' | 'link' | 'not-a-file' | 'too-large' | 'unreadable';

/** A refused or failed project-file access. The message names the path and why, never the bytes. */
export class ConfinedError extends Error {
  override readonly name = 'ConfinedError';
  /** The reason without the path, e.g. "is a symbolic link; links are not followed". */
  readonly detail: string;
  constructor(
    readonly reason: ConfinedReason,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.detail = message.startsWith(file) ? message.slice(file.length).trim() : message;
  }

  /** The same refusal as a caller's input error, naming the path as the caller gave it. */
  toInputError(field: string, shown: string): InputError {
    return new InputError(field, `${shown} ${this.detail}`);
  }
}

/** Turns a confined-layer refusal into an InputError for `field`; other errors pass through. */
export function asInputError(error: unknown, field: string, shown: string): unknown {
  return error instanceof ConfinedError ? error.toInputError(field, shown) : error;
}

/**
 * Directories that reads and writes must stay inside: their real paths (what the kernel reports for
 * an opened descriptor is checked against these) and the paths as given (so that a root reached
 * through a link, such as /tmp on macOS, still passes the cheap check before the open). `label`
 * names them in messages: "the allowed roots" or "the project".
 */
export class Confinement {
  private constructor(
    readonly directories: readonly string[],
    private readonly given: readonly string[],
    readonly label: string,
  ) {}

  /** Resolves each directory once; a directory that does not exist confines to nothing. */
  static async of(directories: readonly string[], label = 'the allowed roots'): Promise<Confinement> {
    const real = await Promise.all(directories.map((d) => realpath(d).catch(() => undefined)));
    const kept = directories.filter((_d, i) => real[i] !== undefined);
    return new Confinement(
      real.filter((d): d is string => d !== undefined),
      kept.map((d) => path.resolve(d)),
      label,
    );
  }

  static ofSync(directories: readonly string[], label = 'the allowed roots'): Confinement {
    const real: string[] = [];
    const kept: string[] = [];
    for (const d of directories) {
      try {
        real.push(realpathSync(d));
        kept.push(path.resolve(d));
      } catch {
        // A missing directory confines to nothing.
      }
    }
    return new Confinement(real, kept, label);
  }

  /** For directories already resolved (a project root from resolveInsideRoots): no system call. */
  static ofReal(directories: readonly string[], label = 'the project'): Confinement {
    return new Confinement([...directories], [...directories], label);
  }

  contains(real: string): boolean {
    return this.directories.some((d) => isInside(real, d));
  }

  /** Whether `candidate` lies lexically inside the confinement (before any link is resolved). */
  lexicallyContains(candidate: string): boolean {
    const resolved = path.resolve(candidate);
    return [...this.directories, ...this.given].some((d) => isInside(resolved, d));
  }
}

export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export interface ReadLimits {
  /** Refuse files larger than this (from fstat, before any byte is read). */
  maxBytes: number;
}

function errorFor(file: string, error: unknown, directory = false, verb = 'read'): ConfinedError {
  if (error instanceof ConfinedError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  // O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR; say which it is.
  if (directory && code === 'ENOTDIR') {
    let link = false;
    try {
      link = lstatSync(file).isSymbolicLink();
    } catch {
      // Gone since: reported as missing below.
    }
    if (link) return new ConfinedError('link', file, `${file} is a symbolic link; links are not followed`);
    return new ConfinedError('not-a-file', file, `${file} is not a directory`);
  }
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ConfinedError('missing', file, `${file} does not exist`);
  if (code === 'ELOOP') return new ConfinedError('link', file, `${file} is a symbolic link; links are not followed`);
  if (code === 'EISDIR') return new ConfinedError('not-a-file', file, `${file} is a directory, not a file`);
  return new ConfinedError('unreadable', file, `${file} cannot be ${verb} (${code ?? 'error'})`);
}

function outside(file: string, confinement: Confinement): ConfinedError {
  return new ConfinedError('outside', file, `${file} resolves outside ${confinement.label}; it is not read`);
}

function tooLarge(file: string, size: number, cap: number): ConfinedError {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return new ConfinedError('too-large', file, `${file} is ${mib(size)}, over the ${mib(cap)} limit; it is not read`);
}

async function descriptorPath(handle: FileHandle, fallback: string): Promise<string> {
  if (procFd) return readlink(`/proc/self/fd/${handle.fd}`);
  // Elsewhere: resolve the name, then make sure it is the file we hold open.
  const real = await realpath(fallback);
  const [held, named] = await Promise.all([handle.stat(), lstat(real)]);
  if (held.ino !== named.ino || held.dev !== named.dev)
    throw new ConfinedError('link', fallback, `${fallback} changed while it was opened`);
  return real;
}

/** Opens `file` without following a last-component link, unless that link's real target is inside. */
async function openNoEscape(file: string, confinement: Confinement): Promise<FileHandle> {
  try {
    return await open(file, readFlags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw errorFor(file, error);
  }
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    throw errorFor(file, error);
  }
  if (!confinement.contains(real)) throw outside(file, confinement);
  try {
    return await open(real, readFlags);
  } catch (error) {
    throw errorFor(file, error);
  }
}

function openNoEscapeSync(file: string, confinement: Confinement): number {
  try {
    return openSync(file, readFlags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') throw errorFor(file, error);
  }
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    throw errorFor(file, error);
  }
  if (!confinement.contains(real)) throw outside(file, confinement);
  try {
    return openSync(real, readFlags);
  } catch (error) {
    throw errorFor(file, error);
  }
}

/** Opens `file` (absolute) for reading inside the confinement and returns the verified handle and size. */
async function openVerified(
  file: string,
  confinement: Confinement,
  limits: ReadLimits,
): Promise<{ handle: FileHandle; size: number }> {
  if (!path.isAbsolute(file) || file.includes('\0'))
    throw new ConfinedError('unreadable', file, `${file} is not an absolute path`);
  if (!confinement.lexicallyContains(file)) throw outside(file, confinement);
  const handle = await openNoEscape(file, confinement);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ConfinedError('not-a-file', file, `${file} is not a regular file; it is not read`);
    if (!confinement.contains(await descriptorPath(handle, file))) throw outside(file, confinement);
    if (info.size > limits.maxBytes) throw tooLarge(file, info.size, limits.maxBytes);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw errorFor(file, error);
  }
}

/** Reads a whole file through its verified descriptor, never more than the cap. */
export async function readConfined(file: string, confinement: Confinement, limits: ReadLimits): Promise<Buffer> {
  const { handle, size } = await openVerified(file, confinement, limits);
  try {
    // One byte more than fstat said, to notice a file that grew past the cap since.
    const buffer = Buffer.allocUnsafe(Math.min(size, limits.maxBytes) + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > limits.maxBytes) throw tooLarge(file, filled, limits.maxBytes);
    return filled === size ? buffer.subarray(0, filled) : Buffer.from(buffer.subarray(0, filled));
  } finally {
    await handle.close();
  }
}

export async function readConfinedText(file: string, confinement: Confinement, limits: ReadLimits): Promise<string> {
  return (await readConfined(file, confinement, limits)).toString('utf8');
}

/** Reads at most `bytes` from the start of a verified file; `size` is the whole file's size. */
export async function readConfinedHead(
  file: string,
  confinement: Confinement,
  bytes: number,
): Promise<{ head: Buffer; size: number }> {
  const { handle, size } = await openVerified(file, confinement, { maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    const buffer = Buffer.allocUnsafe(Math.min(size, bytes));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { head: buffer.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** Reads byte ranges of one verified file (a checkpoint's header, a zip's central directory) without the rest. */
export interface ConfinedReader {
  readonly size: number;
  /** Up to `length` bytes from `offset`; fewer only at the end of the file. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** Opens `file` once inside the confinement, hands `use` positioned reads on that descriptor, then closes it. */
export async function withConfinedReader<T>(
  file: string,
  confinement: Confinement,
  use: (reader: ConfinedReader) => Promise<T>,
): Promise<T> {
  const { handle, size } = await openVerified(file, confinement, { maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    return await use({
      size,
      async read(offset, length) {
        const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      },
    });
  } finally {
    await handle.close();
  }
}

/** The same checks for the synchronous callers (TypeScript's config host). */
export function readConfinedSync(file: string, confinement: Confinement, limits: ReadLimits): Buffer {
  if (!path.isAbsolute(file) || file.includes('\0'))
    throw new ConfinedError('unreadable', file, `${file} is not an absolute path`);
  if (!confinement.lexicallyContains(file)) throw outside(file, confinement);
  const fd = openNoEscapeSync(file, confinement);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new ConfinedError('not-a-file', file, `${file} is not a regular file; it is not read`);
    const real = procFd ? readlinkSync(`/proc/self/fd/${fd}`) : realpathSync(file);
    if (!confinement.contains(real)) throw outside(file, confinement);
    if (info.size > limits.maxBytes) throw tooLarge(file, info.size, limits.maxBytes);
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (n === 0) break;
      filled += n;
    }
    if (filled > limits.maxBytes) throw tooLarge(file, filled, limits.maxBytes);
    return buffer.subarray(0, filled);
  } catch (error) {
    throw errorFor(file, error);
  } finally {
    closeSync(fd);
  }
}

/** Whether a regular file exists at `file` inside the confinement, without reading it. */
export function confinedFileExistsSync(file: string, confinement: Confinement): boolean {
  if (!path.isAbsolute(file) || file.includes('\0') || !confinement.lexicallyContains(file)) return false;
  let fd: number;
  try {
    fd = openNoEscapeSync(file, confinement);
  } catch {
    return false;
  }
  try {
    return (
      fstatSync(fd).isFile() && confinement.contains(procFd ? readlinkSync(`/proc/self/fd/${fd}`) : realpathSync(file))
    );
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Whether a regular file exists at `file` inside the confinement (links out count as absent). */
export async function confinedFileExists(file: string, confinement: Confinement): Promise<boolean> {
  try {
    const { handle } = await openVerified(file, confinement, { maxBytes: Number.MAX_SAFE_INTEGER });
    await handle.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Lists a directory through a verified descriptor: the directory itself must not be a link, and its
 * real path must lie inside the confinement, so a directory swapped for a link is not listed.
 */
export async function readConfinedDirectory(directory: string, confinement: Confinement): Promise<Dirent[]> {
  if (!confinement.lexicallyContains(directory)) throw outside(directory, confinement);
  let handle: FileHandle;
  try {
    handle = await open(directory, directoryFlags);
  } catch (error) {
    throw errorFor(directory, error, true);
  }
  try {
    if (!procFd) {
      if (!confinement.contains(await descriptorPath(handle, directory))) throw outside(directory, confinement);
      return await readdir(directory, { withFileTypes: true });
    }
    const fdPath = `/proc/self/fd/${handle.fd}`;
    if (!confinement.contains(await readlink(fdPath))) throw outside(directory, confinement);
    const entries = await readdir(fdPath, { withFileTypes: true });
    // Listed through the descriptor, which is closed below: the entries name the directory instead.
    for (const entry of entries) Object.assign(entry, { parentPath: directory, path: directory });
    return entries;
  } catch (error) {
    throw errorFor(directory, error);
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `file` atomically with `data`, inside the confinement: the parent directory is opened and
 * verified, the temporary file is created in it (O_EXCL, O_NOFOLLOW), synced, and renamed over the
 * target through the directory's descriptor. The target must be an existing regular file (or absent
 * when `create` is set); its mode is kept.
 */
export async function writeConfined(
  file: string,
  data: string | Buffer,
  confinement: Confinement,
  options: { create?: boolean } = {},
): Promise<void> {
  if (!path.isAbsolute(file) || file.includes('\0'))
    throw new ConfinedError('unreadable', file, `${file} is not an absolute path`);
  if (!confinement.lexicallyContains(file)) throw outside(file, confinement);
  const directory = path.dirname(file);
  const name = path.basename(file);
  let dir: FileHandle;
  try {
    dir = await open(directory, directoryFlags);
  } catch (error) {
    throw errorFor(directory, error, true, 'written');
  }
  try {
    const base = procFd ? `/proc/self/fd/${dir.fd}` : directory;
    if (!confinement.contains(await descriptorPath(dir, directory))) throw outside(file, confinement);
    let mode = 0o644;
    try {
      const current = await lstat(path.join(base, name));
      if (!current.isFile())
        throw new ConfinedError('not-a-file', file, `${file} is not a regular file; it is not written`);
      mode = current.mode & 0o7777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !options.create)
        throw errorFor(file, error, false, 'written');
    }
    const temporaryName = `.${name}.caelum-${randomUUID()}.tmp`;
    const temporary = path.join(base, temporaryName);
    const handle = await open(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await removeQuietly(temporary);
      throw errorFor(file, error, false, 'written');
    }
    await handle.close();
    try {
      await rename(temporary, path.join(base, name));
    } catch (error) {
      await removeQuietly(temporary);
      throw errorFor(file, error, false, 'written');
    }
  } catch (error) {
    throw errorFor(file, error, false, 'written');
  } finally {
    await dir.close();
  }
}

async function removeQuietly(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => undefined);
}

/** Caps for the project files Caelum reads whole. */
export const fileCaps = {
  /** Source files analysed. */
  source: 2 * 1024 * 1024,
  /** package.json, tsconfig.json, .gitignore and other small configuration. */
  config: 8 * 1024 * 1024,
  /** Lockfiles and reports (coverage, test results), which can be large in big monorepos. */
  large: 64 * 1024 * 1024,
} as const;

/** Reads `relative` (or an absolute path) inside the project `root`, which must already be a real path. */
export function readProjectText(root: string, relative: string, maxBytes: number = fileCaps.config): Promise<string> {
  return readConfinedText(path.resolve(root, relative), Confinement.ofReal([root]), { maxBytes });
}

export function readProjectTextSync(root: string, relative: string, maxBytes: number = fileCaps.config): string {
  return readConfinedSync(path.resolve(root, relative), Confinement.ofReal([root]), { maxBytes }).toString('utf8');
}

/** Reads and parses a JSON file inside the project; errors never quote the file. */
export async function readProjectJson<T>(
  root: string,
  relative: string,
  maxBytes: number = fileCaps.config,
): Promise<T> {
  return parseJsonFile<T>(await readProjectText(root, relative, maxBytes), relative);
}

/** JSON.parse whose error names the file and the position, not the text (V8 quotes the first bytes). */
export function parseJsonFile<T>(text: string, file: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ConfinedError(
      'unreadable',
      file,
      `${file} is not valid JSON${position ? ` (at character ${position})` : ''}`,
    );
  }
}
