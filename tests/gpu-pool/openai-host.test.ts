// The official `openai` client, through OpenAiHost, against a loopback server that speaks the
// OpenAI chat-completions API as vLLM does: discovery and tier ranking of vLLM's ids, chat
// (streamed and not) with usage, logprobs, tools, structured output, embeddings, every failure
// mode, and one pool that routes between an Ollama host and an OpenAI host into the real ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFile, readdir } from 'node:fs/promises';
import type { Message, Tool } from 'ollama';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { createModelPool } from '../../gpu-pool/model-pool.js';
import {
  OpenAiHost,
  familyFromId,
  parameterSizeFromId,
  retryAfterMs,
  toOpenAiMessages,
} from '../../gpu-pool/openai-host.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { modelKind, rankForTier } from '../../gpu-pool/tier-resolution.js';
import { fromOpenAiToolCalls } from '../../gpu-pool/tool-calls.js';
import { OllamaPeer, countTokens } from '../peers/ollama-peer.js';
import { OpenAiPeer, type OpenAiPeerOptions } from '../peers/openai-peer.js';
import { tempDir } from '../helpers.js';

async function setup(
  t: { after(fn: () => Promise<void>): void },
  options: OpenAiPeerOptions = {},
  hostOptions: { apiKey?: string; url?: (peerUrl: string) => string } = {},
) {
  const peer = new OpenAiPeer(options);
  await peer.start();
  const host = new OpenAiHost({
    name: 'vllm1',
    url: hostOptions.url ? hostOptions.url(peer.url) : peer.url,
    weight: 1,
    maxConcurrent: 4,
    tags: [],
    access: 'localhost',
    api: 'openai',
    ...(hostOptions.apiKey ? { apiKey: hostOptions.apiKey } : {}),
  });
  t.after(async () => {
    await host.close();
    await peer.stop();
  });
  return { peer, host };
}

