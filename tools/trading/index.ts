// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { generateSignals } from './signal-tools.js';
import { importBars, listSymbolsTool } from './market/market-tools.js';

export const tradingTools: readonly AnyTool[] = [generateSignals, importBars, listSymbolsTool] as unknown as AnyTool[];
