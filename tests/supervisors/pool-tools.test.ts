// The pool through the MCP surface: completions with their execution block and ledger rows,
// getPoolStatus, and managePool's operations with their confirm rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, testSuite, textOf } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';

async function pooled(t: { after(fn: () => Promise<void>): void }, options: { claude?: boolean } = {}) {
  const peer = new OllamaPeer({ resident: ['qwen3:4b'], reply: () => '{"answer": "blue", "confidence": 0.9}' });
  await peer.start();
  let anthropic: AnthropicPeer | undefined;
  const env: Record<string, string> = { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` };
  if (options.claude) {
    anthropic = new AnthropicPeer({ apiKey: 'sk-ant-pool-test' });
    await anthropic.start();
    Object.assign(env, { ANTHROPIC_API_KEY: 'sk-ant-pool-test', ANTHROPIC_BASE_URL: anthropic.url });
  }
  const suite = await testSuite(t, { env });
  t.after(async () => {
    await suite.close();
    await peer.stop();
    await anthropic?.stop();
  });
  return { suite, peer, anthropic };
}

test('a completion through runTool reports model, tokens, cost and saving in the execution block and the ledger', async (t) => {
  const { suite } = await pooled(t);
  const client = await connectClient(t, suite);
  const result = await client.callTool({
    name: 'runTool',
    arguments: { name: 'infrastructure_run_completion', arguments: { prompt: 'what colour is the sky', json: true } },
  });
  assert.equal(result.isError, undefined, textOf(result));
  const structured = result.structuredContent as {
    result: { confidence: number; answeredBy: { model: string; host: string } };
    execution: {
      llm: {
        backend: string;
        model: string;
        inputTokens: number;
        outputTokens: number;
        baselineCostUsd: number;
        savingUsd: number;
      }[];
    };
  };
  assert.deepEqual(
    [structured.result.answeredBy.model, structured.result.answeredBy.host, structured.result.confidence],
    ['qwen3:4b', 'gpu1', 0.9],
  );
  assert.equal(structured.execution.llm.length, 1);
  const step = structured.execution.llm[0]!;
  assert.equal(step.backend, 'ollama');
  assert.ok(step.inputTokens > 0 && step.outputTokens === 4);
  assert.ok(step.baselineCostUsd > 0 && step.savingUsd === step.baselineCostUsd);
  const report = await client.callTool({ name: 'getCostReport', arguments: { groupBy: 'tool' } });
  const totals = report.structuredContent as {
    totals: { calls: number; inputTokens: number };
    groups: { key: string }[];
  };
  assert.equal(totals.totals.calls, 1);
  assert.equal(totals.totals.inputTokens, step.inputTokens);
  assert.equal(totals.groups[0]!.key, 'infrastructure_run_completion');
});

test('with no host and no key, a completion says what is missing instead of failing obscurely', async (t) => {
  const suite = await testSuite(t);
  const result = await suite.dispatcher.call('runTool', {
    name: 'infrastructure_run_completion',
    arguments: { prompt: 'hi' },
  });
  assert.equal(result.isError, true);
  assert.equal(result.errorCode, 'NOT_CONFIGURED');
  assert.match(result.text, /No Ollama host and no Claude key are configured/);
});

test('getPoolStatus shows health, resident models with VRAM, queues and breakers', async (t) => {
  const { suite } = await pooled(t);
  const result = await suite.dispatcher.call('getPoolStatus', { probe: true });
  assert.equal(result.isError, false, result.text);
  const status = result.structuredContent as {
    mode: string;
    hosts: {
      name: string;
      health: string;
      resident: { name: string; vramBytes: number }[];
      breaker: string;
      queued: number;
    }[];
  };
  assert.equal(status.mode, 'local-only');
  const host = status.hosts[0]!;
  assert.deepEqual([host.name, host.health, host.breaker, host.queued], ['gpu1', 'healthy', 'closed', 0]);
  assert.ok(host.resident.some((r) => r.name === 'qwen3:4b' && r.vramBytes > 0));
});

test('managePool: disable and unload need confirm; pull reports progress; each changes the pool', async (t) => {
  const { suite, peer } = await pooled(t);
  const client = await connectClient(t, suite);
  const refused = await client.callTool({ name: 'managePool', arguments: { operation: 'disable', host: 'gpu1' } });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /^confirm: disable is destructive/);
  const missing = await client.callTool({ name: 'managePool', arguments: { operation: 'pull', host: 'gpu1' } });
  assert.match(textOf(missing), /^model: pull needs a model/);
  const unknownHost = await client.callTool({ name: 'managePool', arguments: { operation: 'enable', host: 'gpu9' } });
  assert.match(textOf(unknownHost), /host: no Ollama host named "gpu9"; configured hosts: gpu1/);

  await client.callTool({ name: 'managePool', arguments: { operation: 'disable', host: 'gpu1', confirm: true } });
  assert.equal(suite.pool.status().hosts[0]!.enabled, false);
  await client.callTool({ name: 'managePool', arguments: { operation: 'enable', host: 'gpu1' } });
  assert.equal(suite.pool.status().hosts[0]!.enabled, true);

  const progress: number[] = [];
  const pulled = await client.callTool(
    { name: 'managePool', arguments: { operation: 'pull', host: 'gpu1', model: 'phi4-mini' } },
    undefined,
    { onprogress: (p) => progress.push(p.progress) },
  );
  assert.equal(pulled.isError, undefined, textOf(pulled));
  assert.ok(progress.length >= 2, `progress: ${progress.join(',')}`);
  assert.ok(suite.pool.status().hosts[0]!.models.includes('phi4-mini:latest'), 're-probed after the pull');

  await client.callTool({
    name: 'managePool',
    arguments: { operation: 'unload', host: 'gpu1', model: 'qwen3:4b', confirm: true },
  });
  assert.equal(peer.resident.has('qwen3:4b'), false);
  assert.ok(!suite.pool.status().hosts[0]!.resident.some((r) => r.name === 'qwen3:4b'));
});

test('a per-supervisor threshold sends work to Claude that the default would keep local', async (t) => {
  const { suite } = await pooled(t, { claude: true });
  const keep = await suite.dispatcher.call('runTool', {
    name: 'infrastructure_run_completion',
    arguments: { prompt: 'q' },
  });
  assert.equal((keep.structuredContent as any).result.answeredBy.backend, 'ollama', 'unverified 0.8 ≥ 0.75');
  suite.environment.thresholds.supervisors.suite = 0.9;
  const escalated = await suite.dispatcher.call('runTool', {
    name: 'infrastructure_run_completion',
    arguments: { prompt: 'q' },
  });
  assert.equal((escalated.structuredContent as any).result.answeredBy.backend, 'claude');
  const llm = (escalated.structuredContent as any).execution.llm as { backend: string; costUsd: number }[];
  assert.equal(llm.at(-1)!.backend, 'claude');
  assert.ok(llm.at(-1)!.costUsd > 0);
});

test('getPoolStatus reports a host that died while idle as down within 2 s, with one log line and no ledger row', async (t) => {
  const { suite, peer } = await pooled(t);
  await suite.pool.start();
  const health = async () =>
    ((await suite.dispatcher.call('getPoolStatus', {})).structuredContent as { hosts: { health: string }[] }).hosts[0]!
      .health;
  assert.equal(await health(), 'healthy');
  const killed = performance.now();
  await peer.stop();
  while ((await health()) !== 'down' && performance.now() - killed < 5000) await new Promise((r) => setTimeout(r, 10));
  const detectedMs = performance.now() - killed;
  assert.ok(detectedMs <= 2000, `getPoolStatus said down after ${detectedMs.toFixed(0)} ms`);
  await new Promise((r) => setTimeout(r, 2200)); // two more failed checks
  // Everything but the getPoolStatus calls of this test and the tier lines (checked below).
  const poolLines = suite.log.entries.filter((e) => e.event !== 'tool_completed' && !/^tier_/.test(String(e.event)));
  assert.deepEqual(
    poolLines.map((e) => e.event),
    ['host_up', 'host_down'],
    'one line when the host goes down, none per check',
  );
  const tiers = ['micro', 'small', 'full', 'large', 'code', 'embed'];
  assert.deepEqual(
    suite.log.entries.filter((e) => /^tier_/.test(String(e.event))).map((e) => `${e.event} ${e.tier}`),
    [...tiers.map((tier) => `tier_resolved ${tier}`), ...tiers.map((tier) => `tier_unserved ${tier}`)],
    'each tier once at start-up and once when its only host went down, none per check',
  );
  const report = await suite.dispatcher.call('getCostReport', {});
  assert.equal((report.structuredContent as { totals: { calls: number } }).totals.calls, 0, 'checks are not billed');
});
