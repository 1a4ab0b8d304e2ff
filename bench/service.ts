// Start-up and relay figures of the shared service (issue 13), against the reference
// server-memory in the same run:
// - spawn of `caelum serve` to `initialize` answered, service warm and with no service running;
// - the first tools/list after initialize;
// - the relay's cost per call: the same requests through the stdio front-end and straight on the
//   service's socket.
// Raw JSON-RPC lines throughout, so that no client library's own cost is counted.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from '../tests/helpers.js';
import { percentile } from './stats.js';

type Message = { id?: number | string; result?: unknown; error?: unknown };

/** A line-delimited JSON-RPC client over any pair of streams. */
class LineClient {
  private next = 1;
  private partial = '';
  private readonly waiting = new Map<number | string, (message: Message) => void>();

  constructor(
    private readonly write: (line: string) => void,
    readable: NodeJS.ReadableStream,
  ) {
    readable.on('data', (chunk: Buffer) => {
      const text = this.partial + chunk.toString();
      const lines = text.split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        if (!line) continue;
        const message = JSON.parse(line) as Message;
        if (message.id !== undefined) this.waiting.get(message.id)?.(message);
      }
    });
  }

  request(method: string, params: Record<string, unknown> = {}): Promise<Message> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  notify(method: string): void {
    this.write(JSON.stringify({ jsonrpc: '2.0', method }));
  }
}

const initializeParams = {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 'bench', version: '1.0.0' },
};

interface Started {
  child: ChildProcessWithoutNullStreams;
  client: LineClient;
  initializeMs: number;
  toolsListMs: number;
}

