// The monitoring supervisor: fleet health under the seed's data contract (real Prometheus or
// exposition endpoints, per-profile rules, Holt-Winters forecasts), alerts with Alertmanager's routing
// and timing plus ack and escalation, gated remediation playbooks, and LLM cost with cost avoidance.
// The published schemas are compact; the internal tools' full schemas check every call.
import { z } from 'zod';
import { InputError } from '../tools/errors.js';
import { costSummarySchema, summarizeCosts } from '../tools/monitoring/summarize-costs.js';
import { costAvoidanceSchema } from '../tools/monitoring/fleet/cost-avoidance.js';
import { defineHighLevelTool, runStep, StepFailure, type Supervisor } from './high-level-tool.js';

type Row = Record<string, unknown>;

const tool = {
  fleet: 'monitoring_get_fleet_health',
  testRoute: 'monitoring_test_route',
  checkConfig: 'monitoring_check_alert_config',
  fire: 'monitoring_fire_alerts',
  list: 'monitoring_list_alerts',
  ack: 'monitoring_ack_alert',
  silence: 'monitoring_silence_alerts',
  plan: 'monitoring_plan_remediation',
  run: 'monitoring_run_remediation',
  services: 'monitoring_check_services',
  avoidance: 'monitoring_estimate_cost_avoidance',
} as const;

const getFleetHealth = defineHighLevelTool({
  name: 'getFleetHealth',
  owner: 'monitoring',
  title: 'Fleet health and forecast',
  description:
    'Each server\'s state under the fleet contract (7 profiles, 8 states) from Prometheus or node_exporter, the rule evidence, and a Holt-Winters forecast with bands. Example: {"forecastHours": 6}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    servers: z.array(z.string().min(1)).max(1000).optional().describe('names; default: the whole fleet'),
    forecastHours: z.number().min(0).max(48).default(6).describe('0: no forecast'),
  }),
  output: z.object({
    contract: z.record(z.string(), z.unknown()),
    source: z.string(),
    states: z.record(z.string(), z.number()),
    servers: z.array(z.record(z.string(), z.unknown())),
    notes: z.array(z.string()),
  }),
  examples: [{ forecastHours: 6 }],
  async handler(input, call) {
    const outcome = await call.runOrFail(tool.fleet, input);
    return { result: outcome.output as never, text: outcome.text };
  },
});

const alertActions = ['test', 'check', 'fire', 'resolve', 'list', 'ack', 'silence', 'expire'] as const;

function needs(action: string, field: string, value: unknown, example: string): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0))
    throw new InputError(field, `${action} needs ${field}; e.g. {"action": "${action}", ${example}}`);
}

