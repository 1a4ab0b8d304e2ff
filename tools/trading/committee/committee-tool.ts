// trading_run_committee: the committee over a list of predictions (what predictSymbol / trading_predict
// returned). generateMarketSignals runs it after the predictions; it is also reachable by runTool.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { createBarSource } from '../market/market-store.js';
import { barDate, sliceBars, type BarSource, type Bars } from '../market/bars.js';
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

/** Bars older than this before a prediction's date are too stale to vote on it. */
const staleDays = 5;

/**
 * The symbol's local bars up to the prediction's date: a vote on a prediction made at t reads
 * nothing after t, and bars that end long before t do not vote at all.
 */
async function barsAsOf(
  source: BarSource,
  symbol: string,
  asOf: string,
  signal: AbortSignal,
): Promise<{ bars?: Bars; missing?: string }> {
  let bars: Bars;
  try {
    bars = await source(symbol, signal);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { missing: `no local bars for ${symbol}: ${error.message}` };
  }
  const cut = Date.parse(asOf.length === 10 ? `${asOf}T23:59:59.999Z` : asOf);
  if (Number.isNaN(cut)) return { bars };
  let end = bars.time.length;
  while (end > 0 && bars.time[end - 1]! > cut) end--;
  if (end === 0) return { missing: `the local bars of ${symbol} start after the prediction's date ${asOf}` };
  const last = bars.time[end - 1]!;
  const days = (cut - last) / 86_400_000;
  if (days > staleDays + 1)
    return {
      missing: `the local bars of ${symbol} end ${barDate(last)}, ${Math.floor(days)} days before the prediction (${asOf}): too old to vote on it; import recent bars with trading_import_bars`,
    };
  return { bars: end === bars.time.length ? bars : sliceBars(bars, 0, end) };
}

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
    snapshot: z
      .string()
      .max(200)
      .optional()
      .describe(
        'the knowledge snapshot the macro voter reads; default the newest usable one dated on or before the prediction',
      ),
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
    const now = new Date().toISOString();
    const macroByDay = new Map<string, Awaited<ReturnType<typeof latestSignals>>>();
    const decisions: CommitteeDecision[] = [];
    for (const prediction of input.predictions) {
      context.signal.throwIfAborted();
      const local = await barsAsOf(source, prediction.symbol, prediction.asOf, context.signal);
      const day = prediction.asOf.slice(0, 10);
      let macro = macroByDay.get(day);
      if (!macro) {
        macro = await latestSignals(context.environment, now, { snapshot: input.snapshot, asOf: prediction.asOf });
        macroByDay.set(day, macro);
      }
      decisions.push(
        await decide(context, settings, {
          prediction,
          bars: local.bars,
          ...(local.missing ? { barsMissing: local.missing } : {}),
          macro,
          country: input.countries?.[prediction.symbol] ?? input.country,
          analyst: input.analyst,
        }),
      );
    }
    const read = [...macroByDay.values()];
    return {
      decisions,
      signals: decisions
        .filter((d) => d.signal)
        .map((d) => ({ symbol: d.symbol, direction: d.direction, consensus: d.consensus ?? 0 })),
      macro: read
        .map((m) => ('signals' in m ? `snapshot ${m.signals.snapshot.name}` : `abstained: ${m.reason}`))
        .filter((line, i, all) => all.indexOf(line) === i)
        .join('; '),
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
