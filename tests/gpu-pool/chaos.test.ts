// Chaos: 3 hosts, 1,000 requests at concurrency 50. One host is killed mid-run and another
// stalls. Nothing may be lost or hang, every call must be answered before its deadline, and every
// failover must be recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPool } from '../../gpu-pool/ollama-pool.js';
import type { PoolError } from '../../gpu-pool/pool-error.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

test(
  '1,000 requests survive a killed host and a stalled host with every failover recorded',
  { timeout: 120_000 },
  async (t) => {
    const peers = await Promise.all(
      [0, 1, 2].map(async () => {
        const peer = new OllamaPeer({ resident: ['qwen3:4b'], latencyMs: 2 });
        await peer.start();
        return peer;
      }),
    );
    const pool = new OllamaPool({
      hosts: peers.map((p, i) => ({
        name: `gpu${i + 1}`,
        url: p.url,
        weight: 1,
        maxConcurrent: 8,
        tags: [],
        access: 'localhost' as const,
      })),
      attemptTimeoutMs: 800,
      probeDeadlineMs: 500,
      breakerThreshold: 3,
      breakerCooldownMs: 60_000,
    });
    t.after(async () => {
      await pool.close();
      await Promise.all(peers.map((p) => p.stop()));
    });
    await pool.start();
    const failovers: { from: string; code: string }[] = [];
    pool.on('failover', (event) => failovers.push(event));

    const total = 1000;
    const concurrency = 50;
    const deadlineMs = 5000;
    let next = 0;
    const outcomes: { ok: boolean; ms: number; attempts: number; host?: string; code?: string }[] = [];
    const worker = async () => {
      while (next < total) {
        const index = next++;
        if (index === 300) void peers[0]!.stop(); // kill gpu1 mid-run
        if (index === 500) peers[1]!.breakWith({ kind: 'stall' }); // gpu2 stops answering
        const started = performance.now();
        try {
          const result = await pool.chat(
            { tier: 'small', messages: [{ role: 'user', content: `request ${index}` }] },
            { deadlineMs },
          );
          outcomes.push({
            ok: true,
            ms: performance.now() - started,
            attempts: result.attempts.length,
            host: result.host,
          });
        } catch (error) {
          outcomes.push({ ok: false, ms: performance.now() - started, attempts: 0, code: (error as PoolError).code });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    assert.equal(outcomes.length, total, 'no request lost or hung');
    const failed = outcomes.filter((o) => !o.ok);
    assert.deepEqual(
      failed.map((o) => o.code),
      [],
      'every request answered',
    );
    const slowest = Math.max(...outcomes.map((o) => o.ms));
    assert.ok(slowest < deadlineMs, `slowest call took ${slowest.toFixed(0)} ms`);
    const recordedAttempts = outcomes.reduce((sum, o) => sum + o.attempts, 0);
    assert.equal(failovers.length, recordedAttempts, 'each failover is both an event and an attempt on the result');
    assert.ok(
      failovers.some((f) => f.from === 'gpu1' && f.code === 'HOST_UNREACHABLE'),
      'the killed host failed over',
    );
    assert.ok(
      failovers.some((f) => f.from === 'gpu2' && (f.code === 'HOST_TIMEOUT' || f.code === 'QUEUE_FULL')),
      'the stalled host failed over',
    );
    const late = outcomes.slice(700);
    assert.ok(
      late.every((o) => o.host === 'gpu3'),
      'once both faults are known, traffic goes to the healthy host',
    );
    const status = pool.hostStatus();
    assert.equal(status[0]!.health, 'down');
    assert.notEqual(status[1]!.breaker, 'closed');
  },
);
