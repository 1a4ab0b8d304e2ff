// The sample knowledge base as a new user meets it: the built CLI, a fresh data dir, an MCP client
// over `caelum serve` (which starts the service), and the first question asked at once. Proves the
// bundle finds data/kb-sample from dist/bundle and that the first query waits for the load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, place, session } from '../servers/service-fixture.js';
import { textOf } from '../helpers.js';
import { countryByIso3 } from '../../knowledge/snapshot/catalogue/countries.js';
import { tradeEdges } from '../../knowledge/snapshot/catalogue/corridors.js';

test('on a fresh data dir the first queryKnowledgeGraph over caelum serve answers from the sample, and caelum kb source|sample say so', async (t) => {
  const where = await place(t);
  const { client } = await session(t, where);
  const result = await client.callTool({
    name: 'queryKnowledgeGraph',
    arguments: {
      cypher:
        "MATCH (c:Country {iso3: 'DEU'})-[e:TRADE_DEPENDS]-(p:Country) RETURN DISTINCT p.iso3 AS partner ORDER BY partner",
    },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const partners = [
    ...new Set(tradeEdges().flatMap((e) => (e.from === 'DEU' ? [e.to] : e.to === 'DEU' ? [e.from] : []))),
  ].sort();
  assert.ok(partners.length >= 3);
  const content = result.structuredContent as { rows: { partner: string }[]; source: { kind: string } };
  assert.deepEqual(
    content.rows.map((r) => r.partner),
    partners,
  );
  assert.ok(partners.every((iso3) => countryByIso3.has(iso3)));
  assert.equal(content.source.kind, 'sample');
  assert.match(textOf(result), /^Source: the SAMPLE knowledge base/);

  const source = cli(where, ['kb', 'source', '--json']);
  assert.equal(source.status, 0, source.stderr);
  const shown = JSON.parse(source.stdout) as {
    tool: string;
    result: { source: { kind: string; recordings: { recordedAt: string }[] } };
  };
  assert.equal(shown.tool, 'knowledge_base_get_source');
  const view = shown.result;
  assert.equal(view.source.kind, 'sample');
  assert.equal(view.source.recordings[0]!.recordedAt, '2025-01-15T00:00:00.000Z');

  const again = cli(where, ['kb', 'sample']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /Loaded the sample knowledge base in \d+ ms: \d+ rows, 96 observations, 1 fitted regime/);
});

test('with no service, a one-shot caelum call on a fresh data dir loads the sample for its first query', async (t) => {
  const where = await place(t, { CAELUM_SERVICE: 'off' });
  const run = cli(where, ['call', 'queryKnowledgeGraph', '{"cypher": "MATCH (c:Country) RETURN count(c) AS n"}']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^Source: the SAMPLE knowledge base/);
  assert.match(run.stdout, /"n": 20/);
});
