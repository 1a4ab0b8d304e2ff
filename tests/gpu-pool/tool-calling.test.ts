// Native tool calling through the cascade: the loopback Ollama host speaks /api/chat with `tools`
// and `message.tool_calls`, the loopback Claude speaks `tool_use` and `tool_result` blocks, both
// reached through the official clients; invalid calls are rejected with a reason and escalate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Cascade } from '../../gpu-pool/cascade.js';
import { ClaudeBackend } from '../../gpu-pool/claude-backend.js';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { OllamaHost } from '../../gpu-pool/ollama-host.js';
import { OllamaPool } from '../../gpu-pool/ollama-pool.js';
import { priceCall } from '../../gpu-pool/prices.js';
import {
  toOllamaTools,
  type ConversationMessage,
  type ToolCall,
  type ToolDefinition,
} from '../../gpu-pool/tool-calls.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import { OllamaPeer, countTokens, type PeerToolTurn } from '../peers/ollama-peer.js';
import { tempDir } from '../helpers.js';

const weather: ToolDefinition = {
  name: 'get_weather',
  description: 'The weather in a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The caller's check: a known tool, with a string `city`. */
function validate(calls: ToolCall[]): string | undefined {
  for (const call of calls) {
    if (call.name !== 'get_weather') return `unknown tool "${call.name}"`;
    if (typeof call.arguments.city !== 'string') return `${call.name}: city: expected string`;
  }
  return undefined;
}

async function rig(
  t: { after(fn: () => Promise<void>): void },
  toolTurn: (messages: { role: string; content: string }[], tools: string[], model: string) => PeerToolTurn,
  claude?: AnthropicPeer,
) {
  const dir = await tempDir(t);
  const peer = new OllamaPeer({
    toolTurn,
    models: [
      { name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' },
      { name: 'llama3.1:8b', sizeBytes: 5, parameterSize: '8B', family: 'llama' },
    ],
  });
  await peer.start();
  const pool = new OllamaPool({
    hosts: [{ name: 'gpu1', url: peer.url, weight: 1, maxConcurrent: 4, tags: [], access: 'localhost' as const }],
    random: () => 0,
  });
  await pool.start();
  if (claude) await claude.start();
  const ledger = new JsonlLedger(path.join(dir, 'ledger'));
  const cascade = new Cascade({
    ollama: pool,
    claude: claude
      ? new ClaudeBackend({ apiKey: 'sk-ant-k', baseUrl: claude.url, model: 'claude-sonnet-4-5' })
      : undefined,
    ledger,
    baselineModel: 'claude-sonnet-4-5',
    defaultThreshold: 0.75,
    clock: () => new Date('2026-11-20T12:00:00Z'),
  });
  t.after(async () => {
    await pool.close();
    await peer.stop();
    await claude?.stop();
  });
  return { cascade, peer, ledger };
}

test('Ollama: tools go out as /api/chat `tools`, calls come back from message.tool_calls, results go back as role "tool"', async (t) => {
  const { cascade, peer, ledger } = await rig(t, (messages) =>
    messages.some((m) => m.role === 'tool')
      ? { content: 'It is sunny in Paris.' }
      : { toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] },
  );
  const first = await cascade.complete({
    prompt: 'weather in Paris?',
    tools: [weather],
    validateToolCalls: validate,
    tool: 'delegateTask',
  });
  assert.equal(first.lowConfidence, false);
  assert.equal(first.toolCalls?.length, 1);
  assert.deepEqual([first.toolCalls![0]!.name, first.toolCalls![0]!.arguments], ['get_weather', { city: 'Paris' }]);
  const sent = peer.requests.find((r) => r.path === '/api/chat')!.body as Record<string, any>;
  assert.deepEqual(sent.tools, [
    {
      type: 'function',
      function: { name: 'get_weather', description: weather.description, parameters: weather.parameters },
    },
  ]);
  assert.equal(sent.format, undefined, 'a tool request does not force JSON output');
  // The peer's own counts reach the step and the ledger.
  const step = first.steps[0]!;
  assert.equal(
    step.outputTokens,
    countTokens(JSON.stringify([{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }])),
  );
  assert.ok(step.inputTokens > countTokens('weather in Paris?'), 'the tool definitions count as prompt');
  const conversation: ConversationMessage[] = [
    { role: 'user', content: 'weather in Paris?' },
    { role: 'assistant', content: '', toolCalls: first.toolCalls! },
    { role: 'tool', toolCallId: first.toolCalls![0]!.id, name: 'get_weather', content: '{"sky":"sunny"}' },
  ];
  const second = await cascade.complete({ messages: conversation, tools: [weather], validateToolCalls: validate });
  assert.equal(second.toolCalls, undefined);
  assert.equal(second.text, 'It is sunny in Paris.');
  const body = peer.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as Record<string, any>;
  assert.deepEqual(body.messages.slice(1), [
    {
      role: 'assistant',
      content: '',
      tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }],
    },
    { role: 'tool', content: '{"sky":"sunny"}', tool_name: 'get_weather' },
  ]);
  const summary = await ledger.summarize({ groupBy: 'backend' });
  assert.equal(summary.totals.calls, 2);
  assert.equal(summary.totals.inputTokens, first.steps[0]!.inputTokens + second.steps[0]!.inputTokens);
});

