// The shared service's life: idle shutdown, a front-end of another build, `caelum call` through
// the service, and an HTTP endpoint opened on the running service by `caelum serve --http`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { snapshotsDirectory } from '../../knowledge/snapshot/build-state.js';
import { writeSnapshot } from '../../knowledge/snapshot/snapshot-archive.js';
import { cliPath, textOf } from '../helpers.js';
import { SourcesPeer } from '../peers/kb-sources-peer.js';
import { alive, cli, gone, place, serviceStatus, session } from './service-fixture.js';

test('the service stops by itself once idle with no client, not while a client is connected', async (t) => {
  const where = await place(t, { CAELUM_SERVICE_IDLE_MINUTES: '0.02' });
  const { client } = await session(t, where);
  const { pid } = serviceStatus(where);
  assert.ok(pid);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(alive(pid), true, 'a connected client keeps the service up past its idle time');
  assert.ok((await client.listTools()).tools.length > 0);
  await client.close();
  assert.equal(await gone(pid), true, 'the idle service exited');
  assert.equal(serviceStatus(where).running, false);
});

test('a front-end of another build replaces an idle service, and is told what to do when it is busy', async (t) => {
  const where = await place(t);
  const old = await session(t, where, { CAELUM_BUILD_ID: 'build-old' });
  const first = serviceStatus(where);
  assert.equal(first.build, 'build-old');
  await old.client.close();
  const current = await session(t, where, { CAELUM_BUILD_ID: 'build-new' });
  const second = serviceStatus(where);
  assert.equal(second.build, 'build-new', 'the idle service of the old build was replaced');
  assert.notEqual(second.pid, first.pid);
  assert.equal(await gone(first.pid!), true, 'the old service exited');
  // Busy now: a third build keeps being served, and is told how to switch.
  const newer = await session(t, where, { CAELUM_BUILD_ID: 'build-newer' });
  assert.ok((await newer.client.listTools()).tools.length > 0);
  assert.equal(serviceStatus(where).pid, second.pid, 'a busy service is not restarted under its clients');
  assert.match(newer.stderr(), /this service runs build build-new and your front-end is build build-newer/);
  assert.match(newer.stderr(), /caelum service restart/);
  assert.ok((await current.client.listTools()).tools.length > 0);
});

test('caelum call goes through the running service instead of fighting it for the graph', async (t) => {
  const where = await place(t);
  const { client } = await session(t, where);
  const written = cli(where, [
    'call',
    'rememberFacts',
    JSON.stringify({ entities: [{ name: 'from-cli', entityType: 'note', observations: ['written by caelum call'] }] }),
  ]);
  assert.equal(written.status, 0, written.stderr);
  const recalled = await client.callTool({ name: 'recallFacts', arguments: { names: ['from-cli'] } });
  assert.match(textOf(recalled), /written by caelum call/);
  const internal = cli(where, ['call', 'knowledge_base_recall_facts', JSON.stringify({ names: ['from-cli'] })]);
  assert.equal(internal.status, 0, internal.stderr);
  assert.match(internal.stdout, /written by caelum call/);
});

test('caelum serve --http opens an endpoint on the running service, and closes it when stopped', async (t) => {
  const where = await place(t);
  const { client } = await session(t, where);
  await client.callTool({
    name: 'rememberFacts',
    arguments: { entities: [{ name: 'over-stdio', entityType: 'note', observations: ['seen over HTTP too'] }] },
  });
  const serve = spawn(process.execPath, [cliPath, 'serve', '--http', '0', '--data-dir', where.dataDir], {
    cwd: where.cwd,
    env: where.env,
  });
  t.after(() => void serve.kill('SIGKILL'));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    serve.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving MCP \(Streamable HTTP, stateless\) at (http:\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    serve.once('exit', (code) => reject(new Error(`serve --http exited ${code}: ${out}`)));
  });
  assert.match(out, /Attached to the running Caelum service/);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'recallFacts', arguments: { names: ['over-stdio'] } },
    }),
  });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /seen over HTTP too/);
  assert.deepEqual(serviceStatus(where).http, [url]);
  serve.kill('SIGINT');
  await new Promise((resolve) => serve.once('exit', resolve));
  const deadline = Date.now() + 5000;
  while (serviceStatus(where).http?.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(serviceStatus(where).http, [], 'the endpoint closed with the terminal that opened it');
  assert.ok((await client.listTools()).tools.length > 0, 'the service keeps serving its stdio session');
});

test('notifications reach a client through the front-end: a new snapshot on disk sends resources/list_changed', async (t) => {
  const where = await place(t);
  const { client } = await session(t, where);
  const capabilities = client.getServerCapabilities();
  assert.equal(capabilities?.resources?.listChanged, true, 'socket sessions advertise list_changed');
  let notified = 0;
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void notified++);
  await client.listResources();
  const directory = snapshotsDirectory(where.dataDir);
  await mkdir(directory, { recursive: true });
  const name = 'kb_snapshot_20261202';
  await writeSnapshot(
    path.join(directory, `${name}.tar.gz`),
    { 'graph.json': '{}' },
    {
      schemaVersion: 1,
      name,
      buildId: `build-${name}`,
      createdAt: '2026-12-02T06:00:00.000Z',
      codeVersion: '0.1.0',
      configHash: 'c',
      catalogueHash: 'k',
      window: { startYear: 2018, endYear: 2026 },
      mode: { offline: true, skipIngestion: false, skipLlm: true },
      counts: { observations: 1 },
      sources: {},
      timingsMs: { ingest: 1 },
      notes: [],
    },
  );
  const deadline = Date.now() + 5000;
  while (notified === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  assert.ok(notified > 0, 'resources/list_changed arrived through the relay');
  const listed = await client.listResources();
  assert.ok(listed.resources.some((r) => r.uri.includes(name)));
});

test('an idle service waits for a running background job before it stops', async (t) => {
  const sources = new SourcesPeer({ latencyMs: 25 });
  await sources.start();
  t.after(() => sources.stop());
  const where = await place(t, {
    CAELUM_SERVICE_IDLE_MINUTES: '0.02',
    CAELUM_KB_SOURCES_URL: sources.url,
    FRED_API_KEY: 'fred-test-key',
    EIA_API_KEY: 'eia-test-key',
  });
  const { client } = await session(t, where);
  const started = await client.callTool({
    name: 'buildKnowledgeSnapshot',
    arguments: { background: true, skipLlm: true },
  });
  assert.equal(started.isError, undefined, textOf(started));
  await client.close();
  const { pid } = serviceStatus(where);
  assert.ok(pid);
  // Past the 1.2 s idle time with no client, the job keeps the service up.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const during = serviceStatus(where);
  assert.equal(during.running, true, 'the service waits for its job');
  assert.equal(during.jobs?.length, 1, JSON.stringify(during));
  assert.equal(await gone(pid, 90_000), true, 'the service stopped once the job was done');
  const snapshots = await readdir(snapshotsDirectory(where.dataDir));
  assert.equal(snapshots.filter((name) => name.endsWith('.tar.gz')).length, 1, 'the build finished first');
});
