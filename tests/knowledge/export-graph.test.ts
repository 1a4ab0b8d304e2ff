// knowledge_base_export_graph: the JSON export is what import_graph reads back (a round trip into a
// second data dir gives the same graph), the CSV tables are well-formed, and the file and row
// budgets, the roots and the overwrite rule hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';
import { financialGraph } from './financial-fixture.js';
import { ingestFinancial, graphCounts, type FinancialGraphData } from '../../knowledge/financial.js';

type Exported = { file: string; bytes: number; rows: Record<string, number>; truncated: string[]; replaced: boolean };

async function suiteWithGraph(t: Parameters<typeof testSuite>[0], data?: FinancialGraphData) {
  const suite = await testSuite(t, { files: { 'kb/.keep': '' } });
  if (data) await ingestFinancial(await suite.knowledge.graph(), data);
  const call = (name: string, args: Record<string, unknown>, confirm = false) =>
    suite.dispatcher.router.invoke(name, args, suite.dispatcher.context({}), { confirm });
  return { suite, call };
}

const byKey = <T>(list: T[] | undefined, key: (item: T) => string) =>
  [...(list ?? [])].sort((a, b) => key(a).localeCompare(key(b)));

test('a JSON export imports into another data dir as the same graph', async (t) => {
  const data = financialGraph({ statistics: 6, points: 3 });
  data.scenarios = [
    { id: 'oil', name: 'Oil shock', probability: 0.2, horizonMonths: 6, affects: [{ country: 'SAU', weight: 0.8 }] },
  ];
  const source = await suiteWithGraph(t, data);
  const outcome = await source.call('knowledge_base_export_graph', { path: 'kb/graph.json' });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const result = outcome.output as Exported;
  assert.equal(result.file, path.join(source.suite.project, 'kb/graph.json'));
  assert.deepEqual(result.truncated, []);
  assert.equal(result.rows.countries, 20);
  assert.equal(result.rows.statistics, data.statistics!.length);
  assert.equal(result.rows.points, data.points!.length);
  assert.equal(result.rows.corridors, data.corridors!.length);
  assert.equal(result.rows.scenarios, 1);
  const written = JSON.parse(await readFile(result.file, 'utf8')) as FinancialGraphData;
  assert.equal(Buffer.byteLength(await readFile(result.file)), result.bytes);
  assert.deepEqual(
    byKey(written.countries, (c) => c.iso3),
    byKey(data.countries, (c) => c.iso3),
  );
  const edge = (e: { from: string; to: string }) => `${e.from}>${e.to}`;
  assert.deepEqual(
    byKey(written.corridors, edge).map((e) => [e.from, e.to, e.weight, e.mechanism]),
    byKey(data.corridors, edge).map((e) => [e.from, e.to, e.weight, e.mechanism]),
  );
  assert.deepEqual(written.scenarios, [
    {
      id: 'oil',
      name: 'Oil shock',
      probability: 0.2,
      horizonMonths: 6,
      affects: [{ country: 'SAU', weight: 0.8 }],
    },
  ]);

  const target = await suiteWithGraph(t);
  await writeFile(path.join(target.suite.project, 'kb/graph.json'), JSON.stringify(written));
  const imported = await target.call('knowledge_base_import_graph', { path: 'kb/graph.json' }, true);
  assert.ok(imported.ok, imported.ok ? '' : imported.error.message);
  const before = await graphCounts(await source.suite.knowledge.graph());
  const after = await graphCounts(await target.suite.knowledge.graph());
  // import_graph does not read scenarios; everything else arrives.
  for (const table of [
    'Country',
    'Statistic',
    'SeriesPoint',
    'Regime',
    'TRADE_DEPENDS',
    'CONTAGION',
    'MONITORS',
    'HAS_POINT',
  ])
    assert.equal(after[table], before[table], table);
});

test('CSV exports, the overwrite rule, the row budget and the roots', async (t) => {
  const data = financialGraph({ statistics: 4 });
  data.corridors![0]!.mechanism = '=HYPERLINK("http://evil")';
  const { suite, call } = await suiteWithGraph(t, data);
  const edges = await call('knowledge_base_export_graph', { path: 'kb/edges.csv', format: 'csv-edges' });
  assert.ok(edges.ok, edges.ok ? '' : edges.error.message);
  const lines = (await readFile(path.join(suite.project, 'kb/edges.csv'), 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'section,from,to,weight,mechanism,lagMonths,confidence,provenance');
  assert.equal(lines.length - 1, data.corridors!.length + data.contagion!.length);
  assert.ok(
    lines.some((l) => l.includes(`"'=HYPERLINK(""http://evil"")"`)),
    'a formula cell is defused',
  );

  const nodes = await call('knowledge_base_export_graph', { path: 'kb/nodes.csv', format: 'csv-nodes' });
  assert.ok(nodes.ok);
  const nodeLines = (await readFile(path.join(suite.project, 'kb/nodes.csv'), 'utf8')).trim().split('\n');
  assert.equal(nodeLines[0], 'kind,key,name,country,detail');
  assert.ok(nodeLines.includes('country,USA,Country USA,USA,Americas'));

  const again = await call('knowledge_base_export_graph', { path: 'kb/edges.csv', format: 'csv-edges' });
  assert.equal(again.ok, false);
  assert.match(again.ok ? '' : again.error.message, /^path: kb\/edges\.csv exists; pass overwrite: true/);
  const replaced = await call('knowledge_base_export_graph', {
    path: 'kb/edges.csv',
    format: 'csv-edges',
    overwrite: true,
  });
  assert.ok(replaced.ok);
  assert.equal((replaced.output as Exported).replaced, true);

  const cut = await call('knowledge_base_export_graph', { path: 'kb/cut.json', maxRows: 25 });
  assert.ok(cut.ok);
  const budget = cut.output as Exported;
  assert.deepEqual([budget.rows.countries, budget.rows.statistics], [20, 5]);
  assert.deepEqual(budget.truncated, ['statistics', 'points', 'corridors', 'contagion', 'regimes', 'scenarios']);
  assert.match(cut.text, /cut by maxRows: statistics/);

  const outside = await call('knowledge_base_export_graph', { path: '/tmp/graph.json' });
  assert.equal(outside.ok, false);
  assert.match(outside.ok ? '' : outside.error.message, /^path: \/tmp is outside the allowed roots/);
  const noDirectory = await call('knowledge_base_export_graph', { path: 'missing/graph.json' });
  assert.equal(noDirectory.ok, false);
  assert.match(noDirectory.ok ? '' : noDirectory.error.message, /^path: missing does not exist/);
});
