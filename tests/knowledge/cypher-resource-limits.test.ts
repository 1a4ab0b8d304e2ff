// The agent-Cypher red team, resource half: queries that try to take the machine down by time or
// memory, through the real queryKnowledgeGraph tool on a real Kuzu graph of 3,000 entities and
// 9,000 relations. Each is refused before it runs or stopped at a budget, answers within its
// timeout + 1 s as an isError result with one line naming the budget, and the process's resident
// memory, sampled throughout, stays under the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSuite } from '../helpers.js';
import { budgetProblem } from '../../knowledge/graph/cypher-budget.js';

const timeoutMs = 1_500;
const capBytes = 2 * 2 ** 30; // graph.memoryCapMiB's default
const nodes = 3_000;

/** [query, how it must end]: refused by the guard, or stopped by a named budget. */
const cases: [string, RegExp][] = [
  ['UNWIND range(1, 10000000000) AS x RETURN count(x)', /range\(\).*limit is 100,000/],
  ['RETURN size(range(1, 100000000)) AS n', /limit is 100,000/],
  ['MATCH (e:Entity) RETURN size(range(1, toInteger(size(e.name)) * 100000000)) AS n', /range\(\) needs integer/],
  ['UNWIND range(1, 1000) AS x RETURN size([y IN range(1, 1000) | y]) AS n', /limit is 100,000/],
  ["RETURN size(repeat(repeat('ab', 50000), 50000)) AS n", /limit is 100,000/],
  ["RETURN size(lpad('a', 1000000000, 'b')) AS n", /limit is 100,000/],
  ["RETURN size(string_split(repeat('ab', 30000000), '')) AS n", /limit is 100,000/],
  [
    'MATCH (a:Entity), (b:Entity), (c:Entity) WHERE a.name + b.name + c.name = "x" RETURN count(*)',
    /time budget \(1500 ms\)/,
  ],
  [
    'MATCH (a:Entity), (b:Entity) RETURN collect(a.name + b.name + a.entityType) AS everything',
    /memory budget|time budget/,
  ],
  ['MATCH (a:Entity), (b:Entity) RETURN a.name + b.name AS pair ORDER BY pair DESC', /memory budget|time budget/],
  ['MATCH p = (a:Entity)-[*]->(b:Entity) RETURN count(*)', /no upper bound/],
  ['MATCH p = (a:Entity)-[:RELATION*1..]->(b:Entity) RETURN count(*)', /no upper bound/],
  ['MATCH p = (a:Entity)-[:RELATION*1..100]->(b:Entity) RETURN count(*)', /100 hops; the limit is 30/],
  ['MATCH p = (a:Entity)-[:RELATION*1..30]->(b:Entity) RETURN count(*)', /time budget|memory budget/],
  [
    'MATCH (a:Entity) WITH collect(a.name) AS names RETURN size(list_transform(names, n -> names)) AS n',
    /copies the list "names"/,
  ],
  ['MATCH (a:Entity) WITH collect(a.name) AS names RETURN size([n IN names | [m IN names | m]]) AS n', /builds a list/],
  ['RETURN size(list_reduce([[1], [1], [1]], (a, b) -> a + a)) AS n', /list_reduce\(\) is not allowed/],
  [`RETURN ${'('.repeat(1000)}1${')'.repeat(1000)} AS x`, /nests brackets 1000 deep/],
  [`RETURN ${'['.repeat(300)}1${']'.repeat(300)} AS x`, /nests brackets 300 deep/],
];

test('budget guard: the static shapes are refused with a reason, and ordinary reads pass', () => {
  assert.match(budgetProblem('UNWIND range(1, $n) AS x RETURN x', { n: 10 }) ?? 'passes', /passes/);
  assert.match(budgetProblem('UNWIND range(1, $n) AS x RETURN x', { n: 1e9 }) ?? 'passes', /limit is 100,000/);
  assert.match(budgetProblem('UNWIND range(1, $n) AS x RETURN x') ?? 'passes', /range\(\) needs integer/);
  const reads = [
    "MATCH (a:Country {iso3: 'USA'})-[:TRADE_DEPENDS*1..3]->(b) RETURN b.iso3",
    'MATCH p = (a:Country)-[:TRADE_DEPENDS* SHORTEST 1..5]->(b:Country) RETURN length(p)',
    'MATCH (a)-[e]->(b) RETURN count(*) AS n, sum(e.weight * 2) AS w',
    "MATCH (c:Country) RETURN [x IN ['a', 'b'] | x + c.iso3] AS tags, lpad(c.iso3, 5, ' ') AS padded",
    "RETURN 'range(1, 10000000000) [*] list_reduce(' AS text // range(1, 1e12)",
    'UNWIND range(1, 100) AS x RETURN sum(x)',
    'MATCH (c:Country) WITH collect(c.iso3) AS codes RETURN size(codes), list_transform(codes, s -> lower(s))',
  ];
  for (const read of reads) assert.equal(budgetProblem(read), undefined, read);
});

