// analyzeAndImproveCode and reviewChanges through a real MCP client: the report's shape, SARIF,
// a git diff review, the content-hash cache, and every kind of bad project path or tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdir, symlink, writeFile, appendFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, repoRoot, testSuite, textOf, writeTree } from '../helpers.js';

const fixture = path.join(repoRoot, 'tests', 'development', 'fixtures', 'vulnerable-app');

interface Report {
  findings: {
    id: string;
    file: string;
    line: number;
    cwe?: string;
    severity: string;
    fix?: { patch?: string };
    trace?: unknown[];
  }[];
  totalFindings: number;
  suggestions: { title: string }[];
  skipped: { path: string; reason: string }[];
  aiReview: { status: string; reason: string };
  metrics: { files: number; functions: number };
  sarif?: {
    version: string;
    runs: {
      results: { ruleId: string; locations: unknown[] }[];
      tool: { driver: { rules: { properties: { tags: string[] } }[] } };
    }[];
  };
  cache: { hits: number; misses: number };
  changedFiles?: string[];
  execution?: { steps: { tool: string }[] };
}

async function setup(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t, { files: {} });
  await cp(fixture, suite.project, { recursive: true });
  const client = await connectClient(t, suite);
  return { suite, client };
}

test('a security scan returns ranked findings with CWEs, fixes, traces, suggestions and the execution block', async (t) => {
  const { client } = await setup(t);
  const result = await client.callTool({ name: 'analyzeAndImproveCode', arguments: { task: 'security_scan' } });
  assert.equal(result.isError, undefined, textOf(result));
  const report = result.structuredContent as unknown as Report;
  assert.ok(report.totalFindings >= 30);
  assert.equal(report.findings[0]!.severity, 'critical', 'ranked most severe first');
  assert.ok(
    report.findings.every((f) => f.cwe),
    'security findings carry a CWE',
  );
  assert.ok(
    report.findings.some((f) => f.fix?.patch?.startsWith('--- a/')),
    'a mechanical fix comes as a unified diff',
  );
  assert.ok(
    report.findings.some((f) => (f.trace?.length ?? 0) >= 3),
    'cross-file flows carry their trace',
  );
  assert.ok(report.suggestions.length > 0);
  assert.equal(report.aiReview.status, 'skipped');
  assert.ok(report.execution?.steps.some((s) => s.tool === 'development_scan_security'));
  assert.match(textOf(result), /CWE-89/);
});

test('format sarif returns a SARIF 2.1.0 log with rules tagged by CWE', async (t) => {
  const { client } = await setup(t);
  const result = await client.callTool({
    name: 'analyzeAndImproveCode',
    arguments: { task: 'security_scan', format: 'sarif', maxFindings: 10 },
  });
  const report = result.structuredContent as unknown as Report;
  assert.equal(report.sarif?.version, '2.1.0');
  assert.equal(report.sarif?.runs[0]?.results.length, 10);
  assert.ok(
    report.sarif?.runs[0]?.tool.driver.rules.some((r) =>
      r.properties.tags.some((tag) => tag.startsWith('external/cwe/cwe-')),
    ),
  );
  assert.equal(JSON.parse(textOf(result)).version, '2.1.0', 'the text is the SARIF log itself');
});

test('comprehensive adds complexity findings and metrics; a second run is served from the content-hash cache', async (t) => {
  const { client } = await setup(t);
  const first = (await client.callTool({ name: 'analyzeAndImproveCode', arguments: {} }))
    .structuredContent as unknown as Report;
  assert.ok(first.metrics.functions > 20);
  assert.equal(first.cache.hits, 0);
  const second = (await client.callTool({ name: 'analyzeAndImproveCode', arguments: {} }))
    .structuredContent as unknown as Report;
  assert.equal(second.cache.misses, 0);
  assert.equal(second.cache.hits, first.cache.misses);
  assert.deepEqual(
    second.findings.map((f) => f.id),
    first.findings.map((f) => f.id),
  );
});

