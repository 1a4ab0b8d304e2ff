// The monitoring domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { summarizeCosts } from './summarize-costs.js';

export const monitoringTools: readonly AnyTool[] = [summarizeCosts] as unknown as AnyTool[];
