// The sample knowledge base: built by the snapshot pipeline from the recordings the package ships
// (a replay, no network), labelled as a sample, loaded into an empty graph on first start and on
// demand, answering queryKnowledgeGraph on a fresh install, and replaced by a networked build
// published through the usual path. Real Kuzu, real tar.gz, the real MCP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot, tempDir, testSuite, connectClient, textOf } from '../helpers.js';
import { SourcesPeer, fixture } from '../peers/kb-sources-peer.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { buildSampleSnapshot } from '../../knowledge/snapshot/sample/sample-build.js';
import { loadRecordings } from '../../knowledge/snapshot/sample/recordings.js';
import { ReplayClient } from '../../knowledge/snapshot/sample/replay-client.js';
import { readSnapshot } from '../../knowledge/snapshot/snapshot-archive.js';
import { fromColumnar, type ColumnarObservations } from '../../knowledge/snapshot/columnar.js';
import { countries } from '../../knowledge/snapshot/catalogue/countries.js';
import { statistics } from '../../knowledge/snapshot/catalogue/statistics.js';
import { seedContagion, tradeEdges } from '../../knowledge/snapshot/catalogue/corridors.js';
import { graphSource } from '../../knowledge/snapshot/publish.js';
import { SourceHttpError } from '../../knowledge/snapshot/source-client.js';
import type { FinancialGraphData } from '../../knowledge/financial.js';
import type { CountryRegime } from '../../knowledge/snapshot/regimes/country-regimes.js';
import { loadSampleOnFirstStart } from '../../servers/sample-data.js';

const recordingsDirectory = path.join(repoRoot, 'data', 'kb-sample');
const json = <X>(members: Map<string, Buffer>, name: string) => JSON.parse(members.get(name)!.toString('utf8')) as X;

/** Core CPI year on year, month by month, worked out here from the recorded FRED answer itself. */
async function recordedCoreCpiYoy(from: string, to: string): Promise<Map<string, number>> {
  const body = JSON.parse(
    await readFile(path.join(recordingsDirectory, 'fred', 'CPILFESL-observations-full-history.json'), 'utf8'),
  ) as { observations: { date: string; value: string }[] };
  const level = new Map(body.observations.map((o) => [o.date.slice(0, 7), Number(o.value)]));
  const yoy = new Map<string, number>();
  for (const [month, value] of level) {
    const before = level.get(`${Number(month.slice(0, 4)) - 1}${month.slice(4)}`);
    if (before && month >= from && month <= to) yoy.set(month, (value / before - 1) * 100);
  }
  return yoy;
}

test('the shipped recordings are the fixtures byte for byte, and a changed byte stops the sample build', async (t) => {
  const loaded = await loadRecordings(recordingsDirectory);
  const files = loaded.recordings.flatMap((r) => r.answers.map((a) => a.file));
  assert.deepEqual(files.sort(), [
    'fred/CPILFESL-observations-full-history.json',
    'fred/CPILFESL-series-metadata.json',
  ]);
  for (const file of files)
    assert.ok((await readFile(path.join(recordingsDirectory, file))).equals(fixture(file)), `${file} differs`);
  const dir = await tempDir(t);
  const copy = path.join(dir, 'kb-sample');
  await cp(recordingsDirectory, copy, { recursive: true });
  const target = path.join(copy, 'fred', 'CPILFESL-observations-full-history.json');
  await writeFile(target, (await readFile(target, 'utf8')).replace('"323.383"', '"323.384"'));
  await assert.rejects(loadRecordings(copy), /CPILFESL-observations-full-history\.json does not match its SHA-256/);
});

test('the replay answers only what was recorded and never goes to the network', async () => {
  const client = new ReplayClient(await loadRecordings(recordingsDirectory));
  const recorded = await client.get(
    'fred',
    'https://api.stlouisfed.org/fred/series/observations?series_id=CPILFESL&api_key=x&observation_start=2016-01-01',
    { label: 'CPILFESL' },
  );
  assert.equal(recorded.fetchedAt, '2025-01-15T00:00:00.000Z');
  assert.match(recorded.body, /"count":816/);
  for (const url of [
    'https://api.stlouisfed.org/fred/series/observations?series_id=UNRATE&api_key=x',
    'https://api.worldbank.org/v2/country/US/indicator/NY.GDP.MKTP.KD.ZG?format=json',
  ])
    await assert.rejects(
      client.get(url.includes('worldbank') ? 'world_bank' : 'fred', url, { label: url }),
      (error: unknown) =>
        error instanceof SourceHttpError && /not among the sample's recorded answers/.test(error.message),
    );
});

