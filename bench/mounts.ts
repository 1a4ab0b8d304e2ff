// npm run bench:mounts: mounted MCP servers through Caelum, beside the same servers called directly
// with the SDK's Client in the same run.
//  1. Overhead of a mounted tool call: an agent's SDK Client → Caelum (runTool, in-memory MCP
//     transport) → the mounted server over stdio, against an SDK Client → the same server over stdio.
//     Calls alternate between the two paths so that machine noise hits both alike. Two servers: the
//     official server-everything (echo) and server-filesystem (read_text_file of a small file).
//  2. Cold start of a mounted server on its first call (spawn, initialize, tools/list, the call),
//     against the SDK Client's own connect + first call of the same server.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { loadConfig } from '../servers/config.js';
import { createSuite } from '../servers/composition.js';
import { createServer } from '../servers/mcp-server.js';
import { createLogger } from '../servers/logger.js';
import { round, summary, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const entry = (pkg: string, bin: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), bin);
const everything = entry('@modelcontextprotocol/server-everything', 'dist/index.js');
const filesystem = entry('@modelcontextprotocol/server-filesystem', 'dist/index.js');
const calls = Number(process.env.BENCH_MOUNT_CALLS ?? 400);
const coldRounds = Number(process.env.BENCH_MOUNT_COLD ?? 5);

const base = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-mounts-'));
const project = path.join(base, 'project');
await mkdir(project, { recursive: true });
await writeFile(path.join(project, 'notes.txt'), 'a small file\n'.repeat(20));

async function direct(args: string[]) {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, stderr: 'ignore', cwd: project }));
  return client;
}

async function caelum(mcpServers: Record<string, unknown>) {
  const dataDir = path.join(base, `data-${Math.random().toString(36).slice(2)}`);
  await writeFile(path.join(project, 'caelum.config.json'), JSON.stringify({ mcpServers, mountDefaultServers: false }));
  const { config } = loadConfig({}, { HOME: base, CAELUM_DATA_DIR: dataDir, CAELUM_ALLOWED_ROOTS: project }, project);
  const suite = createSuite(config, { logger: createLogger({ level: 'error', sink: () => undefined }) });
  await suite.mounts.ready();
  const { server, close } = createServer(suite, {});
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'bench-agent', version: '1' });
  await Promise.all([server.connect(b), client.connect(a)]);
  return {
    suite,
    client,
    close: async () => {
      await client.close();
      await close();
      await suite.close();
    },
  };
}

const mounts = {
  everything: { command: process.execPath, args: [everything, 'stdio'], supervisor: 'development' },
  filesystem: { command: process.execPath, args: [filesystem, project], supervisor: 'development' },
};
const cases = [
  {
    name: 'server-everything echo',
    server: 'everything',
    tool: 'echo',
    args: { message: 'hello' },
    direct: [everything, 'stdio'],
  },
  {
    name: 'server-filesystem read_text_file',
    server: 'filesystem',
    tool: 'read_text_file',
    args: { path: path.join(project, 'notes.txt') },
    direct: [filesystem, project],
  },
];

// 1. Overhead per call.
const overhead: Record<string, string | number>[] = [];
const json: Record<string, unknown> = { calls, coldRounds, node: process.version, cpus: os.cpus().length };
{
  const viaCaelum = await caelum(mounts);
  for (const c of cases) {
    const peer = await direct(c.direct);
    const internal = `development_${c.server}_${c.tool}`;
    const through: number[] = [];
    const straight: number[] = [];
    // Warm both paths (the mounted server starts on its first call).
    for (let i = 0; i < 20; i++) {
      await viaCaelum.client.callTool({ name: 'runTool', arguments: { name: internal, arguments: c.args } });
      await peer.callTool({ name: c.tool, arguments: c.args });
    }
    for (let i = 0; i < calls; i++) {
      let t0 = performance.now();
      const r = await viaCaelum.client.callTool({ name: 'runTool', arguments: { name: internal, arguments: c.args } });
      through.push(performance.now() - t0);
      if (r.isError) throw new Error(`${internal}: ${JSON.stringify(r.content)}`);
      t0 = performance.now();
      await peer.callTool({ name: c.tool, arguments: c.args });
      straight.push(performance.now() - t0);
    }
    await peer.close();
    const a = summary(through);
    const b = summary(straight);
    overhead.push({
      call: c.name,
      'direct p50 ms': b.p50,
      'caelum p50 ms': a.p50,
      'added p50 ms': round(a.p50 - b.p50),
      'direct p95 ms': b.p95,
      'caelum p95 ms': a.p95,
      'added p95 ms': round(a.p95 - b.p95),
      ratio: round(a.p50 / b.p50, 2),
    });
    json[c.name] = { caelum: a, direct: b, addedP50Ms: round(a.p50 - b.p50), addedP95Ms: round(a.p95 - b.p95) };
  }
  await viaCaelum.close();
}
console.log(table(`Mounted tool call overhead (${calls} alternating calls per path)`, overhead));

// 2. Cold start on the first call.
const cold: Record<string, string | number>[] = [];
for (const c of cases) {
  const first: number[] = [];
  const peer: number[] = [];
  for (let round = 0; round < coldRounds; round++) {
    const viaCaelum = await caelum({ [c.server]: mounts[c.server as keyof typeof mounts] });
    // Listed at start-up and stopped again: the first call starts it.
    await viaCaelum.suite.mounts.get(c.server)!.park();
    let t0 = performance.now();
    await viaCaelum.client.callTool({
      name: 'runTool',
      arguments: { name: `development_${c.server}_${c.tool}`, arguments: c.args },
    });
    first.push(performance.now() - t0);
    await viaCaelum.close();
    t0 = performance.now();
    const client = await direct(c.direct);
    await client.callTool({ name: c.tool, arguments: c.args });
    peer.push(performance.now() - t0);
    await client.close();
  }
  const a = summary(first);
  const b = summary(peer);
  cold.push({
    server: c.server,
    'caelum first call p50 ms': a.p50,
    'SDK connect+call p50 ms': b.p50,
    ratio: round(a.p50 / b.p50, 2),
  });
  json[`cold ${c.server}`] = { caelum: a, direct: b };
}
console.log(table(`Cold start: first call of a stopped mounted server (${coldRounds} rounds)`, cold));

await rm(base, { recursive: true, force: true });
const out = path.join(root, 'bench', 'results');
await mkdir(out, { recursive: true });
await writeFile(path.join(out, 'mounts.json'), JSON.stringify(json, null, 2));
console.log(`written ${path.join('bench', 'results', 'mounts.json')}`);
