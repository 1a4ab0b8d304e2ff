// The committee through the dispatcher: proposals above the confidence threshold, the technical
// vote on the real S&P 500 bars (checked against trading-signals' own SMA, RSI and MACD), the
// consensus arithmetic by hand, the LLM analyst through the real pool and a loopback Ollama peer
// (its confidence is the cascade's, and its call is in the execution block), and the analyst
// abstaining, and saying so, with no LLM backend or with an answer that does not fit the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MACD, EMA, RSI, SMA } from 'trading-signals';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { PredictionPeer } from '../peers/prediction-peer.js';
import { repoRoot, tempDir, testSuite, type TestSuite } from '../helpers.js';
import { signalProviders } from '../../tools/trading/signal-providers.js';
import { barsFromRows, sliceBars } from '../../tools/trading/market/bars.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { macroVote } from '../../tools/trading/committee/macro-voter.js';
import { committeeProvider } from '../../tools/trading/committee/committee-series.js';
import { technicalSeries, technicalVote } from '../../tools/trading/committee/technical-voter.js';
import { consensusFor, type Vote } from '../../tools/trading/committee/vote.js';
import type { ScannerSignals } from '../../knowledge/snapshot/daily-outputs.js';

const sp500 = path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv');
const weights = { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 };

function prediction(symbol: string, direction: 'LONG' | 'SHORT', confidence: number) {
  return {
    symbol,
    direction,
    confidence,
    expectedReturns: { '1d': 0.002, '5d': 0.006, '20d': 0.015 },
    volatility: 0.014,
    riskScore: 0.35,
    riskScoreSource: 'model output',
    currentPrice: 2874.56,
    asOf: '2020-04-17',
    model: {
      name: 'ohlc-transformer',
      alias: 'production',
      checkpoint: 'a.onnx',
      sha256: 'a'.repeat(64),
      trainedAt: '2020-01-01T00:00:00Z',
      dataContractHash: 'b'.repeat(64),
      backend: 'onnx' as const,
    },
    latencyMs: 1.2,
  };
}

async function suiteWithSp500(
  t: Parameters<typeof testSuite>[0],
  env: Record<string, string> = {},
): Promise<TestSuite> {
  const suite = await testSuite(t, { env });
  t.after(() => suite.close());
  const market = path.join(suite.dataDir, 'trading', 'market');
  await mkdir(market, { recursive: true });
  await copyFile(sp500, path.join(market, 'SPX.csv'));
  return suite;
}

type Decision = {
  symbol: string;
  proposed: boolean;
  consensus: number | null;
  signal: boolean;
  decision: string;
  votes: (Vote & { abstained?: string })[];
};

async function committee(suite: TestSuite, args: Record<string, unknown>) {
  const result = await suite.dispatcher.call('runTool', { name: 'trading_run_committee', arguments: args });
  assert.equal(result.isError, false, result.text);
  return result.structuredContent as unknown as {
    result: { decisions: Decision[]; signals: { symbol: string }[]; macro: string };
    execution: { llm: { model: string; confidence?: number; outcome: string }[] };
  };
}

/** The five rules at the last bar, from trading-signals' streaming indicators. */
function expectedTechnical(closes: number[], highs: number[], lows: number[]) {
  const last = closes.length - 1;
  const sma50 = new SMA(50);
  const sma200 = new SMA(200);
  const rsi = new RSI(14);
  const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  let s50 = 0;
  let s200 = 0;
  let r = 0;
  let histogram = 0;
  for (const close of closes) {
    s50 = Number(sma50.add(close));
    s200 = Number(sma200.add(close));
    r = Number(rsi.add(close));
    histogram = macd.add(close)?.histogram ?? Number.NaN;
  }
  const close = closes[last]!;
  const high = Math.max(...highs.slice(last - 20, last));
  const low = Math.min(...lows.slice(last - 20, last));
  const rules = [
    Math.sign(close - s200),
    Math.sign(s50 - s200),
    Math.sign(histogram),
    r < 30 ? 1 : r > 70 ? -1 : 0,
    close > high ? 1 : close < low ? -1 : 0,
  ];
  return rules.reduce((a, b) => a + b, 0) / rules.length;
}

