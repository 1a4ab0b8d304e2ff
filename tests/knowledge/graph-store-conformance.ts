// What any GraphStore engine must do, as a reusable suite: Kuzu runs it today; a replacement
// engine (LadybugDB, once glibc allows) must pass it unchanged before any tool may use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphStore } from '../../knowledge/graph/graph-store.js';
import { currentSchemaVersion } from '../../knowledge/graph/schema.js';
import { KnowledgeError } from '../../knowledge/knowledge-error.js';

export interface StoreFactory {
  /** Opens (or reopens) the store at a location that persists between calls with the same key. */
  open(key: string): Promise<GraphStore>;
}

const countries = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ iso3: `C${String(i).padStart(3, '0')}`, name: `Country ${i}`, rank: i }));
const insertCountries = 'UNWIND $rows AS r CREATE (:Country {iso3: r.iso3, name: r.name, gdpRank: r.rank})';

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof KnowledgeError, `expected a KnowledgeError, got ${(error as Error)?.stack}`);
    return error.code;
  }
}

export function graphStoreConformance(engine: string, factory: StoreFactory): void {
  test(`${engine}: a new store is migrated to the current schema and lists its tables`, async () => {
    const store = await factory.open('schema');
    try {
      assert.equal(store.schemaVersion, currentSchemaVersion);
      const tables = await store.tables();
      const names = tables.map((t) => t.name);
      for (const name of [
        'Country',
        'Statistic',
        'SeriesPoint',
        'Regime',
        'Scenario',
        'TRADE_DEPENDS',
        'CONTAGION',
        'Entity',
        'Observation',
        'RELATION',
        'Document',
      ])
        assert.ok(names.includes(name), name);
      const contagion = tables.find((t) => t.name === 'CONTAGION')!;
      assert.equal(contagion.kind, 'rel');
      assert.deepEqual(contagion.connections, [{ from: 'Statistic', to: 'Statistic' }]);
      assert.deepEqual(
        contagion.properties.map((p) => p.name).filter((n) => !n.startsWith('_')),
        ['weight', 'mechanism', 'lagMonths', 'confidence', 'provenance'],
      );
      assert.ok(tables.find((t) => t.name === 'Country')!.properties.find((p) => p.name === 'iso3')!.primaryKey);
    } finally {
      await store.close();
    }
  });

  test(`${engine}: bulk UNWIND writes land in one transaction, and a failing batch leaves nothing`, async () => {
    const store = await factory.open('bulk');
    try {
      await store.write([{ cypher: insertCountries, params: { rows: countries(500) } }]);
      assert.equal(await store.count('Country'), 500);
      const duplicate = store.write([
        { cypher: insertCountries, params: { rows: [{ iso3: 'NEW', name: 'New', rank: 1 }] } },
        { cypher: insertCountries, params: { rows: [{ iso3: 'C000', name: 'again', rank: 0 }] } },
      ]);
      assert.equal(await code(duplicate), 'QUERY_FAILED');
      assert.equal(await store.count('Country'), 500, 'the first statement of the failed batch was rolled back');
      assert.equal((await store.read("MATCH (c:Country {iso3: 'NEW'}) RETURN c.iso3")).rows.length, 0);
    } finally {
      await store.close();
    }
  });

  test(`${engine}: 200 concurrent writers all succeed through the queue, and one bad batch fails alone`, async () => {
    const store = await factory.open('concurrent');
    try {
      const writes = Array.from({ length: 200 }, (_, i) =>
        store.write([{ cypher: 'CREATE (:Entity {name: $n, entityType: $t})', params: { n: `e${i}`, t: 'thing' } }]),
      );
      const bad = store.write([{ cypher: 'CREATE (:Entity {name: $n})', params: { n: 'e7' } }]); // duplicate key
      const results = await Promise.allSettled(writes);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 200);
      assert.equal(await code(bad), 'QUERY_FAILED');
      assert.equal(await store.count('Entity'), 200);
    } finally {
      await store.close();
    }
  });

  test(`${engine}: concurrent reads run beside writes and see committed data`, async () => {
    const store = await factory.open('reads');
    try {
      await store.write([{ cypher: insertCountries, params: { rows: countries(50) } }]);
      const reads = Array.from({ length: 100 }, (_, i) =>
        store.read('MATCH (c:Country) WHERE c.gdpRank = $r RETURN c.iso3 AS iso3', { r: i % 50 }),
      );
      const writes = Array.from({ length: 20 }, (_, i) =>
        store.write([{ cypher: 'CREATE (:Scenario {id: $id, name: $id})', params: { id: `s${i}` } }]),
      );
      const [readResults] = await Promise.all([Promise.all(reads), Promise.all(writes)]);
      readResults.forEach((r, i) => assert.deepEqual(r.rows, [{ iso3: `C${String(i % 50).padStart(3, '0')}` }]));
      assert.equal(await store.count('Scenario'), 20);
    } finally {
      await store.close();
    }
  });

  test(`${engine}: parameters are data, the row cap truncates, and a slow query is interrupted`, async () => {
    const store = await factory.open('limits');
    try {
      await store.write([{ cypher: insertCountries, params: { rows: countries(300) } }]);
      const injection = await store.read('MATCH (c:Country) WHERE c.iso3 = $c RETURN c', { c: "C001' OR 1=1 //" });
      assert.equal(injection.rows.length, 0);
      const capped = await store.readOnly('MATCH (c:Country) RETURN c.iso3', {}, { maxRows: 10 });
      assert.equal(capped.rows.length, 10);
      assert.equal(capped.totalRows, 300);
      assert.equal(capped.truncated, true);
      const slow = store.readOnly(
        'MATCH (a:Country), (b:Country), (c:Country) WHERE a.name + b.name + c.name = $x RETURN count(*)',
        { x: 'none' },
        { timeoutMs: 100 },
      );
      const started = performance.now();
      assert.equal(await code(slow), 'TIMEOUT');
      assert.ok(performance.now() - started < 3_000);
      const after = await store.readOnly('MATCH (c:Country) RETURN count(c) AS n');
      assert.equal(after.rows[0]!.n, 300, 'the connection is usable after the interrupt');
    } finally {
      await store.close();
    }
  });

  test(`${engine}: readOnly refuses writes and second statements; nothing changes`, async () => {
    const store = await factory.open('readonly');
    try {
      await store.write([{ cypher: insertCountries, params: { rows: countries(3) } }]);
      assert.equal(await code(store.readOnly("MATCH (c:Country) SET c.name = 'x' RETURN c")), 'QUERY_REJECTED');
      assert.equal(await code(store.readOnly("RETURN 1; COMMIT; CREATE (:Country {iso3: 'ESC'})")), 'QUERY_REJECTED');
      assert.equal(await code(store.readOnly('MATCH (c:Country RETURN c')), 'QUERY_REJECTED');
      assert.equal(await store.count('Country'), 3);
      const plan = await store.explain('MATCH (c:Country) RETURN c.iso3');
      assert.ok(plan.operators.includes('SCAN_NODE_TABLE'));
      assert.ok((await store.explain("MATCH (c:Country) SET c.name = 'x'")).operators.includes('SET_PROPERTY'));
    } finally {
      await store.close();
    }
  });

  test(`${engine}: repeated reads never serve rows older than the last acknowledged write`, async () => {
    const store = await factory.open('fresh-reads');
    try {
      const countQuery = 'MATCH (e:Entity) RETURN count(e) AS n';
      for (let i = 0; i < 20; i++) {
        const pending = store.read(countQuery); // may straddle the write below
        await store.write([{ cypher: 'CREATE (:Entity {name: $n})', params: { n: `w${i}` } }]);
        await pending;
        assert.equal((await store.read(countQuery)).rows[0]!.n, i + 1);
        assert.equal((await store.read(countQuery)).rows[0]!.n, i + 1);
      }
    } finally {
      await store.close();
    }
  });

  test(`${engine}: acknowledged writes survive close and reopen`, async () => {
    const store = await factory.open('persist');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.write([{ cypher: 'CREATE (:Entity {name: $n})', params: { n: `p${i}` } }]),
      ),
    );
    await store.close();
    const again = await factory.open('persist');
    try {
      assert.equal(await again.count('Entity'), 50);
      assert.equal(again.schemaVersion, currentSchemaVersion);
    } finally {
      await again.close();
    }
  });

  test(`${engine}: values come back as plain JSON (nodes, relationships, paths, big integers)`, async () => {
    const store = await factory.open('values');
    try {
      await store.write([
        { cypher: insertCountries, params: { rows: countries(2) } },
        {
          cypher:
            "MATCH (a:Country {iso3: 'C000'}), (b:Country {iso3: 'C001'}) CREATE (a)-[:TRADE_DEPENDS {weight: 0.5, lagMonths: 3}]->(b)",
        },
      ]);
      const { rows } = await store.read(
        'MATCH p = (a:Country)-[e:TRADE_DEPENDS]->(b) RETURN a, e, p, e.lagMonths AS lag',
      );
      const row = rows[0]!;
      assert.doesNotThrow(() => JSON.stringify(row));
      assert.equal((row.a as Record<string, unknown>).iso3, 'C000');
      assert.equal((row.e as Record<string, unknown>).weight, 0.5);
      assert.equal(row.lag, 3);
      assert.equal(typeof (row.a as Record<string, unknown>)._id, 'string');
    } finally {
      await store.close();
    }
  });
}
