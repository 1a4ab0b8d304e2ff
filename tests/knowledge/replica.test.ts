// Knowledge snapshots shared between Caelum instances: instance A publishes a snapshot to a shared
// location (a directory, or a plain GET/PUT HTTP server on loopback), instance B follows latest.json,
// downloads, verifies and loads it into its own graph, and answers queries from it. A corrupted
// tarball is refused and B keeps serving what it had. Two real suites, real Kuzu, real tar.gz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { tempDir, testSuite, type TestSuite } from '../helpers.js';
import { financialGraph } from './financial-fixture.js';
import { SourcesPeer } from '../peers/kb-sources-peer.js';
import { snapshotsDirectory } from '../../knowledge/snapshot/build-state.js';
import { sha256File, writeSnapshot } from '../../knowledge/snapshot/snapshot-archive.js';
import { downloadSnapshot, pointerName, readLatest, type LatestPointer } from '../../knowledge/snapshot/replica.js';
import { loadConfig } from '../../servers/config.js';

/** A small snapshot whose USA real GDP growth is `value`, written into a suite's snapshots dir. */
async function snapshotIn(suite: TestSuite, name: string, value: number): Promise<string> {
  const data = financialGraph({ statistics: 4 });
  data.statistics = data.statistics!.map((s) => (s.id === 'USA_real_gdp_growth' ? { ...s, value } : s));
  const directory = snapshotsDirectory(suite.dataDir);
  await mkdir(directory, { recursive: true });
  await writeSnapshot(
    path.join(directory, name),
    { 'graph.json': JSON.stringify(data) },
    {
      schemaVersion: 1,
      name,
      buildId: `test-${value}`,
      createdAt: new Date().toISOString(),
      codeVersion: 'test',
      configHash: 'x',
      catalogueHash: 'x',
      window: { startYear: 2018, endYear: 2026 },
      mode: { offline: true, skipIngestion: false, skipLlm: true },
      counts: { graphNodes: data.statistics.length },
      sources: {},
      timingsMs: {},
      notes: [],
    },
  );
  return name;
}

/** What B's graph says USA real GDP growth is (undefined while it holds none). */
async function usaGrowth(suite: TestSuite): Promise<number | undefined> {
  const answer = await suite.dispatcher.call('queryKnowledgeGraph', {
    cypher: "MATCH (s:Statistic {id: 'USA_real_gdp_growth'}) RETURN s.value AS v",
  });
  assert.equal(answer.isError, false, answer.text);
  const rows = (answer.structuredContent as { rows: { v: number }[] }).rows;
  return rows[0]?.v;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface StatusView {
  knowledge: {
    source?: { kind: string; snapshot: string; sha256?: string; replicaOf?: string; publishedAt: string };
    replica?: { location: string; pollSeconds: number; lastPollAt?: string; lastError?: string };
  };
  missing: { severity: string; what: string }[];
}

async function status(suite: TestSuite): Promise<{ view: StatusView; text: string }> {
  const answer = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 300 });
  assert.equal(answer.isError, false, answer.text);
  return { view: answer.structuredContent as unknown as StatusView, text: answer.text };
}

async function share(suite: TestSuite, snapshot: string): Promise<string> {
  const answer = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_restore_snapshot',
    arguments: { snapshot, share: true },
    confirm: true,
  });
  assert.equal(answer.isError, false, answer.text);
  return answer.text;
}

/**
 * A then B through one shared location: publish, pick-up time, status, then a corrupted tarball
 * refused while the first snapshot keeps serving, then a good one loaded over it.
 */
