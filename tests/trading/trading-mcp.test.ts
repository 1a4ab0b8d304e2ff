// The trading supervisor end to end over MCP (the SDK's Client over an in-memory transport): a
// backtest of the S&P 500 whose metrics equal the numpy reference, predictions from a registered
// ONNX model with its identity, market signals with the committee's votes in the result and in the
// execution block, a follow-the-model backtest, and bad input answered with isError naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { connectClient, repoRoot, testSuite, textOf } from '../helpers.js';
import { closePredictionBackends } from '../../tools/trading/prediction/backends.js';
import { seedPredictionExamples } from './predict-model-fixture.js';

type Structured = Record<string, any>;

async function setup(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t);
  t.after(async () => {
    await closePredictionBackends(suite.dataDir);
    await suite.close();
  });
  await seedPredictionExamples(suite.project, suite.dataDir);
  const client = await connectClient(t, suite);
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name, arguments: args })) as {
      isError?: boolean;
      structuredContent?: Structured;
    };
    return { ...result, text: textOf(result) };
  };
  return { suite, client, call };
}

const reference = JSON.parse(
  await readFile(path.join(repoRoot, 'tests', 'trading', 'fixtures', 'sp500-reference.json'), 'utf8'),
) as {
  cases: {
    strategy: Record<string, unknown>;
    costs: unknown;
    sizing: unknown;
    metrics: Record<string, number>;
    finalEquity: number;
  }[];
};

test('backtestStrategy over MCP: the S&P 500 SMA 50/200 metrics equal the numpy reference, with their conventions and a passed look-ahead check', async (t) => {
  const { call } = await setup(t);
  const listed = reference.cases[0]!;
  const result = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: listed.strategy,
    costs: listed.costs,
    sizing: listed.sizing,
  });
  assert.equal(result.isError, undefined, result.text);
  const out = result.structuredContent!;
  assert.equal(out.start, '2000-01-03');
  assert.equal(out.end, '2020-04-17');
  for (const [name, value] of Object.entries(listed.metrics)) {
    const got = out.metrics[name] as number;
    assert.ok(Math.abs(got - value) <= 1e-9 * Math.max(1, Math.abs(value)), `${name}: ${got} vs numpy ${value}`);
  }
  assert.equal(out.conventions.annualization, 252);
  assert.equal(out.conventions.ddof, 1);
  assert.equal(out.lookAhead.ok, true);
  assert.ok(out.equity.length <= 500 && out.equity.length > 2);
  assert.equal(out.execution.steps[0].tool, 'trading_run_backtest');
  assert.match(result.text, /Sharpe/);
});

test('predictSymbol over MCP returns the registered model’s prediction and its identity', async (t) => {
  const { call } = await setup(t);
  const result = await call('predictSymbol', { symbols: ['SPX'] });
  assert.equal(result.isError, undefined, result.text);
  const [prediction] = result.structuredContent!.predictions as Structured[];
  assert.equal(prediction!.symbol, 'SPX');
  assert.match(prediction!.direction, /^(LONG|SHORT)$/);
  assert.equal(prediction!.asOf, '2020-04-17');
  assert.equal(prediction!.currentPrice, 2874.560059);
  assert.equal(prediction!.model.name, 'ohlc-mlp');
  assert.equal(prediction!.model.alias, 'production');
  assert.equal(prediction!.model.backend, 'onnx');
  assert.match(prediction!.model.sha256, /^[0-9a-f]{64}$/);
  assert.match(prediction!.model.dataContractHash, /^[0-9a-f]{64}$/);
  assert.doesNotMatch(JSON.stringify(prediction), /\bv\d+\b/, 'no version in any name');
  // Status says since when the model is loaded, in wall-clock time (not the suite's monotonic clock).
  const listed = await call('runTool', { name: 'trading_list_models', arguments: {} });
  const loaded = listed.structuredContent!.result.models[0].checkpoints[0].loaded;
  assert.equal(loaded.predictions, 1);
  assert.ok(Math.abs(Date.parse(loaded.since) - Date.now()) < 10 * 60_000, `loaded since ${loaded.since}`);
});

