// The model run causally over a whole history: at every bar t, the window ending at t (bars up to
// t only), in batches. The backtest's "follow the model" strategy reads these series; before the
// first full window there is no prediction (direction 0).
import { InputError } from '../../errors.js';
import { barCount, type Bars } from '../market/bars.js';
import { firstWindowEnd } from './features.js';
import type { OnnxBackend } from './onnx-backend.js';
import { directionOf, identityOf } from './onnx-outputs.js';
import type { ModelIdentity } from './prediction.js';

export interface PredictionSeries {
  /** 1 long, -1 short, 0 before the first full window. */
  direction: Int8Array;
  /** max(P(up), 1 - P(up)); 0 before warm-up. */
  confidence: Float64Array;
  /** Expected 1-bar return; 0 before warm-up. */
  expected1d: Float64Array;
  /** The first bar with a prediction. */
  warmUp: number;
  model: ModelIdentity;
}

/** Bars a series may cover: a budget on memory and on the time one call holds a session. */
export const maxSeriesBars = 1_000_000;

export async function predictSeries(
  bars: Bars,
  model: string | undefined,
  backend: OnnxBackend,
  options: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<PredictionSeries> {
  const n = barCount(bars);
  if (n > maxSeriesBars)
    throw new InputError(
      'bars',
      `${n} bars is over the ${maxSeriesBars} bar budget of a prediction series; pass fewer bars`,
    );
  const resolved = await backend.registry.resolve(model ?? 'production');
  const loaded = await backend.load(resolved);
  const { checkpoint } = resolved;
  const warmUp = firstWindowEnd(checkpoint.contract.window);
  const direction = new Int8Array(n);
  const confidence = new Float64Array(n);
  const expected1d = new Float64Array(n);
  const batchSize = options.batchSize ?? 512;
  for (let start = warmUp; start < n; start += batchSize) {
    options.signal?.throwIfAborted();
    const ends = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const outputs = await backend.run(loaded, resolved, bars, ends);
    ends.forEach((t, row) => {
      const value = (index: number) => outputs.data[row * outputs.width + index]!;
      const call = directionOf(value(checkpoint.output.directionLogit));
      direction[t] = call.direction === 'LONG' ? 1 : -1;
      confidence[t] = call.confidence;
      expected1d[t] = value(checkpoint.output.return1d);
    });
    // session.run is asynchronous, so the event loop turns between batches already.
  }
  return {
    direction,
    confidence,
    expected1d,
    warmUp: Math.min(warmUp, n),
    model: identityOf(resolved),
  };
}
