// Secrets by value: canary credentials are put in every place a secret can be configured (an Ollama
// host URL's password, DATABASE_URL, the FRED and EIA keys, the Claude key, a *_TOKEN variable), and
// none may come out: not in a tool result, an error, a resource, a log line, a child process's
// environment, a request npm sends, or the CLI's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { financialGraph } from '../knowledge/financial-fixture.js';
import { cliPath, connectClient, tempDir, testSuite, textOf, writeTree } from '../helpers.js';
import { createLogger } from '../../servers/logger.js';
import { childEnvironment } from '../../tools/child-environment.js';
import { openRepository } from '../../tools/development/git.js';
import { execFileSync } from 'node:child_process';
import { SecretSet } from '../../tools/secrets.js';

const canary = {
  // Characters that a URL must percent-encode, so both forms are checked.
  hostPassword: 'canary/Hp@9f3a7c21',
  dbPassword: 'canaryDb-91b2e4f0',
  fred: 'canaryFred-5d6e7a8b9c',
  eia: 'canaryEia-3c4d5e6f7a',
  claude: 'canaryClaude-0a1b2c3d4e',
  token: 'canaryTok-8e9f0a1b2c',
};
const canaryForms = Object.values(canary).flatMap((value) => [value, encodeURIComponent(value)]);

