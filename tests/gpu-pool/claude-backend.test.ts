// The official @anthropic-ai/sdk, through ClaudeBackend, against a loopback Messages API peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClaudeBackend } from '../../gpu-pool/claude-backend.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';

async function setup(
  t: { after(fn: () => Promise<void>): void },
  options: ConstructorParameters<typeof AnthropicPeer>[0] = {},
) {
  const peer = new AnthropicPeer({ apiKey: 'sk-ant-test-key', ...options });
  await peer.start();
  t.after(() => peer.stop());
  const backend = new ClaudeBackend({ apiKey: 'sk-ant-test-key', baseUrl: peer.url, model: 'claude-sonnet-4-5' });
  return { peer, backend };
}

test('a completion returns the text and the full usage, cache writes and reads included', async (t) => {
  const { peer, backend } = await setup(t, { usage: { cacheCreation5m: 100, cacheCreation1h: 20, cacheRead: 300 } });
  const result = await backend.complete(
    { system: 'be brief', messages: [{ role: 'user', content: 'two words' }], maxTokens: 64 },
    { deadlineMs: 2000 },
  );
  assert.equal(result.content, 'Claude says: two words');
  assert.deepEqual(
    [
      result.inputTokens,
      result.outputTokens,
      result.cacheWrite5mTokens,
      result.cacheWrite1hTokens,
      result.cacheReadTokens,
    ],
    [4, 4, 100, 20, 300],
  );
  assert.equal(result.model, 'claude-sonnet-4-5');
  const sent = peer.requests[0]!;
  assert.equal(sent.headers['x-api-key'] ?? sent.headers.authorization?.replace('Bearer ', ''), 'sk-ant-test-key');
  assert.ok(sent.headers['anthropic-version']);
  assert.equal(sent.body.system, 'be brief');
});

test('errors are classified: 529 and 429 are retryable host errors, 401 is a key problem', async (t) => {
  const { peer, backend } = await setup(t);
  const call = () =>
    backend.complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 8 }, { deadlineMs: 2000 });
  peer.failNext(529, 'overloaded_error', 'Overloaded');
  await assert.rejects(call(), (e: PoolError) => e.code === 'HOST_ERROR' && e.retryable);
  peer.failNext(429, 'rate_limit_error', 'slow down');
  await assert.rejects(call(), (e: PoolError) => e.code === 'HOST_ERROR');
  const wrongKey = new ClaudeBackend({ apiKey: 'sk-ant-wrong', baseUrl: peer.url, model: 'claude-sonnet-4-5' });
  await assert.rejects(
    wrongKey.complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 8 }, { deadlineMs: 2000 }),
    (e: PoolError) =>
      e.code === 'BAD_REQUEST' && /ANTHROPIC_API_KEY/.test(e.message) && !/sk-ant-wrong/.test(e.message),
  );
  assert.equal((await call()).content, 'Claude says: x');
});

test('an unreachable endpoint is HOST_UNREACHABLE', async (t) => {
  const { peer } = await setup(t);
  const url = peer.url;
  await peer.stop();
  const backend = new ClaudeBackend({ apiKey: 'k', baseUrl: url, model: 'claude-sonnet-4-5' });
  await assert.rejects(
    backend.complete({ messages: [{ role: 'user', content: 'x' }], maxTokens: 8 }, { deadlineMs: 2000 }),
    (e: PoolError) => e.code === 'HOST_UNREACHABLE',
  );
});
