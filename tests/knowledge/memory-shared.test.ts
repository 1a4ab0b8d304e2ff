// Agent memory shared by instances through PostgreSQL: separate data dirs (separate graphs) on one
// database schema. A remember through one instance is recalled through another at once, a forget too;
// concurrent calls from both converge to the same graph; an instance started later replays the log; and
// with the database gone a remember is refused while a recall answers from the local graph and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pgSchema, pgSchemaUrl, tempDir, testSuite, type TestSuite } from '../helpers.js';
import { createKnowledgeStore } from '../../knowledge/knowledge-store.js';
import { appendSql, appliedKey, MemoryLog, memoryLogTable } from '../../knowledge/memory-log.js';
import { entitiesNamed } from '../../knowledge/memory.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

interface Recalled {
  entities: {
    name: string;
    entityType: string;
    observations: string[];
    relations: { direction: string; relationType: string; other: string }[];
  }[];
  sharedLog?: string;
}

type Setup = { after(fn: () => Promise<void> | void): void };

async function instance(t: Setup, url: string): Promise<TestSuite> {
  return testSuite(t, { env: { DATABASE_URL: url } });
}

async function call(suite: TestSuite, name: string, args: Record<string, unknown>) {
  const result = await suite.dispatcher.call(name, args);
  assert.equal(result.isError, false, result.text);
  return result.structuredContent!;
}

async function recallNames(suite: TestSuite, names: string[]): Promise<Recalled> {
  return (await call(suite, 'recallFacts', { names, k: 100 })) as unknown as Recalled;
}

async function forgetThrough(suite: TestSuite, args: Record<string, unknown>) {
  const result = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_forget_facts',
    arguments: args,
    confirm: true,
  });
  assert.equal(result.isError, false, result.text);
}

/** A TCP relay to PostgreSQL that can be cut: the database "goes down" for the suites behind it. */
async function relay(t: Setup, port: number) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.after(() => (server.listening ? cut() : undefined));
  return { port: (server.address() as net.AddressInfo).port, cut };
}

