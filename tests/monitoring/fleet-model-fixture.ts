// A small fleet model built in the test with onnx-proto: Gather(profile_embedding, profile) ⧺ features
// → MatMul + Add → state_scores. The embedding's row count and the output width are parameters, so
// the seed's stale [8, 5] model can be built next to a [7, 5] one; its plain-TS reference as well.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface FleetModelShape {
  profiles: number;
  embedding: number;
  states: number;
  /** metadata_props to add (e.g. fleet_contract_hash). */
  metadata?: Record<string, string>;
  /** An operator onnxruntime does not know: loading would fail, so a refusal proves no load was tried. */
  brokenGraph?: boolean;
  seed?: number;
}

const features = 5;

function weights(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
}

export interface FleetModelWeights {
  embedding: Float32Array;
  w: Float32Array;
  b: Float32Array;
}

export function fleetModelWeights(shape: FleetModelShape): FleetModelWeights {
  const seed = shape.seed ?? 11;
  const inputs = shape.embedding + features;
  return {
    embedding: weights(shape.profiles * shape.embedding, seed),
    w: weights(inputs * shape.states, seed + 1),
    b: weights(shape.states, seed + 2),
  };
}

const tensor = (name: string, dims: number[], data: Float32Array) =>
  onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer.slice(0)),
  });

const valueInfo = (name: string, elemType: number, shape: (string | number)[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });

export function buildFleetModel(shape: FleetModelShape): Uint8Array {
  const w = fleetModelWeights(shape);
  const node = (opType: string, inputs: string[], out: string, attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input: inputs, output: [out], name: out, attribute });
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const graph = onnx.GraphProto.create({
    name: 'fleet-model',
    node: [
      node('Gather', ['profile_embedding', 'profile'], 'embedded', [int('axis', 0)]),
      node('Concat', ['embedded', 'features'], 'joined', [int('axis', 1)]),
      node(shape.brokenGraph ? 'NoSuchOperator' : 'MatMul', ['joined', 'w'], 'linear'),
      node('Add', ['linear', 'b'], 'state_scores'),
    ],
    initializer: [
      tensor('profile_embedding', [shape.profiles, shape.embedding], w.embedding),
      tensor('w', [shape.embedding + features, shape.states], w.w),
      tensor('b', [shape.states], w.b),
    ],
    input: [
      valueInfo('profile', onnx.TensorProto.DataType.INT64, ['batch']),
      valueInfo('features', onnx.TensorProto.DataType.FLOAT, ['batch', features]),
    ],
    output: [valueInfo('state_scores', onnx.TensorProto.DataType.FLOAT, ['batch', shape.states])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'caelum-test',
    opsetImport: [{ domain: '', version: 13 }],
    metadataProps: Object.entries(shape.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The same network in float64 on the float32 weights. */
export function fleetModelReference(shape: FleetModelShape, profile: number, input: readonly number[]): number[] {
  const w = fleetModelWeights(shape);
  const joined = [
    ...Array.from(w.embedding.subarray(profile * shape.embedding, (profile + 1) * shape.embedding)),
    ...input.map((x) => Math.fround(x)),
  ];
  return Array.from({ length: shape.states }, (_, s) => {
    let sum = w.b[s]!;
    joined.forEach((x, k) => (sum += x * w.w[k * shape.states + s]!));
    return sum;
  });
}
