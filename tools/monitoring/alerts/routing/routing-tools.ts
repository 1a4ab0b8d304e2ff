// The routing domain's internal tools: test where an alert goes (as `amtool config routes test
// --tree` does, plus group key and effective timings) and check an Alertmanager YAML (as `amtool
// check-config`, drawing the tree). Both take the YAML inline or use the configured one, which the
// composition root places on the environment as
// `environment.monitoring.alerting.config` (an AlertmanagerConfig parsed from config
// `monitoring.alerting.configFile`). Receiver URLs are shown as their origin only: the paths of
// webhook and Slack URLs are secrets, as are routing keys and SMTP passwords.
import { z } from 'zod';
import { defineTool } from '../../../define-tool.js';
import type { ToolContext } from '../../../context.js';
import { InputError } from '../../../errors.js';
import { redactText } from '../../../redact.js';
import { defaultMaxConfigBytes, parseAlertmanagerConfig, type AlertmanagerConfig } from './am-config.js';
import { testRoute } from './alert-engine.js';
import { formatDuration } from './duration.js';
import { buildRouteTree, drawRouteTree, walkRoutes } from './route.js';

/** Where the configured Alertmanager config is found on the tool context's environment. */
export interface AlertingEnvironment {
  monitoring?: { alerting?: { config?: AlertmanagerConfig | undefined } | undefined } | undefined;
}

export function configuredAlertConfig(context: ToolContext): AlertmanagerConfig | undefined {
  return (context.environment as AlertingEnvironment).monitoring?.alerting?.config;
}

function resolveConfig(
  yaml: string | undefined,
  context: ToolContext,
): { config: AlertmanagerConfig; source: 'inline' | 'configured' } {
  if (yaml !== undefined) return { config: parseAlertmanagerConfig(yaml, { field: 'yaml' }), source: 'inline' };
  const config = configuredAlertConfig(context);
  if (!config)
    throw new InputError(
      'yaml',
      'no Alertmanager config is configured (monitoring.alerting.configFile); pass the YAML inline in yaml',
    );
  return { config, source: 'configured' };
}

const yamlField = z
  .string()
  .max(defaultMaxConfigBytes)
  .optional()
  .describe(
    'Alertmanager config YAML (route:, receivers:, inhibit_rules:), as amtool reads it; omit to use the configured monitoring.alerting.configFile. Example: "route:\\n  receiver: default\\n  routes:\\n    - matchers: [\'severity=\\"critical\\"\']\\n      receiver: pager\\nreceivers:\\n  - name: default\\n  - name: pager\\n"',
  );

const exampleYaml = `route:
  receiver: slack-default
  group_by: [alertname]
  routes:
    - matchers: ['severity="critical"']
      receiver: pagerduty-oncall
      continue: true
      repeat_interval: 1h
    - match_re: {profile: 'database|ml_compute'}
      receiver: slack-db-ml
receivers:
  - name: slack-default
  - name: pagerduty-oncall
  - name: slack-db-ml
`;

const timing = (ms: number) => ({ ms, text: formatDuration(ms) });
const timingSchema = z.object({ ms: z.number(), text: z.string() });

export const testRouteTool = defineTool({
  name: 'monitoring_test_route',
  domain: 'monitoring',
  tags: ['alertmanager', 'routing', 'route', 'receiver', 'matchers', 'amtool', 'alerts', 'group_by'],
  requests: [
    'which receiver would an alert with severity=critical reach',
    'test these labels against the alertmanager route tree',
    'who is paged for a database alert',
    'check which route an alert with these labels takes',
    'why did this alert go to slack',
    'when will this alert repeat',
  ],
  title: 'Test where an alert is routed',
  description:
    'Routes a label set through an Alertmanager route tree with Alertmanager\'s own semantics (depth-first, first matching child unless continue, anchored RE2 for =~ matchers, inherited settings) and returns the receivers in order, like `amtool config routes test`, plus for each match the path of matchers from the root (amtool --tree), the group key, group_by and the timings, with the effective repeat (the first group_interval flush strictly after repeat_interval, e.g. 4h with 5m → 4h5m) as Alertmanager really behaves. Sends nothing. Uses inline YAML or the configured file. Example: {"labels":{"severity":"critical","profile":"database"},"yaml":"route: …"}',
  kind: { effect: 'readOnly', openWorld: false },
  input: z.object({
    labels: z
      .record(
        z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name is [a-zA-Z_][a-zA-Z0-9_]*'),
        z.string().max(4096),
      )
      .refine((labels) => Object.keys(labels).length <= 64, 'at most 64 labels')
      .describe('The alert labels to route, e.g. {"alertname":"DiskFull","severity":"critical","profile":"database"}.'),
    yaml: yamlField,
  }),
  output: z.object({
    source: z.enum(['inline', 'configured']),
    receivers: z.array(z.string()),
    matches: z.array(
      z.object({
        receiver: z.string(),
        routeId: z.string(),
        path: z.array(z.string()),
        groupKey: z.string(),
        groupBy: z.union([z.array(z.string()), z.literal('...')]),
        continue: z.boolean(),
        groupWait: timingSchema,
        groupInterval: timingSchema,
        repeatInterval: timingSchema,
        effectiveRepeat: timingSchema,
      }),
    ),
    notes: z.array(z.string()),
  }),
  examples: [
    { labels: { alertname: 'DiskFull', severity: 'critical', profile: 'database' }, yaml: exampleYaml },
    { labels: { alertname: 'HighLatency', severity: 'warning', profile: 'web_api' }, yaml: exampleYaml },
  ],
  async handler(input, context) {
    const { config, source } = resolveConfig(input.yaml, context);
    const result = testRoute(buildRouteTree(config), input.labels);
    return {
      source,
      receivers: result.receivers,
      matches: result.matches.map((m) => ({
        receiver: m.receiver,
        routeId: m.routeId,
        path: m.path,
        groupKey: m.groupKey,
        groupBy: m.groupBy,
        continue: m.continue,
        groupWait: timing(m.groupWaitMs),
        groupInterval: timing(m.groupIntervalMs),
        repeatInterval: timing(m.repeatIntervalMs),
        effectiveRepeat: timing(m.effectiveRepeatMs),
      })),
      notes: config.notes,
    };
  },
  summarize: (o) =>
    [
      `receivers: ${o.receivers.join(',')}`,
      ...o.matches.map(
        (m) =>
          `${m.path.join(' → ')}  receiver: ${m.receiver}  group ${m.groupKey}  wait ${m.groupWait.text}, interval ${m.groupInterval.text}, repeat ${m.repeatInterval.text} (effective ${m.effectiveRepeat.text})`,
      ),
    ].join('\n'),
});