test('the sample is a snapshot built by the pipeline: the catalogue, the recorded series with its provenance, a regime where the data allows, labelled sample', async (t) => {
  const dataDir = await tempDir(t);
  const result = await buildSampleSnapshot({ recordingsDirectory, dataDir, codeVersion: 'test' });
  const manifest = result.manifest;
  assert.ok(manifest.sample, 'the manifest says it is a sample');
  assert.match(manifest.sample.label, /sample/i);
  assert.deepEqual(manifest.sample.tasks, ['USA|core_cpi']);
  assert.equal(manifest.sample.recordings[0]!.source.repository, 'gw-moore/pyfredapi');
  assert.equal(manifest.sample.recordings[0]!.recordedAt, '2025-01-15T00:00:00.000Z');
  assert.ok(manifest.sample.notShipped.some((n) => /AGPL/.test(n.reason)));
  // Only the recorded task ran; every other task has no source in the sample, none failed.
  assert.equal(manifest.counts.tasks_fetched, 1);
  assert.equal(manifest.counts.tasks_error ?? 0, 0);
  assert.equal(manifest.counts.tasks, manifest.counts.tasks_fetched! + manifest.counts.tasks_not_covered!);
  const tasks = json<{ country: string; stat: string; status: string; detail?: string }[]>(
    await readSnapshot(result.snapshot, ['tasks.json']),
    'tasks.json',
  );
  assert.ok(
    tasks
      .filter((task) => task.status === 'not_covered' && !/in the catalogue/.test(task.detail ?? ''))
      .every((task) => task.detail === "not among the sample's recorded answers"),
  );
  assert.deepEqual(
    result.served.map((s) => s.file),
    ['fred/CPILFESL-series-metadata.json', 'fred/CPILFESL-observations-full-history.json'],
  );

  const members = await readSnapshot(result.snapshot);
  // Every value is the recorded answer's year-on-year change, month by month, 2017-01 to 2024-12.
  const observations = fromColumnar(json<ColumnarObservations>(members, 'observations.columnar.json'));
  const expected = await recordedCoreCpiYoy('2017-01', '2024-12');
  assert.equal(expected.size, 96);
  assert.equal(observations.length, expected.size);
  for (const o of observations) {
    assert.equal(`${o.country} ${o.stat} ${o.provider} ${o.series}`, 'USA core_cpi fred CPILFESL');
    assert.ok(
      Math.abs(o.value - expected.get(o.period)!) < 1e-6,
      `${o.period}: ${o.value} vs ${expected.get(o.period)}`,
    );
  }

  // The structural graph is the catalogue's, whole.
  const graph = json<FinancialGraphData>(members, 'graph.json');
  assert.deepEqual(
    graph.countries!.map((c) => c.iso3),
    countries.map((c) => c.iso3),
  );
  assert.equal(graph.statistics!.length, countries.length * statistics.length);
  assert.equal(graph.corridors!.length, tradeEdges().length);
  assert.equal(graph.contagion!.length, seedContagion().length);
  const valued = graph.statistics!.filter((s) => s.value !== null);
  assert.deepEqual(
    valued.map((s) => [s.id, s.period, s.provider]),
    [['USA_core_cpi', '2024-12', 'fred']],
  );
  assert.ok(Math.abs(valued[0]!.value! - expected.get('2024-12')!) < 1e-6);

  // One regime: the USA's, fitted on core CPI alone; no other country has a series to fit.
  const regimes = json<CountryRegime[]>(members, 'regimes.json');
  const fitted = regimes.filter((r) => r.status === 'fitted');
  assert.deepEqual(
    fitted.map((r) => [r.country, r.features.map((f) => f.stat), r.asOf, r.months.length]),
    [['USA', ['core_cpi'], '2024-12', 96]],
  );
  assert.deepEqual(
    graph.regimes!.map((r) => [r.country, r.state, r.asOf]),
    [['USA', fitted[0]!.state, '2024-12']],
  );
});

