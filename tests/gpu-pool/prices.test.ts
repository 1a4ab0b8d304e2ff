import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultClaudeModel,
  lifecycleOf,
  modelFamily,
  modelNotices,
  priceCall,
  priceFor,
} from '../../gpu-pool/prices.js';

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);

test('dated API ids price as their family', () => {
  assert.equal(modelFamily('claude-sonnet-4-5-20250929'), 'claude-sonnet-4-5');
  assert.equal(modelFamily('claude-3-5-haiku-latest'), 'claude-3-5-haiku');
  assert.equal(priceFor('claude-sonnet-4-5-20250929', day('2026-11-01'))?.input, 3);
});

test('input, output and the three cache rates are all charged', () => {
  const priced = priceCall(
    'claude-sonnet-4-5',
    {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      cacheWrite5mTokens: 200_000,
      cacheWrite1hTokens: 10_000,
      cacheReadTokens: 500_000,
    },
    day('2026-11-01'),
  );
  assert.ok(priced.known);
  close(priced.usd, 3 + 1.5 + 0.75 + 0.06 + 0.15);
  assert.equal(priced.priceVersion, 'claude-sonnet-4-5@2024-01-01');
});

test('the row in force on the call date is used: Sonnet 5.5 cache reads halve from 2026-10-07', () => {
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1_000_000 };
  const before = priceCall('claude-sonnet-5-5', usage, day('2026-10-06'));
  const after = priceCall('claude-sonnet-5-5', usage, day('2026-10-07'));
  assert.ok(before.known && after.known);
  close(before.usd, 0.2);
  close(after.usd, 0.1);
  assert.equal(after.priceVersion, 'claude-sonnet-5-5@2026-10-07');
});

test('a model is not priced before its release date', () => {
  assert.equal(priceCall('claude-opus-5-5', { inputTokens: 1, outputTokens: 1 }, day('2026-09-21')).known, false);
  assert.equal(priceCall('claude-opus-5-5', { inputTokens: 1, outputTokens: 1 }, day('2026-09-22')).known, true);
});

test('Haiku 5.5 bills the whole request, output included, at the long-prompt band past 100k prompt tokens', () => {
  const under = priceCall(
    'claude-haiku-5-5',
    { inputTokens: 90_000, outputTokens: 10_000, cacheReadTokens: 10_000 },
    day('2026-11-01'),
  );
  const over = priceCall(
    'claude-haiku-5-5',
    { inputTokens: 90_000, outputTokens: 10_000, cacheReadTokens: 10_001 },
    day('2026-11-01'),
  );
  assert.ok(under.known && over.known);
  assert.equal(under.band, 'standard');
  close(under.usd, (90_000 * 0.1 + 10_000 * 0.5 + 10_000 * 0.01) / 1e6);
  assert.equal(over.band, 'long-prompt');
  close(over.usd, (90_000 * 0.5 + 10_000 * 2.5 + 10_001 * 0.05) / 1e6);
});

test('batch halves input and output but not cache rates', () => {
  const priced = priceCall(
    'claude-haiku-4-5',
    { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 1_000_000 },
    day('2026-11-01'),
    { batch: true },
  );
  assert.ok(priced.known);
  close(priced.usd, 0.5 + 2.5 + 0.1);
});

test('an unknown model is flagged, never priced at $0', () => {
  const priced = priceCall('claude-mystery-9', { inputTokens: 1000, outputTokens: 1000 }, day('2026-11-01'));
  assert.deepEqual(priced, { known: false, model: 'claude-mystery-9', flag: 'UNKNOWN_MODEL_PRICE' });
});

test('model lifecycle by date: active, deprecated (still answers), retired (requests fail)', () => {
  assert.equal(lifecycleOf('claude-sonnet-4-5-20250929', day('2026-09-29')).status, 'active');
  const deprecated = lifecycleOf('claude-sonnet-4-5', day('2026-10-15'));
  assert.equal(deprecated.status, 'deprecated');
  assert.match((deprecated as { message: string }).message, /deprecated since 2026-09-30 and retires on 2026-11-30/);
  const retired = lifecycleOf('claude-sonnet-4-5-20250929', day('2026-11-30'));
  assert.equal(retired.status, 'retired');
  assert.match((retired as { message: string }).message, /end-of-life on 2026-11-30.*claude-sonnet-5-5/);
  assert.equal(lifecycleOf('claude-opus-4-5', day('2026-12-02')).status, 'deprecated');
  assert.equal(lifecycleOf('claude-opus-4-5', day('2027-01-22')).status, 'retired');
  assert.deepEqual(lifecycleOf(defaultClaudeModel, day('2026-12-02')), {
    status: 'active',
    model: defaultClaudeModel,
    known: true,
  });
  assert.equal((lifecycleOf('claude-mystery-9', day('2026-12-02')) as { known: boolean }).known, false);
});

test('modelNotices names the role, and an unpriced model too', () => {
  const notices = modelNotices({ escalation: 'claude-sonnet-4-5', baseline: 'claude-mystery-9' }, day('2026-12-02'));
  assert.deepEqual(
    notices.map((n) => [n.role, n.status]),
    [
      ['escalation', 'retired'],
      ['baseline', 'unpriced'],
    ],
  );
  assert.deepEqual(modelNotices({ baseline: defaultClaudeModel }, day('2026-12-02')), []);
});
