// Repository content that used to stall the service (found by a red-team trial): a regex literal
// whose decimal escape sends safe-regex2's parser into an endless loop, a .gitignore whose rules the
// `ignore` package matches in time exponential in their `**` count, and a small lockfile whose
// requirement graph has exponentially many chains. Each now finishes, and the event loop never
// stalls for a second while it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';
import { watchingTheLoop } from './event-loop.js';

test('a regex literal with a 22-digit decimal escape is checked at once, in the repository and from an agent', async (t) => {
  const escape = `\\${'1'.repeat(22)}`;
  const suite = await testSuite(t, {
    files: { 'src/a.js': `export const r = /(a+)+x${escape}/;\nexport const s = /${escape}/;\n` },
  });
  t.after(() => suite.close());
  const { value: scan, worstGapMs } = await watchingTheLoop(() =>
    suite.dispatcher.call('analyzeAndImproveCode', { project: suite.project, task: 'security_scan', aiReview: 0 }),
  );
  assert.equal(scan.isError, false, scan.text);
  assert.ok(worstGapMs < 1_000, `the event loop stalled for ${worstGapMs.toFixed(0)} ms`);
  const context = suite.dispatcher.context({});
  for (const pattern of [escape, `\\${'1'.repeat(400)}`, `(a+)+${escape}`]) {
    const outcome = await suite.dispatcher.router.invoke('development_check_regex', { pattern }, context);
    assert.ok(outcome.ok, JSON.stringify(outcome));
  }
  const nested = await suite.dispatcher.router.invoke(
    'development_check_regex',
    { pattern: `(a+)+${escape}` },
    context,
  );
  assert.equal(
    (nested.ok && (nested.output as { unsafe: unknown[] }).unsafe.length) || 0,
    1,
    'the nested quantifier is still found',
  );
});

test('a .gitignore rule with many ** over a 60-folder-deep tree is not honoured, and the walk says so', async (t) => {
  const deep = Array(60).fill('a').join('/');
  const suite = await testSuite(t, {
    files: {
      '.gitignore': `${Array(8).fill('a/**').join('/')}/b\nignored.js\n`,
      [`${deep}/c.js`]: 'export const c = 1;\n',
      'ignored.js': 'export const i = 1;\n',
      'src/index.js': 'export const x = 1;\n',
    },
  });
  t.after(() => suite.close());
  const { value, worstGapMs } = await watchingTheLoop(() =>
    suite.dispatcher.router.invoke('development_analyze_code', { path: '.' }, suite.dispatcher.context({})),
  );
  assert.ok(value.ok, JSON.stringify(value));
  assert.ok(worstGapMs < 1_000, `the event loop stalled for ${worstGapMs.toFixed(0)} ms`);
  const text = JSON.stringify(value.output);
  assert.match(text, /1 rule\(s\) not honoured: more than 2/);
  assert.equal(
    (value.output as { metrics: { files: number } }).metrics.files,
    2,
    'the deep file and src, not ignored.js',
  );
});

test('a layered lockfile with exponentially many chains: explain_dependency answers within its budget', async (t) => {
  const layers = 150;
  const width = 16;
  const packages: Record<string, unknown> = {};
  const name = (layer: number, i: number) => `p${layer}-${i}`;
  const top: Record<string, string> = {};
  for (let i = 0; i < width; i++) top[name(0, i)] = '1.0.0';
  packages[''] = { name: 'dag', version: '1.0.0', dependencies: top };
  for (let layer = 0; layer < layers; layer++)
    for (let i = 0; i < width; i++) {
      const dependencies: Record<string, string> = {};
      if (layer + 1 < layers) for (let j = 0; j < width; j++) dependencies[name(layer + 1, j)] = '1.0.0';
      else dependencies.bottom = '1.0.0';
      packages[`node_modules/${name(layer, i)}`] = { version: '1.0.0', dependencies };
    }
  packages['node_modules/bottom'] = { version: '1.0.0' };
  const suite = await testSuite(t, {
    files: {
      'package.json': JSON.stringify({ name: 'dag', version: '1.0.0', dependencies: top }),
      'package-lock.json': JSON.stringify({ name: 'dag', lockfileVersion: 3, packages }),
    },
  });
  t.after(() => suite.close());
  await mkdir(path.join(suite.project, 'node_modules'), { recursive: true });
  await writeFile(path.join(suite.project, 'index.js'), '');
  const started = performance.now();
  const { value, worstGapMs } = await watchingTheLoop(() =>
    suite.dispatcher.router.invoke(
      'development_explain_dependency',
      { path: '.', name: 'bottom', limit: 50 },
      suite.dispatcher.context({}),
    ),
  );
  const elapsed = performance.now() - started;
  assert.ok(value.ok, JSON.stringify(value).slice(0, 300));
  const copies = (value.output as { copies: { chains: string[][] }[] }).copies;
  assert.equal(copies[0]!.chains.length, 50);
  assert.equal(copies[0]!.chains[0]!.length, layers + 2, 'the project, one package per layer, then bottom');
  assert.ok(worstGapMs < 1_000, `the event loop stalled for ${worstGapMs.toFixed(0)} ms`);
  t.diagnostic(`explain_dependency over ${layers}×${width} layers: ${elapsed.toFixed(0)} ms`);
});
