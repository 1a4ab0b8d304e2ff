// Test tools on a real node:test project: detection, a confirmed run with a failure, the
// confirmation rule, a hung run killed at its timeout, the parsers on output node itself
// produced (TAP, spec, JUnit), coverage from node's lcov reporter, and untested complex code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseTestResults } from '../../tools/development/testing/test-results.js';
import { parseIstanbulFinal } from '../../tools/development/testing/coverage.js';
import { connectClient, testSuite, textOf } from '../helpers.js';

const files = {
  'package.json': JSON.stringify({ name: 'calc', type: 'module', scripts: { test: 'node --test test/' } }),
  'src/calc.js': [
    'export function add(a, b) {',
    '  if (a > 100) {',
    '    return 0;',
    '  }',
    '  return a + b;',
    '}',
    'export function grade(score) {',
    '  if (score > 90) return "A";',
    '  else if (score > 80) return "B";',
    '  else if (score > 70) return "C";',
    '  else if (score > 60) return "D";',
    '  return "F";',
    '}',
    '',
  ].join('\n'),
  'src/never.js': 'export function lonely(x) {\n  return x ? 1 : 2;\n}\n',
  'test/calc.test.js': [
    "import { test, describe, it } from 'node:test';",
    "import assert from 'node:assert/strict';",
    "import { add } from '../src/calc.js';",
    "describe('add', () => {",
    "  it('adds', () => assert.equal(add(1, 2), 3));",
    "  it('fails on purpose', () => assert.equal(add(1, 1), 3));",
    "  it.skip('is skipped', () => {});",
    '});',
    "test.todo('grade is untested');",
    '',
  ].join('\n'),
};

// A node:test child started from inside a test skips its files unless this marker is dropped.
const outsideTest = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_TEST_CONTEXT'));

async function call(
  client: Awaited<ReturnType<typeof connectClient>>,
  name: string,
  args: Record<string, unknown> = {},
) {
  const result = await client.callTool({ name: 'runTool', arguments: { name, arguments: args } });
  assert.equal(result.isError, undefined, textOf(result));
  return (result.structuredContent as { result: Record<string, unknown> }).result;
}

test('detects node:test, refuses to run without confirm, runs and parses a failing suite', async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const detected = await call(client, 'development_detect_test_runner');
  const runners = detected.runners as { name: string; evidence: string[]; command: string }[];
  assert.equal(runners[0]?.name, 'node:test');
  assert.match(
    runners[0]!.command,
    /^node --test-reporter=tap --test test\/$|^node --test --test-reporter=tap test\/$/,
  );

  const refused = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_run_tests', arguments: {} },
  });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /confirm/);

  const run = await call(client, 'development_run_tests', { confirm: true, timeoutSeconds: 60 });
  assert.equal(run.ran, true);
  assert.equal(run.exitCode, 1);
  const summary = run.summary as {
    total: number;
    passed: number;
    failed: number;
    skipped: number;
    todo: number;
    failures: { name: string; file?: string; line?: number }[];
  };
  assert.deepEqual(
    {
      total: summary.total,
      passed: summary.passed,
      failed: summary.failed,
      skipped: summary.skipped,
      todo: summary.todo,
    },
    { total: 4, passed: 1, failed: 1, skipped: 1, todo: 1 },
  );
  assert.equal(summary.failures[0]?.name, 'fails on purpose');
  assert.equal(summary.failures[0]?.line, 6);
  assert.match(summary.failures[0]?.file ?? '', /test\/calc\.test\.js$/);

  const filtered = await call(client, 'development_run_tests', { confirm: true, namePattern: '^adds$' });
  assert.equal((filtered.summary as { failed: number }).failed, 0, 'the name filter reaches the runner');

  const inventory = await call(client, 'development_list_tests', { file: 'test/calc.test.js' });
  assert.deepEqual(
    (inventory.tests as { name: string; mode: string }[]).map((x) => `${x.name}:${x.mode}`),
    ['add:run', 'adds:run', 'fails on purpose:run', 'is skipped:skip', 'grade is untested:todo'],
  );
});

test('a hung test run is killed at its timeout, process tree and all', async (t) => {
  const suite = await testSuite(t, {
    files: {
      ...files,
      'test/hang.test.js':
        "import { test } from 'node:test';\ntest('hangs', () => new Promise(() => setInterval(() => {}, 1000)));\n",
    },
  });
  const client = await connectClient(t, suite);
  const started = Date.now();
  const run = await call(client, 'development_run_tests', { confirm: true, timeoutSeconds: 3 });
  assert.equal(run.timedOut, true);
  assert.ok(Date.now() - started < 15_000, 'returned soon after the deadline');
  assert.match(run.reason as string, /killed after 3 s/);
});

