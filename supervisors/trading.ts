// The trading supervisor: model predictions, declarative backtests, and market signals from the
// knowledge snapshots and the committee. Paper trading and the model registry are internal tools,
// reached through runTool.
import { z } from 'zod';
import { backtestTool } from '../tools/trading/backtest/backtest-tool.js';
import { committeeTool } from '../tools/trading/committee/committee-tool.js';
import { predictSymbols } from '../tools/trading/prediction/prediction-tools.js';
import { generateSignals } from '../tools/trading/signal-tools.js';
import type { ToolOutcome } from '../tools/router.js';
import { defineHighLevelTool, StepFailure, type Supervisor, type SupervisorCall } from './high-level-tool.js';

type Predictions = z.output<typeof predictSymbols.output>;
type Committee = z.output<typeof committeeTool.output>;

const predictSymbol = defineHighLevelTool({
  name: 'predictSymbol',
  owner: 'trading',
  title: 'Model predictions for symbols',
  description:
    'Per symbol: direction, confidence, 1/5/20-day expected returns, volatility, risk, price. Example: {"symbols":"SPX"}',
  kind: { effect: 'readOnly', openWorld: true },
  // A compact published schema; trading_predict_symbols' own checks every call.
  input: z.object({
    symbols: z.union([z.string(), z.array(z.string())]).describe('Up to 50.'),
    model: z.string().optional().describe('name or alias, default production'),
    backend: z.enum(['auto', 'onnx', 'remote']).optional().describe('default auto'),
  }),
  output: z.object({
    backend: z.string(),
    predictions: z.array(z.record(z.string(), z.unknown())),
    failed: z.array(z.object({ symbol: z.string(), error: z.string() })),
  }),
  examples: [{ symbols: 'SPX' }],
  async handler(input, call) {
    const outcome = await call.runOrFail(predictSymbols.name, input);
    return { result: outcome.output as Predictions, text: outcome.text };
  },
});

const backtestStrategy = defineHighLevelTool({
  name: 'backtestStrategy',
  owner: 'trading',
  title: 'Backtest a declarative strategy',
  description:
    'Backtests a strategy given as data on daily bars (next-open fills, costs) with a look-ahead check; optional grid search, walk-forward. Example: {"symbol":"SPX","strategy":{"type":"sma_crossover","fast":50,"slow":200}}',
  kind: { effect: 'readOnly' },
  // A compact published schema (the full one is trading_run_backtest's, checked on every call).
  input: z.object({
    symbol: z.string().max(40).optional().describe('e.g. SPX'),
    bars: z
      .array(z.record(z.string(), z.unknown()))
      .optional()
      .describe('or inline {date, open, high, low, close, volume}'),
    strategy: z
      .record(z.string(), z.unknown())
      .describe(
        '{type, ...}: sma_crossover, ema_crossover, rsi_reversion, breakout, follow_model, follow_committee, combine',
      ),
    costs: z.record(z.string(), z.unknown()).optional().describe('{commissionBps, slippageBps}'),
    sizing: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('{fraction} or {volatilityTarget: {annual, lookback}}'),
    initialCapital: z.number().optional().describe('default 100000'),
    start: z.string().optional().describe('YYYY-MM-DD'),
    end: z.string().optional().describe('YYYY-MM-DD'),
    grid: z.record(z.string(), z.unknown()).optional().describe('{parameters: {fast: {from: 2, to: 99}}, objective}'),
    walkForward: z.record(z.string(), z.unknown()).optional().describe('{mode, train, test, purge}'),
    maxTrades: z.number().optional().describe('default 50'),
  }),
  output: z
    .object({
      symbol: z.string(),
      start: z.string(),
      end: z.string(),
      metrics: z.record(z.string(), z.unknown()),
      benchmark: z.record(z.string(), z.unknown()),
      conventions: z.record(z.string(), z.unknown()),
      equity: z.array(z.unknown()),
      trades: z.array(z.unknown()),
      lookAhead: z.object({ ok: z.boolean() }).loose(),
      grid: z.record(z.string(), z.unknown()).optional(),
      walkForward: z.record(z.string(), z.unknown()).optional(),
    })
    .loose(),
  examples: [{ symbol: 'SPX', strategy: { type: 'sma_crossover', fast: 50, slow: 200 } }],
  async handler(input, call) {
    const outcome = await call.runOrFail(backtestTool.name, input);
    return { result: outcome.output as z.output<typeof backtestTool.output>, text: outcome.text };
  },
});

