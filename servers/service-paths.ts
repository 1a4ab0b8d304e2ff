// Where the one Caelum service of a data dir is found: its Unix socket (mode 0600), its log, and
// the names of two kernel-held locks. The locks are Linux abstract sockets, which the kernel frees
// when their holder dies, so a `kill -9` never leaves a stale lock behind.
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** sun_path holds 108 bytes; leave room for the terminator. */
const maxSocketPathBytes = 100;

export interface ServicePaths {
  dataDir: string;
  /** The Unix socket front-ends connect to. */
  socket: string;
  /** Held by the running service for its whole life: one service per data dir. */
  serviceLock: string;
  /** Held by the front-end that is starting a service, so ten front-ends spawn one. */
  startLock: string;
  /** The detached service's stdout and stderr. */
  log: string;
}

function userId(): string {
  return typeof process.getuid === 'function' ? String(process.getuid()) : os.userInfo().username;
}

export function servicePaths(dataDir: string): ServicePaths {
  const absolute = path.resolve(dataDir);
  const key = createHash('sha256').update(absolute).digest('hex').slice(0, 16);
  let socket = path.join(absolute, 'caelum.sock');
  if (Buffer.byteLength(socket) > maxSocketPathBytes) {
    // A deep data dir cannot hold the socket itself; a private directory under the temp dir can.
    const directory = path.join(os.tmpdir(), `caelum-${userId()}`);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    socket = path.join(directory, `${key}.sock`);
  }
  return {
    dataDir: absolute,
    socket,
    serviceLock: `\0caelum-service-${userId()}-${key}`,
    startLock: `\0caelum-start-${userId()}-${key}`,
    log: path.join(absolute, 'service.log'),
  };
}

/** Abstract socket names exist on Linux only; elsewhere the socket file alone decides. */
export const kernelLocks = process.platform === 'linux';

const maxLogBytes = 10 * 1024 * 1024;

/** Keeps the detached service's log from growing without end: one old generation is kept. */
export function rotateLog(file: string): void {
  try {
    if (statSync(file).size > maxLogBytes) renameSync(file, `${file}.1`);
  } catch {
    // No log yet.
  }
}
