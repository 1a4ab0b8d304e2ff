// Declared-vs-used dependencies: every way code, scripts and tool configuration use a package counts,
// so no needed package is called unused (an agent could delete it), and a package's own tests
// importing it by its own name are not a missing dependency.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, testSuite, textOf } from '../helpers.js';

const declared = {
  // one package per way of using it
  'prop-require': '^1.0.0', // require('prop-require').y
  'deep-sub': '^1.0.0', // require('deep-sub/lib/x') inside a function
  'dyn-import': '^1.0.0', // import('dyn-import').then(...)
  'sub-import': '^1.0.0', // import x from 'sub-import/sub'
  'star-export': '^1.0.0', // export * from 'star-export'
  'resolved-only': '^1.0.0', // require.resolve('resolved-only')
  'type-only': '^1.0.0', // import type { T } from 'type-only'
  'ts-equals': '^1.0.0', // import x = require('ts-equals')
  'type-query': '^1.0.0', // type Options = import('type-query').Options
  react: '^18.0.0', // the JSX runtime of a .jsx file
  'script-bin': '^1.0.0', // a binary (from its bin map) run by an npm script
  'script-name': '^1.0.0', // run by an npm script under its own name
  'node-register': '^1.0.0', // node -r node-register/register
  'really-unused': '^1.0.0',
};
const devDeclared = {
  'eslint-plugin-security': '^1.0.0', // plugins: ['security'] in .eslintrc.json
  'eslint-config-airbnb': '^19.0.0', // extends: ['airbnb']
  '@babel/preset-env': '^7.0.0', // presets in babel.config.js
  'jest-environment-jsdom': '^29.0.0', // testEnvironment: 'jsdom' in package.json's jest key
  autoprefixer: '^10.0.0', // postcss.config.js plugins object key
  'dev-unused': '^1.0.0',
};

const files: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: '@acme/widgets',
      version: '1.0.0',
      scripts: {
        build: 'NODE_ENV=production sb-build --out dist && script-name check',
        start: 'node -r node-register/register src/server.js',
        lint: 'eslint .',
      },
      dependencies: declared,
      devDependencies: devDeclared,
      jest: { testEnvironment: 'jsdom' },
    },
    null,
    2,
  ),
  'node_modules/script-bin/package.json': JSON.stringify({ name: 'script-bin', bin: { 'sb-build': 'cli.js' } }),
  '.eslintrc.json': JSON.stringify({ extends: ['airbnb'], plugins: ['security'] }),
  'babel.config.js': "module.exports = { presets: [['@babel/preset-env', { targets: 'node 20' }]] };\n",
  'postcss.config.js': 'module.exports = { plugins: { autoprefixer: {} } };\n',
  'src/server.js': [
    "const y = require('prop-require').y;",
    'function later() {',
    "  return require('deep-sub/lib/x');",
    '}',
    "const loaded = import('dyn-import').then((m) => m.default);",
    "const where = require.resolve('resolved-only');",
    'module.exports = { y, later, loaded, where };',
    '',
  ].join('\n'),
  'src/module.ts': [
    "import type { T } from 'type-only';",
    "import sub from 'sub-import/sub';",
    "import eq = require('ts-equals');",
    "export * from 'star-export';",
    "export type Options = import('type-query').Options;",
    'export const value: T = sub(eq);',
    '',
  ].join('\n'),
  'src/view.jsx': 'export const View = () => <div>hi</div>;\n',
  // The package's own test imports it by its published name.
  'test/widgets.test.js': "const widgets = require('@acme/widgets');\nrequire('@acme/widgets/package.json');\n",
};

test('uses of packages in any form count; self-references are not missing; only truly unused ones are listed', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_check_dependencies', arguments: {} },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const deps = (result.structuredContent as { result: { missing: { package: string }[]; unused: string[] } }).result;
  assert.deepEqual(deps.missing, [], 'the package importing itself by name is no missing dependency');
  assert.deepEqual(deps.unused, ['dev-unused', 'really-unused']);
});
