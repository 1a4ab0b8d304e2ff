// The dashboard's Knowledge API over HTTP: on the sample graph its figures for a country are the
// knowledge_base_* tools' answers, a bad parameter is a 400 naming it, an unknown country or
// snapshot a 404, and a data dir without snapshots (or without any graph) says how to fill it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSuite, type TestSuite } from '../helpers.js';
import { serveHttp } from '../../servers/http.js';

type T = Parameters<typeof testSuite>[0];

async function serve(t: T, suite: TestSuite) {
  const served = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => served.close());
  return async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${served.port}/api/${path}`, {
      headers: { accept: 'application/json' },
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
}

async function run(suite: TestSuite, name: string, args: Record<string, unknown>) {
  const outcome = await suite.dispatcher.router.invoke(
    name,
    args,
    suite.dispatcher.context({ signal: AbortSignal.timeout(60_000) }),
  );
  assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
  return outcome.output as Record<string, any>;
}

test("the Knowledge API shows the tools' figures for a country of the sample graph", async (t) => {
  const suite = await testSuite(t);
  const loaded = await run(suite, 'knowledge_base_load_sample', {});
  assert.equal(loaded.loaded, true);
  const get = await serve(t, suite);

  const overview = await get('knowledge');
  assert.equal(overview.status, 200);
  const stats = await run(suite, 'knowledge_base_get_graph_stats', {});
  assert.equal(overview.body.stats.nodes, stats.nodes);
  assert.equal(overview.body.stats.relationships, stats.relationships);
  assert.equal(overview.body.countries.length, stats.tables.Country);
  assert.ok(overview.body.countries.some((c: { iso3: string }) => c.iso3 === 'USA'));
  assert.equal(overview.body.source.kind, 'sample');
  assert.match(overview.body.missing.sample, /caelum kb build --publish/);
  // The sample load writes no snapshot file: the view says how to build one.
  assert.deepEqual(overview.body.snapshots, []);
  assert.match(overview.body.missing.snapshots, /buildKnowledgeSnapshot/);
  assert.equal(overview.body.missing.graph, undefined);

  const country = await get('knowledge-country?code=usa');
  assert.equal(country.status, 200);
  assert.equal(country.body.code, 'USA');
  assert.deepEqual(
    country.body.profile,
    await run(suite, 'knowledge_base_get_country_profile', { country: 'USA', statistics: 500 }),
  );
  const neighbours = await run(suite, 'knowledge_base_get_neighbours', { country: 'USA', limit: 200 });
  assert.ok(neighbours.neighbours.length > 0);
  assert.deepEqual(country.body.neighbours, neighbours.neighbours);
  const regimes = await run(suite, 'knowledge_base_get_regime', { country: 'USA', limit: 500 });
  assert.ok(regimes.regimes.length > 0);
  assert.deepEqual(country.body.regimes, regimes.regimes);
  // Contagion edges out of the country's statistics are trace_contagion's direct edges.
  const policy = await run(suite, 'knowledge_base_trace_contagion', { statistic: 'USA_policy_rate', limit: 500 });
  const fromPolicy = country.body.contagion.edges.filter((e: { source: string }) => e.source === 'USA_policy_rate');
  assert.ok(policy.direct.length > 0);
  assert.deepEqual(
    fromPolicy.map((e: { target: string; weight: number }) => [e.target, e.weight]).sort(),
    policy.direct.map((e: { target: string; weight: number }) => [e.target, e.weight]).sort(),
  );

  const valued = country.body.profile.statistics.find((s: { value: unknown }) => s.value !== null);
  const series = await get(`knowledge-series?statistic=${valued.id}`);
  assert.equal(series.status, 200);
  const points = await run(suite, 'knowledge_base_get_series', { statistic: valued.id });
  assert.ok(points.points.length > 0);
  assert.deepEqual(series.body.points, points.points);
  assert.equal(series.body.points.at(-1).value, valued.value);

  const bad = await get('knowledge-country?code=U1');
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^code: /);
  const unknown = await get('knowledge-country?code=ZZZ');
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /no country "ZZZ".*USA/);
  assert.equal((await get('knowledge-series?statistic=nope')).status, 400);
  const badDiff = await get('knowledge-diff?from=x.tar.gz&to=kb_snapshot_20261122.tar.gz');
  assert.equal(badDiff.status, 400);
  assert.match(badDiff.body.error, /^from: /);
  const noSnapshot = await get('knowledge-diff?from=kb_snapshot_20261121.tar.gz&to=kb_snapshot_20261122.tar.gz');
  assert.equal(noSnapshot.status, 404);
  assert.match(noSnapshot.body.error, /no snapshot/);
});

test('without a sample and without a graph the Knowledge API says what is missing and how to fill it', async (t) => {
  const suite = await testSuite(t);
  // An installation that ships no data/kb-sample: nothing loads the graph on first use.
  delete suite.environment.knowledgeBase!.sampleDirectory;
  const get = await serve(t, suite);
  const overview = await get('knowledge');
  assert.equal(overview.status, 200);
  assert.deepEqual(overview.body.countries, []);
  assert.equal(overview.body.source, null);
  assert.match(overview.body.missing.graph, /knowledge_base_load_sample/);
  assert.match(overview.body.missing.snapshots, /buildKnowledgeSnapshot/);
});