function assertClean(label: string, text: string): void {
  for (const form of canaryForms) assert.ok(!text.includes(form), `${label} carries the secret ${form}:\n${text}`);
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listen(server: Server, t: { after(fn: () => Promise<void>): void }): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

async function startPeer(t: { after(fn: () => Promise<void>): void }): Promise<{ peer: OllamaPeer; port: number }> {
  const peer = new OllamaPeer();
  const url = await peer.start();
  t.after(() => peer.stop());
  return { peer, port: Number(new URL(url).port) };
}

/** Every configurable secret, as environment variables. */
async function canaryEnvironment(ollamaPort: number): Promise<Record<string, string>> {
  return {
    CAELUM_OLLAMA_HOSTS: `gpu1=http://ops:${encodeURIComponent(canary.hostPassword)}@127.0.0.1:${ollamaPort}`,
    DATABASE_URL: `postgres://caelum:${canary.dbPassword}@127.0.0.1:${await deadPort()}/caelum`,
    FRED_API_KEY: canary.fred,
    EIA_API_KEY: canary.eia,
    ANTHROPIC_API_KEY: canary.claude,
    ANTHROPIC_BASE_URL: `http://127.0.0.1:${await deadPort()}`,
    MY_SERVICE_TOKEN: canary.token,
  };
}

/**
 * The canaries are in this process's environment too: that is where Caelum's children would
 * inherit them from. Set once, for every test in this file (a file runs in its own process).
 */
const processCanaries = {
  FRED_API_KEY: canary.fred,
  EIA_API_KEY: canary.eia,
  ANTHROPIC_API_KEY: canary.claude,
  MY_SERVICE_TOKEN: canary.token,
  DATABASE_URL: `postgres://caelum:${canary.dbPassword}@127.0.0.1:1/caelum`,
  PGPASSWORD: canary.dbPassword,
  CAELUM_EXTRA_SETTING: canary.token,
};
Object.assign(process.env, processCanaries);

test('a secret set matches by value: encoded forms, whole tokens below 12 characters, nothing below 4', () => {
  const set = new SecretSet();
  set.add('abc');
  assert.equal(set.size, 0, 'a 3-character value is never registered');
  set.addUrl(`http://ops:${encodeURIComponent('p@ss/word')}@host:1`);
  set.add('hunter22');
  set.add('a"long\\secret-value-0123');
  assert.equal(set.scrub('user p@ss/word and p%40ss%2Fword'), 'user *** and ***');
  assert.equal(set.scrub('pw=hunter22; 4 hunter22x passed'), 'pw=***; 4 hunter22x passed');
  assert.equal(set.scrub(JSON.stringify({ v: 'a"long\\secret-value-0123' })), '{"v":"***"}');
  // Known shapes are scrubbed without being registered.
  assert.equal(set.scrub('redis://u:other-pw@h:1 sk-ant-api03-abcdefghij'), 'redis://u:***@h:1 sk-ant-***');
  assert.deepEqual(set.scrubDeep({ list: ['hunter22', 1, { 'key hunter22': true }] }), {
    list: ['***', 1, { 'key ***': true }],
  });
  // In a result's JSON text a short value after a newline or tab follows the letter n or t of the
  // escape; the deep scrub still finds it in the string itself.
  assert.deepEqual(set.scrubDeep({ stdout: 'line one\nhunter22 ok\thunter22' }), { stdout: 'line one\n*** ok\t***' });

  const fromEnv = new SecretSet();
  fromEnv.addFromEnv({
    GIT_AUTHOR_NAME: 'Jane Doe Smith',
    SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
    SOME_TOKEN_TTL: '3600',
    PGPASSWORD: 'pgsecret99',
    NPM_TOKEN: 'npm_0123456789',
    OTHER_URL: 'https://bot:urlsecret@example.com/x',
    HOST_LIST: 'a=http://u:listsecret1@h1:1,b=http://h2:2',
  });
  assert.equal(
    fromEnv.scrub('Jane Doe Smith /tmp/ssh-agent.sock 3600 pgsecret99 npm_0123456789 urlsecret listsecret1'),
    'Jane Doe Smith /tmp/ssh-agent.sock 3600 *** *** *** ***',
  );
});

test('child processes get an allow-listed environment, not ours minus a deny-list', () => {
  const env = childEnvironment({
    PATH: '/usr/bin',
    HOME: '/home/u',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    TMPDIR: '/tmp',
    CI: 'true',
    FRED_API_KEY: canary.fred,
    DATABASE_URL: 'postgres://x',
    PGHOST: 'db',
    CAELUM_DATA_DIR: '/d',
    ANTHROPIC_BASE_URL: 'http://x',
    NODE_TEST_CONTEXT: 'child',
    NODE_OPTIONS: '--inspect',
    npm_config_registry: 'http://evil',
    AWS_SECRET_ACCESS_KEY: 'x',
    SOMETHING_ELSE: 'y',
    https_proxy: 'http://proxy:3128',
    HTTP_PROXY: 'http://user:pw@proxy:3128',
  });
  assert.deepEqual(Object.keys(env).sort(), ['CI', 'HOME', 'LANG', 'LC_ALL', 'PATH', 'TMPDIR', 'https_proxy']);
});

test('tool results, errors, resources and log lines carry no secret value; the pool authenticates with the URL credentials', async (t) => {
  const { peer, port } = await startPeer(t);
  const env = await canaryEnvironment(port);
  const lines: string[] = [];
  const suite = await testSuite(t, {
    env,
    suite: { logger: createLogger({ level: 'debug', sink: (line) => lines.push(line) }) },
  });
  const client = await connectClient(t, suite);
  await suite.pool.reprobe();
  const outputs: string[] = [];
  const callTool = async (name: string, args: Record<string, unknown>) => {
    const result = await client.callTool({ name, arguments: args });
    outputs.push(textOf(result), JSON.stringify(result.structuredContent ?? {}));
    return result;
  };

  const status = await callTool('getSystemStatus', {});
  const pool = await callTool('getPoolStatus', {});
  await callTool('runTool', { name: 'infrastructure_check_services', arguments: {} });
  const bad = await callTool('getSystemStatus', { [canary.fred]: true });
  assert.equal(bad.isError, true);
  const resource = await client.readResource({ uri: 'caelum://pool/hosts/gpu1' });
  outputs.push(JSON.stringify(resource));

  // The host answered: its credentials went as a Basic Authorization header, not in the URL.
  const hosts = (pool.structuredContent as { hosts: { name: string; health: string; url: string }[] }).hosts;
  assert.equal(hosts[0]?.health, 'healthy', JSON.stringify(hosts));
  const expected = `Basic ${Buffer.from(`ops:${canary.hostPassword}`).toString('base64')}`;
  assert.ok(
    peer.requests.length > 0 && peer.requests.every((r) => r.authorization === expected),
    JSON.stringify(peer.requests.map((r) => [r.path, r.authorization])),
  );
  // The results did name the configured services, so the check below is about their secrets.
  const all = outputs.join('\n');
  assert.match(all, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(JSON.stringify(status.structuredContent), /DATABASE_URL|postgres/i);
  assertClean('a tool result', all);

  // A host that goes down is logged (host_down) without its password.
  await peer.stop();
  await suite.pool.reprobe();
  assert.ok(
    lines.some((line) => /"event":"host_down"/.test(line)),
    lines.join('\n'),
  );
  // Whatever a component puts in a log field is scrubbed by value.
  suite.logger.error('probe_failed', { url: env.DATABASE_URL, detail: `key ${canary.fred} and ${canary.claude}` });
  assert.match(lines.at(-1)!, /postgres:\/\/caelum:\*\*\*@.*key \*\*\* and \*\*\*/);
  assertClean('a log line', lines.join('\n'));
});

test('run_tests: a test that prints its environment sees no secret, and the result carries none', async (t) => {
  const suite = await testSuite(t, {
    files: {
      'package.json': JSON.stringify({ name: 'envdump', type: 'module', scripts: { test: 'node --test test/' } }),
      'test/env.test.js': [
        "import { test } from 'node:test';",
        "import { writeFileSync } from 'node:fs';",
        "test('prints its environment', () => {",
        "  writeFileSync('env-dump.json', JSON.stringify(process.env));",
        '  console.log(JSON.stringify(process.env));',
        '});',
        '',
      ].join('\n'),
    },
  });
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_run_tests', arguments: { confirm: true, timeoutSeconds: 60 } },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const output = (result.structuredContent as { result: { ran: boolean; summary?: { passed: number } } }).result;
  assert.equal(output.ran, true);
  assert.equal(output.summary?.passed, 1, JSON.stringify(result.structuredContent));
  assertClean('the run_tests result', `${textOf(result)}\n${JSON.stringify(result.structuredContent)}`);
  const dump = await readFile(path.join(suite.project, 'env-dump.json'), 'utf8');
  assertClean('the test process environment', dump);
  const seen = Object.keys(JSON.parse(dump) as Record<string, string>);
  assert.ok(seen.includes('PATH'));
  for (const name of Object.keys(processCanaries)) assert.ok(!seen.includes(name), `${name} reached the tests`);
});

test('git, which a repository can make run programs, runs with the allow-listed environment', async (t) => {
  const suite = await testSuite(t);
  execFileSync('git', ['init', '-q'], { cwd: suite.project });
  const repo = await openRepository(suite.project, suite.dispatcher.context({}).environment);
  // A shell alias stands for what a hostile repository config can run (fsmonitor, textconv).
  const seen = await repo.run(['-c', 'alias.envdump=!env', 'envdump']);
  assert.match(seen, /^PATH=/m);
  assertClean('the environment git gives the programs it runs', seen);
  for (const name of Object.keys(processCanaries)) assert.doesNotMatch(seen, new RegExp(`^${name}=`, 'm'));
});

test('npm audit reads no project .npmrc and sends no credential to the registry the agent names', async (t) => {
  const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const record = (answer: boolean) =>
    createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
        seen.push({
          url: `${answer ? 'agent' : 'project'} ${request.method} ${request.url}`,
          headers: request.headers,
          body,
        });
        response.setHeader('content-type', 'application/json');
        response.end(answer && request.url?.startsWith('/-/npm/v1/security/advisories/bulk') ? '{}' : '{}');
      });
    });
  const agentPort = await listen(record(true), t);
  const projectPort = await listen(record(false), t);
  const files = {
    'package.json': JSON.stringify({ name: 'shop', version: '1.0.0', dependencies: { qs: '6.11.0' } }),
    'package-lock.json': JSON.stringify({
      name: 'shop',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'shop', version: '1.0.0', dependencies: { qs: '6.11.0' } },
        'node_modules/qs': {
          version: '6.11.0',
          resolved: 'https://registry.npmjs.org/qs/-/qs-6.11.0.tgz',
          integrity: 'sha512-MvjoMCJwEarSbUYk5O+nmoSzSutSsTwF85zcHPQ9OINFoGUZc6tbjQcMZtyLhEqDtaP2ssn4MgxXBvZqF6G5Jg==',
        },
      },
    }),
    '.npmrc': [
      `registry=http://127.0.0.1:${projectPort}/`,
      `//127.0.0.1:${agentPort}/:_authToken=\${FRED_API_KEY}`,
      `//127.0.0.1:${projectPort}/:_authToken=\${DATABASE_URL}`,
      '',
    ].join('\n'),
  };
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'runTool',
    arguments: {
      name: 'development_audit_vulnerabilities',
      arguments: { registry: `http://127.0.0.1:${agentPort}/`, timeoutSeconds: 60 },
    },
  });
  const output = (result.structuredContent as { result: { status: string } }).result;
  assert.equal(output.status, 'ok', textOf(result));
  assert.ok(
    seen.some((r) => r.url.startsWith('agent POST /-/npm/v1/security/advisories/bulk')),
    JSON.stringify(seen),
  );
  assert.deepEqual(
    seen.filter((r) => r.url.startsWith('project')),
    [],
    "the project's .npmrc registry was used",
  );
  for (const request of seen) {
    assert.equal(request.headers.authorization, undefined, `${request.url} carried an Authorization header`);
    assertClean(`the request ${request.url}`, JSON.stringify(request));
  }
});

