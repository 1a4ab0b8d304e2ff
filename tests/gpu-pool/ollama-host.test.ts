// The official `ollama` client, through OllamaHost, against a loopback server that speaks
// Ollama's API: discovery, chat (streamed and not), embeddings, pulls, and every failure mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaHost } from '../../gpu-pool/ollama-host.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { OllamaPeer, countTokens } from '../peers/ollama-peer.js';

async function setup(
  t: { after(fn: () => Promise<void>): void },
  options: ConstructorParameters<typeof OllamaPeer>[0] = {},
) {
  const peer = new OllamaPeer(options);
  await peer.start();
  const host = new OllamaHost({
    name: 'gpu1',
    url: peer.url,
    weight: 1,
    maxConcurrent: 4,
    tags: [],
    access: 'localhost',
  });
  t.after(async () => {
    await host.close();
    await peer.stop();
  });
  return { peer, host };
}

const limits = { deadlineMs: 2000 };

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

test('discovery reads the version, installed models and resident models with VRAM', async (t) => {
  const { host } = await setup(t, { version: '0.12.6', resident: ['qwen3:4b'] });
  const found = await host.discover(limits);
  assert.equal(found.version, '0.12.6');
  assert.deepEqual(
    found.models.map((m) => m.name),
    ['gemma3:1b', 'qwen3:4b', 'llama3.1:8b', 'nomic-embed-text:latest'],
  );
  assert.deepEqual(
    found.resident.map((m) => [m.name, m.vramBytes]),
    [['qwen3:4b', 2_497_293_918]],
  );
});

test('a non-streamed chat returns the content and the prompt_eval_count / eval_count usage', async (t) => {
  const { host, peer } = await setup(t);
  const result = await host.chat(
    {
      model: 'qwen3:4b',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'one two three' },
      ],
    },
    limits,
  );
  assert.equal(result.content, 'three two one');
  assert.equal(result.promptTokens, countTokens('be brief one two three'));
  assert.equal(result.outputTokens, 3);
  assert.equal(result.doneReason, 'stop');
  assert.equal(result.host, 'gpu1');
  assert.equal((peer.requests.at(-1)!.body as { stream: boolean }).stream, false);
});

test('a streamed chat delivers tokens as they come and the usage from the final chunk', async (t) => {
  const { host } = await setup(t, { chunkDelayMs: 5 });
  const tokens: string[] = [];
  const result = await host.chat(
    { model: 'qwen3:4b', messages: [{ role: 'user', content: 'a b c d' }], onToken: (text) => tokens.push(text) },
    limits,
  );
  assert.deepEqual(tokens, ['d ', 'c ', 'b ', 'a']);
  assert.equal(result.content, 'd c b a');
  assert.equal(result.outputTokens, 4);
});

test('embeddings come back one vector per input with the prompt token count', async (t) => {
  const { host } = await setup(t);
  const result = await host.embed('nomic-embed-text', ['hello world', 'x'], limits);
  assert.equal(result.embeddings.length, 2);
  assert.ok(Math.abs(Math.hypot(...result.embeddings[0]!) - 1) < 1e-9);
  assert.equal(result.promptTokens, 3);
});

test('a pull streams its progress to the end', async (t) => {
  const { host } = await setup(t);
  const seen: string[] = [];
  await host.pull('phi4-mini', (status) => seen.push(status), limits);
  assert.equal(seen[0], 'pulling manifest');
  assert.equal(seen.at(-1), 'success');
  assert.ok((await host.discover(limits)).models.some((m) => m.name === 'phi4-mini:latest'));
});

test('failures are classified: 503 and 500 are host errors, 404 is a missing model, 400 is ours to fix', async (t) => {
  const { host, peer } = await setup(t);
  const chat = () => host.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] }, limits);
  peer.failNext({ kind: 'status', status: 503, message: 'server busy' });
  assert.equal((await rejectsWith(chat(), 'HOST_ERROR')).retryable, true);
  peer.failNext({ kind: 'status', status: 500 });
  await rejectsWith(chat(), 'HOST_ERROR');
  const missing = await rejectsWith(
    host.chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'x' }] }, limits),
    'MODEL_NOT_FOUND',
  );
  assert.equal(missing.retryable, false);
  peer.failNext({ kind: 'status', status: 400, message: 'bad options' });
  assert.equal((await rejectsWith(chat(), 'BAD_REQUEST')).retryable, false);
  assert.equal((await chat()).content, 'x', 'the host serves again after the faults');
});

test('a stalled host is cut off at the deadline, and a caller abort is a cancellation', async (t) => {
  const { host, peer } = await setup(t);
  peer.failNext({ kind: 'stall' });
  const started = performance.now();
  const timedOut = await rejectsWith(
    host.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] }, { deadlineMs: 300 }),
    'HOST_TIMEOUT',
  );
  assert.ok(performance.now() - started < 1500);
  assert.equal(timedOut.retryable, true);
  peer.failNext({ kind: 'stall' });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  const cancelled = await rejectsWith(
    host.chat(
      { model: 'qwen3:4b', messages: [{ role: 'user', content: 'x' }] },
      { deadlineMs: 5000, signal: controller.signal },
    ),
    'CANCELLED',
  );
  assert.equal(cancelled.retryable, false);
});

test('a connection reset mid-stream and a dead host are unreachable, and retryable', async (t) => {
  const { host, peer } = await setup(t, { chunkDelayMs: 5 });
  peer.failNext({ kind: 'reset-mid-stream', afterChunks: 2 });
  const tokens: string[] = [];
  await rejectsWith(
    host.chat(
      { model: 'qwen3:4b', messages: [{ role: 'user', content: 'a b c d e' }], onToken: (x) => tokens.push(x) },
      limits,
    ),
    'HOST_UNREACHABLE',
  );
  assert.equal(tokens.length, 2, 'the tokens before the reset were delivered');
  await peer.stop();
  const dead = await rejectsWith(host.discover(limits), 'HOST_UNREACHABLE');
  assert.match(dead.message, /ECONNREFUSED/);
});

test('the deep probe generates one token, so a host whose generation hangs fails it', async (t) => {
  const { host, peer } = await setup(t);
  const { latencyMs } = await host.probe('gemma3:1b', limits);
  assert.ok(latencyMs >= 0);
  const probe = peer.requests.at(-1)!;
  assert.equal(probe.path, '/api/generate');
  assert.equal((probe.body as { options: { num_predict: number } }).options.num_predict, 1);
  peer.breakWith({ kind: 'stall' });
  const response = await fetch(peer.url);
  assert.equal(await response.text(), 'Ollama is running', '/ still says running');
  await rejectsWith(host.probe('gemma3:1b', { deadlineMs: 300 }), 'HOST_TIMEOUT');
});

test('an OpenAI-compatible server listed as an Ollama host: the error says so and how to list it', async (t) => {
  const { OpenAiPeer } = await import('../peers/openai-peer.js');
  const peer = new OpenAiPeer();
  await peer.start();
  const host = new OllamaHost({
    name: 'oops',
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
  const error = await rejectsWith(host.discover(limits), 'MODEL_NOT_FOUND');
  assert.doesNotMatch(error.message, /\[object Object\]/);
  assert.match(error.message, /api: "openai" \(CAELUM_OPENAI_HOSTS\)/);
});
