// Local ONNX models from the registry, run with onnxruntime-node. A session is loaded once per
// sha256 and reused: its bytes are hashed against the registry first (a changed file is refused).
// Only the session is shared: the same bytes may be registered under several names, each with its
// own contract and output mapping, so every run reads the requested checkpoint's contract (checked
// against the session's metadata before its first use) and checks what the model gave back.
// Status says what is loaded under which names, since when, how many predictions and the last error.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type * as ortTypes from 'onnxruntime-node';
import type { Clock } from '../../context.js';
import { Confinement, readConfined } from '../../confined-fs.js';
import { InputError, ToolError } from '../../errors.js';
import { barCount, barDate, type BarSource, type Bars } from '../market/bars.js';
import { featureLookback, fillWindow, type FeatureName } from './features.js';
import { canonicalJson, checkContract, type TensorInfo } from './model-contract.js';
import { maxModelBytes, type Checkpoint, type ModelRegistry, type ResolvedModel } from './model-registry.js';
import { toPrediction } from './onnx-outputs.js';
import type { BackendStatus, Prediction, PredictionBackend, PredictionRequest } from './prediction.js';

type Ort = typeof ortTypes;

/** A loaded session: one per sha256, whatever names and contracts the registry gives those bytes. */
export interface LoadedModel {
  /** The registry names that have used this session, first loader first. */
  names: string[];
  sha256: string;
  file: string;
  session: ortTypes.InferenceSession;
  /** Contract and output mappings already checked against this session's metadata. */
  checked: Set<string>;
  since: string;
  predictions: number;
  errors: number;
  lastError?: { message: string; at: string } | undefined;
  lastUsed: number;
}

export interface OnnxBackendOptions {
  registry: ModelRegistry;
  bars: BarSource;
  clock?: Clock;
  /** Sessions kept loaded; the least recently used is released beyond this. */
  maxSessions?: number;
  threads?: number;
}

export class OnnxBackend implements PredictionBackend {
  readonly kind = 'onnx' as const;
  readonly registry: ModelRegistry;
  private readonly sessions = new Map<string, Promise<LoadedModel>>();
  private readonly loaded = new Map<string, LoadedModel>();
  private readonly clock: Clock;
  private predictions = 0;
  private errors = 0;
  private lastError: { message: string; at: string } | undefined;
  /** Sessions created since start: the test that proves reuse reads it. */
  loads = 0;