const limits = { deadlineMs: 2000 };
const user = (content: string): Message => ({ role: 'user', content });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PoolError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PoolError, `expected PoolError, got ${error}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

test('discovery lists the served models as resident, with sizes and families read from vLLM ids', async (t) => {
  const { host, peer } = await setup(t, {
    version: '0.11.0',
    models: [
      { id: 'Qwen/Qwen3-4B', maxModelLen: 40_960 },
      { id: 'meta-llama/Llama-3.1-8B-Instruct' },
      { id: 'google/gemma-3-1b-it' },
      { id: 'Qwen/Qwen3-30B-A3B' },
      { id: 'Qwen/Qwen2.5-Coder-7B-Instruct' },
      { id: 'BAAI/bge-small-en-v1.5', embedding: true },
    ],
  });
  const found = await host.discover(limits);
  assert.equal(found.version, '0.11.0');
  assert.deepEqual(
    found.models.map((m) => [m.name, m.parameterSize, m.family, m.sizeBytes]),
    [
      ['Qwen/Qwen3-4B', '4B', 'qwen3', 0],
      ['meta-llama/Llama-3.1-8B-Instruct', '8B', 'llama', 0],
      ['google/gemma-3-1b-it', '1B', 'gemma', 0],
      ['Qwen/Qwen3-30B-A3B', '30B', 'qwen3', 0],
      ['Qwen/Qwen2.5-Coder-7B-Instruct', '7B', 'qwen2.5', 0],
      ['BAAI/bge-small-en-v1.5', '', 'bge', 0],
    ],
  );
  assert.deepEqual(
    found.resident.map((m) => [m.name, m.vramBytes]),
    found.models.map((m) => [m.name, 0]),
  );
  // The tiers rank them by the sizes read from the ids.
  assert.equal(rankForTier('micro', found.models)[0], 'google/gemma-3-1b-it');
  assert.equal(rankForTier('small', found.models)[0], 'Qwen/Qwen3-4B');
  assert.equal(rankForTier('full', found.models)[0], 'meta-llama/Llama-3.1-8B-Instruct');
  assert.equal(rankForTier('large', found.models)[0], 'Qwen/Qwen3-30B-A3B');
  assert.equal(rankForTier('code', found.models)[0], 'Qwen/Qwen2.5-Coder-7B-Instruct');
  assert.deepEqual(rankForTier('embed', found.models), ['BAAI/bge-small-en-v1.5']);
  assert.equal(modelKind(found.models[5]!), 'embed');

  // A server with no /version (LM Studio, llama.cpp) is discovered all the same.
  const { host: bare } = await setup(t);
  const plain = await bare.discover(limits);
  assert.equal(plain.version, undefined);
  assert.equal(plain.models.length, 3);
  assert.ok(peer.requests.some((r) => r.path === '/version'));
});

test('sizes and families come from ids of every common shape, and never from a version number', () => {
  const cases: [string, string, string][] = [
    ['Qwen/Qwen2.5-0.5B-Instruct', '0.5B', 'qwen2.5'],
    ['mistralai/Mixtral-8x7B-Instruct-v0.1', '56B', 'mixtral'],
    ['HuggingFaceTB/SmolLM2-360M-Instruct', '360M', 'smollm2'],
    ['microsoft/Phi-3-mini-4k-instruct', '', 'phi'],
    ['openai/gpt-oss-20b', '20B', 'gpt-oss'],
    ['qwen3:30b', '30B', 'qwen3'],
    ['unsloth/Llama-3.2-3B-Instruct-GGUF', '3B', 'llama'],
  ];
  for (const [id, size, family] of cases) {
    assert.equal(parameterSizeFromId(id), size, id);
    assert.equal(familyFromId(id), family, id);
  }
});

test('a non-streamed chat returns the content, usage, finish_reason and the served model id', async (t) => {
  const { host, peer } = await setup(t);
  const result = await host.chat(
    {
      model: 'Qwen/Qwen3-4B:latest', // as the pool names it: the ":latest" must not reach the server
      messages: [{ role: 'system', content: 'be brief' }, user('one two three')],
      options: { temperature: 0.2, num_predict: 2, top_p: 0.9, seed: 7, stop: ['\n'], num_ctx: 8192 },
    },
    limits,
  );
  assert.equal(result.content, 'three two ');
  assert.equal(result.model, 'Qwen/Qwen3-4B');
  assert.equal(result.host, 'vllm1');
  assert.equal(result.promptTokens, countTokens('be brief one two three'));
  assert.equal(result.outputTokens, 2);
  assert.equal(result.doneReason, 'length');
  assert.equal(result.logprobs, undefined);
  const sent = peer.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(sent.model, 'Qwen/Qwen3-4B');
  assert.equal(sent.max_tokens, 2);
  assert.equal(sent.temperature, 0.2);
  assert.equal(sent.top_p, 0.9);
  assert.equal(sent.seed, 7);
  assert.deepEqual(sent.stop, ['\n']);
  assert.equal(sent.num_ctx, undefined);
  assert.equal(sent.stream, false);
  assert.deepEqual(peer.tokensSent, { prompt: result.promptTokens, completion: 2 });
  assert.equal(peer.answered, 1);
});

test('a streamed chat delivers each delta as it comes and the usage from the final chunk', async (t) => {
  const { host, peer } = await setup(t, { chunkDelayMs: 5 });
  const tokens: string[] = [];
  const result = await host.chat(
    { model: 'Qwen/Qwen3-4B', messages: [user('alpha beta gamma delta')], onToken: (text) => tokens.push(text) },
    limits,
  );
  assert.deepEqual(tokens, ['delta ', 'gamma ', 'beta ', 'alpha']);
  assert.equal(result.content, 'delta gamma beta alpha');
  assert.equal(result.promptTokens, 4);
  assert.equal(result.outputTokens, 4);
  assert.equal(result.doneReason, 'stop');
  const sent = peer.requests.at(-1)!.body as Record<string, any>;
  assert.equal(sent.stream, true);
  assert.deepEqual(sent.stream_options, { include_usage: true });
  assert.deepEqual(peer.tokensSent, { prompt: 4, completion: 4 });
});

test('a stream with no usage leaves the prompt at 0 and counts output tokens by their logprobs', async (t) => {
  const { host } = await setup(t, { omitStreamUsage: true, logprob: () => -0.25 });
  const withLogprobs = await host.chat(
    { model: 'Qwen/Qwen3-4B', messages: [user('a b c')], logprobs: true, onToken: () => {} },
    limits,
  );
  assert.equal(withLogprobs.promptTokens, 0);
  assert.equal(withLogprobs.outputTokens, 3);
  const without = await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('a b c')], onToken: () => {} }, limits);
  assert.deepEqual([without.promptTokens, without.outputTokens], [0, 0]);
});

test('logprobs come back per token when asked, streamed or not, and not at all from a server that ignores them', async (t) => {
  const { host, peer } = await setup(t, { logprob: (_token, index) => -0.1 * (index + 1) });
  const plain = await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('x y z')], logprobs: true }, limits);
  assert.deepEqual(
    plain.logprobs?.map((v) => v.toFixed(1)),
    ['-0.1', '-0.2', '-0.3'],
  );
  assert.equal((peer.requests.at(-1)!.body as Record<string, unknown>).logprobs, true);
  const streamed = await host.chat(
    { model: 'Qwen/Qwen3-4B', messages: [user('x y z')], logprobs: true, onToken: () => {} },
    limits,
  );
  assert.deepEqual(streamed.logprobs, plain.logprobs);
  const { host: ignoring } = await setup(t);
  const none = await ignoring.chat({ model: 'Qwen/Qwen3-4B', messages: [user('x y z')], logprobs: true }, limits);
  assert.equal(none.logprobs, undefined);
});

test('tools round trip: Ollama-shaped tools and tool results go out as OpenAI calls with paired ids', async (t) => {
  const seen: any[][] = [];
  const { host, peer } = await setup(t, {
    toolTurn: (messages) => {
      seen.push(messages);
      const results = messages.filter((m) => m.role === 'tool');
      if (results.length === 0)
        return {
          toolCalls: [
            { name: 'get_price', arguments: { symbol: 'AAPL' } },
            { name: 'get_news', arguments: { symbol: 'AAPL', limit: 2 } },
          ],
        };
      return { content: `prices and news: ${results.map((r) => r.content).join(', ')}` };
    },
  });
  const tools: Tool[] = [
    {
      type: 'function',
      function: {
        name: 'get_price',
        description: 'Latest price',
        parameters: { type: 'object', properties: { symbol: { type: 'string' } }, required: ['symbol'] },
      },
    },
    {
      type: 'function',
      function: { name: 'get_news', description: 'Headlines', parameters: { type: 'object', properties: {} } },
    },
  ];
  const first = await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('AAPL?')], tools }, limits);
  assert.equal(first.doneReason, 'tool_calls');
  assert.deepEqual(
    first.toolCalls?.map((c) => [c.name, c.arguments]),
    [
      ['get_price', { symbol: 'AAPL' }],
      ['get_news', { symbol: 'AAPL', limit: 2 }],
    ],
  );
  assert.match(first.toolCalls![0]!.id, /^chatcmpl-tool-/);
  assert.deepEqual((peer.requests.at(-1)!.body as any).tools, tools);

  // The conversation continues in Ollama's shape; the results come back in another order than
  // the calls, and the peer refuses any tool_call_id that answers no call.
  const messages: Message[] = [
    user('AAPL?'),
    {
      role: 'assistant',
      content: '',
      tool_calls: first.toolCalls!.map((c) => ({ function: { name: c.name, arguments: c.arguments } })),
    },
    { role: 'tool', content: 'news: up', tool_name: 'get_news' } as Message,
    { role: 'tool', content: 'price: 200', tool_name: 'get_price' } as Message,
  ];
  const tokens: string[] = [];
  const second = await host.chat({ model: 'Qwen/Qwen3-4B', messages, tools, onToken: (x) => tokens.push(x) }, limits);
  assert.equal(second.content, 'prices and news: news: up, price: 200');
  assert.equal(second.toolCalls, undefined);
  const wire = seen.at(-1)!;
  assert.equal(wire[1].content, null);
  assert.deepEqual(
    wire[1].tool_calls.map((c: any) => [c.id, c.function.name, JSON.parse(c.function.arguments)]),
    [
      ['call_1_0', 'get_price', { symbol: 'AAPL' }],
      ['call_1_1', 'get_news', { symbol: 'AAPL', limit: 2 }],
    ],
  );
  assert.deepEqual(
    wire.slice(2).map((m: any) => [m.role, m.tool_call_id, m.content]),
    [
      ['tool', 'call_1_1', 'news: up'],
      ['tool', 'call_1_0', 'price: 200'],
    ],
  );

  // Streamed, a call's arguments come in fragments and are put back together.
  const streamed = await host.chat(
    { model: 'Qwen/Qwen3-4B', messages: [user('AAPL?')], tools, onToken: () => {} },
    limits,
  );
  assert.deepEqual(
    streamed.toolCalls?.map((c) => [c.name, c.arguments]),
    first.toolCalls!.map((c) => [c.name, c.arguments]),
  );
});

test('tool call arguments that are not JSON never throw, and the same conversation gets the same ids', () => {
  const calls = fromOpenAiToolCalls([
    { id: 'a1', type: 'function', function: { name: 'f', arguments: '{"x": 1' } },
    { id: 'a2', type: 'function', function: { name: 'g', arguments: '' } },
    { id: 'a3', type: 'function', function: { name: 'h', arguments: '[1]' } },
  ]);
  assert.deepEqual(
    calls.map((c) => [c.id, c.name, c.arguments]),
    [
      ['a1', 'f', { arguments: '{"x": 1' }],
      ['a2', 'g', {}],
      ['a3', 'h', { arguments: [1] }],
    ],
  );
  const conversation: Message[] = [
    user('go'),
    { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: { a: 1 } } }] },
    { role: 'tool', content: 'done' }, // no tool_name: it answers the earliest open call
  ];
  assert.deepEqual(toOpenAiMessages(conversation), toOpenAiMessages(conversation));
  assert.equal((toOpenAiMessages(conversation)[2] as { tool_call_id: string }).tool_call_id, 'call_1_0');
});

test('format json and a JSON Schema become response_format json_object and json_schema', async (t) => {
  const { host, peer } = await setup(t);
  const json = await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hello world')], format: 'json' }, limits);
  assert.deepEqual(JSON.parse(json.content), { reply: 'world hello' });
  assert.deepEqual((peer.requests.at(-1)!.body as any).response_format, { type: 'json_object' });
  const schema = { title: 'Reply', type: 'object', properties: { reply: { type: 'string' } }, required: ['reply'] };
  await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hello world')], format: schema }, limits);
  assert.deepEqual((peer.requests.at(-1)!.body as any).response_format, {
    type: 'json_schema',
    json_schema: { name: 'Reply', schema },
  });
});

test('embeddings come back one float vector per input, in order, with the prompt token count', async (t) => {
  const { host, peer } = await setup(t, { models: [{ id: 'BAAI/bge-small-en-v1.5', embedding: true }] });
  const result = await host.embed('BAAI/bge-small-en-v1.5:latest', ['red apple', 'a green pear here'], limits);
  assert.equal(result.embeddings.length, 2);
  assert.equal(result.embeddings[0]!.length, 384);
  assert.equal(result.promptTokens, 6);
  assert.equal((peer.requests.at(-1)!.body as any).encoding_format, 'float');
  assert.equal((peer.requests.at(-1)!.body as any).model, 'BAAI/bge-small-en-v1.5');
});

test('429 with retry-after and 503 are retryable host errors that carry the delay', async (t) => {
  const { host, peer } = await setup(t);
  const chat = () => host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')] }, limits);
  peer.failNext({ kind: 'status', status: 429, message: 'Too many requests', retryAfter: '3' });
  const limited = await rejectsWith(chat(), 'HOST_ERROR');
  assert.equal(limited.retryable, true);
  assert.equal(limited.retryAfterMs, 3000);
  assert.match(limited.message, /HTTP 429: Too many requests/);
  peer.failNext({ kind: 'status', status: 503, message: 'overloaded', retryAfterMs: 250, retryAfter: '1' });
  const busy = await rejectsWith(chat(), 'HOST_ERROR');
  assert.equal(busy.retryAfterMs, 250);
  const date = new Date(Date.now() + 10_000).toUTCString();
  peer.failNext({ kind: 'status', status: 503 });
  const plain = await rejectsWith(chat(), 'HOST_ERROR');
  assert.equal(plain.retryAfterMs, undefined);
  const fromDate = retryAfterMs(new Headers({ 'retry-after': date }));
  assert.ok(fromDate! > 8_000 && fromDate! <= 10_000, String(fromDate));
  assert.equal(peer.requests.filter((r) => r.path === '/v1/chat/completions').length, 3, 'the client never retried');
});

test('404 is a missing model, 400 is ours with the server message, in either error shape', async (t) => {
  for (const legacyErrors of [false, true]) {
    const { host } = await setup(t, { legacyErrors });
    const missing = await rejectsWith(host.chat({ model: 'nope', messages: [user('hi')] }, limits), 'MODEL_NOT_FOUND');
    assert.match(missing.message, /The model `nope` does not exist/);
    const bad = await rejectsWith(
      host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')], options: { num_predict: 0 } }, limits),
      'BAD_REQUEST',
    );
    assert.match(bad.message, /HTTP 400.*max_tokens/);
    assert.equal(bad.retryable, false);
  }
});

test('an error event mid-stream and a stream with no finish_reason are retryable host errors', async (t) => {
  const { host, peer } = await setup(t);
  const tokens: string[] = [];
  const chat = () =>
    host.chat(
      { model: 'Qwen/Qwen3-4B', messages: [user('one two three four')], onToken: (x) => tokens.push(x) },
      limits,
    );
  peer.failNext({ kind: 'error-mid-stream', afterChunks: 2 });
  const failed = await rejectsWith(chat(), 'HOST_ERROR');
  assert.equal(failed.retryable, true);
  assert.match(failed.message, /mid-stream: .*illegal memory access/);
  assert.deepEqual(tokens, ['four ', 'three ']);
  peer.failNext({ kind: 'truncate-stream', afterChunks: 1 });
  const cut = await rejectsWith(chat(), 'HOST_ERROR');
  assert.match(cut.message, /before a finish_reason/);
  peer.failNext({ kind: 'reset-mid-stream', afterChunks: 1 });
  const reset = await rejectsWith(chat(), 'HOST_UNREACHABLE');
  assert.equal(reset.retryable, true);
  assert.equal(peer.answered, 0, 'no broken answer counts as answered');
});

test('a stall is cut off at the deadline, a caller abort is a cancellation, a dead host is unreachable', async (t) => {
  const { host, peer } = await setup(t);
  peer.failNext({ kind: 'stall' });
  const started = performance.now();
  await rejectsWith(host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')] }, { deadlineMs: 150 }), 'HOST_TIMEOUT');
  assert.ok(performance.now() - started < 1500);
  peer.failNext({ kind: 'stall' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await rejectsWith(
    host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')] }, { signal: controller.signal, deadlineMs: 5000 }),
    'CANCELLED',
  );
  // A stream stalled after its first tokens hits the deadline too.
  const slow = await setup(t, { chunkDelayMs: 400 });
  await rejectsWith(
    slow.host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('a b c d')], onToken: () => {} }, { deadlineMs: 200 }),
    'HOST_TIMEOUT',
  );
  await peer.stop();
  const dead = await rejectsWith(host.ping(limits), 'HOST_UNREACHABLE');
  assert.equal(dead.retryable, true);
});

test('a refused key is BAD_REQUEST that names no key; the right key passes as a bearer token', async (t) => {
  const secret = 'sk-vllm-very-secret-1234';
  const { host: wrong } = await setup(t, { apiKey: secret }, { apiKey: 'sk-wrong-key-5678' });
  const refused = await rejectsWith(
    wrong.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')] }, limits),
    'BAD_REQUEST',
  );
  assert.match(refused.message, /refused the API key \(HTTP 401\)/);
  assert.doesNotMatch(refused.message, /sk-wrong|sk-vllm/);
  const { host: none } = await setup(t, { apiKey: secret });
  const missing = await rejectsWith(none.ping(limits), 'BAD_REQUEST');
  assert.match(missing.message, /needs an apiKey/);
  const { host, peer } = await setup(t, { apiKey: secret, version: '0.11.0' }, { apiKey: secret });
  const found = await host.discover(limits);
  assert.equal(found.models.length, 3);
  await host.probe('Qwen/Qwen3-4B', limits);
  assert.ok(peer.requests.filter((r) => r.path.startsWith('/v1')).every((r) => r.authorization === `Bearer ${secret}`));
  // URL credentials (a proxy's basic auth) are sent when no key is set, and kept out of the URL.
  const { host: proxied, peer: proxy } = await setup(t, {}, { url: (u) => u.replace('http://', 'http://joe:pw%40x@') });
  await proxied.ping(limits);
  assert.equal(proxied.url.includes('joe'), false);
  assert.equal(proxy.requests.at(-1)!.authorization, `Basic ${Buffer.from('joe:pw@x').toString('base64')}`);
});

test('OPENAI_* variables meant for api.openai.com never reach a self-hosted server', async (t) => {
  const saved = { ...process.env };
  Object.assign(process.env, {
    OPENAI_ORG_ID: 'org-secret',
    OPENAI_PROJECT_ID: 'proj-secret',
    OPENAI_API_KEY: 'sk-openai-secret',
    OPENAI_CUSTOM_HEADERS: 'X-Internal-Token: tok-secret',
  });
  t.after(() => {
    for (const name of ['OPENAI_ORG_ID', 'OPENAI_PROJECT_ID', 'OPENAI_API_KEY', 'OPENAI_CUSTOM_HEADERS'])
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
  });
  const { host, peer } = await setup(t);
  await host.chat({ model: 'Qwen/Qwen3-4B', messages: [user('hi')] }, limits);
  const sent = JSON.stringify(peer.headers.at(-1));
  assert.doesNotMatch(sent, /secret/);
  assert.equal(peer.headers.at(-1)!.authorization, undefined, 'no key configured: none sent');
});

test('health: ping lists models, probe asks for one token; model management is refused', async (t) => {
  const { host, peer } = await setup(t);
  await host.ping(limits);
  assert.deepEqual(peer.requests.at(-1), { method: 'GET', path: '/v1/models', body: {} });
  const { latencyMs } = await host.probe('google/gemma-3-1b-it:latest', limits);
  assert.ok(latencyMs >= 0);
  const probe = peer.requests.at(-1)!.body as any;
  assert.equal(probe.max_tokens, 1);
  assert.equal(probe.model, 'google/gemma-3-1b-it');
  const inventory = await host.inventory(limits);
  assert.deepEqual(
    inventory.installed.map((m) => m.name),
    inventory.loaded.map((m) => m.name),
  );
  assert.equal(inventory.loaded[0]!.contextLength, 40_960);
  const details = await host.show('Qwen/Qwen3-4B:latest', limits);
  assert.equal(details.name, 'Qwen/Qwen3-4B');
  assert.equal(details.contextLength, 40_960);
  assert.equal(details.parameterSize, '4B');
  assert.match(details.parameters, /owned_by vllm/);
  await rejectsWith(host.show('nope', limits), 'MODEL_NOT_FOUND');
  const before = peer.requests.length;
  for (const [call, verb] of [
    [() => host.pull('x', () => {}, limits), 'pulling'],
    [() => host.unload('x', limits), 'unloading'],
    [() => host.remove('x', limits), 'deleting'],
  ] as const) {
    const refused = await rejectsWith(call(), 'BAD_REQUEST');
    assert.equal(
      refused.message,
      `vllm1 speaks the OpenAI API; ${verb} models is Ollama's — manage models on the server itself`,
    );
  }
  assert.equal(peer.requests.length, before, 'nothing was sent');
  // A host configured with the /v1 suffix, as OpenAI clients usually are, works the same.
  const { host: suffixed, peer: other } = await setup(t, {}, { url: (u) => `${u}/v1/` });
  await suffixed.ping(limits);
  assert.equal(other.requests.at(-1)!.path, '/v1/models');
});

