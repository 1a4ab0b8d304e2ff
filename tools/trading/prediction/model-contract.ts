// A model's input contract (which features, how many bars, how normalised, which tensor) and its
// output mapping (which output index is which quantity), and the check of both against the ONNX
// model's own input/output metadata before the model is used. A mismatch is explained the way
// PyTorch explains a bad state dict: which tensor, which shapes, what each side was built for.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { featureNames } from './features.js';

const index = z.number().int().min(0).max(4095);

export const inputContractSchema = z
  .object({
    features: z
      .array(z.enum(featureNames))
      .min(1)
      .max(64)
      .describe(`Features per bar, in the model's order; from ${featureNames.join(', ')}.`),
    window: z.number().int().min(1).max(4096).describe('Bars per window (the model sees [batch, window, features]).'),
    normalisation: z
      .discriminatedUnion('kind', [
        z.object({ kind: z.literal('none') }),
        z.object({ kind: z.literal('window-zscore') }),
        z.object({ kind: z.literal('fixed'), mean: z.array(z.number()), std: z.array(z.number().positive()) }),
      ])
      .describe('none; window-zscore (each feature over its window, population std); fixed mean/std per feature.'),
    inputName: z.string().min(1).max(200).describe('The ONNX input tensor, float32 [batch, window, features].'),
    layout: z
      .enum(['batch-window-features'])
      .default('batch-window-features')
      .describe('Axis order of the input tensor: [batch, window, features], oldest bar first.'),
  })
  .refine((c) => c.normalisation.kind !== 'fixed' || c.normalisation.mean.length === c.features.length, {
    message: 'normalisation.mean needs one value per feature',
    path: ['normalisation', 'mean'],
  })
  .refine((c) => c.normalisation.kind !== 'fixed' || c.normalisation.std.length === c.features.length, {
    message: 'normalisation.std needs one value per feature',
    path: ['normalisation', 'std'],
  });
export type InputContract = z.output<typeof inputContractSchema>;

export const outputMappingSchema = z.object({
  outputName: z.string().min(1).max(200).describe('The ONNX output tensor, float32 [batch, outputs].'),
  return1d: index.describe('Index of the expected 1-bar return.'),
  return5d: index.describe('Index of the expected 5-bar return.'),
  return20d: index.describe('Index of the expected 20-bar return.'),
  volatility: index.describe('Index of the predicted daily volatility.'),
  directionLogit: index.describe('Index of the up-move logit: P(up) = sigmoid(logit).'),
  riskScore: index.optional().describe('Index of a 0..1 risk score; absent: derived from volatility.'),
  uncertainty: index.optional().describe('Index of an uncertainty estimate, if the model gives one.'),
});
export type OutputMapping = z.output<typeof outputMappingSchema>;

/** JSON with object keys sorted, so that equal contracts hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The data-contract hash: sha256 of the canonical JSON of the input contract. */
export function dataContractHash(contract: InputContract): string {
  return createHash('sha256').update(canonicalJson(contract)).digest('hex');
}

/** What onnxruntime says about one input or output. */
export interface TensorInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape: readonly (number | string)[];
}

const shapeText = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;
const describeContract = (c: InputContract) =>
  `window ${c.window} × ${c.features.length} features: ${c.features.join(', ')}`;

/** Throws an InputError on `field` when the model cannot be fed by `contract` or read by `mapping`. */
export function checkContract(
  model: string,
  contract: InputContract,
  mapping: OutputMapping,
  inputs: readonly TensorInfo[],
  outputs: readonly TensorInfo[],
  field = 'contract',
): void {
  const input = inputs.find((i) => i.name === contract.inputName);
  if (!input)
    throw new InputError(
      `${field}.inputName`,
      `missing input '${contract.inputName}' in ${model}: the model's inputs are ${inputs.map((i) => `'${i.name}' ${shapeText(i.shape)}`).join(', ')}; the contract was built for '${contract.inputName}' [batch, ${contract.window}, ${contract.features.length}]; name the model's input in contract.inputName`,
    );
  const others = inputs.filter((i) => i !== input);
  if (others.length > 0)
    throw new InputError(
      `${field}.inputName`,
      `${model} has more inputs than the contract feeds (${others.map((i) => `'${i.name}'`).join(', ')}); export the model with the single input '${input.name}'`,
    );
  if (input.isTensor && input.type && input.type !== 'float32')
    throw new InputError(
      `${field}.inputName`,
      `type mismatch for input '${input.name}': the model expects ${input.type}, the contract gives float32; export the model with a float32 input`,
    );
  const wanted: (number | string)[] = ['batch', contract.window, contract.features.length];
  const got = input.shape;
  const fits =
    got.length === 0 || (got.length === 3 && [1, 2].every((d) => typeof got[d] !== 'number' || got[d] === wanted[d]));
  if (!fits) {
    const modelSide =
      got.length === 3 && typeof got[1] === 'number' && typeof got[2] === 'number'
        ? ` (the model was exported for window ${got[1]} × ${got[2]} features)`
        : ` (the contract's layout is [batch, window, features])`;
    throw new InputError(
      field,
      `size mismatch for input '${input.name}': the model expects ${shapeText(got)}, the contract gives ${shapeText(wanted)} (${describeContract(contract)})${modelSide}; register the checkpoint with the contract it was trained on`,
    );
  }
  checkOutput(model, mapping, outputs);
}

function checkOutput(model: string, mapping: OutputMapping, outputs: readonly TensorInfo[]): void {
  const output = outputs.find((o) => o.name === mapping.outputName);
  if (!output)
    throw new InputError(
      'output.outputName',
      `missing output '${mapping.outputName}' in ${model}: the model's outputs are ${outputs.map((o) => `'${o.name}' ${shapeText(o.shape)}`).join(', ')}; name one of them in output.outputName`,
    );
  if (output.isTensor && output.type && output.type !== 'float32')
    throw new InputError(
      'output.outputName',
      `type mismatch for output '${output.name}': the model gives ${output.type}, the mapping reads float32`,
    );
  const shape = output.shape;
  if (shape.length !== 0 && shape.length !== 2)
    throw new InputError(
      'output.outputName',
      `size mismatch for output '${output.name}': the model gives ${shapeText(shape)}, the mapping reads [batch, outputs]`,
    );
  const width = shape.length === 2 && typeof shape[1] === 'number' ? shape[1] : undefined;
  if (width === undefined) return;
  for (const [key, value] of Object.entries(mapping)) {
    if (key === 'outputName' || typeof value !== 'number' || value < width) continue;
    throw new InputError(
      `output.${key}`,
      `size mismatch for output '${output.name}': the model gives ${shapeText(shape)} (${width} values per row), the mapping reads index ${value} for ${key}; map ${key} to an index below ${width}`,
    );
  }
}
