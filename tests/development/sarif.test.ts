// SARIF logs as GitHub code scanning and other CI viewers read them: valid against the official
// 2.1.0 schema on the vulnerable fixture, on paths that need percent-encoding and on an empty
// result; GitHub's upload constraints over every rule of the catalogue and every result; rule
// metadata that does not depend on finding order; snippets that are the source and never a
// secret; fixes as artifact changes that do what the patch does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { applyPatch } from 'diff';
import { connectClient, repoRoot, testSuite, textOf } from '../helpers.js';
import { sarifSchemaErrors } from './sarif-schema.js';
import { toSarif } from '../../tools/development/analysis/sarif.js';
import { lineHashes } from '../../tools/development/analysis/line-hash.js';
import { patchReplacements, type Replacement } from '../../tools/development/analysis/sarif-artifacts.js';
import {
  informationUriFrom,
  sarifInformationUri,
  sarifToolVersion,
} from '../../tools/development/analysis/sarif-tool.js';
import { insertionPatch, replacementPatch } from '../../tools/development/analysis/patches.js';
import { ruleCatalogue } from '../../tools/development/security/rule-catalogue.js';
import type { Finding, Severity } from '../../tools/development/security/finding.js';

const fixture = path.join(repoRoot, 'tests', 'development', 'fixtures', 'vulnerable-app');

interface Region {
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
  snippet?: { text: string };
}
interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}
interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: { tags: string[]; precision: string; 'problem.severity': string; 'security-severity'?: string };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: ArtifactLocation; region: Region } }[];
  partialFingerprints: Record<string, string>;
  properties: { severity: Severity; cwe?: string; findingId: string };
  codeFlows?: { threadFlows: { locations: { location: { physicalLocation: { region: Region } } }[] }[] }[];
  fixes?: {
    description: { text: string };
    artifactChanges: { artifactLocation: ArtifactLocation; replacements: Replacement[] }[];
  }[];
}
interface Run {
  tool: { driver: { name: string; version: string; informationUri?: string; rules: Rule[] } };
  originalUriBaseIds: Record<string, { uri: string }>;
  automationDetails?: { id: string };
  results: Result[];
}
interface Log {
  version: string;
  runs: Run[];
}

const levelOf: Record<Severity, string> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

async function sarifOf(
  t: Parameters<typeof testSuite>[0],
  files: Record<string, string> | 'fixture',
  args: Record<string, unknown> = {},
  subdir?: string,
): Promise<{ log: Log; root: string; text: string; findings: Finding[] }> {
  const suite = await testSuite(t, { files: files === 'fixture' ? {} : subdir ? {} : files });
  let root = suite.project;
  if (files === 'fixture') await cp(fixture, root, { recursive: true });
  if (subdir) {
    root = path.join(suite.project, subdir);
    await mkdir(root, { recursive: true });
    for (const [name, content] of Object.entries(files as Record<string, string>)) {
      await mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await writeFile(path.join(root, name), content);
    }
  }
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'analyzeAndImproveCode',
    arguments: { project: root, task: 'security_scan', format: 'sarif', maxFindings: 5000, aiReview: 0, ...args },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const text = textOf(result);
  const { findings } = result.structuredContent as { findings: Finding[] };
  return { log: JSON.parse(text) as Log, root, text, findings };
}

function assertValid(log: unknown) {
  const errors = sarifSchemaErrors(log);
  assert.deepEqual(errors, [], `the log fails the SARIF 2.1.0 schema:\n${errors.slice(0, 20).join('\n')}`);
}

/** The text of `file` after applying SARIF replacements (line/column regions, UTF-16 columns). */
function applyReplacements(text: string, replacements: readonly Replacement[]): string {
  const lines = text.split('\n');
  const offset = (line: number, column: number | undefined, end: boolean) => {
    let at = 0;
    for (let i = 0; i < line - 1; i++) at += lines[i]!.length + 1;
    const length = lines[line - 1]!.replace(/\r$/, '').length;
    return at + (column === undefined ? (end ? length : 0) : column - 1);
  };
  const spans = replacements.map((r) => {
    const region = r.deletedRegion;
    const start = offset(region.startLine, region.startColumn, false);
    const end = offset(region.endLine ?? region.startLine, region.endColumn, true);
    return { start, end, text: r.insertedContent?.text ?? '' };
  });
  let out = text;
  for (const span of spans.sort((a, b) => b.start - a.start))
    out = out.slice(0, span.start) + span.text + out.slice(span.end);
  return out;
}

