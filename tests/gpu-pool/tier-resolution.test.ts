// Tiers resolve to the models the hosts actually serve: by family and size from /api/tags, with the
// configured model first; a request takes the best model a healthy host has and says what it
// replaced; a host going down re-resolves the tiers. Real pool, official client, loopback peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPool, type TierResolution } from '../../gpu-pool/ollama-pool.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { modelKind, parameterBillions, rankForTier } from '../../gpu-pool/tier-resolution.js';
import { OllamaPeer, type PeerModel } from '../peers/ollama-peer.js';

const llama8b: PeerModel = { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, parameterSize: '8.0B', family: 'llama' };
const qwen4b: PeerModel = { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' };
const coder7b: PeerModel = {
  name: 'qwen2.5-coder:7b',
  sizeBytes: 4_683_087_332,
  parameterSize: '7.6B',
  family: 'qwen2',
};
const nomic: PeerModel = {
  name: 'nomic-embed-text:latest',
  sizeBytes: 274_302_450,
  parameterSize: '137M',
  family: 'nomic-bert',
};
const mxbai: PeerModel = {
  name: 'mxbai-embed-large:latest',
  sizeBytes: 669_615_493,
  parameterSize: '334M',
  family: 'bert',
};

const limits = { deadlineMs: 3000 };
const ask = (tier: 'micro' | 'small' | 'full' | 'large' | 'code') => ({
  tier,
  messages: [{ role: 'user' as const, content: 'hello tiers' }],
});

async function cluster(
  t: { after(fn: () => Promise<void>): void },
  hostModels: PeerModel[][],
  options: Partial<ConstructorParameters<typeof OllamaPool>[0]> = {},
) {
  const peers = await Promise.all(
    hostModels.map(async (models) => {
      const peer = new OllamaPeer({ models });
      await peer.start();
      return peer;
    }),
  );
  const pool = new OllamaPool({
    hosts: peers.map((peer, i) => ({
      name: `gpu${i + 1}`,
      url: peer.url,
      weight: 1,
      maxConcurrent: 4,
      tags: [],
      access: 'localhost' as const,
    })),
    random: () => 0,
    // Generous: the first probe also loads the client, and these machines are shared.
    probeDeadlineMs: 5000,
    livenessIntervalMs: 0,
    ...options,
  });
  t.after(async () => {
    await pool.close();
    await Promise.all(peers.map((p) => p.stop()));
  });
  return { peers, pool };
}

const byTier = (tiers: TierResolution[]) => Object.fromEntries(tiers.map((t) => [t.tier, t]));

test('sizes come from parameter_size, else the name tag; families decide embed and coder', () => {
  assert.equal(parameterBillions(llama8b), 8);
  assert.equal(parameterBillions(nomic), 0.137);
  assert.equal(parameterBillions({ name: 'qwen3:30b-a3b', sizeBytes: 0, parameterSize: '', family: '' }), 30);
  assert.equal(parameterBillions({ name: 'gemma3:270m', sizeBytes: 0, parameterSize: '', family: '' }), 0.27);
  assert.deepEqual([nomic, mxbai, coder7b, llama8b].map(modelKind), ['embed', 'embed', 'coder', 'general']);
  assert.deepEqual(
    rankForTier('code', [qwen4b, llama8b, coder7b, nomic]),
    ['qwen2.5-coder:7b', 'llama3.1:8b', 'qwen3:4b'],
    'a coder model first, then general models largest first, never an embedding model',
  );
  assert.deepEqual(rankForTier('micro', [llama8b, qwen4b, nomic]), ['qwen3:4b', 'llama3.1:8b'], 'nearest size');
  assert.deepEqual(
    rankForTier('small', [coder7b, llama8b, nomic]),
    ['llama3.1:8b', 'qwen2.5-coder:7b'],
    'a coder model serves a general tier only when no general model is left',
  );
  assert.deepEqual(rankForTier('embed', [llama8b, mxbai, nomic]), [
    'nomic-embed-text:latest',
    'mxbai-embed-large:latest',
  ]);
});

test('with a coder model installed the code tier resolves to it and says it replaced the default', async (t) => {
  const { pool, peers } = await cluster(t, [[qwen4b, llama8b, coder7b]]);
  await pool.start();
  const tiers = byTier(pool.resolveAll());
  assert.deepEqual(
    [tiers.code!.model, tiers.code!.hosts, tiers.code!.substituted],
    ['qwen2.5-coder:7b', ['gpu1'], true],
  );
  assert.match(tiers.code!.note ?? '', /largest coder model/);
  const result = await pool.chat(ask('code'), limits);
  assert.equal(result.model, 'qwen2.5-coder:7b');
  assert.equal((peers[0]!.requests.at(-1)!.body as { model: string }).model, 'qwen2.5-coder:7b');
  assert.deepEqual(result.substitution?.wanted, 'qwen3-coder:30b');
});

test('with no coder model the code tier takes the largest general model instead of failing', async (t) => {
  const { pool } = await cluster(t, [[qwen4b, llama8b]]);
  await pool.start();
  const tiers = byTier(pool.resolveAll());
  assert.deepEqual(
    Object.values(tiers).map((r) => [r.tier, r.model ?? null, r.substituted]),
    [
      ['micro', 'qwen3:4b', true],
      ['small', 'qwen3:4b', false],
      ['full', 'llama3.1:8b', false],
      ['large', 'llama3.1:8b', true],
      ['code', 'llama3.1:8b', true],
      ['embed', null, false],
    ],
  );
  assert.match(tiers.code!.note ?? '', /no coder model on a healthy host; the largest general model/);
  assert.match(tiers.embed!.note ?? '', /no embedding model/);
  const result = await pool.chat(ask('code'), limits);
  assert.equal(result.model, 'llama3.1:8b');
  assert.equal(result.host, 'gpu1');
  assert.deepEqual(result.substitution, {
    tier: 'code',
    wanted: 'qwen3-coder:30b',
    reason: 'no host has qwen3-coder:30b; no coder model on a healthy host; the largest general model',
  });
  assert.equal((await pool.chat(ask('small'), limits)).substitution, undefined, 'the wanted model is no substitute');
});

test('a host with only embedding models serves the embed tier and no generation tier', async (t) => {
  const { pool } = await cluster(t, [[mxbai]]);
  await pool.start();
  const tiers = byTier(pool.resolveAll());
  assert.deepEqual(
    Object.values(tiers)
      .filter((r) => r.model)
      .map((r) => `${r.tier}=${r.model}`),
    ['embed=mxbai-embed-large:latest'],
  );
  await assert.rejects(
    pool.chat(ask('small'), limits),
    (error: PoolError) =>
      error.code === 'NO_HEALTHY_HOST' &&
      /qwen3:4b nor any other generation model for the small tier/.test(error.message),
  );
  const embedded = await pool.embed(['a text'], {}, limits);
  assert.equal(embedded.model, 'mxbai-embed-large:latest');
  assert.equal(embedded.substitution?.wanted, 'nomic-embed-text:latest');
  await assert.rejects(
    pool.embed(['a text'], { model: 'nomic-embed-text' }, limits),
    (error: PoolError) => error.code === 'NO_HEALTHY_HOST',
    'a model asked for by name is never substituted',
  );
});

test('an explicitly configured tier model stays first; one no host has falls back with the reason', async (t) => {
  const { pool } = await cluster(t, [[qwen4b, llama8b, coder7b]], {
    tierModels: { code: 'llama3.1:8b', small: 'phi4-mini' },
  });
  await pool.start();
  const tiers = byTier(pool.resolveAll());
  assert.deepEqual([tiers.code!.model, tiers.code!.substituted], ['llama3.1:8b', false]);
  const result = await pool.chat(ask('code'), limits);
  assert.equal(result.model, 'llama3.1:8b');
  assert.equal(result.substitution, undefined);
  assert.deepEqual(
    [tiers.small!.wanted, tiers.small!.model, tiers.small!.substituted],
    ['phi4-mini:latest', 'qwen3:4b', true],
  );
  assert.match((await pool.chat(ask('small'), limits)).substitution?.reason ?? '', /no host has phi4-mini:latest/);
});

test('a host going down re-resolves the tier to what the others serve, and says so', async (t) => {
  const { pool, peers } = await cluster(t, [[coder7b], [qwen4b, llama8b]]);
  const events: TierResolution[][] = [];
  pool.on('tiers', (e) => events.push(e.tiers));
  await pool.start();
  assert.equal(events.length, 1, 'one announcement after the first probes');
  assert.deepEqual([byTier(events[0]!).code!.model, byTier(events[0]!).code!.hosts], ['qwen2.5-coder:7b', ['gpu1']]);
  await peers[0]!.stop();
  const result = await pool.chat(ask('code'), limits);
  assert.deepEqual([result.host, result.model], ['gpu2', 'llama3.1:8b']);
  assert.deepEqual(result.attempts, [{ host: 'gpu1', code: 'HOST_UNREACHABLE' }]);
  assert.match(result.substitution?.reason ?? '', /no host has qwen3-coder:30b; no coder model on a healthy host/);
  await pool.checkLiveness();
  const code = byTier(pool.resolveAll()).code!;
  assert.deepEqual([code.model, code.hosts], ['llama3.1:8b', ['gpu2']]);
  assert.ok(
    events.some((tiers) => byTier(tiers).code!.model === 'llama3.1:8b'),
    'the change is announced',
  );
});
