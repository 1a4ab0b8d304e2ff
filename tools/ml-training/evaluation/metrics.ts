// Next-vector metrics, streamed: one pass over predictions and targets in whatever chunks they come,
// with constant memory beyond the chunk in hand. Definitions (also in the tool's description):
//   MSE    = Σ over all n·d elements of (pred − true)² / (n·d)
//   cosine = mean over the n pairs of pred·true / (|pred|·|true|); a pair where both vectors are zero
//            counts 1 (identical), a pair where exactly one is zero counts 0 (no direction shared).
import { InputError } from '../../errors.js';

export type Row = Float32Array | Float64Array | readonly number[];
/** Rows as one array, or as chunks (arrays of rows) from a sync or async iterable. */
export type RowSource = readonly Row[] | Iterable<readonly Row[]> | AsyncIterable<readonly Row[]>;

export interface VectorMetrics {
  mse: number;
  cosine: number;
  count: number;
  dimension: number;
}

/** The running sums; add pairs in any chunking and `result()` is the same to the last bit. */
export class MetricAccumulator {
  private squared = 0;
  private cosines = 0;
  private n = 0;
  private d = -1;

  constructor(
    private readonly fields: { predictions: string; targets: string } = {
      predictions: 'predictions',
      targets: 'targets',
    },
  ) {}

  add(pred: Row, truth: Row): void {
    const i = this.n;
    if (this.d < 0) this.d = truth.length;
    if (this.d === 0) throw new InputError(`${this.fields.targets}[${i}]`, 'vectors must have at least one dimension');
    if (truth.length !== this.d)
      throw new InputError(
        `${this.fields.targets}[${i}]`,
        `has ${truth.length} dimensions, expected ${this.d} like the first row`,
      );
    if (pred.length !== this.d)
      throw new InputError(
        `${this.fields.predictions}[${i}]`,
        `has ${pred.length} dimensions, expected ${this.d} like the targets`,
      );
    let sq = 0;
    let dot = 0;
    let pp = 0;
    let tt = 0;
    for (let k = 0; k < this.d; k++) {
      const p = pred[k]!;
      const t = truth[k]!;
      if (!Number.isFinite(p))
        throw new InputError(`${this.fields.predictions}[${i}][${k}]`, `is ${p}; every value must be a finite number`);
      if (!Number.isFinite(t))
        throw new InputError(`${this.fields.targets}[${i}][${k}]`, `is ${t}; every value must be a finite number`);
      const e = p - t;
      sq += e * e;
      dot += p * t;
      pp += p * p;
      tt += t * t;
    }
    this.squared += sq;
    this.cosines += pp === 0 && tt === 0 ? 1 : pp === 0 || tt === 0 ? 0 : dot / (Math.sqrt(pp) * Math.sqrt(tt));
    this.n++;
  }

  result(): VectorMetrics {
    if (this.n === 0)
      throw new InputError(this.fields.targets, 'no vectors to score; give at least one prediction and target');
    return { mse: this.squared / (this.n * this.d), cosine: this.cosines / this.n, count: this.n, dimension: this.d };
  }
}

function isRow(value: unknown): value is Row {
  return (
    value instanceof Float32Array ||
    value instanceof Float64Array ||
    (Array.isArray(value) && (value.length === 0 || typeof value[0] === 'number'))
  );
}

/** One row at a time from any RowSource. */
export async function* rowsOf(source: RowSource): AsyncGenerator<Row> {
  if (Array.isArray(source) && (source.length === 0 || isRow(source[0]))) {
    yield* source as readonly Row[];
    return;
  }
  for await (const chunk of source as AsyncIterable<readonly Row[]>) yield* chunk;
}

/** MSE and mean cosine of predictions against targets, streamed; the counts must match. */
export async function vectorMetrics(
  predictions: RowSource,
  targets: RowSource,
  options: { fields?: { predictions: string; targets: string }; signal?: AbortSignal } = {},
): Promise<VectorMetrics> {
  const fields = options.fields ?? { predictions: 'predictions', targets: 'targets' };
  const accumulator = new MetricAccumulator(fields);
  const p = rowsOf(predictions);
  const t = rowsOf(targets);
  let started = Date.now();
  for (let i = 0; ; i++) {
    const [a, b] = await Promise.all([p.next(), t.next()]);
    if (a.done && b.done) break;
    if (a.done || b.done)
      throw new InputError(
        fields.predictions,
        `has ${a.done ? 'fewer' : 'more'} rows than ${fields.targets} (they differ at row ${i}); give one prediction per target`,
      );
    accumulator.add(a.value, b.value);
    // Long inputs: let other work run and honour cancellation.
    if (Date.now() - started > 20) {
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setImmediate(resolve));
      started = Date.now();
    }
  }
  return accumulator.result();
}
