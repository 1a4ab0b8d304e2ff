// Budgets on what an agent's arguments can make Caelum do: globs that would backtrack forever,
// connection strings that name local files, results too large for one message, snapshot members
// that would fill memory, and knowledge writes that would fill the disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { z } from 'zod';
import picomatch from 'picomatch';
import { defineTool, type AnyTool } from '../../tools/define-tool.js';
import { agentGlobs, compileGlob } from '../../tools/glob-budget.js';
import { watchingTheLoop } from './event-loop.js';
import { collectFiles } from '../../tools/development/analysis/project-files.js';
import { checkAgentConnectionString } from '../../tools/connection-string.js';
import { verifySnapshot, readSnapshot, writeSnapshot } from '../../knowledge/snapshot/snapshot-archive.js';
import { pgSchema, pgUrl, tempDir, testSuite } from '../helpers.js';

const hostileGlob = '+(+(+(a|aa)|b)|c)*x';

test('a nested extglob is refused at validation, naming the field, at once', async (t) => {
  const suite = await testSuite(t);
  // The first call loads the catalogue; the budget is about the glob, so time the second.
  await suite.dispatcher.call('analyzeAndImproveCode', { project: suite.project, paths: ['*(a)'] });
  const started = performance.now();
  const result = await suite.dispatcher.call('analyzeAndImproveCode', {
    project: suite.project,
    task: 'security_scan',
    paths: ['src/**', hostileGlob],
  });
  const elapsed = performance.now() - started;
  assert.equal(result.isError, true);
  assert.equal(result.errorCode, 'INVALID_INPUT');
  assert.match(result.text, /^paths\[1\]: /);
  assert.match(result.text, /extglob "\+\(…\)" is not supported/);
  assert.ok(elapsed < 500, `refused in ${elapsed.toFixed(1)} ms`);
});

// picomatch's RegExp takes 3.5 s for six stars on a 60-character name; twelve on 200 would not end.
test('star-heavy globs match long names without backtracking', { timeout: 30_000 }, async (t) => {
  const root = await tempDir(t);
  const longName = `${'a'.repeat(200)}.ts`;
  await writeFile(path.join(root, longName), 'export const a = 1;\n');
  await writeFile(path.join(root, 'ab.ts'), 'export const b = 1;\n');
  const glob = '*a*a*a*a*a*a*a*a*a*a*a*a*b.ts';
  const started = performance.now();
  const { files } = await collectFiles(root, { signal: new AbortController().signal, paths: [glob], maxFiles: 100 });
  const elapsed = performance.now() - started;
  assert.deepEqual(
    files.map((f) => f.relative),
    [],
  );
  assert.ok(elapsed < 2_000, `collected in ${elapsed.toFixed(1)} ms`);
  // While one call matches, another tool call is answered at once: the matcher never blocks for long.
  const suite = await testSuite(t);
  const concurrent = Promise.all([
    collectFiles(root, { signal: new AbortController().signal, paths: [glob], maxFiles: 100 }),
    (async () => {
      const pingStarted = performance.now();
      await suite.dispatcher.call('getSystemStatus', {});
      return performance.now() - pingStarted;
    })(),
  ]);
  const [, pingMs] = await concurrent;
  assert.ok(pingMs < 1_000, `status answered in ${pingMs.toFixed(0)} ms`);
});

test(
  'the heaviest globs a call may pass over 400 long names: the event loop never stalls past 1 s',
  { timeout: 60_000 },
  async (t) => {
    const root = await tempDir(t);
    for (let i = 0; i < 400; i++)
      await writeFile(path.join(root, `${String(i).padStart(3, '0')}${'x'.repeat(180)}.ts`), '');
    const heavy = `${'{a,b}'.repeat(3)}${'*x'.repeat(200)}`;
    const globs = agentGlobs([heavy, heavy], 'paths').map(() => heavy);
    const started = performance.now();
    const { worstGapMs } = await watchingTheLoop(() =>
      collectFiles(root, { signal: new AbortController().signal, paths: globs, maxFiles: 1000 }),
    );
    t.diagnostic(
      `matched 400 files in ${(performance.now() - started).toFixed(0)} ms; longest event-loop gap ${worstGapMs.toFixed(0)} ms`,
    );
    assert.ok(worstGapMs < 1_000, `the event loop stalled for ${worstGapMs.toFixed(0)} ms`);
  },
);

