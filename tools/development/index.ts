// The development domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { getProjectStructure } from './project-structure.js';
import { analyzeComplexity } from './analyze-complexity.js';
import { analyzeCode, scanSecurity } from './analyze-code.js';
import { gitChurn, gitDiff, gitLog, gitStatus } from './git-tools.js';
import { checkDependencies, findUnusedExports, listTodos, mapImports } from './project-tools.js';
import { checkLockfile, findDuplicatePackages, listInstallScripts, listLicences } from './dependency-tools.js';
import { auditVulnerabilities, explainDependency } from './dependency-audit-tools.js';
import { detectTestRunner, findCoverageGaps, parseTestResultsTool, readCoverageTool, runTests } from './test-tools.js';
import { listTests } from './test-inventory.js';
import { findCallSites, findDefinition, listSymbols } from './code-navigation-tools.js';
import { findDuplicateCode, findHotspots, findUnusedFiles } from './structure-tools.js';
import { auditTsconfig } from './tsconfig-audit.js';
import { gitBlame, gitShowCommit } from './git-history-tools.js';
import { checkRegex, listRoutes, scanSecrets } from './security-tools.js';
import { reviewWithAi } from './ai-review-tool.js';
import { applyFix } from './fix-tools.js';
import { explainRule, outlineFile } from './file-tools.js';
import { countLinesTool } from './count-lines.js';
import { findLargeFiles } from './large-files.js';

export const developmentTools: readonly AnyTool[] = [
  getProjectStructure,
  analyzeComplexity,
  analyzeCode,
  scanSecurity,
  gitStatus,
  gitDiff,
  gitLog,
  gitChurn,
  listTodos,
  mapImports,
  findUnusedExports,
  checkDependencies,
  checkLockfile,
  findDuplicatePackages,
  listInstallScripts,
  listLicences,
  auditVulnerabilities,
  explainDependency,
  detectTestRunner,
  runTests,
  parseTestResultsTool,
  readCoverageTool,
  findCoverageGaps,
  listTests,
  listSymbols,
  findDefinition,
  findCallSites,
  findUnusedFiles,
  findDuplicateCode,
  findHotspots,
  auditTsconfig,
  gitBlame,
  gitShowCommit,
  scanSecrets,
  listRoutes,
  checkRegex,
  reviewWithAi,
  applyFix,
  outlineFile,
  explainRule,
  countLinesTool,
  findLargeFiles,
] as unknown as AnyTool[];