  constructor(private readonly options: OnnxBackendOptions) {
    this.registry = options.registry;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  async predict(request: PredictionRequest): Promise<Prediction> {
    const started = performance.now();
    let model: LoadedModel | undefined;
    try {
      const resolved = await this.registry.resolve(request.model ?? 'production');
      model = await this.load(resolved);
      const bars = await this.options.bars(request.symbol, request.signal);
      const n = barCount(bars);
      requireBars(resolved, bars, n);
      const outputs = await this.run(model, resolved, bars, [n - 1]);
      const prediction = toPrediction(resolved, bars, n - 1, outputs, 0, performance.now() - started);
      model.predictions++;
      this.predictions++;
      return prediction;
    } catch (error) {
      this.record(error, model);
      throw error;
    }
  }

  /**
   * The model's raw output rows [ends.length, outputs] for windows ending at each index in `ends`,
   * fed and read by `resolved`'s own contract and mapping (not those of whoever loaded the session).
   * Every mapped value is checked: in range of the row the model actually gave, and finite.
   */
  async run(
    model: LoadedModel,
    resolved: ResolvedModel,
    bars: Bars,
    ends: readonly number[],
  ): Promise<{ data: Float32Array; width: number }> {
    const ort = (await import('onnxruntime-node')) as unknown as Ort;
    const { contract, output } = resolved.checkpoint;
    const block = contract.window * contract.features.length;
    const input = new Float32Array(ends.length * block);
    const scratch = new Float64Array(block);
    ends.forEach((end, b) => {
      const { features, window, normalisation } = contract;
      const bad = fillWindow(bars, features, window, normalisation, end, input, b * block, scratch);
      if (bad >= 0) refuseNonFinite(bars, end, bad, window, features);
    });
    const tensor = new ort.Tensor('float32', input, [ends.length, contract.window, contract.features.length]);
    model.lastUsed = this.clock.now();
    const results = await model.session.run({ [contract.inputName]: tensor });
    const result = results[output.outputName];
    const dims = result ? [...result.dims] : [];
    const data = Float32Array.from((result?.data ?? []) as Float32Array);
    for (const value of Object.values(results)) value.dispose?.();
    const width = dims.length === 2 && dims[0] === ends.length ? dims[1]! : 0;
    if (width <= 0 || data.length !== ends.length * width)
      throw new ToolError(
        'TOOL_FAILED',
        `output '${output.outputName}' of ${describe(resolved)} came back as [${dims.join(', ')}] for ${ends.length} window(s); the mapping reads [batch, outputs]: the model is broken, register a working checkpoint`,
      );
    checkOutputs(resolved, bars, ends, data, width);
    return { data, width };
  }

  /**
   * The loaded session for a resolved checkpoint: created once per sha256, then reused; the
   * checkpoint's own contract and mapping are checked against the session before its first use.
   */
  async load(resolved: ResolvedModel): Promise<LoadedModel> {
    const key = resolved.checkpoint.sha256;
    let entry = this.sessions.get(key);
    if (!entry) {
      entry = this.open(resolved);
      this.sessions.set(key, entry);
      entry.catch(() => this.sessions.delete(key));
    }
    const model = await entry;
    const { checkpoint } = resolved;
    const check = `${checkpoint.dataContractHash} ${canonicalJson(checkpoint.output)}`;
    if (!model.checked.has(check)) {
      checkContract(
        `${resolved.name} (${checkpoint.file})`,
        checkpoint.contract,
        checkpoint.output,
        tensorInfos(model.session, 'input'),
        tensorInfos(model.session, 'output'),
      );
      model.checked.add(check);
    }
    if (!model.names.includes(resolved.name)) model.names.push(resolved.name);
    return model;
  }

  private async open(resolved: ResolvedModel): Promise<LoadedModel> {
    const { checkpoint } = resolved;
    const file = path.join(this.registry.directory, checkpoint.file);
    // Read through the confined layer: a model file swapped for a link out of the registry is not followed.
    const confinement = await Confinement.of([this.registry.directory], 'the model registry');
    const bytes = await readConfined(file, confinement, { maxBytes: maxModelBytes }).catch((error: unknown) => {
      throw new ToolError(
        'UNAVAILABLE',
        `checkpoint ${checkpoint.file} of ${resolved.name} cannot be read: ${(error as Error).message}; register the model again`,
        { cause: error },
      );
    });
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== checkpoint.sha256)
      throw new ToolError(
        'TOOL_FAILED',
        `checkpoint ${checkpoint.file} of ${resolved.name} has sha256 ${actual}, the registry recorded ${checkpoint.sha256}: the file changed after registration and is not loaded; register the intended file again`,
      );
    const session = await createSession(bytes, `${resolved.name} (${checkpoint.file})`, this.options.threads ?? 1);
    this.loads++;
    const model: LoadedModel = {
      names: [],
      sha256: checkpoint.sha256,
      file: checkpoint.file,
      session,
      checked: new Set(),
      since: new Date(this.clock.now()).toISOString(),
      predictions: 0,
      errors: 0,
      lastUsed: this.clock.now(),
    };
    this.loaded.set(checkpoint.sha256, model);
    await this.evict();
    return model;
  }

  private async evict(): Promise<void> {
    const limit = this.options.maxSessions ?? 8;
    while (this.loaded.size > limit) {
      const [sha, oldest] = [...this.loaded.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0]!;
      this.loaded.delete(sha);
      this.sessions.delete(sha);
      await oldest.session.release();
    }
  }

  private record(error: unknown, model: LoadedModel | undefined): void {
    const entry = { message: (error as Error).message, at: new Date(this.clock.now()).toISOString() };
    this.errors++;
    this.lastError = entry;
    if (model) {
      model.errors++;
      model.lastError = entry;
    }
  }

  /** Per loaded checkpoint: its counters (the backend-wide ones are in status()). */
  loadedModels(): LoadedModel[] {
    return [...this.loaded.values()];
  }

