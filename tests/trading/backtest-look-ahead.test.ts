// The prefix-invariance check: a strategy that reads the next bar is flagged, honest ones pass, and a
// provider that peeks is caught the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBacktest } from '../../tools/trading/backtest/backtest.js';
import { samplePrefixEnds } from '../../tools/trading/backtest/look-ahead.js';
import type { SignalProviders } from '../../tools/trading/backtest/signals.js';
import { parseStrategy, strategySchema } from '../../tools/trading/backtest/strategy.js';
import { sp500 } from './backtest-data.js';

test('a strategy that peeks at the next close is flagged, with the bar, date and both signals', async () => {
  const result = await runBacktest(sp500(), { type: 'peek_ahead' });
  assert.equal(result.lookAhead.ok, false);
  assert.ok(result.lookAhead.violations.length >= 2);
  for (const violation of result.lookAhead.violations) {
    assert.equal(violation.t, violation.prefixEnd, 'the prefix differs at its own last bar');
    assert.equal(violation.full, 1);
    assert.equal(violation.prefix, 0);
    assert.match(violation.date, /^\d{4}-\d{2}-\d{2}$/);
  }
  // It looks brilliant, which is why the flag matters.
  assert.ok(result.metrics.sharpe! > 3);
});

test('the peeking strategy cannot be declared through the schema', () => {
  assert.equal(strategySchema.safeParse({ type: 'peek_ahead' }).success, false);
});

test('every built-in rule passes the check, combinations included', async () => {
  const strategies = [
    { type: 'sma_crossover', fast: 20, slow: 100, allowShort: true },
    { type: 'ema_crossover', fast: 12, slow: 26 },
    { type: 'rsi_reversion', period: 14, lower: 30, upper: 70, allowShort: true },
    { type: 'breakout', lookback: 55, exitLookback: 20, allowShort: true },
    {
      type: 'combine',
      mode: 'majority',
      members: [
        { type: 'sma_crossover', fast: 10, slow: 50 },
        { type: 'rsi_reversion', period: 2, lower: 10, upper: 90 },
        { type: 'breakout', lookback: 20, exitLookback: 10 },
      ],
    },
  ];
  for (const strategy of strategies) {
    const result = await runBacktest(sp500(), parseStrategy(strategy));
    assert.equal(result.lookAhead.ok, true, strategy.type);
    assert.equal(result.lookAhead.checked.length, 5);
  }
});

test('sampled prefix ends are deterministic, distinct, past warm-up, include the next-to-last bar and never the last', () => {
  const ends = samplePrefixEnds(5105, 199);
  assert.deepEqual(ends, samplePrefixEnds(5105, 199));
  assert.equal(new Set(ends).size, ends.length);
  assert.equal(ends.length, 5);
  assert.ok(ends.includes(5103), 'the next-to-last bar');
  assert.ok(
    ends.every((t) => t >= 199 && t < 5104),
    'past warm-up, and never the full run itself',
  );
  assert.deepEqual(samplePrefixEnds(2, 0), []);
});

test('a model provider that peeks at the next bar is flagged; an honest one passes', async () => {
  const calls: number[] = [];
  const provider = (peek: boolean): SignalProviders => ({
    async model(bars) {
      calls.push(bars.close.length);
      const n = bars.close.length;
      const direction = new Int8Array(n);
      const confidence = new Float64Array(n).fill(0.9);
      for (let t = 1; t < n; t++) {
        // The cheat trades tomorrow's move; on the last bar it has no tomorrow and stays flat.
        if (peek) direction[t] = t + 1 < n ? (bars.close[t + 1]! > bars.close[t]! ? 1 : -1) : 0;
        else direction[t] = bars.close[t]! > bars.close[t - 1]! ? 1 : -1;
      }
      return { direction, confidence };
    },
  });
  const strategy = parseStrategy({ type: 'follow_model', minConfidence: 0.5, allowShort: true });
  const honest = await runBacktest(sp500(), strategy, { providers: provider(false) });
  assert.equal(honest.lookAhead.ok, true);
  assert.equal(calls.length, 6, 'one full run and five prefixes');
  const cheat = await runBacktest(sp500(), strategy, { providers: provider(true) });
  assert.equal(cheat.lookAhead.ok, false);
});
