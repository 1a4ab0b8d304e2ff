// The history tools on logs the real writers produced: a suite's alert service routing to loopback
// webhook receivers (one of them failing) with escalation, driven through the router by the real
// fire, ack and silence tools; and the remediation journal the real run tool writes for a playbook
// that succeeds, one that fails, and a refused one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Logger, ToolContext } from '../../tools/context.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { getRemediationHistory } from '../../tools/monitoring/history/history-tools.js';
import { createRemediationTools } from '../../tools/monitoring/remediation/remediation-tools.js';
import { testSuite } from '../helpers.js';
import { loopbackService, scratch } from './remediation-fixture.js';

type Row = Record<string, any>;

/** A loopback webhook receiver: /broken answers 500, every other path 200; paths seen are kept. */
async function receivers(t: { after(fn: () => Promise<void> | void): void }) {
  const seen: string[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      seen.push(request.url ?? '');
      if (request.url === '/broken')
        response.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance');
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test("an alert's timeline and the notification outbox are read back from the service's logs", async (t) => {
  const hooks = await receivers(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 1h',
    '  routes:',
    '    - matchers: [\'alertname="Flaky"\']',
    '      receiver: broken',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${hooks.url}/team"}]`,
    '  - name: oncall',
    `    webhook_configs: [{url: "${hooks.url}/oncall"}]`,
    '  - name: broken',
    `    webhook_configs: [{url: "${hooks.url}/broken"}]`,
    '',
  ].join('\n');
  const config = {
    monitoring: {
      alerting: { configFile: 'am.yml', tickMs: 200, escalation: { tiers: [{ receiver: 'oncall', afterMs: 0 }] } },
    },
  };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config), 'am.yml': yaml } });
  const context = suite.dispatcher.context({});
  const ok = async (name: string, input: unknown) => {
    const outcome = await suite.dispatcher.router.invoke(name, input, context, { confirm: true });
    assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
    return { output: outcome.output as Row, text: outcome.text };
  };

  const empty = await ok('monitoring_get_alert_history', { alert: 'DiskFull' });
  assert.deepEqual(empty.output.timeline, []);
  assert.match(empty.text, /none has fired yet/);

  const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' };
  await ok('monitoring_fire_alerts', {
    alerts: [{ labels, annotations: { summary: 'disk 97% full' } }],
    confirm: true,
  });
  await ok('monitoring_fire_alerts', {
    alerts: [{ labels: { alertname: 'Flaky', instance: 'web-2' } }],
    confirm: true,
  });
  await until('the team and oncall notifications', async () =>
    hooks.seen.includes('/team') && hooks.seen.includes('/oncall') ? true : undefined,
  );
  await ok('monitoring_ack_alert', { alert: 'DiskFull', minutes: 30, comment: 'swapping the disk', by: 'ana' });
  await ok('monitoring_silence_alerts', { matchers: ['instance="db-1"'], minutes: 60, comment: 'maintenance' });
  await ok('monitoring_fire_alerts', { alerts: [{ labels }], resolve: true, confirm: true });

  const { output, text } = await ok('monitoring_get_alert_history', { alert: 'DiskFull' });
  assert.equal(output.alerts.length, 1);
  assert.equal(output.alerts[0].state, 'resolved');
  assert.ok(output.alerts[0].notifications >= 2, 'the team group and the oncall tier');
  const events = output.timeline.map((e: Row) => e.event as string);
  for (const expected of [
    'fired',
    'escalation_started',
    'escalation_escalated',
    'notification_sent',
    'escalation_acked',
    'silence_added',
    'resolved',
    'escalation_resolved',
  ])
    assert.ok(events.includes(expected), `${expected} in ${events.join(', ')}`);
  assert.ok(events.indexOf('fired') < events.indexOf('escalation_acked'));
  assert.ok(events.indexOf('silence_added') < events.indexOf('resolved'));
  assert.ok(!events.some((e: string) => e.includes('Flaky')), 'another alert stays out');
  const ack = output.timeline.find((e: Row) => e.event === 'escalation_acked');
  assert.match(ack.detail, /^by ana until .*: swapping the disk$/);
  assert.match(output.timeline.find((e: Row) => e.event === 'fired').detail, /disk 97% full/);
  assert.match(text, /DiskFull .*: resolved, first fired/);
  // By fingerprint, and only the newest entries with a limit.
  const fingerprint = output.alerts[0].fingerprint as string;
  const limited = await ok('monitoring_get_alert_history', { alert: fingerprint, limit: 2 });
  assert.equal(limited.output.timeline.length, 2);
  assert.equal(limited.output.totalEvents, output.totalEvents);
  assert.deepEqual(
    limited.output.timeline.map((e: Row) => e.event),
    output.timeline.slice(-2).map((e: Row) => e.event),
  );
  const unknown = await ok('monitoring_get_alert_history', { alert: 'NoSuchAlert' });
  assert.deepEqual(unknown.output.knownAlertnames, ['DiskFull', 'Flaky']);

  // The broken receiver's notification is retried with backoff, its error kept.
  const retrying = await until('a retrying notification to broken', async () => {
    const listed = await ok('monitoring_list_notifications', { receiver: 'broken' });
    return listed.output.notifications[0]?.state === 'retrying' ? listed : undefined;
  });
  const flaky = retrying.output.notifications[0];
  assert.deepEqual(flaky.alertnames, ['Flaky']);
  assert.ok(flaky.attempts >= 1);
  assert.ok(flaky.retryAt !== null);
  assert.match(flaky.errors[0], /webhook http:\/\/127\.0\.0\.1:\d+: .*500/);
  const sent = await ok('monitoring_list_notifications', { state: 'sent' });
  assert.deepEqual([...new Set(sent.output.notifications.map((n: Row) => n.receiver))].sort(), ['oncall', 'team']);
  assert.ok(sent.output.notifications.every((n: Row) => n.state === 'sent' && n.errors.length === 0));
  const all = await ok('monitoring_list_notifications', { limit: 1 });
  assert.equal(all.output.notifications.length, 1);
  assert.ok(all.output.total >= 3);
  assert.equal(all.output.byState.sent, sent.output.total);
  assert.match(all.text, /notifications \(.*sent \d/);
});

