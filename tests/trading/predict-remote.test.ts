// The remote prediction backend against a loopback peer speaking the seed system's protocol: the
// answer's mapping (confidence /100, the identity it sends and the fields it leaves out), retries on
// 503, the time limit on a stalled answer, the breaker opening and half-opening on a stepped clock,
// and malformed answers named by field. The API key goes out as a bearer token and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { InputError, ToolError } from '../../tools/errors.js';
import { RemoteBackend, type RemoteBackendOptions } from '../../tools/trading/prediction/remote-backend.js';
import { PredictionPeer, seedAnswer } from '../peers/prediction-peer.js';

async function setup(t: { after(fn: () => Promise<void>): void }, options: Partial<RemoteBackendOptions> = {}) {
  const peer = await new PredictionPeer().start();
  t.after(() => peer.stop());
  let now = Date.parse('2026-12-03T08:00:00Z');
  const waits: number[] = [];
  const backend = new RemoteBackend({
    baseUrl: peer.url,
    apiKey: 'secret-key-123',
    timeoutMs: 2000,
    retries: 2,
    clock: { now: () => now },
    sleep: async (ms) => void waits.push(ms),
    backoffMs: 100,
    ...options,
  });
  return { peer, backend, waits, advance: (ms: number) => (now += ms) };
}

test('remote: the seed answer maps onto a Prediction; missing identity fields are listed, the key stays out', async (t) => {
  const { peer, backend } = await setup(t);
  const prediction = await backend.predict({ symbol: 'SPX' });
  assert.equal(peer.requests.length, 1);
  assert.equal(peer.requests[0]!.path, '/api/v1/inference/predict/SPX');
  assert.equal(peer.requests[0]!.authorization, 'Bearer secret-key-123');
  assert.equal(prediction.direction, 'LONG');
  assert.equal(prediction.confidence, 0.725);
  assert.deepEqual(prediction.expectedReturns, { '1d': 0.0031, '5d': 0.0112, '20d': 0.0274 });
  assert.equal(prediction.volatility, 0.0123);
  assert.equal(prediction.uncertainty, 0.18);
  assert.equal(prediction.riskScore, 0.34);
  assert.equal(prediction.currentPrice, 2874.56);
  assert.equal(prediction.asOf, '2020-04-17T20:00:00Z');
  assert.deepEqual(prediction.model, {
    name: 'ohlc-transformer',
    checkpoint: 'step-412000.pt',
    sha256: 'a'.repeat(64),
    trainedAt: '2020-03-31T00:00:00Z',
    dataContractHash: '',
    backend: 'remote',
  });
  assert.deepEqual(prediction.identityMissing, ['data_contract_hash']);
  const status = backend.status();
  assert.equal(status.predictions, 1);
  assert.equal(status.breaker, 'closed');
  assert.deepEqual(status.loaded, [
    { name: 'ohlc-transformer', sha256: 'a'.repeat(64), since: '2026-12-03T08:00:00.000Z' },
  ]);
  assert.ok(!JSON.stringify({ prediction, status }).includes('secret-key-123'));
});

test('remote: identity nested under model is read too', async (t) => {
  const { peer, backend } = await setup(t);
  const { model_name: _n, checkpoint: _c, sha256: _s, trained_at: _t, ...bare } = seedAnswer('SPX');
  peer.script = [
    { kind: 'ok', body: { ...bare, model: { name: 'ohlc-transformer', data_contract_hash: 'b'.repeat(64) } } },
  ];
  const prediction = await backend.predict({ symbol: 'SPX' });
  assert.equal(prediction.model.name, 'ohlc-transformer');
  assert.equal(prediction.model.dataContractHash, 'b'.repeat(64));
  assert.deepEqual(prediction.identityMissing, ['checkpoint', 'sha256', 'trained_at']);
});

test('remote: a 503 is retried after a backoff and the next answer is used', async (t) => {
  const { peer, backend, waits } = await setup(t);
  peer.script = [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'ok' }];
  const prediction = await backend.predict({ symbol: 'SPX' });
  assert.equal(prediction.symbol, 'SPX');
  assert.equal(peer.requests.length, 3);
  assert.deepEqual(waits, [100, 200]);
  assert.equal(backend.status().errors, 0);
});

test('remote: a stalled answer hits the time limit; after the retries the error says so', async (t) => {
  const { peer, backend } = await setup(t, { timeoutMs: 150, retries: 1 });
  peer.fallback = { kind: 'stall' };
  const started = performance.now();
  await assert.rejects(
    backend.predict({ symbol: 'SPX' }),
    (e: ToolError) =>
      e instanceof ToolError &&
      e.code === 'UNAVAILABLE' &&
      /failed after 2 attempts: no answer within 150 ms \(trading\.predictionService\.timeoutMs\)/.test(e.message),
  );
  assert.ok(performance.now() - started < 2000);
  assert.equal(peer.requests.length, 2);
  assert.match(backend.status().lastError!.message, /no answer within 150 ms/);
});

