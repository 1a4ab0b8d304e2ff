// Which functions the AI review reads: request handlers (anonymous route callbacks included) and
// functions that pass non-constant input to a shell, eval, the file system or SQL come first, and
// qualify however short they are; constant arguments and look-alike methods do not count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeScript } from '../../tools/development/analysis/file-analysis.js';
import { analyzePython } from '../../tools/development/python/python-analysis.js';
import { pythonParser } from '../../tools/development/python/python-parser.js';
import type { ProjectAnalysis } from '../../tools/development/analysis/project-analysis.js';
import { selectReviewTargets } from '../../tools/development/ai-review/review-targets.js';
import { typescript } from '../../tools/development/typescript-module.js';

function project(files: Record<string, string>): ProjectAnalysis {
  return {
    root: '/nowhere',
    files: Object.entries(files).map(([file, text]) => analyzeScript(typescript(), file, text)),
    skipped: [],
    skippedCount: 0,
    cache: { hits: 0, misses: 0 },
    resolvedImports: new Map(),
    durationMs: 0,
  };
}

const routes = [
  "const express = require('express');",
  "const { execSync } = require('child_process');",
  'const router = express.Router();',
  "router.post('/users', async function (req, res) { res.json(await db.query('SELECT * FROM u WHERE n = ' + req.body.n)); });",
  "router.get('/health', (req, res) => res.send('ok'));",
  'function report(name) { return execSync(`report ${name}`); }',
  'function tidy(text) {',
  '  const match = /a+/.exec(text);',
  "  const rows = db.query('SELECT 1');",
  '  return match ? match[0] + rows.length : text.trim();',
  '}',
  'module.exports = router;',
].join('\n');

test('handlers and functions with risky calls are picked first, even on one line', () => {
  const analysis = project({ 'src/routes.js': routes });
  const functions = Object.fromEntries(analysis.files[0]!.functions.map((f) => [f.name, f]));
  assert.deepEqual(
    Object.values(functions).map((f) => [f.name, f.handler ?? false, f.risky ?? []]),
    [
      ['router.post callback', true, ['db.query']],
      ['router.get callback', true, []],
      ['report', false, ['execSync']],
      ['tidy', false, []],
    ],
    'a regex exec and a constant query are not risky calls',
  );
  const targets = selectReviewTargets(analysis, [], new Map(), 10);
  assert.deepEqual(
    targets.map((t) => [t.name, t.reasons]),
    [
      ['router.post callback', ['request handler', 'calls db.query with non-constant input']],
      ['router.get callback', ['request handler']],
      ['report', ['calls execSync with non-constant input']],
      ['tidy', []],
    ],
  );
});

test('short helpers with no risk signal are not reviewed', () => {
  const analysis = project({
    'src/util.js':
      'function add(a, b) { return a + b; }\nconst double = (x) => x * 2;\nmodule.exports = { add, double };\n',
  });
  assert.deepEqual(selectReviewTargets(analysis, [], new Map(), 10), []);
});

test('a Flask route and a function that shells out are picked in a Python project too', async () => {
  const parser = await pythonParser();
  const app = [
    'import subprocess',
    'from flask import Flask, request',
    'app = Flask(__name__)',
    '',
    "@app.route('/ping')",
    'def ping():',
    "    return subprocess.check_output('ping -c 1 ' + request.args['host'], shell=True)",
    '',
    'def archive(name):',
    '    os.system(f"tar czf {name}.tgz {name}")',
    '',
    'def version():',
    "    return open('VERSION').read()",
    '',
  ].join('\n');
  const analysis = { ...project({}), files: [analyzePython(parser, 'app.py', app)] };
  assert.deepEqual(
    analysis.files[0]!.functions.map((f) => [f.name, f.handler ?? false, f.risky ?? []]),
    [
      ['ping', true, ['subprocess.check_output']],
      ['archive', false, ['os.system']],
      ['version', false, []],
    ],
    'a constant path to open is not a risky call',
  );
  assert.deepEqual(
    selectReviewTargets(analysis, [], new Map(), 10).map((t) => t.name),
    ['ping', 'archive'],
    'the two-line version() has no risk signal',
  );
});
