// An optional fleet model exported to ONNX (the seed's TFT, or anything with the same interface):
// inputs `profile` (int64 [batch], the contract's profile index) and `features` (float32 [batch, 5],
// the contract's modelFeatures), output `state_scores` (float32 [batch, 8], the contract's states in
// order). Before onnxruntime sees a byte, the ONNX header is read (initializers' shapes, graph inputs
// and outputs, metadata) and checked against the contract, so a model exported for another contract is
// refused with both sides named: the seed's [8, 5] embedding against 7 profiles.
import { z } from 'zod';
import type * as ortTypes from 'onnxruntime-node';
import { Confinement, withConfinedReader, asInputError } from '../../confined-fs.js';
import { InputError, ToolError } from '../../errors.js';
import { readOnnxHeader, type OnnxHeader } from '../../ml-training/checkpoints/onnx-header.js';
import { CheckpointFormatError } from '../../ml-training/checkpoints/checkpoint-header.js';
import { checkProfile, contractHash, contractLabel, fleetContract, type State } from './contract.js';

export const fleetModelConfigSchema = z.object({
  path: z.string().min(1).describe('Absolute path of the .onnx fleet model, inside the allowed roots.'),
  profileEmbedding: z
    .string()
    .default('profile_embedding')
    .describe('Initializer holding the profile embedding, [profiles, E].'),
  profileInput: z.string().default('profile').describe('Graph input of profile indices, int64 [batch].'),
  featuresInput: z.string().default('features').describe('Graph input of features, float32 [batch, 5].'),
  output: z.string().default('state_scores').describe('Graph output of state scores, [batch, 8].'),
  maxBytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31)
    .default(64 * 1024 * 1024)
    .describe('Largest model file loaded, in bytes.'),
});
export type FleetModelConfig = z.infer<typeof fleetModelConfigSchema>;

const show = (shape: readonly (number | string)[]) => `[${shape.join(', ')}]`;
const profiles = fleetContract.profiles.length;
const states = fleetContract.states.length;
const features = fleetContract.modelFeatures.length;

/** What is wrong with a model's header under the contract; empty when it fits. */
export function fleetModelProblems(header: OnnxHeader, config: Omit<FleetModelConfig, 'path' | 'maxBytes'>): string[] {
  const problems: string[] = [];
  const fix = 'retrain or export for this contract';
  const declared = header.metadata['fleet_contract_hash'];
  if (declared !== undefined && declared !== contractHash)
    problems.push(
      `fleet model was exported for contract v${header.metadata['fleet_contract_version'] ?? '?'} (hash ${declared.slice(0, 12)}) but this is ${contractLabel}; ${fix}`,
    );
  const embedding = header.tensors.find((t) => t.name === config.profileEmbedding);
  if (!embedding)
    problems.push(
      `fleet model has no initializer "${config.profileEmbedding}" (the profile embedding); set model.profileEmbedding to its name`,
    );
  else if (embedding.shape.length !== 2 || embedding.shape[0] !== profiles)
    problems.push(
      `fleet model profile embedding is ${show(embedding.shape)} but ${contractLabel} has ${profiles} profiles; ${fix}`,
    );
  const input = header.inputs.find((v) => v.name === config.featuresInput);
  if (!input) problems.push(`fleet model has no input "${config.featuresInput}"; set model.featuresInput`);
  else {
    const last = input.shape[input.shape.length - 1];
    if (typeof last === 'number' && last !== features)
      problems.push(
        `fleet model input ${input.name} is ${show(input.shape)} but ${contractLabel} has ${features} features (${fleetContract.modelFeatures.join(', ')}); ${fix}`,
      );
  }
  if (!header.inputs.some((v) => v.name === config.profileInput))
    problems.push(`fleet model has no input "${config.profileInput}"; set model.profileInput`);
  const output = header.outputs.find((v) => v.name === config.output);
  if (!output) problems.push(`fleet model has no output "${config.output}"; set model.output`);
  else {
    const last = output.shape[output.shape.length - 1];
    if (typeof last === 'number' && last !== states)
      problems.push(
        `fleet model output ${output.name} is ${show(output.shape)} but ${contractLabel} has ${states} states; ${fix}`,
      );
  }
  return problems;
}

