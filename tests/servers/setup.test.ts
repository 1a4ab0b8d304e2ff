// `caelum setup`: the registration it prints must start the server from any directory, with
// paths quoted for the shell; `--apply` runs claude without a shell. The start banner prints the
// same command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from '../helpers.js';
import { shellQuote } from '../../servers/setup-command.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'setup-test', version: '0' } },
});

/** Sends `initialize` to a spawned stdio server and returns the first line it answers. */
async function initializeOver(
  child: ChildProcessWithoutNullStreams,
): Promise<{ result?: { serverInfo: { name: string } } }> {
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in 20 s; stderr: ${err.slice(-500)}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const end = out.indexOf('\n');
      if (end !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before answering; stderr: ${err.slice(-500)}`));
    });
  });
  child.stdin.write(`${initialize}\n`);
  try {
    return JSON.parse(await line);
  } finally {
    child.stdin.end();
  }
}

async function unrelatedDir(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-setup-'));
  const cwd = path.join(dir, 'some project');
  await mkdir(cwd);
  const env = {
    PATH: process.env.PATH!,
    CAELUM_MOUNT_DEFAULTS: '0',
    HOME: dir,
    CAELUM_DATA_DIR: path.join(dir, 'data'),
  };
  t.after(async () => {
    // `caelum serve` may leave a shared service per data dir running: stop it (where that command
    // exists) before its data dir goes.
    spawnSync(process.execPath, [cliPath, 'service', 'stop'], { cwd, env, timeout: 10_000 });
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, cwd, env };
}

function caelum(script: string, args: string[], options: { cwd: string; env: Record<string, string> }) {
  return spawnSync(process.execPath, [script, ...args], { ...options, encoding: 'utf8', timeout: 30_000 });
}

test('shellQuote leaves plain paths bare and survives spaces, quotes and $ in a real shell', () => {
  assert.equal(shellQuote('/usr/bin/node'), '/usr/bin/node');
  const words = ['/tmp/it\'s a "dir"/$HOME/cli.js', '', 'a\\b', 'semi;colon'];
  const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], {
    encoding: 'utf8',
  });
  assert.deepEqual(echoed.split('\n').slice(0, -1), words);
});

test('caelum setup claude prints a user-scope line whose command starts the server from another directory, even from a path with spaces and quotes', async (t) => {
  const { dir, cwd, env } = await unrelatedDir(t);
  // An installation under an awkward path: the bundle, package.json (for "type": "module") and
  // the dependencies it loads at run time.
  const install = path.join(dir, `it's a "caelum" $install`);
  await mkdir(install);
  await cp(path.join(repoRoot, 'dist', 'bundle'), path.join(install, 'dist', 'bundle'), { recursive: true });
  await cp(path.join(repoRoot, 'package.json'), path.join(install, 'package.json'));
  await symlink(path.join(repoRoot, 'node_modules'), path.join(install, 'node_modules'));
  const installedCli = path.join(install, 'dist', 'bundle', 'cli.js');

  const run = caelum(installedCli, ['setup', 'claude'], { cwd, env });
  assert.equal(run.status, 0, run.stderr);
  const line = run.stdout.trim();
  const prefix = 'claude mcp add --scope user caelum -- ';
  assert.ok(line.startsWith(prefix), line);
  const command = line.slice(prefix.length);
  assert.equal(command, [process.execPath, installedCli, 'serve'].map(shellQuote).join(' '));

  const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  const answer = await initializeOver(child);
  assert.equal(answer.result?.serverInfo.name, 'caelum');
});

test('caelum setup json prints an mcpServers block with absolute paths that starts the server', async (t) => {
  const { cwd, env } = await unrelatedDir(t);
  const run = caelum(cliPath, ['setup', 'json'], { cwd, env });
  assert.equal(run.status, 0, run.stderr);
  const block = JSON.parse(run.stdout) as { mcpServers: { caelum: { command: string; args: string[] } } };
  const { command, args } = block.mcpServers.caelum;
  assert.deepEqual([command, args], [process.execPath, [cliPath, 'serve']]);
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => void child.kill('SIGKILL'));
  const answer = await initializeOver(child);
  assert.equal(answer.result?.serverInfo.name, 'caelum');
});

test('flags given to caelum setup for the data dir and allowed roots carry over as absolute paths', async (t) => {
  const { cwd, env } = await unrelatedDir(t);
  await mkdir(path.join(cwd, 'src'));
  const run = caelum(cliPath, ['setup', 'json', '--data-dir', 'state', '--allowed-root', 'src'], { cwd, env });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout).mcpServers.caelum.args, [
    cliPath,
    'serve',
    '--data-dir',
    path.join(cwd, 'state'),
    '--allowed-root',
    path.join(cwd, 'src'),
  ]);
});

test('caelum setup claude --apply runs claude with the arguments as separate words, and says so when claude is missing', async (t) => {
  const { dir, cwd, env } = await unrelatedDir(t);
  const bin = path.join(dir, 'bin');
  await mkdir(bin);
  const record = path.join(dir, 'claude-args.json');
  await writeFile(
    path.join(bin, 'claude'),
    `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nconsole.log('Added stdio MCP server caelum');\n`,
  );
  await chmod(path.join(bin, 'claude'), 0o755);
  const applied = caelum(cliPath, ['setup', 'claude', '--apply'], { cwd, env: { ...env, PATH: `${bin}:${env.PATH}` } });
  assert.equal(applied.status, 0, applied.stderr);
  assert.match(applied.stdout, /Added stdio MCP server caelum/);
  assert.deepEqual(JSON.parse(await readFile(record, 'utf8')), [
    'mcp',
    'add',
    '--scope',
    'user',
    'caelum',
    '--',
    process.execPath,
    cliPath,
    'serve',
  ]);

  const missing = caelum(cliPath, ['setup', 'claude', '--apply'], {
    cwd,
    env: { ...env, PATH: path.join(dir, 'empty') },
  });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /claude is not on PATH/);
  assert.ok(missing.stderr.includes(`claude mcp add --scope user caelum -- ${process.execPath} ${cliPath} serve`));

  const wrong = caelum(cliPath, ['setup', 'cursor'], { cwd, env });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /unknown client "cursor"; use "caelum setup claude \[--apply\]" or "caelum setup json"/);
});

test('the start banner of caelum serve --http prints the absolute stdio command, not npx', async (t) => {
  const { cwd, env } = await unrelatedDir(t);
  const child = spawn(process.execPath, [cliPath, 'serve', '--http', '0'], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 20 s: ${out}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.ok(
    out.includes(`Claude Code (stdio):  claude mcp add --scope user caelum -- ${process.execPath} ${cliPath} serve`),
    out,
  );
  assert.doesNotMatch(out, /npx caelum/);
});
