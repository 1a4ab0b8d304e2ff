// trading_register_model and trading_set_model_alias: a checkpoint from the allowed roots goes into
// the registry only after its contract and output mapping fit the model's own metadata; aliases
// (production, candidate) then say which checkpoint answers.
import path from 'node:path';
import { z } from 'zod';
import { asInputError, Confinement, readConfined } from '../../confined-fs.js';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import { predictionBackends } from './backends.js';
import { inputContractSchema, outputMappingSchema } from './model-contract.js';
import { aliasNames, checkModelName, maxModelBytes, modelEntry } from './model-registry.js';
import { checkModelFile } from './onnx-backend.js';

const tensorSchema = z.object({
  name: z.string(),
  isTensor: z.boolean(),
  type: z.string().optional(),
  shape: z.array(z.union([z.number(), z.string()])),
});

const exampleContract = {
  features: ['log_return', 'gap', 'high_low_range', 'close_open', 'volume_change'] as const,
  window: 30,
  normalisation: { kind: 'window-zscore' as const },
  inputName: 'features',
};

export const registerModel = defineTool({
  name: 'trading_register_model',
  domain: 'trading',
  tags: ['model', 'registry', 'register', 'onnx', 'checkpoint', 'contract', 'alias'],
  requests: ['register this ONNX model', 'add a trained checkpoint to the registry', 'make this model production'],
  title: 'Register an ONNX prediction model',
  description:
    "Copies an ONNX checkpoint from the allowed roots into the model registry under a name (no version in it), with its trained-at time, input contract (features, window, normalisation, input tensor [batch, window, features]) and output mapping (which output index is return1d, return5d, return20d, volatility, directionLogit, optional riskScore). The contract is checked against the model's own input/output shapes first; a mismatch is refused with both shapes. Optionally points an alias at it. Example: { name: 'ohlc-mlp', file: 'models/ohlc-mlp.onnx', trainedAt: '2020-04-17', contract: {...}, output: {...}, alias: 'production' }",
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    name: z
      .string()
      .min(1)
      .max(63)
      .describe('Registry name: what the model does, lowercase with dashes, no version (e.g. ohlc-mlp).'),
    file: z
      .string()
      .min(1)
      .max(4096)
      .describe('The .onnx file, inside the allowed roots (relative to the first root).'),
    trainedAt: z
      .string()
      .min(4)
      .max(40)
      .describe('When training ended, ISO 8601 (e.g. 2020-04-17 or 2020-04-17T18:00:00Z).'),
    contract: inputContractSchema.describe(
      'What the model was trained on: features, window, normalisation, input tensor name.',
    ),
    output: outputMappingSchema.describe('Which output tensor and which index holds each quantity.'),
    alias: z.enum(aliasNames).optional().describe('Point this alias (production or candidate) at the checkpoint.'),
  }),
  output: z.object({
    name: z.string(),
    checkpoint: z.string(),
    sha256: z.string(),
    trainedAt: z.string(),
    registeredAt: z.string(),
    dataContractHash: z.string(),
    created: z.boolean(),
    aliases: z.record(z.string(), z.string()),
    inputs: z.array(tensorSchema),
    outputs: z.array(tensorSchema),
  }),
  examples: [
    {
      name: 'ohlc-mlp',
      file: 'models/ohlc-mlp.onnx',
      trainedAt: '2020-04-17',
      contract: { ...exampleContract, features: [...exampleContract.features] },
      output: { outputName: 'predictions', return1d: 0, return5d: 1, return20d: 2, volatility: 3, directionLogit: 4 },
      alias: 'production',
    },
  ],
  async handler(input, context) {
    checkModelName(input.name);
    if (Number.isNaN(Date.parse(input.trainedAt)))
      throw new InputError('trainedAt', `"${input.trainedAt}" is not an ISO 8601 date; pass e.g. 2020-04-17T18:00:00Z`);
    const roots = context.environment.allowedRoots;
    const target = await resolveInsideRoots(input.file, roots, 'file');
    const bytes = await readConfined(target.absolute, await Confinement.of(roots), { maxBytes: maxModelBytes }).catch(
      (error: unknown) => {
        throw asInputError(error, 'file', input.file);
      },
    );
    const label = `${input.name} (${path.basename(input.file)})`;
    const { inputs, outputs } = await checkModelFile(bytes, label, input.contract, input.output);
    const { registry } = predictionBackends(context.environment);
    const { checkpoint, created } = await registry.register({
      name: input.name,
      bytes,
      source: target.absolute,
      trainedAt: input.trainedAt,
      registeredAt: new Date().toISOString(),
      contract: input.contract,
      output: input.output,
      alias: input.alias,
    });
    const model = modelEntry(await registry.read(), input.name)!;
    return {
      name: input.name,
      checkpoint: checkpoint.file,
      sha256: checkpoint.sha256,
      trainedAt: checkpoint.trainedAt,
      registeredAt: checkpoint.registeredAt,
      dataContractHash: checkpoint.dataContractHash,
      created,
      aliases: model.aliases,
      inputs: inputs.map((i) => ({ ...i, shape: [...i.shape] })),
      outputs: outputs.map((o) => ({ ...o, shape: [...o.shape] })),
    };
  },
  summarize: (o) =>
    `${o.created ? 'registered' : 'already registered:'} ${o.name} ${o.sha256.slice(0, 12)} (trained ${o.trainedAt}, data contract ${o.dataContractHash.slice(0, 12)}); aliases ${
      Object.entries(o.aliases)
        .map(([a, s]) => `${a} → ${s.slice(0, 12)}`)
        .join(', ') || 'none'
    }`,
});

export const setModelAlias = defineTool({
  name: 'trading_set_model_alias',
  domain: 'trading',
  tags: ['model', 'alias', 'production', 'candidate', 'promote', 'rollback'],
  requests: [
    'promote the candidate model to production',
    'roll production back to the previous checkpoint',
    'point candidate at this checkpoint',
  ],
  title: 'Point a model alias at a checkpoint',
  description:
    "Points an alias (production or candidate) of a registered model at one of its checkpoints, by sha256 prefix (≥ 8 hex digits) or by the other alias (promote: { alias: 'production', checkpoint: 'candidate' }). Returns the checkpoint it pointed at before, for a rollback. Example: { name: 'ohlc-mlp', alias: 'candidate', checkpoint: 'production' }",
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    name: z.string().min(1).max(63).describe('The registered model, e.g. ohlc-mlp.'),
    alias: z.enum(aliasNames).describe('The alias to move: production or candidate.'),
    checkpoint: z
      .string()
      .min(1)
      .max(64)
      .describe('A sha256 prefix of one of its checkpoints (≥ 8 hex digits), or the other alias.'),
  }),
  output: z.object({ name: z.string(), alias: z.string(), sha256: z.string(), previous: z.string().nullable() }),
  examples: [{ name: 'ohlc-mlp', alias: 'candidate', checkpoint: 'production' }],
  async handler(input, context) {
    const { registry } = predictionBackends(context.environment);
    const moved = await registry.setAlias(input.name, input.alias, input.checkpoint);
    return { name: input.name, alias: input.alias, sha256: moved.sha256, previous: moved.previous ?? null };
  },
  summarize: (o) =>
    `${o.name}@${o.alias} → ${o.sha256.slice(0, 12)}${o.previous && o.previous !== o.sha256 ? ` (was ${o.previous.slice(0, 12)})` : ''}`,
});
