// Config `monitoring`: where fleet metrics come from, the fleet's servers and profiles, alert routing
// (an Alertmanager YAML file), escalation, remediation playbooks and the cost-avoidance inputs.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { alertConfigFrom } from '../tools/monitoring/alerts/alert-service.js';
import { escalationPolicySchema } from '../tools/monitoring/alerts/escalation/escalation-config.js';
import { checkProfile } from '../tools/monitoring/fleet/contract.js';
import { classifyOptionsFromConfig, fleetConfigSchema } from '../tools/monitoring/fleet/fleet-config.js';
import type { MonitoringSettings } from '../tools/monitoring/settings.js';
import { secrets } from '../tools/secrets.js';
import { remediationSettingsSchema } from '../tools/monitoring/remediation/remediation-settings.js';
import { registerReceiverSecrets } from '../tools/monitoring/alerts/receivers/send.js';
import { ConfigError } from './config-error.js';

const httpUrl = (what: string) => z.url({ protocol: /^https?$/, error: `expected the http(s) URL of ${what}` });

const fleetDefaults = {
  servers: [],
  discover: true,
  defaultProfile: 'generic',
  timezoneOffsetMinutes: 0,
  maintenance: [],
  forecast: { horizonHours: 6, seasonHours: 24, stepMinutes: 5, historyDays: 7, delta: 3 },
};

export const monitoringConfigSchema = z
  .object({
    prometheus: z
      .object({
        url: httpUrl('a Prometheus server, e.g. http://127.0.0.1:9090').describe('its HTTP API root'),
        timeoutMs: z.number().int().min(100).max(120_000).default(10_000).describe('per request'),
        bearerToken: z.string().min(1).optional().describe('sent as a Bearer token; never reported'),
        rateWindow: z
          .string()
          .regex(/^[1-9][0-9]*(s|m|h)$/, 'expected a PromQL duration such as 5m')
          .default('5m')
          .describe('rate() window for CPU and network errors; shorter for a Prometheus with little history'),
      })
      .strict()
      .optional()
      .describe('a Prometheus server: instant and range queries, and its targets as the fleet'),
    fleet: fleetConfigSchema
      .extend({
        servers: z
          .array(
            z
              .object({
                name: z.string().min(1).max(200).describe('server name; its id is SHA-256 of it'),
                profile: z.string().min(1).describe('one of the contract profiles'),
                instance: z.string().min(1).optional().describe('its Prometheus instance label; default: the name'),
                scrapeUrl: httpUrl('an exposition endpoint (node_exporter /metrics)')
                  .optional()
                  .describe('read directly instead of through Prometheus'),
              })
              .strict(),
          )
          .max(10_000)
          .default([])
          .describe('the fleet; servers from Prometheus targets are added when discover is on'),
        discover: z
          .boolean()
          .default(true)
          .describe("add Prometheus targets (profile from the target's profile label)"),
        defaultProfile: z.string().min(1).default('generic').describe('profile of a discovered target without one'),
      })
      .strict()
      .default(fleetDefaults),
    alerting: z
      .object({
        configFile: z.string().min(1).optional().describe("Alertmanager's YAML: route tree, inhibit rules, receivers"),
        alertmanagerUrl: httpUrl('an Alertmanager, e.g. http://127.0.0.1:9093')
          .optional()
          .describe('fired alerts are also forwarded there (POST /api/v2/alerts)'),
        externalUrl: z.string().default('http://caelum.local').describe('externalURL in webhook payloads'),
        tickMs: z.number().int().min(100).max(60_000).default(1_000).describe('how often groups are flushed'),
        escalation: escalationPolicySchema
          .partial()
          .optional()
          .describe('ack and escalation tiers (receivers of the Alertmanager config); absent: no escalation'),
      })
      .strict()
      .default({ externalUrl: 'http://caelum.local', tickMs: 1_000 }),
    remediation: remediationSettingsSchema
      .optional()
      .describe('playbooks per profile, the allow-listed commands, the service registry and the rate limit'),
  })
  .strict()
  .default({
    fleet: fleetDefaults,
    alerting: { externalUrl: 'http://caelum.local', tickMs: 1_000 },
  })
  .describe('the monitoring supervisor: Prometheus, the fleet, alert routing, escalation, remediation');

export type MonitoringConfig = z.output<typeof monitoringConfigSchema>;

/**
 * The monitoring settings the tools see: the config with the Alertmanager YAML read and parsed (a
 * malformed file is a ConfigError with its line and column), receiver secrets registered, and the
 * fleet's profiles and escalation tiers checked against the contract and the receivers.
 */
export function monitoringEnvironment(monitoring: MonitoringConfig): MonitoringSettings {
  const file = monitoring.alerting.configFile;
  let yaml: string | undefined;
  if (file !== undefined) {
    try {
      yaml = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `invalid configuration:\n  monitoring.alerting.configFile: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give an Alertmanager YAML file`,
      );
    }
  }
  let parsed: ReturnType<typeof alertConfigFrom>;
  try {
    parsed = alertConfigFrom(yaml, file ?? 'monitoring.alerting.configFile');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  monitoring.alerting.configFile: ${(error as Error).message}`);
  }
  registerReceiverSecrets(parsed.config.receivers, secrets);
  const receiverNames = new Set(parsed.config.receivers.map((receiver) => receiver.name));
  const ackTtl = monitoring.alerting.escalation?.ackTtlMs ?? 4 * 3_600_000;
  const maxAckTtl = monitoring.alerting.escalation?.maxAckTtlMs ?? 86_400_000;
  if (ackTtl > maxAckTtl)
    throw new ConfigError(
      `invalid configuration:\n  monitoring.alerting.escalation.ackTtlMs: ${ackTtl} is over maxAckTtlMs ${maxAckTtl}; lower it or raise maxAckTtlMs`,
    );
  const escalation = monitoring.alerting.escalation;
  if (escalation && escalation.enabled !== false) {
    const tiers = [
      ...(escalation.tiers ?? []),
      ...Object.values(escalation.profiles ?? {}).flatMap((profile) => profile?.tiers ?? []),
    ];
    const missing = [...new Set(tiers.map((tier) => tier.receiver).filter((name) => !receiverNames.has(name)))];
    if (missing.length > 0)
      throw new ConfigError(
        `invalid configuration:\n  monitoring.alerting.escalation: tier receiver(s) ${missing.join(', ')} are not in the Alertmanager config (${[...receiverNames].join(', ')}); name receivers it declares`,
      );
  }
  monitoring.fleet.servers.forEach((server, index) => {
    try {
      checkProfile(server.profile, `monitoring.fleet.servers.${index}.profile`);
    } catch (error) {
      throw new ConfigError(`invalid configuration:\n  ${(error as Error).message}`);
    }
  });
  try {
    checkProfile(monitoring.fleet.defaultProfile, 'monitoring.fleet.defaultProfile');
    classifyOptionsFromConfig(monitoring.fleet);
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${(error as Error).message}`);
  }
  return {
    ...(monitoring.prometheus ? { prometheus: monitoring.prometheus } : {}),
    ...(monitoring.remediation ? { remediation: monitoring.remediation } : {}),
    fleet: monitoring.fleet,
    alerting: {
      ...monitoring.alerting,
      config: parsed.config,
      configSource: parsed.source,
      receivers: parsed.config.receivers,
    },
  };
}
