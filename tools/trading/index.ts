// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { backtestTool } from './backtest/backtest-tool.js';
import { committeeTool } from './committee/committee-tool.js';
import { paperTools } from './paper/paper-tools.js';
import { registerModel, setModelAlias } from './prediction/model-tools.js';
import { listModels, predictSymbols } from './prediction/prediction-tools.js';
import { generateSignals } from './signal-tools.js';
import { importBars, listSymbolsTool } from './market/market-tools.js';
import { getBars } from './analysis/bars-tool.js';
import { computeIndicators } from './analysis/indicators-tool.js';
import { analyzeReturns } from './analysis/returns-tool.js';
import { findDrawdowns } from './analysis/drawdowns-tool.js';
import { correlateSymbols } from './analysis/correlate-tool.js';
import { sizePosition } from './analysis/sizing-tool.js';
import { estimateVar } from './analysis/var-tool.js';
import { scanSymbols } from './analysis/scan-tool.js';

export const tradingTools: readonly AnyTool[] = [
  generateSignals,
  importBars,
  listSymbolsTool,
  predictSymbols,
  registerModel,
  setModelAlias,
  listModels,
  backtestTool,
  committeeTool,
  ...paperTools,
  getBars,
  computeIndicators,
  analyzeReturns,
  findDrawdowns,
  correlateSymbols,
  sizePosition,
  estimateVar,
  scanSymbols,
] as unknown as AnyTool[];
