// The real MCP servers from npm, mounted and called through Caelum by the SDK's Client: the default
// mounts (filesystem confined to the allowed roots, memory in the data dir, sequential thinking,
// Playwright driving the system Chromium), and server-everything over stdio and over Streamable HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { findChromium } from '../../servers/mounts/mount-config.js';
import { connectClient, testSuite } from '../helpers.js';
import { freePort } from '../monitoring/prometheus-peer.js';

const require = createRequire(import.meta.url);
const everything = path.join(
  path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);

interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}
function groupByServer(tools: readonly { name: string; mounted?: { server: string } }[]) {
  const out: Record<string, { name: string }[]> = {};
  for (const tool of tools) if (tool.mounted) (out[tool.mounted.server] ??= []).push(tool);
  return out;
}
const textOf = (result: unknown) => (result as CallResult).content.map((block) => block.text ?? '').join('\n');

async function defaultSuite(t: Parameters<typeof testSuite>[0], config: Record<string, unknown> = {}) {
  const suite = await testSuite(t, {
    env: { CAELUM_MOUNT_DEFAULTS: config.mountDefaultServers === false ? '0' : '1' },
    files: {
      'README.md': '# Demo project\n',
      'src/app.ts': 'export const answer = 42;\n',
      'caelum.config.json': JSON.stringify(config),
    },
  });
  await suite.mounts.ready();
  const client = await connectClient(t, suite);
  const run = (name: string, args: Record<string, unknown> = {}, confirm = false) =>
    client.callTool({ name: 'runTool', arguments: { name, arguments: args, confirm } });
  return { suite, client, run };
}

test('the default mounts: their tools are in the catalogue with their schemas, and work through runTool, confined to the roots', async (t) => {
  const { suite, client, run } = await defaultSuite(t);
  const byServer = groupByServer(suite.registry.all());
  assert.equal(byServer.filesystem?.length, 14);
  assert.equal(byServer.memory?.length, 9);
  assert.equal(byServer.thinking?.length, 1);
  assert.equal(byServer.playwright?.length, 22, 'Playwright less browser_run_code_unsafe, file_upload, drop, install');
  assert.ok(!suite.registry.get('development_playwright_browser_run_code_unsafe'));
  assert.equal(suite.registry.get('development_filesystem_write_file')!.kind.effect, 'destructive');
  assert.equal(suite.registry.get('development_filesystem_read_text_file')!.kind.effect, 'readOnly');
  assert.equal(suite.registry.get('knowledge_base_memory_create_entities')!.domain, 'knowledge-base');

  const found = (await client.callTool({
    name: 'findTools',
    arguments: { query: 'read the text of a file', limit: 5 },
  })) as CallResult;
  const results = (found.structuredContent as { results: { name: string; inputSchema: { required?: string[] } }[] })
    .results;
  const readText = results.find((r) => r.name === 'development_filesystem_read_text_file');
  assert.ok(readText, JSON.stringify(results.map((r) => r.name)));
  assert.deepEqual(readText.inputSchema.required, ['path'], "the server's own JSON Schema is published");

  assert.match(textOf(await run('development_filesystem_list_directory', { path: '.' })), /\[FILE\] README\.md/);
  assert.equal(
    textOf(await run('development_filesystem_read_text_file', { path: 'src/app.ts' })).trim(),
    'export const answer = 42;',
  );
  const outside = await run('development_filesystem_read_text_file', { path: '/etc/hostname' });
  assert.equal(outside.isError, true);
  assert.match(textOf(outside), /Access denied - path outside allowed directories/);

  const unconfirmed = await run('development_filesystem_write_file', { path: 'notes.txt', content: 'hello' });
  assert.equal(unconfirmed.isError, true);
  assert.match(textOf(unconfirmed), /destructive; pass confirm: true/);
  await assert.rejects(readFile(path.join(suite.project, 'notes.txt')));
  const written = await run('development_filesystem_write_file', { path: 'notes.txt', content: 'hello' }, true);
  assert.equal(written.isError, undefined, textOf(written));
  assert.equal(await readFile(path.join(suite.project, 'notes.txt'), 'utf8'), 'hello');

  const created = await run('knowledge_base_memory_create_entities', {
    entities: [{ name: 'Caelum', entityType: 'project', observations: ['mounts MCP servers'] }],
  });
  assert.equal(created.isError, undefined, textOf(created));
  assert.match(textOf(await run('knowledge_base_memory_search_nodes', { query: 'Caelum' })), /mounts MCP servers/);
  const memoryFile = await readFile(path.join(suite.dataDir, 'mounts', 'memory', 'memory.jsonl'), 'utf8');
  assert.match(memoryFile, /"name":"Caelum"/, "the memory server's file is in the data dir");

  const thought = await run('development_thinking_sequentialthinking', {
    thought: 'List the mounted servers first',
    thoughtNumber: 1,
    totalThoughts: 2,
    nextThoughtNeeded: true,
  });
  assert.match(textOf(thought), /"thoughtHistoryLength": 1/);

  const servers = (await run('infrastructure_list_mcp_servers')) as CallResult;
  const rows = (servers.structuredContent!.result as { servers: { name: string; state: string; calls: number }[] })
    .servers;
  assert.deepEqual(
    rows.map((r) => [r.name, r.state]).sort(),
    [
      ['filesystem', 'ready'],
      ['memory', 'ready'],
      ['playwright', 'stopped'],
      ['thinking', 'ready'],
    ],
    'only the servers that were used were started',
  );
});

