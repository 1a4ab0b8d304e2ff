// Two real processes on one data dir. Kuzu 0.11.3 lets processes share a graph read-only, but
// refuses any open (read-only included) while another process holds it read-write. So: beside a
// read-only holder, Caelum opens the graph read-only, reads work and writes fail with one line;
// beside a read-write holder, the knowledge tools fail with one line naming the holder. Neither
// result carries a stack, and getSystemStatus reports the access mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { repoRoot, testSuite } from '../helpers.js';

/** A child process holding the graph file open until the test ends. */
async function holdGraph(t: { after(fn: () => void): void }, location: string, readOnly: boolean) {
  const script = `const kuzu = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'kuzu'))});
const db = new kuzu.Database(${JSON.stringify(location)}, 64 * 2 ** 20, true, ${readOnly});
db.init().then(() => console.log('holding'), (e) => { console.log('failed ' + e.message); process.exit(1); });
process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => void child.stdin.end());
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'holding');
  return child.pid!;
}

function assertOneLine(text: string): void {
  assert.equal(text.trim().split('\n').length, 1, text);
  assert.doesNotMatch(text, /\n\s+at |\.(ts|js):\d+|See the docs/, 'no stack trace or engine trailer');
}

async function seeded(t: Parameters<typeof testSuite>[0]) {
  const first = await testSuite(t);
  const stored = await first.dispatcher.call('rememberFacts', {
    entities: [{ name: 'Ada', entityType: 'person', observations: ['maintains the GPU pool'] }],
  });
  assert.equal(stored.isError, false, stored.text);
  await first.close();
  return { dataDir: first.dataDir, location: path.join(first.dataDir, 'knowledge', 'graph.kz') };
}

test('beside a process holding the graph read-only: this one opens it read-only, reads work, writes fail in one line', async (t) => {
  const { dataDir, location } = await seeded(t);
  await holdGraph(t, location, true);
  const second = await testSuite(t, { env: { CAELUM_DATA_DIR: dataDir } });
  t.after(() => second.close());
  const read = await second.dispatcher.call('queryKnowledgeGraph', {
    cypher: 'MATCH (e:Entity) RETURN e.name AS name',
  });
  assert.equal(read.isError, false, read.text);
  assert.deepEqual((read.structuredContent as { rows: unknown[] }).rows, [{ name: 'Ada' }]);
  assert.equal(second.knowledge.mode().access, 'read-only');
  const write = await second.dispatcher.call('rememberFacts', {
    entities: [{ name: 'Bob', entityType: 'person', observations: ['runs the trading desk'] }],
  });
  assert.equal(write.isError, true);
  assert.match(write.text, /read-only here: process \d+ .* holds the knowledge graph .*caelum service status/);
  assertOneLine(write.text);
  const status = await second.dispatcher.call('getSystemStatus', { timeoutMs: 200 });
  const knowledge = (status.structuredContent as { knowledge: { access: string; accessReason?: string } }).knowledge;
  assert.equal(knowledge.access, 'read-only');
  assert.match(knowledge.accessReason ?? '', /opened it read-only/);
  assert.match(status.text, /Knowledge graph: read-only/);
});

test('beside a process holding the graph read-write: the knowledge tools fail in one line naming that process', async (t) => {
  const { dataDir, location } = await seeded(t);
  const pid = await holdGraph(t, location, false);
  const second = await testSuite(t, { env: { CAELUM_DATA_DIR: dataDir } });
  t.after(() => second.close());
  for (const [tool, input] of [
    ['queryKnowledgeGraph', { cypher: 'MATCH (e:Entity) RETURN e.name' }],
    ['recallFacts', { query: 'who maintains the pool' }],
    ['rememberFacts', { entities: [{ name: 'Bob', entityType: 'person', observations: ['trades'] }] }],
  ] as const) {
    const result = await second.dispatcher.call(tool, input);
    assert.equal(result.isError, true, `${tool}: ${result.text}`);
    assert.match(result.text, new RegExp(`held by process ${pid} .*caelum service status`), tool);
    assertOneLine(result.text);
  }
  assert.equal(second.knowledge.mode().access, 'unavailable');
  const status = await second.dispatcher.call('getSystemStatus', { timeoutMs: 200 });
  const knowledge = (status.structuredContent as { knowledge: { access: string } }).knowledge;
  assert.equal(knowledge.access, 'unavailable');
});