test('first start loads the sample into an empty graph and labels it; a second start leaves it alone', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  await loadSampleOnFirstStart(suite);
  const loaded = suite.log.entries.find((e) => e.event === 'kb_sample_loaded');
  assert.ok(loaded, JSON.stringify(suite.log.entries.filter((e) => String(e.event).startsWith('kb_sample'))));
  assert.equal(loaded.observations, 96);
  assert.equal(loaded.regimes, 1);
  assert.ok(Number(loaded.elapsedMs) > 0);
  const graph = await suite.knowledge.graph();
  const source = await graphSource(graph);
  assert.equal(source?.kind, 'sample');
  assert.equal(source?.recordings?.[0]?.recordedAt, '2025-01-15T00:00:00.000Z');
  assert.match(source?.recordings?.[0]?.source ?? '', /gw-moore\/pyfredapi 6c77e94c176c/);

  await loadSampleOnFirstStart(suite);
  assert.equal(suite.log.entries.filter((e) => e.event === 'kb_sample_loaded').length, 1);
  assert.match(
    String(suite.log.entries.find((e) => e.event === 'kb_sample_not_loaded')?.reason),
    /already holds the sample/,
  );
  const points = await graph.read('MATCH (p:SeriesPoint) RETURN count(p) AS n', {}, { cache: false });
  assert.equal(points.rows[0]!.n, 96);

  // Asked for (caelum kb sample), it is rebuilt and replaces itself; one build and one snapshot stay.
  const reload = await suite.dispatcher.call('runTool', { name: 'knowledge_base_load_sample', arguments: {} });
  assert.match(reload.text, /Loaded the sample knowledge base in \d+ ms: \d+ rows, 96 observations, 1 fitted regime/);
  const again = await graphSource(graph);
  assert.equal(again?.kind, 'sample');
  assert.notEqual(again?.snapshot, source?.snapshot);
  const sampleDir = path.join(suite.dataDir, 'kb', 'sample', 'kb');
  assert.deepEqual(await readdir(path.join(sampleDir, 'snapshots')), [again!.snapshot]);
  assert.equal((await readdir(path.join(sampleDir, 'builds'))).length, 1);
  const after = await graph.read('MATCH (p:SeriesPoint) RETURN count(p) AS n', {}, { cache: false });
  assert.equal(after.rows[0]!.n, 96);
});

test('queryKnowledgeGraph on a fresh install answers trade partners and statistics of a country, from the sample, and says so', async (t) => {
  const suite = await testSuite(t);
  // As the service does it: the load runs in the background and a query that arrives meanwhile waits.
  const firstStart = loadSampleOnFirstStart(suite);
  const client = await connectClient(t, suite);
  const partners = await client.callTool({
    name: 'queryKnowledgeGraph',
    arguments: {
      cypher:
        "MATCH (c:Country {iso3: 'USA'})-[e:TRADE_DEPENDS]->(p:Country) RETURN p.iso3 AS partner, p.name AS name, e.weight AS weight ORDER BY weight DESC, partner",
    },
  });
  await firstStart;
  assert.equal(partners.isError, undefined, textOf(partners));
  const expectedPartners = tradeEdges()
    .filter((e) => e.from === 'USA')
    .sort((a, b) => b.weight - a.weight || a.to.localeCompare(b.to));
  const partnerResult = partners.structuredContent as {
    rows: { partner: string; weight: number }[];
    source: { kind: string; recordings: { stat: string; recordedAt: string }[] };
  };
  assert.ok(expectedPartners.length >= 3);
  assert.deepEqual(
    partnerResult.rows.map((r) => [r.partner, r.weight]),
    expectedPartners.map((e) => [e.to, e.weight]),
  );
  assert.equal(partnerResult.source.kind, 'sample');
  assert.match(textOf(partners), /SAMPLE knowledge base.*fred core_cpi USA recorded 2025-01-15/);

  const stats = await client.callTool({
    name: 'queryKnowledgeGraph',
    arguments: {
      cypher:
        "MATCH (c:Country {iso3: 'USA'})-[:MONITORS]->(s:Statistic) RETURN s.name AS stat, s.value AS value, s.period AS period, s.provider AS provider ORDER BY stat",
      maxRows: 500,
    },
  });
  const statRows = (stats.structuredContent as { rows: { stat: string; value: number | null; period: string }[] }).rows;
  assert.equal(statRows.length, statistics.length);
  const coreCpi = statRows.find((r) => r.stat === 'core_cpi')!;
  const expected = await recordedCoreCpiYoy('2024-12', '2024-12');
  assert.equal(coreCpi.period, '2024-12');
  assert.ok(Math.abs(coreCpi.value! - expected.get('2024-12')!) < 1e-6);
  assert.deepEqual(
    statRows.filter((r) => r.value !== null).map((r) => r.stat),
    ['core_cpi'],
  );

  const resource = JSON.parse(
    ((await client.readResource({ uri: 'caelum://kb/source' })).contents[0] as { text: string }).text,
  ) as { source: { kind: string; snapshot: string } };
  assert.equal(resource.source.kind, 'sample');
  const status = await client.callTool({ name: 'getSystemStatus', arguments: { timeoutMs: 200 } });
  assert.equal(
    (status.structuredContent as { knowledge: { source?: { kind: string } } }).knowledge.source?.kind,
    'sample',
  );
  assert.match(textOf(status), /SAMPLE knowledge base/);
  assert.match(
    textOf(status),
    /\[info\] the knowledge graph holds the bundled sample, not a snapshot build: .*core_cpi USA.*Fix: build and publish a snapshot: caelum kb build --publish/,
  );
});