export interface FleetModelRow {
  profile: string;
  /** The contract's modelFeatures in order: cpu, memory, disk, load, netErrors. */
  features: readonly number[];
}

export interface FleetModelPrediction {
  state: State;
  scores: Record<State, number>;
}

export interface FleetModel {
  header: OnnxHeader;
  run(rows: readonly FleetModelRow[]): Promise<FleetModelPrediction[]>;
  close(): Promise<void>;
}

type Ort = typeof ortTypes;

/** Checks the model's header against the contract, then (only if it fits) loads it into onnxruntime. */
export async function loadFleetModel(
  config: FleetModelConfig,
  allowedRoots: readonly string[],
  field = 'monitoring.fleet.model.path',
): Promise<FleetModel> {
  const confinement = await Confinement.of(allowedRoots);
  let header: OnnxHeader;
  let bytes: Buffer;
  try {
    ({ header, bytes } = await withConfinedReader(config.path, confinement, async (reader) => {
      const h = await readOnnxHeader(reader);
      const problems = fleetModelProblems(h, config);
      if (problems.length > 0) throw new InputError(field, problems.join('; '));
      if (reader.size > config.maxBytes)
        throw new InputError(
          field,
          `${config.path} is ${reader.size} bytes, over the ${config.maxBytes} byte budget (model.maxBytes)`,
        );
      return { header: h, bytes: await reader.read(0, reader.size) };
    }));
  } catch (error) {
    if (error instanceof CheckpointFormatError) throw new InputError(field, `${config.path} ${error.message}`);
    throw asInputError(error, field, config.path);
  }
  const ort = (await import('onnxruntime-node')) as unknown as Ort;
  let session: ortTypes.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  } catch (error) {
    throw new InputError(field, `onnxruntime could not load ${config.path}: ${(error as Error).message.slice(0, 200)}`);
  }
  return {
    header,
    async run(rows) {
      const n = rows.length;
      const profile = new BigInt64Array(n);
      const input = new Float32Array(n * features);
      rows.forEach((row, i) => {
        const p = checkProfile(row.profile, `rows.${i}.profile`);
        profile[i] = BigInt(fleetContract.profiles.indexOf(p));
        if (row.features.length !== features)
          throw new InputError(`rows.${i}.features`, `has ${row.features.length} values; the contract has ${features}`);
        row.features.forEach((v, j) => (input[i * features + j] = v));
      });
      const results = await session.run({
        [config.profileInput]: new ort.Tensor('int64', profile, [n]),
        [config.featuresInput]: new ort.Tensor('float32', input, [n, features]),
      });
      const out = results[config.output];
      const dims = out ? [...out.dims] : [];
      const data = Float32Array.from((out?.data ?? []) as Float32Array);
      for (const value of Object.values(results)) value.dispose?.();
      if (dims.length !== 2 || dims[0] !== n || dims[1] !== states)
        throw new ToolError(
          'TOOL_FAILED',
          `fleet model output ${config.output} came back as ${show(dims)} for ${n} server(s); ${contractLabel} needs [${n}, ${states}]`,
        );
      return rows.map((_, i) => {
        const scores = {} as Record<State, number>;
        let best: State = fleetContract.states[0];
        fleetContract.states.forEach((s, j) => {
          const v = data[i * states + j]!;
          if (!Number.isFinite(v))
            throw new ToolError(
              'TOOL_FAILED',
              `fleet model gave a non-finite score for ${s} (server ${i}); the model is broken`,
            );
          scores[s] = v;
          if (v > scores[best]) best = s;
        });
        return { state: best, scores };
      });
    },
    async close() {
      await session.release();
    },
  };
}
