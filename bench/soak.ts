// The knowledge soak at full size (issue 4): 10,000 mixed calls at 32-way concurrency against the
// bundled server over stdio, kill -9 at a random point, then the data dir is reopened and checked.
// Peer, in the same run: the official @modelcontextprotocol/server-memory under the same client,
// concurrency and write/read mix (its create_entities / search_nodes / read_graph), also killed.
import { mkdtemp, rm, writeFile, mkdir, rename, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { runSoak } from '../tests/knowledge/soak-driver.js';
import { table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const calls = Number(process.argv[process.argv.indexOf('--calls') + 1]) || 10_000;
const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-soak-'));
const seed = Date.now() >>> 0;
const report = await runSoak({
  cliPath: path.join(root, 'dist', 'bundle', 'cli.js'),
  workDir: path.join(work, 'caelum'),
  calls,
  concurrency: 32,
  seed,
});

/** server-memory: the same shape of load, killed at the same fraction of the run. */
async function peer() {
  const memoryFile = path.join(work, 'memory.jsonl');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js')],
    env: { PATH: process.env.PATH ?? '', MEMORY_FILE_PATH: memoryFile },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'soak', version: '1' });
  await client.connect(transport);
  const pid = transport.pid!;
  const acknowledged: string[] = [];
  const errors: string[] = [];
  let next = 0;
  let completed = 0;
  let killed = false;
  const started = performance.now();
  const worker = async () => {
    while (!killed) {
      const i = next++;
      if (i >= calls) return;
      try {
        const kind = i % 10;
        if (kind <= 2) {
          const r = await client.callTool({
            name: 'create_entities',
            arguments: {
              entities: [
                { name: `soak-${i}`, entityType: 'soak', observations: [`observation ${i} about topic ${i % 37}`] },
              ],
            },
          });
          if (r.isError) throw new Error(JSON.stringify(r.content).slice(0, 200));
          acknowledged.push(`soak-${i}`);
        } else if (kind <= 6) {
          const r = await client.callTool({ name: 'search_nodes', arguments: { query: `topic ${i % 37}` } });
          if (r.isError) throw new Error(JSON.stringify(r.content).slice(0, 200));
        } else {
          const r = await client.callTool({ name: 'open_nodes', arguments: { names: [`soak-${Math.max(0, i - 7)}`] } });
          if (r.isError) throw new Error(JSON.stringify(r.content).slice(0, 200));
        }
        completed++;
        if (completed >= report.killedAfter && !killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      } catch (error) {
        if (!killed) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  const elapsedMs = performance.now() - started;
  if (!killed) process.kill(pid, 'SIGKILL');
  await client.close().catch(() => undefined);
  let text = '';
  try {
    text = await readFile(memoryFile, 'utf8');
  } catch {
    text = '';
  }
  let corrupt = 0;
  const names = new Set<string>();
  for (const line of text.split('\n').filter(Boolean)) {
    try {
      const item = JSON.parse(line) as { type: string; name?: string };
      if (item.type === 'entity' && item.name) names.add(item.name);
    } catch {
      corrupt++;
    }
  }
  const lost = acknowledged.filter((n) => !names.has(n));
  return {
    completed,
    acknowledgedWrites: acknowledged.length,
    errors: errors.length,
    firstError: errors[0],
    lostWrites: lost.length,
    corruptLines: corrupt,
    callsPerSecond: Math.round((completed / elapsedMs) * 1000),
  };
}

const theirs = await peer();
const rows = [
  {
    server: 'Caelum (Kuzu + HNSW)',
    completed: report.completed,
    'acked writes': report.acknowledgedWrites,
    errors: report.errors.length,
    crashes: report.crashes,
    'lost acked writes': report.lostWrites.length,
    'reopens consistent':
      report.reopened.verify.ok && report.missingVectors === 0
        ? 'yes'
        : `no: ${report.reopened.verify.problems.join('; ')}`,
    'calls/s': report.callsPerSecond,
  },
  {
    server: 'server-memory (JSONL file)',
    completed: theirs.completed,
    'acked writes': theirs.acknowledgedWrites,
    errors: theirs.errors,
    crashes: 0,
    'lost acked writes': theirs.lostWrites,
    'reopens consistent': theirs.corruptLines === 0 ? 'yes' : `no: ${theirs.corruptLines} corrupt lines`,
    'calls/s': theirs.callsPerSecond,
  },
];
process.stdout.write(
  `\n${table(`soak: ${calls} mixed calls at 32-way concurrency, kill -9 after ${report.killedAfter} completed calls (seed ${seed})`, rows)}`,
);
if (theirs.firstError) process.stdout.write(`server-memory's first error: ${theirs.firstError}\n`);
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', 'soak.json');
await writeFile(
  `${file}.tmp`,
  `${JSON.stringify({ date: new Date().toISOString(), seed, caelum: { ...report, lostWrites: report.lostWrites.length }, serverMemory: theirs }, null, 2)}\n`,
);
await rename(`${file}.tmp`, file);
process.stdout.write(`wrote ${path.relative(root, file)}\n`);
await rm(work, { recursive: true, force: true });