test('agent globs keep the meaning picomatch gave the usual patterns', () => {
  const globs = [
    'src/**',
    './src/**',
    'src/**/*.ts',
    '**/*.ts',
    '*.ts',
    './*.ts',
    'src/*.{ts,js}',
    '{src,lib}/**/*.{ts,tsx}',
    'file?.ts',
  ];
  const paths = [
    'src',
    'src/a.ts',
    'src/x/y/z.ts',
    'a.ts',
    'src/a.js',
    'lib/k/m.tsx',
    'file1.ts',
    'file12.ts',
    '.a.ts',
  ];
  for (const glob of globs) {
    const ours = compileGlob(glob);
    const theirs = picomatch(glob, { dot: true });
    for (const file of paths) assert.equal(ours(file), theirs(file), `${glob} on ${file}`);
  }
  assert.throws(() => compileGlob('{1..100000}'), /more than 256 patterns/);
  assert.throws(() => compileGlob('{a,b}'.repeat(9)), /more than 256 patterns/);
  // Long patterns times many expansions: refused by the token budget (256 × ~480 tokens would take
  // 0.2 s per 200-character path).
  assert.throws(() => compileGlob(`${'{a,b}'.repeat(8)}${'*x'.repeat(230)}`), /pattern tokens, over the limit/);
  // Globs each under the limit, but too much together for one call.
  const heavy = `${'{a,b}'.repeat(3)}${'*x'.repeat(200)}`;
  assert.doesNotThrow(() => compileGlob(heavy));
  assert.throws(
    () => agentGlobs(Array(4).fill(heavy), 'paths'),
    /paths: these globs expand to \d+ pattern tokens together/,
  );
});

test('a connection string naming a local file or socket is refused before pg reads anything', async (t) => {
  const dir = await tempDir(t);
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const suite = await testSuite(t, { env: { DATABASE_URL: 'postgres://caelum@127.0.0.1:5432/kb?sslrootcert=/x' } });
  const base = { table: 'concepts', idColumn: 'id', vectorColumn: 'vec' };
  for (const connectionString of [
    'postgres://u@db.example:5432/x?sslcert=/dev/zero',
    `postgres://u@db.example:5432/x?sslmode=verify-full&sslrootcert=${fifo}`,
    `postgresql://u@db.example/x?SSLKEY=${fifo}`,
    'postgres://u@%2Fvar%2Frun%2Fpostgresql/x',
    `postgres:///x?host=${encodeURIComponent(dir)}`,
    'postgres://u@db.example/x?service=prod',
    `socket:${dir}?db=x`,
    `${dir}/x`,
  ]) {
    const started = performance.now();
    const result = await suite.dispatcher.call('runTool', {
      name: 'knowledge_base_import_postgres',
      arguments: { ...base, connectionString },
    });
    const elapsed = performance.now() - started;
    assert.equal(result.errorCode, 'INVALID_INPUT', `${connectionString}: ${result.text}`);
    assert.match(result.text, /^arguments\.connectionString: /);
    assert.ok(elapsed < 200, `${connectionString} refused in ${elapsed.toFixed(0)} ms`);
  }
  // The operator's own DATABASE_URL may name files: it is not the agent's to refuse.
  const configured = 'postgres://caelum@127.0.0.1:5432/kb?sslrootcert=/x';
  assert.equal(checkAgentConnectionString(configured, 'connectionString', configured), configured);
  assert.equal(
    checkAgentConnectionString('postgres://u:p@db.example:5432/x?sslmode=require', 'connectionString'),
    'postgres://u:p@db.example:5432/x?sslmode=require',
  );
});

