// Applying a finding's patch (listing, dry run, the write, stale ids), the one-file outline, and
// the rule catalogue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, testSuite, textOf } from '../helpers.js';

const files = {
  'src/client.js':
    "const https = require('https');\n// TODO: pool the agents\nfunction get(url) {\n  return https.get(url, { rejectUnauthorized: false });\n}\nmodule.exports = { get };\n",
  'app/tasks.py': 'import os\n\nclass Jobs:\n    def run(self, name):\n        return os.system("make " + name)\n',
};

async function run(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown>,
  confirm = false,
) {
  return client.callTool({
    name: 'runTool',
    arguments: { name, arguments: args, ...(confirm ? { confirm: true } : {}) },
  });
}

test('a mechanical fix is listed, previewed, applied atomically and then no longer reported', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const refused = await run(client, 'development_apply_fix', { file: 'src/client.js' });
  assert.equal(refused.isError, true, 'destructive: runTool wants confirm');
  assert.match(textOf(refused), /confirm/);
  const listed = (await run(client, 'development_apply_fix', { file: 'src/client.js' }, true)).structuredContent as {
    result: { fixable: { id: string; rule: string; patch: string }[] };
  };
  const fix = listed.result.fixable.find((f) => f.rule === 'tls-verification-disabled');
  assert.ok(fix, JSON.stringify(listed));
  assert.match(fix.patch, /^-.*rejectUnauthorized: false.*\n\+.*rejectUnauthorized: true/m);
  const original = await readFile(path.join(suite.project, 'src/client.js'), 'utf8');
  const preview = (
    await run(client, 'development_apply_fix', { file: 'src/client.js', findingId: fix.id, dryRun: true }, true)
  ).structuredContent as { result: { applied: boolean } };
  assert.equal(preview.result.applied, false);
  assert.equal(await readFile(path.join(suite.project, 'src/client.js'), 'utf8'), original, 'a dry run writes nothing');
  const applied = await run(client, 'development_apply_fix', { file: 'src/client.js', findingId: fix.id }, true);
  assert.equal(applied.isError, undefined, textOf(applied));
  const result = (applied.structuredContent as { result: { applied: boolean; stillReported: boolean } }).result;
  assert.deepEqual([result.applied, result.stillReported], [true, false]);
  assert.equal(
    await readFile(path.join(suite.project, 'src/client.js'), 'utf8'),
    original.replace('rejectUnauthorized: false', 'rejectUnauthorized: true'),
  );
  const stale = await run(client, 'development_apply_fix', { file: 'src/client.js', findingId: fix.id }, true);
  assert.equal(stale.isError, true);
  assert.match(textOf(stale), /findingId/);
  await writeFile(path.join(suite.project, 'src/client.js'), original);
  const escape = await run(client, 'development_apply_fix', { file: '../outside.js', findingId: 'x' }, true);
  assert.equal(escape.isError, true);
});

test('a file outline brings symbols, metrics, TODOs and findings together, for JS and Python', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const js = (await run(client, 'development_outline_file', { file: 'src/client.js' })).structuredContent as {
    result: {
      language: string;
      symbols: { name: string }[];
      todos: { line: number }[];
      findings: { rule: string }[];
      exports: string[];
    };
  };
  assert.equal(js.result.language, 'javascript');
  assert.deepEqual(
    js.result.symbols.map((s) => s.name),
    ['https', 'get'],
  );
  assert.deepEqual(
    js.result.todos.map((t) => t.line),
    [2],
  );
  assert.ok(js.result.findings.some((f) => f.rule === 'tls-verification-disabled'));
  const py = (await run(client, 'development_outline_file', { file: 'app/tasks.py' })).structuredContent as {
    result: { language: string; symbols: { name: string; kind: string }[]; findings: { cwe?: string }[] };
  };
  assert.equal(py.result.language, 'python');
  assert.deepEqual(
    py.result.symbols.map((s) => `${s.kind}:${s.name}`),
    ['class:Jobs', 'method:run'],
  );
  assert.deepEqual(
    py.result.findings.map((f) => f.cwe),
    ['CWE-78'],
  );
  const missing = await run(client, 'development_outline_file', { file: 'nope.ts' });
  assert.equal(missing.isError, true);
});

test('the rule catalogue explains rules by id or CWE and refuses unknown ones', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const byCwe = (await run(client, 'development_explain_rule', { cwe: 'CWE-347' })).structuredContent as {
    result: { rules: { rule: string }[] };
  };
  assert.deepEqual(byCwe.result.rules.map((r) => r.rule).sort(), [
    'jwt-algorithm-confusion',
    'jwt-none-algorithm',
    'jwt-unverified',
  ]);
  const all = (await run(client, 'development_explain_rule', {})).structuredContent as {
    result: { rules: { rule: string }[] };
  };
  assert.ok(all.result.rules.length >= 30);
  const unknown = await run(client, 'development_explain_rule', { rule: 'made-up' });
  assert.equal(unknown.isError, true);
  assert.match(textOf(unknown), /known rules/);
});
