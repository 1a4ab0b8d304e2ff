// Every request to a host carries its Caelum call id (x-request-id), the ledger rows' callId, so a
// host's own count and the ledger can be matched call by call, for both host APIs and Claude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { createModelPool } from '../../gpu-pool/model-pool.js';
import { AnthropicPeer } from '../peers/anthropic-peer.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { OpenAiPeer } from '../peers/openai-peer.js';
import { tempDir } from '../helpers.js';

test('host requests carry the call id the ledger books them under', async (t) => {
  const dir = await tempDir(t);
  const ollama = new OllamaPeer();
  const vllm = new OpenAiPeer();
  const claude = new AnthropicPeer({ apiKey: 'k' });
  await Promise.all([ollama.start(), vllm.start(), claude.start()]);
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
        tierModels: { small: 'Qwen/Qwen3-4B' },
      },
    ],
    claude: { apiKey: 'k', baseUrl: claude.url, model: 'claude-sonnet-5-5' },
    baselineModel: 'claude-sonnet-5-5',
    ledger: new JsonlLedger(path.join(dir, 'ledger')),
    defaultThreshold: 0,
  });
  t.after(async () => {
    await pool.close();
    await Promise.all([ollama.stop(), vllm.stop(), claude.stop()]);
  });
  await pool.start();
  for (let i = 0; i < 6; i++) await pool.complete({ prompt: `question ${i}`, tier: 'small' });
  // Threshold 1: every local tier falls short and Claude answers last.
  await pool.complete({ prompt: 'a hard one', tier: 'small', threshold: 1 });
  const rows: { callId: string; backend: string; host?: string; inputTokens: number; outputTokens: number }[] = [];
  for (const file of await readdir(path.join(dir, 'ledger')))
    if (file.endsWith('.jsonl'))
      for (const line of (await readFile(path.join(dir, 'ledger', file), 'utf8')).split('\n').filter(Boolean))
        rows.push(JSON.parse(line));
  const sent = new Map<string, { prompt: number; completion: number }>();
  const tokens = (s: { prompt: number; completion: number }) => ({ prompt: s.prompt, completion: s.completion });
  for (const [id, s] of ollama.sentByRequestId) sent.set(`${id}|ollama1`, tokens(s));
  for (const [id, s] of vllm.sentByRequestId) sent.set(`${id}|vllm1`, tokens(s));
  for (const [id, s] of claude.sent.byRequestId)
    sent.set(`${id}|claude`, { prompt: s.inputTokens, completion: s.outputTokens });
  // A call's steps on one host (two tiers, say) add up under its id, at the host as in the ledger.
  const booked = new Map<string, { prompt: number; completion: number }>();
  for (const row of rows) {
    const key = `${row.callId}|${row.backend === 'claude' ? 'claude' : row.host}`;
    const seen = booked.get(key) ?? { prompt: 0, completion: 0 };
    seen.prompt += row.inputTokens;
    seen.completion += row.outputTokens;
    booked.set(key, seen);
  }
  assert.ok(rows.length >= 9, `${rows.length} ledger rows`);
  assert.ok(new Set(rows.map((r) => r.host)).size >= 2, 'both host APIs answered');
  assert.ok(
    [...booked.keys()].some((k) => k.endsWith('|claude')),
    'Claude answered the hard one',
  );
  assert.deepEqual(booked, sent, 'every tagged request is in the ledger with its tokens, and nothing else');
});
