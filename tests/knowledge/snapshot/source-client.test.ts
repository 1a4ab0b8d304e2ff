// The providers' HTTP client: retries with backoff on 429, 5xx, stalls and resets; Retry-After is
// honoured; other 4xx answers are returned at once; per-provider concurrency is never exceeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceClient, retryAfterMs } from '../../../knowledge/snapshot/source-client.js';
import { SourcesPeer } from '../../peers/kb-sources-peer.js';

async function peer(t: { after(fn: () => Promise<void>): void }, options = {}) {
  const p = new SourcesPeer(options);
  await p.start();
  t.after(() => p.stop());
  return p;
}

const imfUrl = (p: SourcesPeer) => `${p.url}/external/datamapper/api/v1/GGXWDG_NGDP?periods=2024`;

test('a 429 is retried after the Retry-After it asks for, a 503 after a jittered backoff', async (t) => {
  const p = await peer(t);
  p.fault(/datamapper/, { status: 429, retryAfter: '3' });
  p.fault(/datamapper/, { status: 503 });
  const sleeps: number[] = [];
  const client = new SourceClient({ sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, baseDelayMs: 100 });
  const response = await client.get('imf', imfUrl(p), { label: 'imf' });
  assert.equal(response.status, 200);
  assert.equal(response.attempts, 3);
  assert.deepEqual(sleeps, [3000, 100], 'Retry-After 3 s; then half of 100 × 2^1 with jitter 0.5');
  assert.equal(client.traffic().imf.retries, 2);
});

test('a Retry-After given as an HTTP date is honoured; one longer than the cap fails instead of stalling the build', async (t) => {
  const now = new Date('2026-11-22T10:00:00Z');
  assert.equal(retryAfterMs('Sun, 22 Nov 2026 10:00:05 GMT', now), 5000);
  const p = await peer(t);
  p.fault(/datamapper/, { status: 429, retryAfter: '3600' });
  const client = new SourceClient({ sleep: async () => undefined });
  await assert.rejects(client.get('imf', imfUrl(p), { label: 'imf' }), /Retry-After 3600 s, longer than the 60 s/);
});

test('a stalled answer times out and is retried; a reset connection too', async (t) => {
  const p = await peer(t);
  p.fault(/datamapper/, 'stall');
  p.fault(/datamapper/, 'reset');
  const client = new SourceClient({ sleep: async () => undefined, timeoutMs: 300 });
  const started = performance.now();
  const response = await client.get('imf', imfUrl(p), { label: 'imf' });
  assert.equal(response.status, 200);
  assert.equal(response.attempts, 3);
  assert.ok(performance.now() - started >= 290, 'waited for the timeout');
});

test('a 4xx other than 429 is returned without retrying, and repeated 5xx give up with a clear message', async (t) => {
  const p = await peer(t);
  p.fault(/datamapper/, { status: 404, body: 'nope' });
  p.fault(/datamapper/, { status: 500 }, 4);
  const client = new SourceClient({ sleep: async () => undefined });
  assert.equal((await client.get('imf', imfUrl(p), { label: 'imf' })).status, 404);
  await assert.rejects(
    client.get('imf', imfUrl(p), { label: 'the IMF' }),
    /the IMF: HTTP 500 \(gave up after 4 attempts\)/,
  );
  assert.equal(p.count('imf'), 5);
});

test('no provider ever has more requests in flight than its limit', async (t) => {
  const p = await peer(t, { latencyMs: 20 });
  const client = new SourceClient({ concurrency: { imf: 2, world_bank: 3 } });
  await Promise.all([
    ...Array.from({ length: 12 }, () => client.get('imf', imfUrl(p), { label: 'imf' })),
    ...Array.from({ length: 12 }, () =>
      client.get('world_bank', `${p.url}/v2/country/US/indicator/NY.GDP.MKTP.KD.ZG?format=json&date=2020:2021`, {
        label: 'wb',
      }),
    ),
  ]);
  assert.equal(p.maxInFlight.imf, 2);
  assert.equal(p.maxInFlight.world_bank, 3);
  assert.equal(client.traffic().imf.maxInFlight, 2);
});

test('an aborted build stops waiting for a permit and for the network', async (t) => {
  const p = await peer(t, { latencyMs: 200 });
  const client = new SourceClient({ concurrency: { imf: 1 } });
  const controller = new AbortController();
  const calls = [
    client.get('imf', imfUrl(p), { label: 'imf', signal: controller.signal }),
    client.get('imf', imfUrl(p), { label: 'imf', signal: controller.signal }),
  ];
  setTimeout(() => controller.abort(new Error('cancelled')), 50);
  const results = await Promise.allSettled(calls);
  assert.ok(results.every((r) => r.status === 'rejected' && /cancelled/.test(String((r.reason as Error).message))));
});
