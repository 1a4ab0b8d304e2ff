// The agent-Cypher red team: hostile queries against a real Kuzu graph. Every one is rejected,
// nothing crashes, no file is written, no file's content leaks, and the graph is unchanged. Each
// guard layer is also tested alone, so deleting either one fails a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openKuzuStore } from '../../knowledge/graph/kuzu-store.js';
import { guardPlan, lexicalProblem } from '../../knowledge/graph/cypher-guard.js';
import { runAgentCypher } from '../../knowledge/graph/agent-query.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { tempDir } from '../helpers.js';

const canarySecret = 'CANARY-7f3a9c-DO-NOT-LEAK';

function hostile(dir: string, canary: string): string[] {
  const out = (name: string) => path.join(dir, name).replaceAll('\\', '/');
  return [
    "CREATE (:Country {iso3: 'EVL'})",
    "MERGE (:Country {iso3: 'EVL'})",
    "MATCH (c:Country) SET c.name = 'pwned'",
    "MATCH (c:Country) SET c += {name: 'pwned'}",
    'MATCH (c:Country) DELETE c',
    'MATCH (c:Country) DETACH DELETE c',
    'MATCH (c:Country) REMOVE c.name',
    'DROP TABLE Country',
    'ALTER TABLE Country ADD evil INT64',
    'CREATE NODE TABLE Evil(a INT64 PRIMARY KEY)',
    'CREATE REL TABLE EvilRel(FROM Country TO Country)',
    `COPY Country FROM '${canary}'`,
    `COPY (MATCH (c:Country) RETURN c.iso3) TO '${out('copy.csv')}'`,
    `EXPORT DATABASE '${out('export')}'`,
    `IMPORT DATABASE '${out('export')}'`,
    `LOAD FROM '${canary}' (file_format='csv', header=false) RETURN *`,
    `LOAD FROM "${canary}" (file_format='csv', header=false) RETURN *`,
    `LOAD WITH HEADERS (line STRING) FROM '${canary}' (file_format='csv') RETURN *`,
    `LOAD FROM '${canary}' (file_format='parquet') RETURN *`,
    `COPY Country FROM (LOAD FROM '${canary}' (file_format='csv') RETURN *)`,
    'INSTALL httpfs',
    'LOAD EXTENSION httpfs',
    `ATTACH '${out('other.kz')}' AS other (dbtype kuzu)`,
    'USE other',
    'BEGIN TRANSACTION',
    'COMMIT',
    'ROLLBACK',
    'CHECKPOINT',
    "RETURN 1; COMMIT; CREATE (:Country {iso3: 'ESC'})",
    'RETURN 1; MATCH (c:Country) DETACH DELETE c',
    "CALL show_tables() RETURN *; CREATE (:Country {iso3: 'ESC'})",
    'MATCH (c:Country) RETURN c /* harmless? */ ; DROP TABLE Country',
    "MATCH (c:Country) RETURN c // comment\n; CREATE (:Country {iso3: 'ESC'})",
    'CALL threads=1',
    "CALL CREATE_FTS_INDEX('Country', 'evil', ['name'])",
    "CALL DROP_FTS_INDEX('Country', 'evil')",
    "CALL PROJECT_GRAPH('g', ['Country'], ['TRADE_DEPENDS'])",
    "CALL CREATE_VECTOR_INDEX('Document', 'v', 'text')",
    'CALL clear_warnings() RETURN *',
    "MATCH (c:Country) WITH c CREATE (:Country {iso3: c.iso3 + 'X'})",
    'UNWIND [1, 2] AS x CREATE (:Entity {name: string(x)})',
    "cReAtE (:Country {iso3: 'MIX'})",
    'EXPLAIN MATCH (c:Country) DETACH DELETE c',
    'PROFILE MATCH (c:Country) RETURN c',
    'CREATE MACRO evil(x) AS x + 1',
    'CREATE SEQUENCE evil',
    "MATCH (a:Country {iso3: 'USA'}) CREATE (a)-[:TRADE_DEPENDS {weight: 1.0}]->(a)",
    '',
    'x'.repeat(20_000),
    'RETURN 1\u0000; DROP TABLE Country',
  ];
}

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const watched = path.join(dir, 'watched');
  const canary = path.join(dir, 'canary.csv');
  await writeFile(canary, `${canarySecret}\n`);
  const store = await openKuzuStore({ location: path.join(dir, 'db', 'graph.kz') });
  t.after(() => store.close());
  await store.write([
    {
      cypher: 'UNWIND $rows AS r CREATE (:Country {iso3: r.c, name: r.n})',
      params: {
        rows: [
          { c: 'USA', n: 'United States' },
          { c: 'CAN', n: 'Canada' },
        ],
      },
    },
    {
      cypher:
        "MATCH (a:Country {iso3: 'USA'}), (b:Country {iso3: 'CAN'}) CREATE (a)-[:TRADE_DEPENDS {weight: 0.75}]->(b)",
    },
  ]);
  return { dir, watched, canary, store };
}

async function snapshot(store: Awaited<ReturnType<typeof setup>>['store']) {
  const tables = (await store.tables()).map((t) => t.name).sort();
  const countries = (await store.read('MATCH (c:Country) RETURN c.iso3 AS code, c.name AS name ORDER BY code')).rows;
  return { tables, countries, edges: await store.count('TRADE_DEPENDS'), entities: await store.count('Entity') };
}