test('red team, resources: every case is refused or stopped at a budget within timeout + 1 s, and RSS stays under the cap', async (t) => {
  const suite = await testSuite(t, {
    env: {
      CAELUM_GRAPH_QUERY_TIMEOUT_MS: String(timeoutMs),
      CAELUM_GRAPH_BUFFER_POOL_MIB: '128',
      CAELUM_MEMORY_CAP_MIB: String(capBytes / 2 ** 20),
    },
  });
  t.after(() => suite.close());
  const graph = await suite.knowledge.graph();
  const names = Array.from({ length: nodes }, (_, i) => ({ name: `entity-${i}`, type: `kind-${i % 7}` }));
  await graph.write([
    { cypher: 'UNWIND $rows AS r CREATE (:Entity {name: r.name, entityType: r.type})', params: { rows: names } },
    {
      cypher:
        'UNWIND $rows AS r MATCH (a:Entity {name: r.from}), (b:Entity {name: r.to}) CREATE (a)-[:RELATION {relationType: "links"}]->(b)',
      params: {
        rows: names.flatMap((_, i) =>
          [1, 7, 13].map((step) => ({ from: `entity-${i}`, to: `entity-${(i * step + 1) % nodes}` })),
        ),
      },
    },
  ]);
  assert.equal(await graph.count('RELATION'), nodes * 3);

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  t.after(() => clearInterval(sampler));
  for (const [cypher, expected] of cases) {
    const started = performance.now();
    const result = await suite.dispatcher.call('queryKnowledgeGraph', { cypher });
    const elapsed = performance.now() - started;
    const label = cypher.slice(0, 90);
    assert.equal(result.isError, true, `not stopped: ${label}: ${result.text.slice(0, 200)}`);
    assert.match(result.text, expected, label);
    assert.ok(elapsed < timeoutMs + 1_000, `${label}: answered after ${Math.round(elapsed)} ms`);
    assert.equal(result.text.trim().split('\n').length, 1, `one line: ${result.text}`);
    assert.doesNotMatch(result.text, /\n\s+at |\.ts:\d+/, 'no stack trace');
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  clearInterval(sampler);
  assert.ok(peak < capBytes, `RSS peaked at ${Math.round(peak / 2 ** 20)} MiB`);
  t.diagnostic(`RSS peak ${Math.round(peak / 2 ** 20)} MiB over ${cases.length} cases`);

  // Still serving, and the byte cap cuts a wide result instead of reading it whole.
  const wide = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_run_cypher',
    arguments: { cypher: 'MATCH (a:Entity), (b:Entity) RETURN a.name, b.name', maxRows: 10_000, maxTokens: 100_000 },
  });
  assert.equal(wide.isError, false, wide.text);
  const output = (wide.structuredContent as { result: { truncatedBy?: string; totalRows: number } }).result;
  assert.equal(output.totalRows, nodes * nodes);
  assert.ok(output.truncatedBy === 'tokens' || output.truncatedBy === 'rows' || output.truncatedBy === 'bytes');
  const count = await suite.dispatcher.call('queryKnowledgeGraph', { cypher: 'MATCH (e:Entity) RETURN count(e) AS n' });
  assert.equal(count.isError, false, count.text);
});

test('a query the engine cannot interrupt is still answered at timeout + grace, and its connection comes back', async (t) => {
  const { openKuzuStore } = await import('../../knowledge/graph/kuzu-store.js');
  const { tempDir } = await import('../helpers.js');
  const store = await openKuzuStore({
    location: `${await tempDir(t)}/graph.kz`,
    readConnections: 1,
    timeoutGraceMs: 300,
  });
  t.after(() => store.close());
  // One expression building a 2M-element list (1.7 s, 600 MiB): Kuzu checks its timeout only between batches.
  const started = performance.now();
  await assert.rejects(
    store.readOnly('RETURN size(range(1, 2000000)) AS n', {}, { timeoutMs: 100 }),
    (e: Error & { code?: string }) => e.code === 'TIMEOUT' && /time budget \(100 ms\)/.test(e.message),
  );
  assert.ok(
    performance.now() - started < 100 + 300 + 250,
    `answered after ${Math.round(performance.now() - started)} ms`,
  );
  const after = await store.readOnly('RETURN 1 AS one', {}, { timeoutMs: 30_000 });
  assert.deepEqual(after.rows, [{ one: 1 }], 'the single connection rejoined the pool once the engine let go');
});
