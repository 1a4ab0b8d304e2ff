// A writer killed mid-append loses at most the record it was writing; everything before is read
// back, and the next writer carries on after the torn line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { repoRoot, tempDir } from '../helpers.js';

const writer = `
import { JsonlLedger } from ${JSON.stringify(path.join(repoRoot, 'gpu-pool', 'ledger.ts'))};
const ledger = new JsonlLedger(process.argv.at(-1));
let i = 0;
process.stdout.write('ready\\n');
for (;;) {
  await ledger.append({ v: 2, ts: '2026-11-20T10:00:00.000Z', callId: 'c' + i++, backend: 'ollama', model: 'qwen3:4b', inputTokens: 10, outputTokens: 2, cacheWriteTokens: 0, cacheReadTokens: 0, latencyMs: 1, costUsd: 0, baselineCostUsd: 0.0001, savingUsd: 0.0001, outcome: 'ok', flags: [], tool: 'x'.repeat(2000) });
}
`;

test('SIGKILL during appends loses at most the record being written', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await once(child.stdout, 'data');
  await new Promise((r) => setTimeout(r, 400));
  child.kill('SIGKILL');
  await once(child, 'exit');
  const text = await readFile(path.join(dir, 'ledger-2026-11.jsonl'), 'utf8');
  const complete = text.split('\n').slice(0, -1);
  assert.ok(complete.length > 5, `the writer got ${complete.length} rows in before the kill`);
  const ledger = new JsonlLedger(dir);
  const summary = await ledger.summarize({ groupBy: 'model' });
  assert.equal(summary.totals.attempts, complete.length, 'every complete line is read back');
  assert.ok(summary.skippedLines <= 1, `at most the torn record is lost (${summary.skippedLines})`);
  await ledger.append({
    v: 2,
    ts: '2026-11-20T11:00:00.000Z',
    callId: 'after',
    backend: 'ollama',
    model: 'qwen3:4b',
    inputTokens: 1,
    outputTokens: 1,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    latencyMs: 1,
    costUsd: 0,
    baselineCostUsd: 0,
    savingUsd: 0,
    outcome: 'ok',
    flags: [],
  });
  assert.equal(
    (await ledger.summarize({ groupBy: 'model' })).totals.attempts,
    complete.length + 1,
    'a restarted writer carries on',
  );
});