test('red team: 50 hostile queries are all rejected, with no crash, no file written or read, and the graph unchanged', async (t) => {
  const { dir, watched, canary, store } = await setup(t);
  const queries = hostile(watched, canary);
  assert.ok(queries.length >= 40);
  const before = await snapshot(store);
  for (const query of queries) {
    let error: unknown;
    try {
      await runAgentCypher(store, query);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof KnowledgeError, `not rejected: ${query.slice(0, 80)}`);
    assert.equal(error.code, 'QUERY_REJECTED', `${query.slice(0, 80)}: ${error.message}`);
    assert.ok(!error.message.includes(canarySecret), 'the canary file leaked into an error');
  }
  assert.deepEqual(await snapshot(store), before);
  assert.deepEqual((await readdir(dir)).sort(), ['canary.csv', 'db'], 'no file or directory was created');
  assert.equal(
    (await runAgentCypher(store, 'MATCH (c:Country) RETURN count(c) AS n')).rows[0]!.n,
    2,
    'the store still serves',
  );
});

test('red team: the lexical layer alone rejects every hostile query', async (t) => {
  const queries = hostile(path.join(await tempDir(t), 'w'), '/etc/hostname');
  for (const query of queries) assert.ok(lexicalProblem(query), `lexical check passed: ${query.slice(0, 80)}`);
});

// Kuzu 0.11.3 creates EXPORT DATABASE's target directory while merely planning it (EXPLAIN), and
// IMPORT DATABASE probes its directory while binding. That is why the lexical layer always runs
// before EXPLAIN; this plan-only test leaves those two statements out.
test('red team: the plan layer alone rejects every hostile query that parses', async (t) => {
  const { dir, watched, canary, store } = await setup(t);
  let planned = 0;
  for (const query of hostile(watched, canary).filter((q) => !/^(EXPORT|IMPORT) DATABASE/.test(q))) {
    let explained = true;
    try {
      await store.explain(query);
    } catch {
      explained = false; // does not parse or bind, or is several statements: prepare() refuses it
    }
    if (!explained) continue;
    planned++;
    await assert.rejects(
      guardPlan(store, query),
      (e: KnowledgeError) => e.code === 'QUERY_REJECTED',
      query.slice(0, 80),
    );
  }
  assert.ok(planned >= 15, `only ${planned} hostile queries produced a plan`);
  assert.deepEqual((await readdir(dir)).sort(), ['canary.csv', 'db']);
});

test('kuzu pitfall pinned: EXPLAIN EXPORT DATABASE writes a directory, so it must never reach EXPLAIN', async (t) => {
  const { dir, store } = await setup(t);
  const target = path.join(dir, 'exported');
  await store.explain(`EXPORT DATABASE '${target.replaceAll('\\', '/')}'`).catch(() => undefined);
  assert.ok((await readdir(dir)).includes('exported'), 'if this fails, the engine no longer has the side effect');
  await assert.rejects(
    runAgentCypher(store, `EXPORT DATABASE '${path.join(dir, 'again')}'`),
    (e: KnowledgeError) => e.code === 'QUERY_REJECTED',
  );
  assert.ok(!(await readdir(dir)).includes('again'));
});

test('guard: reads pass, including keywords inside strings, comments, names and map keys', async (t) => {
  const { store } = await setup(t);
  const reads = [
    "MATCH (c:Country) WHERE c.name <> 'CREATE DELETE SET COPY' RETURN c.iso3 ORDER BY c.iso3",
    'MATCH (c:Country) /* DROP TABLE Country */ RETURN count(*) AS n',
    'MATCH (c:Country) RETURN {set: c.iso3, load: 1} AS m ORDER BY c.iso3',
    'MATCH (`delete`:Country) RETURN `delete`.iso3 ORDER BY `delete`.iso3',
    "MATCH (a:Country {iso3: 'USA'})-[e:TRADE_DEPENDS]->(b) RETURN b.iso3, e.weight",
    "MATCH p = (a:Country {iso3: 'USA'})-[:TRADE_DEPENDS* SHORTEST 1..3]->(b:Country {iso3: 'CAN'}) RETURN length(p) AS hops",
    'MATCH (c:Country) RETURN c.iso3, COUNT { MATCH (c)-[:TRADE_DEPENDS]->() } AS out ORDER BY c.iso3',
    'CALL show_tables() RETURN name ORDER BY name',
    "CALL table_info('Country') RETURN name",
    'UNWIND [1, 2, 3] AS x RETURN sum(x) AS s;',
  ];
  for (const query of reads) {
    const result = await runAgentCypher(store, query);
    assert.ok(result.rows.length > 0, query);
  }
});

test('agent queries: parameters, the token budget and the row cap set an explicit truncation flag', async (t) => {
  const { store } = await setup(t);
  await store.write([
    { cypher: 'UNWIND range(1, 500) AS i CREATE (:Entity {name: "e" + string(i), entityType: "x"})' },
  ]);
  const byRows = await runAgentCypher(store, 'MATCH (e:Entity) RETURN e.name', { maxRows: 20 });
  assert.equal(byRows.rows.length, 20);
  assert.equal(byRows.truncatedBy, 'rows');
  assert.equal(byRows.totalRows, 500);
  const byTokens = await runAgentCypher(store, 'MATCH (e:Entity) RETURN e', { maxRows: 500, maxTokens: 300 });
  assert.equal(byTokens.truncated, true);
  assert.equal(byTokens.truncatedBy, 'tokens');
  assert.ok(byTokens.tokens <= 300 && byTokens.rows.length > 0);
  const whole = await runAgentCypher(store, 'MATCH (c:Country) WHERE c.iso3 = $code RETURN c.name AS name', {
    params: { code: 'CAN' },
  });
  assert.deepEqual(whole.rows, [{ name: 'Canada' }]);
  assert.equal(whole.truncated, false);
  assert.equal(whole.truncatedBy, undefined);
});
