// Pool figures (issue 3), each beside a peer measured in the same run:
//  - host selection with 16 hosts (peer: picking a random eligible host, the floor);
//  - pool overhead per call at concurrency 50, model time excluded (peer: the bare `ollama` client);
//  - how fast a failing host is detected under traffic (killed, and stalled);
//  - the share of requests that land where the model is resident.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Ollama } from 'ollama';
import { OllamaHost } from '../dist/gpu-pool/ollama-host.js';
import { OllamaPool } from '../dist/gpu-pool/ollama-pool.js';
import { selectHost, type HostView } from '../dist/gpu-pool/select-host.js';
import type { OllamaPeerOptions } from '../tests/peers/ollama-peer.js';
import { round, summary, table } from './stats.js';

/** Loopback Ollama peers in their own process, so they do not share the pool's event loop. */
interface PeerProcess {
  urls: string[];
  command(peer: number, action: 'stop' | 'stall' | 'heal'): Promise<void>;
  close(): Promise<void>;
}

async function startPeers(options: OllamaPeerOptions[]): Promise<PeerProcess> {
  const script = path.resolve(import.meta.dirname, '..', 'tests', 'peers', 'serve-peers.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const urls = JSON.parse((await lines.next()).value as string) as string[];
  return {
    urls,
    async command(peer, action) {
      child.stdin.write(`${JSON.stringify({ peer, action })}\n`);
      await lines.next();
    },
    async close() {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
}

export async function runPoolBench(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};

  // Host selection, 16 hosts with mixed load, residency and latency.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const views: HostView[] = Array.from({ length: 16 }, (_, i) => {
    const models = new Set(['qwen3:4b', ...(i % 3 === 0 ? ['llama3.1:8b'] : [])]);
    return {
      name: `gpu${i}`,
      usable: i % 7 !== 0,
      hasModel: (m) => models.has(m),
      isResident: (m) => i % 4 === 0 && models.has(m),
      inFlight: i % 5,
      queued: i % 2,
      weight: 1 + (i % 3),
      maxConcurrent: 4,
      ewmaLatencyMs: 100 + i * 13,
    };
  });
  const pick: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < 20_000; i++) selectHost(views, 'qwen3:4b', random);
  for (let i = 0; i < 100_000; i++) {
    let t = performance.now();
    selectHost(views, 'qwen3:4b', random);
    pick.push((performance.now() - t) * 1000);
    t = performance.now();
    const eligible = views.filter((v) => v.usable && v.hasModel('qwen3:4b'));
    void eligible[Math.floor(random() * eligible.length)];
    floor.push((performance.now() - t) * 1000);
  }
  const selectRows = [
    { method: 'selectHost (residency, load, latency)', ...summary(pick) },
    { method: 'peer: random eligible host', ...summary(floor) },
  ];
  process.stdout.write(`\n${table('Host selection with 16 hosts (µs per choice, 100,000 choices)', selectRows)}`);
  results.hostSelection = { unit: 'µs', rows: selectRows, targetP99Us: 500 };

  // Pool overhead at concurrency 50 against a loopback host with no model time.
  const peers = await startPeers([0, 1, 2].map(() => ({ resident: ['qwen3:4b'] })));
  const pool = new OllamaPool({
    hosts: peers.urls.map((url, i) => ({
      name: `gpu${i}`,
      url,
      weight: 1,
      maxConcurrent: 32,
      tags: [],
      access: 'localhost' as const,
    })),
  });
  await pool.start();
  const message = [{ role: 'user', content: 'one two three' }];
  const host = new OllamaHost({
    name: 'direct',
    url: peers.urls[0]!,
    weight: 1,
    maxConcurrent: 64,
    tags: [],
    access: 'localhost',
  });
  const bare = new Ollama({ host: peers.urls[0]! });
  const callPool = async () => {
    const started = performance.now();
    const result = await pool.chat({ tier: 'small', messages: message }, { deadlineMs: 5000 });
    return { total: performance.now() - started, host: result.latencyMs };
  };
  for (let i = 0; i < 200; i++) await callPool();
  // Overhead = pool.chat time minus the host call inside it. Alone, it is the pool's own work;
  // at concurrency 50 it also holds the time other calls keep the one event loop busy.
  const overheadAlone: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const { total, host: hostMs } = await callPool();
    overheadAlone.push(total - hostMs);
  }
  const overhead50: number[] = [];
  const wall: Record<string, number> = {};
  const latency: Record<string, number[]> = { pool: [], host: [], bare: [] };
  const variants: Record<string, () => Promise<number>> = {
    pool: async () => {
      const { total, host: hostMs } = await callPool();
      overhead50.push(total - hostMs);
      return total;
    },
    host: async () => {
      const started = performance.now();
      await host.chat({ model: 'qwen3:4b', messages: message }, { deadlineMs: 5000 });
      return performance.now() - started;
    },
    bare: async () => {
      const started = performance.now();
      await bare.chat({ model: 'qwen3:4b', messages: message, stream: false });
      return performance.now() - started;
    },
  };
  const rounds = 40;
  for (const name of Object.keys(variants)) wall[name] = 0;
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so that noise falls on all three alike.
    for (const [name, run] of Object.entries(variants)) {
      const started = performance.now();
      const times = await Promise.all(Array.from({ length: 50 }, run));
      wall[name] = (wall[name] ?? 0) + performance.now() - started;
      latency[name]!.push(...times);
    }
  }
  const perCall = (name: string) => round(wall[name]! / (rounds * 50), 4);
  const overheadRows = [
    { measure: 'pool overhead, one call at a time (total − host call)', ...summary(overheadAlone), wallPerCallMs: '' },
    { measure: 'pool overhead at concurrency 50 (total − host call)', ...summary(overhead50), wallPerCallMs: '' },
    { measure: 'pool.chat at concurrency 50', ...summary(latency.pool!), wallPerCallMs: perCall('pool') },
    { measure: 'OllamaHost.chat alone (no routing)', ...summary(latency.host!), wallPerCallMs: perCall('host') },
    { measure: 'peer: bare ollama client', ...summary(latency.bare!), wallPerCallMs: perCall('bare') },
  ];
  process.stdout.write(
    `\n${table('Pool per call (ms; peers in their own process; wallPerCallMs = batch wall time / calls)', overheadRows)}`,
  );
  results.poolOverhead = {
    rows: overheadRows,
    addedWallPerCallMs: round(perCall('pool') - perCall('bare'), 4),
    ratioWallPerCallToBare: round(perCall('pool') / perCall('bare')),
    ratioP50ToBare: round(summary(latency.pool!).p50 / summary(latency.bare!).p50),
    targets: { p50Ms: 1, p99Ms: 5, anchor: "LiteLLM's published 2-12 ms median, 13-43 ms p99" },
  };
  await host.close();

  // Detection under traffic: a killed host, then a stalled one.
  const detect = async (action: 'stop' | 'stall', victim: number): Promise<number> => {
    const watched = new OllamaPool({
      hosts: peers.urls.map((url, i) => ({
        name: `gpu${i}`,
        url,
        weight: 1,
        maxConcurrent: 8,
        tags: [],
        access: 'localhost' as const,
      })),
      attemptTimeoutMs: 1000,
      probeDeadlineMs: 800,
    });
    await watched.start();
    let stop = false;
    const traffic = Array.from({ length: 8 }, async () => {
      while (!stop)
        await watched.chat({ tier: 'small', messages: message }, { deadlineMs: 5000 }).catch(() => undefined);
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await peers.command(victim, action);
    const name = `gpu${victim}`;
    while (performance.now() - started < 10_000) {
      const host = watched.hostStatus().find((h) => h.name === name)!;
      if (host.health === 'down' || host.breaker === 'open') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const detectedMs = performance.now() - started;
    stop = true;
    await Promise.all(traffic);
    await watched.close();
    return detectedMs;
  };
  const killedMs = await detect('stop', 0);
  const stalledMs = await detect('stall', 1);
  const detectRows = [
    { fault: 'host killed', detectedMs: round(killedMs, 1) },
    { fault: 'host stalls (accepts, never answers)', detectedMs: round(stalledMs, 1) },
  ];
  process.stdout.write(
    `\n${table('Unhealthy host detected under traffic (ms from fault to down/breaker open)', detectRows)}`,
  );
  results.detection = { rows: detectRows, targetMs: 2000 };

  // Residency: 4 hosts, the model resident on 2; 2,000 requests at concurrency 16.
  const residencyPeers = await startPeers([0, 1, 2, 3].map((i) => ({ resident: i < 2 ? ['qwen3:4b'] : [] })));
  const residencyPool = new OllamaPool({
    hosts: residencyPeers.urls.map((url, i) => ({
      name: `gpu${i}`,
      url,
      weight: 1,
      maxConcurrent: 8,
      tags: [],
      access: 'localhost' as const,
    })),
  });
  await residencyPool.start();
  let landed = 0;
  let sent = 0;
  let randomLanded = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < 2000) {
        sent++;
        const result = await residencyPool.chat({ tier: 'small', messages: message }, { deadlineMs: 5000 });
        if (result.resident) landed++;
        if (random() < 0.5) randomLanded++;
      }
    }),
  );
  const residencyRows = [
    { router: 'Caelum pool', residentShare: round(landed / 2000, 4) },
    { router: 'peer: random host (model resident on 2 of 4)', residentShare: round(randomLanded / 2000, 4) },
  ];
  process.stdout.write(
    `\n${table('Requests landing where the model is resident (4 hosts, resident on 2, concurrency 16)', residencyRows)}`,
  );
  results.residency = { rows: residencyRows, target: 0.95 };
  await residencyPool.close();
  await residencyPeers.close();
  await pool.close();
  await peers.close();
  return results;
}
