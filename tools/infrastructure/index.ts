// The infrastructure domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { getHostResources } from './host-resources.js';
import { checkServices } from './check-services.js';
import { listMcpServers, restartMcpServer } from './mcp-server-tools.js';
import { deleteModel, listModels, showModel } from './model-tools.js';
import { checkDiskSpace, listListeningPorts, listProcesses } from './system-tools.js';
import { getPoolStatus, probeHosts, pullModel, runCompletion, setHostEnabled, unloadModel } from './pool-tools.js';

export const infrastructureTools: readonly AnyTool[] = [
  getHostResources,
  checkServices,
  getPoolStatus,
  setHostEnabled,
  probeHosts,
  pullModel,
  unloadModel,
  runCompletion,
  listMcpServers,
  restartMcpServer,
  listModels,
  showModel,
  deleteModel,
  listProcesses,
  listListeningPorts,
  checkDiskSpace,
] as unknown as AnyTool[];