async function exercise(
  t: { after(fn: () => Promise<void> | void): void; diagnostic(message: string): void },
  location: string,
  readPointer: () => Promise<LatestPointer>,
  corrupt: (name: string) => Promise<void>,
) {
  const a = await testSuite(t, { env: { CAELUM_KB_PUBLISH_TO: location } });
  const b = await testSuite(t, {
    env: { CAELUM_KB_REPLICA_SOURCE: location, CAELUM_KB_REPLICA_POLL_SECONDS: '0.2' },
  });
  // The replica's financial graph comes only from the location: no import, no sample.
  await writeFile(path.join(b.project, 'kb.json'), JSON.stringify(financialGraph({ statistics: 2 })));
  const imported = await b.dispatcher.call('runTool', {
    name: 'knowledge_base_import_graph',
    arguments: { path: 'kb.json' },
    confirm: true,
  });
  assert.equal(imported.isError, true);
  assert.match(
    imported.text,
    /this instance is a replica of .*: its financial graph changes only through the snapshots/,
  );
  const sample = await b.dispatcher.call('runTool', { name: 'knowledge_base_load_sample', arguments: {} });
  assert.equal(sample.isError, true);
  assert.match(sample.text, /replica of .*not from the sample/);
  const first = await snapshotIn(a, 'kb_snapshot_20261201.tar.gz', 4.25);
  const shared = await share(a, first);
  assert.match(shared, /kb_snapshot_20261201/);
  const pointer = await readPointer();
  assert.equal(pointer.name, first);
  assert.match(pointer.publishedBy, /:\d+$/);

  // From the pointer's publishedAt to B answering from the snapshot.
  await until('B to serve the first snapshot', async () => ((await usaGrowth(b)) === 4.25 ? true : undefined)).catch(
    (error: Error) => {
      throw new Error(
        `${error.message}; B logged ${JSON.stringify(b.log.entries.filter((e) => /replica|kb_/.test(String(e.event))))}`,
      );
    },
  );
  const servedAfterMs = Date.now() - Date.parse(pointer.publishedAt);
  t.diagnostic(`publish → replica serving: ${servedAfterMs} ms (poll 0.2 s)`);
  assert.ok(servedAfterMs < 5_000, `${servedAfterMs} ms`);

  const { view, text } = await status(b);
  assert.equal(view.knowledge.source?.kind, 'snapshot');
  assert.equal(view.knowledge.source?.snapshot, first);
  assert.equal(view.knowledge.source?.sha256, pointer.sha256);
  assert.equal(view.knowledge.source?.replicaOf, location.replace(/\/+$/, ''));
  assert.equal(view.knowledge.replica?.pollSeconds, 0.2);
  assert.ok(view.knowledge.replica?.lastPollAt);
  assert.equal(view.knowledge.replica?.lastError, undefined);
  assert.match(text, new RegExp(`as a replica of ${location.replace(/[/.:]/g, '\\$&')}`));
  // A, the publisher, serves its own build and says so.
  const own = await status(a);
  assert.equal(own.view.knowledge.source?.sha256, pointer.sha256);
  assert.equal(own.view.knowledge.source?.replicaOf, undefined);
  assert.match(own.text, /from a local build/);
  assert.equal(own.view.knowledge.replica, undefined);

  // A second snapshot whose tarball is damaged at the location after publishing: refused by sha256.
  const second = await snapshotIn(a, 'kb_snapshot_20261202.tar.gz', 9.5);
  await share(a, second);
  await corrupt(second);
  const refused = await until('B to report the bad tarball', async () => {
    const { view } = await status(b);
    return view.knowledge.replica?.lastError ? view : undefined;
  });
  assert.match(
    refused.knowledge.replica!.lastError!,
    /kb_snapshot_20261202\.tar\.gz: sha256 [0-9a-f]{16}…, latest\.json says/,
  );
  assert.ok(refused.missing.some((m) => m.severity === 'warning' && /knowledge replica could not load/.test(m.what)));
  assert.equal(refused.knowledge.source?.snapshot, first, 'B still serves the first snapshot');
  assert.equal(await usaGrowth(b), 4.25);
  // Nothing of the refused download is left in B's data dir.
  assert.deepEqual(await readdir(snapshotsDirectory(b.dataDir)), [first]);
  assert.ok(b.log.entries.some((e) => e.event === 'kb_replica_failed' && /sha256/.test(String(e.error))));

  // Published again, intact: B moves on to it.
  await share(a, second);
  await until('B to serve the second snapshot', async () => ((await usaGrowth(b)) === 9.5 ? true : undefined));
  const after = await status(b);
  assert.equal(after.view.knowledge.source?.snapshot, second);
  assert.equal(after.view.knowledge.replica?.lastError, undefined);

  // Rolled back by hand on B, the replica goes back to the shared snapshot at the next poll.
  const loads = () => b.log.entries.filter((e) => e.event === 'kb_replica_loaded' && e.snapshot === second).length;
  assert.equal(loads(), 1);
  const rollback = await b.dispatcher.call('runTool', {
    name: 'knowledge_base_restore_snapshot',
    arguments: { snapshot: first },
    confirm: true,
  });
  assert.equal(rollback.isError, false, rollback.text);
  await until('B to load the shared snapshot again', async () => (loads() === 2 ? true : undefined));
  assert.equal(await usaGrowth(b), 9.5);

  // Restarted on the same data dir, B finds what its graph serves and downloads nothing again.
  await b.close();
  // A download a killed process left behind is swept on start.
  await writeFile(
    path.join(snapshotsDirectory(b.dataDir), '.replica-kb_snapshot_20261203.tar.gz.999999.0a1b.tmp'),
    'x',
  );
  const again = await testSuite(t, {
    env: { CAELUM_KB_REPLICA_SOURCE: location, CAELUM_KB_REPLICA_POLL_SECONDS: '0.2', CAELUM_DATA_DIR: b.dataDir },
  });
  try {
    await until('the restarted replica to poll', async () => (await status(again)).view.knowledge.replica?.lastPollAt);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await usaGrowth(again), 9.5);
    assert.equal(again.log.entries.filter((e) => e.event === 'kb_replica_loaded').length, 0);
    assert.deepEqual((await readdir(snapshotsDirectory(b.dataDir))).sort(), [first, second]);
  } finally {
    await again.close();
  }
  return servedAfterMs;
}

