// A build killed with SIGKILL in the middle of a phase resumes from its checkpoints and produces the
// same data files as a build that was never interrupted (the built CLI, real processes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { cliPath, tempDir } from '../../helpers.js';
import { OllamaPeer } from '../../peers/ollama-peer.js';
import { SourcesPeer } from '../../peers/kb-sources-peer.js';
import { kbReply } from '../../peers/kb-llm-reply.js';
import { readSnapshot } from '../../../knowledge/snapshot/snapshot-archive.js';

function run(
  args: string[],
  env: Record<string, string>,
  options: { killWhen?: () => Promise<boolean> } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { PATH: process.env.PATH ?? '', CAELUM_MOUNT_DEFAULTS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timer: NodeJS.Timeout | undefined;
    if (options.killWhen) {
      const poll = async () => {
        if (await options.killWhen!()) child.kill('SIGKILL');
        else timer = setTimeout(poll, 25);
      };
      timer = setTimeout(poll, 25);
    }
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function count(directory: string): Promise<number> {
  try {
    return (await readdir(directory)).filter((n) => n.endsWith('.json')).length;
  } catch {
    return 0;
  }
}

async function snapshotHashes(dataDir: string): Promise<Record<string, string>> {
  const directory = path.join(dataDir, 'kb', 'snapshots');
  const [name] = (await readdir(directory)).filter((n) => n.endsWith('.tar.gz'));
  const members = await readSnapshot(path.join(directory, name!));
  // manifest (times, build id), sources and tasks (fetch times, cached vs fetched) are provenance.
  return Object.fromEntries(
    [...members]
      .filter(([n]) => !['manifest.json', 'sources.json', 'tasks.json'].includes(n))
      .map(([n, b]) => [n, createHash('sha256').update(b).digest('hex')]),
  );
}

test('a build killed mid-phase resumes to the same result as an uninterrupted build', async (t) => {
  const base = await tempDir(t);
  const sources = new SourcesPeer();
  const ollama = new OllamaPeer({ reply: (prompt) => kbReply(prompt) ?? 'no', latencyMs: 40 });
  await sources.start();
  await ollama.start();
  t.after(async () => {
    await sources.stop();
    await ollama.stop();
  });
  const project = path.join(base, 'project');
  await mkdir(project, { recursive: true });
  const env = (dataDir: string) => ({
    HOME: base,
    CAELUM_DATA_DIR: dataDir,
    CAELUM_ALLOWED_ROOTS: project,
    CAELUM_KB_SOURCES_URL: sources.url,
    FRED_API_KEY: 'k',
    EIA_API_KEY: 'k',
    CAELUM_OLLAMA_HOSTS: `gpu1=${ollama.url}`,
    CAELUM_LOG_LEVEL: 'warn',
  });
  const killed = path.join(base, 'killed');
  const llmCheckpoints = async () => {
    const builds = await readdir(path.join(killed, 'kb', 'builds')).catch(() => [] as string[]);
    return builds.length === 1 && (await count(path.join(killed, 'kb', 'builds', builds[0]!, 'llm-stats'))) >= 4;
  };
  const first = await run(['kb', 'build'], env(killed), { killWhen: llmCheckpoints });
  assert.equal(first.signal, 'SIGKILL', `the build finished before it could be killed: ${first.stdout.slice(-300)}`);
  assert.deepEqual(
    await readdir(path.join(killed, 'kb', 'snapshots')).catch(() => []),
    [],
    'no snapshot from the killed run',
  );
  const builds = await readdir(path.join(killed, 'kb', 'builds'));
  const done = await count(path.join(killed, 'kb', 'builds', builds[0]!, 'llm-stats'));
  assert.ok(done >= 4 && done < 20, `killed with ${done} of 20 countries' LLM stats checkpointed`);

  const chatsBefore = ollama.requests.filter((r) => r.path === '/api/chat').length;
  const resumed = await run(['kb', 'build', '--resume'], env(killed));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resumed build/);
  const resumedChats = ollama.requests.filter((r) => r.path === '/api/chat').length - chatsBefore;

  const clean = path.join(base, 'clean');
  const chatsBeforeClean = ollama.requests.filter((r) => r.path === '/api/chat').length;
  const uninterrupted = await run(['kb', 'build'], env(clean));
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);
  const cleanChats = ollama.requests.filter((r) => r.path === '/api/chat').length - chatsBeforeClean;
  assert.ok(
    resumedChats < cleanChats,
    `the resumed run asked the LLM ${resumedChats} times, a whole build ${cleanChats}`,
  );

  const a = await snapshotHashes(killed);
  const b = await snapshotHashes(clean);
  assert.deepEqual(Object.keys(a).sort(), [
    'catalogue.json',
    'edge_weights.json',
    'graph.json',
    'hmm_params.json',
    'hmm_states.json',
    'llm_stats.json',
    'observations.columnar.json',
    'regimes.json',
  ]);
  assert.deepEqual(a, b);
});