const bigOutput = defineTool({
  name: 'monitoring_big_test_output',
  domain: 'monitoring',
  tags: ['test'],
  title: 'Big output (test)',
  description: 'Returns a result of the requested size, to test the budget of one tool result.',
  kind: { effect: 'readOnly' },
  input: z.object({
    lineBytes: z.number().int().describe('Size of the one long line.'),
    rows: z.number().int().describe('Rows in the list.'),
  }),
  output: z.object({
    line: z.string(),
    rows: z.array(z.object({ id: z.number().int(), text: z.string() })),
    total: z.number().int(),
  }),
  examples: [{ lineBytes: 10, rows: 1 }],
  async handler(input) {
    return {
      line: 'x'.repeat(input.lineBytes),
      rows: Array.from({ length: input.rows }, (_, id) => ({ id, text: `row ${id} `.repeat(10) })),
      total: input.rows,
    };
  },
  summarize: (o) => `line of ${o.line.length}: ${o.line}`,
});

test('a result over the budget is cut, says so, and still validates against its schema', async (t) => {
  const suite = await testSuite(t, {
    env: { CAELUM_TOOL_RESULT_BYTES: String(64 * 1024) },
    suite: { extraTools: [bigOutput] as unknown as AnyTool[] },
  });
  const small = await suite.dispatcher.call('runTool', {
    name: bigOutput.name,
    arguments: { lineBytes: 100, rows: 3 },
  });
  assert.equal(small.isError, false);
  assert.equal(small.structuredContent?.truncated, undefined);
  const result = await suite.dispatcher.call('runTool', {
    name: bigOutput.name,
    arguments: { lineBytes: 5_000_000, rows: 20_000 },
  });
  assert.equal(result.isError, false, result.text);
  const size = Buffer.byteLength(result.text) + Buffer.byteLength(JSON.stringify(result.structuredContent));
  assert.ok(size <= 64 * 1024, `${size} bytes`);
  assert.match(result.text, /\[truncated: this result was \d+ bytes, over the limit of 65536 bytes/);
  const structured = result.structuredContent as {
    truncated: { originalBytes: number; stringsCut: number; arraysShortened: number };
    result: { line: string; rows: unknown[]; total: number };
  };
  assert.ok(structured.truncated.originalBytes > 5_000_000);
  assert.ok(structured.truncated.stringsCut >= 1 && structured.truncated.arraysShortened >= 1);
  assert.equal(structured.result.total, 20_000);
  assert.ok(structured.result.rows.length < 20_000);
  assert.match(structured.result.line, /more characters cut\]$/);
  const schema = suite.dispatcher.outputSchema(suite.dispatcher.get('runTool')!);
  assert.ok(schema.safeParse(structured).success);
});

test('a 50 MB single-line test report gives a short result that says what was cut', async (t) => {
  const suite = await testSuite(t);
  const report = path.join(suite.project, 'report.tap');
  await writeFile(report, `TAP version 13\nnot ok 1 - ${'y'.repeat(50 * 2 ** 20)}\n1..1\n`);
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_parse_test_results',
    arguments: { file: 'report.tap' },
  });
  assert.equal(result.isError, false, result.text.slice(0, 300));
  const size = Buffer.byteLength(JSON.stringify(result.structuredContent)) + Buffer.byteLength(result.text);
  assert.ok(size < 1_048_576, `${size} bytes`);
  const failures = (result.structuredContent as { result: { failures: { name: string }[] } }).result.failures;
  assert.match(failures[0]!.name, /characters cut\]$/);
});

/** A ustar header for a regular file, written by hand so the member can be far larger than memory. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}

/** A snapshot whose second member is `bytes` of zeros, streamed through gzip. */
async function plantHugeSnapshot(file: string, bytes: number): Promise<void> {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 1, files: { 'big.json': { sha256: '0', bytes } } }));
  const padding = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  async function* archive() {
    yield Buffer.concat([tarHeader('manifest.json', manifest.length), manifest, padding(manifest.length)]);
    yield tarHeader('big.json', bytes);
    const chunk = Buffer.alloc(4 * 2 ** 20);
    for (let written = 0; written < bytes; written += chunk.length) yield chunk;
    yield Buffer.alloc(1024);
  }
  await pipeline(Readable.from(archive()), createGzip({ level: 1 }), createWriteStream(file));
}

