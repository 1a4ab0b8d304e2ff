// The dashboard's Trading API against the MCP calls it reads from the execution log: a backtest's
// equity points and metrics equal what backtestStrategy (and runTool trading_run_backtest) returned,
// the committee's decisions and votes equal generateMarketSignals' and trading_run_committee's, a
// fresh data dir says what is missing and how to fill it, and bad parameters are 400s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, testSuite } from '../helpers.js';
import { closePredictionBackends } from '../../tools/trading/prediction/backends.js';
import { seedPredictionExamples } from '../trading/predict-model-fixture.js';
import { api } from './api-fixture.js';

type Structured = Record<string, any>;

async function setup(t: Parameters<typeof testSuite>[0], seeded = true) {
  const suite = await testSuite(t);
  t.after(async () => {
    await closePredictionBackends(suite.dataDir);
    await suite.close();
  });
  if (seeded) await seedPredictionExamples(suite.project, suite.dataDir);
  const client = await connectClient(t, suite);
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as {
      isError?: boolean;
      structuredContent?: Structured;
    };
    assert.notEqual(result.isError, true, JSON.stringify(result).slice(0, 500));
    return result.structuredContent!;
  };
  return { suite, call };
}

const metricNames = ['totalReturn', 'annualReturn', 'sharpe', 'maxDrawdown', 'tradeCount', 'sortino', 'calmar'];

test('a backtest on the page is the backtestStrategy result the MCP call returned: equity points, metrics, benchmark', async (t) => {
  const { suite, call } = await setup(t);
  const sma = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'sma_crossover', fast: 50, slow: 200 },
  });
  const viaRunTool = await call('runTool', {
    name: 'trading_run_backtest',
    arguments: { symbol: 'SPX', strategy: { type: 'rsi_reversion', period: 14, lower: 30, upper: 70 } },
  });
  const rsi = viaRunTool.result as Structured;

  const overview = await api(suite, 'trading');
  assert.equal(overview.status, 200);
  assert.deepEqual(Object.keys(overview.body.missing), ['signals'], 'market data and backtests are there');
  assert.deepEqual(
    overview.body.market.symbols.map((s: Structured) => [s.symbol, s.bars]),
    [['SPX', 5105]],
  );
  const [newest, older] = overview.body.backtests as Structured[];
  assert.equal(newest!.via, 'runTool trading_run_backtest');
  assert.equal(older!.via, 'backtestStrategy');
  assert.equal(older!.sharpe, sma.metrics.sharpe);
  assert.equal(older!.maxDrawdown, sma.metrics.maxDrawdown);
  assert.equal(newest!.tradeCount, rsi.metrics.tradeCount);

  for (const [row, expected] of [
    [older!, sma],
    [newest!, rsi],
  ] as const) {
    const detail = await api(suite, 'trading/backtest', { id: row.id });
    assert.equal(detail.status, 200);
    const b = detail.body.backtest as Structured;
    assert.ok(expected.equity.length > 100);
    assert.deepEqual(b.equity, expected.equity);
    for (const name of metricNames) assert.equal(b.metrics[name], expected.metrics[name], name);
    assert.equal(b.benchmark.totalReturn, expected.benchmark.totalReturn);
    assert.equal(b.finalEquity, expected.finalEquity);
    assert.deepEqual(
      [b.symbol, b.start, b.end, b.bars],
      [expected.symbol, expected.start, expected.end, expected.bars],
    );
    assert.deepEqual(b.trades, expected.trades);
  }
});

test("signals on the page are the committee's decisions with each voter's vote, as the MCP calls returned them", async (t) => {
  const { suite, call } = await setup(t);
  const signals = await call('generateMarketSignals', { symbols: ['SPX'], analyst: false });
  const predicted = await call('predictSymbol', { symbols: ['SPX'] });
  // A confident prediction is proposed, so every voter votes on it.
  const prediction = { ...(predicted.predictions as Structured[])[0], confidence: 0.9 };
  const voted = await call('runTool', {
    name: 'trading_run_committee',
    arguments: { predictions: [prediction], analyst: false },
  });

  const overview = await api(suite, 'trading');
  const rows = overview.body.signals as Structured[];
  assert.deepEqual(
    rows.map((r) => r.via),
    ['runTool trading_run_committee', 'predictSymbol', 'generateMarketSignals'],
  );
  assert.deepEqual(rows[0]!.decisions, voted.result.decisions);
  const [decision] = rows[0]!.decisions as Structured[];
  assert.equal(decision!.proposed, true);
  assert.deepEqual(
    (decision!.votes as Structured[]).map((v) => v.voter),
    ['model', 'technical', 'macro', 'analyst'],
  );
  assert.deepEqual(rows[1]!.predictions, predicted.predictions);
  assert.deepEqual(rows[2]!.decisions, signals.committee.decisions);
  assert.equal(rows[2]!.macro, signals.committee.macro);
});

test('a fresh data dir: the Trading API says what is missing and the exact calls that fill it', async (t) => {
  const { suite } = await setup(t, false);
  const { status, body } = await api(suite, 'trading');
  assert.equal(status, 200);
  assert.deepEqual(body.backtests, []);
  assert.deepEqual(body.signals, []);
  assert.match(body.missing.market, /No market data.*trading_import_bars/);
  assert.match(
    body.missing.backtests,
    /Import bars first.*backtestStrategy \{"symbol":"SPX","strategy":\{"type":"sma_crossover"/,
  );
  assert.match(body.missing.signals, /generateMarketSignals \{"symbols":\["SPX"\]\}/);
});

test('bad parameters are 400s naming the parameter; an unknown id is a 404; a non-backtest id is refused', async (t) => {
  const { suite, call } = await setup(t);
  await call('predictSymbol', { symbols: ['SPX'] });
  const bad = await api(suite, 'trading/backtest', { id: '../etc' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^id: /);
  assert.equal((await api(suite, 'trading/backtest')).status, 400);
  assert.equal((await api(suite, 'trading', { limit: '0' })).status, 400);
  assert.equal((await api(suite, 'trading/backtest', { id: '000000000-0000000000' })).status, 404);
  const { entries } = await suite.executions.list({ tool: 'predictSymbol' });
  const wrong = await api(suite, 'trading/backtest', { id: entries[0]!.id });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body.error, /predictSymbol call, not a backtest/);
});