  status(): BackendStatus {
    return {
      backend: 'onnx',
      // One row per name a session served: the same bytes under two names are two models to the agent.
      loaded: this.loadedModels().flatMap((m) => m.names.map((name) => ({ name, sha256: m.sha256, since: m.since }))),
      predictions: this.predictions,
      errors: this.errors,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  async close(): Promise<void> {
    const models = [...this.loaded.values()];
    this.loaded.clear();
    this.sessions.clear();
    await Promise.all(models.map((m) => m.session.release()));
  }
}

export function requireBars(model: ResolvedModel, bars: Bars, n: number): void {
  const { window } = model.checkpoint.contract;
  const needed = window + featureLookback;
  if (n < needed)
    throw new InputError(
      'symbols',
      `${bars.symbol} has ${n} bars; ${model.name} reads a window of ${window} bars and needs ${needed} (the bar before the window gives the first return); load more history`,
    );
}

async function createSession(bytes: Uint8Array, label: string, threads: number): Promise<ortTypes.InferenceSession> {
  const ort = (await import('onnxruntime-node')) as unknown as Ort;
  try {
    return await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  } catch (error) {
    throw new InputError('file', `onnxruntime could not load ${label}: ${(error as Error).message}`);
  }
}

/** What onnxruntime-node reports about a session's inputs or outputs (names, element types, shapes). */
export function tensorInfos(session: ortTypes.InferenceSession, side: 'input' | 'output'): TensorInfo[] {
  const names = side === 'input' ? session.inputNames : session.outputNames;
  const metadata = (side === 'input' ? session.inputMetadata : session.outputMetadata) ?? [];
  return names.map((name, i) => {
    const meta = metadata[i];
    if (!meta || !meta.isTensor) return { name, isTensor: meta?.isTensor ?? true, shape: [] };
    return { name, isTensor: true, type: meta.type, shape: meta.shape };
  });
}

/**
 * Loads `bytes` in a throwaway session and checks the contract and output mapping against the
 * model's metadata: what registration runs before it records anything.
 */
export async function checkModelFile(
  bytes: Uint8Array,
  label: string,
  contract: Checkpoint['contract'],
  output: Checkpoint['output'],
): Promise<{ inputs: TensorInfo[]; outputs: TensorInfo[] }> {
  const session = await createSession(bytes, label, 1);
  try {
    const inputs = tensorInfos(session, 'input');
    const outputs = tensorInfos(session, 'output');
    checkContract(label, contract, output, inputs, outputs);
    return { inputs, outputs };
  } finally {
    await session.release();
  }
}

const describe = (resolved: ResolvedModel) => `checkpoint ${resolved.checkpoint.file} of ${resolved.name}`;

/**
 * Each mapped output index against the width the model actually gave (a dynamic [batch, n] output
 * is not checked at registration), and each mapped value for finiteness: reading past the row would
 * take the next window's values, and a NaN logit would be called SHORT with NaN confidence.
 */
function checkOutputs(resolved: ResolvedModel, bars: Bars, ends: readonly number[], data: Float32Array, width: number) {
  const { output } = resolved.checkpoint;
  const mapped = Object.entries(output).filter((e): e is [string, number] => typeof e[1] === 'number');
  for (const [key, index] of mapped)
    if (index >= width)
      throw new ToolError(
        'TOOL_FAILED',
        `output '${output.outputName}' of ${describe(resolved)} gives ${width} values per row, the mapping reads index ${index} for ${key}: the model and its mapping disagree; register the checkpoint again with ${key} below ${width}`,
      );
  ends.forEach((end, row) => {
    for (const [key, index] of mapped) {
      const value = data[row * width + index]!;
      if (!Number.isFinite(value))
        throw new ToolError(
          'TOOL_FAILED',
          `output '${output.outputName}' of ${describe(resolved)} gave ${value} at index ${index} (${key}) of ${width} for ${bars.symbol}, window ending ${barDate(bars.time[end]!)}: the model produced a non-finite value and no prediction is made from it; check the checkpoint`,
        );
    }
  });
}

/** A zero price or a gap in the bars gives an infinite or NaN feature: say where, instead of predicting NaN. */
function refuseNonFinite(bars: Bars, end: number, position: number, window: number, features: readonly FeatureName[]) {
  const row = Math.floor(position / features.length);
  const feature = features[position % features.length]!;
  const bar = end - window + 1 + row;
  throw new InputError(
    'symbols',
    `${bars.symbol}: feature ${feature} is not finite in the window ending ${barDate(bars.time[end]!)} (bar ${bar}, ${barDate(bars.time[bar]!)}; close ${bars.close[bar]}, previous close ${bars.close[bar - 1]}); fix the bars (zero or missing prices)`,
  );
}
