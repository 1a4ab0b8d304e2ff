// The dashboard's Fleet API over real HTTP: on a fleet served by a loopback Prometheus API peer and
// alerts fired through manageAlerts, its states, counts, timeline rows, forecasts and alerts are the
// internal tools' (run through MCP's runTool); the alert list arrives as a live event; a fresh data
// dir says what is missing and how to fill it; a bad parameter is a 400 naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { serveHttp } from '../../servers/http.js';
import { connectClient, testSuite, type TestSuite } from '../helpers.js';
import { constructedPrometheus } from '../monitoring/prometheus-peer.js';

type Row = Record<string, unknown>;

async function serve(t: { after(fn: () => Promise<void> | void): void }, suite: TestSuite) {
  const endpoint = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => endpoint.close());
  const base = `http://127.0.0.1:${endpoint.port}`;
  return {
    base,
    get: async (path: string) => {
      const response = await fetch(`${base}/api/${path}`);
      return { status: response.status, body: (await response.json()) as Row };
    },
  };
}

async function runTool(client: Client, name: string, args: Row): Promise<Row> {
  const result = await client.callTool({ name: 'runTool', arguments: { name, arguments: args } });
  assert.notEqual(result.isError, true, JSON.stringify(result.content));
  return (result.structuredContent as { result: Row }).result;
}

/** The first SSE event `name` on /api/events, or a timeout. */
function firstEvent(base: string, name: string, timeoutMs = 15_000): Promise<Row> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/api/events`, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        for (const frame of buffer.split('\n\n').slice(0, -1)) {
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event === name && data) {
            clearTimeout(timer);
            request.destroy();
            resolve(JSON.parse(data) as Row);
          }
        }
        buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      });
    });
    request.on('error', () => undefined);
    const timer = setTimeout(() => {
      request.destroy();
      reject(new Error(`no ${name} event within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