function origin(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

export const checkAlertConfigTool = defineTool({
  name: 'monitoring_check_alert_config',
  domain: 'monitoring',
  tags: ['alertmanager', 'config', 'validate', 'yaml', 'routing', 'receivers', 'amtool', 'check-config'],
  requests: [
    'check my alertmanager config',
    'is this alertmanager yaml valid',
    'list every route and its receiver in the config',
    'which receivers are configured for alerts',
  ],
  title: 'Check an Alertmanager config',
  description:
    'Validates Alertmanager YAML the way `amtool check-config` does (strict fields, known receivers, matchers and their RE2 syntax, Prometheus durations) and, when valid, shows the route tree with each node\'s effective receiver, group_by and timings, and lists the receivers by integration (URLs shown as origins only; keys and passwords never). An invalid config is a result with valid: false and the error with its line and column, not a failure. Example: {"yaml":"route:\\n  receiver: a\\nreceivers:\\n  - name: a\\n"}',
  kind: { effect: 'readOnly', openWorld: false },
  input: z.object({ yaml: yamlField }),
  output: z.object({
    source: z.enum(['inline', 'configured']),
    valid: z.boolean(),
    error: z.string().nullable(),
    tree: z.string(),
    routes: z.number(),
    receivers: z.array(
      z.object({
        name: z.string(),
        integrations: z.array(
          z.object({
            kind: z.enum(['slack', 'pagerduty', 'webhook', 'email']),
            target: z.string(),
            sendResolved: z.boolean(),
          }),
        ),
      }),
    ),
    inhibitRules: z.number(),
    notes: z.array(z.string()),
  }),
  examples: [
    { yaml: exampleYaml },
    { yaml: 'route:\n  receiver: a\n  routes:\n    - matchers: [\'team=~"(?=db)"\']\nreceivers:\n  - name: a\n' },
  ],
  async handler(input, context) {
    const source: 'inline' | 'configured' = input.yaml !== undefined ? 'inline' : 'configured';
    let config: AlertmanagerConfig;
    try {
      config = resolveConfig(input.yaml, context).config;
    } catch (error) {
      if (!(error instanceof InputError) || input.yaml === undefined) throw error;
      const message = redactText(error.message);
      return { source, valid: false, error: message, tree: '', routes: 0, receivers: [], inhibitRules: 0, notes: [] };
    }
    const tree = buildRouteTree(config);
    return {
      source,
      valid: true,
      error: null,
      tree: drawRouteTree(tree, formatDuration),
      routes: walkRoutes(tree).length,
      receivers: config.receivers.map((r) => ({
        name: r.name,
        integrations: [
          ...r.slack.map((c) => ({
            kind: 'slack' as const,
            target: `${origin(c.apiUrl)}${c.channel ? ` ${c.channel}` : ''}`,
            sendResolved: c.sendResolved,
          })),
          ...r.pagerduty.map((c) => ({
            kind: 'pagerduty' as const,
            target: origin(c.url),
            sendResolved: c.sendResolved,
          })),
          ...r.webhook.map((c) => ({ kind: 'webhook' as const, target: origin(c.url), sendResolved: c.sendResolved })),
          ...r.email.map((c) => ({
            kind: 'email' as const,
            target: `${c.to} via ${c.smarthost}`,
            sendResolved: c.sendResolved,
          })),
        ],
      })),
      inhibitRules: config.inhibitRules.length,
      notes: config.notes,
    };
  },
  summarize: (o) =>
    o.valid
      ? [
          `valid: ${o.routes} routes, ${o.receivers.length} receivers, ${o.inhibitRules} inhibit rules`,
          o.tree,
          ...o.notes,
        ].join('\n')
      : `invalid: ${o.error ?? ''}`,
});

export const routingTools = [testRouteTool, checkAlertConfigTool];
