// Financial graph ingestion and queries on real Kuzu: the fast CREATE path into an empty graph and
// the MERGE path over existing data give the same graph; re-ingesting changes nothing; rows whose
// parents are missing are refused before anything is written; the query helpers compute the
// peer KB's formulas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { openKuzuStore } from '../../knowledge/graph/kuzu-store.js';
import {
  contagionTwoHop,
  graphCounts,
  ingestFinancial,
  propagateShock,
  tradePaths,
} from '../../knowledge/financial.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { financialGraph } from './financial-fixture.js';
import { tempDir } from '../helpers.js';

test('ingest: CREATE into an empty graph, MERGE over it again, same counts; the peer shape is 2,220 nodes', async (t) => {
  const store = await openKuzuStore({ location: path.join(await tempDir(t), 'graph.kz') });
  t.after(() => store.close());
  const data = financialGraph({ points: 2 });
  const first = await ingestFinancial(store, data);
  assert.equal(first.mode, 'create');
  const counts = await graphCounts(store);
  assert.equal(counts.Country! + counts.Statistic!, 2_220);
  assert.deepEqual([counts.MONITORS, counts.TRADE_DEPENDS, counts.HAS_POINT, counts.IN_REGIME], [2_200, 62, 4_400, 20]);
  const again = await ingestFinancial(store, data);
  assert.equal(again.mode, 'merge');
  assert.deepEqual(await graphCounts(store), counts, 're-ingesting the same data is idempotent');
  const changed = structuredClone(data);
  changed.corridors![0]!.weight = 0.99;
  changed.statistics![0]!.value = 42;
  await ingestFinancial(store, {
    corridors: changed.corridors!.slice(0, 1),
    statistics: changed.statistics!.slice(0, 1),
  });
  const corridor = await store.read(
    "MATCH (a:Country {iso3: 'USA'})-[e:TRADE_DEPENDS]->(b:Country {iso3: 'CHN'}) RETURN e.weight AS w",
  );
  assert.deepEqual(corridor.rows, [{ w: 0.99 }], 'an edge is replaced, not duplicated');
  assert.equal(
    (await store.read('MATCH (s:Statistic {id: $id}) RETURN s.value AS v', { id: changed.statistics![0]!.id })).rows[0]!
      .v,
    42,
  );
  assert.deepEqual(await graphCounts(store), counts);
});

test('ingest: rows whose parents are neither in the data nor in the graph are refused, and nothing is written', async (t) => {
  const store = await openKuzuStore({ location: path.join(await tempDir(t), 'graph.kz') });
  t.after(() => store.close());
  await assert.rejects(
    ingestFinancial(store, {
      countries: [{ iso3: 'USA', name: 'United States' }],
      statistics: [
        { id: 'USA_x', country: 'USA', name: 'x' },
        { id: 'ZZZ_x', country: 'ZZZ', name: 'x' },
      ],
      points: [{ statistic: 'NOPE_y', period: '2020', value: 1 }],
    }),
    (e: KnowledgeError) =>
      e.code === 'BAD_INPUT' && /Country ZZZ/.test(e.message) && /Statistic NOPE_y/.test(e.message),
  );
  assert.equal(await store.count('Country'), 0);
});

test('queries: 2-hop contagion sums weight products, shocks decay per hop, trade paths rank by strength', async (t) => {
  const store = await openKuzuStore({ location: path.join(await tempDir(t), 'graph.kz') });
  t.after(() => store.close());
  await ingestFinancial(store, financialGraph({ statistics: 12 }));
  const chains = await contagionTwoHop(store, 'USA_real_gdp_growth', 50);
  const can = chains.direct.find((d) => d.target === 'CAN_real_gdp_growth');
  assert.equal(can!.weight, 0.6);
  // USA→CAN (0.6) then CAN→MEX (0.16): the only 2-hop path to MEX through CAN, plus USA→MEX→… none back.
  const mex = chains.twoHop.find((d) => d.target === 'MEX_real_gdp_growth');
  assert.ok(mex, 'MEX is reached in two hops');
  const impacts = await propagateShock(store, 'USA_real_gdp_growth', {
    shock: 1,
    decay: 0.6,
    floor: 0.01,
    maxHops: 3,
    limit: 100,
  });
  const first = impacts.find((i) => i.statistic === 'CAN_real_gdp_growth')!;
  assert.deepEqual([first.impact, first.hops], [0.36, 1]);
  for (const impact of impacts.filter((i) => i.hops === 2)) {
    const parent = impacts.find((p) => p.statistic === impact.via)!;
    assert.ok(Math.abs(impact.impact) < Math.abs(parent.impact), 'impact decays along the path');
  }
  const paths = await tradePaths(store, 'MEX', 'KOR', 5);
  assert.deepEqual(paths[0]!.path, ['MEX', 'USA', 'KOR']);
  assert.equal(paths[0]!.strength, Number((0.648 * 0.33).toFixed(6)));
});

test('whole and fractional numbers in one batch keep their values (Kuzu types a batch field by its first row)', async (t) => {
  const graph = await openKuzuStore({ location: path.join(await tempDir(t), 'mixed.kuzu') });
  t.after(() => graph.close());
  await ingestFinancial(graph, {
    countries: [
      { iso3: 'AAA', name: 'A' },
      { iso3: 'BBB', name: 'B' },
    ],
    statistics: [
      { id: 'AAA_x', country: 'AAA', name: 'x', value: 57 },
      { id: 'BBB_x', country: 'BBB', name: 'x', value: 1.5 },
      { id: 'AAA_y', country: 'AAA', name: 'y', value: null },
    ],
    points: [
      { statistic: 'AAA_x', period: '2024', value: 1.5 },
      { statistic: 'AAA_x', period: '2025', value: 162 },
    ],
    contagion: [
      { from: 'AAA_x', to: 'BBB_x', weight: 1, confidence: 0.5 },
      { from: 'BBB_x', to: 'AAA_x', weight: 0.25, confidence: 1 },
    ],
  });
  const values = (await graph.read('MATCH (s:Statistic) RETURN s.id AS id, s.value AS v ORDER BY id')).rows;
  assert.deepEqual(values, [
    { id: 'AAA_x', v: 57 },
    { id: 'AAA_y', v: null },
    { id: 'BBB_x', v: 1.5 },
  ]);
  assert.deepEqual(
    (await graph.read('MATCH (p:SeriesPoint) RETURN p.value AS v ORDER BY v')).rows.map((r) => r.v),
    [1.5, 162],
  );
  assert.deepEqual(
    (await graph.read('MATCH ()-[e:CONTAGION]->() RETURN e.weight AS w, e.confidence AS c ORDER BY w')).rows,
    [
      { w: 0.25, c: 1 },
      { w: 1, c: 0.5 },
    ],
  );
});
