// findTools' optional rerank: a small model behind a loopback Ollama host reorders the top
// candidates, its LLM step shows in the execution block, and without a host or with a bad answer the
// keyword order stands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testSuite } from '../helpers.js';
import { OllamaPeer } from '../peers/ollama-peer.js';

interface Found {
  rerank?: string;
  results: { name: string }[];
  execution: { llm: { backend: string; model: string; host?: string }[] };
}

/** A suite whose one Ollama host answers with the tool name `answer` picks from the listed candidates. */
async function suiteWithModel(t: Parameters<typeof testSuite>[0], answer: (tools: string[]) => string) {
  const peer = new OllamaPeer({
    models: [{ name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' }],
    reply: (prompt) => {
      const tools = [...prompt.matchAll(/^\d+\. ([a-z0-9_]+):/gm)].map((m) => m[1]!);
      return JSON.stringify({ best: answer(tools) });
    },
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await testSuite(t, { env: { CAELUM_OLLAMA_HOSTS: `gpu1=${peer.url}` } });
  t.after(() => suite.close());
  await suite.pool.reprobe();
  return { suite, peer };
}

const query = 'which functions are too complex to maintain';

test('rerank: the model moves its pick to the top, and its step is in the execution block', async (t) => {
  const { suite } = await suiteWithModel(t, (tools) => tools[2]!);
  const plain = (await suite.dispatcher.call('findTools', { query, limit: 5 })).structuredContent as unknown as Found;
  const keywordOrder = plain.results.map((r) => r.name);
  assert.equal(plain.rerank, undefined);
  assert.deepEqual(plain.execution.llm, [], 'no model call unless asked');
  const reranked = (await suite.dispatcher.call('findTools', { query, limit: 5, rerank: true }))
    .structuredContent as unknown as Found;
  const order = reranked.results.map((r) => r.name);
  assert.deepEqual(order, [keywordOrder[2], keywordOrder[0], keywordOrder[1], keywordOrder[3], keywordOrder[4]]);
  assert.match(reranked.rerank!, /^reranked the top 5 by qwen3:4b on gpu1: it chose \S+ \(was 3\)$/);
  assert.equal(reranked.execution.llm.length, 1);
  assert.equal(reranked.execution.llm[0]!.backend, 'ollama');
  assert.equal(reranked.execution.llm[0]!.model, 'qwen3:4b');
});

test('rerank: an answer that names no listed tool leaves the keyword order', async (t) => {
  const { suite } = await suiteWithModel(t, () => 'development_made_up_tool');
  const plain = (await suite.dispatcher.call('findTools', { query, limit: 5 })).structuredContent as unknown as Found;
  const reranked = (await suite.dispatcher.call('findTools', { query, limit: 5, rerank: true }))
    .structuredContent as unknown as Found;
  assert.deepEqual(
    reranked.results.map((r) => r.name),
    plain.results.map((r) => r.name),
  );
  assert.match(reranked.rerank!, /^not reranked: the model named no listed tool \("development_made_up_tool"\)$/);
});

test('rerank: without a model host it is skipped and says why', async (t) => {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const reranked = (await suite.dispatcher.call('findTools', { query, rerank: true }))
    .structuredContent as unknown as Found;
  assert.match(reranked.rerank!, /^not reranked: no local model host is available \(pool mode none\)$/);
  assert.equal(reranked.results[0]!.name, 'development_analyze_complexity');
  assert.deepEqual(reranked.execution.llm, []);
});
