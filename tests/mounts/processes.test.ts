// Nothing is left behind: after 100 start–crash–restart cycles of a mounted server, and after the
// suite that mounted it stops (with a helper process the server had started), the processes under
// this test are what they were before, and no process is left in any group a server ran in.
// Checked through /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ToolRegistry } from '../../tools/registry.js';
import { MountManager } from '../../servers/mounts/mount-manager.js';
import { mountSchema } from '../../servers/mounts/mount-config.js';
import { captureLogger, testSuite } from '../helpers.js';
import { processTable, withDescendants, type Proc } from '../proc-table.js';

const faultServer = path.join(import.meta.dirname, 'fault-server.mjs');

/** This process's descendants (children, their children, ...). */
async function descendants(): Promise<number[]> {
  const found = withDescendants(await processTable(), [process.pid]);
  found.delete(process.pid);
  return [...found].sort((a, b) => a - b);
}

async function inGroups(groups: ReadonlySet<number>): Promise<Proc[]> {
  return (await processTable()).filter((p) => groups.has(p.pgid));
}

async function settle(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
}

test('100 start–crash–restart cycles leave no process behind', async (t) => {
  const before = await descendants();
  const registry = new ToolRegistry();
  const manager = new MountManager(
    [
      {
        name: 'fault',
        origin: 'config',
        config: mountSchema.parse({ command: process.execPath, args: [faultServer], supervisor: 'development' }),
      },
    ],
    {
      registry,
      logger: captureLogger().logger,
      dataDir: path.join(import.meta.dirname, `.data-${process.pid}`),
      cwd: import.meta.dirname,
      roots: [import.meta.dirname],
      baseEnv: { PATH: process.env.PATH ?? '' },
      backoffBaseMs: 0,
      breakerAfter: 1000,
    },
  );
  t.after(() =>
    import('node:fs/promises').then((fs) =>
      fs.rm(path.join(import.meta.dirname, `.data-${process.pid}`), { recursive: true, force: true }),
    ),
  );
  await manager.start();
  const server = manager.get('fault')!;
  const groups = new Set<number>();
  const options = () => ({ signal: new AbortController().signal, onProgress: () => undefined });
  for (let cycle = 0; cycle < 100; cycle++) {
    const answer = await server.call('echo', { text: `cycle ${cycle}` }, options());
    assert.equal((answer.content[0] as { text: string }).text, `cycle ${cycle}`);
    groups.add(server.status().pid!);
    await assert.rejects(server.call('crash', {}, options()), /exited with code 7 during crash/);
  }
  assert.equal(server.status().crashes, 100);
  assert.equal(server.status().starts, 101, 'one start to list its tools, then one per cycle');
  assert.equal(groups.size, 100, 'a fresh process each cycle');
  await manager.close();
  await settle(async () => (await inGroups(groups)).length === 0);
  assert.deepEqual(await inGroups(groups), [], 'no process left in any group a server ran in');
  await settle(async () => (await descendants()).length <= before.length);
  assert.deepEqual(await descendants(), before, 'the processes under this test are what they were before');
});

test('stopping the suite stops its mounted servers and the helpers they started', async (t) => {
  const before = await descendants();
  const suite = await testSuite(t, {
    files: {
      'caelum.config.json': JSON.stringify({
        mcpServers: { fault: { command: process.execPath, args: [faultServer], supervisor: 'development' } },
      }),
    },
  });
  await suite.mounts.ready();
  const result = await suite.dispatcher.call('runTool', { name: 'development_fault_spawn_helper' });
  assert.equal(result.isError, false, result.text);
  const helper = Number(result.text);
  const group = suite.mounts.list()[0]!.pid!;
  assert.ok(
    (await processTable()).some((p) => p.pid === helper && p.pgid === group),
    'the helper runs in the server group',
  );
  await suite.close();
  await settle(async () => (await inGroups(new Set([group]))).length === 0);
  assert.deepEqual(await inGroups(new Set([group])), [], 'the server and its helper are gone');
  await settle(async () => (await descendants()).length <= before.length);
  assert.deepEqual(await descendants(), before);
});
