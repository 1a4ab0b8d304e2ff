// Declarative strategies: validation messages, nesting depth, combine modes, and the injected
// providers of follow_model and follow_committee.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barsFromRows } from '../../tools/trading/market/bars.js';
import { InputError } from '../../tools/errors.js';
import { combineSignals, computeSignals } from '../../tools/trading/backtest/signals.js';
import { parseStrategy, type CombineStrategy } from '../../tools/trading/backtest/strategy.js';

const leaf = { type: 'breakout', lookback: 5, exitLookback: 3 };
const nest = (inner: unknown) => ({ type: 'combine', mode: 'any', members: [inner, leaf] });

test('invalid strategies are input errors that name the field and the fix', () => {
  const cases: [unknown, RegExp][] = [
    [{ type: 'sma_crossover', fast: 50, slow: 20 }, /^strategy\.fast: fast \(50\) must be below slow \(20\)/],
    [{ type: 'ema_crossover', fast: 1, slow: 20 }, /^strategy\.fast: a window is at least 2 bars/],
    [{ type: 'sma_crossover', fast: 5, slow: 5000 }, /^strategy\.slow: a window is at most 1000 bars/],
    [{ type: 'rsi_reversion', period: 14, lower: 70, upper: 30 }, /^strategy\.lower: lower \(70\) must be below upper/],
    [{ type: 'script', code: 'process.exit()' }, /^strategy\.type: /],
    [{ type: 'combine', mode: 'all', members: [leaf] }, /^strategy\.members: combine needs at least 2 members/],
    [
      { type: 'combine', mode: 'weighted', members: [leaf, leaf], weights: [1] },
      /^strategy\.weights: give one weight per member/,
    ],
    [{ type: 'combine', mode: 'all', members: [leaf, leaf], weights: [1, 1] }, /weights apply only to mode "weighted"/],
    [nest(nest(nest(nest(leaf)))), /combine nests at most 3 deep/],
    [
      { type: 'combine', mode: 'any', members: [{ type: 'sma_crossover', fast: 9, slow: 3 }, leaf] },
      /^strategy\.members\.0\.fast: /,
    ],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseStrategy(input),
      (error: unknown) => error instanceof InputError && message.test(error.message),
      JSON.stringify(input),
    );
  }
  assert.doesNotThrow(() => parseStrategy(nest(nest(nest(leaf)))), 'three levels are allowed');
});

test('defaults are filled: allowShort false, threshold 0.5; minConfidence and minConsensus stay unset (the config decides)', () => {
  assert.deepEqual(parseStrategy({ type: 'sma_crossover', fast: 2, slow: 3 }), {
    type: 'sma_crossover',
    fast: 2,
    slow: 3,
    allowShort: false,
  });
  assert.equal('minConfidence' in parseStrategy({ type: 'follow_model' }), false);
  assert.equal('minConsensus' in parseStrategy({ type: 'follow_committee' }), false);
});

test('combine modes: all, any, majority and weighted, with shorts only when allowed', () => {
  const members = [
    Int8Array.from([1, 1, 1, -1, 0]),
    Int8Array.from([1, 1, -1, -1, 0]),
    Int8Array.from([1, 0, -1, -1, 1]),
  ];
  const make = (mode: CombineStrategy['mode'], extra: Partial<CombineStrategy> = {}): CombineStrategy => ({
    type: 'combine',
    mode,
    members: [],
    threshold: 0.5,
    allowShort: true,
    ...extra,
  });
  assert.deepEqual(Array.from(combineSignals(make('all'), members)), [1, 0, 0, -1, 0]);
  assert.deepEqual(Array.from(combineSignals(make('any'), members)), [1, 1, 0, -1, 1]);
  assert.deepEqual(Array.from(combineSignals(make('majority'), members)), [1, 1, -1, -1, 0]);
  assert.deepEqual(Array.from(combineSignals(make('weighted', { weights: [2, 1, 1] }), members)), [1, 1, 0, -1, 0]);
  assert.deepEqual(Array.from(combineSignals(make('majority', { allowShort: false }), members)), [1, 1, 0, 0, 0]);
});

const bars = barsFromRows(
  'T',
  'memory',
  [1, 2, 3, 4].map((close, i) => ({
    time: Date.UTC(2024, 0, 1 + i),
    open: close,
    high: close,
    low: close,
    close,
    volume: 0,
  })),
);

test('follow_model and follow_committee without a provider say what they need', async () => {
  await assert.rejects(
    computeSignals(parseStrategy({ type: 'follow_model' }), bars),
    /strategy\.type: follow_model needs a prediction backend/,
  );
  await assert.rejects(
    computeSignals(parseStrategy({ type: 'follow_committee' }), bars),
    /strategy\.type: follow_committee needs the committee/,
  );
});

test('follow_model and follow_committee gate the provided direction by confidence and consensus', async () => {
  const seen: { model?: string }[] = [];
  const providers = {
    async model(_bars: typeof bars, spec: { model?: string }) {
      seen.push(spec);
      return { direction: Int8Array.from([1, -1, 1, -1]), confidence: Float64Array.from([0.9, 0.9, 0.5, 0.7]) };
    },
    async committee() {
      return { direction: Int8Array.from([1, 1, -1, 0]), consensus: Float64Array.from([0.8, 0.6, 0.9, 1]) };
    },
  };
  const model = await computeSignals(
    parseStrategy({ type: 'follow_model', model: 'candidate', minConfidence: 0.6 }),
    bars,
    { providers },
  );
  assert.deepEqual(Array.from(model), [1, 0, 0, 0], 'long-only: shorts become flat');
  assert.deepEqual(seen, [{ model: 'candidate' }]);
  const shorts = await computeSignals(
    parseStrategy({ type: 'follow_model', minConfidence: 0.6, allowShort: true }),
    bars,
    { providers },
  );
  assert.deepEqual(Array.from(shorts), [1, -1, 0, -1]);
  const committee = await computeSignals(parseStrategy({ type: 'follow_committee', allowShort: true }), bars, {
    providers,
  });
  assert.deepEqual(Array.from(committee), [1, 0, -1, 0]);
});