test('a networked build published over the sample replaces it: the label goes, and so do the values only the sample had', async (t) => {
  const sources = new SourcesPeer();
  await sources.start();
  const suite = await testSuite(t, {
    env: { CAELUM_KB_SOURCES_URL: sources.url, FRED_API_KEY: 'fred-test-key', EIA_API_KEY: 'eia-test-key' },
  });
  t.after(async () => {
    await suite.close();
    await sources.stop();
  });
  const load = await suite.dispatcher.call('runTool', { name: 'knowledge_base_load_sample', arguments: {} });
  assert.equal(load.isError, false, load.text);
  const graph = await suite.knowledge.graph();
  const count = async (cypher: string) => Number((await graph.read(cypher, {}, { cache: false })).rows[0]!.n);
  // The sample's window starts in 2017 and its regime is dated 2024-12.
  assert.equal(await count("MATCH (p:SeriesPoint) WHERE p.period STARTS WITH '2017' RETURN count(p) AS n"), 12);
  assert.equal(await count("MATCH (g:Regime {id: 'USA@2024-12'}) RETURN count(g) AS n"), 1);

  const build = await suite.dispatcher.call('buildKnowledgeSnapshot', {
    skipLlm: true,
    startYear: 2019,
    publish: true,
    confirm: true,
  });
  assert.equal(build.isError, false, build.text);
  const source = await graphSource(graph);
  assert.equal(source?.kind, 'snapshot');
  assert.equal(source?.label, undefined);
  assert.equal(source?.snapshot, (build.structuredContent as { build: { snapshot: string } }).build.snapshot);
  assert.equal(await count("MATCH (p:SeriesPoint) WHERE p.period STARTS WITH '2017' RETURN count(p) AS n"), 0);
  assert.equal(await count("MATCH (g:Regime {id: 'USA@2024-12'}) RETURN count(g) AS n"), 0);
  // What remains is the build's: its points, and no statistic from the sample's provider alone.
  assert.ok((await count('MATCH (p:SeriesPoint) RETURN count(p) AS n')) > 1000);

  const query = await suite.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (c:Country) RETURN count(c) AS n',
  });
  assert.equal((query.structuredContent as { source: { kind: string } }).source.kind, 'snapshot');
  assert.doesNotMatch(query.text, /SAMPLE/);

  // The sample never replaces a build.
  const again = await suite.dispatcher.call('runTool', { name: 'knowledge_base_load_sample', arguments: {} });
  assert.equal(again.isError, false, again.text);
  assert.match(again.text, /Sample not loaded: the graph holds the published snapshot/);
  assert.equal((await graphSource(graph))?.kind, 'snapshot');
});

