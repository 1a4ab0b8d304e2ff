// `caelum doctor` and the start banner of `caelum serve --http`, as a person sees them with one
// Ollama host that serves only general models: each tier with its model and host, what the
// substitutes replace, and the tier nothing serves with the model to pull. Needs `npm run build`
// (they run the bundled CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { cliPath, tempDir } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

async function generalPeer(t: { after(fn: () => Promise<void>): void }): Promise<OllamaPeer> {
  const peer = new OllamaPeer({
    models: [
      { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, parameterSize: '8.0B', family: 'llama' },
      { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' },
    ],
  });
  await peer.start();
  t.after(() => peer.stop());
  return peer;
}

test('doctor shows every tier, the substitutes and the unserved embed tier', async (t) => {
  const peer = await generalPeer(t);
  const dir = await tempDir(t);
  // The peer answers in this process, so the CLI runs asynchronously, not through spawnSync.
  const run = await promisify(execFile)(process.execPath, [cliPath, 'doctor'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: dir,
      CAELUM_DATA_DIR: path.join(dir, '.data'),
      CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`,
    },
    encoding: 'utf8',
    timeout: 60_000,
  }).catch((error: { stdout: string; stderr: string; code: number }) => error);
  assert.match(run.stdout, /Model tiers:\n {2}tier micro: qwen3:4b on gpu1 \(in place of gemma3:1b/);
  assert.match(run.stdout, /^ {2}tier small: qwen3:4b on gpu1$/m);
  assert.match(
    run.stdout,
    /^ {2}tier code: llama3\.1:8b on gpu1 \(in place of qwen3-coder:30b: no coder model on a healthy host; the largest general model\)$/m,
  );
  assert.match(
    run.stdout,
    /^ {2}tier embed: NOT SERVED: no embedding model on a healthy host; fix: ollama pull nomic-embed-text/m,
  );
  assert.match(run.stdout, /\[warning\] no healthy Ollama host serves the embed tier/);
});

test('the start banner of serve --http lists the tiers and warns about the unserved one', async (t) => {
  const peer = await generalPeer(t);
  const dir = await tempDir(t);
  const child = spawn(process.execPath, [cliPath, 'serve', '--http', '0'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      CAELUM_MOUNT_DEFAULTS: '0',
      HOME: dir,
      CAELUM_DATA_DIR: path.join(dir, '.data'),
      CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  t.after(() => void child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 30 s: ${out}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  assert.match(out, /Model tiers:\n {2}tier micro: qwen3:4b on gpu1/, out);
  assert.match(out, /^ {2}tier code: llama3\.1:8b on gpu1 \(in place of qwen3-coder:30b/m);
  assert.match(
    out,
    /\[warning\] no healthy Ollama host serves the embed tier \(no embedding model on a healthy host\)/,
  );
});