test('a snapshot published to a shared directory is loaded by a replica; a corrupted one is refused', async (t) => {
  const shared = await tempDir(t);
  await exercise(
    t,
    shared,
    async () => JSON.parse(await readFile(path.join(shared, pointerName), 'utf8')) as LatestPointer,
    async (name) => {
      const file = path.join(shared, name);
      const bytes = await readFile(file);
      bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0xff;
      await writeFile(file, bytes);
    },
  );
  // What the directory holds: the tarballs and the pointer, no temp file.
  assert.deepEqual((await readdir(shared)).sort(), [
    'kb_snapshot_20261201.tar.gz',
    'kb_snapshot_20261202.tar.gz',
    'latest.json',
  ]);
});

/** A plain object store: PUT keeps the body under its path, GET gives it back, 404 otherwise. */
async function objectServer(t: { after(fn: () => Promise<void> | void): void }) {
  const objects = new Map<string, Buffer>();
  const puts: string[] = [];
  const server: Server = createServer((request, response) => {
    const key = decodeURIComponent(new URL(request.url!, 'http://x').pathname);
    if (request.method === 'PUT') {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        objects.set(key, Buffer.concat(chunks));
        puts.push(key);
        response.writeHead(201).end();
      });
      return;
    }
    const body = objects.get(key);
    if (request.method !== 'GET' || !body) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/caelum-kb`;
  return { url, objects, puts };
}

test('the same through a plain HTTP location (PUT to publish, GET to follow)', async (t) => {
  const store = await objectServer(t);
  await exercise(
    t,
    store.url,
    async () => JSON.parse(store.objects.get('/caelum-kb/latest.json')!.toString('utf8')) as LatestPointer,
    async (name) => {
      const body = Buffer.from(store.objects.get(`/caelum-kb/${name}`)!);
      body[body.length - 40] = body[body.length - 40]! ^ 0xff;
      store.objects.set(`/caelum-kb/${name}`, body);
    },
  );
  // The tarball is always PUT before the pointer that names it.
  assert.deepEqual(store.puts.slice(0, 2), ['/caelum-kb/kb_snapshot_20261201.tar.gz', '/caelum-kb/latest.json']);
});

test('share without a configured location, and a bad location in the config, say what to set', async (t) => {
  const a = await testSuite(t);
  await snapshotIn(a, 'kb_snapshot_20261201.tar.gz', 1);
  const answer = await a.dispatcher.call('runTool', {
    name: 'knowledge_base_restore_snapshot',
    arguments: { share: true },
    confirm: true,
  });
  assert.equal(answer.isError, true);
  assert.match(
    answer.text,
    /share: no shared location is configured; set knowledgeBase\.publishTo \(CAELUM_KB_PUBLISH_TO\)/,
  );
  assert.throws(
    () => loadConfig({}, { CAELUM_KB_REPLICA_SOURCE: 'shared/kb', CAELUM_DATA_DIR: a.dataDir }, a.project),
    /knowledgeBase\.replica\.source[\s\S]*absolute directory[\s\S]*http\(s\) base URL/,
  );
  // A password in the location would reach messages through fetch's error: refused at load.
  assert.throws(
    () =>
      loadConfig(
        {},
        { CAELUM_KB_PUBLISH_TO: 'http://kb:s3cret-pw@files.internal/kb', CAELUM_DATA_DIR: a.dataDir },
        a.project,
      ),
    (error: Error) => /must not carry a user or password/.test(error.message) && !error.message.includes('s3cret-pw'),
  );
  assert.throws(
    () =>
      loadConfig(
        {},
        { CAELUM_KB_REPLICA_SOURCE: '/mnt/kb', CAELUM_KB_REPLICA_POLL_SECONDS: '0', CAELUM_DATA_DIR: a.dataDir },
        a.project,
      ),
    /pollSeconds is at least 0\.05/,
  );
  const { config } = loadConfig(
    {},
    {
      CAELUM_KB_REPLICA_SOURCE: 'http://files.internal/kb',
      CAELUM_KB_PUBLISH_TO: '/mnt/kb',
      CAELUM_DATA_DIR: a.dataDir,
    },
    a.project,
  );
  assert.deepEqual(config.knowledgeBase.replica, {
    source: 'http://files.internal/kb',
    pollSeconds: 30,
    timeoutSeconds: 300,
  });
  assert.equal(config.knowledgeBase.publishTo, '/mnt/kb');

  // A one-shot command's suite knows it is a replica but leaves the polling to the serving process.
  const shared = await tempDir(t);
  await writeFile(path.join(shared, pointerName), '{}');
  const oneShot = await testSuite(t, {
    env: { CAELUM_KB_REPLICA_SOURCE: shared, CAELUM_KB_REPLICA_POLL_SECONDS: '0.05' },
    suite: { followReplica: false },
  });
  await new Promise((r) => setTimeout(r, 300));
  const { view, text } = await status(oneShot);
  assert.deepEqual(view.knowledge.replica, { location: shared, pollSeconds: 0.05 });
  assert.match(
    text,
    new RegExp(`Replica of ${shared.replace(/[/.]/g, '\\$&')}: polled every 0\\.05 s, last not yet\\.`),
  );
});

test('a build published with publish: true is shared too, and a replica serves it', async (t) => {
  const shared = await tempDir(t);
  const sources = new SourcesPeer();
  await sources.start();
  t.after(() => sources.stop());
  const a = await testSuite(t, {
    env: {
      CAELUM_KB_SOURCES_URL: sources.url,
      FRED_API_KEY: 'fred-test-key',
      EIA_API_KEY: 'eia-test-key',
      CAELUM_KB_PUBLISH_TO: shared,
    },
  });
  const b = await testSuite(t, {
    env: { CAELUM_KB_REPLICA_SOURCE: shared, CAELUM_KB_REPLICA_POLL_SECONDS: '0.2' },
  });
  const build = await a.dispatcher.call('buildKnowledgeSnapshot', {
    skipLlm: true,
    startYear: 2019,
    publish: true,
    confirm: true,
  });
  assert.equal(build.isError, false, build.text);
  const built = (build.structuredContent as { build: { snapshot: string; file: string; notes: string[] } }).build;
  assert.ok(
    built.notes.some((n) => n.startsWith(`shared to ${shared} (latest.json → ${built.snapshot}`)),
    built.notes.join('\n'),
  );
  const pointer = JSON.parse(await readFile(path.join(shared, pointerName), 'utf8')) as LatestPointer;
  assert.equal(pointer.name, built.snapshot);
  assert.equal(pointer.sha256, (await sha256File(built.file)).sha256);
  const served = await until('B to serve the build', async () => {
    const { view } = await status(b);
    return view.knowledge.source?.sha256 === pointer.sha256 ? view : undefined;
  });
  assert.equal(served.knowledge.source?.snapshot, built.snapshot);
  const lastLoad = (served.knowledge.replica as { lastLoad?: Record<string, number> } | undefined)?.lastLoad;
  t.diagnostic(`build snapshot (${pointer.bytes} bytes): ${JSON.stringify(lastLoad)}`);
  const count = await b.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (p:SeriesPoint) RETURN count(p) AS n',
  });
  const built_count = await a.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (p:SeriesPoint) RETURN count(p) AS n',
  });
  assert.ok((count.structuredContent as { rows: { n: number }[] }).rows[0]!.n > 1000);
  assert.deepEqual(
    (count.structuredContent as { rows: unknown[] }).rows,
    (built_count.structuredContent as { rows: unknown[] }).rows,
  );
});

test('a hostile pointer or tarball is refused before it reaches the graph: a path for a name, over the budget, longer than announced', async (t) => {
  const shared = await tempDir(t);
  const local = await tempDir(t);
  const location = { kind: 'dir' as const, path: shared };
  const good = {
    name: 'kb_snapshot_20261201.tar.gz',
    sha256: 'a'.repeat(64),
    bytes: 10,
    createdAt: '',
    publishedAt: new Date().toISOString(),
    publishedBy: 'x',
  };
  await writeFile(
    path.join(shared, pointerName),
    JSON.stringify({ ...good, name: '../../etc/kb_snapshot_20261201.tar.gz' }),
  );
  await assert.rejects(readLatest(location), /latest\.json: name is not kb_snapshot_YYYYMMDD\[-n\]\.tar\.gz/);
  await writeFile(path.join(shared, pointerName), '{"name": 1');
  await assert.rejects(readLatest(location), /latest\.json is not JSON/);
  await assert.rejects(
    downloadSnapshot(location, { ...good, bytes: 2_000 }, local, {
      limits: { maxMemberBytes: 1_000, maxTotalBytes: 1_000 },
    }),
    /2000 bytes, over the 1000-byte snapshot budget/,
  );
  await writeFile(path.join(shared, good.name), Buffer.alloc(50));
  await assert.rejects(downloadSnapshot(location, good, local), /longer than the 10 bytes latest\.json says/);
  assert.deepEqual(await readdir(local), [], 'nothing is left behind');
});
