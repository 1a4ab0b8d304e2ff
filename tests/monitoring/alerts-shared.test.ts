// Alert state shared by several instances through PostgreSQL (databaseUrl): two alert services on one
// schema see the same alerts and escalations, an ack on one stops the escalation the other runs, a
// loopback webhook receiver gets each notification once however many instances run, and when the
// leader is killed (a child process, SIGKILL) the other takes over and sends the pending flushes once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { captureLogger, pgSchema, pgSchemaUrl, repoRoot, testSuite } from '../helpers.js';
import { AlertService, type AlertServiceSettings } from '../../tools/monitoring/alerts/alert-service.js';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { fingerprint } from '../../tools/monitoring/alerts/routing/fingerprint.js';

interface Received {
  path: string;
  groupKey: string;
  status: string;
  alertnames: string[];
}

/** A loopback webhook receiver that answers 200 and keeps every Alertmanager webhook payload it got. */
async function webhook(t: { after(fn: () => Promise<void> | void): void }) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        groupKey: string;
        status: string;
        alerts: { labels: Record<string, string> }[];
      };
      received.push({
        path: request.url ?? '',
        groupKey: body.groupKey,
        status: body.status,
        alertnames: body.alerts.map((alert) => alert.labels.alertname ?? ''),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function settingsFor(
  yaml: string,
  databaseUrl: string,
  extra: Partial<AlertServiceSettings> = {},
): AlertServiceSettings {
  return {
    config: parseAlertmanagerConfig(yaml),
    configSource: 'test',
    externalUrl: 'http://caelum.test',
    tickMs: 100,
    leaderPollMs: 200,
    databaseUrl,
    ...extra,
  };
}

async function instance(
  t: { after(fn: () => Promise<void> | void): void },
  name: string,
  settings: AlertServiceSettings,
): Promise<AlertService> {
  const service = await AlertService.open(`/nonexistent/${name}`, settings, captureLogger().logger);
  t.after(() => service.close());
  service.start();
  return service;
}

test('two instances share alerts, acks and escalation, and each notification is sent once', async (t) => {
  const pg = await pgSchema(t, 'alerts_shared');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  const hook = await webhook(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 1h',
    '  repeat_interval: 4h',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${hook.url}/team"}]`,
    '  - name: oncall',
    `    webhook_configs: [{url: "${hook.url}/oncall"}]`,
    '  - name: manager',
    `    webhook_configs: [{url: "${hook.url}/manager"}]`,
  ].join('\n');
  const escalation = {
    tiers: [
      { receiver: 'oncall', afterMs: 0 },
      { receiver: 'manager', afterMs: 4_000 },
    ],
  };
  const a = await instance(t, 'a', settingsFor(yaml, url, { escalation }));
  await until('A to lead', () => a.leading);
  const b = await instance(t, 'b', settingsFor(yaml, url, { escalation }));
  await sleep(500); // several polls: B finds the lock taken
  assert.equal(b.leading, false, 'one leader: B does not take the lock A holds');

  // Fired on A, listed on B, with the escalation A started.
  const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' };
  const fp = fingerprint(labels);
  await a.fire([{ labels, annotations: { summary: 'disk full' } }], false);
  await b.sync();
  assert.deepEqual(
    b.engine.listAlerts().map((view) => view.alert.fingerprint),
    [fp],
  );
  assert.equal(b.escalation.state(fp)?.state, 'escalating');

  // Tier 1 goes out at once (from the leader), then the ack on B stops tier 2 (due 4 s after the fire) on A.
  await until('tier 1 to be paged', () => hook.received.some((r) => r.path === '/oncall'));
  await b.change(() => b.escalation.ack(fp, { by: 'ana', comment: 'swapping the disk', ttlMs: 60_000 }));
  await a.sync();
  assert.equal(a.escalation.state(fp)?.state, 'acked');
  assert.equal(a.escalation.state(fp)?.ack?.by, 'ana');

  // An alert fired on B is flushed by the leader; a resolve on A of an alert B fired works.
  const latency = { alertname: 'HighLatency', severity: 'warning' };
  await b.fire([{ labels: latency }], false);
  await until('both groups to flush', () =>
    ['DiskFull', 'HighLatency'].every((name) =>
      hook.received.some((r) => r.path === '/team' && r.alertnames.includes(name)),
    ),
  );
  await sleep(4_000); // past tier 2's due time (the flushes came 1 s after the fire) and many ticks
  const paths = hook.received.map((r) => `${r.path} ${r.alertnames.join(',')}`).sort();
  assert.deepEqual(
    paths,
    ['/oncall DiskFull', '/team DiskFull', '/team HighLatency'],
    'each notification exactly once',
  );

  // Both show the same deliveries, written by the leader.
  await b.sync();
  assert.deepEqual(
    b
      .recentDeliveries()
      .map((d) => `${d.receiver} ${d.outcome}`)
      .sort(),
    ['oncall sent', 'team sent', 'team sent'],
  );
  assert.deepEqual(b.pendingDeliveries(), []);
  await a.fire([{ labels: latency }], true);
  await b.sync();
  assert.deepEqual(
    b.engine.listAlerts().map((view) => view.alert.labels.alertname),
    ['DiskFull'],
  );
});

test('a killed leader is replaced within a poll and its pending flushes go out once', async (t) => {
  const pg = await pgSchema(t, 'alerts_takeover');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  const hook = await webhook(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 500ms',
    '  group_interval: 1h',
    '  repeat_interval: 4h',
    '  routes:',
    '    - matchers: [\'alertname="Pending"\']',
    '      receiver: team',
    '      group_wait: 6s',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${hook.url}/team"}]`,
  ].join('\n');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'tests', 'monitoring', 'alerts-shared-child.ts'), url, yaml],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  });
  await until('the child to lead', () => output.includes('leading'), 30_000);
  const b = await instance(t, 'b', settingsFor(yaml, url));
  await sleep(500);
  assert.equal(b.leading, false, 'the child holds the leader lock');

  // Both fired on the follower; the child flushes "Sent" after 500 ms and records it.
  await b.fire([{ labels: { alertname: 'Sent' } }, { labels: { alertname: 'Pending' } }], false);
  const firedAt = Date.now();
  await until('the child to send and record "Sent"', async () => {
    await b.sync();
    return b.recentDeliveries().some((d) => d.outcome === 'sent' && d.alerts.length === 1);
  });
  assert.deepEqual(
    hook.received.map((r) => r.alertnames.join(',')),
    ['Sent'],
  );

  // SIGKILL: no close; PostgreSQL ends the session and frees the lock, and B takes it at its next poll.
  child.kill('SIGKILL');
  await exited;
  const killedAt = Date.now();
  await until('B to take over', () => b.leading, 5_000);
  const takeoverMs = Date.now() - killedAt;
  assert.ok(takeoverMs < 3_000, `took over after ${takeoverMs} ms`);
  assert.ok(Date.now() - firedAt < 6_000, '"Pending" was still pending at the takeover');

  await until('B to flush "Pending"', () => hook.received.some((r) => r.alertnames.includes('Pending')));
  await sleep(1_500); // more ticks of the new leader
  assert.deepEqual(
    hook.received.map((r) => r.alertnames.join(',')).sort(),
    ['Pending', 'Sent'],
    'the flush the old leader sent is not sent again; the pending one goes out once',
  );
  t.diagnostic(`takeover ${takeoverMs} ms after SIGKILL`);
});