test('reviewChanges reports findings on changed lines only, including untracked files', async (t) => {
  const { suite, client } = await setup(t);
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: suite.project,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base');
  const clean = (await client.callTool({ name: 'reviewChanges', arguments: {} }))
    .structuredContent as unknown as Report;
  assert.equal(clean.totalFindings, 0, 'nothing changed, nothing to report');
  await appendFile(
    path.join(suite.project, 'routes', 'web.js'),
    "\nmodule.exports.extra = (app) => app.get('/x', (req, res) => res.redirect(req.query.to));\n",
  );
  await writeFile(
    path.join(suite.project, 'routes', 'new.js'),
    "module.exports = (app) => app.get('/y', (req, res) => require('child_process').exec(req.query.cmd));\n",
  );
  const review = (await client.callTool({ name: 'reviewChanges', arguments: { against: 'HEAD' } }))
    .structuredContent as unknown as Report;
  assert.deepEqual(review.changedFiles?.sort(), ['routes/new.js', 'routes/web.js']);
  assert.deepEqual(review.findings.map((f) => `${f.file}:${f.cwe}`).sort(), [
    'routes/new.js:CWE-78',
    'routes/web.js:CWE-601',
  ]);
  const bad = await client.callTool({ name: 'reviewChanges', arguments: { against: '--output=/tmp/x' } });
  assert.equal(bad.isError, true);
  assert.match(textOf(bad), /not a valid git ref/);
  const missing = await client.callTool({ name: 'reviewChanges', arguments: { against: 'no-such-branch' } });
  assert.match(textOf(missing), /not a commit in this repository/);
});

test('bad project paths get a message naming the field and the fix', async (t) => {
  const { suite, client } = await setup(t);
  const cases: [unknown, RegExp][] = [
    ['not/here', /project: .*does not exist/],
    // Outside the roots is refused as such, whether it exists or not: the answer says nothing of what is there.
    ['/definitely/not/here', /project: .*outside the allowed roots/],
    ['/etc', /outside the allowed roots/],
    ['app.js', /is a file; pass the project directory/],
    [42, /project/],
  ];
  for (const [project, pattern] of cases) {
    const result = await client.callTool({ name: 'analyzeAndImproveCode', arguments: { project } });
    assert.equal(result.isError, true, String(project));
    assert.match(textOf(result), pattern);
  }
  const task = await client.callTool({ name: 'analyzeAndImproveCode', arguments: { task: 'everything' } });
  assert.match(textOf(task), /task/);
  void suite;
});

test('binary, oversized, minified, unparseable files and symlink loops are skipped with reasons, never a crash', async (t) => {
  const { suite, client } = await setup(t);
  const odd = path.join(suite.project, 'odd');
  await mkdir(odd, { recursive: true });
  await writeFile(path.join(odd, 'binary.js'), Buffer.from([0x63, 0x6f, 0x00, 0x01, 0x02]));
  await writeFile(path.join(odd, 'huge.js'), `// ${'x'.repeat(80)}\n`.repeat(30_000));
  await writeFile(path.join(odd, 'bundle.js'), `var a=${'[1,2,3],'.repeat(3000)}0;\n`.repeat(4));
  await writeFile(path.join(odd, 'broken.js'), 'function (( { app.get("/", (req, res) => res.send(req.query.q)\n');
  await symlink(suite.project, path.join(odd, 'loop'));
  await writeTree(suite.project, { 'vendor/jquery.js': 'document.body.innerHTML = location.hash;\n' });
  const result = await client.callTool({ name: 'analyzeAndImproveCode', arguments: { task: 'analyze' } });
  assert.equal(result.isError, undefined, textOf(result));
  const report = result.structuredContent as unknown as Report;
  const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
  assert.match(reasons['odd/binary.js'] ?? '', /binary/);
  assert.match(reasons['odd/huge.js'] ?? '', /over 2 MiB/);
  assert.match(reasons['odd/bundle.js'] ?? '', /minified/);
  assert.match(reasons['odd/loop'] ?? '', /symbolic link/);
  assert.match(reasons['vendor/jquery.js'] ?? '', /vendored/);
  assert.ok(
    report.findings.some((f) => f.file === 'odd/broken.js'),
    'a file with syntax errors is still analysed as far as it parses',
  );
});

test('the internal tools are reachable through runTool, with paths globs', async (t) => {
  const { client } = await setup(t);
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_scan_security', arguments: { paths: ['routes/shell.js'] } },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const findings = (result.structuredContent as unknown as { result: Report }).result.findings;
  assert.ok(findings.length > 0);
  assert.ok(findings.every((f) => f.file === 'routes/shell.js'));
});