test('a question on a fresh install with one Ollama host: the model writes Cypher from the schema and the sample answers it', async (t) => {
  const prompts: string[] = [];
  const host = new OllamaPeer({
    reply: (prompt) => {
      if (!prompt.includes('Question:')) return 'ok';
      prompts.push(prompt);
      return JSON.stringify(
        /trade partners/.test(prompt)
          ? {
              cypher:
                "MATCH (c:Country {iso3: 'USA'})-[e:TRADE_DEPENDS]->(p:Country) RETURN p.name AS partner, e.weight AS weight ORDER BY weight DESC LIMIT 3",
            }
          : {
              cypher:
                "MATCH (c:Country {iso3: 'USA'})-[:MONITORS]->(s:Statistic {name: 'core_cpi'}) RETURN s.value AS value, s.unit AS unit, s.period AS period",
            },
      );
    },
  });
  await host.start();
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${host.url}` } });
  t.after(async () => {
    await suite.close();
    await host.stop();
  });
  await suite.pool.reprobe();
  await loadSampleOnFirstStart(suite);

  const partners = await suite.dispatcher.call('queryKnowledgeGraph', {
    question: 'Who are the three largest trade partners of the United States?',
  });
  assert.equal(partners.isError, false, partners.text);
  const expected = tradeEdges()
    .filter((e) => e.from === 'USA')
    .sort((a, b) => b.weight - a.weight)
    .slice(0, 3)
    .map((e) => [countries.find((c) => c.iso3 === e.to)!.name, e.weight]);
  const partnerOut = partners.structuredContent as {
    rows: { partner: string; weight: number }[];
    source: { kind: string };
  };
  assert.deepEqual(
    partnerOut.rows.map((r) => [r.partner, r.weight]),
    expected,
  );
  assert.equal(partnerOut.source.kind, 'sample');

  const inflation = await suite.dispatcher.call('queryKnowledgeGraph', {
    question: 'What is the latest core CPI inflation in the United States?',
  });
  assert.equal(inflation.isError, false, inflation.text);
  const [row] = (inflation.structuredContent as { rows: { value: number; unit: string; period: string }[] }).rows;
  const yoy = await recordedCoreCpiYoy('2024-12', '2024-12');
  assert.deepEqual([row!.unit, row!.period], ['percent_yoy', '2024-12']);
  assert.ok(Math.abs(row!.value - yoy.get('2024-12')!) < 1e-6);
  // The model was given the graph's schema to write from.
  assert.equal(prompts.length, 2);
  for (const prompt of prompts) assert.match(prompt, /TRADE_DEPENDS[\s\S]*Statistic|Statistic[\s\S]*TRADE_DEPENDS/);
});

test('a graph file imported over the sample is listed with the sample label, which no longer claims the graph alone', async (t) => {
  const suite = await testSuite(t, {
    files: { 'kb/usa.json': JSON.stringify({ countries: [{ iso3: 'USA', name: 'United States' }] }) },
  });
  t.after(() => suite.close());
  await loadSampleOnFirstStart(suite);
  const imported = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_graph',
    arguments: { path: 'kb/usa.json' },
    confirm: true,
  });
  assert.equal(imported.isError, false, imported.text);
  const source = await graphSource(await suite.knowledge.graph());
  assert.equal(source?.kind, 'sample');
  assert.deepEqual(
    source?.imports?.map((i) => i.file),
    ['usa.json'],
  );
  const query = await suite.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (c:Country) RETURN count(c) AS n',
  });
  assert.match(query.text, /SAMPLE knowledge base .* with 1 graph file\(s\) imported on top \(last usa\.json\)/);
});

test('a recording added to the manifest enters the sample through its own provider parser; a regime is fitted only where the data allows', async (t) => {
  // The OECD answer is a test fixture, not shipped (see data/kb-sample/recordings.json notShipped);
  // here it shows that a further recording needs a manifest entry and nothing else.
  const dir = await tempDir(t);
  const recordings = path.join(dir, 'kb-sample');
  await cp(recordingsDirectory, recordings, { recursive: true });
  const oecdFile = 'oecd/sdmx-oecd-KEI-GBR-IRLT-monthly-2023-01-2024-01-unordered.csv';
  await cp(
    path.join(repoRoot, 'tests', 'knowledge', 'fixtures', 'kb-sources', oecdFile),
    path.join(recordings, oecdFile),
  );
  const manifest = JSON.parse(await readFile(path.join(recordings, 'recordings.json'), 'utf8')) as {
    recordings: unknown[];
  };
  manifest.recordings.push({
    id: 'oecd-KEI-GBR-IRLT',
    provider: 'oecd',
    stat: 'long_term_yield_10y',
    countries: ['GBR'],
    recordedAt: '2024-07-31T00:00:00.000Z',
    answers: [
      {
        path: '/public/rest/data/OECD.SDD.STES,DSD_KEI@DF_KEI,4.0/GBR.M.IRLT....',
        query: {},
        file: oecdFile,
        contentType: 'application/vnd.sdmx.data+csv; charset=utf-8',
        sha256: '679de5fa28f694bed95a61df27a3d85d83d402b23c17c2a008de88c0a9196890',
        request:
          'GET https://sdmx.oecd.org/public/rest/data/OECD.SDD.STES,DSD_KEI@DF_KEI,4.0/GBR.M.IRLT....?startPeriod=2023-01&endPeriod=2024-01',
      },
    ],
    source: { repository: 'OpenBB-finance/OpenBB', commit: '1bd76a971a86df45aa680f0963f26a38800543c1' },
  });
  await writeFile(path.join(recordings, 'recordings.json'), JSON.stringify(manifest));

  const result = await buildSampleSnapshot({ recordingsDirectory: recordings, dataDir: dir, codeVersion: 'test' });
  assert.deepEqual(result.manifest.sample?.tasks, ['GBR|long_term_yield_10y', 'USA|core_cpi']);
  assert.equal(result.manifest.counts.tasks_fetched, 2);
  const members = await readSnapshot(result.snapshot);
  const gbr = fromColumnar(json<ColumnarObservations>(members, 'observations.columnar.json')).filter(
    (o) => o.country === 'GBR',
  );
  // The CSV's rows come out of period order; the pipeline sorts them, values as recorded.
  const csv = (await readFile(path.join(recordings, oecdFile), 'utf8')).trim().split('\r\n').slice(1);
  const recorded = csv.map((line) => line.split(',')).map((cells) => [cells[8], Number(cells[9]), 'oecd']);
  assert.equal(gbr.length, 13);
  assert.deepEqual(
    gbr.map((o) => [o.period, o.value, o.provider]),
    recorded.sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
  const regimes = json<CountryRegime[]>(members, 'regimes.json');
  const byCountry = new Map(regimes.map((r) => [r.country, r]));
  assert.equal(byCountry.get('USA')!.status, 'fitted');
  assert.equal(byCountry.get('GBR')!.status, 'insufficient_data');
  assert.match(
    byCountry
      .get('GBR')!
      .dropped.map((d) => `${d.stat}: ${d.reason}`)
      .join('; '),
    /long_term_yield_10y: covers \d+% of the months/,
  );
});

test('the sample does not load over countries imported into a graph that records no source', async (t) => {
  const suite = await testSuite(t, {
    files: { 'kb/usa.json': JSON.stringify({ countries: [{ iso3: 'USA', name: 'United States' }] }) },
  });
  t.after(() => suite.close());
  const imported = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_graph',
    arguments: { path: 'kb/usa.json' },
    confirm: true,
  });
  assert.equal(imported.isError, false, imported.text);
  const load = await suite.dispatcher.call('runTool', { name: 'knowledge_base_load_sample', arguments: {} });
  assert.match(load.text, /Sample not loaded: the graph already holds 1 countries from an import/);
  assert.equal(await graphSource(await suite.knowledge.graph()), undefined);
});

test('a manifest that claims a task its recordings do not answer stops the sample instead of loading it incomplete', async (t) => {
  const dir = await tempDir(t);
  const recordings = path.join(dir, 'kb-sample');
  await cp(recordingsDirectory, recordings, { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(recordings, 'recordings.json'), 'utf8')) as {
    recordings: { countries: string[] }[];
  };
  // GBR's core CPI is another FRED series (GBRCPIALLMINMEI), which nobody recorded.
  manifest.recordings[0]!.countries = ['USA', 'GBR'];
  await writeFile(path.join(recordings, 'recordings.json'), JSON.stringify(manifest));
  await assert.rejects(
    buildSampleSnapshot({ recordingsDirectory: recordings, dataDir: dir, codeVersion: 'test' }),
    /the sample's recordings did not give GBR\|core_cpi \(error: .*GBRCPIALLMINMEI.*not among the sample's recorded answers/,
  );
});
