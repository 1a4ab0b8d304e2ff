// Alert state shared by several instances through PostgreSQL (databaseUrl): two alert services on one
// schema see the same alerts and escalations, an ack on one stops the escalation the other runs, a
// loopback webhook receiver gets each notification once however many instances run, and when the
// leader is killed (a child process, SIGKILL) the other takes over and sends the pending flushes once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { captureLogger, pgSchema, pgSchemaUrl, repoRoot } from '../helpers.js';
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
      { receiver: 'manager', afterMs: 3_000 },
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

  // Tier 1 goes out at once (from the leader), then the ack on B stops tier 2 (due 3 s after the fire) on A.
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
  await sleep(4_000); // past tier 2's due time and many ticks of both instances
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
    '      group_wait: 4s',
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
  assert.ok(Date.now() - firedAt < 4_000, '"Pending" was still pending at the takeover');

  await until('B to flush "Pending"', () => hook.received.some((r) => r.alertnames.includes('Pending')));
  await sleep(1_500); // more ticks of the new leader
  assert.deepEqual(
    hook.received.map((r) => r.alertnames.join(',')).sort(),
    ['Pending', 'Sent'],
    'the flush the old leader sent is not sent again; the pending one goes out once',
  );
  t.diagnostic(`takeover ${takeoverMs} ms after SIGKILL`);
});
