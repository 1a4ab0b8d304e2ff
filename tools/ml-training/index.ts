// The ml-training domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';

export const mlTrainingTools: readonly AnyTool[] = [] as unknown as AnyTool[];
