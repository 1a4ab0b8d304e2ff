// ml_training_evaluate_predictions: scores a next-vector model's test predictions (MSE, mean cosine)
// against four baselines on the same split and says which it beats. Data comes inline (bounded) or as
// .npy files inside the allowed roots.
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { evaluateNextVector } from './evaluate.js';
import type { Row } from './metrics.js';
import { readNpy } from './npy.js';
import { datasetSummary } from '../jobs/job-plan.js';

/** Inline budget: vectors across all fields and their dimension. Larger data goes through .npy. */
export const inlineBudget = { vectors: 2000, dimension: 1024 } as const;
/** Per .npy file, and the flattened ridge input (context × dimension) that a Cholesky solve may take. */
export const fileBudget = { bytes: 256 * 1024 * 1024, ridgeInputs: 2048 } as const;

const vectors = (what: string) =>
  z
    .union([z.array(z.array(z.number())), z.string()])
    .describe(
      `${what}: inline rows (arrays of numbers), or the path of a 2-D float32/float64 .npy file inside the allowed roots.`,
    );

const optionalVectors = (what: string) =>
  z
    .union([z.array(z.array(z.number())), z.string()])
    .optional()
    .describe(
      `${what}: inline rows (arrays of numbers), or the path of a 2-D float32/float64 .npy file inside the allowed roots.`,
    );

const metrics = z.object({ mse: z.number(), cosine: z.number(), count: z.number().int(), dimension: z.number().int() });

/** A small noisy rotation in 3-D: copy-last is poor, ridge recovers the map. */
function exampleSequence(length: number, phase: number): number[][] {
  const rows: number[][] = [];
  for (let t = 0; t < length; t++) {
    const a = 0.6 * (t + phase);
    rows.push([Math.cos(a), Math.sin(a), 0.1 * Math.sin(3.1 * t)].map((v) => Number(v.toFixed(4))));
  }
  return rows;
}
const exampleTest = exampleSequence(8, 40);

