// monitoring_list_prometheus_rules: the alerting and recording rules a real Prometheus evaluates (its
// /api/v1/rules): each rule's health and last evaluation error, and for alerting rules whether they
// are inactive, pending or firing with the alerts they hold. Read only.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { prometheusClient, prometheusUrlField } from './metrics-tools.js';

const maxAlertsPerRule = 20;

export const listPrometheusRules = defineTool({
  name: 'monitoring_list_prometheus_rules',
  domain: 'monitoring',
  tags: ['prometheus', 'rules', 'alerting rules', 'recording rules', 'firing', 'pending', 'evaluation', 'promql'],
  requests: [
    'which prometheus alerting rules are firing',
    'is any recording rule failing to evaluate',
    'show the alert rules loaded in prometheus',
    'what is the expression of the HighLoad rule',
  ],
  title: 'List Prometheus alerting and recording rules',
  description:
    'Lists the rules a real Prometheus evaluates (its /api/v1/rules), group by group: each rule\'s name, type (alerting or recording), PromQL expression, labels, health (ok, err, unknown) with the last evaluation error, when it was last evaluated and how long it took; an alerting rule also has its state (inactive, pending, firing), its for duration and the alerts it holds (labels, since when, value). Filter by type, state, health or group; firing and failing rules come first. Uses the configured Prometheus (monitoring.prometheus.url) unless url is given. It does not change rules; Caelum\'s own alerts are in monitoring_list_alerts. Example: {"state": "firing"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    type: z.enum(['alerting', 'recording']).optional().describe('Only alerting or only recording rules.'),
    state: z.enum(['inactive', 'pending', 'firing']).optional().describe('Only alerting rules in this state.'),
    health: z.enum(['ok', 'err', 'unknown']).optional().describe('Only rules whose last evaluation had this health.'),
    group: z.string().min(1).max(200).optional().describe('Only rules of this rule group.'),
    limit: z.number().int().min(1).max(2000).default(200).describe('At most this many rules; the counts cover all.'),
    url: prometheusUrlField,
  }),
  output: z.object({
    prometheus: z.string(),
    rules: z.array(
      z.object({
        group: z.string(),
        file: z.string(),
        name: z.string(),
        type: z.enum(['alerting', 'recording']),
        query: z.string(),
        health: z.enum(['ok', 'err', 'unknown']),
        lastError: z.string(),
        lastEvaluation: z.string(),
        evaluationTimeS: z.number(),
        labels: z.record(z.string(), z.string()),
        state: z.enum(['inactive', 'pending', 'firing']).optional(),
        forS: z.number().optional(),
        alerts: z.array(
          z.object({
            labels: z.record(z.string(), z.string()),
            state: z.string(),
            activeAt: z.string(),
            value: z.string(),
          }),
        ),
        alertsLeftOut: z.number().int(),
      }),
    ),
    counts: z.object({
      rules: z.number().int(),
      firing: z.number().int(),
      pending: z.number().int(),
      failing: z.number().int().describe('rules whose last evaluation failed (health err)'),
    }),
    total: z.number().int().describe('rules matching the filters, before the limit'),
  }),
  examples: [{}, { state: 'firing' }],
  async handler(input, context) {
    const client = prometheusClient(context, input.url);
    const all = await client.rules();
    const counts = {
      rules: all.length,
      firing: all.filter((r) => r.state === 'firing').length,
      pending: all.filter((r) => r.state === 'pending').length,
      failing: all.filter((r) => r.health === 'err').length,
    };
    // Firing, then failing, then pending, then the rest; within each, as Prometheus lists them.
    const rank = (r: (typeof all)[number]) =>
      r.state === 'firing' ? 0 : r.health === 'err' ? 1 : r.state === 'pending' ? 2 : 3;
    const matching = all
      .map((rule, index) => ({ rule, index }))
      .filter(
        ({ rule }) =>
          (input.type === undefined || rule.type === input.type) &&
          (input.state === undefined || rule.state === input.state) &&
          (input.health === undefined || rule.health === input.health) &&
          (input.group === undefined || rule.group === input.group),
      )
      .sort((a, b) => rank(a.rule) - rank(b.rule) || a.index - b.index)
      .map(({ rule }) => rule);
    return {
      prometheus: client.shownUrl,
      rules: matching.slice(0, input.limit).map((rule) => ({
        ...rule,
        alerts: rule.alerts.slice(0, maxAlertsPerRule),
        alertsLeftOut: Math.max(0, rule.alerts.length - maxAlertsPerRule),
      })),
      counts,
      total: matching.length,
    };
  },
  summarize: (o) =>
    [
      `${o.prometheus}: ${o.counts.rules} rules, ${o.counts.firing} firing, ${o.counts.pending} pending, ${o.counts.failing} failing; showing ${o.rules.length} of ${o.total}`,
      ...o.rules.map(
        (r) =>
          `  ${r.group}/${r.name} [${r.type}${r.state ? ` ${r.state}` : ''}, ${r.health}] ${r.query}${r.lastError ? `: ${r.lastError}` : ''}${r.alerts.length ? `; ${r.alerts.length + r.alertsLeftOut} alerts` : ''}`,
      ),
    ].join('\n'),
});