test('a planted snapshot with a 1 GiB member is refused on verify with bounded memory', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'kb_snapshot_20260101.tar.gz');
  await plantHugeSnapshot(file, 2 ** 30);
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const report = await verifySnapshot(file);
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  assert.equal(report.ok, false);
  assert.match(
    report.problems[0]!,
    /^refused: big\.json is 1024\.0 MiB, over the 256\.0 MiB limit of one snapshot member/,
  );
  const grownMiB = (peakRss - before.rss) / 2 ** 20;
  assert.ok(grownMiB < 200, `RSS grew ${grownMiB.toFixed(0)} MiB`);
  assert.ok(elapsed < 2_000, `refused after ${elapsed.toFixed(0)} ms`);
  await assert.rejects(readSnapshot(file, ['big.json']), /big\.json is 1024\.0 MiB/);
  // Reading only the manifest stops once it is in, and never touches the huge member.
  const manifestStarted = performance.now();
  const manifestOnly = await readSnapshot(file, ['manifest.json']);
  assert.deepEqual([...manifestOnly.keys()], ['manifest.json']);
  assert.ok(performance.now() - manifestStarted < 200);
});

test('verify still hashes every member while streaming, and names a tampered one', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'kb_snapshot_20260102.tar.gz');
  const manifest = {
    schemaVersion: 1,
    name: 'kb_snapshot_20260102.tar.gz',
    buildId: 'b',
    createdAt: '2026-01-02T00:00:00.000Z',
    codeVersion: '0',
    configHash: 'c',
    catalogueHash: 'd',
    window: { startYear: 2000, endYear: 2001 },
    mode: { offline: true, skipIngestion: true, skipLlm: true },
    counts: {},
    sources: {},
    timingsMs: {},
    notes: [],
  };
  await writeSnapshot(file, { 'graph.json': '{"a":1}', 'data.csv': 'a,b\n1,2\n' }, manifest);
  const good = await verifySnapshot(file);
  assert.deepEqual(good.problems, []);
  assert.equal(good.checked, 2);
  const members = await readSnapshot(file, ['graph.json']);
  assert.deepEqual([...members.keys()], ['graph.json']);
  // Tamper: the same archive with one member changed.
  const tampered = path.join(dir, 'kb_snapshot_20260103.tar.gz');
  await mkdir(path.join(dir, 'x'));
  const full = await readSnapshot(file);
  await writeFile(path.join(dir, 'x', 'manifest.json'), full.get('manifest.json')!);
  await writeFile(path.join(dir, 'x', 'graph.json'), '{"a":2}');
  await writeFile(path.join(dir, 'x', 'data.csv'), full.get('data.csv')!);
  execFileSync('tar', ['-czf', tampered, '-C', path.join(dir, 'x'), 'manifest.json', 'graph.json', 'data.csv']);
  const bad = await verifySnapshot(tampered);
  assert.equal(bad.ok, false);
  assert.match(bad.problems.join('\n'), /graph\.json: sha256 /);
});

const facts = (round: number) =>
  Array.from({ length: 100 }, (_, i) => `fact ${round}-${i} ${'lorem ipsum dolor sit amet '.repeat(37)}`);