test('agent memory is shared by instances through the log in PostgreSQL', async (t) => {
  const pg = await pgSchema(t, 'caelum_memory_shared');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  const a = await instance(t, url);
  const b = await instance(t, url);

  await t.test('a fact remembered through A is recalled through B at once', async () => {
    const started = performance.now();
    const stored = await call(a, 'rememberFacts', {
      entities: [{ name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool'] }],
      relations: [{ from: 'Ada', to: 'Caelum', relationType: 'works_on' }],
    });
    const remembered = performance.now();
    const { entities, observations, relations, indexed } = stored;
    assert.deepEqual(
      { entities, observations, relations, indexed },
      {
        entities: 2,
        observations: 1,
        relations: 1,
        indexed: 3,
      },
    );
    const recalled = await recallNames(b, ['Ada']);
    const done = performance.now();
    assert.equal(recalled.sharedLog, undefined);
    assert.deepEqual(recalled.entities, [
      {
        name: 'Ada',
        entityType: 'person',
        observations: ['maintains the GPU pool'],
        relations: [{ direction: 'out', relationType: 'works_on', other: 'Caelum' }],
      },
    ]);
    // A search on B finds it too: the documents were indexed there as well.
    const searched = (await call(b, 'recallFacts', { query: 'GPU pool' })) as unknown as Recalled;
    assert.equal(searched.entities[0]?.name, 'Ada');
    t.diagnostic(
      `remember on A ${(remembered - started).toFixed(1)} ms, then recall on B ${(done - remembered).toFixed(1)} ms`,
    );
  });

  await t.test('B follows A on NOTIFY without a recall', async () => {
    const graph = await b.knowledge.graph();
    const started = performance.now();
    await call(a, 'rememberFacts', { observations: [{ entity: 'Ada', contents: ['reviews the ledger'] }] });
    const remembered = performance.now();
    for (;;) {
      const [ada] = await entitiesNamed(b.knowledge, ['Ada']);
      if (ada?.observations.includes('reviews the ledger')) break;
      assert.ok(performance.now() - started < 10_000, 'B never applied the row without a recall');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const applied = performance.now();
    assert.equal(await graph.count('Observation'), 2);
    t.diagnostic(
      `remember on A ${(remembered - started).toFixed(1)} ms; in B's graph ${(applied - started).toFixed(1)} ms after the call began (NOTIFY)`,
    );
  });

  await t.test('remember on A, then recall on B: the latency, 20 rounds', async () => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await call(a, 'rememberFacts', { entities: [{ name: `L${i}`, observations: [`round ${i}`] }] });
      const recalled = await recallNames(b, [`L${i}`]);
      times.push(performance.now() - started);
      assert.deepEqual(recalled.entities[0]?.observations, [`round ${i}`]);
    }
    times.sort((x, y) => x - y);
    t.diagnostic(
      `remember on A + recall on B: median ${times[10]!.toFixed(1)} ms, p95 ${times[18]!.toFixed(1)} ms, max ${times[19]!.toFixed(1)} ms`,
    );
  });

  await t.test('a forget through B is gone when recalled through A', async () => {
    await forgetThrough(b, {
      observations: [{ entity: 'Ada', contents: ['maintains the GPU pool'] }],
      relations: [{ from: 'Ada', to: 'Caelum', relationType: 'works_on' }],
    });
    const recalled = await recallNames(a, ['Ada', 'Caelum']);
    const ada = recalled.entities.find((e) => e.name === 'Ada')!;
    assert.deepEqual(ada.observations, ['reviews the ledger']);
    assert.deepEqual(ada.relations, []);
    const searched = (await call(a, 'recallFacts', { query: 'maintains GPU pool' })) as unknown as {
      matches: { text: string }[];
    };
    assert.ok(!searched.matches.some((m) => m.text.includes('maintains the GPU pool')), JSON.stringify(searched));
    await forgetThrough(b, { entities: ['Caelum'] });
    assert.deepEqual((await recallNames(a, ['Caelum'])).entities, []);
  });

  await t.test('2 × 20 concurrent remembers from both instances converge to the same memory', async () => {
    const names = ['P0', 'P1', 'P2', 'P3', 'P4'];
    const calls = [a, b].flatMap((suite, side) =>
      Array.from({ length: 20 }, (_, i) => {
        const name = names[i % names.length]!;
        // Both sides retype the same entities: the log's order decides, the same way everywhere.
        return suite.dispatcher.call('rememberFacts', {
          entities: [{ name, entityType: `type-${side}-${i}`, observations: [`fact ${side}-${i}`, 'shared fact'] }],
          relations: [{ from: name, to: names[(i + 1) % names.length]!, relationType: `r${side}` }],
        });
      }),
    );
    const results = await Promise.all(calls);
    for (const result of results) assert.equal(result.isError, false, result.text);
    const [fromA, fromB] = [await recallNames(a, names), await recallNames(b, names)];
    assert.deepEqual(fromA.entities, fromB.entities);
    const observations = fromA.entities.flatMap((e) => e.observations);
    assert.equal(observations.length, 40 + names.length, 'every fact once, the shared one once per entity');
    const [ga, gb] = [await a.knowledge.graph(), await b.knowledge.graph()];
    for (const table of ['Entity', 'Observation', 'RELATION', 'Document'])
      assert.equal(await ga.count(table), await gb.count(table), table);
    // One row per call (2 + 20 remembers and 2 forgets before these 40), and each graph's applied mark is the log's end.
    const { rows } = await pg.admin.query(
      `select max(seq)::int as end, count(*)::int as calls from ${pg.schema}.${memoryLogTable}`,
    );
    assert.equal(rows[0].calls, 64);
    for (const graph of [ga, gb]) {
      const mark = await graph.read('MATCH (m:_Meta {key: $k}) RETURN m.value AS v', { k: appliedKey });
      assert.equal(Number(mark.rows[0]!.v), rows[0].end);
    }
  });

  await t.test('an instance started later replays the whole log', async (st) => {
    const c = await instance(t, url);
    const names = ['Ada', 'Caelum', 'P0', 'P1', 'P2', 'P3', 'P4'];
    const [fromA, fromC] = [await recallNames(a, names), await recallNames(c, names)];
    assert.equal(fromC.entities.length, 6);
    assert.deepEqual(fromC.entities, fromA.entities);
    const [ga, gc] = [await a.knowledge.graph(), await c.knowledge.graph()];
    for (const table of ['Entity', 'Observation', 'RELATION', 'Document'])
      assert.equal(await gc.count(table), await ga.count(table), table);
    // Replayed in pages of 7 rows: the same memory again.
    const store = createKnowledgeStore({ dataDir: await tempDir(st) });
    const log = new MemoryLog({ url, store, pageRows: 7 });
    try {
      assert.equal(await log.catchUp(), undefined);
      assert.deepEqual(await entitiesNamed(store, names), await entitiesNamed(a.knowledge, names));
      assert.equal(await (await store.graph()).count('Observation'), await ga.count('Observation'));
    } finally {
      await log.close();
      await store.close();
    }
  });
});

test('with the database down a remember is refused, and a recall answers from the local graph and says so', async (t) => {
  const pg = await pgSchema(t, 'caelum_memory_down');
  if (!pg.ok) return t.skip(pg.reason);
  const upstream = new URL(pgSchemaUrl(pg.schema));
  const cuttable = await relay(t, Number(upstream.port || 5432));
  upstream.port = String(cuttable.port);
  const a = await instance(t, upstream.toString());
  await call(a, 'rememberFacts', { entities: [{ name: 'Ada', observations: ['maintains the GPU pool'] }] });
  await cuttable.cut();

  const refused = await a.dispatcher.call('rememberFacts', {
    entities: [{ name: 'Bob', observations: ['runs the trading desk'] }],
  });
  assert.equal(refused.isError, true);
  assert.match(refused.text, /DATABASE_URL/);
  assert.match(refused.text, /nothing was remembered/);
  assert.equal(refused.text.split('\n').length, 1, refused.text);
  assert.deepEqual(await entitiesNamed(a.knowledge, ['Bob']), [], 'nothing written only locally');

  const recalled = await a.dispatcher.call('recallFacts', { names: ['Ada'] });
  assert.equal(recalled.isError, false, recalled.text);
  const content = recalled.structuredContent as unknown as Recalled;
  assert.deepEqual(content.entities[0]?.observations, ['maintains the GPU pool']);
  assert.match(content.sharedLog ?? '', /shared memory log .*could not be read/);
  assert.match(recalled.text, /this instance's graph alone/);

  const forgot = await a.dispatcher.call('runTool', {
    name: 'knowledge_base_forget_facts',
    arguments: { entities: ['Ada'] },
    confirm: true,
  });
  assert.equal(forgot.isError, true);
  assert.match(forgot.text, /DATABASE_URL.*nothing was forgotten/);
  assert.equal((await entitiesNamed(a.knowledge, ['Ada'])).length, 1);
});

test('rows become visible in seq order, so a reader that has seen seq n never finds a lower one later', async (t) => {
  const pg = await pgSchema(t, 'caelum_memory_order');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  // The table is created by a log's first read.
  const store = createKnowledgeStore({ dataDir: await tempDir(t) });
  const log = new MemoryLog({ url, store });
  try {
    assert.equal(await log.catchUp(), undefined);
  } finally {
    await log.close();
    await store.close();
  }
  const driver = (await import('pg')).default;
  const writers = await Promise.all(
    Array.from({ length: 8 }, async () => {
      const client = new driver.Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  const reader = new driver.Client({ connectionString: url });
  await reader.connect();
  t.after(async () => {
    await Promise.all([...writers, reader].map((c) => c.end()));
  });
  const total = writers.length * 40;
  let seen = 0;
  let done = false;
  // The reader pages as an instance does (rows after the last seq seen); with rows committing out of
  // seq order it would see a gap that fills later, and the next page would start below its mark.
  const reading = (async () => {
    while (!done || seen < total) {
      const { rows } = await reader.query<{ seq: string }>(
        `select seq from ${memoryLogTable} where seq > $1 order by seq`,
        [seen],
      );
      for (const row of rows) {
        assert.equal(Number(row.seq), seen + 1, `row ${row.seq} became visible after ${seen}`);
        seen = Number(row.seq);
      }
    }
  })();
  await Promise.all(
    writers.map(async (client, w) => {
      for (let i = 0; i < 40; i++) {
        const op = { kind: 'remember', input: { entities: [{ name: `W${w}`, observations: [`n${i}`] }] } };
        await client.query(appendSql, [`writer-${w}`, JSON.stringify(op)]);
      }
    }),
  );
  done = true;
  await reading;
  assert.equal(seen, total);
});

test('an instance that cannot apply a row (its embedder is down) says so on recall, and applies it once it can', async (t) => {
  const pg = await pgSchema(t, 'caelum_memory_apply');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  const peer = new OllamaPeer({
    models: [{ name: 'nomic-embed-text:latest', sizeBytes: 274_302_450, parameterSize: '137M', family: 'nomic-bert' }],
  });
  await peer.start();
  t.after(() => peer.stop());
  const a = await instance(t, url);
  const b = await testSuite(t, {
    env: { DATABASE_URL: url, CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`, CAELUM_EMBEDDER: 'ollama' },
  });
  peer.breakWith({ kind: 'status', status: 503, message: 'overloaded' }, '/api/embed');
  await call(a, 'rememberFacts', { entities: [{ name: 'Ada', observations: ['maintains the GPU pool'] }] });
  const blocked = await recallNames(b, ['Ada']);
  assert.deepEqual(blocked.entities, []);
  assert.match(blocked.sharedLog ?? '', /could not be applied here/);
  // B's own call is in the log (A has it) even though B could not apply it yet, and B says so.
  const own = await b.dispatcher.call('rememberFacts', { entities: [{ name: 'Bob', observations: ['trades'] }] });
  assert.equal(own.isError, true);
  assert.match(own.text, /in the shared memory log \(#2\) but this instance could not apply/);
  assert.equal((await recallNames(a, ['Bob'])).entities.length, 1);
  peer.heal();
  // The pool's breaker keeps the host out for its cooldown (10 s); B's next recall after it catches up.
  const started = performance.now();
  let healed = await recallNames(b, ['Ada', 'Bob']);
  while (healed.sharedLog && performance.now() - started < 30_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    healed = await recallNames(b, ['Ada', 'Bob']);
  }
  assert.equal(healed.sharedLog, undefined);
  assert.deepEqual(
    healed.entities.map((e) => [e.name, e.observations]),
    [
      ['Ada', ['maintains the GPU pool']],
      ['Bob', ['trades']],
    ],
  );
});
