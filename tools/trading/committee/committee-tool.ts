// trading_run_committee: the committee over a list of predictions (what predictSymbol / trading_predict
// returned). generateMarketSignals runs it after the predictions; it is also reachable by runTool.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { createBarSource } from '../market/market-store.js';
import type { Bars } from '../market/bars.js';
import { latestSignals } from '../signal-tools.js';
import { decide, type CommitteeDecision } from './committee.js';
import { predictionInputSchema } from './prediction-schema.js';

const defaultCommittee = {
  proposalConfidence: 0.65,
  consensus: 0.7,
  weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
};

const voteSchema = z.object({
  voter: z.enum(['model', 'technical', 'macro', 'analyst']),
  direction: z.enum(['LONG', 'SHORT', 'FLAT']),
  confidence: z.number(),
  weight: z.number(),
  rationale: z.string(),
  abstained: z.string().optional(),
});

export const decisionSchema = z.object({
  symbol: z.string(),
  proposed: z.boolean(),
  proposal: z.string(),
  direction: z.enum(['LONG', 'SHORT']),
  consensus: z.number().nullable(),
  support: z.object({ LONG: z.number(), SHORT: z.number(), FLAT: z.number() }).nullable(),
  thresholds: z.object({ proposalConfidence: z.number(), consensus: z.number() }),
  signal: z.boolean(),
  decision: z.string(),
  votes: z.array(voteSchema),
});

export const committeeTool = defineTool({
  name: 'trading_run_committee',
  domain: 'trading',
  tags: ['committee', 'votes', 'consensus', 'signal', 'analyst', 'proposal'],
  requests: [
    'should we trade this prediction',
    'committee vote on a prediction',
    'turn predictions into trade signals',
    'weighted consensus of model, technical, macro and analyst',
  ],
  title: 'Committee vote on predictions',
  description:
    'Reviews predictions (from trading_predict): one with confidence above the proposal threshold (0.65) is voted on by the model, technical rules (trend, SMA cross, MACD, RSI, breakout on local bars), the macro regime of the newest knowledge snapshot, and an LLM analyst through the confidence cascade; a signal is issued when the weighted consensus is above 70%. Returns every vote, weight, rationale and the decision. Without an LLM backend the analyst abstains and the result says so. Example: {"predictions": [<a trading_predict result>]}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    predictions: z
      .array(predictionInputSchema)
      .min(1)
      .max(20)
      .describe('predictions to review, as trading_predict returns them'),
    country: z
      .string()
      .min(2)
      .max(60)
      .default('USA')
      .describe('country (ISO3 or name) whose macro regime votes; default USA'),
    countries: z
      .record(z.string(), z.string())
      .optional()
      .describe('per-symbol country overrides, e.g. {"DAX": "DEU"}'),
    analyst: z.boolean().default(true).describe('ask the LLM analyst (false: vote without it)'),
  }),
  output: z.object({
    decisions: z.array(decisionSchema),
    signals: z.array(z.object({ symbol: z.string(), direction: z.enum(['LONG', 'SHORT']), consensus: z.number() })),
    macro: z.string().describe('the snapshot the macro voter read, or why it abstained'),
  }),
  examples: [
    {
      predictions: [
        {
          symbol: 'EXAMPLE',
          direction: 'LONG',
          confidence: 0.5,
          expectedReturns: { '1d': 0.001, '5d': 0.004, '20d': 0.01 },
          volatility: 0.012,
          riskScore: 0.3,
          riskScoreSource: 'example',
          currentPrice: 100,
          asOf: '2020-04-17',
          model: {
            name: 'example',
            checkpoint: 'example.onnx',
            sha256: '0'.repeat(64),
            trainedAt: '2020-01-01',
            dataContractHash: '0'.repeat(64),
            backend: 'onnx',
          },
          latencyMs: 1,
        },
      ],
      analyst: false,
    },
  ],
  async handler(input, context) {
    const settings = context.environment.trading?.committee ?? defaultCommittee;
    const source = createBarSource(context.environment);
    const macro = await latestSignals(context.environment, new Date().toISOString());
    const decisions: CommitteeDecision[] = [];
    for (const prediction of input.predictions) {
      context.signal.throwIfAborted();
      let bars: Bars | undefined;
      let barsMissing: string | undefined;
      try {
        bars = await source(prediction.symbol, context.signal);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        barsMissing = `no local bars for ${prediction.symbol}: ${error.message}`;
      }
      decisions.push(
        await decide(context, settings, {
          prediction,
          bars,
          ...(barsMissing ? { barsMissing } : {}),
          macro,
          country: input.countries?.[prediction.symbol] ?? input.country,
          analyst: input.analyst,
        }),
      );
    }
    return {
      decisions,
      signals: decisions
        .filter((d) => d.signal)
        .map((d) => ({ symbol: d.symbol, direction: d.direction, consensus: d.consensus ?? 0 })),
      macro: 'signals' in macro ? `snapshot ${macro.signals.snapshot.name}` : `abstained: ${macro.reason}`,
    };
  },
  summarize: (o) =>
    o.decisions
      .map(
        (d) =>
          `${d.symbol} ${d.direction}: ${d.decision}${d.votes.length ? `\n${d.votes.map((v) => `  - ${v.voter} (w ${v.weight}): ${v.abstained ? `abstained: ${v.abstained}` : `${v.direction} ${v.confidence} — ${v.rationale}`}`).join('\n')}` : ''}`,
      )
      .join('\n'),
});