test('a default mount is turned off, or narrowed with allow, from the config', async (t) => {
  const { suite } = await defaultSuite(t, {
    mcpServers: {
      playwright: { enabled: false },
      filesystem: { allow: ['read_text_file', 'list_directory', 'rm_rf'] },
    },
  });
  const filesystem = suite.mounts.list().find((m) => m.name === 'filesystem')!;
  assert.match(filesystem.note ?? '', /mcpServers\.filesystem\.allow names tools it does not have: rm_rf/);
  const servers = groupByServer(suite.registry.all());
  assert.equal(servers.playwright, undefined);
  assert.deepEqual(servers.filesystem?.map((tool) => tool.name).sort(), [
    'development_filesystem_list_directory',
    'development_filesystem_read_text_file',
  ]);
});

test('server-everything over stdio and over Streamable HTTP: content blocks, structured content, env secrets scrubbed', async (t) => {
  const port = await freePort();
  const http = spawn(process.execPath, [everything, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.after(() => http.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    http.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
    http.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  const token = 'everything-token-8f3kQ';
  const { suite, run } = await defaultSuite(t, {
    mountDefaultServers: false,
    mcpServers: {
      everything: {
        command: process.execPath,
        args: [everything, 'stdio'],
        env: { EVERYTHING_API_KEY: token },
        supervisor: 'development',
      },
      remote: { url: `http://127.0.0.1:${port}/mcp`, supervisor: 'monitoring', headers: { 'X-Api-Key': token } },
    },
  });
  const sum = (await run('development_everything_get_sum', { a: 2, b: 40 })) as CallResult;
  assert.match(textOf(sum), /42/);
  const remoteSum = (await run('monitoring_remote_get_sum', { a: 1, b: 2 })) as CallResult;
  assert.match(textOf(remoteSum), /3/);
  assert.equal(suite.mounts.list().find((s) => s.name === 'remote')!.transport, 'http');
  const image = (await run('development_everything_get_tiny_image')) as CallResult;
  assert.match(textOf(image), /\[image image\/png, \d+ base64 characters\]/);
  const structured = (await run('development_everything_get_structured_content', {
    location: 'New York',
  })) as CallResult;
  assert.ok((structured.structuredContent!.result as { structuredContent?: unknown }).structuredContent);
  const env = await run('development_everything_get_env');
  assert.ok(textOf(env).includes('EVERYTHING_API_KEY'));
  assert.ok(!JSON.stringify(env).includes(token), 'the env value is scrubbed from the result');
  assert.ok(!JSON.stringify(suite.log.entries).includes(token));
});

const chromium = findChromium(process.env);
test(
  'Playwright MCP drives the system Chromium headless: navigate, then read the page snapshot',
  { skip: !chromium && process.env.CAELUM_REQUIRE_CHROMIUM !== '1' ? 'no system Chromium here' : false },
  async (t) => {
    const { run } = await defaultSuite(t);
    const page = 'data:text/html,<title>Caelum test</title><h1>Mounted browser</h1><button>Go</button>';
    const refused = await run('development_playwright_browser_navigate', { url: page });
    assert.match(textOf(refused), /destructive; pass confirm: true/, 'the server hints navigate as destructive');
    const navigated = await run('development_playwright_browser_navigate', { url: page }, true);
    assert.equal(navigated.isError, undefined, textOf(navigated));
    const snapshot = await run('development_playwright_browser_snapshot');
    assert.match(textOf(snapshot), /heading "Mounted browser"/);
    assert.match(textOf(snapshot), /button "Go"/);
  },
);

test(
  'Playwright MCP over Streamable HTTP, mounted by url',
  { skip: !chromium && process.env.CAELUM_REQUIRE_CHROMIUM !== '1' ? 'no system Chromium here' : false },
  async (t) => {
    const port = await freePort();
    const outputDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-playwright-'));
    t.after(() => rm(outputDir, { recursive: true, force: true }));
    const cli = path.join(path.dirname(require.resolve('@playwright/mcp/package.json')), 'cli.js');
    const server = spawn(
      process.execPath,
      [
        cli,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--headless',
        '--isolated',
        '--browser',
        'chromium',
        // Its snapshots go to a scratch directory, not the working directory.
        '--output-dir',
        outputDir,
        ...(chromium ? ['--executable-path', chromium] : []),
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => server.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => chunk.toString().includes(String(port)) && resolve();
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.once('exit', (code) => reject(new Error(`playwright-mcp exited with ${code}`)));
    });
    const { suite, run } = await defaultSuite(t, {
      mountDefaultServers: false,
      mcpServers: { browser: { url: `http://127.0.0.1:${port}/mcp`, supervisor: 'development' } },
    });
    assert.deepEqual(
      suite.mounts.list().map((m) => [m.name, m.transport]),
      [['browser', 'http']],
    );
    const page = 'data:text/html,<h1>Over HTTP</h1>';
    const navigated = await run('development_browser_browser_navigate', { url: page }, true);
    assert.equal(navigated.isError, undefined, textOf(navigated));
    assert.match(textOf(await run('development_browser_browser_snapshot')), /heading "Over HTTP"/);
  },
);

test('a Streamable HTTP mount whose server goes away reports it, and reconnects when the server is back', async (t) => {
  const port = await freePort();
  const startEverything = async () => {
    const child = spawn(process.execPath, [everything, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    t.after(() => child.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
    });
    return child;
  };
  let http = await startEverything();
  const { run } = await defaultSuite(t, {
    mountDefaultServers: false,
    mcpServers: { remote: { url: `http://127.0.0.1:${port}/mcp`, supervisor: 'monitoring' } },
  });
  assert.match(textOf(await run('monitoring_remote_get_sum', { a: 1, b: 2 })), /3/);
  http.kill('SIGKILL');
  await new Promise((resolve) => http.once('exit', resolve));
  const down = await run('monitoring_remote_get_sum', { a: 1, b: 2 });
  assert.equal(down.isError, true);
  assert.match(
    textOf(down),
    /mounted server "remote" failed get-sum: connection failed.*it reconnects on the next call/,
  );
  http = await startEverything();
  // Its backoff (200 ms) passes, and the next call opens a new session.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.match(textOf(await run('monitoring_remote_get_sum', { a: 2, b: 3 })), /5/);
});

test("each session's filesystem calls run in a server confined to that session's roots; concurrent memory writes all land", async (t) => {
  const { suite } = await defaultSuite(t, {
    mcpServers: { playwright: { enabled: false }, thinking: { enabled: false } },
  });
  const other = await mkdtemp(path.join(os.tmpdir(), 'caelum-other-project-'));
  t.after(() => rm(other, { recursive: true, force: true }));
  await writeFile(path.join(other, 'OTHER.md'), 'the other project\n');
  const asOther = { environment: { ...suite.environment, allowedRoots: [other] } };
  const run = (name: string, args: Record<string, unknown>, options = {}) =>
    suite.dispatcher.call('runTool', { name, arguments: args }, options);
  const mine = await run('development_filesystem_list_allowed_directories', {});
  assert.ok(mine.text.includes(suite.project) && !mine.text.includes(other), mine.text);
  const theirs = await run('development_filesystem_list_allowed_directories', {}, asOther);
  assert.ok(theirs.text.includes(other) && !theirs.text.includes(suite.project), theirs.text);
  assert.match((await run('development_filesystem_list_directory', { path: other }, asOther)).text, /OTHER\.md/);
  const crossing = await run(
    'development_filesystem_read_text_file',
    { path: path.join(suite.project, 'README.md') },
    asOther,
  );
  assert.equal(crossing.isError, true, 'the other session cannot read this project');
  assert.equal(suite.mounts.list().find((m) => m.name === 'filesystem')!.instances, 2);

  const names = Array.from({ length: 8 }, (_, i) => `Race${i}`);
  const results = await Promise.all(
    names.map((name) =>
      run('knowledge_base_memory_create_entities', { entities: [{ name, entityType: 'test', observations: [] }] }),
    ),
  );
  assert.ok(results.every((r) => !r.isError));
  const graph = await run('knowledge_base_memory_read_graph', {});
  for (const name of names) assert.ok(graph.text.includes(`"${name}"`), `${name} was kept`);
});
