// Shared by the market data tests: where the real S&P 500 bars live (read from node_modules at test
// time, never copied into the repository), and a suite environment over temp directories.
import path from 'node:path';
import type { SuiteEnvironment, TradingSettings } from '../../tools/context.js';
import { repoRoot } from '../helpers.js';

/** vega-datasets' S&P 500 daily OHLCV, 2000-01-03 to 2020-04-17. */
export const sp500File = path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv');

export function marketEnvironment(
  dataDir: string,
  allowedRoots: string[],
  marketData: Partial<TradingSettings['marketData']> = {},
): SuiteEnvironment {
  return {
    dataDir,
    allowedRoots,
    services: {
      ollamaHosts: [],
      databaseUrl: undefined,
      claude: { keyConfigured: false, baseUrl: undefined, model: 'x' },
    },
    confidenceThreshold: 0.7,
    thresholds: { supervisors: {}, tools: {} },
    trading: {
      marketData: { cacheHours: 12, timeoutMs: 2_000, ...marketData },
      committee: {
        proposalConfidence: 0.65,
        consensus: 0.7,
        weights: { model: 0.4, technical: 0.25, macro: 0.15, analyst: 0.2 },
      },
    },
  };
}
