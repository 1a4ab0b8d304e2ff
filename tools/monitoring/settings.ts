// What the monitoring tools read from the suite's environment (config `monitoring`, resolved by the
// composition root): Prometheus, the fleet, the parsed Alertmanager configuration, escalation,
// remediation and the cost-avoidance inputs. Secrets here are for requests only, never reported.
import type { ToolContext } from '../context.js';
import type { FleetConfig } from './fleet/fleet-config.js';
import type { RemediationSettings } from './remediation/remediation-settings.js';
import type { ReceiverConfig } from './alerts/alert-types.js';
import type { AlertmanagerConfig } from './alerts/routing/am-config.js';
import type { EscalationPolicyInput } from './alerts/escalation/escalation-config.js';

export interface FleetServerConfig {
  name: string;
  profile: string;
  instance?: string | undefined;
  scrapeUrl?: string | undefined;
}

export interface MonitoringSettings {
  prometheus?: { url: string; timeoutMs: number; bearerToken?: string | undefined; rateWindow: string } | undefined;
  fleet: FleetConfig & { servers: FleetServerConfig[]; discover: boolean; defaultProfile: string };
  remediation?: RemediationSettings | undefined;
  alerting: {
    configFile?: string | undefined;
    /** The parsed Alertmanager YAML (or the fallback when none is configured) and where it came from. */
    config: AlertmanagerConfig;
    configSource: string;
    receivers: ReceiverConfig[];
    escalation?: EscalationPolicyInput | undefined;
    alertmanagerUrl?: string | undefined;
    externalUrl: string;
    tickMs: number;
  };
}

export function monitoringSettings(context: ToolContext): MonitoringSettings | undefined {
  return (context.environment as { monitoring?: MonitoringSettings }).monitoring;
}
