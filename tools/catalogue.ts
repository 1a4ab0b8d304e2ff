// The internal catalogue: one explicit list per domain. Domains without tools yet have empty lists.
import type { AnyTool, Domain } from './define-tool.js';
import { developmentTools } from './development/index.js';
import { infrastructureTools } from './infrastructure/index.js';
import { knowledgeBaseTools } from './knowledge-base/index.js';
import { mlTrainingTools } from './ml-training/index.js';
import { monitoringTools } from './monitoring/index.js';
import { tradingTools } from './trading/index.js';

export const toolsByDomain: Record<Domain, readonly AnyTool[]> = {
  development: developmentTools,
  infrastructure: infrastructureTools,
  'knowledge-base': knowledgeBaseTools,
  trading: tradingTools,
  'ml-training': mlTrainingTools,
  monitoring: monitoringTools,
};