function quietLogger(): Logger {
  const logger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => logger };
  return logger;
}

test('remediation history: runs that succeeded and failed with their steps, and a refused one, newest first', async (t) => {
  const service = await loopbackService(t);
  const dataDir = await scratch(t);
  const settings = {
    playbooks: [
      {
        name: 'web_api_recover',
        profiles: ['web_api'],
        description: 'restart when unhealthy',
        steps: [{ kind: 'restart', service: 'web-api' }],
      },
    ],
    services: {
      'web-api': {
        healthUrl: `${service.base}/health`,
        restart: { http: { url: `${service.base}/restart` } },
        pollMs: 50,
        restartWaitMs: 500,
      },
    },
    rateLimit: { maxRuns: 2, windowMs: 600_000 },
  };
  const context = {
    logger: quietLogger(),
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    progress: () => undefined,
    environment: { dataDir, monitoring: { remediation: settings } },
  } as unknown as ToolContext;
  const run = createRemediationTools().find((tool) => tool.name === 'monitoring_run_remediation')!;
  const call = async (tool: AnyTool, args: unknown) =>
    tool.output.parse(await tool.handler(tool.input.parse(args), context)) as Row;
  const history = getRemediationHistory as unknown as AnyTool;

  assert.deepEqual((await call(history, {})).runs, []);
  service.healthy = false;
  const first = await call(run, { server: 'web-01', profile: 'web_api', confirm: true });
  assert.equal(first.status, 'succeeded', first.message);
  service.healthy = false;
  service.restartBroken = true;
  const second = await call(run, { server: 'web-01', profile: 'web_api', confirm: true });
  assert.equal(second.status, 'failed', second.message);
  const third = await call(run, { server: 'web-01', profile: 'web_api', confirm: true });
  assert.equal(third.status, 'refused');
  // A dry run is not a run: it is not journalled.
  await call(run, { server: 'web-02', profile: 'web_api' });

  const listed = await call(history, {});
  assert.equal(listed.total, 3);
  assert.deepEqual(
    listed.runs.map((r: Row) => [
      r.runId === null ? null : r.runId === first.runId ? 'first' : r.runId === second.runId ? 'second' : '?',
      r.status,
    ]),
    [
      [null, 'refused: rate_limited'],
      ['second', 'failed'],
      ['first', 'succeeded'],
    ],
  );
  const failed = listed.runs[1];
  assert.equal(failed.playbook, 'web_api_recover');
  assert.equal(failed.steps.length, 1);
  assert.equal(failed.steps[0].status, 'failed');
  assert.equal(failed.steps[0].kind, 'restart');
  assert.ok(listed.runs[2].durationMs >= 0 && listed.runs[2].endedAt !== null);
  assert.equal((await call(history, { server: 'web-02' })).total, 0);
  assert.equal((await call(history, { limit: 1 })).runs.length, 1);
  assert.equal((await call(history, { server: 'web-01', sinceHours: 1 })).total, 3);
});
