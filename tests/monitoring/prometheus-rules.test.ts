// monitoring_list_prometheus_rules against a real Prometheus given a real rule file (loaded through
// its /-/reload): an alerting rule firing with its alert, one pending on its `for`, one inactive, a
// recording rule that evaluates, and one that fails with Prometheus's own error; filters and order.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { AnyTool } from '../../tools/define-tool.js';
import { listPrometheusRules } from '../../tools/monitoring/metrics/rules-tool.js';
import { routeTool, startNodeExporter, startPrometheus } from './prometheus-peer.js';

function router(prometheus?: { url: string; timeoutMs: number }) {
  return routeTool(listPrometheusRules as unknown as AnyTool, prometheus);
}

const rules = {
  groups: [
    {
      name: 'caelum-test',
      interval: '1s',
      rules: [
        { record: 'job:up:sum', expr: 'sum by (job) (up)' },
        // Several cpu series per instance on both sides: Prometheus refuses the many-to-many match.
        { record: 'broken:cpu', expr: 'node_cpu_seconds_total / on(instance) node_cpu_seconds_total' },
        { alert: 'NeverFires', expr: 'up == 0' },
        { alert: 'PendingForAnHour', expr: 'up == 1', for: '1h' },
        {
          alert: 'AlwaysFiring',
          expr: 'up == 1',
          labels: { severity: 'warning' },
          annotations: { summary: 'the exporter is up' },
        },
      ],
    },
  ],
};

test('without Prometheus configured it says how to configure one', async () => {
  const outcome = await router()({});
  assert.ok(!outcome.ok && outcome.error.code === 'NOT_CONFIGURED');
  assert.match(outcome.error.message, /monitoring\.prometheus\.url/);
});

test('lists the rules of a real Prometheus: firing, pending, inactive, evaluating and failing, with filters', async (t) => {
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1' } }],
  });
  const invoke = router({ url: prometheus.url, timeoutMs: 10_000 });
  const before = await invoke({});
  assert.ok(before.ok && (before.output as { counts: { rules: number } }).counts.rules === 0);

  const rulesFile = path.join(prometheus.dataDir, 'rules.yml');
  await writeFile(rulesFile, JSON.stringify(rules));
  const config = JSON.parse(await readFile(prometheus.configFile, 'utf8')) as Record<string, unknown>;
  await writeFile(prometheus.configFile, JSON.stringify({ ...config, rule_files: [rulesFile] }));
  const reload = await fetch(`${prometheus.url}/-/reload`, { method: 'POST' });
  assert.equal(reload.status, 200, await reload.text());

  const deadline = Date.now() + 30_000;
  let output: Record<string, any> | undefined;
  let text = '';
  while (Date.now() < deadline) {
    const outcome = await invoke({});
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    const current = outcome.output as Record<string, any>;
    if (current.counts.firing === 1 && current.counts.failing === 1) {
      output = current;
      text = outcome.text;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.ok(output, 'the rules were loaded and evaluated');
  assert.deepEqual(output.counts, { rules: 5, firing: 1, pending: 1, failing: 1 });
  assert.deepEqual(
    output.rules.map((r: Record<string, any>) => [r.name, r.type, r.state ?? null, r.health]),
    [
      ['AlwaysFiring', 'alerting', 'firing', 'ok'],
      ['broken:cpu', 'recording', null, 'err'],
      ['PendingForAnHour', 'alerting', 'pending', 'ok'],
      ['job:up:sum', 'recording', null, 'ok'],
      ['NeverFires', 'alerting', 'inactive', 'ok'],
    ],
  );
  const firing = output.rules[0];
  assert.equal(firing.group, 'caelum-test');
  assert.equal(firing.file, rulesFile);
  assert.equal(firing.query, 'up == 1');
  assert.deepEqual(firing.labels, { severity: 'warning' });
  assert.equal(firing.alerts.length, 1);
  assert.equal(firing.alerts[0].labels.instance, 'web-1');
  assert.equal(firing.alerts[0].state, 'firing');
  assert.equal(output.rules[2].forS, 3600);
  assert.match(output.rules[1].lastError, /many-to-many matching not allowed/);
  assert.ok(Date.now() - Date.parse(output.rules[3].lastEvaluation) < 30_000);
  assert.match(text, /5 rules, 1 firing, 1 pending, 1 failing/);

  const recording = await invoke({ type: 'recording' });
  assert.ok(recording.ok);
  assert.deepEqual(
    (recording.output as Record<string, any>).rules.map((r: { name: string }) => r.name),
    ['broken:cpu', 'job:up:sum'],
  );
  const failing = await invoke({ health: 'err' });
  assert.ok(failing.ok && (failing.output as Record<string, any>).total === 1);
  const pending = await invoke({ state: 'pending', limit: 1 });
  assert.ok(pending.ok && (pending.output as Record<string, any>).rules[0].name === 'PendingForAnHour');
  const otherGroup = await invoke({ group: 'nope' });
  assert.ok(otherGroup.ok && (otherGroup.output as Record<string, any>).total === 0);
});
