// The data dir's record of the mounted servers' tools: a start with a record registers them at once
// without starting anything (and reports their count); a malformed record is no record, never a
// crash. And calls that arrive together after a crash start one process, not one each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ToolRegistry } from '../../tools/registry.js';
import { MountManager } from '../../servers/mounts/mount-manager.js';
import { mountSchema } from '../../servers/mounts/mount-config.js';
import { captureLogger } from '../helpers.js';

const faultServer = path.join(import.meta.dirname, 'fault-server.mjs');

async function manager(t: { after(fn: () => Promise<void>): void }, dataDir: string, env: Record<string, string> = {}) {
  const registry = new ToolRegistry();
  const log = captureLogger();
  let changes = 0;
  registry.onChange(() => changes++);
  const mounts = new MountManager(
    [
      {
        name: 'fault',
        origin: 'config',
        config: mountSchema.parse({ command: process.execPath, args: [faultServer], supervisor: 'development', env }),
      },
    ],
    {
      registry,
      logger: log.logger,
      dataDir,
      cwd: import.meta.dirname,
      roots: [import.meta.dirname],
      baseEnv: { PATH: process.env.PATH ?? '' },
      backoffBaseMs: 300,
    },
  );
  t.after(() => mounts.close());
  return { registry, mounts, log, changes: () => changes };
}

test('a start with a record registers the tools at once, starts nothing, and reports their count', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-mount-records-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const first = await manager(t, dataDir);
  await first.mounts.start();
  assert.equal(first.registry.size, 11);
  assert.equal(first.mounts.list()[0]!.starts, 1, 'started once to list its tools');
  await first.mounts.close();

  const second = await manager(t, dataDir);
  const pending = second.mounts.start();
  assert.equal(second.registry.size, 11, 'registered synchronously, before any client could list');
  await pending;
  const status = second.mounts.list()[0]!;
  assert.equal(status.starts, 0, 'nothing started');
  assert.equal(status.tools, 11);
  assert.equal(status.state, 'stopped');
});

test('a malformed record is no record: the tools are listed again, and nothing crashes', async (t) => {
  for (const content of ['null', '{"fault":{"fingerprint":1}}', '{"fault":', '[]']) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-mount-records-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    await mkdir(path.join(dataDir, 'mounts'), { recursive: true });
    await writeFile(path.join(dataDir, 'mounts', 'catalogue.json'), content);
    const { registry, mounts, log } = await manager(t, dataDir);
    await mounts.start();
    assert.equal(registry.size, 11, content);
    assert.ok(
      log.entries.some((e) => String(e.event).startsWith('mount_catalogue_')),
      content,
    );
  }
});

test('calls that arrive together after a crash start one new process', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-mount-records-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const { mounts } = await manager(t, dataDir);
  await mounts.start();
  const server = mounts.get('fault')!;
  const options = () => ({ signal: new AbortController().signal, onProgress: () => undefined });
  await server.call('echo', { text: 'a' }, options());
  await assert.rejects(server.call('crash', {}, options()));
  assert.equal(server.status().state, 'backoff');
  const answers = await Promise.all(
    Array.from({ length: 5 }, (_, i) => server.call('echo', { text: `b${i}` }, options())),
  );
  assert.deepEqual(
    answers.map((a) => (a.content[0] as { text: string }).text),
    ['b0', 'b1', 'b2', 'b3', 'b4'],
  );
  assert.equal(server.status().starts, 3, 'discovery, the first call, one restart');
});

test('a server whose tools could not be listed is not started again at the next start-up, and says so', async (t) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-mount-records-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const failing = { FAULT_EXIT_ON_START: '1' };
  const first = await manager(t, dataDir, failing);
  await first.mounts.start();
  assert.equal(first.mounts.list()[0]!.starts, 1);
  assert.equal(first.registry.size, 0);
  await first.mounts.close();
  const second = await manager(t, dataDir, failing);
  await second.mounts.start();
  const status = second.mounts.list()[0]!;
  assert.equal(status.starts, 0, 'not tried again at start-up');
  assert.match(
    status.lastError ?? '',
    /listing its tools failed at .*exited with code 3.*infrastructure_restart_mcp_server tries it now/,
  );
  // Fixed (another configuration): listed again at once.
  const third = await manager(t, dataDir);
  await third.mounts.start();
  assert.equal(third.registry.size, 11);
});
