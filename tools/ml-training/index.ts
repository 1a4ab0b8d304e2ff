// The ml-training domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { inspectCheckpoint } from './checkpoints/checkpoint-tool.js';

export const mlTrainingTools: readonly AnyTool[] = [inspectCheckpoint] as unknown as AnyTool[];
