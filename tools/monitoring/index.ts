// The monitoring domain's internal tools, listed explicitly.
import type { AnyTool } from '../define-tool.js';
import { alertTools } from './alerts/alert-tools.js';
import { notifyTools } from './alerts/receivers/notify-tools.js';
import { checkAlertConfigTool, testRouteTool } from './alerts/routing/routing-tools.js';
import { getFleetHealth } from './fleet-health/fleet-health-tool.js';
import { fleetTools } from './fleet/fleet-tools.js';
import { metricsTools } from './metrics/metrics-tools.js';
import { listScrapeTargets } from './metrics/targets-tool.js';
import { listPrometheusRules } from './metrics/rules-tool.js';
import { historyTools } from './history/history-tools.js';
import { remediationTools } from './remediation/remediation-tools.js';
import { summarizeCosts } from './summarize-costs.js';

export const monitoringTools: readonly AnyTool[] = [
  summarizeCosts,
  getFleetHealth,
  ...metricsTools,
  listScrapeTargets,
  listPrometheusRules,
  ...fleetTools,
  testRouteTool,
  checkAlertConfigTool,
  ...alertTools,
  ...notifyTools,
  ...remediationTools,
  ...historyTools,
] as unknown as AnyTool[];
