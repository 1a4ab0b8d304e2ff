// The six supervisors and the suite-level catalogue tools, in one deterministic list.
import type { AnyHighLevelTool, Supervisor } from './high-level-tool.js';
import { infrastructureSupervisor } from './infrastructure.js';
import { monitoringSupervisor } from './monitoring.js';
import { knowledgeBaseSupervisor } from './knowledge-base.js';
import { developmentSupervisor } from './development.js';
import { tradingSupervisor } from './trading.js';
import { mlTrainingSupervisor } from './ml-training.js';
import { findTools, runTool } from './catalogue-tools.js';
import { delegateTask } from './delegate.js';

export const supervisors: readonly Supervisor[] = [
  developmentSupervisor,
  infrastructureSupervisor,
  knowledgeBaseSupervisor,
  tradingSupervisor,
  mlTrainingSupervisor,
  monitoringSupervisor,
];

export const suiteTools: readonly AnyHighLevelTool[] = [findTools, runTool, delegateTask];

/** Every high-level tool, sorted by name so tools/list is deterministic. */
export function highLevelTools(): AnyHighLevelTool[] {
  return [...suiteTools, ...supervisors.flatMap((s) => s.tools)].sort((a, b) => a.name.localeCompare(b.name));
}
