// A small prediction model built in the test (as the embedder tests build theirs): input
// [batch, window, features] → Flatten → MatMul + Add → Tanh → MatMul + Add → [batch, 5]
// (return1d, return5d, return20d, volatility, directionLogit), its plain-TS reference, and the real
// S&P 500 bars of vega-datasets written into a market directory. Shared by the prediction tests,
// the latency bench and (for the conformance run) a seeded data dir.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import type { SuiteEnvironment } from '../../tools/context.js';
import type { FeatureName } from '../../tools/trading/prediction/features.js';
import type { InputContract, OutputMapping } from '../../tools/trading/prediction/model-contract.js';

const { onnx } = onnxProto;

export const sp500File = path.resolve(import.meta.dirname, '../../node_modules/vega-datasets/data/sp500-2000.csv');

export interface ModelShape {
  window: number;
  features: FeatureName[];
  hidden?: number;
  inputName?: string;
  outputName?: string;
  /** Changes the weights, hence the bytes and the sha256. */
  seed?: number;
  /**
   * An output width onnxruntime cannot know before a run ([batch, n]): the last Add is sliced up to
   * an end read from the input's shape at run time (the window, more than 5, so all 5 stay).
   */
  dynamicWidth?: boolean;
  /** Overrides of the output bias by index (e.g. NaN, to make a broken model). */
  outputBias?: Record<number, number>;
}

export const defaultFeatures: FeatureName[] = ['log_return', 'gap', 'high_low_range', 'close_open', 'volume_change'];
export const outputCount = 5;

export function testContract(shape: ModelShape): InputContract {
  return {
    features: shape.features,
    window: shape.window,
    normalisation: { kind: 'window-zscore' },
    inputName: shape.inputName ?? 'features',
    layout: 'batch-window-features',
  };
}

export function testOutput(outputName = 'predictions'): OutputMapping {
  return { outputName, return1d: 0, return5d: 1, return20d: 2, volatility: 3, directionLogit: 4 };
}

function weights(n: number, seed: number, scale: number): Float32Array {
  let s = seed;
  return Float32Array.from(
    { length: n },
    () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale,
  );
}

export interface ModelWeights {
  inputs: number;
  hidden: number;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

export function modelWeights(shape: ModelShape): ModelWeights {
  const inputs = shape.window * shape.features.length;
  const hidden = shape.hidden ?? 8;
  const seed = shape.seed ?? 7;
  return {
    inputs,
    hidden,
    w1: weights(inputs * hidden, seed, 0.2),
    b1: weights(hidden, seed + 1, 0.1),
    w2: weights(hidden * outputCount, seed + 2, 0.2),
    b2: Object.assign(weights(outputCount, seed + 3, 0.02), shape.outputBias ?? {}),
  };
}

function tensor(name: string, dims: number[], data: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(0)),
  });
}

function int64(name: string, values: number[]) {
  return onnx.TensorProto.create({
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
  });
}

function valueInfo(name: string, shape: (string | number)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

export function buildPredictionModel(shape: ModelShape): Uint8Array {
  const w = modelWeights(shape);
  const input = shape.inputName ?? 'features';
  const output = shape.outputName ?? 'predictions';
  const node = (opType: string, inputs: string[], out: string, attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input: inputs, output: [out], name: out, attribute });
  const graph = onnx.GraphProto.create({
    name: 'ohlc-mlp',
    node: [
      node('Flatten', [input], 'flat', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
      node('MatMul', ['flat', 'w1'], 'hidden_linear'),
      node('Add', ['hidden_linear', 'b1'], 'hidden_biased'),
      node('Tanh', ['hidden_biased'], 'hidden'),
      node('MatMul', ['hidden', 'w2'], 'output_linear'),
      ...(shape.dynamicWidth
        ? [
            node('Add', ['output_linear', 'b2'], 'output_full'),
            node('Shape', [input], 'input_shape'),
            node('Slice', ['input_shape', 'one', 'two'], 'window_dim'),
            node('Slice', ['output_full', 'zero', 'window_dim', 'one'], output),
          ]
        : [node('Add', ['output_linear', 'b2'], output)]),
    ],
    initializer: [
      ...(shape.dynamicWidth ? [int64('zero', [0]), int64('one', [1]), int64('two', [2])] : []),
      tensor('w1', [w.inputs, w.hidden], w.w1),
      tensor('b1', [w.hidden], w.b1),
      tensor('w2', [w.hidden, outputCount], w.w2),
      tensor('b2', [outputCount], w.b2),
    ],
    input: [valueInfo(input, ['batch', shape.window, shape.features.length])],
    output: [valueInfo(output, shape.dynamicWidth ? ['batch', 'n'] : ['batch', outputCount])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'caelum-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The same network in plain TS (float64 arithmetic on the float32 weights and inputs). */
export function referenceForward(w: ModelWeights, input: ArrayLike<number>): number[] {
  const hidden = new Array<number>(w.hidden);
  for (let j = 0; j < w.hidden; j++) {
    let sum = w.b1[j]!;
    for (let k = 0; k < w.inputs; k++) sum += input[k]! * w.w1[k * w.hidden + j]!;
    hidden[j] = Math.tanh(sum);
  }
  return Array.from({ length: outputCount }, (_, o) => {
    let sum = w.b2[o]!;
    for (let j = 0; j < w.hidden; j++) sum += hidden[j]! * w.w2[j * outputCount + o]!;
    return sum;
  });
}

/** Writes the S&P 500 daily bars (2000-01-03 … 2020-04-17) as `<symbol>.csv` in `directory`. */
export async function writeSp500(directory: string, symbol = 'SPX'): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${symbol}.csv`);
  await copyFile(sp500File, file);
  return file;
}

/** A suite environment with the trading defaults, for a bar source over `<dataDir>/trading/market`. */
export function marketEnvironment(dataDir: string): SuiteEnvironment {
  return {
    dataDir,
    allowedRoots: [],
    services: {
      ollamaHosts: [],
      databaseUrl: undefined,
      claude: { keyConfigured: false, baseUrl: undefined, model: '' },
    },
    confidenceThreshold: 0.7,
    thresholds: { supervisors: {}, tools: {} },
    trading: {
      marketData: { cacheHours: 12, timeoutMs: 10_000 },
      committee: {
        proposalConfidence: 0.65,
        consensus: 0.7,
        weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
      },
    },
  };
}

/** Writes the model into `directory` and returns its path. */
export async function writeModel(directory: string, shape: ModelShape, name = 'ohlc-mlp.onnx'): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, name);
  await writeFile(file, buildPredictionModel(shape));
  return file;
}

/**
 * What the prediction tools' examples need in a fresh suite: the model file the register example
 * names (models/ohlc-mlp.onnx in the project), the SPX bars in the default market directory, and
 * that model registered as ohlc-mlp@production (so trading_predict_symbols' example answers).
 */
export async function seedPredictionExamples(project: string, dataDir: string): Promise<void> {
  const { ModelRegistry } = await import('../../tools/trading/prediction/model-registry.js');
  const shape: ModelShape = { window: 30, features: defaultFeatures };
  await writeModel(path.join(project, 'models'), shape);
  await writeSp500(path.join(dataDir, 'trading', 'market'), 'SPX');
  await new ModelRegistry(dataDir).register({
    name: 'ohlc-mlp',
    bytes: buildPredictionModel(shape),
    source: path.join(project, 'models', 'ohlc-mlp.onnx'),
    trainedAt: '2020-04-17',
    registeredAt: new Date().toISOString(),
    contract: testContract(shape),
    output: testOutput(),
    alias: 'production',
  });
}
