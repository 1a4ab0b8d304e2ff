// The trading domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { generateSignals } from './signal-tools.js';
import { paperTools } from './paper/paper-tools.js';

export const tradingTools: readonly AnyTool[] = [generateSignals, ...paperTools] as unknown as AnyTool[];
