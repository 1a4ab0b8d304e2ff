// The routing tools through the router: every example runs and validates; inline YAML errors are
// isError with line and column; the configured config is used when no YAML is given, and its
// absence is an input error that names the config key; secrets never reach a result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { routingTools } from '../../tools/monitoring/alerts/routing/routing-tools.js';
import { testSuite } from '../helpers.js';
import type { ToolContext } from '../../tools/context.js';

const configured = `route:
  receiver: team-hook
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: team-hook
    webhook_configs: [{url: 'http://127.0.0.1:9/hooks/HOOKSECRETPATH'}]
  - name: pager
    pagerduty_configs: [{routing_key: PDROUTINGSECRET}]
    slack_configs: [{api_url: 'https://hooks.slack.com/services/T0/B0/SLACKSECRETPATH', channel: '#ops'}]
`;

async function routed(t: Parameters<typeof testSuite>[0], withConfig: boolean) {
  const suite = await testSuite(t);
  const router = new ToolRouter(new ToolRegistry([routingTools]));
  const base = suite.dispatcher.context({});
  const monitoring = withConfig ? { alerting: { config: parseAlertmanagerConfig(configured) } } : undefined;
  const context = { ...base, environment: { ...base.environment, monitoring } } as unknown as ToolContext;
  return (name: string, input: unknown) => router.invoke(name, input, context);
}

test('every routing tool runs its examples offline and validates against its schema', async (t) => {
  const invoke = await routed(t, false);
  for (const tool of routingTools) {
    for (const example of tool.examples) {
      const outcome = await invoke(tool.name, example);
      assert.ok(outcome.ok, `${tool.name}: ${outcome.ok ? '' : outcome.error.message}`);
      assert.ok(tool.output.safeParse(outcome.output).success, `${tool.name} output fails its schema`);
    }
  }
  const routedExample = await invoke('monitoring_test_route', routingTools[0]!.examples[0]);
  assert.ok(routedExample.ok);
  const output = routedExample.output as { receivers: string[]; matches: { effectiveRepeat: { text: string } }[] };
  assert.deepEqual(output.receivers, ['pagerduty-oncall', 'slack-db-ml']);
  assert.equal(output.matches[0]!.effectiveRepeat.text, '1h5m');
  const invalid = await invoke('monitoring_check_alert_config', routingTools[1]!.examples[1]);
  assert.ok(invalid.ok);
  assert.match(String((invalid.output as { error: string }).error), /line 4, column 18: .*lookahead/);
});

test('a malformed inline route YAML is an input error with line and column', async (t) => {
  const invoke = await routed(t, false);
  const outcome = await invoke('monitoring_test_route', {
    labels: { severity: 'critical' },
    yaml: 'route:\n  receiver: a\n  routes:\n    - matchers: [severity="critical"\nreceivers:\n  - name: a\n',
  });
  assert.ok(!outcome.ok && outcome.error.kind === 'input');
  assert.match(outcome.error.message, /^yaml: line \d+, column \d+: malformed YAML/);
  const none = await invoke('monitoring_test_route', { labels: { a: 'b' } });
  assert.ok(!none.ok && none.error.kind === 'input');
  assert.match(none.error.message, /monitoring\.alerting\.configFile/);
});

test('the configured config is used without YAML, and no secret reaches the result', async (t) => {
  const invoke = await routed(t, true);
  const routedOutcome = await invoke('monitoring_test_route', { labels: { severity: 'critical' } });
  assert.ok(routedOutcome.ok);
  assert.deepEqual((routedOutcome.output as { receivers: string[] }).receivers, ['pager']);
  const checked = await invoke('monitoring_check_alert_config', {});
  assert.ok(checked.ok);
  const text = JSON.stringify(checked.output) + checked.text;
  assert.match(text, /https:\/\/hooks\.slack\.com\/…/);
  assert.match(text, /receiver: pager/);
  for (const secret of ['HOOKSECRETPATH', 'PDROUTINGSECRET', 'SLACKSECRETPATH'])
    assert.ok(!text.includes(secret), secret);
});
