// The pool across several loopback Ollama peers: health, residency-aware routing, failover and
// where it must not fail over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPool } from '../../gpu-pool/ollama-pool.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { OllamaPeer, type OllamaPeerOptions } from '../peers/ollama-peer.js';

async function cluster(
  t: { after(fn: () => Promise<void>): void },
  peers: OllamaPeerOptions[],
  poolOptions: Partial<ConstructorParameters<typeof OllamaPool>[0]> = {},
) {
  const started = await Promise.all(
    peers.map(async (options) => {
      const peer = new OllamaPeer(options);
      await peer.start();
      return peer;
    }),
  );
  const pool = new OllamaPool({
    hosts: started.map((peer, i) => ({
      name: `gpu${i + 1}`,
      url: peer.url,
      weight: 1,
      maxConcurrent: 4,
      tags: [],
      access: 'localhost' as const,
    })),
    random: () => 0,
    probeDeadlineMs: 500,
    // Most tests here watch what calls find out about a host; the liveness tests turn it back on.
    livenessIntervalMs: 0,
    ...poolOptions,
  });
  t.after(async () => {
    await pool.close();
    await Promise.all(started.map((p) => p.stop()));
  });
  return { peers: started, pool };
}

const ask = { tier: 'small' as const, messages: [{ role: 'user', content: 'hello pool' }] };
const limits = { deadlineMs: 3000 };

test('start probes every host: discovery plus a one-token generation', async (t) => {
  const { pool, peers } = await cluster(t, [{}, {}]);
  const up: string[] = [];
  pool.on('host-up', (e) => up.push(e.host));
  await pool.start();
  assert.deepEqual(
    pool.hostStatus().map((h) => [h.name, h.health, h.version]),
    [
      ['gpu1', 'healthy', '0.12.6'],
      ['gpu2', 'healthy', '0.12.6'],
    ],
  );
  assert.deepEqual(up.sort(), ['gpu1', 'gpu2']);
  assert.ok(
    peers[0]!.requests.some((r) => r.path === '/api/generate' && (r.body as { model: string }).model === 'gemma3:1b'),
    'probed with the smallest model',
  );
});

test('a request goes to the idle host where the model is resident', async (t) => {
  const { pool, peers } = await cluster(t, [{}, { resident: ['qwen3:4b'] }, {}]);
  await pool.start();
  for (const peer of peers) peer.requests.length = 0;
  const result = await pool.chat(ask, limits);
  assert.equal(result.host, 'gpu2');
  assert.equal(result.content, 'pool hello');
  assert.equal(peers[1]!.requests.filter((r) => r.path === '/api/chat').length, 1);
});

test('a 503 fails over to another host and the attempt is recorded', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'] }, {}]);
  await pool.start();
  const failovers: string[] = [];
  pool.on('failover', (e) => failovers.push(`${e.from}:${e.code}`));
  peers[0]!.failNext({ kind: 'status', status: 503 });
  const result = await pool.chat(ask, limits);
  assert.equal(result.host, 'gpu2');
  assert.deepEqual(result.attempts, [{ host: 'gpu1', code: 'HOST_ERROR' }]);
  assert.deepEqual(failovers, ['gpu1:HOST_ERROR']);
});

test('a dead host fails over, is re-probed at once, and is reported down', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'] }, {}]);
  await pool.start();
  const down: string[] = [];
  pool.on('host-down', (e) => down.push(e.host));
  await peers[0]!.stop();
  const result = await pool.chat(ask, limits);
  assert.equal(result.host, 'gpu2');
  assert.equal(result.attempts[0]!.code, 'HOST_UNREACHABLE');
  const deadline = Date.now() + 2000;
  while (!down.includes('gpu1') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(down, ['gpu1']);
  assert.equal(pool.hostStatus()[0]!.health, 'down');
  peers[1]!.requests.length = 0;
  await pool.chat(ask, limits);
  assert.equal(peers[1]!.requests.length, 1, 'a down host gets no traffic');
});

test('a request the host rightly refuses (400) or a missing model is not failed over', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'] }, {}]);
  await pool.start();
  peers[0]!.failNext({ kind: 'status', status: 400, message: 'invalid options' });
  await assert.rejects(pool.chat(ask, limits), (error: PoolError) => error.code === 'BAD_REQUEST');
  assert.equal(peers[1]!.requests.filter((r) => r.path === '/api/chat').length, 0);
});

test('a named model no host has is NO_HEALTHY_HOST, with the model named', async (t) => {
  const { pool } = await cluster(t, [{}]);
  await pool.start();
  await assert.rejects(
    pool.chat({ model: 'qwen3:30b', messages: [{ role: 'user', content: 'x' }] }, limits),
    (error: PoolError) => error.code === 'NO_HEALTHY_HOST' && /qwen3:30b/.test(error.message),
  );
});

test('a streamed reply is not retried once tokens have reached the caller', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'], chunkDelayMs: 5 }, { chunkDelayMs: 5 }]);
  await pool.start();
  peers[0]!.failNext({ kind: 'reset-mid-stream', afterChunks: 1 });
  const tokens: string[] = [];
  await assert.rejects(
    pool.chat({ ...ask, messages: [{ role: 'user', content: 'a b c' }], onToken: (x) => tokens.push(x) }, limits),
    (error: PoolError) => error.code === 'HOST_UNREACHABLE',
  );
  assert.deepEqual(tokens, ['c ']);
  assert.equal(peers[1]!.requests.filter((r) => r.path === '/api/chat').length, 0);
});

