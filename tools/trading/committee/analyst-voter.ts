// The LLM analyst: it sees the data and the other votes, answers a schema with its direction and
// rationale, and gets its confidence from the pool's cascade (not from its own say-so). With no
// LLM backend it abstains, and the committee runs without it and says so.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import type { Prediction } from '../prediction/prediction.js';
import type { Vote } from './vote.js';

const answerSchema = z.object({
  direction: z.enum(['LONG', 'SHORT', 'FLAT']),
  rationale: z.string().min(1).max(1200),
  risks: z.array(z.string().max(300)).max(5).optional(),
});

const system =
  'You are a trading committee analyst. You review a model prediction for one symbol together with market data and the other committee votes, and you vote LONG, SHORT or FLAT. Be concrete: cite the numbers that decide your vote. Answer only with JSON: {"direction": "LONG|SHORT|FLAT", "confidence": 0.0-1.0, "rationale": "...", "risks": ["..."]}.';

export interface MarketSummary {
  lastDate: string;
  lastClose: number;
  returns: { '1d': number; '5d': number; '20d': number };
  /** Daily close-to-close volatility over the last 20 bars (not annualised). */
  volatility20d: number;
  technical: string;
}

export async function analystVote(
  context: ToolContext,
  prediction: Prediction,
  market: MarketSummary,
  others: readonly Vote[],
  weight: number,
): Promise<{ vote: Vote; answeredBy?: string }> {
  const abstain = (reason: string): { vote: Vote } => ({
    vote: { voter: 'analyst', direction: 'FLAT', confidence: 0, weight, rationale: reason, abstained: reason },
  });
  if (context.pool.status().mode === 'none')
    return abstain('no LLM backend (no Ollama host and no Claude key): the committee ran without the analyst');
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const votes = others
    .map((v) =>
      v.abstained
        ? `- ${v.voter}: abstained (${v.abstained})`
        : `- ${v.voter}: ${v.direction}, confidence ${v.confidence.toFixed(2)}: ${v.rationale}`,
    )
    .join('\n');
  const prompt = [
    `Symbol: ${prediction.symbol}, last bar ${market.lastDate}, close ${market.lastClose}.`,
    `Realised returns: 1d ${pct(market.returns['1d'])}, 5d ${pct(market.returns['5d'])}, 20d ${pct(market.returns['20d'])}; daily volatility (20d) ${pct(market.volatility20d)}.`,
    `Technical readings: ${market.technical}.`,
    `Model prediction (${prediction.model.name}, ${prediction.model.backend}): ${prediction.direction} with confidence ${prediction.confidence.toFixed(2)}; expected returns 1d ${pct(prediction.expectedReturns['1d'])}, 5d ${pct(prediction.expectedReturns['5d'])}, 20d ${pct(prediction.expectedReturns['20d'])}; predicted volatility ${pct(prediction.volatility)}; risk score ${prediction.riskScore.toFixed(2)}.`,
    `Other votes:\n${votes}`,
    'Your vote?',
  ].join('\n');
  const result = await context.pool.complete({
    system,
    prompt,
    schema: answerSchema,
    maxTokens: 600,
    tool: 'trading_run_committee',
    supervisor: 'trading',
    signal: context.signal,
  });
  const model = `${result.answeredBy.model}${result.answeredBy.host ? ` on ${result.answeredBy.host}` : ''}`;
  if (!result.value) {
    const why = result.call.reason ?? result.steps.find((s) => s.reason)?.reason ?? 'no valid answer';
    return { ...abstain(`the analyst gave no valid vote (${why.slice(0, 200)})`), answeredBy: model };
  }
  const risks = result.value.risks?.length ? ` Risks: ${result.value.risks.join('; ')}` : '';
  return {
    vote: {
      voter: 'analyst',
      direction: result.value.direction,
      confidence: result.confidence,
      weight,
      rationale: `${result.value.rationale}${risks} (${model}, cascade confidence ${result.confidence.toFixed(2)}${result.lowConfidence ? ', below the threshold' : ''})`,
    },
    answeredBy: model,
  };
}
