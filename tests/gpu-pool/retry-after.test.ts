// A host that answers 429 or 503 with retry-after is left alone for that long: the call fails
// over at once, and the next calls go elsewhere until the delay has passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OllamaPool } from '../../gpu-pool/ollama-pool.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { OpenAiPeer } from '../peers/openai-peer.js';

test('429 with retry-after: the host sits out the delay, then takes calls again', async (t) => {
  const vllm = new OpenAiPeer({ models: [{ id: 'qwen3:4b' }] });
  const ollama = new OllamaPeer({ models: [{ name: 'qwen3:4b', sizeBytes: 2, parameterSize: '4B', family: 'qwen3' }] });
  await Promise.all([vllm.start(), ollama.start()]);
  let clock = 0;
  const pool = new OllamaPool({
    hosts: [
      { name: 'vllm1', url: vllm.url, weight: 1, maxConcurrent: 4, tags: [], access: 'localhost', api: 'openai' },
      { name: 'ollama1', url: ollama.url, weight: 1, maxConcurrent: 4, tags: [], access: 'localhost' },
    ],
    // vllm1 first whenever it is usable, so where a call lands says whether it sits out.
    random: () => 0,
    now: () => clock,
    livenessIntervalMs: 0,
    probeIntervalMs: 3_600_000,
  });
  t.after(async () => {
    await pool.close();
    await Promise.all([vllm.stop(), ollama.stop()]);
  });
  await pool.start();
  const ask = () =>
    pool.chat({ model: 'qwen3:4b', messages: [{ role: 'user', content: 'hi there' }] }, { deadlineMs: 10_000 });
  assert.equal((await ask()).host, 'vllm1');
  vllm.failNext({ kind: 'status', status: 429, retryAfter: '2' });
  const failedOver = await ask();
  assert.equal(failedOver.host, 'ollama1');
  assert.deepEqual(failedOver.attempts, [{ host: 'vllm1', code: 'HOST_ERROR' }]);
  clock += 1_000;
  assert.equal((await ask()).host, 'ollama1', 'one second in, vllm1 still sits out');
  clock += 1_500;
  assert.equal((await ask()).host, 'vllm1', 'after the two seconds it asked for, it is back');
  assert.equal(
    pool.hostStatus().find((h) => h.name === 'vllm1')!.breaker,
    'closed',
    'a host that asked to wait is not broken',
  );
});