test('generateMarketSignals with symbols: predictions go to the committee; votes, weights and the decision are in the result and the execution block', async (t) => {
  const { call } = await setup(t);
  const result = await call('generateMarketSignals', { symbols: ['SPX'] });
  assert.equal(result.isError, undefined, result.text);
  const out = result.structuredContent!;
  assert.equal(out.snapshot, null, 'no snapshot in a fresh data dir');
  assert.match(out.report, /No snapshot signals/);
  const [decision] = out.committee.decisions as Structured[];
  assert.equal(decision!.symbol, 'SPX');
  const tools = (out.execution.steps as { tool: string }[]).map((s) => s.tool);
  assert.deepEqual(tools, ['trading_generate_signals', 'trading_predict_symbols', 'trading_run_committee']);
  if (decision!.proposed) {
    assert.deepEqual(
      (decision!.votes as Structured[]).map((v) => v.voter),
      ['model', 'technical', 'macro', 'analyst'],
    );
    const recorded = out.execution.decisions[0];
    assert.equal(recorded.by, 'committee');
    assert.equal(recorded.subject, 'SPX');
    assert.equal(recorded.detail.votes.length, 4);
    assert.match(recorded.detail.votes[3].abstained, /no LLM backend/);
    assert.match(result.text, /analyst/);
  } else {
    assert.match(decision!.proposal, /not sent to the committee/);
  }
});

test('a follow_model backtest runs the registered model causally over the history and passes the look-ahead check', async (t) => {
  const { call } = await setup(t);
  const result = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'follow_model', minConfidence: 0.5, allowShort: true },
    start: '2015-01-02',
  });
  assert.equal(result.isError, undefined, result.text);
  const out = result.structuredContent!;
  assert.equal(out.lookAhead.ok, true);
  assert.equal(out.start, '2015-01-02');
  assert.ok(typeof out.metrics.sharpe === 'number' || out.metrics.sharpe === null);
  const committee = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'follow_committee', minConsensus: 0.6 },
    start: '2015-01-02',
  });
  assert.equal(committee.isError, undefined, committee.text);
  assert.equal(committee.structuredContent!.lookAhead.ok, true);
});

test('bad input gets isError with the field and the fix: unknown symbol, a strategy that does not validate, a window longer than the data, a malformed CSV', async (t) => {
  const { suite, call } = await setup(t);
  const unknown = await call('backtestStrategy', {
    symbol: 'NOPE',
    strategy: { type: 'sma_crossover', fast: 5, slow: 20 },
  });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /^symbol: .*NOPE/);
  const invalid = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'sma_crossover', fast: 200, slow: 50 },
  });
  assert.equal(invalid.isError, true);
  assert.match(invalid.text, /strategy/);
  assert.match(invalid.text, /fast/);
  const code = await call('backtestStrategy', { symbol: 'SPX', strategy: { type: 'javascript', code: 'return 1' } });
  assert.equal(code.isError, true);
  assert.match(code.text, /strategy/);
  const long = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'sma_crossover', fast: 50, slow: 200 },
    walkForward: { mode: 'rolling', train: 6000, test: 500, purge: 5 },
  });
  assert.equal(long.isError, true);
  assert.match(long.text, /walkForward\.train.*5105|5105.*walkForward/);
  const window = await call('backtestStrategy', {
    symbol: 'SPX',
    strategy: { type: 'sma_crossover', fast: 50, slow: 6000 },
  });
  assert.equal(window.isError, true, window.text);
  const broken = path.join(suite.project, 'broken.csv');
  await writeFile(
    broken,
    'date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1,oops,0.5,1.5,100\n',
  );
  const imported = await call('runTool', {
    name: 'trading_import_bars',
    arguments: { symbol: 'BROKEN', file: broken },
  });
  assert.equal(imported.isError, true);
  assert.match(imported.text, /row 3|line 3/);
  const predicted = await call('predictSymbol', { symbols: ['../etc'] });
  assert.equal(predicted.isError, true);
  assert.match(predicted.text, /^symbols\[0\]: a ticker such as SPX/);
});

test('paper trading over MCP: an order is an action, the ledger line carries the wall-clock time, cancelling everything needs confirm', async (t) => {
  const { suite, call } = await setup(t);
  const placed = await call('runTool', {
    name: 'trading_paper_order',
    arguments: { symbol: 'SPX', side: 'buy', quantity: 3 },
  });
  assert.equal(placed.isError, undefined, placed.text);
  assert.match(placed.text, /pending, fills at the open of the bar after 2020-04-17/);
  const ledger = await readFile(path.join(suite.dataDir, 'trading', 'paper', 'ledger.jsonl'), 'utf8');
  const events = ledger
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { time: string; type: string });
  assert.ok(events.some((e) => e.type === 'order_placed'));
  for (const event of events) assert.ok(Math.abs(Date.parse(event.time) - Date.now()) < 10 * 60_000, event.time);
  const refused = await call('runTool', { name: 'trading_paper_cancel_all', arguments: {} });
  assert.equal(refused.isError, true);
  assert.match(refused.text, /^confirm: /);
  const cancelled = await call('runTool', { name: 'trading_paper_cancel_all', arguments: {}, confirm: true });
  assert.equal(cancelled.isError, undefined, cancelled.text);
  assert.match(cancelled.text, /cancelled 1 pending order/);
});
