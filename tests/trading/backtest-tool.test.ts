// trading_run_backtest through the router: a symbol's bars from the market data directory, inline
// bars, grid and walk-forward, and a clean isError for each kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';
import { sp500File } from './backtest-data.js';

async function suiteWithSp500(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t);
  const market = path.join(suite.dataDir, 'trading', 'market');
  await mkdir(market, { recursive: true });
  await copyFile(sp500File, path.join(market, 'SP500.csv'));
  t.after(() => suite.close());
  return suite;
}

test('backtests a symbol from the market data directory, with metrics, conventions and a walk-forward', async (t) => {
  const suite = await suiteWithSp500(t);
  const context = suite.dispatcher.context({});
  const outcome = await suite.dispatcher.router.invoke(
    'trading_run_backtest',
    {
      symbol: 'SP500',
      strategy: { type: 'sma_crossover', fast: 50, slow: 200 },
      costs: { commissionBps: 5, slippageBps: 2 },
      walkForward: { train: 1260, test: 252, purge: 5 },
      grid: { parameters: { fast: [20, 50], slow: [100, 200] } },
    },
    context,
  );
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  const output = outcome.output as {
    start: string;
    end: string;
    bars: number;
    metrics: { sharpe: number; tradeCount: number };
    conventions: Record<string, unknown>;
    equity: unknown[];
    lookAhead: { ok: boolean };
    walkForward: { folds: unknown[]; aggregate: { returnCount: number } };
  };
  assert.equal(output.start, '2000-01-03');
  assert.equal(output.end, '2020-04-17');
  assert.equal(output.bars, 5105);
  assert.equal(output.conventions.annualization, 252);
  assert.ok(output.equity.length <= 500);
  assert.equal(output.lookAhead.ok, true);
  assert.equal(output.walkForward.folds.length, 15);
  assert.equal(output.walkForward.aggregate.returnCount, 15 * 252);
  assert.match(outcome.text, /SP500 2000-01-03\.\.2020-04-17 \(5105 bars\).*Sharpe/);
  assert.ok(!/NaN|Infinity/.test(JSON.stringify(outcome.output)));
});

test('bad input is a clean isError naming the field: unknown symbol, bad strategy, windows too long, grid budget', async (t) => {
  const suite = await suiteWithSp500(t);
  const context = suite.dispatcher.context({});
  const sma = { type: 'sma_crossover', fast: 50, slow: 200 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ symbol: 'NOPE', strategy: sma }, /symbol: no bars for "NOPE"/],
    [
      { symbol: 'SP500', strategy: { type: 'sma_crossover', fast: 200, slow: 50 } },
      /strategy\.fast: fast \(200\) must be below slow/,
    ],
    [{ symbol: 'SP500', strategy: { type: 'eval', code: '1' } }, /strategy\.type/],
    [
      { symbol: 'SP500', strategy: sma, walkForward: { train: 5000, test: 252 } },
      /walkForward\.train: .*the data has 5105/,
    ],
    [
      {
        symbol: 'SP500',
        strategy: sma,
        grid: { parameters: { fast: { from: 2, to: 99 }, slow: { from: 3, to: 100 } }, maxCombinations: 100 },
      },
      /grid\.maxCombinations: more than 100 valid combinations \(the budget\) among 9604/,
    ],
    [
      { symbol: 'SP500', strategy: { type: 'follow_model' } },
      /strategy\.model: no model has the alias "production"; the registry is empty; register one with trading_register_model/,
    ],
    [{ strategy: sma }, /symbol: name a symbol/],
    [
      { bars: [{ date: '2024-01-02', open: 1, high: 1, low: 2, close: 1 }], strategy: sma },
      /bars\.0\.high: high \(1\) is below low \(2\)/,
    ],
  ];
  for (const [input, message] of cases) {
    const outcome = await suite.dispatcher.router.invoke('trading_run_backtest', input, context);
    assert.equal(outcome.ok, false, JSON.stringify(input));
    if (!outcome.ok) {
      assert.equal(outcome.error.kind, 'input', outcome.error.message);
      assert.match(outcome.error.message, message);
    }
  }
});
