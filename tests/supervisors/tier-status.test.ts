// Tiers as a user sees them: getPoolStatus and getSystemStatus (what `caelum doctor` prints) list
// each tier with its model and hosts, the substitutes and what they replace, and the tiers nothing
// serves with the model to pull; a completion on a substituted tier says so in its execution block.
import { test } from 'node:test';
import { tierFix } from '../../tools/infrastructure/pool-tools.js';
import assert from 'node:assert/strict';
import { testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

const general = [
  { name: 'llama3.1:8b', sizeBytes: 4_920_753_328, parameterSize: '8.0B', family: 'llama' },
  { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' },
];

async function generalOnly(t: { after(fn: () => Promise<void>): void }, env: Record<string, string> = {}) {
  const peer = new OllamaPeer({ models: general, reply: () => 'pong' });
  await peer.start();
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}`, ...env } });
  t.after(async () => {
    await suite.close();
    await peer.stop();
  });
  return { suite, peer };
}

test('getPoolStatus shows each tier, its model and hosts, the substitutes, and the tiers nothing serves', async (t) => {
  const { suite } = await generalOnly(t);
  const result = await suite.dispatcher.call('getPoolStatus', { probe: true });
  assert.equal(result.isError, false, result.text);
  const lines = result.text.split('\n').filter((line) => line.startsWith('  tier '));
  assert.deepEqual(lines, [
    '  tier micro: qwen3:4b on gpu1 (in place of gemma3:1b: nothing in the micro band (0-2.5B); nearest size)',
    '  tier small: qwen3:4b on gpu1',
    '  tier full: llama3.1:8b on gpu1',
    '  tier large: llama3.1:8b on gpu1 (in place of qwen3:30b: nothing in the large band (15B and up); nearest size)',
    '  tier code: llama3.1:8b on gpu1 (in place of qwen3-coder:30b: no coder model on a healthy host; the largest general model)',
    '  tier embed: NOT SERVED: no embedding model on a healthy host; fix: ollama pull nomic-embed-text on a host, or set tierModels.embed to a model a host has',
  ]);
  const tiers = (result.structuredContent as { tiers: { tier: string; model?: string; hosts: string[] }[] }).tiers;
  assert.deepEqual(
    tiers.map((tier) => [tier.tier, tier.model ?? null, tier.hosts]),
    [
      ['micro', 'qwen3:4b', ['gpu1']],
      ['small', 'qwen3:4b', ['gpu1']],
      ['full', 'llama3.1:8b', ['gpu1']],
      ['large', 'llama3.1:8b', ['gpu1']],
      ['code', 'llama3.1:8b', ['gpu1']],
      ['embed', null, []],
    ],
  );
});

test('getSystemStatus, which doctor prints, lists the tiers and reports the unserved one as a warning with its fix', async (t) => {
  const { suite } = await generalOnly(t);
  await suite.pool.reprobe();
  const result = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 2000 });
  assert.equal(result.isError, false, result.text);
  assert.match(result.text, /Model tiers:\n {2}tier micro: qwen3:4b on gpu1/);
  assert.match(result.text, /tier code: llama3\.1:8b on gpu1 \(in place of qwen3-coder:30b/);
  const report = result.structuredContent as {
    missing: { severity: string; what: string; fix: string }[];
    pool: { tiers: { tier: string }[] };
  };
  assert.equal(report.pool.tiers.length, 6);
  const unserved = report.missing.filter((m) => /tier/.test(m.what));
  assert.deepEqual(unserved, [
    {
      severity: 'warning',
      what: 'no healthy Ollama host serves the embed tier (no embedding model on a healthy host)',
      impact: 'embeddings through Ollama fail (the ONNX and lexical embedders do not need a host)',
      fix: 'ollama pull nomic-embed-text on a host, or set tierModels.embed to a model a host has',
    },
  ]);
});

test('a completion on a tier served by a substitute names the wanted model and why in the execution block', async (t) => {
  const { suite, peer } = await generalOnly(t);
  const result = await suite.dispatcher.call('runTool', {
    name: 'infrastructure_run_completion',
    arguments: { prompt: 'ping', tier: 'code' },
  });
  assert.equal(result.isError, false, result.text);
  const { execution } = result.structuredContent as {
    execution: { llm: { model: string; host?: string; substitution?: object }[] };
  };
  assert.deepEqual(
    execution.llm.map((step) => [step.model, step.host, step.substitution]),
    [
      [
        'llama3.1:8b',
        'gpu1',
        {
          tier: 'code',
          wanted: 'qwen3-coder:30b',
          reason: 'no host has qwen3-coder:30b; no coder model on a healthy host; the largest general model',
        },
      ],
    ],
    'one call: the large tier resolves to the same model and is not asked again',
  );
  assert.equal(peer.requests.filter((r) => r.path === '/api/chat').length, 1);
});

test('a tier model set in the configuration is used and is no substitution', async (t) => {
  const peer = new OllamaPeer({ models: general, reply: () => 'pong' });
  await peer.start();
  const suite = await testSuite(t, {
    env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` },
    files: { 'caelum.config.json': JSON.stringify({ tierModels: { code: 'qwen3:4b' } }) },
  });
  t.after(async () => {
    await suite.close();
    await peer.stop();
  });
  const result = await suite.dispatcher.call('getPoolStatus', { probe: true });
  assert.match(result.text, /^ {2}tier code: qwen3:4b on gpu1$/m);
});

test('a per-host tier model for one tier is a valid configuration', async (t) => {
  const suite = await testSuite(t, {
    files: {
      'caelum.config.json': JSON.stringify({
        ollamaHosts: [{ name: 'edge', url: 'http://127.0.0.1:9', tierModels: { small: 'phi4-mini' } }],
      }),
    },
  });
  t.after(() => suite.close());
  assert.deepEqual(suite.config.ollamaHosts[0]!.tierModels, { small: 'phi4-mini' });
});

test('a tier not yet probed is told to wait, not to pull a model it may already have', () => {
  const row = { tier: 'small' as const, wanted: 'qwen3:4b', hosts: [], substituted: false };
  assert.equal(
    tierFix({ ...row, note: 'the hosts are still being probed' }),
    'wait a moment for the first probe (or managePool reprobe)',
  );
  assert.match(tierFix({ ...row, note: 'no model on a healthy host' }), /^fix: ollama pull qwen3:4b on a host/);
});
