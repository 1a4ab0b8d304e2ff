// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { committeeTool } from './committee/committee-tool.js';
import { generateSignals } from './signal-tools.js';

export const tradingTools: readonly AnyTool[] = [generateSignals, committeeTool] as unknown as AnyTool[];
