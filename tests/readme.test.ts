// The README's catalogue is generated from the schemas; this keeps it from drifting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { renderCatalogue, replaceCatalogue } from '../servers/catalogue-markdown.js';
import { repoRoot, testSuite } from './helpers.js';

test('the README tool catalogue matches the tool schemas (run `npm run docs` to update)', async (t) => {
  const suite = await testSuite(t, { env: { CAELUM_MOUNT_DEFAULTS: '1' } });
  await suite.mounts.ready();
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  assert.equal(replaceCatalogue(readme, renderCatalogue(suite)), readme);
  for (const tool of suite.registry.all()) assert.ok(readme.includes(`\`${tool.name}\``), tool.name);
});

test('the README gives the two commands, the global install and a registration that works from any directory', async () => {
  const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes('npm ci && npm start'));
  assert.ok(readme.includes('npm ci && npm test'));
  assert.ok(readme.includes('npm install -g .'));
  assert.ok(readme.includes('ONNXRUNTIME_NODE_INSTALL=skip npm install -g ./caelum-0.1.0.tgz'));
  assert.ok(readme.includes('caelum setup claude'));
  assert.ok(readme.includes('caelum setup json'));
  // caelum is not on the npm registry: npx outside the clone answers 404.
  assert.doesNotMatch(readme, /npx caelum serve/);
  assert.doesNotMatch(readme, /^npx caelum/m);
});

test('docs/scanner-signals.schema.json is the schema the signals are checked against (run `npm run docs` to update)', async () => {
  const { z } = await import('zod');
  const { scannerSignalsSchema } = await import('../knowledge/snapshot/daily-outputs.js');
  const documented = JSON.parse(
    await readFile(path.join(repoRoot, 'docs', 'scanner-signals.schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  const { $id: _id, title: _title, ...rest } = documented;
  assert.deepEqual(rest, z.toJSONSchema(scannerSignalsSchema));
});