test('a prediction at or below the proposal confidence is not sent to the committee', async (t) => {
  const suite = await suiteWithSp500(t);
  const { result } = await committee(suite, { predictions: [prediction('SPX', 'LONG', 0.65)] });
  const [decision] = result.decisions;
  assert.equal(decision!.proposed, false);
  assert.equal(decision!.signal, false);
  assert.deepEqual(decision!.votes, []);
  assert.match(decision!.decision, /not proposed/);
});

test('with no LLM backend the committee votes without the analyst, says so, and the consensus is the weighted share of the voters that voted', async (t) => {
  const suite = await suiteWithSp500(t);
  const { result, execution } = await committee(suite, { predictions: [prediction('SPX', 'LONG', 0.9)] });
  const decision = result.decisions[0]!;
  assert.equal(decision.proposed, true);
  const byVoter = Object.fromEntries(decision.votes.map((v) => [v.voter, v]));
  assert.match(byVoter.analyst!.abstained!, /no LLM backend/);
  assert.match(byVoter.macro!.abstained!, /no knowledge snapshot/);
  assert.match(result.macro, /abstained/);
  const bars = await createBarSource(suite.environment)('SPX');
  const score = expectedTechnical([...bars.close], [...bars.high], [...bars.low]);
  const technical = byVoter.technical!;
  assert.equal(technical.abstained, undefined);
  assert.equal(technical.direction, score > 0 ? 'LONG' : score < 0 ? 'SHORT' : 'FLAT');
  assert.ok(Math.abs(technical.confidence - Math.abs(score)) < 1e-9, `${technical.confidence} vs ${score}`);
  // Only the model and technical voters voted: their weights are the denominator.
  const support = 0.4 * 0.9 + (technical.direction === 'LONG' ? 0.25 * Math.abs(score) : 0);
  assert.ok(Math.abs(decision.consensus! - support / 0.65) < 1e-4, `${decision.consensus} vs ${support / 0.65}`);
  assert.equal(decision.signal, support / 0.65 > 0.7);
  assert.match(decision.decision, /without macro, analyst/);
  assert.deepEqual(execution.llm, []);
});

test('the LLM analyst votes through the cascade: it sees the other votes, its confidence is the cascade’s, and the call is in the execution block', async (t) => {
  const prompts: string[] = [];
  const peer = new OllamaPeer({
    resident: ['qwen3:4b'],
    reply: (prompt) => {
      prompts.push(prompt);
      return JSON.stringify({
        direction: 'LONG',
        confidence: 0.9,
        rationale: 'Price is above the 200-day average and momentum is positive.',
        risks: ['a gap down on earnings'],
      });
    },
  });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await suiteWithSp500(t, { CAELUM_OLLAMA_HOSTS: `gpu=${peer.url}` });
  const { result, execution } = await committee(suite, { predictions: [prediction('SPX', 'LONG', 0.8)] });
  const decision = result.decisions[0]!;
  const analyst = decision.votes.find((v) => v.voter === 'analyst')!;
  assert.equal(analyst.abstained, undefined, analyst.rationale);
  assert.equal(analyst.direction, 'LONG');
  assert.match(analyst.rationale, /200-day average.*Risks: a gap down on earnings/);
  const call = execution.llm.find((s) => s.outcome === 'accepted')!;
  assert.ok(call, JSON.stringify(execution.llm));
  assert.equal(analyst.confidence, call.confidence);
  assert.ok(prompts.some((p) => /Other votes:[\s\S]*model: LONG, confidence 0\.80[\s\S]*technical:/.test(p)));
  assert.ok(prompts.some((p) => /Symbol: SPX, last bar 2020-04-17, close 2874\.56/.test(p)));
  const voting = decision.votes.filter((v) => !v.abstained);
  const expected = consensusFor(voting, 'LONG').consensus;
  assert.ok(Math.abs(decision.consensus! - expected) < 1e-4);
  assert.equal(decision.signal, expected > 0.7);
});

