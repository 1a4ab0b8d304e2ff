// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { generateSignals } from './signal-tools.js';
import { backtestTool } from './backtest/backtest-tool.js';

export const tradingTools: readonly AnyTool[] = [generateSignals, backtestTool] as unknown as AnyTool[];