test('a disabled host gets no traffic; re-enabled it does', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'] }, {}]);
  await pool.start();
  pool.setEnabled('gpu1', false);
  assert.equal((await pool.chat(ask, limits)).host, 'gpu2');
  pool.setEnabled('gpu1', true);
  assert.equal((await pool.chat(ask, limits)).host, 'gpu1');
  assert.ok(peers[0]!.requests.some((r) => r.path === '/api/chat'));
});

test("per-host tier overrides pick that host's model", async (t) => {
  const peer = new OllamaPeer({
    models: [{ name: 'phi4-mini:latest', sizeBytes: 1, parameterSize: '3.8B', family: 'phi3' }],
  });
  await peer.start();
  const custom = new OllamaPool({
    hosts: [
      {
        name: 'edge',
        url: peer.url,
        weight: 1,
        maxConcurrent: 2,
        tags: [],
        access: 'localhost',
        tierModels: { small: 'phi4-mini' },
      },
    ],
    random: () => 0,
  });
  t.after(async () => {
    await custom.close();
    await peer.stop();
  });
  await custom.start();
  const result = await custom.chat(ask, limits);
  assert.equal(result.model, 'phi4-mini:latest');
});

test('the breaker stops traffic to a host after consecutive failures', async (t) => {
  const { pool, peers } = await cluster(t, [{ resident: ['qwen3:4b'] }, {}], {
    breakerThreshold: 2,
    breakerCooldownMs: 60_000,
  });
  await pool.start();
  // Chat fails but probes (generate) pass, so only the breaker can stop the traffic.
  peers[0]!.breakWith({ kind: 'status', status: 500 }, '/api/chat');
  await pool.chat(ask, limits);
  await new Promise((r) => setTimeout(r, 50)); // let the re-probe finish: it finds the host healthy
  await pool.chat(ask, limits);
  assert.equal(pool.hostStatus()[0]!.breaker, 'open');
  const before = peers[0]!.requests.filter((r) => r.path === '/api/chat').length;
  await pool.chat(ask, limits);
  assert.equal(
    peers[0]!.requests.filter((r) => r.path === '/api/chat').length,
    before,
    'an open breaker sends nothing',
  );
});

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

test('a host that dies while idle is reported down within 2 s, and up again when it listens again', async (t) => {
  const { pool, peers } = await cluster(t, [{}], { livenessIntervalMs: 1000 });
  await pool.start();
  const events: string[] = [];
  pool.on('host-down', (e) => events.push(`down:${e.host}`));
  pool.on('host-up', (e) => events.push(`up:${e.host}`));
  assert.equal(pool.hostStatus()[0]!.health, 'healthy');
  const port = Number(new URL(peers[0]!.url).port);

  const killed = performance.now();
  await peers[0]!.stop();
  assert.ok(await until(() => pool.hostStatus()[0]!.health === 'down', 5000), 'reported down');
  const detectedMs = performance.now() - killed;
  assert.ok(detectedMs <= 2000, `reported down after ${detectedMs.toFixed(0)} ms`);
  assert.match(pool.hostStatus()[0]!.lastError ?? '', /liveness check on gpu1 failed: ECONNREFUSED/);
  // Staying down for several more checks raises no further event.
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(events, ['down:gpu1']);

  peers[0]!.requests.length = 0;
  await peers[0]!.start(port);
  const listening = performance.now();
  assert.ok(await until(() => pool.hostStatus()[0]!.health === 'healthy', 5000), 'reported up');
  const upMs = performance.now() - listening;
  assert.ok(upMs <= 2000, `reported up after ${upMs.toFixed(0)} ms`);
  assert.deepEqual(events, ['down:gpu1', 'up:gpu1']);
  assert.ok(
    peers[0]!.requests.some((r) => r.path === '/api/generate'),
    'coming back takes a deep probe, not only a liveness check',
  );
});

test('a host that answers but cannot generate is not deep-probed again by every liveness check', async (t) => {
  const { pool, peers } = await cluster(t, [{}], { livenessIntervalMs: 200, probeDeadlineMs: 300 });
  peers[0]!.breakWith({ kind: 'stall' }, '/api/generate');
  await pool.start();
  assert.equal(pool.hostStatus()[0]!.health, 'down', 'the deep probe found generation stalled');
  peers[0]!.requests.length = 0;
  await new Promise((r) => setTimeout(r, 1000));
  const paths = peers[0]!.requests.map((r) => r.path);
  assert.ok(paths.filter((p) => p === '/api/version').length >= 3, `liveness checks ran: ${paths.join(', ')}`);
  assert.deepEqual(
    paths.filter((p) => p !== '/api/version'),
    [],
    'only liveness checks; the next deep probe waits for its interval',
  );
  assert.equal(pool.hostStatus()[0]!.health, 'down');
});

test('close() stops the liveness checks: nothing reaches the host afterwards', async (t) => {
  const peer = new OllamaPeer();
  await peer.start();
  t.after(() => peer.stop());
  const pool = new OllamaPool({
    hosts: [{ name: 'gpu1', url: peer.url, weight: 1, maxConcurrent: 2, tags: [], access: 'localhost' }],
    livenessIntervalMs: 100,
  });
  await pool.start();
  assert.ok(await until(() => peer.requests.filter((r) => r.path === '/api/version').length >= 3, 2000));
  await pool.close();
  const after = peer.requests.length;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(peer.requests.length, after, 'no check after close()');
});

test('a call that arrives while the first probe is still running waits for it instead of finding no model', async (t) => {
  // The peer answers each request after 150 ms, so the start-up probe is in flight when the call comes.
  const { pool } = await cluster(t, [{ latencyMs: 150 }], { probeDeadlineMs: 3000 });
  const starting = pool.start();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const result = await pool.chat(ask, limits);
  assert.deepEqual([result.host, result.model], ['gpu1', 'qwen3:4b']);
  await starting;
});
