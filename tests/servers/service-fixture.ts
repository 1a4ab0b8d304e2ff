// A place for a shared service in tests: a temp data dir and project, the built CLI run against
// them, stdio sessions through `caelum serve`, and cleanup that stops the service before its data
// dir is removed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliPath } from '../helpers.js';

export interface Place {
  dataDir: string;
  cwd: string;
  env: Record<string, string>;
  /** Sessions opened on this place; closed before its service stops and its files go. */
  sessions?: Client[];
}

export interface ServiceStatusJson {
  running: boolean;
  pid?: number;
  build?: string;
  sessions?: number;
  http?: string[];
  jobs?: string[];
}

type After = { after(fn: () => Promise<void> | void): void };

export async function place(t: After, extraEnv: Record<string, string> = {}): Promise<Place> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-service-'));
  const cwd = path.join(dir, 'project');
  await mkdir(cwd);
  const where: Place = {
    dataDir: path.join(dir, 'data'),
    cwd,
    env: { PATH: process.env.PATH!, CAELUM_MOUNT_DEFAULTS: '0', HOME: dir, CAELUM_LOG_LEVEL: 'warn', ...extraEnv },
    sessions: [],
  };
  // The front-ends go first (one serving in-process may still be writing its first snapshot
  // build), then the service, then the data dir.
  t.after(async () => {
    await Promise.all(where.sessions!.map((client) => client.close().catch(() => undefined)));
    const status = serviceStatus(where);
    cli(where, ['service', 'stop', '--force']);
    if (status.pid && !(await gone(status.pid))) process.kill(status.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });
  return where;
}

export function cli(where: Place, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cliPath, ...args, '--data-dir', where.dataDir], {
    cwd: where.cwd,
    env: { ...where.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

export function serviceStatus(where: Place): ServiceStatusJson {
  const run = cli(where, ['service', 'status', '--json']);
  assert.ok(run.stdout, `service status printed nothing: ${run.error?.message ?? run.stderr}`);
  return JSON.parse(run.stdout) as ServiceStatusJson;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the process to exit; false if it is still there after the timeout. */
export async function gone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  return !alive(pid);
}

/** A stdio session through `caelum serve`, with what the front-end wrote to stderr. */
export async function session(t: After, where: Place, env: Record<string, string> = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'serve', '--data-dir', where.dataDir],
    cwd: where.cwd,
    env: { ...where.env, ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'service-test', version: '1.0.0' });
  await client.connect(transport);
  where.sessions?.push(client);
  t.after(() => client.close().catch(() => undefined));
  return { client, stderr: () => stderr };
}