const finding = (over: Partial<Finding>): Finding => ({
  id: `${over.rule ?? 'sql-injection'}:0000`,
  file: 'src/a.js',
  line: 1,
  endLine: 1,
  severity: 'high',
  category: 'security',
  cwe: 'CWE-89',
  rule: 'sql-injection',
  message: 'a finding',
  evidence: 'x',
  confidence: 'high',
  ...over,
});

test('the log on the vulnerable fixture validates against the official SARIF 2.1.0 schema, with and without quality findings', async (t) => {
  const { log } = await sarifOf(t, 'fixture');
  assert.ok(log.runs[0]!.results.length >= 30);
  assertValid(log);
  const branches = Array.from({ length: 30 }, (_, i) => `  if (a > ${i}) { if (b) { n += ${i}; } else { n -= 1; } }`);
  const complex = `export function tangled(a, b) {\n  let n = 0;\n${branches.join('\n')}\n  return n;\n}\n`;
  const comprehensive = await sarifOf(t, { 'src/tangled.js': complex }, { task: 'comprehensive' });
  assert.ok(comprehensive.log.runs[0]!.results.some((r) => r.ruleId === 'complex-function'));
  assertValid(comprehensive.log);
});

test('paths with spaces, #, % and non-ASCII letters are percent-encoded, and SRCROOT is an absolute file URI ending in /', async (t) => {
  const file = 'src dir/a#b%c ü.js';
  const source = [
    "const express = require('express');",
    "const https = require('https');",
    'const app = express();',
    "app.get('/run', (req, res) => { eval(req.query.code); res.send('ok'); });",
    'const agent = new https.Agent({ rejectUnauthorized: false });',
    'module.exports = { app, agent };',
    '',
  ].join('\n');
  const { log, root } = await sarifOf(t, { [file]: source }, {}, 'proj #1 100% ünï cödé');
  assertValid(log);
  const run = log.runs[0]!;
  const base = run.originalUriBaseIds.SRCROOT!.uri;
  assert.equal(base, `${pathToFileURL(root).href}/`);
  assert.match(base, /^file:\/\/\/.*\/$/);
  assert.doesNotMatch(base, /[ #ü]|%(?![0-9A-F]{2})/);
  assert.equal(fileURLToPath(base), `${root}/`);
  const results = run.results.filter((r) =>
    r.locations[0]!.physicalLocation.artifactLocation.uri.startsWith('src%20dir/'),
  );
  assert.ok(results.some((r) => r.ruleId === 'code-injection'));
  for (const result of results) {
    const location = result.locations[0]!.physicalLocation.artifactLocation;
    assert.equal(location.uri, 'src%20dir/a%23b%25c%20%C3%BC.js');
    assert.equal(location.uriBaseId, 'SRCROOT');
    assert.equal(fileURLToPath(new URL(location.uri, base)), path.join(root, file), 'resolves to the file');
  }
  const tls = results.find((r) => r.ruleId === 'tls-verification-disabled');
  assert.ok(tls?.fixes, 'the TLS finding carries its mechanical fix');
  assert.equal(tls.fixes[0]!.artifactChanges[0]!.artifactLocation.uri, 'src%20dir/a%23b%25c%20%C3%BC.js');
});

test('a project with no findings gives a valid log with no results and every catalogue rule', async (t) => {
  const { log } = await sarifOf(t, { 'src/ok.js': 'export const add = (a, b) => a + b;\n' });
  assertValid(log);
  assert.deepEqual(log.runs[0]!.results, []);
  assert.deepEqual(
    log.runs[0]!.tool.driver.rules.map((r) => r.id),
    [...new Set(ruleCatalogue().map((e) => e.rule))],
  );
});

test('every catalogue rule meets GitHub code scanning constraints: id, name, descriptions, help, CWE tags and page, level, precision, security-severity', () => {
  const log = toSarif([], { toolVersion: sarifToolVersion, root: '/project' }) as unknown as Log;
  assertValid(log);
  const rules = log.runs[0]!.tool.driver.rules;
  const catalogue = ruleCatalogue();
  assert.ok(catalogue.length > 20);
  for (const entry of catalogue) {
    const rule = rules.find((r) => r.id === entry.rule);
    assert.ok(rule, `${entry.rule} is in the log's rules`);
    assert.match(rule.id, /^[a-z0-9]+(?:[-_/.][a-z0-9]+)*$/, 'a stable, URL-safe id');
    assert.ok(rule.id.length <= 255 && rule.name.length <= 255, rule.id);
    assert.ok(rule.shortDescription.text.length > 0 && rule.shortDescription.text.length <= 1024, rule.id);
    assert.ok(rule.fullDescription.text.length > 0 && rule.fullDescription.text.length <= 1024, rule.id);
    assert.ok(rule.help.text.length > 0, `${rule.id} has help text`);
    const severity = entry.severity ?? 'medium';
    assert.equal(rule.defaultConfiguration.level, levelOf[severity], `${rule.id} level from its catalogue severity`);
    assert.ok(['very-high', 'high', 'medium', 'low'].includes(rule.properties.precision), rule.id);
    assert.equal(
      rule.properties['problem.severity'],
      { error: 'error', warning: 'warning', note: 'recommendation' }[rule.defaultConfiguration.level],
    );
    const tags = rule.properties.tags;
    assert.ok(tags.length <= 10, `${rule.id}: GitHub shows at most 10 tags`);
    if (entry.kind === 'quality') {
      assert.equal(rule.properties['security-severity'], undefined, `${rule.id} is not a security rule`);
      continue;
    }
    assert.ok(tags.includes('security'), `${rule.id} is tagged security`);
    const score = rule.properties['security-severity'];
    assert.match(score ?? '', /^\d{1,2}\.\d$/, `${rule.id}: security-severity is a numeric string`);
    assert.ok(Number(score) >= 0 && Number(score) <= 10);
    const band = Number(score) >= 9 ? 'critical' : Number(score) >= 7 ? 'high' : Number(score) >= 4 ? 'medium' : 'low';
    assert.equal(
      band,
      severity === 'info' ? 'low' : severity,
      `${rule.id}: GitHub's band matches the catalogue severity`,
    );
    if (entry.cwe) {
      const number = entry.cwe.replace(/^CWE-/, '');
      assert.ok(tags.includes(`external/cwe/cwe-${number}`), `${rule.id} tagged with its CWE`);
      assert.equal(rule.helpUri, `https://cwe.mitre.org/data/definitions/${number}.html`);
    }
  }
});

test('every result on the fixture meets GitHub upload constraints: rule reference, level, relative location, line, message, fingerprints', async (t) => {
  const { log, root } = await sarifOf(t, 'fixture');
  assert.equal(log.version, '2.1.0');
  assert.ok(log.runs.length <= 20);
  const run = log.runs[0]!;
  assert.equal(run.tool.driver.version, sarifToolVersion);
  assert.equal(run.automationDetails?.id, 'caelum/security_scan/');
  assert.ok(run.results.length <= 25_000);
  const rules = run.tool.driver.rules;
  assert.equal(new Set(rules.map((r) => r.id)).size, rules.length, 'rule ids are unique');
  const fingerprints = new Set<string>();
  for (const result of run.results) {
    assert.equal(rules[result.ruleIndex]?.id, result.ruleId, `${result.ruleId}: ruleIndex points at its rule`);
    assert.equal(result.level, levelOf[result.properties.severity]);
    assert.ok(result.locations.length >= 1 && result.locations.length <= 1000);
    const { artifactLocation, region } = result.locations[0]!.physicalLocation;
    assert.doesNotMatch(artifactLocation.uri, /^[a-z][a-z0-9+.-]*:|^\//i, 'relative URI');
    assert.equal(artifactLocation.uriBaseId, 'SRCROOT');
    assert.ok(run.originalUriBaseIds[artifactLocation.uriBaseId!]);
    assert.ok(Number.isInteger(region.startLine) && region.startLine >= 1);
    assert.ok((region.endLine ?? region.startLine) >= region.startLine);
    const first = result.message.text.split('\n')[0]!;
    assert.ok(first.length > 0 && first.length <= 1000);
    const text = await readFile(path.join(root, decodeURIComponent(artifactLocation.uri)), 'utf8');
    assert.equal(
      result.partialFingerprints.primaryLocationLineHash,
      lineHashes(text)[region.startLine - 1],
      "GitHub's line hash of the primary location",
    );
    const own = result.partialFingerprints['caelumFinding/v1'];
    assert.match(own ?? '', /^[0-9a-f]{8}:\d+$/);
    assert.ok(!fingerprints.has(`${result.ruleId}/${own}`), 'fingerprints tell results apart');
    fingerprints.add(`${result.ruleId}/${own}`);
    for (const flow of result.codeFlows ?? [])
      for (const thread of flow.threadFlows) {
        assert.ok(thread.locations.length <= 10_000);
        for (const step of thread.locations) assert.ok(step.location.physicalLocation.region.startLine >= 1);
      }
  }
  assert.ok(run.results.some((r) => (r.codeFlows?.[0]?.threadFlows[0]?.locations.length ?? 0) >= 3));
});

test('a first message line over 1000 characters is cut to 1000', () => {
  const log = toSarif([finding({ message: `${'x'.repeat(1500)}\nsecond line` })], {
    toolVersion: '0.1.0',
    root: '/project',
    readText: () => undefined,
  }) as unknown as Log;
  const [first, second] = log.runs[0]!.results[0]!.message.text.split('\n');
  assert.equal(first!.length, 1000);
  assert.equal(second, 'second line');
});

test('rule-level severity, level and tags come from the rule, whatever the order and severity of its findings', () => {
  const findings = [
    finding({ id: 'a', severity: 'low', line: 1 }),
    finding({ id: 'b', severity: 'critical', line: 2 }),
    finding({ id: 'c', rule: 'ai-security', category: 'ai-review', cwe: 'CWE-78', severity: 'medium', line: 3 }),
    finding({ id: 'd', rule: 'ai-security', category: 'ai-review', cwe: 'CWE-22', severity: 'high', line: 4 }),
  ];
  const options = { toolVersion: '0.1.0', root: '/project', readText: () => 'a\nb\nc\nd\n' };
  const forward = toSarif(findings, options) as unknown as Log;
  const backward = toSarif([...findings].reverse(), options) as unknown as Log;
  assertValid(forward);
  assert.deepEqual(backward.runs[0]!.tool.driver.rules, forward.runs[0]!.tool.driver.rules);
  const rules = forward.runs[0]!.tool.driver.rules;
  const sql = rules.find((r) => r.id === 'sql-injection')!;
  const catalogued = ruleCatalogue().find((e) => e.rule === 'sql-injection')!.severity;
  assert.equal(
    sql.properties['security-severity'],
    { critical: '9.5', high: '8.0' }[catalogued as 'critical' | 'high'],
  );
  const results = forward.runs[0]!.results;
  assert.deepEqual(
    results.slice(0, 2).map((r) => r.level),
    ['note', 'error'],
    'results keep their own severity',
  );
  const ai = rules.find((r) => r.id === 'ai-security')!;
  assert.deepEqual(ai.properties.tags, ['security', 'external/cwe/cwe-22', 'external/cwe/cwe-78']);
  assert.equal(ai.properties['security-severity'], '8.0', 'an unlisted rule takes its worst finding, in any order');
});

test('snippets are the exact source lines of the region, indentation included, not the evidence', async (t) => {
  const { log, root } = await sarifOf(t, 'fixture');
  let compared = 0;
  for (const result of log.runs[0]!.results) {
    const { artifactLocation, region } = result.locations[0]!.physicalLocation;
    if (!region.snippet) continue;
    const lines = (await readFile(path.join(root, decodeURIComponent(artifactLocation.uri)), 'utf8')).split('\n');
    assert.equal(region.snippet.text, lines.slice(region.startLine - 1, region.endLine ?? region.startLine).join('\n'));
    compared++;
  }
  assert.ok(compared >= 20);
  const log2 = toSarif([finding({ line: 2, endLine: 3, evidence: 'normalised evidence' })], {
    toolVersion: '0.1.0',
    root: '/project',
    readText: () => 'first\n    indented(line);\n\tsecond\r\nlast',
  }) as unknown as Log;
  assert.equal(
    log2.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.snippet?.text,
    '    indented(line);\n\tsecond',
  );
  const unreadable = toSarif([finding({})], {
    toolVersion: '0.1.0',
    root: '/project',
    readText: () => undefined,
  }) as unknown as Log;
  assert.equal(
    unreadable.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.snippet,
    undefined,
    'no source, no snippet',
  );
});

test('hard-coded secrets never appear in the log: no snippet on their lines, no patch content', async (t) => {
  const { log, root, text } = await sarifOf(t, 'fixture');
  const secrets = log.runs[0]!.results.filter((r) => r.ruleId === 'hardcoded-secret');
  assert.ok(secrets.length >= 2);
  let checked = 0;
  for (const result of secrets) {
    const { artifactLocation, region } = result.locations[0]!.physicalLocation;
    assert.equal(region.snippet, undefined);
    const line = (await readFile(path.join(root, decodeURIComponent(artifactLocation.uri)), 'utf8')).split('\n')[
      region.startLine - 1
    ]!;
    const literals = [...line.matchAll(/(["'`])([^"'`\s]{12,})\1/g)].map((m) => m[2]!);
    checked += literals.length;
    for (const literal of literals)
      assert.ok(!text.includes(literal), `the secret on ${artifactLocation.uri}:${region.startLine} is not in the log`);
  }
  assert.ok(checked >= 2, "the fixture's long secret literals were looked for");
  // Another rule reported on a secret's line shows no snippet either.
  const source = "const token = jwt.sign(payload, 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', { algorithm: 'none' });\n";
  const mixed = toSarif(
    [
      finding({ rule: 'hardcoded-secret', cwe: 'CWE-798', severity: 'critical' }),
      finding({ rule: 'jwt-none-algorithm', cwe: 'CWE-347' }),
    ],
    { toolVersion: '0.1.0', root: '/project', readText: () => source },
  );
  assert.doesNotMatch(JSON.stringify(mixed), /sk_live_4eC39HqLyjWDarjtT1zdp7dc/);
});

test('fixes carry artifactChanges that make exactly the change of the patch; findings without a patch get no fix object', async (t) => {
  const { log, root, findings } = await sarifOf(t, 'fixture');
  const results = log.runs[0]!.results;
  const withFix = results.filter((r) => r.fixes);
  assert.ok(withFix.length >= 1);
  const patches = new Map(findings.map((f) => [f.id, f.fix?.patch]));
  for (const result of withFix) {
    const fix = result.fixes![0]!;
    assert.ok(fix.description.text.length > 0);
    const change = fix.artifactChanges[0]!;
    assert.ok(change.replacements.length >= 1);
    for (const replacement of change.replacements) {
      assert.ok(replacement.deletedRegion.startLine >= 1);
      assert.ok(replacement.insertedContent !== undefined);
    }
    const file = decodeURIComponent(change.artifactLocation.uri);
    const before = await readFile(path.join(root, file), 'utf8');
    const patch = patches.get(result.properties.findingId);
    assert.ok(patch, `${result.properties.findingId} has a patch`);
    assert.equal(applyReplacements(before, change.replacements), applyPatch(before, patch));
  }
  for (const result of results.filter((r) => !r.fixes))
    assert.equal(patches.get(result.properties.findingId), undefined, 'a fix object only where a patch exists');
});

test('patch replacements: a replaced line, inserted lines, insertion at the end, and a stale patch', () => {
  const text = 'one\ntwo = false;\nthree\n';
  const replace = replacementPatch('f.js', text, 2, 'false', 'true')!;
  assert.equal(applyReplacements(text, patchReplacements(replace, 'f.js', text)!), applyPatch(text, replace));
  for (const after of [0, 1, 3]) {
    const insert = insertionPatch('f.js', text, after, "'use strict';");
    const replacements = patchReplacements(insert, 'f.js', text);
    assert.ok(replacements, `insertion after line ${after}`);
    assert.equal(applyReplacements(text, replacements), applyPatch(text, insert), `insertion after line ${after}`);
  }
  assert.equal(patchReplacements(replace, 'f.js', 'one\ntwo = 1;\nthree\n'), undefined, 'the file changed since');
  assert.equal(patchReplacements(replace, 'other.js', text), undefined, 'another file');
});

test("GitHub's primaryLocationLineHash matches codeql-action's published test vectors", () => {
  assert.deepEqual(lineHashes(''), ['c129715d7a2bc9a3:1']);
  assert.deepEqual(lineHashes(' a\nb\n  \t\tc\n d'), [
    '271789c17abda88f:1',
    '54703d4cd895b18:1',
    '180aee12dab6264:1',
    'a23a3dc5e078b07b:1',
  ]);
  const expected = [
    'e9496ae3ebfced30:1',
    'fb7c023a8b9ccb3f:1',
    'ce8ba1a563dcdaca:1',
    'e20e36e16fcb0cc8:1',
    'b3edc88f2938467e:1',
    'c8e28b0b4002a3a0:1',
    'c129715d7a2bc9a3:1',
  ];
  assert.deepEqual(lineHashes(' hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n'), expected);
  assert.deepEqual(lineHashes(' hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n'), expected);
  assert.deepEqual(lineHashes('Lorem ipsum dolor sit amet.\n'.repeat(10)).slice(5, 8), [
    'a7f2ff13bc495cf2:6',
    'a7f2ff1481e87703:1',
    'a9cf91f7bbf1862b:1',
  ]);
});

test('informationUri names the README of the repository package.json configures, and is absent when none is', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(sarifInformationUri, informationUriFrom(pkg), 'kept equal to package.json');
  assert.equal(sarifToolVersion, pkg.version);
  const log = toSarif([], { toolVersion: '0.1.0', root: '/p' }) as unknown as Log;
  assert.equal(log.runs[0]!.tool.driver.informationUri, undefined, 'no page is invented');
  assert.equal(
    informationUriFrom({ repository: { type: 'git', url: 'git+https://github.com/acme/caelum.git' } }),
    'https://github.com/acme/caelum#readme',
  );
  assert.equal(informationUriFrom({ repository: 'github:acme/caelum' }), 'https://github.com/acme/caelum#readme');
  assert.equal(informationUriFrom({ repository: 'acme/caelum' }), 'https://github.com/acme/caelum#readme');
  assert.equal(
    informationUriFrom({ repository: 'git@gitlab.com:acme/caelum.git' }),
    'https://gitlab.com/acme/caelum#readme',
  );
  assert.equal(informationUriFrom({ homepage: 'https://caelum.dev/docs' }), 'https://caelum.dev/docs');
  assert.equal(informationUriFrom({}), undefined);
});

test('findings left out by maxFindings are reported as a tool notification in a valid log', async (t) => {
  const { log } = await sarifOf(t, 'fixture', { maxFindings: 3 });
  assertValid(log);
  const run = log.runs[0]! as Run & { invocations: { toolExecutionNotifications?: { message: { text: string } }[] }[] };
  assert.equal(run.results.length, 3);
  assert.match(
    run.invocations[0]!.toolExecutionNotifications?.[0]?.message.text ?? '',
    /more finding\(s\) were left out/,
  );
});
