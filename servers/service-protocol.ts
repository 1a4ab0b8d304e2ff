// The few lines a front-end and the service exchange before MCP flows, and the build identity that
// keeps a front-end from talking past a service built from other code.
import { statSync } from 'node:fs';
import { caelumVersion } from './version.js';

/** The first line a front-end sends: who it is and the roots its session may read. */
export interface Hello {
  caelum: 'hello';
  build: string;
  pid: number;
  allowedRoots: string[];
  testRunsAllowed: string[];
}

/** The service's answer to a hello. */
export type Welcome =
  | { caelum: 'welcome'; build: string; pid: number; sessions: number; mismatch?: string }
  | { caelum: 'restarting'; reason: string };

export type ControlOp = 'status' | 'stop' | 'http';

export interface ControlRequest {
  caelum: 'control';
  op: ControlOp;
  force?: boolean;
  /** For op http: where to listen, and the roots its clients may read. */
  host?: string;
  port?: number;
  allowedRoots?: string[];
}

export interface ServiceStatus {
  pid: number;
  build: string;
  version: string;
  startedAt: string;
  uptimeS: number;
  socket: string;
  dataDir: string;
  sessions: number;
  foreground: boolean;
  http: string[];
  jobs: string[];
  idleShutdownS: number | null;
  rssMiB: number;
}

export interface ControlReply {
  caelum: 'reply';
  ok: boolean;
  message?: string;
  status?: ServiceStatus;
  url?: string;
}

let cachedBuild: string | undefined;

/**
 * The version plus the modification time of the running entry file: a rebuilt bundle gets a new
 * identity, so a service left running from older code is noticed.
 */
export function buildId(entry: string | undefined = process.argv[1]): string {
  if (cachedBuild !== undefined) return cachedBuild;
  let stamp = 'unknown';
  try {
    if (entry) stamp = String(Math.trunc(statSync(entry).mtimeMs));
  } catch {
    // An entry we cannot stat (a test runner) still gets a stable identity per version.
  }
  cachedBuild = process.env.CAELUM_BUILD_ID ?? `${caelumVersion}+${stamp}`;
  return cachedBuild;
}

/** Reads one newline-terminated JSON line from the start of a stream, keeping what follows. */
export function parseLine(buffer: Buffer): { value: unknown; rest: Buffer } | undefined {
  const newline = buffer.indexOf(10);
  if (newline === -1) return undefined;
  const text = buffer.subarray(0, newline).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  return { value, rest: buffer.subarray(newline + 1) };
}
