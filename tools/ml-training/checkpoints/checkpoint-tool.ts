// ml_training_inspect_checkpoint: a checkpoint's tensors and metadata from its header alone, and,
// given a data contract, whether a model built for that contract could load it, before any load.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { checkpointFormats, tensorHeaderSchema } from './checkpoint-header.js';
import {
  checkContract,
  checkpointContractSchema,
  contractReportSchema,
  parseCheckpointContract,
} from './checkpoint-contract.js';
import { inspectCheckpointFile } from './read-checkpoint.js';

const graphValue = z.object({ name: z.string(), dtype: z.string(), shape: z.array(z.union([z.number(), z.string()])) });

export const inspectCheckpoint = defineTool({
  name: 'ml_training_inspect_checkpoint',
  domain: 'ml-training',
  tags: ['checkpoint', 'safetensors', 'onnx', 'npy', 'npz', 'weights', 'shape', 'contract', 'state_dict'],
  requests: [
    'what tensors are in this checkpoint',
    'check a checkpoint against the model before loading it',
    'size mismatch between checkpoint and model',
    'read the safetensors header',
    'list the initializers of an onnx model',
    'missing and unexpected keys in a state dict',
    'does this checkpoint fit 7 profiles',
  ],
  title: 'Inspect a checkpoint header against a contract',
  description:
    'Reads a checkpoint header (safetensors, ONNX, .npy, .npz) without loading its weights: each tensor with dtype, shape and bytes, the string metadata, and for ONNX the graph inputs and outputs. With a contract (named dimensions and the expected tensor shapes) it reports missing keys, unexpected keys and each size or dtype mismatch as PyTorch would, naming the dimension values the checkpoint implies, and compatible: true or false. Example: {"path": "models/profile.safetensors", "contract": {"dimensions": {"profiles": 7, "features": 5}, "tensors": {"profile.weight": ["profiles", "features"]}}}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z
      .string()
      .min(1)
      .describe(
        'Checkpoint file inside the allowed roots (.safetensors, .onnx, .npy or .npz); relative paths are against the first root.',
      ),
    contract: checkpointContractSchema
      .optional()
      .describe(
        'Data contract to check against: {dimensions: {name: size}, tensors: {tensor: [dimension or size or "*", ...] or {shape, dtype}}}.',
      ),
  }),
  output: z.object({
    path: z.string(),
    format: z.enum(checkpointFormats),
    tensors: z.array(tensorHeaderSchema),
    metadata: z.record(z.string(), z.string()),
    fileBytes: z.number().int(),
    headerReadMs: z.number(),
    graph: z.object({ inputs: z.array(graphValue), outputs: z.array(graphValue) }).optional(),
    report: contractReportSchema.optional(),
  }),
  examples: [
    {
      path: 'models/profile.safetensors',
      contract: { dimensions: { profiles: 7, features: 5 }, tensors: { 'profile.weight': ['profiles', 'features'] } },
    },
    { path: 'models/profile.safetensors' },
  ],
  async handler(input, context) {
    // Parsed before the file is opened: a bad contract is the agent's to fix whatever the file holds.
    const contract = input.contract === undefined ? undefined : parseCheckpointContract(input.contract);
    const header = await inspectCheckpointFile(input.path, context.environment.allowedRoots, 'path', context.signal);
    return { path: input.path, ...header, ...(contract ? { report: checkContract(header.tensors, contract) } : {}) };
  },
  summarize: (o) => {
    const lines = [
      `${o.path}: ${o.format}, ${o.tensors.length} tensors, ${o.fileBytes} bytes (header read in ${o.headerReadMs.toFixed(1)} ms)`,
      ...o.tensors.slice(0, 20).map((t) => `  ${t.name} ${t.dtype} [${t.shape.join(', ')}]`),
      ...(o.tensors.length > 20 ? [`  ... ${o.tensors.length - 20} more`] : []),
    ];
    if (o.report)
      lines.push(
        o.report.compatible ? 'compatible with the contract' : 'NOT compatible with the contract:',
        ...o.report.messages,
      );
    return lines.join('\n');
  },
});