async function startAndList(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Started> {
  const started = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  const client = new LineClient((line) => child.stdin.write(`${line}\n`), child.stdout);
  const init = await client.request('initialize', initializeParams);
  if (init.error) throw new Error(`initialize failed: ${JSON.stringify(init.error)}`);
  const initialized = performance.now();
  client.notify('notifications/initialized');
  const list = await client.request('tools/list');
  if (list.error) throw new Error(`tools/list failed: ${JSON.stringify(list.error)}`);
  return { child, client, initializeMs: initialized - started, toolsListMs: performance.now() - initialized };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const summary = (values: number[]) => ({
  p50: Number(percentile(values, 50).toFixed(2)),
  p95: Number(percentile(values, 95).toFixed(2)),
  n: values.length,
});

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-service-'));
  const cwd = path.join(dir, 'project');
  await mkdir(cwd);
  const dataDir = path.join(dir, 'data');
  const env = { PATH: process.env.PATH!, HOME: dir, CAELUM_DATA_DIR: dataDir, CAELUM_LOG_LEVEL: 'warn' };
  const caelum = [cliPath, 'serve'];
  const memoryServer = path.join(
    repoRoot,
    'node_modules',
    '@modelcontextprotocol',
    'server-memory',
    'dist',
    'index.js',
  );
  const memoryEnv = { PATH: process.env.PATH!, HOME: dir, MEMORY_FILE_PATH: path.join(dir, 'memory.jsonl') };
  await writeFile(memoryEnv.MEMORY_FILE_PATH, '');
  const stopService = () =>
    spawnSync(process.execPath, [cliPath, 'service', 'stop', '--force'], { cwd, env, encoding: 'utf8' });
  const runs = Number(process.env.BENCH_RUNS ?? 20);
  const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 8);

  try {
    // Cold: no service running before each spawn; the front-end starts one.
    const cold: number[] = [];
    const coldList: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      stopService();
      const run = await startAndList(process.execPath, caelum, cwd, env);
      cold.push(run.initializeMs);
      coldList.push(run.toolsListMs);
      await stop(run.child);
    }
    // Warm: the service runs; each spawn is only the front-end.
    const warm: number[] = [];
    const warmList: number[] = [];
    const peer: number[] = [];
    const peerList: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so that both see the same machine.
      const run = await startAndList(process.execPath, caelum, cwd, env);
      warm.push(run.initializeMs);
      warmList.push(run.toolsListMs);
      await stop(run.child);
      const other = await startAndList(process.execPath, [memoryServer], cwd, memoryEnv);
      peer.push(other.initializeMs);
      peerList.push(other.toolsListMs);
      await stop(other.child);
    }

    // Relay: the same requests through the front-end and straight on the socket.
    const calls = Number(process.env.BENCH_CALLS ?? 400);
    const relayed = await startAndList(process.execPath, caelum, cwd, env);
    const socket = net.createConnection(path.join(dataDir, 'caelum.sock'));
    await new Promise((resolve) => socket.once('connect', resolve));
    const welcome = new Promise((resolve) => socket.once('data', resolve));
    socket.write(
      `${JSON.stringify({ caelum: 'hello', build: 'bench', pid: process.pid, allowedRoots: [cwd], testRunsAllowed: [] })}\n`,
    );
    await welcome;
    const direct = new LineClient((line) => socket.write(`${line}\n`), socket);
    await direct.request('initialize', initializeParams);
    direct.notify('notifications/initialized');
    const measure = async (client: LineClient, method: string, params: Record<string, unknown> = {}) => {
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        await client.request(method, params);
        times.push(performance.now() - started);
      }
      return times;
    };
    const relay: Record<string, { frontEnd: ReturnType<typeof summary>; direct: ReturnType<typeof summary> }> = {};
    const workloads: [string, string, Record<string, unknown>][] = [
      ['ping', 'ping', {}],
      ['tools/list (14 KB)', 'tools/list', {}],
      ['tools/call getCostReport', 'tools/call', { name: 'getCostReport', arguments: {} }],
    ];
    for (const [label, method, params] of workloads) {
      // Warm both paths, then alternate blocks so drift hits both alike.
      await measure(relayed.client, method, params);
      await measure(direct, method, params);
      const viaFrontEnd = await measure(relayed.client, method, params);
      const straight = await measure(direct, method, params);
      relay[label] = { frontEnd: summary(viaFrontEnd), direct: summary(straight) };
    }
    socket.destroy();
    await stop(relayed.child);

    const result = {
      machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
      node: process.version,
      spawnToInitialize: {
        caelumWarmService: summary(warm),
        caelumNoService: summary(cold),
        serverMemory: summary(peer),
      },
      firstToolsListAfterInitialize: {
        caelumWarmService: summary(warmList),
        caelumNoService: summary(coldList),
        serverMemory: summary(peerList),
      },
      relayPerCall: Object.fromEntries(
        Object.entries(relay).map(([label, r]) => [
          label,
          { ...r, overheadP50Ms: Number((r.frontEnd.p50 - r.direct.p50).toFixed(3)) },
        ]),
      ),
      targets: {
        warmP95Ms: 150,
        noServiceMs: 1000,
        toolsListMs: 50,
        relayOverheadP50Ms: 0.5,
      },
    };
    const rows = [
      [
        'spawn → initialize, warm service',
        result.spawnToInitialize.caelumWarmService,
        result.spawnToInitialize.serverMemory,
      ],
      [
        'spawn → initialize, no service',
        result.spawnToInitialize.caelumNoService,
        result.spawnToInitialize.serverMemory,
      ],
      [
        'first tools/list after init (warm)',
        result.firstToolsListAfterInitialize.caelumWarmService,
        result.firstToolsListAfterInitialize.serverMemory,
      ],
      [
        'first tools/list after init (cold)',
        result.firstToolsListAfterInitialize.caelumNoService,
        result.firstToolsListAfterInitialize.serverMemory,
      ],
    ] as const;
    console.log('\nShared service start-up (ms; server-memory in the same run)');
    console.log(
      'figure'.padEnd(38),
      'caelum p50'.padStart(11),
      'p95'.padStart(8),
      'memory p50'.padStart(11),
      'p95'.padStart(8),
      'ratio p50'.padStart(10),
    );
    for (const [label, ours, theirs] of rows) {
      console.log(
        label.padEnd(38),
        String(ours.p50).padStart(11),
        String(ours.p95).padStart(8),
        String(theirs.p50).padStart(11),
        String(theirs.p95).padStart(8),
        `${(ours.p50 / theirs.p50).toFixed(2)}×`.padStart(10),
      );
    }
    console.log('\nRelay per call (ms): through the stdio front-end vs straight on the socket');
    for (const [label, r] of Object.entries(result.relayPerCall)) {
      console.log(
        label.padEnd(38),
        `front-end p50 ${r.frontEnd.p50}`.padEnd(22),
        `direct p50 ${r.direct.p50}`.padEnd(20),
        `overhead p50 ${r.overheadP50Ms}`,
      );
    }
    await mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
    await writeFile(path.join(repoRoot, 'bench', 'results', 'service.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    stopService();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
