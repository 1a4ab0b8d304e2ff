// Snapshot builds fail honestly: a build is done only when each phase got its minimum share of tasks.
// Sources that refuse connections, rate-limit, reject or lack a key fail the build with one line per
// provider and write nothing; an offline build with no cache fails the same way; a build just below
// the minimum is partial (its snapshot marked, not published, no signals), just above it is done.
// The loopback data providers, real undici, real Kuzu and tar.gz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cliPath, tempDir, testSuite } from '../../helpers.js';
import { OllamaPeer } from '../../peers/ollama-peer.js';
import { SourcesPeer } from '../../peers/kb-sources-peer.js';
import { buildSnapshot } from '../../../knowledge/snapshot/build.js';
import { readBuildState, snapshotsDirectory } from '../../../knowledge/snapshot/build-state.js';
import { classifyFailure, CoverageError, type Coverage } from '../../../knowledge/snapshot/coverage.js';
import { providers } from '../../../knowledge/snapshot/catalogue/statistics.js';
import { readSnapshot, readSnapshotManifest, writeSnapshot } from '../../../knowledge/snapshot/snapshot-archive.js';

type T = Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void>): void };

async function sourcesPeer(t: T, options: ConstructorParameters<typeof SourcesPeer>[0] = {}): Promise<SourcesPeer> {
  const sources = new SourcesPeer(options);
  await sources.start();
  t.after(() => sources.stop());
  return sources;
}

/** A loopback port with nothing listening: connecting to it is refused. */
async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function snapshotFiles(dataDir: string): Promise<string[]> {
  return (await readdir(snapshotsDirectory(dataDir)).catch(() => [] as string[])).filter((n) => n.endsWith('.tar.gz'));
}

/**
 * Countries a build published into the live graph. A fresh graph's first query loads the bundled
 * sample (labelled as such), so the sample's countries are not the build's: they count as none.
 */
async function countries(suite: Awaited<ReturnType<typeof testSuite>>): Promise<number> {
  const result = await suite.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (c:Country) RETURN count(c) AS n',
  });
  assert.equal(result.isError, false, result.text);
  const content = result.structuredContent as { rows: { n: number }[]; source?: { kind: string } };
  return content.source?.kind === 'snapshot' ? content.rows[0]!.n : 0;
}

