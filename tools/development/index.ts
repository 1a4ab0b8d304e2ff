// The development domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { getProjectStructure } from './project-structure.js';
import { analyzeComplexity } from './analyze-complexity.js';
import { analyzeCode, scanSecurity } from './analyze-code.js';

export const developmentTools: readonly AnyTool[] = [getProjectStructure, analyzeComplexity, analyzeCode, scanSecurity] as unknown as AnyTool[];
