// The development domain's git and project-structure tools, on small repositories built here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, testSuite, textOf } from '../helpers.js';

const files = {
  'package.json': JSON.stringify({
    name: 'p',
    main: 'src/index.js',
    dependencies: { express: '^4.0.0', lodash: '^4.0.0' },
    devDependencies: { typescript: '5.0.0', chai: '4.0.0' },
  }),
  'src/index.js':
    "const a = require('./a');\nconst express = require('express');\nconst yaml = require('js-yaml');\n// TODO: wire the router\nmodule.exports = a;\n",
  'src/a.js':
    "const { used } = require('./b');\n/* FIXME(ann) b and a import each other */\nmodule.exports = { run: () => used() };\n",
  'src/b.js':
    "const a = require('./a');\nexports.used = () => 1;\nexports.unused = () => 2;\n// a comment that mentions a TODO in passing\n",
  'test/a.test.js': "const chai = require('chai');\nrequire('../src/a');\n",
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

test('TODO inventory, import cycles, unused exports and dependency drift', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const todos = await call(client, 'development_list_todos');
  assert.deepEqual(
    (todos.items as { file: string; line: number; tag: string }[]).map((i) => `${i.file}:${i.line}:${i.tag}`),
    ['src/a.js:2:FIXME', 'src/index.js:4:TODO'],
  );
  const graph = await call(client, 'development_map_imports');
  assert.deepEqual(graph.cycles, [['src/a.js', 'src/b.js']]);
  const unused = await call(client, 'development_find_unused_exports');
  assert.deepEqual(unused.unused, [{ file: 'src/b.js', export: 'unused' }]);
  const deps = await call(client, 'development_check_dependencies');
  assert.deepEqual(
    (deps.missing as { package: string }[]).map((m) => m.package),
    ['js-yaml'],
  );
  assert.deepEqual(deps.unused, ['lodash']);
  assert.deepEqual(deps.toolingOnly, ['typescript']);
  assert.deepEqual(deps.devUsedInProduction, [], 'chai is only used by a test');
});

test('git status, diff, log and churn on a real repository; a bad ref is refused', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: suite.project,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'a@x',
        GIT_COMMITTER_NAME: 'Ada',
        GIT_COMMITTER_EMAIL: 'a@x',
      },
    });
  const notRepo = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_git_status', arguments: {} },
  });
  assert.match(textOf(notRepo), /not inside a git repository/);
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'first');
  await writeFile(path.join(suite.project, 'src', 'b.js'), 'exports.used = () => 3;\n');
  git('commit', '-qam', 'second');
  await writeFile(path.join(suite.project, 'src', 'a.js'), 'module.exports = {};\n');
  await writeFile(path.join(suite.project, 'new.js'), '1;\n');
  const status = await call(client, 'development_git_status');
  assert.equal(status.branch, 'main');
  assert.deepEqual(
    (status.files as { path: string; unstaged: string }[]).map((f) => `${f.unstaged} ${f.path}`).sort(),
    ['? new.js', 'M src/a.js'],
  );
  const diff = await call(client, 'development_git_diff', { against: 'HEAD~1' });
  assert.deepEqual((diff.files as { path: string }[]).map((f) => f.path).sort(), ['new.js', 'src/a.js', 'src/b.js']);
  assert.match(diff.diff as string, /^-exports\.unused/m);
  const log = await call(client, 'development_git_log', { limit: 5 });
  assert.deepEqual(
    (log.commits as { subject: string; author: string }[]).map((c) => `${c.author}: ${c.subject}`),
    ['Ada: second', 'Ada: first'],
  );
  const churn = await call(client, 'development_git_churn');
  assert.deepEqual((churn.files as { path: string; commits: number }[])[0], { path: 'src/b.js', commits: 2 });
  const bad = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_git_diff', arguments: { against: '--output=/tmp/pwned' } },
  });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /against.*not a valid git ref/);
});