test('an unknown tool from the small tier is rejected with the reason and the larger tier answers', async (t) => {
  const { cascade } = await rig(t, (_messages, _tools, model) =>
    model === 'qwen3:4b'
      ? { toolCalls: [{ name: 'get_forecast', arguments: { city: 'Oslo' } }] }
      : { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] },
  );
  const result = await cascade.complete({ prompt: 'weather in Oslo?', tools: [weather], validateToolCalls: validate });
  assert.deepEqual(
    result.steps.map((s) => [s.model, s.outcome, s.reason]),
    [
      ['qwen3:4b', 'rejected', 'tool calls: unknown tool "get_forecast"'],
      ['llama3.1:8b', 'accepted', undefined],
    ],
  );
  assert.equal(result.call.outcome, 'escalated');
  assert.equal(result.toolCalls![0]!.name, 'get_weather');
});

test('bad arguments everywhere locally escalate to Claude, which gets Anthropic tools and tool_result blocks', async (t) => {
  const claude = new AnthropicPeer({
    apiKey: 'sk-ant-k',
    toolTurn: (messages) =>
      messages.some(
        (m) => Array.isArray(m.content) && m.content.some((b: { type: string }) => b.type === 'tool_result'),
      )
        ? { text: 'Rain in Bergen.' }
        : { toolCalls: [{ name: 'get_weather', input: { city: 'Bergen' } }] },
  });
  const { cascade } = await rig(t, () => ({ toolCalls: [{ name: 'get_weather', arguments: { city: 7 } }] }), claude);
  const result = await cascade.complete({
    prompt: 'weather in Bergen?',
    tools: [weather],
    validateToolCalls: validate,
  });
  assert.deepEqual(
    result.steps.map((s) => [s.backend, s.outcome, s.reason]),
    [
      ['ollama', 'rejected', 'tool calls: get_weather: city: expected string'],
      ['ollama', 'rejected', 'tool calls: get_weather: city: expected string'],
      ['claude', 'accepted', undefined],
    ],
  );
  const call = result.toolCalls![0]!;
  assert.match(call.id, /^toolu_peer/);
  assert.deepEqual([call.name, call.arguments], ['get_weather', { city: 'Bergen' }]);
  const sent = claude.requests[0]!.body;
  assert.deepEqual(sent.tools, [
    { name: 'get_weather', description: weather.description, input_schema: weather.parameters },
  ]);
  // Claude's step is priced from the peer's usage at the dated price.
  const step = result.steps[2]!;
  const priced = priceCall(
    'claude-sonnet-4-5',
    { inputTokens: step.inputTokens, outputTokens: step.outputTokens },
    new Date('2026-11-20'),
  );
  assert.ok(priced.known);
  assert.equal(step.costUsd, priced.usd);
  assert.ok(step.costUsd > 0);
  // The result goes back as a tool_result block naming the tool_use id; the peer refuses a mismatch.
  const next = await cascade.complete({
    messages: [
      { role: 'user', content: 'weather in Bergen?' },
      { role: 'assistant', content: '', toolCalls: [call] },
      { role: 'tool', toolCallId: call.id, name: call.name, content: '{"sky":"rain"}' },
    ],
    tools: [weather],
    validateToolCalls: validate,
    tier: 'large', // no host serves it: straight to Claude
  });
  assert.equal(next.text, 'Rain in Bergen.');
  const answered = claude.requests.at(-1)!.body;
  assert.deepEqual(answered.messages.slice(1), [
    { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'Bergen' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '{"sky":"rain"}' }] },
  ]);
});

test('a streamed chat with tools collects the tool calls Ollama sends in a chunk', async (t) => {
  const peer = new OllamaPeer({
    toolTurn: () => ({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Rome"}' }] }),
  });
  await peer.start();
  const host = new OllamaHost({
    name: 'gpu1',
    url: peer.url,
    weight: 1,
    maxConcurrent: 2,
    tags: [],
    access: 'localhost',
  });
  t.after(async () => {
    await host.close();
    await peer.stop();
  });
  const tokens: string[] = [];
  const result = await host.chat(
    {
      model: 'qwen3:4b',
      messages: [{ role: 'user', content: 'weather in Rome?' }],
      tools: toOllamaTools([weather]),
      onToken: (text) => tokens.push(text),
    },
    { deadlineMs: 2000 },
  );
  assert.equal((peer.requests.at(-1)!.body as { stream?: boolean }).stream, true);
  // Arguments a model sent as a JSON string are parsed into the object Ollama's format promises.
  assert.deepEqual(
    result.toolCalls?.map((c) => [c.name, c.arguments]),
    [['get_weather', { city: 'Rome' }]],
  );
  assert.deepEqual(tokens, []);
  assert.ok(result.outputTokens > 0);
});