test('publishing a snapshot into the live graph needs confirm: true, through the high-level tool and runTool', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const args = { publish: true, offline: true, skipLlm: true };
  const high = await client.callTool({ name: 'buildKnowledgeSnapshot', arguments: args });
  assert.equal(high.isError, true);
  assert.match(textOf(high), /^confirm: publish: true replaces values in the shared live graph; pass confirm: true/);
  const internal = await client.callTool({
    name: 'runTool',
    arguments: { name: 'knowledge_base_build_snapshot', arguments: args },
  });
  assert.equal(internal.isError, true);
  assert.match(textOf(internal), /confirm: publish: true replaces values/);
  // Nothing was started: no job is running.
  const status = await client.callTool({ name: 'getSnapshotStatus', arguments: {} });
  assert.doesNotMatch(JSON.stringify(status.structuredContent), /"status":"running"/);
});

test('importing a graph file, or a PostgreSQL table over an existing collection, needs confirm: true', async (t) => {
  const suite = await testSuite(t, {
    env: { DATABASE_URL: `postgres://caelum:${canary.dbPassword}@127.0.0.1:${await deadPort()}/caelum` },
    files: { 'kb/graph.json': JSON.stringify(financialGraph({ statistics: 3, points: 2 })) },
  });
  const graph = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_graph',
    arguments: { path: 'kb/graph.json' },
  });
  assert.equal(graph.isError, true);
  assert.match(graph.text, /^confirm: knowledge_base_import_graph is destructive; pass confirm: true/);
  const confirmed = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_graph',
    arguments: { path: 'kb/graph.json' },
    confirm: true,
  });
  assert.equal(confirmed.isError, false, confirmed.text);

  await suite.knowledge.replaceCollection(
    'cpe',
    { space: 'cosine', dimension: 2, embedder: 'fixture-2' },
    { ids: ['a'], namespaces: [''], types: [''], vectors: new Float32Array([1, 0]) },
  );
  const args = { table: 'cpe_entry', idColumn: 'cpe_id', vectorColumn: 'v', collection: 'cpe' };
  const replace = await suite.dispatcher.call('runTool', { name: 'knowledge_base_import_postgres', arguments: args });
  assert.equal(replace.isError, true);
  assert.match(
    replace.text,
    /^arguments\.confirm: collection "cpe" exists and the import replaces it; pass confirm: true/,
  );
  // With confirm it goes on to PostgreSQL (nothing listens there), and the error names no password.
  const attempted = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_postgres',
    arguments: { ...args, confirm: true },
  });
  assert.equal(attempted.isError, true);
  assert.doesNotMatch(attempted.text, /exists and the import replaces it/);
  assertClean('the import error', attempted.text);
  assert.equal((await suite.knowledge.collection('cpe'))?.count, 1, 'the refused import left the collection alone');
});

