// The PostgreSQL ledger against the real server on this machine, in a schema of its own per test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PgLedger } from '../../gpu-pool/pg-ledger.js';
import type { LedgerEntry } from '../../gpu-pool/ledger.js';
import { pgUrl, postgresAvailable } from '../helpers.js';

async function scopedUrl(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const schema = `caelum_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  t.after(async () => {
    await admin.query(`drop schema ${schema} cascade`);
    await admin.end();
  });
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

const row = (overrides: Partial<LedgerEntry>): LedgerEntry => ({
  v: 2,
  ts: '2026-11-20T10:00:00.000Z',
  callId: randomUUID(),
  backend: 'ollama',
  host: 'gpu1',
  model: 'qwen3:4b',
  supervisor: 'development',
  tool: 'development_x',
  inputTokens: 100,
  outputTokens: 20,
  cacheWriteTokens: 0,
  cacheReadTokens: 0,
  latencyMs: 50,
  costUsd: 0,
  baselineCostUsd: 0.0006,
  savingUsd: 0.0006,
  outcome: 'accepted',
  flags: [],
  ...overrides,
});

const call = (outcome: 'accepted_local' | 'escalated', fields: Record<string, number | string>) => ({
  outcome,
  answeredBy: outcome === 'accepted_local' ? ('ollama' as const) : ('claude' as const),
  attempts: 1,
  localAttempts: 1,
  threshold: 0.75,
  costUsd: 0,
  localComputeUsd: 0,
  claudeUsd: 0,
  baselineModel: 'claude-sonnet-5-5',
  baselineCostUsd: 0.0006,
  savingUsd: 0,
  savingExcludingLocalUsd: 0,
  ...fields,
});

test('two instances share one append-only ledger that survives a restart', async (t) => {
  const available = await postgresAvailable();
  if (!available.ok) return t.skip(available.reason);
  const url = await scopedUrl(t);
  const first = new PgLedger(url);
  const second = new PgLedger(url);
  // Two calls from two instances: one accepted locally; one whose local attempt failed and Claude answered.
  await Promise.all([
    first.append(row({ call: call('accepted_local', { savingUsd: 0.0006, savingExcludingLocalUsd: 0.0006 }) })),
    second.appendAll([
      row({
        outcome: 'error',
        errorCode: 'HOST_ERROR',
        reason: 'host error (HOST_ERROR): gpu2 answered HTTP 500',
        host: 'gpu2',
        inputTokens: 0,
        outputTokens: 0,
        baselineCostUsd: 0,
        savingUsd: 0,
      }),
      row({
        backend: 'claude',
        host: undefined,
        model: 'claude-sonnet-5-5',
        costUsd: 0.0006,
        savingUsd: 0,
        call: call('escalated', { attempts: 2, costUsd: 0.0006, claudeUsd: 0.0006 }),
      }),
    ]),
  ]);
  await first.close();
  await second.close();
  const restarted = new PgLedger(url);
  t.after(() => restarted.close());
  const summary = await restarted.summarize({ groupBy: 'host' });
  assert.deepEqual([summary.totals.calls, summary.totals.attempts], [2, 3]);
  assert.equal(summary.totals.inputTokens, 200);
  assert.equal(Number(summary.totals.savingUsd.toFixed(6)), 0.0006, 'only the accepted local call saved');
  assert.deepEqual([summary.breakdown.outcomes.acceptedLocal, summary.breakdown.outcomes.escalated], [1, 1]);
  assert.deepEqual(summary.groups.map((g) => g.key).sort(), ['claude', 'gpu1', 'gpu2']);
  assert.equal(summary.breakdown.localCalls, 2);
  assert.equal(summary.breakdown.claudeCalls, 1);
  assert.equal(summary.breakdown.localSuccessRate, 0.5);
  assert.match(summary.source, /table caelum_cost_ledger/);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.after(() => client.end());
  await assert.rejects(client.query('delete from caelum_cost_ledger'), /append-only/);
  await assert.rejects(client.query("update caelum_cost_ledger set entry = '{}'"), /append-only/);
});

test('since filters rows in the database', async (t) => {
  const available = await postgresAvailable();
  if (!available.ok) return t.skip(available.reason);
  const ledger = new PgLedger(await scopedUrl(t));
  t.after(() => ledger.close());
  await ledger.append(row({ ts: '2026-10-01T00:00:00.000Z' }));
  await ledger.append(row({ ts: '2026-11-15T00:00:00.000Z' }));
  const summary = await ledger.summarize({ groupBy: 'day', since: new Date('2026-11-01') });
  assert.deepEqual(
    summary.groups.map((g) => g.key),
    ['2026-11-15'],
  );
});

test('v1 rows migrate in one transaction past the append-only trigger, which stays on', async (t) => {
  const available = await postgresAvailable();
  if (!available.ok) return t.skip(available.reason);
  const url = await scopedUrl(t);
  const ledger = new PgLedger(url);
  t.after(() => ledger.close());
  const { v: _v, ...v1 } = row({ outcome: 'ok', confidence: 0 });
  await ledger.append(v1);
  await ledger.append(row({ call: call('accepted_local', { savingUsd: 0.0006 }) }));
  const before = await ledger.summarize({ groupBy: 'model' });
  assert.deepEqual([before.totals.calls, before.legacy?.rows], [1, 1]);
  const dry = await ledger.migrate({ threshold: 0.75, dryRun: true });
  assert.deepEqual([dry.rows, dry.failed, dry.files.length], [1, 1, 0]);
  assert.equal((await ledger.summarize({ groupBy: 'model' })).legacy?.rows, 1, 'a dry run rolls back');
  const done = await ledger.migrate({ threshold: 0.75, dryRun: false });
  assert.deepEqual([done.rows, done.failed], [1, 1]);
  const after = await ledger.summarize({ groupBy: 'model' });
  assert.equal(after.legacy, undefined);
  assert.deepEqual([after.totals.calls, after.breakdown.outcomes.failed], [2, 1]);
  assert.equal(Number(after.totals.savingUsd.toFixed(6)), 0.0006, 'the confidence-0 row books no saving');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.after(() => client.end());
  await assert.rejects(client.query("update caelum_cost_ledger set entry = '{}'"), /append-only/);
});
