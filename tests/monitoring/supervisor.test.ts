// The monitoring supervisor through a real MCP client (the SDK's Client over InMemoryTransport against
// the real server): getFleetHealth reads a real Prometheus and a real node_exporter; manageAlerts
// routes with the configured Alertmanager YAML, sends to loopback webhook receivers after group_wait,
// escalates and honours an ack; runRemediation restarts a loopback service; getCostReport adds cost
// avoidance. Bad input comes back as isError with the field named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, testSuite, textOf } from '../helpers.js';
import { constructedPrometheus, startNodeExporter, startPrometheus } from './prometheus-peer.js';
import { buildFleetModel } from './fleet-model-fixture.js';
import { startAlertmanager } from './alertmanager-peer.js';
import { fleetContract, contractHash } from '../../tools/monitoring/fleet/contract.js';

type Row = Record<string, unknown>;

async function call(client: Client, name: string, args: Row) {
  const result = await client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: textOf(result), data: result.structuredContent as Row };
}

/** A loopback HTTP server that records every request (path and JSON body) and answers 200. */
async function recorder(t: { after(fn: () => Promise<void> | void): void }) {
  const seen: { path: string; body: Row }[] = [];
  const handlers = new Map<string, (request: IncomingMessage) => { status: number; body: string }>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const handler = handlers.get(request.url ?? '');
      if (handler) {
        const answer = handler(request);
        response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
        return;
      }
      seen.push({ path: request.url ?? '', body: body ? (JSON.parse(body) as Row) : {} });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, seen, handlers };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000, debug?: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${debug ? `: ${debug()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('getFleetHealth through MCP: servers from a real Prometheus (targets, range queries) and a node_exporter endpoint, classified under the contract', async (t) => {
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1', profile: 'web_api' } }],
  });
  const config = {
    monitoring: {
      prometheus: { url: prometheus.url, rateWindow: '10s' },
      fleet: {
        servers: [{ name: 'db-1', profile: 'database', scrapeUrl: exporter.metricsUrl }],
        // Prometheus has seconds of history here: read it at a 2 s step.
        forecast: { stepMinutes: 2 / 60, historyDays: 0.01, horizonHours: 0.05, seasonHours: 24, delta: 3 },
      },
    },
  };
  // A fleet model exported for this contract ([7, 5] profile embedding, 8 state scores) runs beside the rules.
  const model = Buffer.from(buildFleetModel({ profiles: 7, embedding: 5, states: 8 }));
  const withModel = {
    monitoring: { ...config.monitoring, fleet: { ...config.monitoring.fleet, model: { path: 'fleet.onnx' } } },
  };
  const suite = await testSuite(t, {
    files: { 'caelum.config.json': JSON.stringify(withModel), 'fleet.onnx': model },
  });
  const client = await connectClient(t, suite);
  const health = await call(client, 'getFleetHealth', { forecastHours: 0.05 });
  assert.equal(health.isError, false, health.text);
  const contract = health.data.contract as Row;
  assert.equal(contract.version, fleetContract.version);
  assert.equal(contract.hash, contractHash);
  const servers = health.data.servers as Row[];
  assert.deepEqual(servers.map((server) => server.name).sort(), ['db-1', 'web-1']);
  const web = servers.find((server) => server.name === 'web-1')!;
  assert.equal(web.profile, 'web_api', 'the profile comes from the Prometheus target label');
  assert.equal(web.id, createHash('sha256').update('web-1').digest('hex'));
  assert.equal(web.source, 'prometheus');
  assert.ok((fleetContract.states as readonly string[]).includes(String(web.state)));
  const latest = web.latest as Record<string, number>;
  assert.ok(latest.cpu! >= 0 && latest.cpu! <= 1, `cpu ${latest.cpu}`);
  assert.ok(latest.memory! > 0 && latest.memory! < 1, `memory ${latest.memory}`);
  assert.ok(Object.keys(web.forecast as Row).length > 0, 'a forecast per metric with enough points');
  const db = servers.find((server) => server.name === 'db-1')!;
  assert.equal(db.source, 'exposition');
  assert.equal(db.profile, 'database');
  assert.ok((db.latest as Record<string, number>).disk! > 0);
  for (const server of servers) {
    const predicted = server.model as { state: string; score: number };
    assert.ok((fleetContract.states as readonly string[]).includes(predicted.state), JSON.stringify(server.model));
    assert.ok(Number.isFinite(predicted.score), "the model's own score for the state it picked");
  }
  const counts = health.data.states as Record<string, number>;
  assert.equal(
    Object.values(counts).reduce((a, b) => a + b, 0),
    2,
  );

  // The seed's failure: a model from an older contract ([8, 5]) is refused before it is loaded, and says why.
  const stale = await testSuite(t, {
    files: {
      'caelum.config.json': JSON.stringify(withModel),
      'fleet.onnx': Buffer.from(buildFleetModel({ profiles: 8, embedding: 5, states: 9 })),
    },
  });
  const staleClient = await connectClient(t, stale);
  const refused = await call(staleClient, 'getFleetHealth', { forecastHours: 0 });
  assert.equal(refused.isError, false, refused.text);
  assert.ok((refused.data.servers as Row[]).every((server) => server.model === undefined));
  assert.match(
    (refused.data.notes as string[]).join('\n'),
    new RegExp(
      `fleet model was not used: .*\\[8, 5\\] but contract v1\\.0\\.0 \\(hash ${contractHash.slice(0, 12)}\\) has 7 profiles`,
    ),
  );

  // Prometheus down: the server read straight from its node_exporter is still assessed, and the note says why web-1 is not.
  const half = await testSuite(t, {
    files: {
      'caelum.config.json': JSON.stringify({
        monitoring: { ...config.monitoring, prometheus: { url: 'http://127.0.0.1:9/', rateWindow: '10s' } },
      }),
    },
  });
  const halfClient = await connectClient(t, half);
  const partial = await call(halfClient, 'getFleetHealth', { forecastHours: 0 });
  assert.equal(partial.isError, false, partial.text);
  assert.deepEqual(
    (partial.data.servers as Row[]).map((server) => server.name),
    ['db-1'],
  );
  assert.match((partial.data.notes as string[]).join('\n'), /Prometheus targets were not read: .*unreachable/);

  const one = await call(client, 'getFleetHealth', { servers: ['web-1'], forecastHours: 0 });
  assert.equal(one.isError, false, one.text);
  assert.deepEqual(
    (one.data.servers as Row[]).map((server) => server.forecast),
    [{}],
  );

  // Through the MCP dispatcher (whose tool clock is monotonic), the query is for now, not 1970.
  const query = await call(client, 'runTool', {
    name: 'monitoring_query_prometheus',
    arguments: { query: 'node_load1' },
  });
  assert.equal(query.isError, false, query.text);
  const answer = query.data.result as { at: string; series: unknown[] };
  assert.ok(answer.series.length >= 1, query.text);
  assert.ok(Math.abs(Date.parse(answer.at) - Date.now()) < 120_000, answer.at);

  const unknown = await call(client, 'getFleetHealth', { servers: ['nope-9'] });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /servers: nope-9 is not in the fleet; it has 2 server\(s\), e\.g\. db-1, web-1/);
  const bad = await call(client, 'getFleetHealth', { forecastHours: 'six' });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /forecastHours/);
});

test('getFleetHealth: an unreachable Prometheus, no metrics source, and an unknown profile are clear errors', async (t) => {
  const down = await testSuite(t, { env: { CAELUM_PROMETHEUS_URL: 'http://127.0.0.1:9/' } });
  const client = await connectClient(t, down);
  const unreachable = await call(client, 'getFleetHealth', {});
  assert.equal(unreachable.isError, true);
  assert.match(unreachable.text, /Prometheus.*unreachable/i);

  const bare = await testSuite(t);
  const bareClient = await connectClient(t, bare);
  const none = await call(bareClient, 'getFleetHealth', {});
  assert.equal(none.isError, true);
  assert.match(none.text, /no metrics source is configured: set monitoring\.prometheus\.url/);

  await assert.rejects(
    testSuite(t, {
      files: {
        'caelum.config.json': JSON.stringify({
          monitoring: {
            fleet: { servers: [{ name: 'gpu-1', profile: 'gpu_box', scrapeUrl: 'http://127.0.0.1:9/metrics' }] },
          },
        }),
      },
    }),
    (error: Error) =>
      error.name === 'ConfigError' &&
      error.message.includes('monitoring.fleet.servers.0.profile') &&
      error.message.includes(contractHash.slice(0, 12)),
  );
});

test('monitoring_get_fleet_health timeline: each server classified at past times, the switch to critical where it happened, the last column the states', async (t) => {
  const others = Array.from({ length: 148 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const url = await constructedPrometheus(t, ['db-1', 'web-1', ...others]);
  // 0.3 days (7.2 h) of 5-minute history: a 12 h timeline starts before it.
  const config = {
    monitoring: {
      prometheus: { url, rateWindow: '5m' },
      fleet: { forecast: { stepMinutes: 5, historyDays: 0.3, horizonHours: 6, seasonHours: 24, delta: 3 } },
    },
  };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config) } });
  const client = await connectClient(t, suite);
  const fleetHealth = (args: Row) => call(client, 'runTool', { name: 'monitoring_get_fleet_health', arguments: args });

  const health = await fleetHealth({ servers: ['web-1', 'db-1'], forecastHours: 0, timelineHours: 12 });
  assert.equal(health.isError, false, health.text);
  const result = health.data.result as {
    at: string;
    servers: { name: string; state: string }[];
    timeline: { times: string[]; servers: { name: string; states: (string | null)[] }[] };
    notes: string[];
  };
  const { times, servers } = result.timeline;
  // Every hour from 12 h before the evaluation time to it, both ends included.
  assert.equal(times.length, 13);
  assert.equal(times.at(-1), result.at);
  times.forEach((time, k) => assert.equal(Date.parse(result.at) - Date.parse(time), (12 - k) * 3_600_000));
  assert.deepEqual(
    servers.map((row) => row.name),
    result.servers.map((server) => server.name),
  );
  const row = (name: string) => servers.find((server) => server.name === name)!.states;
  // No history before 7.2 h ago; web-1 healthy until its CPU went to 0.99 5.5 h ago, critical from the next hour on.
  const none = Array<null>(5).fill(null);
  assert.deepEqual(row('web-1'), [...none, 'healthy', 'healthy', ...Array<string>(6).fill('critical_issue')]);
  assert.deepEqual(row('db-1'), [...none, ...Array<string>(8).fill('healthy')]);
  for (const server of result.servers) assert.equal(row(server.name).at(-1), server.state, server.name);
  assert.equal(result.servers.find((server) => server.name === 'web-1')!.state, 'critical_issue');
  assert.match(result.notes.join('\n'), /the timeline reaches back 12 h but 7\.2 h of history is read/);

  const without = await fleetHealth({ servers: ['web-1'], forecastHours: 0 });
  assert.equal(without.isError, false, without.text);
  assert.equal((without.data.result as Row).timeline, undefined, 'no timeline unless asked');
});

test('monitoring_get_fleet_health timeline: over the classification budget is refused naming the field and a step that fits', async (t) => {
  const instances = Array.from({ length: 150 }, (_, i) => `node-${String(i).padStart(3, '0')}`);
  const url = await constructedPrometheus(t, instances);
  const config = { monitoring: { prometheus: { url, rateWindow: '5m' }, fleet: { forecast: { historyDays: 0.3 } } } };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config) } });
  const client = await connectClient(t, suite);
  const fleetHealth = (args: Row) => call(client, 'runTool', { name: 'monitoring_get_fleet_health', arguments: args });

  // A week every 5 minutes is 2017 points; × 150 servers is over 200,000.
  const over = await fleetHealth({ forecastHours: 0, timelineHours: 168, timelineStepMinutes: 5 });
  assert.equal(over.isError, true, over.text);
  assert.match(
    over.text,
    /timelineHours: 168 h every 5 min is 2017 points × 150 servers = 302550 classifications, over the budget of 200000; set timelineStepMinutes to 8 or more, shorten timelineHours, or name fewer servers/,
  );
  // The step it names passes the budget (1261 points × 150 servers); its result is over the dispatcher's
  // 1 MiB result budget, which shortens the arrays and says so.
  const fits = await fleetHealth({ forecastHours: 0, timelineHours: 168, timelineStepMinutes: 8 });
  assert.equal(fits.isError, false, fits.text);
  assert.ok((fits.data.result as Row).timeline !== undefined);

  const outOfRange = await fleetHealth({ timelineHours: 200 });
  assert.equal(outOfRange.isError, true);
  assert.match(outOfRange.text, /timelineHours/);
  const offStep = await fleetHealth({ timelineHours: 24, timelineStepMinutes: 1 });
  assert.equal(offStep.isError, true);
  assert.match(offStep.text, /timelineStepMinutes/);
});

test('manageAlerts through MCP: routes with the configured YAML, sends after group_wait, escalates until acked, silences, and survives a restart', async (t) => {
  const receivers = await recorder(t);
  const yaml = [
    'route:',
    '  receiver: team',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 1h',
    '  routes:',
    '    - matchers: [\'severity="critical"\']',
    '      receiver: oncall',
    '      continue: true',
    '    - matchers: [\'severity="critical"\']',
    '      receiver: team',
    'receivers:',
    '  - name: team',
    `    webhook_configs: [{url: "${receivers.url}/team"}]`,
    '  - name: oncall',
    `    webhook_configs: [{url: "${receivers.url}/oncall"}]`,
    '  - name: tier2',
    `    webhook_configs: [{url: "${receivers.url}/tier2"}]`,
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
            { receiver: 'tier2', afterMs: 3_000 },
          ],
        },
      },
    },
  };
  const files = { 'caelum.config.json': JSON.stringify(config), 'am.yml': yaml };
  const suite = await testSuite(t, { files });
  const client = await connectClient(t, suite);

  const routed = await call(client, 'manageAlerts', {
    action: 'test',
    labels: { alertname: 'DiskFull', severity: 'critical' },
  });
  assert.equal(routed.isError, false, routed.text);
  assert.deepEqual((routed.data.route as Row).receivers, ['oncall', 'team']);

  const preview = await call(client, 'manageAlerts', {
    action: 'fire',
    labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1', profile: 'database' },
  });
  assert.equal(preview.isError, false, preview.text);
  assert.match(preview.text, /nothing was fired/i);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  assert.equal(receivers.seen.length, 0, 'a preview sends nothing');

  // The team receiver fails its first three requests (one send and its two retries): the notification
  // stays in the outbox and goes out on a later attempt.
  let teamFailures = 3;
  receivers.handlers.set('/team', () => {
    if (--teamFailures <= 0) receivers.handlers.delete('/team');
    return { status: 500, body: 'try later' };
  });
  const fired = await call(client, 'manageAlerts', {
    action: 'fire',
    labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1', profile: 'database' },
    annotations: { summary: 'disk 97% full' },
    confirm: true,
  });
  assert.equal(fired.isError, false, fired.text);
  const acked = await call(client, 'manageAlerts', { action: 'ack', id: 'DiskFull', minutes: 30, comment: 'on it' });
  assert.equal(acked.isError, false, acked.text);
  assert.equal(((acked.data.escalation as Row[])[0]!.ack as Row).by, 'agent');
  // group_wait 1 s: the grouped notification reaches both receivers of the continue route.
  await until(
    'the grouped notifications',
    () => ['/team', '/oncall'].every((p) => receivers.seen.some((r) => r.path === p && r.body.groupKey !== undefined)),
    15_000,
    () => JSON.stringify({ seen: receivers.seen, log: suite.log.entries.filter((e) => e.level !== 'debug') }),
  );
  const teamBody = receivers.seen.find((r) => r.path === '/team')!.body;
  assert.equal(teamBody.version, '4');
  assert.equal(teamBody.status, 'firing');
  assert.equal(teamBody.receiver, 'team');
  assert.deepEqual((teamBody.groupLabels as Row).alertname, 'DiskFull');
  const alert = (teamBody.alerts as Row[])[0]!;
  assert.equal((alert.annotations as Row).summary, 'disk 97% full');

  // A second critical alert is not acked: after 3 s its tier 2 hears; the acked one never reaches tier 2.
  const second = await call(client, 'manageAlerts', {
    action: 'fire',
    labels: { alertname: 'NodeDown', severity: 'critical', instance: 'web-2' },
    confirm: true,
  });
  assert.equal(second.isError, false, second.text);
  await until('tier 2 of the unacked alert', () => receivers.seen.some((r) => r.path === '/tier2'), 20_000);
  const tier2 = receivers.seen.filter((r) => r.path === '/tier2');
  assert.ok(
    tier2.every((r) => JSON.stringify(r.body).includes('NodeDown') && !JSON.stringify(r.body).includes('DiskFull')),
    'only the unacked alert escalates to tier 2',
  );

  const listed = await call(client, 'manageAlerts', { action: 'list' });
  assert.equal(listed.isError, false, listed.text);
  const escalation = listed.data.escalation as Row[];
  assert.deepEqual(escalation.map((row) => `${String(row.alertname)}:${String(row.state)}`).sort(), [
    'DiskFull:acked',
    'NodeDown:exhausted',
  ]);
  const detail = listed.data.detail as Row;
  const groups = detail.groups as Row[];
  assert.ok(
    groups.some((group) => typeof group.nextRepeatAt === 'string'),
    'each group says when it repeats',
  );
  const deliveries = detail.deliveries as Row[];
  const team = deliveries.filter((d) => d.receiver === 'team' && d.status === 'firing').map((d) => d.outcome);
  assert.deepEqual(team.slice(0, 2), ['retrying', 'sent'], JSON.stringify(deliveries));

  const silenced = await call(client, 'manageAlerts', {
    action: 'silence',
    matchers: ['alertname="NodeDown"'],
    minutes: 10,
    comment: 'rebooting',
  });
  assert.equal(silenced.isError, false, silenced.text);
  const after = await call(client, 'manageAlerts', { action: 'list' });
  const states = Object.fromEntries((after.data.alerts as Row[]).map((a) => [(a.labels as Row).alertname, a.state]));
  assert.deepEqual(states, { DiskFull: 'active', NodeDown: 'suppressed' });

  const resolved = await call(client, 'manageAlerts', {
    action: 'resolve',
    labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1', profile: 'database' },
    confirm: true,
  });
  assert.equal(resolved.isError, false, resolved.text);
  await until('the resolved notification', () =>
    receivers.seen.some((r) => r.path === '/team' && r.body.status === 'resolved'),
  );

  // Bad input names the field; a malformed YAML names its line and column.
  const noLabels = await call(client, 'manageAlerts', { action: 'test' });
  assert.equal(noLabels.isError, true);
  assert.match(noLabels.text, /labels: test needs labels/);
  const badYaml = await call(client, 'manageAlerts', {
    action: 'test',
    labels: { a: 'b' },
    config: 'route:\n  receiver: x\n  group_wait: [1s\n',
  });
  assert.equal(badYaml.isError, true);
  assert.match(badYaml.text, /line \d+, column \d+/);
  const unknownAck = await call(client, 'manageAlerts', { action: 'ack', id: 'NoSuchAlert' });
  assert.equal(unknownAck.isError, true);
  assert.match(unknownAck.text, /no escalation is running for NoSuchAlert/);

  // Everything is in the data dir's logs: a new service on the same data dir has the same state.
  const log = await readFile(path.join(suite.dataDir, 'monitoring', 'alerts.jsonl'), 'utf8');
  assert.ok(log.split('\n').filter(Boolean).length >= 4);
  await suite.close();
  const again = await testSuite(t, { files, env: { CAELUM_DATA_DIR: suite.dataDir } });
  const client2 = await connectClient(t, again);
  const replayed = await call(client2, 'manageAlerts', { action: 'list' });
  assert.deepEqual(
    (replayed.data.alerts as Row[]).map((a) => `${String((a.labels as Row).alertname)}:${String(a.state)}`),
    ['NodeDown:suppressed'],
  );
});

test('runRemediation through MCP: service health, a dry run that touches nothing, a confirmed restart, and clear refusals', async (t) => {
  const service = await recorder(t);
  let healthy = false;
  let restarts = 0;
  service.handlers.set('/health', () => (healthy ? { status: 200, body: 'ok' } : { status: 503, body: 'down' }));
  service.handlers.set('/restart', () => {
    restarts++;
    healthy = true;
    return { status: 200, body: 'restarted' };
  });
  const config = {
    monitoring: {
      fleet: { servers: [{ name: 'web-1', profile: 'web_api', scrapeUrl: `${service.url}/metrics` }] },
      remediation: {
        services: {
          'web-api': {
            healthUrl: `${service.url}/health`,
            restart: { http: { url: `${service.url}/restart` } },
            restartWaitMs: 5_000,
            pollMs: 100,
          },
        },
        playbooks: [
          {
            name: 'web_api_recover',
            profiles: ['web_api'],
            description: 'restart the API when its health check fails',
            steps: [{ kind: 'restart', service: 'web-api', onlyIfUnhealthy: true }],
          },
        ],
      },
    },
  };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config) } });
  const client = await connectClient(t, suite);

  const health = await call(client, 'runRemediation', {});
  assert.equal(health.isError, false, health.text);
  assert.deepEqual(
    (health.data.services as Row[]).map((s) => `${String(s.name)}:${String(s.status)}`),
    ['web-api:down'],
  );

  const dry = await call(client, 'runRemediation', { server: 'web-1' });
  assert.equal(dry.isError, false, dry.text);
  assert.equal(dry.data.dryRun, true);
  assert.equal(dry.data.playbook, 'web_api_recover');
  assert.equal(restarts, 0, 'a dry run restarts nothing');
  assert.match(dry.text, /Nothing ran: pass confirm: true/);

  const run = await call(client, 'runRemediation', { server: 'web-1', confirm: true });
  assert.equal(run.isError, false, run.text);
  assert.equal(run.data.dryRun, false);
  assert.equal(restarts, 1);
  assert.deepEqual(
    (run.data.steps as Row[]).map((s) => s.status),
    ['succeeded'],
  );
  const journal = await readFile(path.join(suite.dataDir, 'monitoring', 'remediation.jsonl'), 'utf8');
  const events = journal
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as Row).event);
  assert.deepEqual(events, ['run_start', 'step_start', 'step_end', 'run_end']);

  const unknown = await call(client, 'runRemediation', { server: 'nope-1' });
  assert.equal(unknown.isError, true);
  assert.match(unknown.text, /nope-1 is not in monitoring\.fleet\.servers/);
  const badPlaybook = await call(client, 'runRemediation', { server: 'web-1', playbook: 'no_such_playbook' });
  assert.equal(badPlaybook.isError, true);
  assert.match(badPlaybook.text, /playbook/);
});

test('getCostReport adds cost avoidance with every input echoed; a bad input names the field', async (t) => {
  const suite = await testSuite(t);
  const client = await connectClient(t, suite);
  const inputs = {
    incidentCostPerHour: 6000,
    minutesSavedPerIncident: 30,
    incidentsPerMonth: 2,
    falsePositivesPerMonth: 10,
    falsePositiveCost: 20,
    implementationCost: 4000,
  };
  const report = await call(client, 'getCostReport', { groupBy: 'model', avoidance: inputs });
  assert.equal(report.isError, false, report.text);
  const avoidance = report.data.avoidance as Row;
  assert.deepEqual(avoidance.inputs, { ...inputs, monthlyRunningCost: 0 });
  assert.equal(avoidance.avoidedIncidentCostPerMonth, 6000);
  assert.equal(avoidance.falsePositiveCostPerMonth, 200);
  assert.equal(avoidance.netPerMonth, 5800);
  assert.equal(avoidance.paybackMonths, 4000 / 5800);
  const bad = await call(client, 'getCostReport', { avoidance: { ...inputs, incidentCostPerHour: -5 } });
  assert.equal(bad.isError, true);
  assert.match(bad.text, /avoidance\.incidentCostPerHour/);
});

test('fired alerts are forwarded to a real Alertmanager, which lists them with our labels and fingerprint', async (t) => {
  const alertmanager = await startAlertmanager(t, 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  if (!alertmanager) return;
  const suite = await testSuite(t, { env: { CAELUM_ALERTMANAGER_URL: alertmanager.url } });
  const client = await connectClient(t, suite);
  const fired = await call(client, 'manageAlerts', {
    action: 'fire',
    labels: { alertname: 'ForwardMe', severity: 'warning', instance: 'db-3' },
    confirm: true,
  });
  assert.equal(fired.isError, false, fired.text);
  assert.equal(((fired.data.detail as Row).forwarded as Row).ok, true, fired.text);
  const listed = (await (await fetch(`${alertmanager.url}/api/v2/alerts`)).json()) as Row[];
  const ours = listed.find((alert) => (alert.labels as Row).alertname === 'ForwardMe');
  assert.ok(ours, JSON.stringify(listed));
  assert.equal(ours.fingerprint, (fired.data.alerts as Row[])[0]!.fingerprint);
  assert.equal((ours.status as Row).state, 'active');
});
