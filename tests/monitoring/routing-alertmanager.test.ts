// Our alert identity against the real Alertmanager 0.25 (Debian prometheus-alertmanager on a
// loopback port): the fingerprints it reports for posted alerts equal fingerprint(labels), and
// the receivers, the webhooks' group keys and the repeat timing match ours for the same config.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { AlertEngine } from '../../tools/monitoring/alerts/routing/alert-engine.js';
import { fingerprint, groupKeyFor } from '../../tools/monitoring/alerts/routing/dispatcher.js';
import { buildRouteTree, routeAlert } from '../../tools/monitoring/alerts/routing/route.js';
import { startAlertmanager } from './alertmanager-peer.js';

const configYaml = (hook: string) => `route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  routes:
    - matchers: ['alertname="Repeat"']
      receiver: repeat
      group_interval: 2s
      repeat_interval: 3s
    - matchers: ['severity=~"crit.*"']
      receiver: pager
      continue: true
      group_by: [alertname, team]
    - matchers: ['team="db"', 'env!="dev"']
      receiver: db
receivers:
  - name: default
  - name: pager
    webhook_configs: [{url: '${hook}/pager'}]
  - name: db
    webhook_configs: [{url: '${hook}/db'}]
  - name: repeat
    webhook_configs: [{url: '${hook}/repeat'}]
`;

test(
  'the real Alertmanager reports the fingerprints, receivers, group keys and repeat timing we compute',
  { timeout: 90_000 },
  async (t) => {
    const received: { path: string; at: number; body: { groupKey: string; receiver: string } }[] = [];
    const hook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          at: performance.now(),
          body: JSON.parse(body) as { groupKey: string; receiver: string },
        });
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => hook.close(() => resolve())));
    const yaml = configYaml(`http://127.0.0.1:${(hook.address() as net.AddressInfo).port}`);
    const alertmanager = await startAlertmanager(t, yaml);
    if (!alertmanager) return;
    const base = alertmanager.url;
    const labelSets: Record<string, string>[] = [
      { alertname: 'DiskFull', severity: 'critical', team: 'db', instance: 'db-01:9100' },
      { alertname: 'HighCpu', severity: 'warning', team: 'web' },
      { alertname: 'Ünïcode', summary_label: 'a "quoted" value\\with\nnewline' },
      { alertname: 'X' },
      { alertname: 'Repeat' },
      { alertname: 'Ünï "q"', severity: 'critical', team: 'a\\b\nc' },
    ];
    const posted = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(labelSets.map((labels) => ({ labels, annotations: { summary: 's' } }))),
    });
    assert.equal(posted.status, 200, await posted.text());
    const tree = buildRouteTree(parseAlertmanagerConfig(yaml));
    const listed = (await (await fetch(`${base}/api/v2/alerts`)).json()) as {
      fingerprint: string;
      labels: Record<string, string>;
      receivers: { name: string }[];
    }[];
    assert.equal(listed.length, labelSets.length);
    for (const alert of listed) {
      assert.equal(fingerprint(alert.labels), alert.fingerprint, JSON.stringify(alert.labels));
      const ours = [...new Set(routeAlert(tree, alert.labels).map((r) => r.receiver))].sort();
      assert.deepEqual(alert.receivers.map((r) => r.name).sort(), ours, JSON.stringify(alert.labels));
    }
    // After group_wait (1s) the webhooks carry Alertmanager's group keys; ours must be the same strings.
    const expected = labelSets
      .flatMap((labels) => routeAlert(tree, labels).map((route) => `${route.receiver} ${groupKeyFor(route, labels)}`))
      .filter((line) => !line.startsWith('default ') && !line.startsWith('repeat '));
    const until = Date.now() + 30_000;
    while (received.length < expected.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const repeats = () => received.filter((r) => r.path === '/repeat');
    const actual = received.filter((r) => r.path !== '/repeat').map((r) => `${r.body.receiver} ${r.body.groupKey}`);
    t.diagnostic(`group keys: ${JSON.stringify(actual)}`);
    assert.ok(expected.length >= 3);
    assert.deepEqual(actual.sort(), expected.sort());

    // Repeat timing: group_interval 2s, repeat_interval 3s. Repeats are checked only at flushes, so
    // the repeat comes 4s after the send, not 3s; our engine under a simulated clock agrees.
    const repeatUntil = Date.now() + 30_000;
    while (repeats().length < 2 && Date.now() < repeatUntil) await new Promise((r) => setTimeout(r, 100));
    const times = repeats().map((r) => r.at);
    assert.ok(times.length >= 2, `only ${times.length} repeat webhooks`);
    const gap = (times[1]! - times[0]!) / 1000;
    t.diagnostic(`real Alertmanager repeat gap: ${gap.toFixed(2)} s`);
    assert.ok(gap > 3.5 && gap < 5.5, `gap ${gap}s`);
    const clock = { now: 0 };
    const engine = new AlertEngine({ config: parseAlertmanagerConfig(yaml), now: () => clock.now });
    engine.fire({ labels: { alertname: 'Repeat' } });
    const ours: number[] = [];
    for (; clock.now <= 6_000; clock.now += 100) ours.push(...engine.tick(clock.now).map((n) => n.at));
    assert.deepEqual(ours, [1000, 5000]);
  },
);
