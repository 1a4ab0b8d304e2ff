// The package as a user installs it: `npm pack`, a global install of the tarball into a fresh
// prefix with the README's command (no project .npmrc applies there), then `caelum serve` from an
// unrelated directory must answer MCP `initialize`; and the same for a global install of the
// clone itself. The tarball test takes 30 to 60 s (npm resolves from its cache with
// --prefer-offline; hnswlib-node is compiled during the install).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cliPath, repoRoot } from '../helpers.js';
import { caelumVersion } from '../../servers/version.js';

const run = promisify(execFile);

/** The environment of a user's shell: nothing that npm set for the run that started this test. */
function userEnvironment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^npm_/i.test(key)) env[key] = value;
  return { ...env, ...extra };
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'install-test', version: '0' } },
});

/** Starts a command in its own process group, sends `initialize` and returns the answer line. */
async function initializeWith(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string> },
  groups: number[],
): Promise<{ result?: { serverInfo: { name: string; version: string } } }> {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  groups.push(child.pid!);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in 30 s; stderr: ${err.slice(-800)}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.slice(0, out.indexOf('\n')));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before answering; stderr: ${err.slice(-800)}`));
    });
  });
  child.stdin.write(`${initialize}\n`);
  try {
    return JSON.parse(await line);
  } finally {
    child.stdin.end();
  }
}

test(
  'npm pack, a global install of the tarball into a fresh prefix, and caelum serve from another directory answers initialize',
  { timeout: 300_000 },
  async (t) => {
    assert.ok(existsSync(cliPath), `${cliPath} is missing: run npm run build first`);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-install-'));
    const prefix = path.join(dir, 'prefix');
    const elsewhere = path.join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const caelum = path.join(prefix, 'bin', 'caelum');
    const serveEnv = userEnvironment({ HOME: path.join(dir, 'home'), CAELUM_DATA_DIR: path.join(dir, 'data') });
    const groups: number[] = [];
    t.after(async () => {
      // `caelum serve` may start a shared background service per data dir: stop it, then make
      // sure nothing of what this test started is left.
      if (existsSync(caelum))
        spawnSync(caelum, ['service', 'stop'], { cwd: elsewhere, env: serveEnv, timeout: 15_000 });
      for (const group of groups) {
        try {
          process.kill(-group, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    });

    // dist is built already (as for every CLI test); --ignore-scripts keeps `prepare` from
    // rebuilding it under the feet of tests running beside this one.
    let started = performance.now();
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: repoRoot,
      env: userEnvironment({}),
    });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    t.diagnostic(`npm pack: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The README's install line. ONNXRUNTIME_NODE_INSTALL=skip stops onnxruntime-node's
    // postinstall from fetching CUDA binaries from nuget.org; the proxies make any other download
    // by an install script fail loudly instead of passing unnoticed.
    started = performance.now();
    const installed = spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, filename)],
      {
        cwd: dir,
        env: userEnvironment({
          ONNXRUNTIME_NODE_INSTALL: 'skip',
          GLOBAL_AGENT_HTTP_PROXY: 'http://127.0.0.1:9',
          GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9',
        }),
        encoding: 'utf8',
        timeout: 240_000,
      },
    );
    t.diagnostic(`npm install -g (tarball): ${((performance.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(installed.status, 0, `${installed.stdout}\n${installed.stderr}`);
    const onnxBinaries = path.join(
      prefix,
      'lib',
      'node_modules',
      'caelum',
      'node_modules',
      'onnxruntime-node',
      'bin',
      'napi-v6',
      'linux',
      'x64',
    );
    if (process.platform === 'linux' && process.arch === 'x64')
      assert.ok(
        !(await readdir(onnxBinaries)).some((file) => file.includes('providers_cuda')),
        'no CUDA binaries were downloaded',
      );

    const answer = await initializeWith(caelum, ['serve'], { cwd: elsewhere, env: serveEnv }, groups);
    assert.deepEqual(
      [answer.result?.serverInfo.name, answer.result?.serverInfo.version],
      ['caelum', caelumVersion],
      JSON.stringify(answer),
    );

    // The installed package ships the sample's recordings where the bundle finds them: the service
    // that `caelum serve` started has loaded the sample knowledge base into the fresh data dir.
    const source = spawnSync(caelum, ['kb', 'source', '--json'], { cwd: elsewhere, env: serveEnv, encoding: 'utf8' });
    assert.equal(source.status, 0, source.stderr);
    assert.equal((JSON.parse(source.stdout) as { result: { source: { kind: string } } }).result.source.kind, 'sample');

    // The registration `caelum setup claude` prints names the installed cli.js behind the bin link.
    const setup = spawnSync(caelum, ['setup', 'claude'], { cwd: elsewhere, env: serveEnv, encoding: 'utf8' });
    assert.equal(setup.status, 0, setup.stderr);
    const installedCli = realpathSync(path.join(prefix, 'lib', 'node_modules', 'caelum', 'dist', 'bundle', 'cli.js'));
    assert.equal(
      setup.stdout.trim(),
      `claude mcp add --scope user caelum -- ${process.execPath} ${installedCli} serve`,
    );
    const viaSetup = await initializeWith(
      'sh',
      ['-c', setup.stdout.trim().replace('claude mcp add --scope user caelum -- ', '')],
      { cwd: elsewhere, env: serveEnv },
      groups,
    );
    assert.equal(viaSetup.result?.serverInfo.name, 'caelum');
  },
);

test('a global install of the clone (npm install -g .) links it, and its caelum answers initialize from another directory', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-link-'));
  const prefix = path.join(dir, 'prefix');
  const elsewhere = path.join(dir, 'elsewhere');
  await mkdir(elsewhere);
  const caelum = path.join(prefix, 'bin', 'caelum');
  const env = userEnvironment({ HOME: path.join(dir, 'home'), CAELUM_DATA_DIR: path.join(dir, 'data') });
  const groups: number[] = [];
  t.after(async () => {
    if (existsSync(caelum)) spawnSync(caelum, ['service', 'stop'], { cwd: elsewhere, env, timeout: 15_000 });
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  });
  // --ignore-scripts: the clone is built already, and its postinstall would rebuild the addon in
  // node_modules that other tests are using.
  await run('npm', ['install', '-g', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', '.'], {
    cwd: repoRoot,
    env: userEnvironment({}),
  });
  const setup = spawnSync(caelum, ['setup', 'json'], { cwd: elsewhere, env, encoding: 'utf8' });
  assert.equal(setup.status, 0, setup.stderr);
  assert.deepEqual(JSON.parse(setup.stdout).mcpServers.caelum.args, [realpathSync(cliPath), 'serve']);
  const answer = await initializeWith(caelum, ['serve'], { cwd: elsewhere, env }, groups);
  assert.equal(answer.result?.serverInfo.name, 'caelum');
});
