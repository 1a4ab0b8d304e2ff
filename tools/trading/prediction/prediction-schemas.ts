// Output schemas of the prediction tools: a Prediction with the model's identity, and a backend's
// status (what is loaded, since when, how many predictions, the last error).
import { z } from 'zod';

export const modelIdentitySchema = z.object({
  name: z.string(),
  alias: z.string().optional(),
  checkpoint: z.string(),
  sha256: z.string(),
  trainedAt: z.string(),
  dataContractHash: z.string(),
  backend: z.enum(['onnx', 'remote']),
});

export const predictionSchema = z.object({
  symbol: z.string(),
  direction: z.enum(['LONG', 'SHORT']),
  confidence: z.number(),
  expectedReturns: z.object({ '1d': z.number(), '5d': z.number(), '20d': z.number() }),
  volatility: z.number(),
  uncertainty: z.number().optional(),
  riskScore: z.number(),
  riskScoreSource: z.string(),
  currentPrice: z.number(),
  asOf: z.string(),
  model: modelIdentitySchema,
  latencyMs: z.number(),
  /** Identity fields the remote service did not send (left empty above, not invented). */
  identityMissing: z.array(z.string()).optional(),
});

const lastErrorSchema = z.object({ message: z.string(), at: z.string() });

export const backendStatusSchema = z.object({
  backend: z.enum(['onnx', 'remote']),
  loaded: z.array(z.object({ name: z.string(), sha256: z.string(), since: z.string() })),
  endpoint: z.string().optional(),
  predictions: z.number().int(),
  errors: z.number().int(),
  lastError: lastErrorSchema.optional(),
  breaker: z.enum(['closed', 'open', 'half-open']).optional(),
});

export const checkpointViewSchema = z.object({
  file: z.string(),
  sha256: z.string(),
  trainedAt: z.string(),
  registeredAt: z.string(),
  dataContractHash: z.string(),
  window: z.number().int(),
  features: z.array(z.string()),
  aliases: z.array(z.string()),
  loaded: z
    .object({
      since: z.string(),
      predictions: z.number().int(),
      errors: z.number().int(),
      lastError: lastErrorSchema.optional(),
    })
    .nullable(),
});