export const evaluatePredictions = defineTool({
  name: 'ml_training_evaluate_predictions',
  domain: 'ml-training',
  tags: ['evaluation', 'metrics', 'baselines', 'mse', 'cosine', 'ridge', 'nearest neighbour', 'next vector', 'npy'],
  requests: [
    'does my next-vector model beat the baselines',
    'score model predictions against copy-last and ridge',
    'MSE and cosine similarity of predicted vectors',
    'evaluate predictions from an npy file',
  ],
  title: 'Evaluate next-vector predictions against baselines',
  description:
    "Scores a model that predicts the next vector from the previous `context` vectors. MSE is the mean over all elements of (pred − true)²; cosine is the mean per-pair cosine (both vectors zero counts 1, one zero counts 0). Baselines on the same split: random (seeded Gaussian with the train mean/std per dimension), copy_last, nearest_neighbour (HNSW over train context-last vectors; predicts that example's successor) and closed-form ridge (λ chosen on validation when given). predictions has one row per test example: test length − context rows, for test[context…]. Returns metrics, the per-baseline improvements and a verdict.",
  kind: { effect: 'readOnly' },
  input: z.object({
    dataset: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A dataset made by prepareDataset (its directory, or its name in the data dir): train, validation and test are its .npy splits, and context its manifest's unless given.",
      ),
    train: optionalVectors('The train split, one sequence of vectors (or from dataset)'),
    validation: z
      .union([z.array(z.array(z.number())), z.string()])
      .optional()
      .describe(
        'The validation split (optional; chooses the ridge λ): inline rows or a .npy path inside the allowed roots.',
      ),
    test: optionalVectors('The test split the predictions are for (or from dataset)'),
    predictions: vectors('The model predictions, one per test example (test[context…])'),
    context: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe("How many previous vectors form the context (1–64); default the dataset's, else 1."),
    ridgeFeatures: z
      .enum(['last', 'flat'])
      .default('last')
      .describe('Ridge inputs: the last context vector, or the whole context flattened (oldest first).'),
    lambda: z.number().positive().optional().describe('Fixed ridge λ; default chosen on validation, else 1.'),
    seed: z.number().int().default(0).describe('Seed of the random baseline.'),
  }),
  output: z.object({
    examples: z.object({ train: z.number().int(), validation: z.number().int(), test: z.number().int() }),
    dimension: z.number().int(),
    model: metrics,
    baselines: z.record(z.string(), metrics),
    ridgeLambda: z.number(),
    verdict: z.object({
      comparisons: z.array(
        z.object({
          baseline: z.string(),
          metric: z.enum(['mse', 'cosine']),
          model: z.number(),
          baselineValue: z.number(),
          improvement: z.number(),
          relative: z.number().nullable(),
          beats: z.boolean(),
        }),
      ),
      beatsAllOn: z.object({ mse: z.boolean(), cosine: z.boolean() }),
      beatsAll: z.boolean(),
      notBeaten: z.array(z.string()),
      summary: z.string(),
    }),
  }),
  examples: [
    {
      train: exampleSequence(40, 0),
      validation: exampleSequence(10, 20),
      test: exampleTest,
      predictions: exampleTest.slice(1).map((row) => row.map((v) => v + 0.01)),
      context: 1,
    },
  ],
  async handler(input, context) {
    let roots = context.environment.allowedRoots;
    let fromDataset: { directory: string; context: number } | undefined;
    if (input.dataset !== undefined) {
      const summary = await datasetSummary(input.dataset, roots, context.environment.dataDir);
      fromDataset = { directory: summary.directory, context: summary.context ?? 1 };
      // A dataset prepared into Caelum's data dir is readable here too (and only that directory).
      roots = [...roots, summary.directory];
    }
    const splitFile = (name: string) => (fromDataset ? path.join(fromDataset.directory, `${name}.npy`) : undefined);
    const train = input.train ?? splitFile('train');
    const test = input.test ?? splitFile('test');
    const validation = input.validation ?? splitFile('validation');
    if (train === undefined) throw new InputError('train', 'pass train (rows or a .npy path) or a dataset');
    if (test === undefined) throw new InputError('test', 'pass test (rows or a .npy path) or a dataset');
    const window = input.context ?? fromDataset?.context ?? 1;
    let inlineRows = 0;
    const load = async (value: number[][] | string, field: string): Promise<readonly Row[]> => {
      if (typeof value !== 'string') {
        inlineRows += value.length;
        if (inlineRows > inlineBudget.vectors)
          throw new InputError(
            field,
            `inline data exceeds ${inlineBudget.vectors} vectors in all; pass .npy file paths instead`,
          );
        if (value.some((row) => row.length > inlineBudget.dimension))
          throw new InputError(
            field,
            `inline vectors exceed ${inlineBudget.dimension} dimensions; pass a .npy file path instead`,
          );
        return value;
      }
      if (roots.length === 0)
        throw new InputError(field, 'no allowed roots are configured to read .npy files from; pass the data inline');
      const file = path.resolve(roots[0]!, value);
      return (await readNpy(file, roots, field, fileBudget.bytes)).rows;
    };
    const split = {
      train: await load(train, 'train'),
      validation: validation === undefined ? undefined : await load(validation, 'validation'),
      test: await load(test, 'test'),
    };
    const predictions = await load(input.predictions, 'predictions');
    const d = split.train[0]?.length ?? 0;
    if (input.ridgeFeatures === 'flat' && window * d > fileBudget.ridgeInputs)
      throw new InputError(
        'ridgeFeatures',
        `flat context of ${window}×${d} exceeds ${fileBudget.ridgeInputs} ridge inputs; use "last" or a shorter context`,
      );
    return evaluateNextVector(split, predictions, {
      context: window,
      ridgeFeatures: input.ridgeFeatures,
      lambda: input.lambda,
      seed: input.seed,
      signal: context.signal,
    });
  },
  summarize: (o) => o.verdict.summary,
});
