// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { backtestTool } from './backtest/backtest-tool.js';
import { committeeTool } from './committee/committee-tool.js';
import { paperTools } from './paper/paper-tools.js';
import { registerModel, setModelAlias } from './prediction/model-tools.js';
import { listModels, predictSymbols } from './prediction/prediction-tools.js';
import { generateSignals } from './signal-tools.js';
import { importBars, listSymbolsTool } from './market/market-tools.js';

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
] as unknown as AnyTool[];