test('a leader whose session is cut stops leading; the other takes over and nothing is sent twice', async (t) => {
  const pg = await pgSchema(t, 'alerts_cut');
  if (!pg.ok) return t.skip(pg.reason);
  const url = pgSchemaUrl(pg.schema);
  const hook = await webhook(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 500ms',
    '  group_interval: 1h',
    '  repeat_interval: 4h',
    '  routes:',
    '    - matchers: [\'alertname="Later"\']',
    '      receiver: team',
    '      group_wait: 3s',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${hook.url}/team"}]`,
  ].join('\n');
  const a = await instance(t, 'a', settingsFor(yaml, url));
  await until('A to lead', () => a.leading);
  const b = await instance(t, 'b', settingsFor(yaml, url));
  await b.fire([{ labels: { alertname: 'Now' } }, { labels: { alertname: 'Later' } }], false);
  await until('"Now" to be sent and recorded', async () => {
    await b.sync();
    return b.recentDeliveries().some((d) => d.outcome === 'sent');
  });

  // The backend that holds the leader lock of this schema is terminated, as a network cut or a
  // restarted PostgreSQL would end it: A's process lives on, but its session and lock are gone.
  const { rows } = await pg.admin.query<{ pid: number }>(
    `select l.pid from pg_locks l
      where l.locktype = 'advisory' and l.granted and l.objsubid = 1
        and l.classid::text::bigint = (hashtext($1 || '.caelum_alert_leader')::bigint >> 32) & 4294967295
        and l.objid::text::bigint = hashtext($1 || '.caelum_alert_leader')::bigint & 4294967295`,
    [pg.schema],
  );
  assert.equal(rows.length, 1, 'one session holds the leader lock');
  await pg.admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
  await until('A to notice it no longer leads', () => !a.leading, 5_000);
  await until('one instance to lead again', () => a.leading !== b.leading, 5_000);

  await until('"Later" to be flushed', () => hook.received.some((r) => r.alertnames.includes('Later')));
  await sleep(1_500);
  assert.deepEqual(hook.received.map((r) => r.alertnames.join(',')).sort(), ['Later', 'Now']);
  assert.ok(a.leading !== b.leading, 'exactly one leader after the reconnect');
  await a.sync();
  await b.sync();
  assert.deepEqual(
    a.recentDeliveries().map((d) => d.id),
    b.recentDeliveries().map((d) => d.id),
  );
});

