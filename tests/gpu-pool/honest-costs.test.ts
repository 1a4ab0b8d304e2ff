// The cost figures an agent is told, checked to the cent against the loopback Ollama and Claude
// peers: each call outcome (accepted locally, escalated to a larger tier, escalated to Claude,
// failed with an answer, failed with none), local compute priced from power draw, and the
// aggregates of getCostReport recomputed here from the peers' token counts and the recorded
// model time. Also: logprobs as a confidence signal, the SDK's warnings routed to the logger, and
// retired models reported by getSystemStatus and at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { priceCall, type TokenUsage } from '../../gpu-pool/prices.js';
import type { LedgerRow } from '../../gpu-pool/ledger.js';
import { connectClient, testSuite, textOf, type TestSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';

const at = new Date();
const wattsToUsdPerHour = (1_000_000 / 1000) * 0.36; // 1 MW at $0.36/kWh: $360 an hour, so model time shows in cents

/** Replies by scenario word in the prompt: how each model answers decides the call's outcome. */
function localReply(prompt: string, model: string): string {
  if (prompt.includes('alpha')) return '{"answer": "a", "confidence": 0.9}';
  if (prompt.includes('beta')) return model === 'qwen3:4b' ? 'I think it is b' : '{"answer": "b", "confidence": 0.85}';
  if (prompt.includes('gamma')) return '{"answer": "maybe", "confidence": 0.3}';
  return 'no JSON here at all';
}

async function rig(
  t: { after(fn: () => Promise<void>): void },
  options: { claude: boolean; localCost: boolean; logprob?: (token: string) => number },
) {
  const peer = new OllamaPeer({
    reply: localReply,
    latencyMs: 40,
    models: [
      { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4.0B', family: 'qwen3' },
      { name: 'llama3.1:8b', sizeBytes: 5, parameterSize: '8.0B', family: 'llama' },
    ],
    ...(options.logprob ? { logprob: options.logprob } : {}),
  });
  await peer.start();
  const env: Record<string, string> = { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` };
  if (options.localCost) Object.assign(env, { CAELUM_LOCAL_WATTS: '1000000', CAELUM_LOCAL_USD_PER_KWH: '0.36' });
  let anthropic: AnthropicPeer | undefined;
  if (options.claude) {
    anthropic = new AnthropicPeer({
      apiKey: 'sk-ant-honest',
      usage: { cacheCreation5m: 100, cacheRead: 400 },
      reply: (prompt) => (prompt.includes('delta') ? 'I cannot say' : '{"answer": "from claude", "confidence": 0.95}'),
    });
    await anthropic.start();
    Object.assign(env, { ANTHROPIC_API_KEY: 'sk-ant-honest', ANTHROPIC_BASE_URL: anthropic.url });
  }
  const suite = await testSuite(t, { env });
  await suite.pool.reprobe();
  const client = await connectClient(t, suite);
  t.after(async () => {
    await suite.close();
    await peer.stop();
    await anthropic?.stop();
  });
  return { suite, client, peer, anthropic };
}

interface Completion {
  isError: boolean;
  text: string;
  result: { outcome: string; reason?: string; costUsd: number; baselineCostUsd: number; savingUsd: number };
  llm: { outcome: string; reason?: string; savingUsd: number; call?: { outcome: string } }[];
}

async function complete(client: Client, prompt: string): Promise<Completion> {
  const reply = await client.callTool({
    name: 'runTool',
    arguments: { name: 'infrastructure_run_completion', arguments: { prompt, json: true, tier: 'small' } },
  });
  const structured = reply.structuredContent as
    { result: Completion['result']; execution: { llm: Completion['llm'] } } | undefined;
  return {
    isError: reply.isError === true,
    text: textOf(reply),
    result: structured?.result as Completion['result'],
    llm: structured?.execution.llm ?? [],
  };
}

async function ledgerRows(suite: TestSuite): Promise<LedgerRow[]> {
  const dir = path.join(suite.dataDir, 'ledger');
  const rows: LedgerRow[] = [];
  for (const file of await readdir(dir))
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n').filter(Boolean))
      rows.push(JSON.parse(line) as LedgerRow);
  return rows;
}

const cents = (usd: number) => Math.round(usd * 100);
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);

test('each call outcome books its real cost, and a saving only for an accepted local answer', async (t) => {
  const { suite, client } = await rig(t, { claude: true, localCost: true });

  const alpha = await complete(client, 'question alpha');
  assert.equal(alpha.isError, false, alpha.text);
  assert.equal(alpha.result.outcome, 'accepted_local');
  const beta = await complete(client, 'question beta');
  assert.equal(beta.result.outcome, 'escalated');
  assert.match(beta.result.reason ?? '', /not JSON/, 'the escalation says why the first tier was rejected');
  const gamma = await complete(client, 'question gamma');
  assert.equal(gamma.result.outcome, 'escalated');
  assert.match(gamma.result.reason ?? '', /below the confidence threshold \(0\.3 < 0\.75\)/);
  const delta = await complete(client, 'question delta');
  assert.equal(delta.result.outcome, 'failed');
  assert.equal(delta.result.savingUsd, 0);
  assert.match(delta.text, /failed: .*not JSON/);
  const rows = await ledgerRows(suite);
  const calls = rows.filter((r) => r.call);
  assert.deepEqual(
    calls.map((r) => [r.call!.outcome, r.call!.answeredBy ?? '-', r.call!.attempts]),
    [
      ['accepted_local', 'ollama', 1],
      ['escalated', 'ollama', 2],
      ['escalated', 'claude', 3],
      ['failed', '-', 3],
    ],
  );
  // Recompute every figure from the raw attempts: tokens from the peers, model time as recorded.
  const rate = wattsToUsdPerHour / 3_600_000;
  let localUsd = 0;
  let claudeUsd = 0;
  for (const row of rows) {
    if (row.backend === 'ollama') {
      assert.deepEqual(row.localRate, { basis: 'power', usdPerHour: wattsToUsdPerHour });
      close(row.costUsd, row.latencyMs * rate, 'local cost is model time × watts × $/kWh');
      assert.ok(row.latencyMs >= 40, 'the peer took at least its scripted 40 ms');
      localUsd += row.costUsd;
    } else {
      const usage: TokenUsage = {
        inputTokens: row.inputTokens - 500,
        outputTokens: row.outputTokens,
        cacheWrite5mTokens: 100,
        cacheReadTokens: 400,
      };
      const price = priceCall('claude-sonnet-5-5', usage, at);
      assert.ok(price.known);
      close(row.costUsd, price.usd, 'Claude cost from the dated price table');
      claudeUsd += row.costUsd;
    }
    assert.equal(row.priceTable, 'prices-2026-11-22+lifecycle-2026-12-02');
  }
  const baselineOf = (row: LedgerRow) => {
    const usage =
      row.backend === 'claude'
        ? {
            inputTokens: row.inputTokens - 500,
            outputTokens: row.outputTokens,
            cacheWrite5mTokens: 100,
            cacheReadTokens: 400,
          }
        : { inputTokens: row.inputTokens, outputTokens: row.outputTokens };
    const price = priceCall('claude-sonnet-5-5', usage, at);
    assert.ok(price.known);
    return price.usd;
  };
  const callCost = (row: LedgerRow) => rows.filter((r) => r.callId === row.callId).reduce((s, r) => s + r.costUsd, 0);
  const [a, b, g, d] = calls as [LedgerRow, LedgerRow, LedgerRow, LedgerRow];
  close(a.call!.savingUsd, baselineOf(a) - callCost(a), 'accepted locally: baseline − the call');
  close(b.call!.savingUsd, baselineOf(b) - callCost(b), 'escalated to a larger local tier: baseline − both attempts');
  assert.equal(g.call!.savingUsd, 0, 'answered by Claude: no saving');
  close(g.call!.costUsd, callCost(g), 'escalated to Claude: local attempts plus Claude');
  assert.equal(d.call!.baselineCostUsd, 0);
  assert.equal(d.call!.savingUsd, 0, 'failed: no saving');
  const expectedSaving = a.call!.savingUsd + b.call!.savingUsd;
  assert.ok(a.call!.savingUsd < baselineOf(a), 'local compute is subtracted, not assumed free');

  // The report, through the MCP client, to the cent; and its parts to the nanodollar.
  const reply = await client.callTool({ name: 'getCostReport', arguments: { groupBy: 'backend' } });
  const report = reply.structuredContent as {
    totals: { calls: number; attempts: number; costUsd: number; savingUsd: number; baselineCostUsd: number };
    breakdown: {
      outcomes: Record<string, number>;
      localSuccessRate: number;
      errorRate: number;
      localComputeUsd: number;
      claudeUsd: number;
      failedCallsCostUsd: number;
      escalationOverheadUsd: number;
      savingExcludingLocalUsd: number;
    };
    pricing: { note?: string; localCost: { basis: string } };
  };
  assert.deepEqual([report.totals.calls, report.totals.attempts], [4, rows.length]);
  assert.deepEqual(report.breakdown.outcomes, {
    acceptedLocal: 1,
    escalated: 2,
    escalatedAnsweredLocally: 1,
    escalatedAnsweredByClaude: 1,
    failed: 1,
    embeddings: 0,
  });
  assert.equal(report.breakdown.localSuccessRate, 2 / 4, 'alpha and beta of the four calls that tried local');
  assert.equal(report.breakdown.errorRate, 1 / 4);
  assert.equal(cents(report.totals.savingUsd), cents(expectedSaving));
  close(report.totals.savingUsd, expectedSaving, 'booked saving');
  close(report.breakdown.localComputeUsd, localUsd, 'local compute');
  close(report.breakdown.claudeUsd, claudeUsd, 'Claude');
  close(report.totals.costUsd, localUsd + claudeUsd, 'total cost');
  close(report.breakdown.savingExcludingLocalUsd, baselineOf(a) + baselineOf(b), 'saving with local compute at $0');
  close(report.breakdown.failedCallsCostUsd, callCost(d), 'failed calls');
  close(report.breakdown.escalationOverheadUsd, g.call!.localComputeUsd, 'local time spent before Claude answered');
  close(report.totals.baselineCostUsd, baselineOf(a) + baselineOf(b) + baselineOf(g), 'baseline of the answered calls');
  assert.equal(report.pricing.localCost.basis, 'power');
  assert.equal(report.pricing.note, undefined, 'local cost is configured: no note');
  assert.match(
    textOf(reply),
    /1 accepted locally, 2 escalated \(1 answered by a larger local tier, 1 by Claude\), 1 failed/,
  );
});

test('every attempt of a call that gets no answer is booked with its reason, and the call fails', async (t) => {
  const { suite, client, peer, anthropic } = await rig(t, { claude: true, localCost: false });
  peer.failNext({ kind: 'status', status: 500, message: 'CUDA error: out of memory' }, 10);
  anthropic!.failNext(529, 'overloaded_error', 'Overloaded');
  const failed = await complete(client, 'question epsilon');
  assert.equal(failed.isError, true);
  assert.match(failed.text, /host error \(HOST_ERROR\).*CUDA error: out of memory/);
  const rows = await ledgerRows(suite);
  assert.ok(rows.length >= 2, 'the local and the Claude attempt are in the ledger');
  for (const row of rows) {
    assert.equal(row.outcome, 'error');
    assert.ok(row.reason && row.reason.length > 10, `a specific reason: ${row.reason}`);
  }
  assert.equal(rows.filter((r) => r.call).length, 1);
  assert.equal(rows.find((r) => r.call)!.call!.outcome, 'failed');
});

test('answers that all fail validation: local success 0%, nothing saved, and $0 local compute is said', async (t) => {
  const { client } = await rig(t, { claude: false, localCost: false });
  for (let i = 0; i < 5; i++) {
    const call = await complete(client, `question delta ${i}`);
    assert.equal(call.result.outcome, 'failed');
    assert.ok(
      call.llm.every((s) => s.reason),
      `each step says why: ${JSON.stringify(call.llm)}`,
    );
    assert.match(call.llm[0]!.reason!, /^the answer is not JSON/);
  }
  const reply = await client.callTool({ name: 'getCostReport', arguments: {} });
  const report = reply.structuredContent as {
    totals: { savingUsd: number };
    breakdown: { localSuccessRate: number; errorRate: number; outcomes: { failed: number } };
    pricing: { note?: string };
  };
  assert.equal(report.breakdown.localSuccessRate, 0);
  assert.equal(report.breakdown.errorRate, 1);
  assert.equal(report.breakdown.outcomes.failed, 5);
  assert.equal(report.totals.savingUsd, 0);
  const text = textOf(reply);
  assert.match(text, /answered locally 0\.0% of the calls that tried a local host/);
  assert.match(text, /saved \$0\.0000 against an all-Claude baseline of \$0\.0000 for the answered calls/);
  assert.match(report.pricing.note ?? '', /local compute is priced at \$0.*localCost\.usdPerGpuHour/);
  assert.match(text, /note: local compute is priced at \$0/);
  const status = await client.callTool({ name: 'getSystemStatus', arguments: { timeoutMs: 500 } });
  assert.match(textOf(status), /\[info\] no local compute cost: local model time is priced at \$0/);
});

test('token logprobs from a host that returns them enter the confidence; an older host gives none', async (t) => {
  // exp(-0.05) ≈ 0.95 with self 0.9: mean 0.9256, accepted.
  const sure = await rig(t, { claude: false, localCost: false, logprob: () => -0.05 });
  const accepted = await complete(sure.client, 'question alpha');
  assert.equal(accepted.result.outcome, 'accepted_local');
  assert.equal(
    (accepted.llm[0] as unknown as { confidence: number }).confidence,
    Number(((0.9 + Math.exp(-0.05)) / 2).toFixed(4)),
  );
  const chat = sure.peer.requests.find((r) => r.path === '/api/chat')!;
  assert.equal((chat.body as { logprobs?: boolean }).logprobs, true, 'logprobs are asked for');
  // exp(-1) ≈ 0.37 with self 0.9: mean 0.63 < 0.75; the model was unsure of its tokens, so it escalates.
  const unsure = await rig(t, { claude: false, localCost: false, logprob: () => -1 });
  const escalated = await complete(unsure.client, 'question alpha');
  assert.equal(escalated.llm[0]!.outcome, 'rejected');
  assert.match(escalated.llm[0]!.reason!, /below the confidence threshold \(0\.634 < 0\.75\)/);
  // A host without logprob support: the self-rating alone.
  const older = await rig(t, { claude: false, localCost: false });
  const plain = await complete(older.client, 'question alpha');
  assert.equal((plain.llm[0] as unknown as { confidence: number }).confidence, 0.9);
});

test("the Claude SDK's deprecation warning goes to the logger once per model, never to the console", async (t) => {
  const anthropic = new AnthropicPeer({ apiKey: 'sk-ant-old', reply: () => 'fine' });
  await anthropic.start();
  const suite = await testSuite(t, {
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-old',
      ANTHROPIC_BASE_URL: anthropic.url,
      CAELUM_CLAUDE_MODEL: 'claude-sonnet-4-5',
    },
  });
  t.after(async () => {
    await suite.close();
    await anthropic.stop();
  });
  const printed: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => printed.push(args.join(' '));
  try {
    for (let i = 0; i < 3; i++) await suite.pool.complete({ prompt: `hello ${i}` });
  } finally {
    console.warn = original;
  }
  assert.deepEqual(printed, [], 'nothing reached the console');
  const warnings = suite.log.entries.filter((e) => e.event === 'claude_sdk_warning');
  assert.equal(warnings.length, 1, 'once per model');
  assert.match(String(warnings[0]!.message), /claude-sonnet-4-5.*deprecated.*end-of-life/s);
  const notice = suite.log.entries.find((e) => e.event === 'claude_model_notice' && e.role === 'escalation');
  assert.ok(notice, 'start-up says the configured model is past its date');
  assert.match(String(notice.message), /end-of-life on 2026-11-30/);

  const status = await suite.dispatcher.call('getSystemStatus', { timeoutMs: 500 });
  const missing = (status.structuredContent as { missing: { severity: string; what: string; fix: string }[] }).missing;
  const retired = missing.find((m) => /claude-sonnet-4-5/.test(m.what));
  assert.ok(retired, status.text);
  assert.equal(retired.severity, 'error');
  assert.match(retired.fix, /claude-sonnet-5-5/);
});

test('the default escalation and baseline model is current and priced', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  assert.equal(suite.config.claude.model, 'claude-sonnet-5-5');
  assert.equal(suite.config.claude.baselineModel, 'claude-sonnet-5-5');
  assert.ok(priceCall('claude-sonnet-5-5', { inputTokens: 1, outputTokens: 1 }, at).known);
  assert.equal(
    suite.log.entries.filter((e) => e.event === 'claude_model_notice').length,
    0,
    'no notice for the defaults',
  );
});
