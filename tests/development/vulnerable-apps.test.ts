// The security engine on small vulnerable applications written for this test: every line marked
// "vuln: CWE-x" must be flagged with exactly those CWEs, and nothing else may be flagged (the
// sanitised twin of each positive case sits next to it). The hardened app must come out clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../../tools/development/analysis/findings.js';
import { collectFiles } from '../../tools/development/analysis/project-files.js';
import { repoRoot, tempDir } from '../helpers.js';

const fixtures = path.join(repoRoot, 'tests', 'development', 'fixtures');

async function expectations(root: string): Promise<Set<string>> {
  const expected = new Set<string>();
  const { files } = await collectFiles(root, { signal: new AbortController().signal, maxFiles: 1000 });
  for (const file of files) {
    const lines = (await readFile(file.absolute, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      const marker = /vuln:\s*((?:CWE-\d+\s*)+)/.exec(line);
      if (marker)
        for (const cwe of marker[1]!.trim().split(/\s+/)) expected.add(`${file.relative}:${index + 1}:${cwe}`);
    });
  }
  return expected;
}

async function scan(t: { after(fn: () => Promise<void> | void): void }, name: string) {
  const root = path.join(await tempDir(t), name);
  await cp(path.join(fixtures, name), root, { recursive: true });
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '..', 'data'),
    signal: new AbortController().signal,
  });
  const majors = new Map<string, number>();
  try {
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
      majors.set(dep, Number(/\d+/.exec(range)?.[0] ?? 0));
  } catch {
    // no manifest
  }
  const findings = securityFindings(project, { dependencyMajors: majors });
  return { root, findings };
}

test('every marked vulnerability is found at its line with its CWE, and nothing else is reported', async (t) => {
  const { root, findings } = await scan(t, 'vulnerable-app');
  const expected = await expectations(root);
  const actual = new Set(findings.map((f) => `${f.file}:${f.line}:${f.cwe}`));
  const missed = [...expected].filter((key) => !actual.has(key)).sort();
  const extra = findings
    .filter((f) => !expected.has(`${f.file}:${f.line}:${f.cwe}`))
    .map((f) => `${f.file}:${f.line}:${f.cwe} ${f.rule}: ${f.message}`)
    .sort();
  assert.deepEqual({ missed, extra }, { missed: [], extra: [] });
  assert.ok(expected.size >= 30, `the fixture marks ${expected.size} vulnerabilities`);
});

test('sink classes are all covered by the fixture (one positive per class at least)', async (t) => {
  const { root } = await scan(t, 'vulnerable-app');
  const expected = await expectations(root);
  const cwes = new Set([...expected].map((key) => key.split(':').pop()));
  for (const cwe of [
    'CWE-89',
    'CWE-943',
    'CWE-78',
    'CWE-95',
    'CWE-22',
    'CWE-601',
    'CWE-918',
    'CWE-79',
    'CWE-502',
    'CWE-1333',
    'CWE-611',
    'CWE-915',
    'CWE-639',
    'CWE-1321',
    'CWE-798',
    'CWE-916',
    'CWE-338',
    'CWE-347',
    'CWE-295',
    'CWE-614',
    'CWE-693',
    'CWE-200',
    'CWE-352',
    'CWE-209',
    'CWE-328',
    'CWE-117',
    'CWE-532',
    'CWE-319',
    'CWE-312',
    'CWE-256',
    'CWE-521',
    'CWE-384',
    'CWE-204',
    'CWE-203',
    'CWE-307',
    'CWE-613',
    'CWE-640',
    'CWE-306',
    'CWE-862',
  ]) {
    assert.ok(cwes.has(cwe), `no positive case for ${cwe}`);
  }
});

test('flows through calls are traced: the finding sits at the sink and its trace starts at the request', async (t) => {
  const { findings } = await scan(t, 'vulnerable-app');
  const where = findings.find((f) => f.file === 'data/allocations-dao.js' && f.cwe === 'CWE-943');
  assert.ok(where, 'the $where built in the DAO from a route parameter is found');
  assert.equal(where.trace?.[0]?.file, 'routes/sql.js');
  assert.match(where.trace?.[0]?.note ?? '', /req\.query/);
  const ping = findings.find((f) => f.file === 'routes/shell.js' && f.cwe === 'CWE-78');
  assert.equal(ping?.line, 6, 'the shell sink inside ping() is reported where exec runs');
});

test('the hardened app has no findings', async (t) => {
  const { findings } = await scan(t, 'hardened-app');
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.message}`),
    [],
  );
});