test('one pool routes to an Ollama host and an OpenAI host, fails over from a 503-ing OpenAI host, and the ledger is true', async (t) => {
  const dir = await tempDir(t);
  const ollama = new OllamaPeer({
    models: [
      { name: 'gemma3:1b', sizeBytes: 815_319_791, parameterSize: '999.89M', family: 'gemma3' },
      { name: 'qwen3:4b', sizeBytes: 2_497_293_918, parameterSize: '4.0B', family: 'qwen3' },
    ],
  });
  const vllm = new OpenAiPeer({
    apiKey: 'sk-pool',
    models: [{ id: 'Qwen/Qwen3-4B', maxModelLen: 40_960 }, { id: 'meta-llama/Llama-3.1-8B-Instruct' }],
  });
  await Promise.all([ollama.start(), vllm.start()]);
  const ledger = new JsonlLedger(path.join(dir, 'ledger'));
  const pool = createModelPool({
    hosts: [
      { name: 'ollama1', url: ollama.url, weight: 1, maxConcurrent: 4, tags: [], access: 'localhost' },
      {
        name: 'vllm1',
        url: vllm.url,
        weight: 1,
        maxConcurrent: 4,
        tags: [],
        access: 'localhost',
        api: 'openai',
        apiKey: 'sk-pool',
      },
    ],
    // small wants the vLLM host's model; the Ollama host's qwen3:4b is the next best for it.
    tierModels: { small: 'Qwen/Qwen3-4B' },
    baselineModel: 'claude-sonnet-4-5',
    ledger,
    defaultThreshold: 0,
    probeIntervalMs: 3_600_000,
  });
  const failovers: { from: string; code: string }[] = [];
  pool.on('failover', (event) => failovers.push(event));
  t.after(async () => {
    await pool.close();
    await Promise.all([ollama.stop(), vllm.stop()]);
  });
  await pool.start();
  const status = pool.status();
  const vllmStatus = status.hosts.find((h) => h.name === 'vllm1')!;
  assert.equal(vllmStatus.health, 'healthy');
  assert.equal(vllmStatus.url, vllm.url);
  assert.deepEqual(vllmStatus.models, ['Qwen/Qwen3-4B:latest', 'meta-llama/Llama-3.1-8B-Instruct:latest']);
  const tier = (name: string) => status.tiers.find((x) => x.tier === name)!;
  assert.deepEqual([tier('small').model, tier('small').hosts], ['Qwen/Qwen3-4B:latest', ['vllm1']]);
  assert.deepEqual([tier('micro').model, tier('micro').hosts], ['gemma3:1b', ['ollama1']]);
  assert.deepEqual([tier('full').model, tier('full').hosts], ['meta-llama/Llama-3.1-8B-Instruct:latest', ['vllm1']]);
  // Status and model management go through the backend interface, whatever the host speaks.
  assert.deepEqual(
    (await pool.listModels('vllm1')).loaded.map((m) => [m.name, m.contextLength]),
    [
      ['Qwen/Qwen3-4B', 40_960],
      ['meta-llama/Llama-3.1-8B-Instruct', 4096],
    ],
  );
  assert.equal((await pool.showModel('vllm1', 'Qwen/Qwen3-4B')).contextLength, 40_960);
  await rejectsWith(pool.unload('vllm1', 'Qwen/Qwen3-4B'), 'BAD_REQUEST');
  await rejectsWith(
    pool.pull('vllm1', 'x', () => {}),
    'BAD_REQUEST',
  );

  const small = await pool.complete({ prompt: 'red green blue', tier: 'small', tool: 'test.small' });
  const micro = await pool.complete({ prompt: 'one two', tier: 'micro', tool: 'test.micro' });
  const full = await pool.complete({ prompt: 'north south east west', tier: 'full', tool: 'test.full' });
  assert.deepEqual(small.answeredBy, { backend: 'ollama', host: 'vllm1', model: 'Qwen/Qwen3-4B' });
  assert.deepEqual(micro.answeredBy, { backend: 'ollama', host: 'ollama1', model: 'gemma3:1b' });
  assert.equal(full.answeredBy.host, 'vllm1');
  assert.equal(small.text, 'blue green red');
  assert.equal(micro.text, 'two one');

  // The OpenAI host 503s: the small tier fails over to the Ollama host's qwen3:4b.
  vllm.failNext({ kind: 'status', status: 503, message: 'overloaded', retryAfter: '2' }, 1, '/v1/chat/completions');
  const failover = await pool.complete({ prompt: 'up down', tier: 'small', tool: 'test.failover' });
  assert.deepEqual(failover.answeredBy, { backend: 'ollama', host: 'ollama1', model: 'qwen3:4b' });
  assert.equal(failover.text, 'down up');
  assert.deepEqual(failovers, [{ from: 'vllm1', code: 'HOST_ERROR', model: 'Qwen/Qwen3-4B:latest' }]);
  await pool.reprobe(); // the failed host's re-probe ends before the counters are read

  const rows: any[] = [];
  for (const file of await readdir(path.join(dir, 'ledger')))
    for (const line of (await readFile(path.join(dir, 'ledger', file), 'utf8')).split('\n').filter(Boolean))
      rows.push(JSON.parse(line));
  const row = (tool: string) => rows.filter((r) => r.tool === tool && r.outcome === 'accepted');
  assert.deepEqual(
    ['test.small', 'test.micro', 'test.full', 'test.failover'].map((tool) =>
      row(tool).map((r) => [r.host, r.model, r.inputTokens, r.outputTokens]),
    ),
    [
      [['vllm1', 'Qwen/Qwen3-4B', countTokens('red green blue'), 3]],
      [['ollama1', 'gemma3:1b', countTokens('one two'), 2]],
      [['vllm1', 'meta-llama/Llama-3.1-8B-Instruct', countTokens('north south east west'), 4]],
      [['ollama1', 'qwen3:4b', countTokens('up down'), 2]],
    ],
  );
  // Each host's tokens in the ledger are the tokens it says it sent, less the probes' (one
  // prompt token and one generated token each), which are not LLM calls.
  for (const [host, peer, probes] of [
    ['vllm1', vllm, vllm.requests.filter((r) => (r.body as any)?.max_tokens === 1).length],
    ['ollama1', ollama, ollama.requests.filter((r) => r.path === '/api/generate').length],
  ] as const) {
    const booked = rows
      .filter((r) => r.host === host)
      .reduce((sum, r) => [sum[0]! + r.inputTokens, sum[1]! + r.outputTokens], [0, 0]);
    assert.ok(probes > 0);
    assert.deepEqual(booked, [peer.tokensSent.prompt - probes, peer.tokensSent.completion - probes], host);
  }
  assert.ok(vllm.requests.filter((r) => r.path.startsWith('/v1')).every((r) => r.authorization === 'Bearer sk-pool'));
});
