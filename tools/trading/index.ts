// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { committeeTool } from './committee/committee-tool.js';
import { paperTools } from './paper/paper-tools.js';
import { generateSignals } from './signal-tools.js';

export const tradingTools: readonly AnyTool[] = [generateSignals, committeeTool, ...paperTools] as unknown as AnyTool[];
