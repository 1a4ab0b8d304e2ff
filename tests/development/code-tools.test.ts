// Navigation, structure, git-history and focused security tools on a small project written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, testSuite, textOf } from '../helpers.js';

const block = (name: string) =>
  [
    `export function ${name}(items, limit) {`,
    '  const result = [];',
    '  for (const item of items) {',
    '    if (item.value > limit && item.enabled) {',
    '      result.push({ id: item.id, label: item.name.trim().toLowerCase(), score: item.value * 2 });',
    '    } else if (item.value === limit) {',
    "      result.push({ id: item.id, label: 'edge', score: 0 });",
    '    }',
    '  }',
    '  return result.sort((a, b) => b.score - a.score);',
    '}',
  ].join('\n');

const files = {
  'package.json': JSON.stringify({ name: 'svc', main: 'src/index.js' }),
  'tsconfig.json': JSON.stringify({ extends: './tsconfig.base.json', compilerOptions: { noImplicitAny: false } }),
  'tsconfig.base.json': JSON.stringify({ compilerOptions: { strict: true, noUncheckedIndexedAccess: true } }),
  'src/index.js':
    "const { rank } = require('./rank');\nconst { Store } = require('./store');\nconst express = require('express');\nconst app = express();\nconst requireLogin = (req, res, next) => next();\napp.get('/items', (req, res) => res.json(rank(new Store().all(), 3)));\napp.post('/items', requireLogin, (req, res) => res.sendStatus(201));\napp.delete('/items/:id', (req, res) => res.sendStatus(204));\nmodule.exports = app;\n",
  'src/rank.js': block('rank').replace('export function rank', 'function rank') + '\nmodule.exports = { rank };\n',
  'src/copy.js': block('rankAgain'),
  'src/store.ts':
    'export class Store {\n  private items: unknown[] = [];\n  all(): unknown[] {\n    return this.items as any;\n  }\n  // @ts-ignore\n  add(item) { this.items.push(item); }\n}\nexport interface Item { id: string }\nexport type Id = string;\n',
  'src/orphan.js': "const rank = require('./rank');\nrank.rank([], 1);\n",
  'config/settings.yml': 'database:\n  password: "Zq8#tR2vLx9!mN4p"\n  host: db.internal\n',
  '.env.example': 'API_KEY=replace-me-with-a-real-key-123\n',
  'deploy/key.txt': 'token: ghp_abcdefghijklmnopqrstuvwxyz0123456789AB\n',
};

async function call(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown> = {},
) {
  const result = await client.callTool({ name: 'runTool', arguments: { name, arguments: args } });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { result: Record<string, unknown> }).result;
}

test('symbols, definitions and call sites across TS and JS', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const symbols = await call(client, 'development_list_symbols', { path: 'src/store.ts' });
  assert.deepEqual(
    (symbols.symbols as { name: string; kind: string; exported: boolean; container?: string }[]).map(
      (s) => `${s.kind}:${s.container ? `${s.container}.` : ''}${s.name}:${s.exported}`,
    ),
    [
      'class:Store:true',
      'property:Store.items:false',
      'method:Store.all:false',
      'method:Store.add:false',
      'interface:Item:true',
      'type:Id:true',
    ],
  );
  const definition = await call(client, 'development_find_definition', { name: 'Store.all' });
  assert.deepEqual(
    (definition.definitions as { file: string; line: number }[]).map((d) => `${d.file}:${d.line}`),
    ['src/store.ts:3'],
  );
  const sites = await call(client, 'development_find_call_sites', { name: 'rank' });
  assert.deepEqual(
    (sites.sites as { file: string; line: number; caller: string }[]).map((s) => `${s.file}:${s.line}`).sort(),
    ['src/index.js:6', 'src/orphan.js:2'],
  );
  const bad = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_find_call_sites', arguments: { name: 'a b' } },
  });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /name/);
});

