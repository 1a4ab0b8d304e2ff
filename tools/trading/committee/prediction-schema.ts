// A prediction as the committee takes it: the prediction tools' output schema, with the bounds
// an input needs (an agent may hand in predictions it edited or made).
import { z } from 'zod';
import { predictionSchema } from '../prediction/prediction-schemas.js';

export const predictionInputSchema = predictionSchema.extend({
  symbol: z.string().min(1).max(20).describe('the symbol predicted'),
  confidence: z.number().min(0).max(1).describe('0..1'),
  riskScore: z.number().min(0).max(1).describe('0..1'),
});
