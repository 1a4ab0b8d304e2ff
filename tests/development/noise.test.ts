// Less noise (issue 16): what the analysis must not report on well-kept code, and how what it does
// report reads. The exact-set test covers the fixture lines (noise/ in vulnerable-app); these check
// the wording, the per-app scope of the app checks, and the test-file default through the tool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings, sourceText } from '../../tools/development/analysis/findings.js';
import { analyzeScript, analyzeTemplate } from '../../tools/development/analysis/file-analysis.js';
import { resolveRelativeImports } from '../../tools/development/analysis/project-analysis.js';
import { mustacheEngine, nameTemplateEngine } from '../../tools/development/security/template-rules.js';
import { hasRiskyNesting } from '../../tools/development/security/regex-nesting.js';
import { connectClient, repoRoot, tempDir, testSuite } from '../helpers.js';

const fixture = path.join(repoRoot, 'tests', 'development', 'fixtures', 'vulnerable-app');

async function scanFixture(t: { after(fn: () => Promise<void> | void): void }) {
  const root = path.join(await tempDir(t), 'vulnerable-app');
  await cp(fixture, root, { recursive: true });
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
  });
  const findings = securityFindings(project, { dependencyMajors: new Map([['express', 4]]) });
  return Object.assign(findings, { project });
}

function projectOf(files: Record<string, string>) {
  const analyses = Object.entries(files).map(([file, text]) => analyzeScript(ts, file, text));
  return {
    root: '/nowhere',
    files: analyses,
    skipped: [],
    skippedCount: 0,
    cache: { hits: 0, misses: 0 },
    resolvedImports: resolveRelativeImports(analyses),
    durationMs: 0,
  };
}

test('missing-csrf is reported on the app that lacks it, with the routes that app serves', async (t) => {
  const findings = await scanFixture(t);
  const csrf = findings.filter((f) => f.rule === 'missing-csrf');
  assert.deepEqual(
    csrf.map((f) => f.file),
    ['app.js', 'noise/apps/session-app.js'],
  );
  const app = csrf.find((f) => f.file === 'noise/apps/session-app.js')!;
  assert.match(app.message, /serves 3 state-changing routes \(noise\/apps\/account-routes\.js\)/);
  // The original app counts the routes of the files it imports, not every route in the repository.
  const original = csrf.find((f) => f.file === 'app.js')!;
  const own = Number(/serves (\d+) state-changing/.exec(original.message)?.[1]);
  const everywhere = findings.project.files.reduce((sum, f) => sum + (f.app?.stateChangingRoutes ?? 0), 0);
  assert.ok(own > 0 && own <= everywhere - 3, `${original.message} (${everywhere} in the repository)`);
});

test('helmet in one app does not vouch for another; sub-middlewares, its packages and headers set by hand count', () => {
  const project = projectOf({
    'a.js':
      "const express = require('express');\nconst app = express();\nconst { headers } = require('./h');\napp.use(headers);\napp.listen(1);",
    'h.js': "const helmet = require('helmet');\nexports.headers = helmet.hsts();",
    'b.mjs': "import express from 'express';\nconst app = express();\napp.listen(2);",
    'c.mjs':
      "import express from 'express';\nimport frameguard from 'frameguard';\nconst app = express();\napp.use(frameguard());\napp.listen(3);",
  });
  const headers = securityFindings(project, { dependencyMajors: new Map() }).filter(
    (f) => f.rule === 'missing-security-headers',
  );
  assert.deepEqual(
    headers.map((f) => f.file),
    ['b.mjs'],
  );
  assert.match(headers[0]!.message, /no helmet or equivalent/);
});

