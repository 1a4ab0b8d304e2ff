// The daily Claude budget: reservations at each call's upper bound, so that concurrent calls pass
// the budget by at most one call; the bound itself against what a loopback Claude bills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Cascade } from '../../gpu-pool/cascade.js';
import { ClaudeBackend } from '../../gpu-pool/claude-backend.js';
import { claudeCostBound, LocalClaudeBudget } from '../../gpu-pool/claude-budget.js';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { priceCall } from '../../gpu-pool/prices.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import { tempDir } from '../helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a reservation is granted while spent plus reserved is under the budget, and settled with the real cost', async () => {
  const budget = new LocalClaudeBudget(() => Promise.resolve(0.2));
  const a = await budget.reserve(0.5, 1, 60_000);
  assert.equal(a.granted, true, "0.2 spent before today's first call");
  const b = await budget.reserve(0.5, 1, 60_000);
  assert.equal(b.granted, true, '0.2 + 0.5 reserved < 1');
  const c = await budget.reserve(0.5, 1, 60_000);
  assert.deepEqual(c, { granted: false, day: (c as { day: string }).day, committedUsd: 1.2 });
  if (!a.granted || !b.granted) return;
  await budget.settle(a, 0.1);
  await budget.settle(b, 0.1);
  const d = await budget.reserve(0.5, 1, 60_000);
  assert.equal(d.granted, true, '0.4 spent, nothing reserved');
  // A second settle of the same grant books nothing.
  await budget.settle(a, 5);
  const e = await budget.reserve(0.1, 1, 60_000);
  assert.equal(e.granted, true, '0.4 spent + 0.5 reserved < 1');
});

test('a reservation never settled counts as spent at its bound once it expires', async () => {
  const budget = new LocalClaudeBudget(() => Promise.resolve(0));
  const lost = await budget.reserve(0.7, 1, 5);
  assert.equal(lost.granted, true);
  await sleep(20);
  const next = await budget.reserve(0.2, 1, 60_000);
  assert.equal(next.granted, true, '0.7 spent');
  assert.equal((await budget.reserve(0.2, 1, 60_000)).granted, true, '0.7 spent + 0.2 reserved is under 1');
  const refused = await budget.reserve(0.2, 1, 60_000);
  assert.deepEqual(refused.granted ? 'granted' : Number(refused.committedUsd.toFixed(2)), 1.1);
});

test('a new UTC day starts from what the ledger holds for it', async () => {
  let now = new Date('2026-12-01T23:59:00Z');
  const seeded: string[] = [];
  const budget = new LocalClaudeBudget(
    (day) => {
      seeded.push(day);
      return Promise.resolve(day === '2026-12-01' ? 0.95 : 0);
    },
    () => now,
  );
  assert.equal((await budget.reserve(0.1, 1, 60_000)).granted, true);
  assert.equal((await budget.reserve(0.1, 1, 60_000)).granted, false);
  now = new Date('2026-12-02T00:00:01Z');
  assert.equal((await budget.reserve(0.1, 1, 60_000)).granted, true);
  assert.deepEqual(seeded, ['2026-12-01', '2026-12-02']);
});

test('the bound is never under what Claude bills for the request', async (t) => {
  // Replies of up to 300 words: within max_tokens, as the API keeps them.
  const peer = new AnthropicPeer({ apiKey: 'k', reply: (prompt) => prompt.split(/\s+/).slice(0, 300).join(' ') });
  await peer.start();
  t.after(() => peer.stop());
  const claude = new ClaudeBackend({ apiKey: 'k', baseUrl: peer.url, model: 'claude-sonnet-5-5' });
  const at = new Date();
  for (const [system, text] of [
    ['', 'hi'],
    ['You are terse.', 'summarise: ' + 'the quick brown fox '.repeat(200)],
    ['', 'ünïcödé 漢字 テスト '.repeat(50)],
  ] as const) {
    const request = {
      ...(system ? { system } : {}),
      messages: [{ role: 'user' as const, content: text }],
      maxTokens: 2000,
    };
    const bound = claudeCostBound('claude-sonnet-5-5', request, at);
    const result = await claude.complete(request, { deadlineMs: 10_000 });
    const billed = priceCall(result.model, { inputTokens: result.inputTokens, outputTokens: result.outputTokens }, at);
    assert.ok(billed.known && billed.usd > 0);
    assert.ok(billed.usd <= bound, `billed ${billed.usd} over the bound ${bound}`);
  }
  // A model with no price is bounded at the dearest rates in the table, never left unbudgeted.
  const plain = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 100 };
  assert.ok(claudeCostBound('no-such-model', plain, at) >= claudeCostBound('claude-sonnet-5-5', plain, at));
});

test('twenty overlapping escalations pass the budget by at most one call, counted at the peer', async (t) => {
  const dir = await tempDir(t);
  const peer = new AnthropicPeer({ apiKey: 'k', latencyMs: 30, reply: (prompt) => `an answer to ${prompt}` });
  await peer.start();
  t.after(() => peer.stop());
  const budgetUsd = 0.0008;
  const cascade = new Cascade({
    ollama: undefined,
    claude: new ClaudeBackend({ apiKey: 'k', baseUrl: peer.url, model: 'claude-sonnet-5-5' }),
    ledger: new JsonlLedger(path.join(dir, 'ledger')),
    baselineModel: 'claude-sonnet-5-5',
    defaultThreshold: 0,
    claudeBudgetUsdPerDay: budgetUsd,
  });
  // Agents arriving 5 ms apart, each call taking 30 ms at the peer: several in flight at once.
  const outcomes = await Promise.allSettled(
    Array.from({ length: 20 }, async (_, i) => {
      await sleep(i * 5);
      return cascade.complete({ prompt: `question ${i} in a few words`, maxTokens: 20 });
    }),
  );
  const at = new Date();
  let spent = 0;
  let largest = 0;
  for (const sent of peer.sent.byRequestId.values()) {
    const priced = priceCall(sent.model, { inputTokens: sent.inputTokens, outputTokens: sent.outputTokens }, at);
    assert.ok(priced.known);
    spent += priced.usd;
    largest = Math.max(largest, priced.usd);
  }
  const answered = outcomes.filter((o) => o.status === 'fulfilled').length;
  assert.ok(answered >= 2 && answered < 20, `${answered} answered by Claude before the budget ran out`);
  assert.equal(peer.sent.requests, answered);
  assert.ok(spent <= budgetUsd + largest, `spent ${spent} against ${budgetUsd} (+ one call ${largest})`);
  const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
  assert.match(String(refused?.reason), /budget/);
});
