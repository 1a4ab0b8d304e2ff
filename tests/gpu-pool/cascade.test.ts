// The confidence cascade end to end: loopback Ollama hosts and a loopback Claude, the official
// clients, and the real JSONL ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import { Cascade } from '../../gpu-pool/cascade.js';
import { ClaudeBackend } from '../../gpu-pool/claude-backend.js';
import { combineConfidence, extractJson } from '../../gpu-pool/confidence.js';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { OllamaPool, type PoolEvents } from '../../gpu-pool/ollama-pool.js';
import { EventEmitter } from 'node:events';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { priceCall } from '../../gpu-pool/prices.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import { OllamaPeer, countTokens, type PeerModel } from '../peers/ollama-peer.js';
import { tempDir } from '../helpers.js';

const answerSchema = z.object({ answer: z.string(), confidence: z.number().min(0).max(1) });

async function rig(
  t: { after(fn: () => Promise<void>): void },
  options: {
    reply: (prompt: string, model: string) => string;
    claude?: boolean;
    claudeModel?: string;
    hosts?: number;
    budget?: number;
    models?: PeerModel[];
  },
) {
  const dir = await tempDir(t);
  const peers: OllamaPeer[] = [];
  for (let i = 0; i < (options.hosts ?? 1); i++) {
    const peer = new OllamaPeer({
      reply: options.reply,
      models: options.models ?? [
        { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' },
        { name: 'llama3.1:8b', sizeBytes: 5, parameterSize: '8B', family: 'llama' },
        { name: 'gemma3:1b', sizeBytes: 1, parameterSize: '1B', family: 'gemma3' },
      ],
    });
    await peer.start();
    peers.push(peer);
  }
  const pool =
    options.hosts === 0
      ? undefined
      : new OllamaPool({
          hosts: peers.map((p, i) => ({
            name: `gpu${i + 1}`,
            url: p.url,
            weight: 1,
            maxConcurrent: 4,
            tags: [],
            access: 'localhost' as const,
          })),
          random: () => 0,
        });
  await pool?.start();
  let anthropic: AnthropicPeer | undefined;
  if (options.claude) {
    anthropic = new AnthropicPeer({
      apiKey: 'sk-ant-k',
      usage: { cacheCreation5m: 1000, cacheRead: 4000 },
      reply: () => '{"answer":"from claude","confidence":0.95}',
    });
    await anthropic.start();
  }
  const ledger = new JsonlLedger(path.join(dir, 'ledger'));
  const warnings: string[] = [];
  const events = new EventEmitter<PoolEvents>();
  const cascade = new Cascade({
    events,
    ...(options.budget !== undefined ? { claudeBudgetUsdPerDay: options.budget } : {}),
    ollama: pool,
    claude: anthropic
      ? new ClaudeBackend({
          apiKey: 'sk-ant-k',
          baseUrl: anthropic.url,
          model: options.claudeModel ?? 'claude-sonnet-4-5',
        })
      : undefined,
    ledger,
    baselineModel: 'claude-sonnet-4-5',
    defaultThreshold: 0.75,
    clock: () => new Date('2026-11-20T12:00:00Z'),
    onWarning: (event) => warnings.push(event),
  });
  t.after(async () => {
    await pool?.close();
    await Promise.all(peers.map((p) => p.stop()));
    await anthropic?.stop();
  });
  return { cascade, ledger, peers, anthropic, warnings, dir, events };
}

test('the confidence formula: invalid is 0, signals are averaged, an unverified answer is 0.8', () => {
  assert.equal(combineConfidence({ validity: 0, self: 1 }), 0);
  assert.equal(combineConfidence({ validity: 1, self: 0.6, agreement: 1 }), 0.8);
  assert.equal(combineConfidence({ validity: 1 }), 0.8);
  assert.deepEqual(extractJson('Sure!\n```json\n{"a": 1}\n```'), { a: 1 });
  assert.deepEqual(extractJson('here: {"a": 2} done'), { a: 2 });
});

test("a confident local answer stays local; the ledger row has the peer's token counts and the saving", async (t) => {
  const { cascade, ledger } = await rig(t, { reply: () => '{"answer":"42","confidence":0.9}' });
  const result = await cascade.complete({
    prompt: 'what is six times seven',
    schema: answerSchema,
    tool: 'demo_tool',
    supervisor: 'development',
  });
  assert.deepEqual(result.value, { answer: '42', confidence: 0.9 });
  assert.deepEqual(
    [result.answeredBy.backend, result.answeredBy.model, result.lowConfidence, result.confidence],
    ['ollama', 'qwen3:4b', false, 0.9],
  );
  assert.equal(result.steps.length, 1);
  const step = result.steps[0]!;
  assert.equal(step.inputTokens, countTokens('what is six times seven'));
  assert.equal(step.outputTokens, 1);
  const baseline = priceCall(
    'claude-sonnet-4-5',
    { inputTokens: step.inputTokens, outputTokens: 1 },
    new Date('2026-11-20'),
  );
  assert.ok(baseline.known);
  assert.equal(step.costUsd, 0);
  assert.equal(step.baselineCostUsd, baseline.usd);
  assert.equal(step.savingUsd, baseline.usd);
  const summary = await new JsonlLedger(ledger.directory).summarize({ groupBy: 'tool' });
  assert.deepEqual([summary.totals.calls, summary.totals.inputTokens, summary.groups[0]!.key], [1, 5, 'demo_tool']);
});

test('an invalid answer escalates to the next local tier', async (t) => {
  const { cascade } = await rig(t, {
    reply: (_p, model) => (model === 'qwen3:4b' ? 'I think the answer is 42' : '{"answer":"42","confidence":0.85}'),
  });
  const result = await cascade.complete({ prompt: 'q', schema: answerSchema });
  assert.equal(result.answeredBy.model, 'llama3.1:8b');
  assert.deepEqual(
    result.steps.map((s) => [s.model, s.confidence]),
    [
      ['qwen3:4b', 0],
      ['llama3.1:8b', 0.85],
    ],
  );
});

test('low local confidence goes to Claude last; Claude usage with cache writes and reads is priced', async (t) => {
  const { cascade, ledger } = await rig(t, { reply: () => '{"answer":"maybe","confidence":0.3}', claude: true });
  const result = await cascade.complete({ prompt: 'hard question', schema: answerSchema, threshold: 0.75 });
  assert.equal(result.answeredBy.backend, 'claude');
  assert.deepEqual(result.value, { answer: 'from claude', confidence: 0.95 });
  assert.deepEqual(
    result.steps.filter((s) => s.sent).map((s) => s.backend),
    ['ollama', 'ollama', 'claude'],
    'small and full (no host has large), then Claude',
  );
  const claude = result.steps.at(-1)!;
  const expected = priceCall(
    'claude-sonnet-4-5',
    { inputTokens: 2, outputTokens: 2, cacheWrite5mTokens: 1000, cacheReadTokens: 4000 },
    new Date('2026-11-20'),
  );
  assert.ok(expected.known);
  assert.ok(Math.abs(claude.costUsd - expected.usd) < 1e-12);
  assert.equal(claude.priceVersion, 'claude-sonnet-4-5@2024-01-01');
  const summary = await ledger.summarize({ groupBy: 'backend' });
  assert.deepEqual([summary.totals.calls, summary.totals.attempts], [1, 3]);
  assert.equal(
    Math.round(summary.totals.costUsd * 100),
    Math.round(expected.usd * 100),
    'totals match the peers to the cent',
  );
});

test('without a Claude key the best local answer comes back marked lowConfidence, not an error', async (t) => {
  const { cascade } = await rig(t, {
    reply: (_p, model) =>
      model === 'qwen3:4b' ? '{"answer":"a","confidence":0.4}' : '{"answer":"b","confidence":0.6}',
  });
  const result = await cascade.complete({ prompt: 'q', schema: answerSchema });
  assert.equal(result.lowConfidence, true);
  assert.equal(result.value?.answer, 'b');
  assert.equal(result.confidence, 0.6);
});

test('k samples that agree raise confidence; the agreement share is a signal', async (t) => {
  const { cascade, peers } = await rig(t, { reply: () => '{"answer":"same","confidence":0.7}' });
  const result = await cascade.complete({ prompt: 'q', schema: answerSchema, samples: 3 });
  assert.equal(result.confidence, 0.85, 'mean of self 0.7 and agreement 1.0');
  assert.equal(peers[0]!.requests.filter((r) => r.path === '/api/chat').length, 3);
});

test('with no backend at all the error says so', async (t) => {
  const { cascade } = await rig(t, { reply: () => 'x', hosts: 0 });
  await assert.rejects(
    cascade.complete({ prompt: 'q' }),
    (e: PoolError) => e.code === 'NO_HEALTHY_HOST' && /No Ollama host and no Claude key/.test(e.message),
  );
});

test('a Claude model with no known price is flagged and warned about, never priced at $0 silently', async (t) => {
  const { cascade, warnings } = await rig(t, {
    reply: () => 'not json',
    claude: true,
    claudeModel: 'claude-mystery-9',
  });
  const result = await cascade.complete({ prompt: 'q', schema: answerSchema });
  const claude = result.steps.at(-1)!;
  assert.deepEqual(claude.flags, ['UNKNOWN_MODEL_PRICE']);
  assert.ok(warnings.includes('unknown_model_price'));
});

test('each escalation is an event naming the tiers, the confidence and the threshold', async (t) => {
  const { cascade, events } = await rig(t, { reply: () => '{"answer":"maybe","confidence":0.3}', claude: true });
  const seen: string[] = [];
  events.on('escalation', (e) => seen.push(`${e.from}->${e.to}@${e.confidence}/${e.threshold}`));
  await cascade.complete({ prompt: 'q', schema: answerSchema, tool: 'demo' });
  assert.deepEqual(seen, ['small->full@0.3/0.75', 'full->large@0.3/0.75']);
});

test('past the daily Claude budget, answers stay local, marked, and a budget event fires', async (t) => {
  const { cascade, events } = await rig(t, {
    reply: () => '{"answer":"local","confidence":0.3}',
    claude: true,
    budget: 0.001,
  });
  const budget: number[] = [];
  events.on('budget', (e) => budget.push(e.budgetUsd));
  const first = await cascade.complete({ prompt: 'q', schema: answerSchema });
  assert.equal(first.answeredBy.backend, 'claude', 'within budget: $0 spent so far');
  const second = await cascade.complete({ prompt: 'q', schema: answerSchema });
  assert.equal(second.answeredBy.backend, 'ollama');
  assert.equal(second.budgetExceeded, true);
  assert.equal(second.lowConfidence, true);
  assert.deepEqual(budget, [0.001]);
});

test('every failed or rejected step says why: schema issue with its path, timeout, refusal, no model, budget', async (t) => {
  // A host that serves only an embedding model: nothing can answer a chat, and the step says so.
  const embedOnly = await rig(t, {
    reply: () => '{}',
    models: [{ name: 'nomic-embed-text:latest', sizeBytes: 1, parameterSize: '137M', family: 'nomic-bert' }],
  });
  const none = await embedOnly.cascade.complete({ prompt: 'q' }).then(
    () => assert.fail('no model can answer'),
    (error: PoolError) => error,
  );
  assert.equal(none.code, 'NO_HEALTHY_HOST');
  assert.ok(none.steps?.length, 'the unsent steps travel with the error');
  for (const step of none.steps!) {
    assert.equal(step.sent, false);
    assert.match(step.reason!, /^no healthy host serves the tier: /);
  }

  // A schema issue names the field.
  const { cascade } = await rig(t, { reply: () => '{"answer": 42, "confidence": 0.9}' });
  const small = await cascade.complete({ prompt: 'q', schema: answerSchema, tier: 'full' });
  assert.equal(small.call.outcome, 'failed');
  assert.match(small.steps[0]!.reason!, /^schema: answer: .*expected string/);
  assert.match(small.call.reason!, /^schema: answer/);

  // A host that never answers: a timeout, by name.
  const stalled = await rig(t, { reply: () => '{}' });
  stalled.peers[0]!.failNext({ kind: 'stall' }, 5);
  const timedOut = await stalled.cascade.complete({ prompt: 'q', tier: 'full', deadlineMs: 300 }).then(
    () => assert.fail('a stalled host cannot answer'),
    (error: PoolError) => error,
  );
  assert.ok(
    timedOut.steps?.some((s) => s.sent && /^timeout: /.test(s.reason ?? '')),
    JSON.stringify(timedOut.steps?.map((s) => s.reason)),
  );

  // Claude declining: a refusal, not an empty reason.
  const anthropic = new AnthropicPeer({ apiKey: 'k', reply: () => '', stopReason: () => 'refusal' });
  await anthropic.start();
  t.after(() => anthropic.stop());
  const refusing = new Cascade({
    ollama: undefined,
    claude: new ClaudeBackend({ apiKey: 'k', baseUrl: anthropic.url, model: 'claude-sonnet-5-5' }),
    ledger: new JsonlLedger(path.join(stalled.dir, 'refusal-ledger')),
    baselineModel: 'claude-sonnet-5-5',
    defaultThreshold: 0.75,
  });
  const refused = await refusing.complete({ prompt: 'q' });
  assert.equal(refused.call.outcome, 'failed');
  assert.equal(refused.steps[0]!.reason, 'refusal: Claude declined to answer');

  // The day's Claude budget spent: the best local answer, and the budget named.
  const budget = await rig(t, { reply: () => '{"answer":"local","confidence":0.3}', claude: true, budget: 0 });
  const kept = await budget.cascade.complete({ prompt: 'q', schema: answerSchema });
  assert.equal(kept.budgetExceeded, true);
  assert.equal(kept.call.outcome, 'failed');
  assert.ok(
    kept.steps.some((s) => /^budget: the Claude budget of \$0/.test(s.reason ?? '')),
    JSON.stringify(kept.steps.map((s) => s.reason)),
  );
  for (const result of [small, refused, kept])
    for (const step of result.steps)
      if (step.outcome !== 'accepted') assert.ok(step.reason && step.reason.trim().length > 0, 'no empty reason');
});