test('remote: the breaker opens after consecutive failures, refuses without a request, then half-opens', async (t) => {
  const { peer, backend, advance } = await setup(t, { retries: 0, breaker: { failures: 2, coolDownMs: 30_000 } });
  peer.fallback = { kind: 'status', status: 503 };
  for (let i = 0; i < 2; i++) await assert.rejects(backend.predict({ symbol: 'SPX' }), /HTTP 503/);
  assert.equal(backend.status().breaker, 'open');
  await assert.rejects(
    backend.predict({ symbol: 'SPX' }),
    /the breaker is open after 2 consecutive failures; the next probe goes out in 30 s/,
  );
  assert.equal(peer.requests.length, 2);
  advance(30_000);
  assert.equal(backend.status().breaker, 'half-open');
  // The probe fails: open again for another cool-down.
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /HTTP 503/);
  assert.equal(peer.requests.length, 3);
  assert.equal(backend.status().breaker, 'open');
  advance(30_000);
  peer.fallback = { kind: 'ok' };
  await backend.predict({ symbol: 'SPX' });
  assert.equal(backend.status().breaker, 'closed');
  assert.equal(peer.requests.length, 4);
});

test('remote: a malformed answer is a clear error naming the field, and is not retried', async (t) => {
  // Each malformed answer is a failure of the service: the breaker would open after five.
  const { peer, backend } = await setup(t, { breaker: { failures: 10 } });
  peer.script = [{ kind: 'ok', body: { ...seedAnswer('SPX'), confidence: 'high' } }];
  await assert.rejects(
    backend.predict({ symbol: 'SPX' }),
    /malformed prediction: confidence: Invalid input: expected number, received string/,
  );
  assert.equal(peer.requests.length, 1);
  const { predictions: _p, ...rest } = seedAnswer('SPX');
  peer.script = [{ kind: 'ok', body: { ...rest, predictions: { '1d': 0.1, '20d': 0.2 } } }];
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /malformed prediction: predictions\.5d:/);
  peer.script = [{ kind: 'ok', body: { ...seedAnswer('SPX'), confidence: 140 } }];
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /malformed prediction: confidence: Too big/);
  peer.script = [{ kind: 'malformed', body: '<html>gateway</html>' }];
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /a body that is not JSON/);
  peer.script = [{ kind: 'ok', body: seedAnswer('QQQ') }];
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /symbol: asked for SPX, answered QQQ/);
  peer.script = [{ kind: 'status', status: 404, body: '{"detail":"unknown symbol"}' }];
  await assert.rejects(
    backend.predict({ symbol: 'SPX' }),
    (e: InputError) => e instanceof InputError && e.field === 'symbols',
  );
  assert.equal(peer.requests.length, 6);
});

test('remote: malformed answers count towards the breaker: a service that cannot form an answer is opened on', async (t) => {
  const { peer, backend } = await setup(t, { breaker: { failures: 2, coolDownMs: 30_000 } });
  peer.fallback = { kind: 'malformed', body: '<html>gateway</html>' };
  for (let i = 0; i < 2; i++) await assert.rejects(backend.predict({ symbol: 'SPX' }), /a body that is not JSON/);
  assert.equal(peer.requests.length, 2);
  assert.equal(backend.status().breaker, 'open');
  await assert.rejects(backend.predict({ symbol: 'SPX' }), /the breaker is open after 2 consecutive failures/);
  assert.equal(peer.requests.length, 2);
});

test('remote: the backoff wait leaves no abort listener behind on the caller signal', async (t) => {
  // The real wait, not the injected one: each retry used to leave a listener on a long-lived signal.
  const { peer, backend } = await setup(t, { sleep: undefined, backoffMs: 1, retries: 3 });
  const controller = new AbortController();
  peer.script = [{ kind: 'status', status: 503 }, { kind: 'status', status: 503 }, { kind: 'ok' }];
  await backend.predict({ symbol: 'SPX', signal: controller.signal });
  assert.equal(peer.requests.length, 3);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  // An abort during a wait still ends it at once.
  peer.script = [{ kind: 'status', status: 503 }];
  const slow = new RemoteBackend({ baseUrl: peer.url, timeoutMs: 2000, retries: 1, backoffMs: 60_000 });
  const waiting = slow.predict({ symbol: 'SPX', signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stopped by the caller')), 50);
  await assert.rejects(waiting, /stopped by the caller/);
});

test('remote: a symbol holding a dot segment is refused before any request', async (t) => {
  const { peer, backend } = await setup(t);
  for (const symbol of ['..', '.', 'A..B'])
    await assert.rejects(
      backend.predict({ symbol }),
      (e: InputError) => e instanceof InputError && e.field === 'symbols' && /dot segment/.test(e.message),
    );
  assert.equal(peer.requests.length, 0);
  assert.equal((await backend.predict({ symbol: 'BRK.B' })).symbol, 'BRK.B');
});