const manageAlerts = defineHighLevelTool({
  name: 'manageAlerts',
  owner: 'monitoring',
  title: 'Route, fire, ack and silence alerts',
  description:
    'Alertmanager routing (its YAML) with ack and escalation. test: receivers, path, timings; check: the YAML; fire, resolve (confirm) notify; list: alerts, escalation, next repeats; ack, silence, expire. Example: {"action": "test", "labels": {"severity": "critical"}}',
  kind: { effect: 'action', openWorld: true },
  input: z.object({
    action: z.enum(alertActions).describe('test and check send nothing'),
    labels: z.record(z.string(), z.string()).optional().describe('test, fire, resolve'),
    annotations: z.record(z.string(), z.string()).optional().describe('fire'),
    id: z.string().min(1).max(300).optional().describe('ack: fingerprint or alertname; expire: silence id'),
    matchers: z.array(z.string()).optional().describe('silence: ["job=\\"db\\""]'),
    minutes: z.number().positive().max(525_600).optional().describe('ack or silence length'),
    comment: z.string().max(1000).optional().describe('ack, silence'),
    config: z.string().max(1_000_000).optional().describe('Alertmanager YAML to test or check'),
    confirm: z.boolean().default(false).describe('true to fire or resolve'),
  }),
  output: z.object({
    action: z.enum(alertActions),
    route: z.record(z.string(), z.unknown()).optional(),
    alerts: z.array(z.unknown()).optional(),
    escalation: z.array(z.unknown()).optional(),
    silence: z.record(z.string(), z.unknown()).optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  examples: [
    { action: 'test', labels: { alertname: 'DiskFull', severity: 'critical', profile: 'database' } },
    { action: 'list' },
  ],
  async handler(input, call) {
    const config = input.config !== undefined ? { yaml: input.config } : {};
    switch (input.action) {
      case 'test': {
        needs('test', 'labels', input.labels, '"labels": {"severity": "critical"}');
        const outcome = await runStep(call, tool.testRoute, { labels: input.labels, ...config }, { yaml: 'config' });
        return { result: { action: 'test' as const, route: outcome.output as Row }, text: outcome.text };
      }
      case 'check': {
        const outcome = await runStep(call, tool.checkConfig, config, { yaml: 'config' });
        return { result: { action: 'check' as const, detail: outcome.output as Row }, text: outcome.text };
      }
      case 'fire':
      case 'resolve': {
        needs(input.action, 'labels', input.labels, '"labels": {"alertname": "DiskFull"}, "confirm": true');
        const args = {
          alerts: [{ labels: input.labels, ...(input.annotations ? { annotations: input.annotations } : {}) }],
          resolve: input.action === 'resolve',
          confirm: input.confirm,
        };
        const outcome = await runStep(
          call,
          tool.fire,
          args,
          { 'alerts.0.labels': 'labels', 'alerts.0.annotations': 'annotations', alerts: 'labels' },
          input.confirm ? { confirm: true } : {},
        );
        const output = outcome.output as Row;
        return {
          result: { action: input.action, alerts: (output.alerts ?? []) as unknown[], detail: output },
          text: outcome.text,
        };
      }
      case 'list': {
        const outcome = await call.runOrFail(tool.list, {});
        const output = outcome.output as Row;
        return {
          result: {
            action: 'list' as const,
            alerts: (output.alerts ?? []) as unknown[],
            escalation: (output.escalation ?? []) as unknown[],
            detail: output,
          },
          text: outcome.text,
        };
      }
      case 'ack': {
        needs(input.action, 'id', input.id, '"id": "DiskFull", "minutes": 60');
        const outcome = await runStep(
          call,
          tool.ack,
          {
            alert: input.id,
            ...(input.minutes !== undefined ? { minutes: input.minutes } : {}),
            ...(input.comment !== undefined ? { comment: input.comment } : {}),
          },
          { alert: 'id', ttlMs: 'minutes' },
        );
        const output = outcome.output as Row;
        return {
          result: { action: input.action, escalation: (output.escalation ?? []) as unknown[], detail: output },
          text: outcome.text,
        };
      }
      case 'silence':
      case 'expire': {
        if (input.action === 'silence')
          needs('silence', 'matchers', input.matchers, '"matchers": ["alertname=\\"DiskFull\\""], "minutes": 60');
        else needs('expire', 'id', input.id, '"id": "<silence id>"');
        const outcome = await runStep(
          call,
          tool.silence,
          {
            ...(input.action === 'silence'
              ? { matchers: input.matchers, ...(input.minutes !== undefined ? { minutes: input.minutes } : {}) }
              : { expire: input.id }),
            ...(input.comment !== undefined ? { comment: input.comment } : {}),
          },
          { expire: 'id' },
        );
        const output = outcome.output as Row;
        return {
          result: { action: input.action, silence: (output.silence ?? output) as Row },
          text: outcome.text,
        };
      }
    }
  },
});

const runRemediation = defineHighLevelTool({
  name: 'runRemediation',
  owner: 'monitoring',
  title: 'Run a remediation playbook',
  description:
    'A server profile\'s playbook (HTTP calls, allow-listed commands, service restarts): a dry run shows exactly what would run; confirm: true runs it, rate-limited, stopping at the first failure. No server: service health. Example: {"server": "web-1"}',
  kind: { effect: 'destructive', openWorld: true },
  input: z.object({
    server: z.string().min(1).max(200).optional().describe('a fleet server name'),
    playbook: z.string().min(1).max(200).optional().describe("default: its profile's"),
    confirm: z.boolean().default(false).describe('true to run it'),
  }),
  output: z.object({
    dryRun: z.boolean(),
    server: z.string().optional(),
    playbook: z.string().optional(),
    steps: z.array(z.unknown()).optional(),
    services: z.array(z.unknown()).optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  }),
  examples: [{}],
  async handler(input, call) {
    if (input.server === undefined) {
      const outcome = await call.runOrFail(tool.services, {});
      const output = outcome.output as Row;
      return { result: { dryRun: true, services: (output.services ?? []) as unknown[] }, text: outcome.text };
    }
    const args = { server: input.server, ...(input.playbook ? { playbook: input.playbook } : {}) };
    const outcome = input.confirm
      ? await call.runOrFail(tool.run, { ...args, confirm: true }, { confirm: true })
      : await call.runOrFail(tool.plan, args);
    const output = outcome.output as Row;
    return {
      result: {
        dryRun: !input.confirm,
        server: input.server,
        ...(typeof output.playbook === 'string' ? { playbook: output.playbook } : {}),
        steps: (output.steps ?? []) as unknown[],
        detail: output,
      },
      text: input.confirm
        ? outcome.text
        : `${outcome.text.replace('run it with monitoring_run_remediation and confirm: true', 'run it with runRemediation and confirm: true')}\nNothing ran: pass confirm: true to run it.`,
    };
  },
});

const getCostReport = defineHighLevelTool({
  name: 'getCostReport',
  owner: 'monitoring',
  title: 'LLM cost report',
  description:
    'LLM cost from the ledger: calls by outcome, tokens, cost, saving against all-Claude; with avoidance, the cost avoided by monitoring (formula and inputs echoed; running cost = the last 30 days of LLM cost). Example: {"groupBy":"model"}',
  kind: { effect: 'readOnly' },
  input: summarizeCosts.input.extend({
    avoidance: z
      .record(z.string(), z.number())
      .optional()
      .describe(
        'incidentCostPerHour, minutesSavedPerIncident, incidentsPerMonth, falsePositivesPerMonth, falsePositiveCost, implementationCost',
      ),
  }),
  output: costSummarySchema.extend({ avoidance: costAvoidanceSchema.optional() }),
  examples: [
    { groupBy: 'model' },
    { groupBy: 'day', since: '2026-11-01' },
    {
      groupBy: 'model',
      avoidance: {
        incidentCostPerHour: 5000,
        minutesSavedPerIncident: 20,
        incidentsPerMonth: 4,
        falsePositivesPerMonth: 8,
        falsePositiveCost: 30,
      },
    },
  ],
  async handler(input, call) {
    const { avoidance, ...costInput } = input;
    const outcome = await call.runOrFail(summarizeCosts.name, costInput);
    const summary = outcome.output as z.output<typeof costSummarySchema>;
    let text =
      summary.totals.calls === 0 && !summary.legacy
        ? `No LLM calls recorded in the ledger at ${summary.source}${summary.since ? ` since ${summary.since}` : ''}: cost $0, saving $0.`
        : outcome.text;
    if (!avoidance) return { result: summary, text };
    // The monitoring's running cost is what its LLM work really cost over the last 30 days.
    const since = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const month = await call.runOrFail(summarizeCosts.name, { groupBy: costInput.groupBy, since });
    const monthlyRunningCost = (month.output as z.output<typeof costSummarySchema>).totals.costUsd;
    const estimate = await call.run(tool.avoidance, { ...avoidance, monthlyRunningCost });
    if (!estimate.ok) {
      const message = estimate.error.message.replace(/^([A-Za-z]+):/, 'avoidance.$1:');
      throw new StepFailure({ ...estimate.error, message });
    }
    text += `\n${estimate.text}`;
    return { result: { ...summary, avoidance: estimate.output as z.output<typeof costAvoidanceSchema> }, text };
  },
});

export const monitoringSupervisor: Supervisor = {
  name: 'monitoring',
  description: 'Fleet health, alerts, remediation and costs.',
  tools: [getFleetHealth, manageAlerts, runRemediation, getCostReport],
};
