// `caelum call ... --output sarif > x.sarif`, as a CI step runs it: stdout is the SARIF log and
// nothing else, so the file parses and validates; --output json and text print one part only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliPath, tempDir, writeTree } from '../helpers.js';
import { sarifSchemaErrors } from '../development/sarif-schema.js';

async function cli(t: { after(fn: () => Promise<void>): void }, args: string[]) {
  const dir = await tempDir(t);
  await writeTree(dir, {
    'src/app.js': [
      "const express = require('express');",
      "const { exec } = require('child_process');",
      'const app = express();',
      "app.get('/run', (req, res) => exec('ls ' + req.query.dir, (e, out) => res.send(out)));",
      'app.listen(3000);',
      '',
    ].join('\n'),
  });
  return spawnSync(process.execPath, [cliPath, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, CAELUM_MOUNT_DEFAULTS: '0', HOME: dir, CAELUM_DATA_DIR: path.join(dir, '.data') },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

test('caelum call --output sarif prints only the SARIF log, which parses whole and validates', async (t) => {
  const run = await cli(t, ['call', 'analyzeAndImproveCode', '{"task": "security_scan"}', '--output', 'sarif']);
  assert.equal(run.status, 0, run.stderr);
  const log = JSON.parse(run.stdout) as { version: string; runs: { results: { ruleId: string }[] }[] };
  assert.equal(log.version, '2.1.0');
  assert.ok(log.runs[0]!.results.some((r) => r.ruleId === 'command-injection'));
  assert.deepEqual(sarifSchemaErrors(log), []);
  // "format": "sarif" alone, as in `caelum call analyzeAndImproveCode '{"format":"sarif"}' > x.sarif`.
  const implied = await cli(t, ['call', 'analyzeAndImproveCode', '{"format": "sarif", "aiReview": 0}']);
  assert.equal(implied.status, 0, implied.stderr);
  assert.deepEqual(sarifSchemaErrors(JSON.parse(implied.stdout)), []);
  // --output json still gets the whole report, the log inside it.
  const report = await cli(t, [
    'call',
    'analyzeAndImproveCode',
    '{"format": "sarif", "aiReview": 0}',
    '--output',
    'json',
  ]);
  assert.equal(JSON.parse(report.stdout).sarif.version, '2.1.0');
});

test('caelum call --output json prints only the JSON report; --output text only the text', async (t) => {
  const json = await cli(t, [
    'call',
    'analyzeAndImproveCode',
    '{"task": "security_scan", "aiReview": 0}',
    '--output',
    'json',
  ]);
  assert.equal(json.status, 0, json.stderr);
  assert.ok(JSON.parse(json.stdout).totalFindings >= 1);
  const text = await cli(t, [
    'call',
    'analyzeAndImproveCode',
    '{"task": "security_scan", "aiReview": 0}',
    '--output',
    'text',
  ]);
  assert.match(text.stdout, /security_scan of .*findings/);
  assert.doesNotMatch(text.stdout, /^\{/m, 'no JSON after the text');
});

test('caelum call --output sarif on a tool without SARIF, or a bad --output, fails with nothing on stdout', async (t) => {
  const none = await cli(t, ['call', 'development_analyze_complexity', '{"path": "src"}', '--output', 'sarif']);
  assert.equal(none.status, 1);
  assert.equal(none.stdout, '');
  const bad = await cli(t, ['call', 'analyzeAndImproveCode', '{}', '--output', 'xml']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--output: unknown output "xml"; valid outputs: text, json, sarif/);
  const elsewhere = await cli(t, ['tools', '--output', 'json']);
  assert.equal(elsewhere.status, 2);
  assert.match(elsewhere.stderr, /--output is an option of caelum call/);
});
