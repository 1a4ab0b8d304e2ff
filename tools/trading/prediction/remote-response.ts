// The seed system's answer to POST /api/v1/inference/predict/{symbol}, checked with zod, and its
// mapping onto a Prediction. The model's identity is taken from whichever fields the service sends
// (flat or under `model`); the ones it does not send are listed, never invented.
import { z } from 'zod';
import type { Prediction } from './prediction.js';

const finite = z.number().finite();
const text = z.string().min(1).max(500);

const identityFields = {
  name: text.optional(),
  model_name: text.optional(),
  checkpoint: text.optional(),
  sha256: text.optional(),
  trained_at: text.optional(),
  data_contract_hash: text.optional(),
};

export const remoteResponseSchema = z.object({
  symbol: z.string().min(1).max(50),
  direction: z.enum(['LONG', 'SHORT']),
  confidence: z.number().min(0).max(100),
  predictions: z.object({ '1d': finite, '5d': finite, '20d': finite }),
  uncertainty: finite.optional(),
  volatility: finite.min(0),
  risk_score: z.number().min(0).max(1),
  current_price: finite.positive(),
  timestamp: text.optional(),
  ...identityFields,
  model: z.union([text, z.object(identityFields)]).optional(),
});
export type RemoteResponse = z.output<typeof remoteResponseSchema>;

/** The identity fields a complete answer carries, as the service names them. */
export const identityKeys = ['model_name', 'checkpoint', 'sha256', 'trained_at', 'data_contract_hash'] as const;

/** The first problem of a malformed answer, naming the field: `confidence: expected number, received string`. */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : '(the whole answer)';
  return `${field}: ${issue.message}`;
}

export function fromRemote(
  answer: RemoteResponse,
  latencyMs: number,
  now: string,
): Prediction & { identityMissing: string[] } {
  const nested = typeof answer.model === 'object' ? answer.model : {};
  const named = typeof answer.model === 'string' ? answer.model : undefined;
  const found: Record<(typeof identityKeys)[number], string | undefined> = {
    model_name: answer.model_name ?? nested.model_name ?? nested.name ?? named ?? answer.name,
    checkpoint: answer.checkpoint ?? nested.checkpoint,
    sha256: answer.sha256 ?? nested.sha256,
    trained_at: answer.trained_at ?? nested.trained_at,
    data_contract_hash: answer.data_contract_hash ?? nested.data_contract_hash,
  };
  return {
    symbol: answer.symbol,
    direction: answer.direction,
    confidence: answer.confidence / 100,
    expectedReturns: {
      '1d': answer.predictions['1d'],
      '5d': answer.predictions['5d'],
      '20d': answer.predictions['20d'],
    },
    volatility: answer.volatility,
    ...(answer.uncertainty === undefined ? {} : { uncertainty: answer.uncertainty }),
    riskScore: answer.risk_score,
    riskScoreSource: 'the prediction service (risk_score)',
    currentPrice: answer.current_price,
    asOf: answer.timestamp ?? now,
    model: {
      name: found.model_name ?? '',
      checkpoint: found.checkpoint ?? '',
      sha256: found.sha256 ?? '',
      trainedAt: found.trained_at ?? '',
      dataContractHash: found.data_contract_hash ?? '',
      backend: 'remote',
    },
    latencyMs,
    identityMissing: identityKeys.filter((key) => found[key] === undefined),
  };
}
