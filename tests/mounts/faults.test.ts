// A mounted server that crashes, hangs, blocks, floods stdout or writes malformed JSON-RPC never
// takes Caelum down: its tools report a clear error and recover. Also: secrets in a mount's env stay
// out of results, tools/list and logs; progress is relayed and cancellation forwarded; the server's
// list_changed reaches the client; a server that cannot start opens its breaker. All through the
// SDK's Client connected to Caelum, with a real MCP server (tests/mounts/fault-server.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, testSuite } from '../helpers.js';

const faultServer = path.join(import.meta.dirname, 'fault-server.mjs');
const secret = 'mount-secret-Zq81xV3p';

interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

const textOf = (result: unknown) => (result as CallResult).content.map((block) => block.text ?? '').join('\n');

async function faultSuite(t: Parameters<typeof testSuite>[0], extra: Record<string, unknown> = {}) {
  const logFile = path.join(import.meta.dirname, `.fault-${process.pid}-${Math.random().toString(36).slice(2)}.log`);
  const suite = await testSuite(t, {
    files: {
      'caelum.config.json': JSON.stringify({
        mcpServers: {
          fault: {
            command: process.execPath,
            args: [faultServer],
            env: { FAULT_SECRET: secret, FAULT_LOG: logFile },
            supervisor: 'development',
            timeoutMs: 1500,
          },
          ...extra,
        },
      }),
    },
  });
  t.after(() => import('node:fs/promises').then((fs) => fs.rm(logFile, { force: true })));
  await suite.mounts.ready();
  const client = await connectClient(t, suite);
  const run = (name: string, args: Record<string, unknown> = {}, confirm = false) =>
    client.callTool({ name: 'runTool', arguments: { name, arguments: args, confirm } });
  return { suite, client, run, logFile };
}

test('a mounted server that crashes, hangs, blocks, floods or writes malformed JSON-RPC gets a clear error and recovers', async (t) => {
  const { suite, run } = await faultSuite(t);
  const status = () => suite.mounts.list().find((s) => s.name === 'fault')!;
  assert.equal(status().tools, 11, 'its tools were listed at start-up');
  assert.equal(status().state, 'stopped', 'and it was stopped again: it starts on first use');

  const ok = await run('development_fault_echo', { text: 'hello' });
  assert.equal(ok.isError, undefined);
  assert.equal(textOf(ok), 'hello');
  assert.equal(status().state, 'ready');

  const crashed = await run('development_fault_crash');
  assert.equal(crashed.isError, true);
  assert.match(textOf(crashed), /mounted server "fault" exited with code 7 during crash; it restarts on the next call/);
  assert.equal(status().crashes, 1);
  assert.ok(status().stderrTail?.some((line) => line.includes('crashing now')));
  assert.equal(textOf(await run('development_fault_echo', { text: 'after crash' })), 'after crash');

  const hung = await run('development_fault_hang');
  assert.equal(hung.isError, true);
  assert.match(textOf(hung), /did not answer hang within 1500 ms \(mcpServers\.fault\.timeoutMs\)/);
  assert.equal(status().state, 'ready', 'it still answers a ping, so it is not stopped');
  assert.equal(textOf(await run('development_fault_echo', { text: 'after hang' })), 'after hang');

  const pid = status().pid;
  const blocked = await run('development_fault_block');
  assert.equal(blocked.isError, true);
  assert.match(textOf(blocked), /it was hung and has been stopped, and restarts on the next call/);
  assert.equal(textOf(await run('development_fault_echo', { text: 'after block' })), 'after block');
  assert.notEqual(status().pid, pid, 'a new process');
  assert.throws(() => process.kill(pid!, 0), 'the blocked process is gone');

  const flooded = await run('development_fault_flood');
  assert.equal(flooded.isError, true);
  assert.match(textOf(flooded), /lines that are not JSON-RPC to stdout/);
  assert.equal(textOf(await run('development_fault_echo', { text: 'after flood' })), 'after flood');

  const malformed = await run('development_fault_malformed');
  assert.equal(textOf(malformed), 'still here', 'malformed lines are skipped; the answer still arrives');
  assert.ok(status().malformedLines >= 3, `malformed lines counted: ${status().malformedLines}`);

  const destructive = await run('development_fault_wipe');
  assert.equal(destructive.isError, true);
  assert.match(textOf(destructive), /destructive; pass confirm: true/);
  assert.equal(textOf(await run('development_fault_wipe', {}, true)), 'wiped');

  const bad = await run('development_fault_echo', { text: 42 });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /arguments\.text: Invalid input: expected string, received number/);
});

