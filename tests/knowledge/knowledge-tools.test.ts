// The knowledge-base tools through a real suite: Ollama embeddings through the pool (failover,
// ledger), NL→Cypher with a guarded retry and without any backend, the PostgreSQL concept import on
// the real server with bad rows, and the high-level tools over an MCP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, pgSchema, pgUrl, testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { financialGraph } from './financial-fixture.js';
import { ingestFinancial } from '../../knowledge/financial.js';

const models = [
  { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' },
  { name: 'nomic-embed-text:latest', sizeBytes: 274_302_450, parameterSize: '137M', family: 'nomic-bert' },
];

async function peer(t: { after(fn: () => Promise<void>): void }, reply?: (prompt: string) => string) {
  const p = new OllamaPeer({ models, ...(reply ? { reply } : {}) });
  await p.start();
  t.after(() => p.stop());
  return p;
}

test('Ollama embedder: memory is embedded by nomic-embed-text through the pool, fails over, and is priced in the ledger', async (t) => {
  const [a, b] = [await peer(t), await peer(t)];
  const suite = await testSuite(t, {
    env: { CAELUM_OLLAMA_HOSTS: `gpu1=${a.url},gpu2=${b.url}`, CAELUM_EMBEDDER: 'ollama' },
  });
  t.after(() => suite.close());
  a.breakWith({ kind: 'status', status: 503, message: 'overloaded' }, '/api/embed');
  b.breakWith({ kind: 'status', status: 503, message: 'overloaded' }, '/api/embed');
  const failed = await suite.dispatcher.call('rememberFacts', {
    entities: [{ name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool'] }],
  });
  assert.equal(failed.isError, true, 'no host can embed: the write is refused, not half-done');
  assert.match(failed.text, /UNAVAILABLE.*no usable Ollama host|UNAVAILABLE.*503/);
  assert.equal(await (await suite.knowledge.graph()).count('Entity'), 0);
  a.heal();
  b.heal();
  a.failNext({ kind: 'status', status: 500, message: 'boom' }, 5, '/api/embed');
  const stored = await suite.dispatcher.call('rememberFacts', {
    entities: [
      { name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool'] },
      { name: 'Bob', entityType: 'person', observations: ['runs the trading desk'] },
    ],
  });
  assert.equal(stored.isError, false, stored.text);
  const result = stored.structuredContent as { embedding: { model: string; inputTokens: number; source: string } };
  assert.equal(result.embedding.model, 'nomic-embed-text:latest');
  assert.ok(result.embedding.inputTokens > 0);
  const recalled = await suite.dispatcher.call('recallFacts', { query: 'who runs trading' });
  assert.equal((recalled.structuredContent as { entities: { name: string }[] }).entities[0]!.name, 'Bob');
  const collections = await suite.knowledge.collections();
  assert.equal(collections.find((c) => c.name === 'knowledge')!.embedder, 'ollama/nomic-embed-text/768');
  const costs = await suite.dispatcher.context({}).ledger.summarize({ groupBy: 'model' });
  assert.ok(
    costs.groups.some((g) => g.key === 'ollama:nomic-embed-text:latest' && g.calls >= 2),
    JSON.stringify(costs.groups),
  );
});

test('NL→Cypher: a refused query is retried once with the error, and the agent sees the Cypher that ran', async (t) => {
  let calls = 0;
  const host = await peer(t, (prompt) => {
    if (!prompt.includes('Question:')) return 'ok';
    calls++;
    if (!prompt.includes('It failed:'))
      return JSON.stringify({ cypher: "MATCH (c:Country) SET c.name = 'x' RETURN c" });
    return JSON.stringify({
      cypher: 'MATCH (c:Country) RETURN count(c) AS countries',
      explanation: 'counts countries',
    });
  });
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${host.url}` } });
  t.after(() => suite.close());
  await ingestFinancial(await suite.knowledge.graph(), financialGraph({ statistics: 5 }));
  const answer = await suite.dispatcher.call('queryKnowledgeGraph', {
    question: 'How many countries are in the graph?',
  });
  assert.equal(answer.isError, false, answer.text);
  const out = answer.structuredContent as {
    cypher: string;
    rows: { countries: number }[];
    translatedBy: { model: string };
  };
  assert.equal(out.cypher, 'MATCH (c:Country) RETURN count(c) AS countries');
  assert.deepEqual(out.rows, [{ countries: 20 }]);
  assert.equal(out.translatedBy.model, 'qwen3:4b');
  assert.equal(calls, 2);
});

test('NL→Cypher without any LLM backend says so and asks for Cypher; bad Cypher names the field', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const answer = await suite.dispatcher.call('queryKnowledgeGraph', { question: 'How many countries are there?' });
  assert.equal(answer.isError, true);
  const text = answer.text;
  assert.match(text, /question: no LLM backend could translate the question/);
  assert.match(text, /Send Cypher instead/);
  const write = await suite.dispatcher.call('queryKnowledgeGraph', { cypher: "CREATE (:Country {iso3: 'EVL'})" });
  assert.equal(write.isError, true);
  assert.match(write.text, /cypher: CREATE is not allowed/);
  const both = await suite.dispatcher.call('queryKnowledgeGraph', { cypher: 'RETURN 1', question: 'and this?' });
  assert.match(both.text, /exactly one of cypher or question/);
});

test('PostgreSQL import: streamed in cursor batches, bad rows counted and skipped, searchable by vector, with progress', async (t) => {
  const database = await pgSchema(t, 'caelum_import');
  if (!database.ok) return t.skip(database.reason);
  const { admin, schema } = database;
  await admin.query(
    `CREATE TABLE ${schema}.cpe_entry (cpe_id text, concept_text text, concept_vec real[], vec_text text, tmd_code text, dataset_source text)`,
  );
  // 1,000 good 16-d rows (a one-hot pattern per id), then the bad ones.
  await admin.query(
    `INSERT INTO ${schema}.cpe_entry SELECT 'c' || i, 'concept number ' || i, ARRAY(SELECT CASE WHEN j = i % 16 THEN 1.0 ELSE (i % 7) / 100.0 END FROM generate_series(0, 15) j)::real[], NULL, 'T' || (i % 3), 'fixture' FROM generate_series(1, 1000) i`,
  );
  await admin.query(
    `INSERT INTO ${schema}.cpe_entry (cpe_id, concept_text, concept_vec, tmd_code) VALUES ('null-vec', 'no vector', NULL, 'T0'), ('short', 'wrong dimension', '{1,2,3}', 'T0'), ('nan', 'not a number', '{NaN,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}', 'T0'), ('c5', 'duplicate id', ARRAY(SELECT 0.5 FROM generate_series(1, 16))::real[], 'T0'), (NULL, 'null id', ARRAY(SELECT 0.5 FROM generate_series(1, 16))::real[], 'T0')`,
  );
  const suite = await testSuite(t, { env: { DATABASE_URL: pgUrl } });
  t.after(() => suite.close());
  const progress: number[] = [];
  const result = await suite.dispatcher.call(
    'runTool',
    {
      name: 'knowledge_base_import_postgres',
      arguments: {
        table: `${schema}.cpe_entry`,
        idColumn: 'cpe_id',
        textColumn: 'concept_text',
        vectorColumn: 'concept_vec',
        metadataColumns: ['tmd_code', 'dataset_source'],
        typeColumn: 'tmd_code',
        batchSize: 100,
        collection: 'cpe',
        embedder: 'fixture-16',
      },
    },
    { progress: (p) => progress.push(p) },
  );
  assert.equal(result.isError, false, result.text);
  const out = (result.structuredContent as { result: Record<string, unknown> }).result as {
    rowsRead: number;
    imported: number;
    skipped: Record<string, number>;
    batches: number;
    dimension: number;
  };
  assert.equal(out.rowsRead, 1005);
  assert.equal(out.imported, 1000);
  assert.deepEqual(out.skipped, { nullVector: 1, nonNumeric: 1, wrongDimension: 1, duplicateId: 1, nullId: 1 });
  assert.equal(out.dimension, 16);
  assert.equal(out.batches, 11, '1,005 rows in batches of 100');
  assert.ok(progress.length >= 11);
  const query = Array.from({ length: 16 }, (_, j) => (j === 42 % 16 ? 1 : 0));
  const hits = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_search_vectors',
    arguments: { vector: query, vectorEmbedder: 'fixture-16', collection: 'cpe', k: 3, type: 'T0' },
  });
  const found = (hits.structuredContent as { result: { hits: { id: string; text: string; type: string }[] } }).result
    .hits;
  assert.equal(found.length, 3);
  assert.ok(found.every((h) => h.type === 'T0'));
  assert.match(found[0]!.text, /^concept number \d+\ntmd_code: T0\ndataset_source: fixture$/);
  const wrongEmbedder = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_search_vectors',
    arguments: { vector: query, vectorEmbedder: 'other-model', collection: 'cpe' },
  });
  assert.match(wrongEmbedder.text, /built with the embedder "fixture-16"/);
  // The text-literal form of the same column (pgvector style) imports the same way.
  await admin.query(
    `UPDATE ${schema}.cpe_entry SET vec_text = '[' || array_to_string(concept_vec, ',') || ']' WHERE concept_vec IS NOT NULL`,
  );
  const literal = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_postgres',
    arguments: {
      table: `${schema}.cpe_entry`,
      idColumn: 'cpe_id',
      vectorColumn: 'vec_text',
      collection: 'cpe_text',
      where: "tmd_code <> 'T0'",
    },
  });
  assert.equal(
    (literal.structuredContent as { result: { imported: number } }).result.imported,
    667,
    'the where clause leaves out the 333 T0 rows',
  );
  const bad = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_import_postgres',
    arguments: { table: 'cpe_entry; DROP TABLE x', idColumn: 'cpe_id', vectorColumn: 'v' },
  });
  assert.match(bad.text, /table: .*not a plain SQL identifier/);
});

test('the knowledge-base tools over an MCP client: remember, recall, search with expansion, Cypher and the schema resource', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  await ingestFinancial(await suite.knowledge.graph(), financialGraph({ statistics: 12 }));
  const remembered = await client.callTool({
    name: 'rememberFacts',
    arguments: {
      entities: [{ name: 'USA desk', entityType: 'team', observations: ['watches the Federal Reserve policy rate'] }],
    },
  });
  assert.notEqual(remembered.isError, true);
  const search = await client.callTool({
    name: 'searchKnowledge',
    arguments: { query: 'Federal Reserve policy rate', k: 1, expandHops: 1 },
  });
  const hit = (search.structuredContent as { hits: { text: string; ref: string; related?: unknown[] }[] }).hits[0]!;
  assert.match(hit.text, /Federal Reserve/);
  assert.equal(hit.ref, 'Entity:USA desk');
  const query = await client.callTool({
    name: 'queryKnowledgeGraph',
    arguments: {
      cypher: 'MATCH (a:Country {iso3: $c})-[e:TRADE_DEPENDS]->(b) RETURN b.iso3 AS to, e.weight AS w ORDER BY w DESC',
      params: { c: 'USA' },
      maxRows: 3,
    },
  });
  const rows = query.structuredContent as {
    rows: { to: string }[];
    truncated: boolean;
    truncatedBy: string;
    totalRows: number;
  };
  assert.deepEqual(
    rows.rows.map((r) => r.to),
    ['CAN', 'MEX', 'CHN'],
  );
  assert.deepEqual([rows.truncated, rows.truncatedBy, rows.totalRows], [true, 'rows', 8]);
  const shock = await client.callTool({
    name: 'runTool',
    arguments: { name: 'knowledge_base_propagate_shock', arguments: { statistic: 'USA_policy_rate', maxHops: 2 } },
  });
  const impacts = (
    shock.structuredContent as { result: { impacts: { statistic: string; impact: number; hops: number }[] } }
  ).result.impacts;
  assert.equal(
    impacts.length,
    19 + 19,
    '19 policy rates at hop 1, then their currency volatility… only USA and JPN have those channels',
  );
  assert.ok(impacts.every((i) => Math.abs(i.impact) >= 0.01));
  assert.equal(impacts[0]!.impact, Number((0.85 * 0.6).toFixed(6)));
  const missing = await client.callTool({
    name: 'runTool',
    arguments: { name: 'knowledge_base_get_country_profile', arguments: { country: 'XYZ' } },
  });
  assert.match(
    (missing.content as { text: string }[])[0]!.text,
    /country: no country "XYZ" in the graph; known ISO-3 codes: AUS, BRA/,
  );
});
