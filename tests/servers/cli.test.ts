// The CLI as a person runs it: tools, call, doctor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { cliPath, repoRoot, tempDir, writeTree } from '../helpers.js';
import { caelumVersion } from '../../servers/version.js';

async function cli(t: { after(fn: () => Promise<void>): void }, args: string[], env: Record<string, string> = {}) {
  const dir = await tempDir(t);
  await writeTree(dir, { 'src/a.ts': 'export const f = (x: number) => (x > 1 ? x : 0);\n' });
  return spawnSync(process.execPath, [cliPath, ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: dir,
      CAELUM_DATA_DIR: path.join(dir, '.data'),
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

test('caelum tools shows every supervisor with its tools, and the internal catalogue', async (t) => {
  const run = await cli(t, ['tools']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /infrastructure: getSystemStatus/);
  assert.match(run.stdout, /ml-training: manageTrainingJob, prepareDataset, assessModel/);
  assert.match(run.stdout, /trading: predictSymbol, backtestStrategy, generateMarketSignals/);
  assert.match(run.stdout, /monitoring: getFleetHealth, manageAlerts, runRemediation, getCostReport/);
  assert.match(run.stdout, /development_analyze_complexity\s+readOnly/);
  const json = await cli(t, ['tools', '--domain', 'development', '--json']);
  const parsed = JSON.parse(json.stdout);
  const names = parsed.internal.map((t: { name: string }) => t.name) as string[];
  assert.deepEqual(names, [...names].sort(), 'sorted by name');
  for (const name of [
    'development_analyze_code',
    'development_analyze_complexity',
    'development_get_project_structure',
    'development_scan_security',
  ])
    assert.ok(names.includes(name), name);
  assert.ok(names.every((name) => name.startsWith('development_')));
  const bad = await cli(t, ['tools', '--domain', 'nope']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--domain: unknown domain "nope"; valid domains: development, infrastructure/);
});

test('caelum call runs internal and high-level tools and prints text, then JSON', async (t) => {
  const run = await cli(t, ['call', 'development_analyze_complexity', '{"path": "src"}']);
  assert.equal(run.status, 0, run.stderr);
  const [text, json] = run.stdout.split(/\n(?=\{)/);
  assert.match(text!, /1 files, 1 functions/);
  assert.equal(JSON.parse(json!).result.functions[0].complexity, 2);
  const high = await cli(t, ['call', 'findTools', '{"query": "line counts"}']);
  assert.match(high.stdout, /development_get_project_structure/);
});

test('caelum call reports bad JSON and bad arguments with a non-zero exit', async (t) => {
  const badJson = await cli(t, ['call', 'runTool', '{name:']);
  assert.equal(badJson.status, 2);
  assert.match(badJson.stderr, /arguments: not valid JSON/);
  const badArgs = await cli(t, ['call', 'development_analyze_complexity', '{"limit": "ten"}']);
  assert.equal(badArgs.status, 1);
  assert.match(badArgs.stderr, /arguments\.limit: .*expected number/);
});

test('caelum doctor says what works and what to fix, without leaking the key', async (t) => {
  const run = await cli(t, ['doctor'], {
    ANTHROPIC_API_KEY: 'sk-ant-api03-doctorsecret999',
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
  });
  assert.match(run.stdout, /configuration is valid/);
  assert.match(run.stdout, /Claude API unreachable/);
  assert.match(run.stdout, /no Ollama host.*Fix: set CAELUM_OLLAMA_HOSTS/);
  assert.doesNotMatch(run.stdout + run.stderr, /doctorsecret999/);
  assert.equal(run.status, 1, 'an unreachable configured service is an error');
});

test('the announced version matches package.json', async () => {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(caelumVersion, pkg.version);
});

test('caelum serve --http on a busy port says so and how to fix it', async (t) => {
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as { port: number }).port;
  const run = await cli(t, ['serve', '--http', String(port)]);
  assert.equal(run.status, 2);
  assert.match(
    run.stderr,
    new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\); pass another port with --http PORT`),
  );
});

test('caelum ledger migrate counts v1 rows without --confirm and rewrites them with it, keeping a backup', async (t) => {
  const dir = await tempDir(t);
  const dataDir = path.join(dir, '.data');
  const ledgerDir = path.join(dataDir, 'ledger');
  const v1 = (confidence: number) =>
    JSON.stringify({
      ts: '2026-11-20T10:00:00.000Z',
      callId: `c${confidence}`,
      backend: 'ollama',
      model: 'qwen3:4b',
      inputTokens: 1000,
      outputTokens: 200,
      latencyMs: 100,
      costUsd: 0,
      baselineCostUsd: 0.006,
      savingUsd: 0.006,
      outcome: 'ok',
      confidence,
      flags: [],
    });
  await writeTree(ledgerDir, { 'ledger-2026-11.jsonl': `${v1(0.8)}\n${v1(0)}\n` });
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cliPath, 'ledger', ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        CAELUM_MOUNT_DEFAULTS: '0',
        HOME: dir,
        CAELUM_DATA_DIR: dataDir,
        CAELUM_SERVICE: 'off',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
  const dry = run(['migrate']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /would reclassify 2 row\(s\).*\n.*1 accepted locally, 0 answered by Claude, 1 failed/);
  assert.match(dry.stdout, /saving: \$0\.0120 as booked then, \$0\.0060 after migration/);
  assert.match(dry.stdout, /nothing was changed; run `caelum ledger migrate --confirm`/);
  const applied = run(['migrate', '--confirm', '--json']);
  assert.equal(applied.status, 0, applied.stderr);
  assert.deepEqual(JSON.parse(applied.stdout).files, ['ledger-2026-11.jsonl']);
  const rows = (await readFile(path.join(ledgerDir, 'ledger-2026-11.jsonl'), 'utf8')).trim().split('\n');
  assert.deepEqual(
    rows.map((line) => JSON.parse(line).call.outcome),
    ['accepted_local', 'failed'],
  );
  assert.equal(
    (await readFile(path.join(ledgerDir, 'ledger-2026-11.jsonl.v1-backup'), 'utf8')).split('\n')[0],
    v1(0.8),
  );
  assert.match(run(['migrate']).stdout, /nothing to do/);
  const bad = run(['rewrite']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /name a subcommand: migrate/);
});