test('unused files, duplicated code, tsconfig strictness and hotspots', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const unused = await call(client, 'development_find_unused_files');
  assert.deepEqual(unused.unused, ['src/copy.js', 'src/orphan.js']);
  const duplicates = await call(client, 'development_find_duplicate_code', { minTokens: 40 });
  const clone = (
    duplicates.clones as {
      a: { file: string; startLine: number };
      b: { file: string; startLine: number };
      lines: number;
    }[]
  )[0];
  assert.deepEqual([clone?.a.file, clone?.b.file].sort(), ['src/copy.js', 'src/rank.js'], 'the renamed copy is found');
  assert.ok((clone?.lines ?? 0) >= 9);
  const audit = await call(client, 'development_audit_tsconfig');
  const options = new Map(
    (audit.options as { option: string; effective: boolean; source: string }[]).map((o) => [o.option, o]),
  );
  assert.equal(options.get('strictNullChecks')?.source, 'strict', 'strict comes through extends');
  assert.equal(options.get('noImplicitAny')?.effective, false, 'the local override wins');
  assert.equal(options.get('noUncheckedIndexedAccess')?.effective, true);
  assert.deepEqual(audit.extends, ['./tsconfig.base.json']);
  assert.deepEqual(
    { ignore: (audit.optOuts as { tsIgnore: number }).tsIgnore, asAny: (audit.optOuts as { asAny: number }).asAny },
    { ignore: 1, asAny: 1 },
  );
  const hotspots = await call(client, 'development_find_hotspots');
  assert.equal(hotspots.gitAvailable, false);
  assert.equal((hotspots.functions as { name: string }[])[0]?.name.startsWith('rank'), true);
});

test('secrets in any file are found and masked; routes list their authentication; ReDoS is pointed at', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const secrets = await call(client, 'development_scan_secrets');
  const found = secrets.findings as {
    file: string;
    line: number;
    kind: string;
    confidence: string;
    evidence: string;
  }[];
  assert.deepEqual(
    found.map((f) => `${f.file}:${f.line}:${f.confidence}`),
    ['deploy/key.txt:1:high', 'config/settings.yml:2:medium', '.env.example:1:low'],
  );
  assert.equal(found[0]?.kind, 'GitHub token');
  assert.ok(!JSON.stringify(secrets).includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789AB'), 'the token is masked');
  assert.ok(!JSON.stringify(secrets).includes('Zq8#tR2vLx9!mN4p'), 'the password is masked');

  const routes = await call(client, 'development_list_routes');
  assert.deepEqual(
    (routes.routes as { method: string; path: string; authenticated: boolean }[]).map(
      (r) => `${r.method} ${r.path} ${r.authenticated}`,
    ),
    ['GET /items false', 'POST /items true', 'DELETE /items/:id false'],
  );
  assert.deepEqual(routes.unauthenticatedWrites, ['DELETE /items/:id (src/index.js:8)']);

  const one = await call(client, 'development_check_regex', { pattern: '^(a+)+$' });
  assert.equal((one.unsafe as { culprit: string }[])[0]?.culprit, '(a+)+');
  const fine = await call(client, 'development_check_regex', { pattern: '^[a-z]+@[a-z]+\\.com$' });
  assert.deepEqual(fine.unsafe, []);
  const invalid = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_check_regex', arguments: { pattern: '(' } },
  });
  assert.equal(invalid.isError, true);
});

test('blame groups lines by commit; show returns a commit with its numstat', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const git = (author: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd: suite.project,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: author,
        GIT_AUTHOR_EMAIL: 'a@x',
        GIT_COMMITTER_NAME: author,
        GIT_COMMITTER_EMAIL: 'a@x',
      },
    });
  git('Ada', 'init', '-q');
  git('Ada', 'add', '.');
  git('Ada', 'commit', '-qm', 'first');
  await writeFile(
    path.join(suite.project, 'src', 'orphan.js'),
    "const rank = require('./rank');\nrank.rank([], 2);\nrank.rank([], 3);\n",
  );
  git('Grace', 'commit', '-qam', 'second: more ranks');
  const blame = await call(client, 'development_git_blame', { file: 'src/orphan.js' });
  assert.deepEqual(
    (blame.runs as { startLine: number; endLine: number; author: string; subject: string }[]).map(
      (r) => `${r.startLine}-${r.endLine} ${r.author} ${r.subject}`,
    ),
    ['1-1 Ada first', '2-3 Grace second: more ranks'],
  );
  const show = await call(client, 'development_git_show_commit', { ref: 'HEAD' });
  assert.equal(show.message, 'second: more ranks');
  assert.deepEqual(show.files, [{ path: 'src/orphan.js', added: 2, removed: 1 }]);
  assert.match(show.patch as string, /^\+rank\.rank\(\[\], 3\);$/m);
  const badRef = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_git_show_commit', arguments: { ref: '--output=/tmp/x' } },
  });
  assert.equal(badRef.isError, true);
});
