// Pure units of the pool: the circuit breaker on an injected clock, the per-host slots and queue,
// and host selection with an injected random.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../gpu-pool/circuit-breaker.js';
import { HostSlots } from '../../gpu-pool/host-slots.js';
import { ewma, selectHost, type HostView } from '../../gpu-pool/select-host.js';
import { PoolError } from '../../gpu-pool/pool-error.js';

test('the breaker opens after N consecutive failures, half-opens after the cooldown, and one trial decides', () => {
  let now = 0;
  const breaker = new CircuitBreaker(() => now, 3, 1000);
  breaker.failure();
  breaker.failure();
  breaker.success();
  breaker.failure();
  breaker.failure();
  assert.equal(breaker.current(), 'closed', 'a success resets the count');
  breaker.failure();
  assert.equal(breaker.current(), 'open');
  assert.equal(breaker.allows(), false);
  now = 999;
  assert.equal(breaker.allows(), false);
  now = 1000;
  assert.equal(breaker.current(), 'half-open');
  assert.equal(breaker.allows(), true);
  breaker.begin();
  assert.equal(breaker.allows(), false, 'only one trial at a time');
  breaker.failure();
  assert.equal(breaker.current(), 'open', 'a failed trial reopens');
  now = 2000;
  breaker.begin();
  breaker.success();
  assert.equal(breaker.current(), 'closed');
});

test('slots cap concurrency, queue in order, refuse past the queue bound, and drop cancelled waiters', async () => {
  const slots = new HostSlots('gpu1', 2, 2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((release) => (order.push('c'), release));
  const controller = new AbortController();
  const d = slots.acquire(controller.signal);
  await assert.rejects(slots.acquire(), (error: PoolError) => error.code === 'QUEUE_FULL' && error.retryable);
  controller.abort();
  await assert.rejects(d, (error: PoolError) => error.code === 'CANCELLED');
  assert.equal(slots.queued, 1);
  a();
  a(); // releasing twice is harmless
  const releaseC = await c;
  assert.deepEqual(order, ['c']);
  assert.equal(slots.inFlight, 2);
  b();
  releaseC();
  assert.equal(slots.inFlight, 0);
});

function view(name: string, overrides: Partial<HostView> & { models?: string[]; resident?: string[] } = {}): HostView {
  const models = new Set(overrides.models ?? ['qwen3:4b']);
  const resident = new Set(overrides.resident ?? []);
  return {
    name,
    usable: true,
    hasModel: (m) => models.has(m),
    isResident: (m) => resident.has(m),
    inFlight: 0,
    queued: 0,
    weight: 1,
    maxConcurrent: 2,
    ewmaLatencyMs: undefined,
    ...overrides,
  };
}

test('only usable hosts that have the model qualify', () => {
  const hosts = [view('down', { usable: false }), view('other', { models: ['llama3.1:8b'] }), view('ok')];
  assert.equal(selectHost(hosts, 'qwen3:4b', () => 0)?.host.name, 'ok');
  assert.equal(
    selectHost(hosts, 'gemma3:1b', () => 0),
    undefined,
  );
  assert.equal(
    selectHost(hosts, 'qwen3:4b', () => 0, new Set(['ok'])),
    undefined,
    'excluded after a failure',
  );
});

test('an idle host with the model resident wins over a less loaded cold one', () => {
  const hosts = [view('cold', { weight: 10, maxConcurrent: 8 }), view('warm', { resident: ['qwen3:4b'] })];
  assert.deepEqual(
    selectHost(hosts, 'qwen3:4b', () => 0),
    { host: hosts[1], reason: 'resident-idle' },
  );
});

test('otherwise the fewest outstanding requests per unit of capacity, scaled by latency, wins', () => {
  const busy = view('busy', { inFlight: 2, queued: 1, resident: ['qwen3:4b'] });
  const big = view('big', { inFlight: 2, weight: 2, maxConcurrent: 4, resident: ['qwen3:4b'] });
  assert.equal(selectHost([busy, big], 'qwen3:4b', () => 0)?.host.name, 'big');
  const slow = view('slow', { inFlight: 1, ewmaLatencyMs: 900, resident: ['qwen3:4b'] });
  const fast = view('fast', { inFlight: 1, ewmaLatencyMs: 100, resident: ['qwen3:4b'] });
  assert.equal(selectHost([slow, fast], 'qwen3:4b', () => 0)?.host.name, 'fast');
});

test('ties are broken by the injected random', () => {
  const hosts = [view('a', { inFlight: 1 }), view('b', { inFlight: 1 }), view('c', { inFlight: 1 })];
  const picks = new Set([0, 0.4, 0.99].map((r) => selectHost(hosts, 'qwen3:4b', () => r)?.host.name));
  assert.ok(picks.size >= 2, `picks: ${[...picks].join(', ')}`);
});

test('ewma moves a fifth of the way toward each sample', () => {
  assert.equal(ewma(undefined, 100), 100);
  assert.equal(ewma(100, 200), 120);
});

test('a busy resident host beats an idle cold one; a cold host with no history is not favoured', () => {
  const resident = view('warm', { inFlight: 6, resident: ['qwen3:4b'], maxConcurrent: 8, ewmaLatencyMs: 200 });
  const cold = view('cold', { maxConcurrent: 8 });
  assert.equal(selectHost([resident, cold], 'qwen3:4b', () => 0)?.host.name, 'warm');
  const swamped = view('swamped', {
    inFlight: 8,
    queued: 200,
    resident: ['qwen3:4b'],
    maxConcurrent: 8,
    ewmaLatencyMs: 200,
  });
  assert.equal(
    selectHost([swamped, cold], 'qwen3:4b', () => 0)?.host.name,
    'cold',
    'a long enough queue costs more than a model load',
  );
});
