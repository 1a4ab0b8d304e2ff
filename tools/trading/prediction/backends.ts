// The prediction backends of one data dir, kept for the life of the process so that ONNX sessions
// load once and status (loaded since, predictions, last error) survives between tool calls. The
// remote backend is rebuilt only when its configuration changes.
import type { Clock, SuiteEnvironment } from '../../context.js';
import { createBarSource } from '../market/market-store.js';
import { ModelRegistry } from './model-registry.js';
import { OnnxBackend } from './onnx-backend.js';
import { RemoteBackend } from './remote-backend.js';

export interface PredictionBackends {
  registry: ModelRegistry;
  onnx: OnnxBackend;
  remote: RemoteBackend | undefined;
  remoteKey: string | undefined;
}

const byDataDir = new Map<string, PredictionBackends>();

export function predictionBackends(environment: SuiteEnvironment, clock?: Clock): PredictionBackends {
  let entry = byDataDir.get(environment.dataDir);
  if (!entry) {
    const registry = new ModelRegistry(environment.dataDir);
    const onnx = new OnnxBackend({ registry, bars: createBarSource(environment), ...(clock ? { clock } : {}) });
    entry = { registry, onnx, remote: undefined, remoteKey: undefined };
    byDataDir.set(environment.dataDir, entry);
  }
  const service = environment.trading?.predictionService;
  const key = service
    ? JSON.stringify([service.baseUrl, service.apiKey, service.timeoutMs, service.retries])
    : undefined;
  if (key !== entry.remoteKey) {
    entry.remoteKey = key;
    entry.remote = service
      ? new RemoteBackend({
          baseUrl: service.baseUrl,
          apiKey: service.apiKey,
          timeoutMs: service.timeoutMs,
          retries: service.retries,
          ...(clock ? { clock } : {}),
        })
      : undefined;
  }
  return entry;
}

/** Releases the sessions of one data dir (or all): for a suite that shuts down, and for tests. */
export async function closePredictionBackends(dataDir?: string): Promise<void> {
  const entries = [...byDataDir.entries()].filter(([dir]) => dataDir === undefined || dir === dataDir);
  for (const [dir, entry] of entries) {
    byDataDir.delete(dir);
    await entry.onnx.close();
    await entry.remote?.close();
  }
}