const worldBankRateLimited = (sources: SourcesPeer) =>
  sources.fault(/\/v2\/country\//, { status: 429, retryAfter: '3600', body: '{"message":"slow down"}' }, 10_000);

test('sources that rate-limit, answer garbage, reject or lack a key fail the build with one line per provider, and nothing is written or published', async (t) => {
  const sources = await sourcesPeer(t, { eiaKey: 'the-right-key' });
  worldBankRateLimited(sources);
  sources.fault(/\/public\/rest\/data\//, { status: 429, retryAfter: '3600' }, 10_000);
  sources.fault(/\/external\/datamapper\//, { status: 200, body: 'maintenance window' }, 10_000);
  sources.fault(/\/api\/v2\/data\//, { status: 503, retryAfter: '3600' }, 10_000);
  // No FRED_API_KEY; an EIA key the provider does not accept.
  const suite = await testSuite(t, { env: { CAELUM_KB_SOURCES_URL: sources.url, EIA_API_KEY: 'a-wrong-key' } });
  t.after(() => suite.close());

  const result = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true, publish: true, confirm: true });
  assert.equal(result.isError, true, result.text);
  assert.equal(result.errorCode, 'INCOMPLETE');
  const lines = result.text.split('\n');
  assert.match(lines[0]!, /failed: no observation came in, so no snapshot was written or published$/);
  assert.match(result.text, /ingest: 0 of 900 tasks fetched \(0\.0%, minimum 50\.0%\): below the minimum/);
  const line = (provider: string) => lines.find((l) => l.trim().startsWith(`${provider}:`)) ?? '';
  assert.match(
    line('world_bank'),
    /720 of 720 failed; first: rate limited \(http:\/\/127\.0\.0\.1:\d+\/v2\/country\/…\/indicator\/[\w.]+: HTTP 429 with Retry-After 3600 s/,
  );
  assert.match(line('oecd'), /28 of 28 failed; first: rate limited/);
  assert.match(line('imf'), /60 of 60 failed; first: parse error \(.*not JSON \(maintenance window\)/);
  assert.match(line('bis'), /3 of 3 failed; first: HTTP status \(.*HTTP 503/);
  assert.match(line('fred'), /69 of 69 failed; first: key missing \(fred: no API key \(set FRED_API_KEY\)/);
  assert.match(line('eia'), /20 of 20 failed; first: key rejected \(EIA product .*HTTP 403/);
  assert.equal(lines.filter((l) => l.startsWith('  ')).length, 6, 'one line per provider');
  assert.match(lines.at(-1)!, /^To fix: .*wait and build again.*set FRED_API_KEY \/ EIA_API_KEY\.$/);
  assert.doesNotMatch(result.text, /inside Caelum|a-wrong-key/);

  assert.deepEqual(await snapshotFiles(suite.dataDir), [], 'no snapshot file');
  assert.equal(await countries(suite), 0, 'nothing published to the live graph');
  const status = await suite.dispatcher.call('getSnapshotStatus', {});
  assert.match(status.text, /build \S+: failed \(resumable\); done: nothing yet; snapshot build \S+ failed/);
});

test('a build whose sources all refuse connections fails as network unreachable, keeps no ingest checkpoint and records its coverage', async (t) => {
  const dataDir = await tempDir(t);
  const url = await refusedUrl();
  let error: unknown;
  try {
    await buildSnapshot({
      dataDir,
      providers: Object.fromEntries(providers.map((p) => [p, { baseUrl: url, apiKey: 'k' }])),
      skipLlm: true,
      codeVersion: 'test',
      clientOptions: { sleep: async () => undefined, maxAttempts: 2 },
    });
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof CoverageError, String(error));
  assert.equal(error.coverage.status, 'failed');
  const ingest = error.coverage.phases[0]!;
  assert.deepEqual([ingest.asked, ingest.got, ingest.meets], [900, 0, false]);
  for (const provider of providers) {
    const group = ingest.byProvider[provider]!;
    assert.equal(group.failed, group.asked, provider);
    assert.equal(group.firstFailure!.kind, 'network unreachable', `${provider}: ${group.firstFailure!.detail}`);
    assert.match(group.firstFailure!.detail, /ECONNREFUSED/);
  }
  assert.match(error.message, /world_bank: 720 of 720 failed; first: network unreachable/);
  assert.match(error.message, /To fix: check the network or the providers’ base URLs/);

  const builds = await readdir(path.join(dataDir, 'kb', 'builds'));
  const directory = path.join(dataDir, 'kb', 'builds', builds[0]!);
  const state = (await readBuildState(directory))!;
  assert.equal(state.status, 'failed');
  assert.equal(state.coverage?.status, 'failed');
  assert.deepEqual(state.phases, {}, 'a resume runs ingestion again');
  assert.equal((await readdir(directory)).includes('ingest'), false);
  assert.deepEqual(await snapshotFiles(dataDir), []);
});

test('an offline build with nothing cached fails the same way: no snapshot, nothing published', async (t) => {
  const suite = await testSuite(t, { env: { FRED_API_KEY: 'k', EIA_API_KEY: 'k' } });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('buildKnowledgeSnapshot', {
    offline: true,
    publish: true,
    confirm: true,
  });
  assert.equal(result.isError, true);
  assert.match(result.text, /failed: no observation came in/);
  assert.match(result.text, /^ {2}world_bank: 720 of 720 failed; first: not cached \(offline\)/m);
  assert.match(result.text, /To fix: run a build with network first/);
  assert.doesNotMatch(result.text, /minCoverage/, 'lowering the minimum cannot make an empty build usable');
  assert.deepEqual(await snapshotFiles(suite.dataDir), []);
  assert.equal(await countries(suite), 0);
  const signals = await suite.dispatcher.call('generateMarketSignals', {});
  assert.equal(signals.isError, true);
  assert.match(signals.text, /there is no knowledge snapshot yet/);
});

// With the World Bank rate-limited, the other providers answer 178 of the 900 covered tasks:
// FRED 67 (two of its ids do not exist), IMF 60, OECD 28, EIA 20, BIS 3. That is 19.8%.
async function rateLimitedBuild(t: T, minCoverage: string, input: Record<string, unknown> = {}) {
  const sources = await sourcesPeer(t);
  worldBankRateLimited(sources);
  const suite = await testSuite(t, {
    env: {
      CAELUM_KB_SOURCES_URL: sources.url,
      FRED_API_KEY: 'k',
      EIA_API_KEY: 'k',
      CAELUM_KB_MIN_COVERAGE: minCoverage,
    },
  });
  t.after(() => suite.close());
  const result = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true, ...input });
  return { suite, result };
}

test('a build just above the minimum is done and gives signals', async (t) => {
  const { suite, result } = await rateLimitedBuild(t, '0.19');
  assert.equal(result.isError, false, result.text);
  const build = (result.structuredContent as { status: string; build: { coverage: Coverage; file: string } }).build;
  assert.equal(build.coverage.status, 'done');
  const ingest = build.coverage.phases[0]!;
  assert.deepEqual([ingest.phase, ingest.asked, ingest.got, ingest.meets], ['ingest', 900, 178, true]);
  const manifest = await readSnapshotManifest(build.file);
  assert.equal(manifest.coverage?.status, 'done');
  assert.equal(manifest.coverage?.phases[0]?.byProvider.world_bank?.failed, 720);
  const signals = await suite.dispatcher.call('generateMarketSignals', {});
  assert.equal(signals.isError, false, signals.text);
});

test('a build just below the minimum is partial: its snapshot carries its coverage, is not published, and gives no signals', async (t) => {
  const { suite, result } = await rateLimitedBuild(t, '0.2', { publish: true, confirm: true });
  assert.equal(result.isError, true);
  assert.equal(result.errorCode, 'INCOMPLETE');
  const [first, ...rest] = result.text.split('\n');
  assert.match(
    first!,
    /is partial: (kb_snapshot_\d{8}\.tar\.gz) was written with its coverage in its manifest, without daily outputs, and was not published to the live graph$/,
  );
  assert.equal(rest[0], 'ingest: 178 of 900 tasks fetched (19.8%, minimum 20.0%): below the minimum');
  assert.match(rest[1]!, /^ {2}fred: 2 of 69 failed; first: HTTP status \(FRED \w+: HTTP 400/);
  assert.match(rest[2]!, /^ {2}world_bank: 720 of 720 failed; first: rate limited/);
  assert.match(rest.at(-1)!, /or lower knowledgeBase\.minCoverage \(now 0\.2\)\.$/);

  const [file] = await snapshotFiles(suite.dataDir);
  const manifest = await readSnapshotManifest(path.join(snapshotsDirectory(suite.dataDir), file!));
  assert.equal(manifest.coverage?.status, 'partial');
  assert.equal(manifest.coverage?.minimum, 0.2);
  assert.equal(manifest.coverage?.phases[0]?.got, 178);
  assert.equal(await countries(suite), 0, 'a partial snapshot is not published');
  const outputs = await readdir(path.join(suite.dataDir, 'kb', 'outputs')).catch(() => [] as string[]);
  assert.deepEqual(outputs, [], 'no daily outputs from a partial snapshot');

  const signals = await suite.dispatcher.call('generateMarketSignals', {});
  assert.equal(signals.isError, true);
  assert.equal(signals.text.split('\n').length, 1);
  assert.match(
    signals.text,
    new RegExp(
      `^${file!.replace(/\./g, '\\.')} is below coverage and gives no signals: ingest 178/900 \\(19\\.8%\\), minimum 20%; build a complete snapshot with buildKnowledgeSnapshot`,
    ),
  );
  const status = await suite.dispatcher.call('getSnapshotStatus', {});
  assert.match(status.text, /: partial; done: ingest, derive/);
  assert.doesNotMatch(status.text, /partial \(resumable\)/);

  // In the background the same build ends as a partial job that says why.
  const started = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true, background: true });
  const jobId = (started.structuredContent as { jobId: string }).jobId;
  let job: { status: string; error?: string } | undefined;
  for (let i = 0; i < 600 && job?.status !== 'partial'; i++) {
    const polled = await suite.dispatcher.call('getSnapshotStatus', { jobId });
    job = (polled.structuredContent as { jobs: { status: string; error?: string }[] }).jobs[0];
    if (job?.status === 'running') await new Promise((r) => setTimeout(r, 50));
    else break;
  }
  assert.equal(job?.status, 'partial');
  assert.match(job!.error!, /is partial: kb_snapshot_\d{8}-2\.tar\.gz was written/);
  assert.match(job!.error!, /world_bank: 720 of 720 failed; first: rate limited/);
});

test('a snapshot from before coverage was recorded is judged from its own tasks.json', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const directory = snapshotsDirectory(suite.dataDir);
  // As main wrote it with no network: every task an ENOTFOUND error, zero observations, no coverage field.
  const tasks = [
    ...Array.from({ length: 36 }, (_, i) => ({
      country: `C${i}`,
      stat: 'gdp',
      status: 'error',
      provider: 'world_bank',
      rows: 0,
      detail:
        'World Bank NY.GDP.MKTP.KD.ZG: ENOTFOUND: getaddrinfo ENOTFOUND api.worldbank.org (gave up after 4 attempts)',
    })),
    { country: 'USA', stat: 'x', status: 'not_covered', rows: 0, detail: 'no series' },
  ];
  await mkdir(directory, { recursive: true });
  await writeSnapshot(
    path.join(directory, 'kb_snapshot_20261120.tar.gz'),
    { 'tasks.json': JSON.stringify(tasks) },
    {
      schemaVersion: 1,
      name: 'kb_snapshot_20261120.tar.gz',
      buildId: 'old',
      createdAt: '2026-11-20T00:00:00.000Z',
      codeVersion: 'old',
      configHash: 'x',
      catalogueHash: 'x',
      window: { startYear: 2018, endYear: 2026 },
      mode: { offline: false, skipIngestion: false, skipLlm: true },
      counts: { observations: 0, tasks: 37 },
      sources: {},
      timingsMs: {},
      notes: [],
    },
  );
  const members = await readSnapshot(path.join(directory, 'kb_snapshot_20261120.tar.gz'), ['manifest.json']);
  assert.equal('coverage' in JSON.parse(members.get('manifest.json')!.toString('utf8')), false);
  const signals = await suite.dispatcher.call('generateMarketSignals', {});
  assert.equal(signals.isError, true);
  assert.match(
    signals.text,
    /^kb_snapshot_20261120\.tar\.gz is below coverage and gives no signals: ingest 0\/36 \(0\.0%\), minimum 50% \(computed from its tasks\.json: it predates recorded coverage\)/,
  );
});

test('failure messages are classified as a person would act on them', () => {
  const cases: [string, string][] = [
    [
      'World Bank X: ENOTFOUND: getaddrinfo ENOTFOUND api.worldbank.org (gave up after 4 attempts)',
      'network unreachable',
    ],
    ['IMF X: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9 (gave up after 4 attempts)', 'network unreachable'],
    ['OECD X: timed out after 15000 ms (gave up after 4 attempts)', 'timed out'],
    ['BIS X: HTTP 429 (gave up after 4 attempts)', 'rate limited'],
    ['fred: no API key (set FRED_API_KEY); its tasks are skipped', 'key missing'],
    ['FRED X: HTTP 400: Bad Request.  The value for variable api_key is not registered.', 'key rejected'],
    ['EIA product 57: HTTP 403: An invalid api_key was supplied.', 'key rejected'],
    ['World Bank X: HTTP 400 (an HTML error page): Bad request', 'HTTP status'],
    ['IMF X: the answer is not JSON (oops)', 'parse error'],
    ['offline build and nothing cached for this task', 'not cached (offline)'],
    ['', 'no answer'],
  ];
  for (const [detail, kind] of cases) assert.equal(classifyFailure(detail), kind, detail);
});

test('caelum kb build --offline with no cache exits non-zero with the per-provider lines on stderr', async (t) => {
  const base = await tempDir(t);
  const child = spawn(process.execPath, [cliPath, 'kb', 'build', '--offline', '--skip-llm'], {
    env: {
      PATH: process.env.PATH ?? '',
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: base,
      CAELUM_DATA_DIR: path.join(base, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.notEqual(code, 0, stderr);
  assert.equal(code, 1);
  assert.equal(stdout, '');
  assert.match(stderr, /caelum kb build: .*failed: no observation came in, so no snapshot was written or published/);
  for (const provider of providers)
    assert.match(stderr, new RegExp(`^ {2}${provider}: \\d+ of \\d+ failed; first: not cached \\(offline\\)`, 'm'));
  assert.deepEqual(await snapshotFiles(path.join(base, 'data')), []);
});

test('an LLM phase whose answers all fail the schema makes the build partial, with its own line', async (t) => {
  const sources = await sourcesPeer(t);
  const ollama = new OllamaPeer({ reply: () => 'I cannot estimate that.' });
  await ollama.start();
  t.after(() => ollama.stop());
  const suite = await testSuite(t, {
    env: {
      CAELUM_KB_SOURCES_URL: sources.url,
      FRED_API_KEY: 'k',
      EIA_API_KEY: 'k',
      CAELUM_OLLAMA_HOSTS: `gpu1=${ollama.url}`,
    },
  });
  t.after(() => suite.close());
  await suite.pool.reprobe();
  const result = await suite.dispatcher.call('buildKnowledgeSnapshot', {});
  assert.equal(result.isError, true, result.text);
  assert.match(result.text, /is partial: kb_snapshot_\d{8}\.tar\.gz was written/);
  assert.match(
    result.text,
    /^ingest: 898 of 900 tasks fetched \(99\.8%, minimum 50\.0%\)$/m,
    'ingestion met its minimum',
  );
  assert.match(result.text, /^llm_stats: 0 of 340 values answered \(0\.0%, minimum 50\.0%\): below the minimum$/m);
  assert.match(
    result.text,
    /^ {2}llm: 340 of 340 failed; first: invalid answer \(\w{3} batch 1: the answer did not match the schema/m,
  );
  assert.match(result.text, /^llm_edges: 0 of 372 values answered/m);
  assert.match(result.text, /check the LLM hosts with caelum doctor, or build with skipLlm: true/);
});

test('an offline build from a full observation cache but no LLM answers is done, its LLM phases skipped and said so', async (t) => {
  const sources = await sourcesPeer(t);
  const suite = await testSuite(t, {
    env: { CAELUM_KB_SOURCES_URL: sources.url, FRED_API_KEY: 'k', EIA_API_KEY: 'k' },
  });
  t.after(() => suite.close());
  const online = await suite.dispatcher.call('buildKnowledgeSnapshot', { skipLlm: true });
  assert.equal(online.isError, false, online.text);
  const offline = await suite.dispatcher.call('buildKnowledgeSnapshot', { offline: true });
  assert.equal(offline.isError, false, offline.text);
  const build = (offline.structuredContent as { build: { coverage: Coverage; notes: string[] } }).build;
  assert.equal(build.coverage.status, 'done');
  assert.deepEqual(
    build.coverage.phases.map((p) => p.phase),
    ['ingest'],
  );
  assert.ok(build.notes.includes('LLM phases skipped: offline, and no earlier build left LLM answers in the cache'));
});