test("a mount's env secrets stay out of results, tools/list, findTools and the log", async (t) => {
  const { suite, client, run } = await faultSuite(t);
  const result = await run('development_fault_get_secret');
  assert.match(textOf(result), /secret=\*\*\*/);
  assert.ok(!JSON.stringify(result).includes(secret));
  const listed = await client.listTools();
  assert.ok(!JSON.stringify(listed).includes(secret));
  const found = await client.callTool({ name: 'findTools', arguments: { query: 'secret variable', limit: 20 } });
  assert.ok(!JSON.stringify(found).includes(secret));
  const servers = await run('infrastructure_list_mcp_servers');
  assert.ok(!JSON.stringify(servers).includes(secret), 'the stderr tail is scrubbed');
  assert.ok(textOf(servers).includes('fault'));
  assert.ok(!JSON.stringify(suite.log.entries).includes(secret));
});

test('progress from a mounted tool reaches the client, and cancelling forwards notifications/cancelled to the server', async (t) => {
  const { client, logFile } = await faultSuite(t);
  const progress: number[] = [];
  const done = await client.callTool(
    { name: 'runTool', arguments: { name: 'development_fault_slow', arguments: { steps: 6 } } },
    undefined,
    { onprogress: (p) => progress.push(p.progress) },
  );
  assert.equal(textOf(done), 'done 6');
  // The last notification can arrive after the result, when the client no longer listens for it.
  assert.ok(progress.length >= 4, `progress relayed: ${progress.join(',')}`);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
    'in order',
  );

  const controller = new AbortController();
  const started = performance.now();
  const pending = client.callTool(
    { name: 'runTool', arguments: { name: 'development_fault_slow', arguments: { steps: 200 } } },
    undefined,
    { signal: controller.signal },
  );
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(pending, /abort/i);
  assert.ok(performance.now() - started < 3000);
  // The server saw the cancellation and stopped counting (its loop checks every 50 ms).
  for (let i = 0; i < 40 && !(await readFile(logFile, 'utf8').catch(() => '')).includes('cancelled'); i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(await readFile(logFile, 'utf8'), /cancelled/);
});

test("a mounted server's list_changed refreshes the catalogue and reaches the client", async (t) => {
  const { client, run } = await faultSuite(t);
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    changed++;
  });
  const before = await client.callTool({ name: 'runTool', arguments: { name: 'development_fault_extra' } });
  assert.equal(before.isError, true);
  await run('development_fault_add_tool');
  for (let i = 0; i < 40 && changed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(changed > 0, 'the client got notifications/tools/list_changed');
  assert.equal(textOf(await run('development_fault_extra')), 'extra');
});

test('a mounted server that cannot start says why, backs off, opens its breaker, and recovers after a restart; Caelum goes on', async (t) => {
  const flag = path.join(import.meta.dirname, `.exit-${process.pid}`);
  t.after(() => rm(flag, { force: true }));
  const { run, client } = await faultSuite(t, {
    broken: {
      command: process.execPath,
      args: [faultServer],
      env: { FAULT_EXIT_IF: flag },
      supervisor: 'monitoring',
    },
  });
  // Its tools were listed at start-up; from now on it exits as soon as it starts.
  await writeFile(flag, '');
  const messages: string[] = [];
  for (let i = 0; i < 6; i++) messages.push(textOf(await run('monitoring_broken_echo', { text: 'x' })));
  assert.match(messages[0]!, /could not start: exited with code 3 \(stderr: fault-server: told to exit on start\)/);
  assert.match(messages[4]!, /could not start/);
  assert.match(
    messages[5]!,
    /failed 5 times in a row .* it is tried again at .*, or now with infrastructure_restart_mcp_server/,
  );
  const status = await client.callTool({ name: 'getSystemStatus', arguments: {} });
  assert.match(textOf(status), /mounted MCP server "broken" is broken \(its breaker is open\): could not start/);
  assert.match(
    textOf(await run('infrastructure_list_mcp_servers', { name: 'broken' })),
    /broken \[monitoring, stdio\] broken/,
  );
  // The other mount is unaffected.
  assert.equal(textOf(await run('development_fault_echo', { text: 'fine' })), 'fine');
  // Fixed: a restart clears the breaker.
  await rm(flag);
  assert.match(
    textOf(await run('infrastructure_restart_mcp_server', { name: 'broken' })),
    /broken: ready \(pid \d+\), 11 tools/,
  );
  assert.equal(textOf(await run('monitoring_broken_echo', { text: 'back' })), 'back');
});