test('Fleet API on a seeded fleet: states, counts, timeline, forecasts and alerts are the tools; worst rows first; live alerts; 400 and 404', async (t) => {
  const others = Array.from({ length: 10 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
  const url = await constructedPrometheus(t, ['db-1', 'web-1', ...others]);
  const config = {
    monitoring: {
      prometheus: { url, rateWindow: '5m' },
      fleet: { forecast: { stepMinutes: 5, historyDays: 0.3, horizonHours: 6, seasonHours: 24, delta: 3 } },
    },
  };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config) } });
  const client = await connectClient(t, suite);
  for (const labels of [
    { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' },
    { alertname: 'HighCPU', severity: 'warning', instance: 'web-1' },
  ]) {
    const fired = await client.callTool({
      name: 'manageAlerts',
      arguments: {
        action: 'fire',
        labels,
        annotations: { summary: `${labels.alertname} on ${labels.instance}` },
        confirm: true,
      },
    });
    assert.notEqual(fired.isError, true, JSON.stringify(fired.content));
  }
  const api = await serve(t, suite);

  const fleet = await api.get('fleet?hours=12&stepMinutes=60');
  assert.equal(fleet.status, 200, JSON.stringify(fleet.body));
  const tool = await runTool(client, 'monitoring_get_fleet_health', {
    forecastHours: 0,
    timelineHours: 12,
    timelineStepMinutes: 60,
  });
  const body = fleet.body as {
    ok: boolean;
    states: Record<string, number>;
    total: number;
    servers: { name: string; state: string }[];
    timeline: { times: string[]; servers: { name: string; states: (string | null)[] }[] };
    notes: string[];
    missing?: string;
  };
  const toolServers = tool.servers as { name: string; state: string }[];
  const toolRows = (tool.timeline as { servers: { name: string; states: (string | null)[] }[] }).servers;
  assert.equal(body.ok, true);
  assert.equal(body.missing, undefined);
  assert.deepEqual(body.states, tool.states);
  assert.deepEqual(body.states, { critical_issue: 1, healthy: 11 });
  assert.equal(body.total, toolServers.length);
  assert.equal(body.timeline.times.length, 13);
  const stateOf = new Map(toolServers.map((server) => [server.name, server.state]));
  const rowOf = new Map(toolRows.map((row) => [row.name, row.states]));
  assert.deepEqual(new Set(body.servers.map((server) => server.name)), new Set(stateOf.keys()));
  for (const server of body.servers) assert.equal(server.state, stateOf.get(server.name), server.name);
  for (const row of body.timeline.servers) assert.deepEqual(row.states, rowOf.get(row.name), row.name);
  assert.equal(body.servers[0]!.name, 'web-1', 'the worst server first');
  assert.ok(body.timeline.servers[0]!.states.includes('critical_issue'));

  // A big fleet shows its worst rows, with a note; the counts stay the whole fleet's.
  const worst = await api.get('fleet?hours=12&rows=3');
  const worstBody = worst.body as typeof body;
  assert.deepEqual(
    worstBody.servers.map((server) => server.name),
    ['web-1', 'db-1', 'node-00'],
  );
  assert.equal(worstBody.timeline.servers.length, 3);
  assert.equal(worstBody.total, 12);
  assert.deepEqual(worstBody.states, tool.states);
  assert.match(worstBody.notes[0]!, /showing the worst 3 of 12 servers/);

  const detail = await api.get('fleet-server?name=web-1&forecastHours=6');
  assert.equal(detail.status, 200, JSON.stringify(detail.body));
  const server = (detail.body as { server: { state: string; forecast: Record<string, Row> } }).server;
  const toolDetail = (await runTool(client, 'monitoring_get_fleet_health', { servers: ['web-1'], forecastHours: 6 }))
    .servers as { state: string; forecast: Record<string, { method: string; breach: Row | null }> }[];
  assert.equal(server.state, 'critical_issue');
  assert.deepEqual(Object.keys(server.forecast).sort(), Object.keys(toolDetail[0]!.forecast).sort());
  for (const [metric, forecast] of Object.entries(toolDetail[0]!.forecast)) {
    assert.equal(server.forecast[metric]!.method, forecast.method, metric);
    assert.equal((server.forecast[metric]!.breach as Row | null)?.threshold, forecast.breach?.threshold, metric);
  }
  assert.ok(server.forecast.cpu!.breach, 'web-1 at 99% CPU is forecast over its critical threshold');

  const alerts = await api.get('alerts');
  assert.equal(alerts.status, 200);
  const listed = await runTool(client, 'monitoring_list_alerts', {});
  const pick = (rows: Row[]) =>
    rows
      .map((row) => ({
        fingerprint: row.fingerprint,
        state: row.state,
        alertname: row.alertname ?? (row.labels as Row).alertname,
      }))
      .sort((a, b) => String(a.alertname).localeCompare(String(b.alertname)));
  assert.deepEqual(pick(alerts.body.alerts as Row[]), pick(listed.alerts as Row[]));
  assert.deepEqual(
    pick(alerts.body.alerts as Row[]).map((a) => a.alertname),
    ['DiskFull', 'HighCPU'],
  );
  assert.deepEqual(
    (alerts.body.alerts as Row[]).map((a) => a.severity),
    ['critical', 'warning'],
  );

  // The open page gets the alert list as event `alerts`.
  const live = await firstEvent(api.base, 'alerts');
  assert.deepEqual(pick(live.alerts as Row[]), pick(listed.alerts as Row[]));

  for (const bad of ['fleet?hours=0', 'fleet?hours=abc', 'fleet?stepMinutes=1', 'fleet?rows=100000', 'fleet-server']) {
    const refused = await api.get(bad);
    assert.equal(refused.status, 400, `${bad}: ${JSON.stringify(refused.body)}`);
    assert.match(String(refused.body.error), /^(hours|stepMinutes|rows|name):/, bad);
  }
  const unknown = await api.get('fleet-server?name=nope-1');
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.body.error), /nope-1/);
});

test('Fleet API on a fresh data dir: says no fleet is configured and how to fill it; alerts still listed', async (t) => {
  const suite = await testSuite(t);
  const api = await serve(t, suite);
  const fleet = await api.get('fleet');
  assert.equal(fleet.status, 200);
  assert.equal(fleet.body.ok, true);
  assert.match(String(fleet.body.missing), /No fleet is configured/);
  assert.match(String(fleet.body.how), /monitoring\.prometheus\.url/);
  assert.match(String(fleet.body.how), /CAELUM_PROMETHEUS_URL/);
  assert.match(String(fleet.body.how), /monitoring\.fleet\.servers/);
  const detail = await api.get('fleet-server?name=web-1');
  assert.match(String(detail.body.missing), /No fleet is configured/);
  const alerts = await api.get('alerts');
  assert.equal(alerts.status, 200);
  assert.equal(alerts.body.ok, true);
  assert.deepEqual(alerts.body.alerts, []);
});
