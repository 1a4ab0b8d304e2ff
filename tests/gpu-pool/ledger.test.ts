import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlLedger, type LedgerEntry } from '../../gpu-pool/ledger.js';
import { tempDir, testSuite } from '../helpers.js';

/** A one-attempt call accepted locally, as the cascade books it. */
function entry(overrides: Partial<LedgerEntry>): LedgerEntry {
  const costUsd = overrides.costUsd ?? 0;
  const claude = overrides.backend === 'claude';
  return {
    v: 2,
    call: {
      outcome: claude ? 'escalated' : 'accepted_local',
      answeredBy: claude ? 'claude' : 'ollama',
      attempts: 1,
      localAttempts: claude ? 0 : 1,
      threshold: 0.75,
      costUsd,
      localComputeUsd: claude ? 0 : costUsd,
      claudeUsd: claude ? costUsd : 0,
      baselineModel: 'claude-sonnet-5-5',
      baselineCostUsd: 0.006,
      savingUsd: overrides.savingUsd ?? 0.006,
      savingExcludingLocalUsd: claude ? 0 : 0.006,
    },
    ts: '2026-11-20T10:00:00.000Z',
    callId: 'c1',
    backend: 'ollama',
    model: 'qwen3:4b',
    inputTokens: 1000,
    outputTokens: 200,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    latencyMs: 120,
    costUsd: 0,
    baselineCostUsd: 0.006,
    savingUsd: 0.006,
    outcome: 'accepted',
    flags: [],
    ...overrides,
  };
}

test('appends survive a new ledger instance and are summed by group', async (t) => {
  const dir = await tempDir(t);
  const first = new JsonlLedger(dir);
  await first.append(entry({ callId: 'a' }));
  await first.append(
    entry({ callId: 'b', backend: 'claude', model: 'claude-sonnet-4-5', costUsd: 0.006, savingUsd: 0 }),
  );
  await first.append(entry({ callId: 'c', ts: '2026-10-02T00:00:00.000Z' }));
  const summary = await new JsonlLedger(dir).summarize({ groupBy: 'model' });
  assert.equal(summary.totals.calls, 3);
  assert.equal(summary.totals.inputTokens, 3000);
  assert.equal(Number(summary.totals.savingUsd.toFixed(6)), 0.012);
  assert.deepEqual(
    summary.groups.map((g) => [g.key, g.calls]),
    [
      ['claude:claude-sonnet-4-5', 1],
      ['ollama:qwen3:4b', 2],
    ],
  );
  const files = (await import('node:fs/promises')).readdir(dir);
  assert.deepEqual((await files).sort(), ['ledger-2026-10.jsonl', 'ledger-2026-11.jsonl']);
});

test('a torn last line from a killed writer is skipped and counted, not fatal', async (t) => {
  const dir = await tempDir(t);
  const ledger = new JsonlLedger(dir);
  await ledger.append(entry({}));
  await appendFile(path.join(dir, 'ledger-2026-11.jsonl'), '{"ts":"2026-11-20T1');
  const summary = await ledger.summarize({ groupBy: 'backend' });
  assert.equal(summary.totals.calls, 1);
  assert.equal(summary.skippedLines, 1);
  await ledger.append(entry({ callId: 'after' }));
  const after = await ledger.summarize({ groupBy: 'backend' });
  assert.deepEqual([after.totals.calls, after.skippedLines], [2, 1], 'the row written after the torn line is kept');
  const text = await readFile(path.join(dir, 'ledger-2026-11.jsonl'), 'utf8');
  assert.equal(JSON.parse(text.split('\n')[0]!).callId, 'c1', 'earlier rows are untouched (append-only)');
});

test('since filters rows and whole month files', async (t) => {
  const dir = await tempDir(t);
  const ledger = new JsonlLedger(dir);
  await ledger.append(entry({ ts: '2026-09-30T23:59:59.000Z' }));
  await ledger.append(entry({ ts: '2026-11-01T00:00:00.000Z' }));
  const summary = await ledger.summarize({ groupBy: 'day', since: new Date('2026-10-15') });
  assert.deepEqual(
    summary.groups.map((g) => g.key),
    ['2026-11-01'],
  );
});

