// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { generateSignals } from './signal-tools.js';

export const tradingTools: readonly AnyTool[] = [generateSignals] as unknown as AnyTool[];