test('parsers read what node:test itself prints as TAP, spec and JUnit, and jest/mocha shapes', async (t) => {
  const suite = await testSuite(t, { files });
  const output = (reporter: string) => {
    try {
      return execFileSync(process.execPath, ['--test', `--test-reporter=${reporter}`, 'test/'], {
        cwd: suite.project,
        encoding: 'utf8',
        env: outsideTest,
      });
    } catch (error) {
      return (error as { stdout: string }).stdout;
    }
  };
  for (const reporter of ['tap', 'spec', 'junit']) {
    const parsed = parseTestResults(output(reporter));
    assert.equal(parsed.format, reporter === 'junit' ? 'junit' : reporter);
    assert.deepEqual(
      [parsed.total, parsed.passed, parsed.failed, parsed.skipped, parsed.todo],
      [4, 1, 1, 1, 1],
      reporter,
    );
    assert.equal(parsed.failures[0]?.name.replace(/^test › /, ''), 'fails on purpose', reporter);
  }
  const jest = parseTestResults(
    JSON.stringify({
      numTotalTests: 3,
      numPassedTests: 1,
      numFailedTests: 1,
      numPendingTests: 1,
      numTodoTests: 0,
      startTime: 1000,
      testResults: [
        {
          name: '/p/sum.test.js',
          endTime: 1450,
          assertionResults: [
            { fullName: 'sum adds', status: 'passed' },
            {
              fullName: 'sum fails',
              status: 'failed',
              failureMessages: [
                'Error: expect(received).toBe(expected)\n    at Object.<anonymous> (/p/sum.test.js:9:17)',
              ],
              location: { line: 8 },
            },
          ],
        },
      ],
    }),
  );
  assert.deepEqual(jest.failures, [
    { name: 'sum fails', file: '/p/sum.test.js', line: 8, message: 'Error: expect(received).toBe(expected)' },
  ]);
  assert.equal(jest.durationMs, 450);
  const mocha = parseTestResults(
    '\n  math\n    ✓ adds\n    1) fails\n\n  1 passing (6ms)\n  1 failing\n  1 pending\n\n  1) math\n       fails:\n     AssertionError: expected 2 to equal 3\n      at Context.<anonymous> (test/math.spec.js:7:12)\n',
  );
  assert.deepEqual([mocha.passed, mocha.failed, mocha.skipped], [1, 1, 1]);
  assert.equal(mocha.failures[0]?.file, 'test/math.spec.js');
});

test("coverage from node's lcov reporter, istanbul JSON, and the untested complex functions", async (t) => {
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);
  const none = await call(client, 'development_read_coverage');
  assert.equal(none.found, false);
  await mkdir(path.join(suite.project, 'coverage'));
  try {
    execFileSync(
      process.execPath,
      [
        '--test',
        '--experimental-test-coverage',
        '--test-reporter=lcov',
        '--test-reporter-destination=coverage/lcov.info',
        'test/',
      ],
      { cwd: suite.project, env: outsideTest },
    );
  } catch {
    // one test fails on purpose
  }
  const coverage = await call(client, 'development_read_coverage');
  assert.equal(coverage.format, 'lcov');
  const calc = (coverage.files as { file: string; uncoveredLines: string; uncoveredFunctions: string[] }[]).find(
    (f) => f.file === 'src/calc.js',
  );
  assert.ok(calc?.uncoveredLines.includes('3'), `line 3 (the a > 100 branch) never ran: ${calc?.uncoveredLines}`);
  assert.deepEqual(calc?.uncoveredFunctions, ['grade:7']);
  const gaps = await call(client, 'development_find_coverage_gaps');
  const top = (gaps.functions as { name: string; uncoveredShare: number; cyclomatic: number }[])[0];
  assert.deepEqual(
    { name: top?.name, share: top?.uncoveredShare, cyclomatic: top?.cyclomatic },
    { name: 'grade', share: 1, cyclomatic: 5 },
  );
  assert.deepEqual(gaps.filesNeverLoaded, ['src/never.js']);

  const istanbul = parseIstanbulFinal(
    {
      [path.join(suite.project, 'src/calc.js')]: {
        path: path.join(suite.project, 'src/calc.js'),
        statementMap: { 0: { start: { line: 2 }, end: { line: 2 } }, 1: { start: { line: 3 }, end: { line: 3 } } },
        s: { 0: 4, 1: 0 },
        fnMap: { 0: { name: 'add', decl: { start: { line: 1 } } } },
        f: { 0: 4 },
        b: { 0: [0, 4] },
      },
    },
    suite.project,
  );
  assert.deepEqual(
    istanbul.map((f) => ({ file: f.file, lines: f.lines, uncovered: f.uncoveredLines, branches: f.branches })),
    [{ file: 'src/calc.js', lines: { found: 2, hit: 1 }, uncovered: [3], branches: { found: 2, hit: 1 } }],
  );
  await writeFile(
    path.join(suite.project, 'coverage.xml'),
    '<?xml version="1.0"?><coverage><sources><source>/nowhere</source></sources><packages><package name="app"><classes><class filename="app/views.py"><lines><line number="1" hits="1"/><line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/></lines></class></classes></package></packages></coverage>',
  );
  const cobertura = await call(client, 'development_read_coverage', { report: 'coverage.xml' });
  assert.equal(cobertura.format, 'cobertura');
  assert.deepEqual(
    (cobertura.files as { lines: number; branches: number }[]).map((f) => [f.lines, f.branches]),
    [[50, 50]],
  );
});
