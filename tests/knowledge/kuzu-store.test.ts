// Kuzu 0.11.3 behind the GraphStore interface: the conformance suite, migrations from an older
// schema, and the file lock between processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openKuzuStore } from '../../knowledge/graph/kuzu-store.js';
import { currentSchemaVersion, migrations } from '../../knowledge/graph/schema.js';
import { graphStoreConformance } from './graph-store-conformance.js';
import { repoRoot, tempDir } from '../helpers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'caelum-kuzu-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

graphStoreConformance('kuzu', { open: (key) => openKuzuStore({ location: path.join(root, key, 'graph.kz') }) });

test('kuzu: a database at schema version 1 is migrated to the current version on open, keeping its data', async (t) => {
  const location = path.join(await tempDir(t), 'graph.kz');
  const old = await openKuzuStore({ location, migrations: migrations.filter((m) => m.version === 1) });
  assert.equal(old.schemaVersion, 1);
  assert.ok(!(await old.tables()).some((table) => table.name === 'Entity'));
  await old.write([{ cypher: "CREATE (:Country {iso3: 'USA', name: 'United States'})" }]);
  await old.close();
  const current = await openKuzuStore({ location });
  try {
    assert.equal(current.schemaVersion, currentSchemaVersion);
    assert.ok((await current.tables()).some((table) => table.name === 'Entity'));
    assert.equal(
      (await current.read("MATCH (c:Country {iso3: 'USA'}) RETURN c.name AS name")).rows[0]!.name,
      'United States',
    );
    const meta = await current.read("MATCH (m:_Meta {key: 'schemaVersion'}) RETURN m.value AS v");
    assert.equal(meta.rows[0]!.v, String(currentSchemaVersion));
  } finally {
    await current.close();
  }
});

test('kuzu: a second process cannot open a graph this one holds read-write, and is told which process holds it', async (t) => {
  const location = path.join(await tempDir(t), 'graph.kz');
  const store = await openKuzuStore({ location });
  try {
    const script = `import { openKuzuStore } from ${JSON.stringify(path.join(repoRoot, 'knowledge/graph/kuzu-store.ts'))};
try { await openKuzuStore({ location: ${JSON.stringify(location)} }); console.log('opened'); } catch (e) { console.log(e.code + ': ' + e.message); }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: repoRoot,
      timeout: 30_000,
    });
    assert.equal(child.status, 0, child.stderr);
    // Kuzu 0.11.3 refuses even a read-only open while another process holds the file read-write.
    const holder = new RegExp(
      `^LOCKED: the knowledge graph at .* is held by process ${process.pid} \\(.*\\); use that Caelum`,
    );
    assert.match(child.stdout, holder);
    assert.equal(child.stdout.trim().split('\n').length, 1, 'one line, no stack');
  } finally {
    await store.close();
  }
});
