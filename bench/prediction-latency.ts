// Prediction latency on the test model (tests/trading/predict-model-fixture.ts: window 30 × 5
// features → MLP → 5 outputs) over the real S&P 500 bars: p50/p95 of one ONNX prediction through the
// backend (bars read, features, session run, mapping), beside the same network in plain TS measured
// in the same run, the causal series over the whole history (bars/s), and the remote backend's p50
// against the loopback prediction peer.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createBarSource } from '../tools/trading/market/market-store.js';
import { fillWindow } from '../tools/trading/prediction/features.js';
import { ModelRegistry } from '../tools/trading/prediction/model-registry.js';
import { OnnxBackend } from '../tools/trading/prediction/onnx-backend.js';
import { predictSeries } from '../tools/trading/prediction/predict-series.js';
import { RemoteBackend } from '../tools/trading/prediction/remote-backend.js';
import {
  buildPredictionModel,
  marketEnvironment,
  defaultFeatures,
  modelWeights,
  referenceForward,
  testContract,
  testOutput,
  writeSp500,
  type ModelShape,
} from '../tests/trading/predict-model-fixture.js';
import { PredictionPeer } from '../tests/peers/prediction-peer.js';
import { percentile, round, table } from './stats.js';

const shape: ModelShape = { window: 30, features: defaultFeatures };
const modelName = 'ohlc-mlp (window 30 × 5 features, hidden 8, 5 outputs)';

async function timeMany(n: number, run: () => Promise<unknown> | unknown): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times;
}

export async function measurePredictionLatency(options: { n?: number } = {}): Promise<{
  p50Ms: number;
  p95Ms: number;
  n: number;
  model: string;
  referenceP50Ms: number;
  seriesBarsPerSecond: number;
  remoteP50Ms: number;
}> {
  const n = options.n ?? 200;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-predict-'));
  const peer = await new PredictionPeer().start();
  try {
    await writeSp500(path.join(dataDir, 'trading', 'market'), 'SPX');
    const registry = new ModelRegistry(dataDir);
    await registry.register({
      name: 'ohlc-mlp',
      bytes: buildPredictionModel(shape),
      source: 'bench',
      trainedAt: '2020-04-17',
      registeredAt: new Date().toISOString(),
      contract: testContract(shape),
      output: testOutput(),
      alias: 'production',
    });
    const source = createBarSource(marketEnvironment(dataDir));
    const bars = await source('SPX');
    // Bars held in memory: the figure is the model path, not CSV parsing.
    const backend = new OnnxBackend({ registry, bars: async () => bars });
    await timeMany(20, () => backend.predict({ symbol: 'SPX' }));
    const onnx = await timeMany(n, () => backend.predict({ symbol: 'SPX' }));
    const weights = modelWeights(shape);
    const input = new Float32Array(shape.window * shape.features.length);
    const reference = await timeMany(n, () => {
      fillWindow(bars, shape.features, shape.window, { kind: 'window-zscore' }, bars.close.length - 1, input, 0);
      return referenceForward(weights, input);
    });
    const seriesStarted = performance.now();
    await predictSeries(bars, 'production', backend);
    const seriesBarsPerSecond = bars.close.length / ((performance.now() - seriesStarted) / 1000);
    await backend.close();
    const remote = new RemoteBackend({ baseUrl: peer.url, timeoutMs: 2000, retries: 0 });
    await timeMany(20, () => remote.predict({ symbol: 'SPX' }));
    const remoteTimes = await timeMany(n, () => remote.predict({ symbol: 'SPX' }));
    return {
      p50Ms: round(percentile(onnx, 50)),
      p95Ms: round(percentile(onnx, 95)),
      n,
      model: modelName,
      referenceP50Ms: round(percentile(reference, 50)),
      seriesBarsPerSecond: Math.round(seriesBarsPerSecond),
      remoteP50Ms: round(percentile(remoteTimes, 50)),
    };
  } finally {
    await peer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measurePredictionLatency();
  process.stdout.write(
    table('Prediction latency (S&P 500 bars, test model)', [
      { path: 'ONNX backend, one prediction', p50Ms: result.p50Ms, p95Ms: result.p95Ms, n: result.n },
      { path: 'same network in plain TS (peer)', p50Ms: result.referenceP50Ms, p95Ms: '', n: result.n },
      { path: 'remote backend → loopback peer', p50Ms: result.remoteP50Ms, p95Ms: '', n: result.n },
    ]) + `causal series: ${result.seriesBarsPerSecond} bars/s\n`,
  );
  const results = path.join(import.meta.dirname, 'results');
  await mkdir(results, { recursive: true });
  await writeFile(path.join(results, 'prediction-latency.json'), JSON.stringify(result, null, 2));
}
