// The committee for one prediction: a prediction above the proposal confidence is proposed; the
// model, technical, macro and analyst voters vote; a signal is issued when the weighted consensus
// for the proposed direction is above the consensus threshold. Every vote, weight and rationale is
// kept with the decision.
import type { ScannerSignals } from '../../../knowledge/snapshot/daily-outputs.js';
import type { ToolContext, TradingSettings } from '../../context.js';
import { barDate, type Bars } from '../market/bars.js';
import type { Prediction } from '../prediction/prediction.js';
import { analystVote, type MarketSummary } from './analyst-voter.js';
import { macroVote } from './macro-voter.js';
import { readingsText, technicalSeries, technicalVote } from './technical-voter.js';
import { consensusFor, round, type Vote } from './vote.js';

export interface CommitteeDecision {
  symbol: string;
  proposed: boolean;
  /** Why the prediction was or was not proposed. */
  proposal: string;
  direction: 'LONG' | 'SHORT';
  consensus: number | null;
  support: { LONG: number; SHORT: number; FLAT: number } | null;
  thresholds: { proposalConfidence: number; consensus: number };
  signal: boolean;
  decision: string;
  votes: Vote[];
}

export interface CommitteeInputs {
  prediction: Prediction;
  bars: Bars | undefined;
  barsMissing?: string;
  macro: { signals: ScannerSignals } | { reason: string };
  country: string;
  analyst: boolean;
}

export async function decide(
  context: ToolContext,
  settings: TradingSettings['committee'],
  inputs: CommitteeInputs,
): Promise<CommitteeDecision> {
  const { prediction, bars } = inputs;
  const thresholds = { proposalConfidence: settings.proposalConfidence, consensus: settings.consensus };
  const base = { symbol: prediction.symbol, direction: prediction.direction, thresholds };
  if (!(prediction.confidence > settings.proposalConfidence))
    return {
      ...base,
      proposed: false,
      proposal: `confidence ${prediction.confidence.toFixed(3)} is not above ${settings.proposalConfidence}: not sent to the committee`,
      consensus: null,
      support: null,
      signal: false,
      decision: 'not proposed',
      votes: [],
    };
  const weights = settings.weights;
  const votes: Vote[] = [
    {
      voter: 'model',
      direction: prediction.direction,
      confidence: prediction.confidence,
      weight: weights.model,
      rationale: `${prediction.model.name}${prediction.model.alias ? ` (${prediction.model.alias})` : ''} via ${prediction.model.backend}: expected 1d ${pct(prediction.expectedReturns['1d'])}, 5d ${pct(prediction.expectedReturns['5d'])}, 20d ${pct(prediction.expectedReturns['20d'])}, risk ${prediction.riskScore.toFixed(2)}`,
    },
  ];
  const series = bars ? technicalSeries(bars) : undefined;
  votes.push(
    series
      ? technicalVote(series, weights.technical)
      : abstain('technical', weights.technical, inputs.barsMissing ?? `no local bars for ${prediction.symbol}`),
  );
  votes.push(
    'signals' in inputs.macro
      ? macroVote(inputs.macro.signals, inputs.country, weights.macro)
      : macroVote(undefined, inputs.country, weights.macro, inputs.macro.reason),
  );
  if (!inputs.analyst) votes.push(abstain('analyst', weights.analyst, 'the analyst was not asked (analyst: false)'));
  else {
    const market = bars && series ? summarize(bars, series) : undefined;
    const answer = market
      ? await analystVote(context, prediction, market, votes, weights.analyst)
      : { vote: abstain('analyst', weights.analyst, `no local bars for ${prediction.symbol} to show the analyst`) };
    votes.push(answer.vote);
  }
  const result = consensusFor(votes, prediction.direction);
  const signal = result.votingWeight > 0 && result.consensus > settings.consensus;
  const missing = votes.filter((v) => v.abstained).map((v) => v.voter);
  return {
    ...base,
    proposed: true,
    proposal: `confidence ${prediction.confidence.toFixed(3)} > ${settings.proposalConfidence}`,
    consensus: round(result.consensus),
    support: { LONG: round(result.support.LONG), SHORT: round(result.support.SHORT), FLAT: round(result.support.FLAT) },
    signal,
    decision: `${signal ? 'signal' : 'no signal'}: ${prediction.direction} consensus ${(result.consensus * 100).toFixed(1)}% ${signal ? '>' : '≤'} ${(settings.consensus * 100).toFixed(0)}%${missing.length ? ` (without ${missing.join(', ')}: weights renormalised over the voters that voted)` : ''}`,
    votes: votes.map((v) => ({ ...v, confidence: round(v.confidence) })),
  };
}

function abstain(voter: Vote['voter'], weight: number, reason: string): Vote {
  return { voter, direction: 'FLAT', confidence: 0, weight, rationale: reason, abstained: reason };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function summarize(bars: Bars, series: ReturnType<typeof technicalSeries>): MarketSummary {
  const close = bars.close;
  const t = close.length - 1;
  const back = (k: number) => (t - k >= 0 ? close[t]! / close[t - k]! - 1 : Number.NaN);
  const changes: number[] = [];
  for (let i = Math.max(1, t - 19); i <= t; i++) changes.push(close[i]! / close[i - 1]! - 1);
  const mean = changes.reduce((a, b) => a + b, 0) / Math.max(1, changes.length);
  const variance = changes.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, changes.length - 1);
  return {
    lastDate: barDate(bars.time[t]!),
    lastClose: close[t]!,
    returns: { '1d': back(1), '5d': back(5), '20d': back(20) },
    volatility20d: Math.sqrt(variance),
    technical: readingsText(series, t),
  };
}
