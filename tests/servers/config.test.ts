import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadConfig, parseHostList } from '../../servers/config.js';
import { parseArgs } from '../../servers/arguments.js';
import { cliPath, tempDir } from '../helpers.js';

test('sources apply in order: defaults < config file < environment < flags', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'caelum.config.json'),
    JSON.stringify({ confidenceThreshold: 0.6, logLevel: 'warn', http: { port: 9000 } }),
  );
  const env = { HOME: dir };
  assert.equal(loadConfig({}, env, dir).config.confidenceThreshold, 0.6);
  assert.equal(loadConfig({}, { ...env, CAELUM_CONFIDENCE_THRESHOLD: '0.9' }, dir).config.confidenceThreshold, 0.9);
  const flagged = loadConfig({ threshold: '0.8', http: 9100 }, { ...env, CAELUM_CONFIDENCE_THRESHOLD: '0.9' }, dir);
  assert.equal(flagged.config.confidenceThreshold, 0.8);
  assert.equal(flagged.config.http.port, 9100);
  assert.equal(flagged.config.http.host, '127.0.0.1');
  assert.equal(flagged.config.logLevel, 'warn');
  assert.equal(flagged.origin.confidenceThreshold, 'flag --threshold');
  const defaults = loadConfig({}, { HOME: dir }, path.join(dir, '..'));
  assert.equal(defaults.config.confidenceThreshold, 0.75);
  assert.equal(defaults.config.dataDir, path.join(dir, '.local', 'share', 'caelum'));
  assert.deepEqual(defaults.config.allowedRoots, [path.join(dir, '..')]);
});

test('CAELUM_OLLAMA_HOSTS takes URLs, optionally name=url', () => {
  assert.deepEqual(parseHostList('gpu1=http://10.0.0.5:11434, http://box.local:11434'), [
    { name: 'gpu1', url: 'http://10.0.0.5:11434' },
    { name: 'box.local', url: 'http://box.local:11434' },
  ]);
});

test('bad values name the key, where it came from, and what is valid', async (t) => {
  const dir = await tempDir(t);
  const cases: [Record<string, string>, RegExp][] = [
    [
      { CAELUM_CONFIDENCE_THRESHOLD: 'high' },
      /confidenceThreshold \(from environment variable CAELUM_CONFIDENCE_THRESHOLD\): expected a number from 0 to 1/,
    ],
    [{ CAELUM_CONFIDENCE_THRESHOLD: '1.5' }, /confidenceThreshold .*expected a number from 0 to 1/],
    [
      { CAELUM_LOG_LEVEL: 'loud' },
      /logLevel \(from environment variable CAELUM_LOG_LEVEL\): .*Valid values: debug, info, warn, error/,
    ],
    [
      { CAELUM_OLLAMA_HOSTS: 'gpu=ftp://x' },
      /ollamaHosts\.0\.url \(from environment variable CAELUM_OLLAMA_HOSTS\): expected an http\(s\) URL/,
    ],
    [{ DATABASE_URL: 'mysql://x' }, /databaseUrl .*expected a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ CAELUM_ALLOWED_ROOTS: '/does/not/exist' }, /allowedRoots\.0 .*is not an existing directory/],
  ];
  for (const [env, pattern] of cases) {
    assert.throws(
      () => loadConfig({}, { HOME: dir, ...env }, dir),
      (error: Error) => error instanceof ConfigError && pattern.test(error.message),
      JSON.stringify(env),
    );
  }
  await writeFile(path.join(dir, 'caelum.config.json'), JSON.stringify({ ollamaHost: [] }));
  assert.throws(() => loadConfig({}, { HOME: dir }, dir), /Valid keys: dataDir, allowedRoots, ollamaHosts/);
  await writeFile(path.join(dir, 'caelum.config.json'), '{ not json');
  assert.throws(() => loadConfig({}, { HOME: dir }, dir), /config file .*caelum\.config\.json: .*fix the JSON/);
});

test('the CLI exits non-zero on a bad value and says which key', async (t) => {
  const dir = await tempDir(t);
  const run = spawnSync(process.execPath, [cliPath, 'doctor'], {
    cwd: dir,
    env: { PATH: process.env.PATH, CAELUM_MOUNT_DEFAULTS: '0', HOME: dir, CAELUM_CONFIDENCE_THRESHOLD: '7' },
    encoding: 'utf8',
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /confidenceThreshold \(from environment variable CAELUM_CONFIDENCE_THRESHOLD\)/);
  assert.equal(run.stdout, '');
});

test('argument parsing: --http with and without a port, repeatable roots, unknown options', () => {
  assert.equal(parseArgs(['serve', '--http']).flags.http, true);
  assert.equal(parseArgs(['serve', '--http', '9999']).flags.http, 9999);
  assert.deepEqual(parseArgs(['tools', '--allowed-root', 'a', '--allowed-root', 'b']).flags.allowedRoots, ['a', 'b']);
  assert.deepEqual(parseArgs(['call', 'runTool', '{}']).positionals, ['runTool', '{}']);
  assert.throws(() => parseArgs(['serve', '--bogus']), /unknown option --bogus/);
});

test('local cost: per GPU-hour, or watts with $/kWh; a missing half is named with where to set it', () => {
  const env = { HOME: '/tmp', CAELUM_DATA_DIR: '/tmp/caelum-config-test' };
  assert.deepEqual(loadConfig({}, { ...env, CAELUM_LOCAL_USD_PER_GPU_HOUR: '1.2' }, '/tmp').config.localCost, {
    usdPerGpuHour: 1.2,
  });
  assert.deepEqual(
    loadConfig({}, { ...env, CAELUM_LOCAL_WATTS: '350', CAELUM_LOCAL_USD_PER_KWH: '0.3' }, '/tmp').config.localCost,
    { watts: 350, usdPerKwh: 0.3 },
  );
  assert.throws(
    () => loadConfig({}, { ...env, CAELUM_LOCAL_WATTS: '350' }, '/tmp'),
    (error: ConfigError) => /localCost\.usdPerKwh .*set usdPerKwh too \(CAELUM_LOCAL_USD_PER_KWH\)/.test(error.message),
  );
  assert.throws(
    () => loadConfig({}, { ...env, CAELUM_LOCAL_USD_PER_GPU_HOUR: 'abc' }, '/tmp'),
    (error: ConfigError) => /localCost\.usdPerGpuHour .*expected a number/.test(error.message),
  );
});