test('an analyst answer that does not fit the schema is an abstention with its reason, not a vote', async (t) => {
  const peer = new OllamaPeer({ resident: ['qwen3:4b'], reply: () => 'I would buy, probably.' });
  await peer.start();
  t.after(() => peer.stop());
  const suite = await suiteWithSp500(t, { CAELUM_OLLAMA_HOSTS: `gpu=${peer.url}` });
  const { result } = await committee(suite, { predictions: [prediction('SPX', 'SHORT', 0.95)] });
  const analyst = result.decisions[0]!.votes.find((v) => v.voter === 'analyst')!;
  assert.match(analyst.abstained!, /no valid vote \(.*JSON/);
});

test('a symbol with no local bars: the technical voter abstains with the reason; bad input names the field', async (t) => {
  const suite = await suiteWithSp500(t);
  const { result } = await committee(suite, { predictions: [prediction('NOPE', 'LONG', 0.9)], analyst: false });
  const technical = result.decisions[0]!.votes.find((v) => v.voter === 'technical')!;
  assert.match(technical.abstained!, /no local bars for NOPE/);
  const bad = await suite.dispatcher.call('runTool', {
    name: 'trading_run_committee',
    arguments: { predictions: [{ ...prediction('SPX', 'LONG', 0.9), confidence: 90 }] },
  });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /predictions\[0\]\.confidence: Too big/);
});

test('the macro voter reads the regime of the country asked for, and abstains where the snapshot has no data', () => {
  const signals = {
    snapshot: { name: '20261201-000000-abcd', createdAt: '2026-12-01' },
    countries: [
      {
        iso3: 'USA',
        name: 'United States',
        regime: 'tranquil',
        probabilities: { tranquil: 0.82, turbulent: 0.15, crisis: 0.03 },
        crisisProbability12m: 0.04,
        signal: 'risk_on',
      },
      {
        iso3: 'DEU',
        name: 'Germany',
        regime: 'crisis',
        probabilities: { tranquil: 0.1, turbulent: 0.3, crisis: 0.6 },
        crisisProbability12m: 0.5,
        signal: 'risk_off',
      },
      { iso3: 'JPN', name: 'Japan', regime: null, probabilities: null, crisisProbability12m: null, signal: 'no_data' },
    ],
  } as unknown as ScannerSignals;
  const us = macroVote(signals, 'USA', 0.15);
  assert.deepEqual([us.direction, us.confidence], ['LONG', 0.82]);
  const germany = macroVote(signals, 'deu', 0.15);
  assert.equal(germany.direction, 'SHORT');
  assert.ok(Math.abs(germany.confidence - 0.9) < 1e-12);
  assert.match(macroVote(signals, 'JPN', 0.15).abstained!, /too little data/);
  assert.match(macroVote(signals, 'FRA', 0.15).abstained!, /no country "FRA"/);
});

test('the committee over history decides at each bar exactly as the live committee would on bars[0..t]', async (t) => {
  const suite = await suiteWithSp500(t);
  const bars = await createBarSource(suite.environment)('SPX');
  // A stand-in model that reads only bars[0..t]: 10-bar momentum, more confident the larger it is.
  const model = async (b: typeof bars) => {
    const n = b.close.length;
    const direction = new Int8Array(n);
    const confidence = new Float64Array(n);
    for (let i = 10; i < n; i++) {
      const move = b.close[i]! / b.close[i - 10]! - 1;
      direction[i] = move >= 0 ? 1 : -1;
      confidence[i] = Math.min(1, 0.5 + Math.abs(move) * 5);
    }
    return { direction, confidence };
  };
  const settings = { proposalConfidence: 0.65, consensus: 0.7, weights };
  const history = await committeeProvider(model, settings)(bars);
  let proposed = 0;
  for (const at of [250, 1000, 2208, 3000, 4100, 5103]) {
    const prefix = sliceBars(bars, 0, at + 1);
    const { direction, confidence } = await model(prefix);
    const series = technicalSeries(prefix);
    const votes: Vote[] = [
      {
        voter: 'model',
        direction: direction[at]! > 0 ? 'LONG' : 'SHORT',
        confidence: confidence[at]!,
        weight: 0.4,
        rationale: '',
      },
      technicalVote(series, 0.25),
    ];
    if (!(confidence[at]! > 0.65)) {
      assert.equal(history.direction[at], 0, `bar ${at} is not proposed`);
      continue;
    }
    proposed++;
    const live = consensusFor(votes, votes[0]!.direction).consensus;
    assert.ok(Math.abs(history.consensus[at]! - live) < 1e-12, `bar ${at}: ${history.consensus[at]} vs ${live}`);
  }
  assert.ok(proposed >= 2, `${proposed} sampled bars were proposed`);
  // Built from rows, the same bars give the same series (no hidden state between calls).
  const rebuilt = barsFromRows(
    'SPX',
    'memory',
    [...bars.close].map((c, i) => ({
      time: bars.time[i]!,
      open: bars.open[i]!,
      high: bars.high[i]!,
      low: bars.low[i]!,
      close: c,
      volume: bars.volume[i]!,
    })),
  );
  const again = await committeeProvider(model, settings)(rebuilt);
  assert.deepEqual(again.consensus, history.consensus);
});