test('messages quote the source as written, and name the template engine', async (t) => {
  assert.equal(
    sourceText({ line: 1, text: "req.get('Referrer')", part: 'headers', key: 'Referrer', whole: false }),
    "req.get('Referrer')",
  );
  assert.equal(sourceText({ line: 1, text: 'req.query', part: 'query', key: 'id', whole: false }), 'req.query.id');
  assert.equal(
    sourceText({ line: 1, text: 'req.headers', part: 'headers', key: 'x-forwarded-host', whole: false }),
    'req.headers["x-forwarded-host"]',
  );
  const findings = await scanFixture(t);
  const back = findings.find((f) => f.file === 'noise/apps/files.js' && f.cwe === 'CWE-601');
  assert.match(back?.message ?? '', /^Open redirect: req\.get\('Referrer'\) \(user input\)/);
  assert.doesNotMatch(back?.message ?? '', /\)\.Referrer/);
  const mustache = findings.find((f) => f.file === 'noise/views/profile.mustache');
  assert.match(mustache?.message ?? '', /^Mustache \{\{\{ \}\}\} outputs raw HTML: "bio"/);
  const handlebars = findings.find((f) => f.file === 'noise/views/card.hbs');
  assert.match(handlebars?.message ?? '', /^Handlebars \{\{& \}\} outputs raw HTML: "summary"/);
  const stack = findings.find((f) => f.file === 'noise/errors/express-errors.js' && f.cwe === 'CWE-209');
  assert.match(stack?.message ?? '', /the stack trace \(err\.stack\) is sent to the client/);
  // .html templates: the engine comes from the project's packages.
  const [hit] = analyzeTemplate('views/page.html', '<p>{{{ bio }}}</p>').patternHits;
  assert.match(hit!.message, /^Handlebars or Mustache \{\{\{/);
  assert.match(
    nameTemplateEngine(hit!.message, 'views/page.html', ['express', 'mustache-express']),
    /^Mustache \{\{\{/,
  );
  assert.match(nameTemplateEngine(hit!.message, 'views/page.html', ['express-handlebars']), /^Handlebars \{\{\{/);
  assert.equal(mustacheEngine('.mustache', ['handlebars']), 'Mustache');
});

test('Sequelize finders are not NoSQL injection; raw SQL built into sequelize.query is SQL injection', () => {
  const project = projectOf({
    'routes.js': [
      "const { Op } = require('sequelize');",
      "const { User, sequelize } = require('./models');",
      "router.post('/u', async (req, res) => {",
      '  await User.update({ name: req.body.name }, { where: { id: req.user.id } });',
      '  const found = await User.findOne({ where: { email: req.body.email } });',
      "  const raw = await sequelize.query('SELECT * FROM users WHERE name = ' + req.body.name);",
      '  const mongo = await Users.findOne({ email: req.body.email });',
      '  res.json({ found, raw, mongo });',
      '});',
    ].join('\n'),
  });
  const found = securityFindings(project, { dependencyMajors: new Map() }).map((f) => `${f.line}:${f.cwe}`);
  assert.deepEqual(found.sort(), ['6:CWE-89', '7:CWE-943']);
});

test('analyzeAndImproveCode leaves test files out by default, says how many, and includes them on request', async (t) => {
  const suite = await testSuite(t, {
    files: {
      'src/server.js':
        "const https = require('https');\nhttps.request({ host: 'api.example.com', rejectUnauthorized: false });\n",
      'test/server.test.js':
        "const https = require('https');\nhttps.get({ host: 'localhost', rejectUnauthorized: false });\n",
      '__tests__/util.spec.ts': 'export const agent = { rejectUnauthorized: false };\n',
    },
  });
  const client = await connectClient(t, suite);
  type Report = { findings: { file: string }[]; notes: string[]; metrics: { files: number } };
  const call = async (args: Record<string, unknown>) =>
    (
      await client.callTool({
        name: 'analyzeAndImproveCode',
        arguments: { task: 'security_scan', aiReview: 0, ...args },
      })
    ).structuredContent as unknown as Report;
  const byDefault = await call({});
  assert.deepEqual(
    byDefault.findings.map((f) => f.file),
    ['src/server.js'],
  );
  assert.equal(byDefault.metrics.files, 1);
  assert.ok(
    byDefault.notes.some((n) => /^2 test files were left out \(pass includeTests: true/.test(n)),
    byDefault.notes.join('; '),
  );
  const all = await call({ includeTests: true });
  assert.deepEqual([...new Set(all.findings.map((f) => f.file))].sort(), [
    '__tests__/util.spec.ts',
    'src/server.js',
    'test/server.test.js',
  ]);
  assert.ok(!all.notes.some((n) => /left out/.test(n)));
});

test('nested quantifiers are judged by how many ways they can match, not by nesting alone', () => {
  const risky = [
    String.raw`^([a-zA-Z0-9]+)*@example\.com$`,
    String.raw`(x+x+)+y`,
    String.raw`(a{1,4})*`,
    String.raw`(a+){10}y`,
    String.raw`^(a?){25}(a){25}$`,
    String.raw`^(\w+\s?)*$`,
    String.raw`^(?:[a-z]+,?)+$`,
  ];
  const bounded = [
    String.raw`^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==)?$`,
    String.raw`^(?:::|(?:0{1,4}:){1,4}:|(?:0{1,4}:){5})ffff:(\d+)$`,
    String.raw`((?:;[^,;=]+=[^,;]+)*)`,
    String.raw`^(\d+\.){3}\d+$`,
  ];
  for (const source of risky) assert.equal(hasRiskyNesting(source), true, source);
  for (const source of bounded) assert.equal(hasRiskyNesting(source), false, source);
  // Case-insensitive: [a-z]+ can match the "A" that follows it.
  assert.equal(hasRiskyNesting('(?:[a-z]+A)*', 'i'), true);
  assert.equal(hasRiskyNesting('(?:[a-z]+A)*'), false);
});
