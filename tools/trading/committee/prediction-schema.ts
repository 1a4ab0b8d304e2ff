// The zod form of a Prediction, for tools that take predictions as input (the committee) or
// return them (predictSymbol).
import { z } from 'zod';

export const modelIdentitySchema = z.object({
  name: z.string().describe('registry name'),
  alias: z.string().optional().describe('the alias the request resolved through'),
  checkpoint: z.string().describe('checkpoint file name'),
  sha256: z.string(),
  trainedAt: z.string(),
  dataContractHash: z.string().describe('sha256 of the input contract the model was trained on'),
  backend: z.enum(['onnx', 'remote']),
});

export const predictionSchema = z.object({
  symbol: z.string().min(1).max(20),
  direction: z.enum(['LONG', 'SHORT']),
  confidence: z.number().min(0).max(1).describe('0..1'),
  expectedReturns: z.object({ '1d': z.number(), '5d': z.number(), '20d': z.number() }),
  volatility: z.number(),
  uncertainty: z.number().optional(),
  riskScore: z.number().min(0).max(1),
  riskScoreSource: z.string(),
  currentPrice: z.number(),
  asOf: z.string(),
  model: modelIdentitySchema,
  latencyMs: z.number(),
});