// The CLI, as a person runs it (needs `npm run build`).

async function cliSetup(t: { after(fn: () => Promise<void>): void }) {
  const { peer, port } = await startPeer(t);
  const dir = await tempDir(t);
  await writeTree(dir, { 'src/a.ts': 'export const f = (x: number) => x;\n' });
  const env = {
    PATH: process.env.PATH!,
    CAELUM_MOUNT_DEFAULTS: '0',
    HOME: dir,
    CAELUM_DATA_DIR: path.join(dir, '.data'),
    ...(await canaryEnvironment(port)),
  };
  return { peer, port, dir, env };
}

/** Runs the CLI without blocking this process: the Ollama peer it calls lives here. */
async function runCli(args: string[], cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [cliPath, ...args], { cwd, env, timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { status, stdout, stderr, all: `${stdout}\n${stderr}` };
}

test('caelum doctor, caelum call (results and errors) print no secret value', async (t) => {
  const { peer, port, dir, env } = await cliSetup(t);
  const off = { ...env, CAELUM_SERVICE: 'off', CAELUM_LOG_LEVEL: 'debug' };
  const doctor = await runCli(['doctor'], dir, off);
  assert.match(doctor.stdout, new RegExp(`gpu1=http://ops:\\*\\*\\*@127\\.0\\.0\\.1:${port}`), doctor.all);
  assert.match(doctor.stdout, /PostgreSQL\s+postgres:\/\/caelum:\*\*\*@/);
  assertClean('caelum doctor', doctor.all);
  const status = await runCli(['call', 'getSystemStatus', '{}'], dir, off);
  assert.match(status.stdout, /"healthy"/, status.all);
  assertClean('caelum call getSystemStatus', status.all);
  const pool = await runCli(['call', 'getPoolStatus', '{}'], dir, off);
  assert.match(pool.stdout, new RegExp(`127\\.0\\.0\\.1:${port}`), pool.all);
  assertClean('caelum call getPoolStatus', pool.all);
  const error = await runCli(['call', 'getSystemStatus', JSON.stringify({ [canary.eia]: 1 })], dir, off);
  assert.equal(error.status, 1, error.all);
  assertClean('a caelum call error', error.all);
  // With the host down, doctor's probe logs host_down on stderr.
  await peer.stop();
  const down = await runCli(['doctor'], dir, off);
  assert.match(down.stderr, /host_down/, down.all);
  assertClean('caelum doctor with a host down', down.all);
});

test('the start-up banner of caelum serve --http and caelum service status print no secret value', async (t) => {
  const { dir, env } = await cliSetup(t);
  const child = spawn(process.execPath, [cliPath, 'serve', '--http', '0'], { cwd: dir, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('Stop with Ctrl-C.') && Date.now() < deadline && child.exitCode === null)
    await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(stdout, /Stop with Ctrl-C\./, `${stdout}\n${stderr}`);
  assert.match(stdout, /Ollama hosts\s+gpu1=http:\/\/ops:\*\*\*@/);
  const status = await runCli(['service', 'status', '--json'], dir, env);
  assert.match(status.stdout, /"running": true/, status.all);
  child.kill('SIGTERM');
  await exited;
  assertClean('the serve --http banner and log', `${stdout}\n${stderr}`);
  assertClean('caelum service status', status.all);
});