test('a prediction is judged on the bars up to its own date, and bars that end long before it do not vote', async (t) => {
  const suite = await suiteWithSp500(t);
  const historical = { ...prediction('SPX', 'LONG', 0.9), asOf: '2010-06-01' };
  const stale = { ...prediction('SPX', 'LONG', 0.9), asOf: '2026-12-03' };
  const { result } = await committee(suite, { predictions: [historical, stale], analyst: false });
  const bars = await createBarSource(suite.environment)('SPX');
  let end = 0;
  while (end < bars.time.length && bars.time[end]! <= Date.parse('2010-06-01T23:59:59Z')) end++;
  const cut = sliceBars(bars, 0, end);
  const score = expectedTechnical([...cut.close], [...cut.high], [...cut.low]);
  const technical = result.decisions[0]!.votes.find((v) => v.voter === 'technical')!;
  assert.equal(technical.abstained, undefined);
  assert.ok(
    Math.abs(technical.confidence - Math.abs(score)) < 1e-9,
    `${technical.confidence} vs ${score} on bars to 2010-06-01`,
  );
  const late = result.decisions[1]!.votes.find((v) => v.voter === 'technical')!;
  assert.match(late.abstained!, /end 2020-04-17, \d+ days before the prediction \(2026-12-03\): too old to vote/);
});

test('generateMarketSignals with a remote prediction service: the decision, with every vote’s weight and rationale, is in the execution block', async (t) => {
  const service = await new PredictionPeer().start();
  t.after(() => service.stop());
  const suite = await suiteWithSp500(t, { CAELUM_PREDICTION_URL: service.url });
  const result = await suite.dispatcher.call('generateMarketSignals', { symbols: ['SPX'], analyst: false });
  assert.equal(result.isError, false, result.text);
  const out = result.structuredContent as {
    committee: { decisions: Decision[] };
    execution: {
      decisions: { by: string; subject: string; decision: string; detail: { votes: Record<string, unknown>[] } }[];
    };
  };
  const decision = out.committee.decisions[0]!;
  assert.equal(decision.proposed, true, 'the service answers confidence 72.5 (0.725 > 0.65)');
  const [recorded] = out.execution.decisions;
  assert.equal(recorded!.subject, 'SPX');
  assert.equal(recorded!.decision, decision.decision);
  const votes = Object.fromEntries(recorded!.detail.votes.map((v) => [v.voter, v]));
  assert.equal(votes.model!.weight, 0.4);
  assert.match(String(votes.model!.rationale), /ohlc-transformer via remote/);
  assert.match(String(votes.technical!.rationale), /SMA200/);
  assert.match(String(votes.analyst!.abstained), /not asked/);
});

test('backtests that name no threshold use the configured committee thresholds (trading.committee)', async (t) => {
  const dir = await tempDir(t);
  const config = path.join(dir, 'caelum.json');
  await writeFile(config, JSON.stringify({ trading: { committee: { proposalConfidence: 0.8, consensus: 0.9 } } }));
  const suite = await testSuite(t, { flags: { config } });
  t.after(() => suite.close());
  const providers = signalProviders(suite.dispatcher.context({}));
  assert.deepEqual(providers.thresholds, { proposalConfidence: 0.8, consensus: 0.9 });
  const plain = await testSuite(t);
  t.after(() => plain.close());
  assert.deepEqual(signalProviders(plain.dispatcher.context({})).thresholds, {
    proposalConfidence: 0.65,
    consensus: 0.7,
  });
});