const generateMarketSignals = defineHighLevelTool({
  name: 'generateMarketSignals',
  owner: 'trading',
  title: 'Generate daily market signals',
  description:
    'Snapshot signals (regimes, crisis odds, risk report, alerts); with symbols, a committee (model, technical, macro, LLM) votes on each. Example: {"symbols":["SPX"]}',
  kind: { effect: 'readOnly', openWorld: true },
  input: generateSignals.input.extend({
    symbols: z.array(z.string().min(1).max(20)).min(1).max(20).optional().describe('for the committee'),
    model: z.string().max(200).optional().describe('model or alias'),
    country: z.string().max(60).optional().describe('macro country, default USA'),
    analyst: z.boolean().optional().describe('ask the LLM analyst; default true'),
  }),
  // The signals' full schema is trading_generate_signals' (and in the README); tools/list stays small.
  output: z.object({
    snapshot: z.string().nullable(),
    previous: z.string().nullable(),
    signals: z.record(z.string(), z.unknown()).nullable(),
    report: z.string(),
    alerts: z.number().int(),
    committee: z
      .object({ decisions: z.array(z.unknown()), signals: z.array(z.unknown()) })
      .loose()
      .optional(),
  }),
  examples: [{}],
  async handler(input, call) {
    const { symbols, model, country, analyst, ...snapshotArgs } = input;
    if (!symbols) {
      const outcome = await call.runOrFail(generateSignals.name, snapshotArgs);
      return { result: outcome.output as z.output<typeof generateSignals.output>, text: outcome.text };
    }
    // With symbols, a missing snapshot is not a failure: the committee's macro voter abstains.
    const snapshot = await call.run(generateSignals.name, snapshotArgs);
    if (!snapshot.ok && (snapshotArgs.snapshot || snapshotArgs.previous)) return failWith(snapshot);
    const committee = await runCommittee(call, { symbols, model, country, analyst, snapshot: snapshotArgs.snapshot });
    const base = snapshot.ok
      ? (snapshot.output as z.output<typeof generateSignals.output>)
      : {
          snapshot: null,
          previous: null,
          signals: null,
          report: `No snapshot signals: ${snapshot.error.message}`,
          alerts: 0,
        };
    return {
      result: { ...base, committee },
      text: `${committee.text}\n\n${snapshot.ok ? snapshot.text : base.report}`,
    };
  },
});

function failWith(outcome: Extract<ToolOutcome, { ok: false }>): never {
  throw new StepFailure(outcome.error);
}

async function runCommittee(
  call: SupervisorCall,
  input: {
    symbols: string[];
    model?: string | undefined;
    country?: string | undefined;
    analyst?: boolean | undefined;
    snapshot?: string | undefined;
  },
): Promise<Committee & { failed: Predictions['failed']; text: string }> {
  const predicted = await call.runOrFail(predictSymbols.name, {
    symbols: input.symbols,
    ...(input.model ? { model: input.model } : {}),
  });
  const predictions = (predicted.output as Predictions).predictions;
  const failed = (predicted.output as Predictions).failed;
  if (predictions.length === 0) {
    return {
      decisions: [],
      signals: [],
      macro: 'not asked: no prediction',
      failed,
      text: `No prediction: ${failed.map((f) => `${f.symbol}: ${f.error}`).join('; ')}`,
    };
  }
  const voted = await call.runOrFail(committeeTool.name, {
    predictions,
    ...(input.country ? { country: input.country } : {}),
    ...(input.analyst === undefined ? {} : { analyst: input.analyst }),
    ...(input.snapshot ? { snapshot: input.snapshot } : {}),
  });
  const committee = voted.output as Committee;
  for (const decision of committee.decisions)
    call.decide({
      by: 'committee',
      subject: decision.symbol,
      decision: decision.decision,
      detail: {
        direction: decision.direction,
        proposed: decision.proposed,
        consensus: decision.consensus,
        thresholds: decision.thresholds,
        signal: decision.signal,
        votes: decision.votes.map((v) => ({
          voter: v.voter,
          direction: v.direction,
          confidence: v.confidence,
          weight: v.weight,
          ...(v.abstained ? { abstained: v.abstained } : { rationale: v.rationale.slice(0, 400) }),
        })),
      },
    });
  return { ...committee, failed, text: voted.text };
}

export const tradingSupervisor: Supervisor = {
  name: 'trading',
  description:
    'Model predictions, declarative backtests, the committee, and market signals from the knowledge snapshots; paper trading through runTool.',
  tools: [predictSymbol, backtestStrategy, generateMarketSignals],
};