test('the alert tools of two suites on one database act on one alert state', async (t) => {
  const pg = await pgSchema(t, 'alerts_tools');
  if (!pg.ok) return t.skip(pg.reason);
  const hook = await webhook(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 500ms',
    '  group_interval: 1h',
    '  repeat_interval: 4h',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${hook.url}/team"}]`,
    '  - name: oncall',
    `    webhook_configs: [{url: "${hook.url}/oncall"}]`,
    '  - name: manager',
    `    webhook_configs: [{url: "${hook.url}/manager"}]`,
    '',
  ].join('\n');
  const config = {
    monitoring: {
      alerting: {
        configFile: 'am.yml',
        tickMs: 200,
        escalation: {
          tiers: [
            { receiver: 'oncall', afterMs: 0 },
            { receiver: 'manager', afterMs: 4_000 },
          ],
        },
      },
    },
  };
  const files = { 'caelum.config.json': JSON.stringify(config), 'am.yml': yaml };
  const env = { DATABASE_URL: pgSchemaUrl(pg.schema) };
  const suites = [await testSuite(t, { files, env }), await testSuite(t, { files, env })];
  const call = async (index: number, name: string, input: unknown) => {
    const suite = suites[index]!;
    const outcome = await suite.dispatcher.router.invoke(name, input, suite.dispatcher.context({}), { confirm: true });
    assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.error.message}`);
    return outcome.output as Record<string, any>;
  };

  const labels = { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' };
  await call(0, 'monitoring_fire_alerts', { alerts: [{ labels }], confirm: true });
  const listed = await call(1, 'monitoring_list_alerts', {});
  assert.deepEqual(
    listed.alerts.map((row: { labels: Record<string, string> }) => row.labels.alertname),
    ['DiskFull'],
  );
  assert.equal(listed.escalation[0].state, 'escalating');
  await until('tier 1 and the group to be notified', () =>
    ['/oncall', '/team'].every((path) => hook.received.some((r) => r.path === path)),
  );
  await call(1, 'monitoring_ack_alert', { alert: 'DiskFull', minutes: 30, by: 'ana', comment: 'on it' });
  const fromA = await call(0, 'monitoring_list_alerts', {});
  assert.equal(fromA.escalation[0].state, 'acked');
  assert.equal(fromA.escalation[0].ack.by, 'ana');
  const silence = await call(0, 'monitoring_silence_alerts', { matchers: ['instance="db-1"'], minutes: 60 });
  assert.deepEqual(silence.suppressed, ['DiskFull']);
  const fromB = await call(1, 'monitoring_list_alerts', {});
  assert.deepEqual(
    fromB.silences.map((s: { id: string }) => s.id),
    [silence.silence.id],
  );
  assert.equal(fromB.alerts[0].state, 'suppressed');

  await sleep(4_500); // past the manager tier's due time
  assert.deepEqual(hook.received.map((r) => r.path).sort(), ['/oncall', '/team']);
  const history = await call(1, 'monitoring_get_alert_history', { alert: 'DiskFull' });
  const events = history.timeline.map((entry: { event: string }) => entry.event);
  assert.ok(events.includes('escalation_acked'), `the ack made on B is in the shared history: ${events.join(', ')}`);
  await call(1, 'monitoring_fire_alerts', { alerts: [{ labels }], resolve: true, confirm: true });
  assert.deepEqual((await call(0, 'monitoring_list_alerts', {})).alerts, []);
});