test('remembering facts past the graph quota is refused with what to forget, and forgetting frees room', async (t) => {
  const suite = await testSuite(t, { env: { CAELUM_MEMORY_QUOTA_MIB: '1' } });
  t.after(() => suite.knowledge.close());
  let refused: Awaited<ReturnType<typeof suite.dispatcher.call>> | undefined;
  let stored = 0;
  for (let round = 0; round < 40 && !refused; round++) {
    const result = await suite.dispatcher.call('runTool', {
      name: 'knowledge_base_remember_facts',
      arguments: { observations: [{ entity: `e${round}`, contents: facts(round) }] },
    });
    if (result.isError) refused = result;
    else stored++;
  }
  assert.ok(refused, 'the quota was never reached');
  assert.ok(stored >= 1 && stored < 10, `${stored} rounds of 100 KB stored under a 1 MiB quota`);
  assert.equal(refused.errorCode, 'INVALID_INPUT');
  assert.match(
    refused.text,
    /^arguments\.entities: the knowledge graph of this data dir holds [\d.]+ MiB of facts and documents; adding about [\d.]+ MiB would pass its quota of 1\.0 MiB \(budgets\.memoryQuotaMiB\)\. Forget facts you no longer need \(knowledge_base_forget_facts\)/,
  );
  const forgotten = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_forget_facts',
    arguments: { entities: ['e0', 'e1'] },
    confirm: true,
  });
  assert.equal(forgotten.isError, false, forgotten.text);
  const again = await suite.dispatcher.call('runTool', {
    name: 'knowledge_base_remember_facts',
    arguments: { observations: [{ entity: 'after', contents: facts(99) }] },
  });
  assert.equal(again.isError, false, again.text);
});

test('indexing documents past the vector quota is refused, naming the collections to drop', async (t) => {
  const suite = await testSuite(t, { env: { CAELUM_VECTOR_QUOTA_MIB: '1', CAELUM_MEMORY_QUOTA_MIB: '64' } });
  t.after(() => suite.knowledge.close());
  let refused: Awaited<ReturnType<typeof suite.dispatcher.call>> | undefined;
  for (let round = 0; round < 40 && !refused; round++) {
    const result = await suite.dispatcher.call('runTool', {
      name: 'knowledge_base_index_documents',
      arguments: { documents: facts(round).map((text, i) => ({ id: `d${round}-${i}`, text })) },
    });
    if (result.isError) refused = result;
    else await suite.knowledge.flush(); // the collection reaches the disk, where the quota counts it
  }
  assert.ok(refused, 'the quota was never reached');
  assert.match(
    refused.text,
    /^arguments\.documents: the vector collections of this data dir take [\d.]+ MiB; .* quota of 1\.0 MiB \(budgets\.vectorQuotaMiB\)\. Drop a collection/,
  );
});

test('an agent connection string to a network host imports, and imports past the vector quota are refused', async (t) => {
  const database = await pgSchema(t, 'caelum_budget');
  if (!database.ok) return t.skip(database.reason);
  const { admin, schema } = database;
  await admin.query(`CREATE TABLE ${schema}.concepts (id text, body text, vec real[])`);
  await admin.query(
    `INSERT INTO ${schema}.concepts SELECT 'c' || i, 'concept ' || i, ARRAY(SELECT ((i * 31 + j) % 97) / 97.0 FROM generate_series(0, 63) j)::real[] FROM generate_series(1, 2000) i`,
  );
  // No DATABASE_URL: the string is the agent's, and it names a network host only.
  const suite = await testSuite(t, { env: { CAELUM_VECTOR_QUOTA_MIB: '1' } });
  t.after(() => suite.knowledge.close());
  const importInto = (collection: string) =>
    suite.dispatcher.call('runTool', {
      name: 'knowledge_base_import_postgres',
      arguments: {
        table: `${schema}.concepts`,
        idColumn: 'id',
        textColumn: 'body',
        vectorColumn: 'vec',
        collection,
        connectionString: pgUrl,
      },
    });
  const first = await importInto('first');
  assert.equal(first.isError, false, first.text);
  assert.equal((first.structuredContent as { result: { imported: number } }).result.imported, 2000);
  const second = await importInto('second');
  assert.equal(second.errorCode, 'INVALID_INPUT', second.text);
  assert.match(second.text, /vector collections of this data dir take [\d.]+ MiB; .*quota of 1\.0 MiB/);
});
