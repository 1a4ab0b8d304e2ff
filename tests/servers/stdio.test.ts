// The CLI spawned as MCP clients launch it: over stdio, with the SDK's StdioClientTransport and
// with raw bytes, checking that stdout carries nothing but protocol and that it exits cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cliPath, tempDir, textOf, writeTree } from '../helpers.js';
import { control } from '../../servers/service-client.js';
import { servicePaths } from '../../servers/service-paths.js';

async function environment(t: { after(fn: () => Promise<void>): void }) {
  const dir = await tempDir(t);
  await writeTree(dir, { 'project/src/a.ts': 'export function f(x: number) { return x || 1; }\n' });
  return {
    cwd: path.join(dir, 'project'),
    env: {
      PATH: process.env.PATH!,
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: dir,
      CAELUM_DATA_DIR: path.join(dir, 'data'),
      CAELUM_ALLOWED_ROOTS: path.join(dir, 'project'),
    },
  };
}

function spawnServer(options: { cwd: string; env: Record<string, string> }): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [cliPath, 'serve'], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Sends lines and collects parsed stdout lines until `count` responses have arrived. */
async function exchange(
  child: ChildProcessWithoutNullStreams,
  lines: string[],
  count: number,
): Promise<{ raw: string[]; parsed: any[] }> {
  const raw: string[] = [];
  let buffer = '';
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out with ${raw.length}/${count} lines: ${raw.join('\n').slice(0, 500)}`)),
      20_000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let index;
      while ((index = buffer.indexOf('\n')) !== -1) {
        raw.push(buffer.slice(0, index));
        buffer = buffer.slice(index + 1);
      }
      if (raw.length >= count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  for (const line of lines) child.stdin.write(`${line}\n`);
  await done;
  return { raw, parsed: raw.map((line) => JSON.parse(line)) };
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
});
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

test('the SDK StdioClientTransport lists tools and calls one on the spawned CLI', async (t) => {
  const { cwd, env } = await environment(t);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'serve'],
    cwd,
    env,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'stdio-test', version: '0' });
  await client.connect(transport);
  t.after(() => client.close());
  const { tools } = await client.listTools();
  assert.ok(tools.some((tool) => tool.name === 'runTool'));
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_analyze_complexity', arguments: { path: 'src' } },
  });
  assert.match(textOf(result), /1 files, 1 functions; average complexity 2/);
});

test('malformed lines get JSON-RPC errors, the server keeps serving, and stdout is pure protocol', async (t) => {
  const { cwd, env } = await environment(t);
  const child = spawnServer({ cwd, env });
  t.after(() => void child.kill('SIGKILL'));
  const bad = ['{not json', '[1,2,3]', '{"jsonrpc":"2.0","id":7,"method":42}', '"just a string"'];
  const hugeCall = JSON.stringify({
    jsonrpc: '2.0',
    id: 'huge',
    method: 'tools/call',
    params: { name: 'findTools', arguments: { query: 'q'.repeat(2 * 1024 * 1024) } },
  });
  const list = JSON.stringify({ jsonrpc: '2.0', id: 'list', method: 'tools/list' });
  const nameless = JSON.stringify({ jsonrpc: '2.0', id: 'nameless', method: 'tools/call', params: { arguments: {} } });
  const loud = JSON.stringify({ jsonrpc: '2.0', id: 'loud', method: 'logging/setLevel', params: { level: 'loud' } });
  const unknownTool = JSON.stringify({
    jsonrpc: '2.0',
    id: 'unknown',
    method: 'tools/call',
    params: { name: 'rm_rf', arguments: {} },
  });
  const { raw, parsed } = await exchange(
    child,
    [...bad, initialize, initialized, hugeCall, unknownTool, nameless, loud, list],
    bad.length + 6,
  );
  assert.ok(
    raw.every((line) => JSON.parse(line).jsonrpc === '2.0'),
    'every stdout line is a JSON-RPC message',
  );
  const errors = parsed.filter((m) => m.error);
  assert.deepEqual(
    errors.map((m) => [m.id, m.error.code]),
    [
      [null, -32700],
      [null, -32600],
      [7, -32600],
      [null, -32600],
      ['nameless', -32602],
      ['loud', -32602],
    ],
  );
  const byId = new Map(parsed.filter((m) => m.id).map((m) => [m.id, m]));
  assert.equal(byId.get('init').result.serverInfo.name, 'caelum');
  assert.equal(byId.get('huge').result.isError, true);
  assert.match(byId.get('huge').result.content[0].text, /^query: string of 2097152 characters is over the 1 MiB limit/);
  assert.equal(byId.get('unknown').result.isError, true);
  assert.equal(byId.get('nameless').error.message, 'Invalid params for tools/call: params.name is required (string)');
  assert.match(
    byId.get('loud').error.message,
    /^Invalid params for logging\/setLevel: params\.level must be one of .*"emergency"; got "loud"$/,
  );
  assert.ok(byId.get('list').result.tools.length >= 4);
});

test('the server exits cleanly on stdin EOF, leaving no child process', async (t) => {
  const { cwd, env } = await environment(t);
  const child = spawnServer({ cwd, env });
  await exchange(child, [initialize], 1);
  // Its one child is the shared service it started, detached; that one outlives the front-end.
  const service = await control(servicePaths(env.CAELUM_DATA_DIR), { op: 'status' });
  assert.equal(children(child.pid!), String(service?.reply.status?.pid), 'the server spawned only the service');
  const exited = once(child, 'exit');
  child.stdin.end();
  const [code] = await withTimeout(exited, 5000);
  assert.equal(code, 0);
});

test('the server exits cleanly on SIGTERM', async (t) => {
  const { cwd, env } = await environment(t);
  const child = spawnServer({ cwd, env });
  await exchange(child, [initialize], 1);
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code, signal] = await withTimeout(exited, 5000);
  assert.deepEqual([code, signal], [0, null]);
});

function children(pid: number): string {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