test('getCostReport shows zeros on an empty ledger and real totals once rows exist', async (t) => {
  const suite = await testSuite(t);
  const empty = await suite.dispatcher.call('getCostReport', {});
  assert.equal(empty.isError, false);
  assert.match(empty.text, /No LLM calls recorded/);
  assert.equal((empty.structuredContent!.totals as { calls: number }).calls, 0);
  await new JsonlLedger(path.join(suite.dataDir, 'ledger')).append(entry({ tool: 'analyzeAndImproveCode' }));
  const report = await suite.dispatcher.call('getCostReport', { groupBy: 'tool' });
  assert.equal((report.structuredContent!.totals as { calls: number }).calls, 1);
  assert.match(report.text, /analyzeAndImproveCode: 1 calls/);
  const bad = await suite.dispatcher.call('getCostReport', { since: 'last tuesday' });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /^since: "last tuesday" is not a date/);
});

test('rows from before outcome tracking are shown apart as booked, and migrate only when asked', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'ledger-2026-11.jsonl');
  const v1 = (fields: Record<string, unknown>) =>
    JSON.stringify({
      ts: '2026-11-20T10:00:00.000Z',
      callId: String(Math.random()),
      backend: 'ollama',
      model: 'qwen3:4b',
      inputTokens: 1000,
      outputTokens: 200,
      latencyMs: 100,
      costUsd: 0,
      baselineCostUsd: 0.006,
      savingUsd: 0.006,
      outcome: 'ok',
      flags: [],
      ...fields,
    });
  // v1 booked the whole baseline as saving for every answered local row, confidence 0 included.
  await appendFile(
    file,
    [
      v1({ confidence: 0.8 }),
      v1({ confidence: 0 }),
      v1({ outcome: 'error', errorCode: 'HOST_TIMEOUT', baselineCostUsd: 0, savingUsd: 0 }),
      v1({ backend: 'claude', model: 'claude-sonnet-4-5', costUsd: 0.006, savingUsd: 0, confidence: 0.8 }),
      '',
    ].join('\n'),
  );
  const ledger = new JsonlLedger(dir);
  await ledger.append(entry({ callId: 'new' }));
  const before = await ledger.summarize({ groupBy: 'model' });
  assert.equal(before.totals.calls, 1, 'only the v2 call is counted');
  assert.equal(Number(before.totals.savingUsd.toFixed(6)), 0.006);
  assert.equal(before.legacy?.rows, 4);
  assert.equal(Number(before.legacy!.claimedSavingUsd.toFixed(6)), 0.012, 'legacy figures are shown as booked');
  assert.match(before.legacy!.note, /caelum ledger migrate/);

  const dry = await ledger.migrate({ threshold: 0.75, dryRun: true });
  assert.deepEqual([dry.rows, dry.acceptedLocal, dry.escalated, dry.failed], [4, 1, 1, 2]);
  assert.equal(Number(dry.claimedSavingUsd.toFixed(6)), 0.012);
  assert.equal(Number(dry.bookedSavingUsd.toFixed(6)), 0.006, 'the confidence-0 row loses its saving');
  assert.equal((await ledger.summarize({ groupBy: 'model' })).legacy?.rows, 4, 'a dry run changes nothing');

  // v1 rows written by hand (or by an older build) may lack a confidence.
  await appendFile(
    file,
    `${v1({ backend: 'claude', model: 'claude-sonnet-4-5', costUsd: 0.001, savingUsd: 0 })}\n${v1({})}\n`,
  );
  const more = await ledger.migrate({ threshold: 0.75, dryRun: true });
  assert.deepEqual([more.rows, more.acceptedLocal, more.escalated, more.failed], [6, 1, 2, 3]);
  const done = await ledger.migrate({ threshold: 0.75, dryRun: false });
  assert.deepEqual(done.files, ['ledger-2026-11.jsonl']);
  const after = await ledger.summarize({ groupBy: 'model' });
  assert.equal(after.legacy, undefined);
  assert.equal(after.totals.calls, 7);
  assert.deepEqual(
    [after.breakdown.outcomes.acceptedLocal, after.breakdown.outcomes.escalated, after.breakdown.outcomes.failed],
    [2, 2, 3],
  );
  const reasons = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { reason?: string }).reason)
    .filter(Boolean);
  assert.ok(reasons.includes('below the confidence threshold (0 < 0.75) (migrated v1 row)'), String(reasons));
  assert.ok(
    reasons.some((r) => /^no confidence was recorded/.test(r!)),
    'an unknown confidence is said, not guessed',
  );
  assert.equal(Number(after.totals.savingUsd.toFixed(6)), 0.012);
  assert.equal(after.breakdown.localSuccessRate, 2 / 5, 'two of the five calls that tried a local host');
  const backup = await readFile(`${file}.v1-backup`, 'utf8');
  assert.equal(backup.split('\n').filter(Boolean).length, 7, 'the original file is kept beside');
  assert.equal((await ledger.migrate({ threshold: 0.75, dryRun: false })).rows, 0, 'migrating twice is a no-op');
});
