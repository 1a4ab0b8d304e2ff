// The dashboard's HTTP side: the page and its headers, the Host/Origin checks it shares with /mcp,
// the read-only API (its numbers are the MCP tools' numbers), live events, and actions behind the
// flag, the CSRF token and the tools' confirm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { serveHttp } from '../../servers/http.js';
import { DashboardEvents, maxSubscribers } from '../../servers/dashboard/events.js';
import { JsonlLedger, type LedgerEntry } from '../../gpu-pool/ledger.js';
import { testSuite } from '../helpers.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  pathname: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathname, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (answer: Answer) => JSON.parse(answer.body) as Record<string, any>;

/** A v2 ledger row of one finished call, as the pool writes it. */
function ledgerRow(ts: string, outcome: 'accepted_local' | 'escalated', cost: number, baseline: number): LedgerEntry {
  const local = outcome === 'accepted_local';
  return {
    v: 2,
    ts,
    callId: `call-${ts}`,
    tool: 'development_review_with_ai',
    supervisor: 'development',
    backend: local ? 'ollama' : 'claude',
    ...(local ? { host: 'gpu1' } : {}),
    model: local ? 'qwen3:4b' : 'claude-sonnet-4-5',
    inputTokens: 1000,
    outputTokens: 200,
    latencyMs: 800,
    costUsd: cost,
    baselineCostUsd: baseline,
    savingUsd: local ? baseline - cost : 0,
    outcome: 'accepted',
    call: {
      outcome,
      answeredBy: local ? 'ollama' : 'claude',
      attempts: 1,
      localAttempts: local ? 1 : 0,
      threshold: 0.75,
      costUsd: cost,
      localComputeUsd: local ? cost : 0,
      claudeUsd: local ? 0 : cost,
      baselineModel: 'claude-sonnet-4-5',
      baselineCostUsd: baseline,
      savingUsd: local ? baseline - cost : 0,
      savingExcludingLocalUsd: local ? baseline : 0,
    },
  };
}

async function served(t: Parameters<typeof testSuite>[0], env: Record<string, string> = {}) {
  const suite = await testSuite(t, { env });
  const endpoint = await serveHttp(suite, { host: '127.0.0.1', port: 0 });
  t.after(() => endpoint.close());
  return { suite, port: endpoint.port, endpoint };
}

test('the page is served at / with a strict CSP and no third-party reference; its assets come from the package', async (t) => {
  const { port, endpoint } = await served(t);
  assert.equal(endpoint.dashboardUrl, `http://127.0.0.1:${port}/`);
  const page = await request(port, '/');
  assert.equal(page.status, 200, page.body);
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  // Everything the page loads is its own: no http(s) URL, no inline script or style.
  assert.doesNotMatch(page.body, /https?:\/\//);
  assert.doesNotMatch(page.body, /<script>|<style|style=/);
  for (const asset of page.body.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    const answer = await request(port, asset[1]!);
    assert.equal(answer.status, 200, asset[1]);
    // No code path loads from elsewhere (the browser test also watches every request the page makes).
    assert.doesNotMatch(answer.body, /url\(\s*['"]?(https?:)?\/\//i, `${asset[1]} loads a remote stylesheet resource`);
    assert.doesNotMatch(
      answer.body,
      /(fetch|import|EventSource|WebSocket)\(\s*['"`](https?:|wss?:)?\/\//,
      `${asset[1]} fetches from another site`,
    );
  }
  assert.equal((await request(port, '/assets/../package.json')).status, 404);
  assert.equal((await request(port, '/assets/%2e%2e%2fpackage.json')).status, 404);
});

test('the dashboard is behind the same Host and Origin checks as /mcp', async (t) => {
  const { port } = await served(t);
  for (const pathname of ['/', '/api/savings', '/api/events']) {
    const rebinding = await request(port, pathname, { headers: { host: 'evil.example:80' } });
    assert.equal(rebinding.status, 403, `${pathname} with a foreign Host`);
    const crossSite = await request(port, pathname, { headers: { origin: 'http://evil.example' } });
    assert.equal(crossSite.status, 403, `${pathname} with a foreign Origin`);
  }
  const sameOrigin = await request(port, '/api/meta', { headers: { origin: `http://127.0.0.1:${port}` } });
  assert.equal(sameOrigin.status, 200);
  // No CORS grant: another page cannot read the API even where a browser lets the request through.
  assert.equal(sameOrigin.headers['access-control-allow-origin'], undefined);
});

test('Savings shows the numbers getCostReport returns, by day, week and month', async (t) => {
  const { suite, port } = await served(t);
  const ledger = new JsonlLedger(path.join(suite.dataDir, 'ledger'));
  const now = Date.now();
  const rows: LedgerEntry[] = [];
  for (let day = 0; day < 40; day++) {
    const ts = new Date(now - day * 86_400_000).toISOString();
    rows.push(
      day % 3 === 0 ? ledgerRow(ts, 'escalated', 0.004, 0.004) : ledgerRow(ts, 'accepted_local', 0.0002, 0.006),
    );
  }
  await ledger.appendAll(rows);
  for (const period of ['day', 'week', 'month'] as const) {
    const page = json(await request(port, `/api/savings?period=${period}`));
    const tool = await suite.dispatcher.call('getCostReport', { groupBy: period });
    const reported = tool.structuredContent as Record<string, any>;
    assert.deepEqual(page.summary.totals, reported.totals, period);
    assert.deepEqual(page.summary.breakdown, reported.breakdown, period);
    assert.deepEqual(page.summary.groups, reported.groups, period);
    // The breakdowns come from one pass over the ledger; each equals the tool's own grouping.
    for (const groupBy of ['model', 'host', 'supervisor', 'tool'] as const) {
      const reportedBy = (await suite.dispatcher.call('getCostReport', { groupBy })).structuredContent as any;
      assert.deepEqual(page.by[groupBy], reportedBy.groups, groupBy);
    }
    const sum = page.summary.groups.reduce((total: number, group: any) => total + group.savingUsd, 0);
    assert.ok(Math.abs(sum - page.summary.totals.savingUsd) < 1e-9, `${period} buckets add up to the total`);
  }
  const weeks = json(await request(port, '/api/savings?period=week')).summary.groups as { key: string }[];
  // Weeks are named by their Monday.
  for (const week of weeks) assert.equal(new Date(`${week.key}T00:00:00Z`).getUTCDay(), 1, week.key);
  assert.ok(weeks.length >= 6 && weeks.length <= 7);
  const months = json(await request(port, '/api/savings?period=month')).summary.groups as { key: string }[];
  assert.ok(months.every((m) => /^\d{4}-\d{2}$/.test(m.key)));
  const bad = await request(port, '/api/savings?period=year');
  assert.equal(bad.status, 400);
  assert.match(json(bad).error, /^period: /);
});

test('Executions lists the calls agents made with the execution block they got, and keeps the result', async (t) => {
  const secret = 'sk-ant-api03-dashboardsecretvalue0123456789abcdef';
  const { suite, port } = await served(t, { ANTHROPIC_API_KEY: secret });
  const status = await suite.dispatcher.call('getSystemStatus', {});
  const bad = await suite.dispatcher.call('getCostReport', { groupBy: 'fortnightly', note: secret });
  assert.equal(bad.isError, true);
  await suite.executions.flush();
  const list = json(await request(port, '/api/executions'));
  assert.equal(list.total, 2);
  const [newest, oldest] = list.entries;
  assert.equal(newest.tool, 'getCostReport');
  assert.equal(newest.ok, false);
  assert.equal(newest.errorCode, 'INVALID_INPUT');
  assert.equal(oldest.tool, 'getSystemStatus');
  assert.deepEqual(oldest.execution, status.structuredContent!.execution);
  const detail = json(await request(port, `/api/execution?id=${oldest.id}`));
  assert.deepEqual(detail.result, status.structuredContent);
  // Filters.
  assert.equal(json(await request(port, '/api/executions?ok=false')).total, 1);
  assert.equal(
    json(await request(port, '/api/executions?supervisor=infrastructure')).entries[0].tool,
    'getSystemStatus',
  );
  assert.equal(json(await request(port, '/api/executions?q=fortnightly')).total, 1);
  // The secret an agent passed is not on the page, nor in the log on disk.
  assert.doesNotMatch(JSON.stringify(list), new RegExp(secret));
  const month = new Date().toISOString().slice(0, 7);
  const onDisk = await readFile(path.join(suite.dataDir, 'executions', `executions-${month}.jsonl`), 'utf8');
  assert.equal(onDisk.trim().split('\n').length, 2);
  assert.doesNotMatch(onDisk, new RegExp(secret));
  // Bad parameters are named.
  const limit = await request(port, '/api/executions?limit=abc');
  assert.equal(limit.status, 400);
  assert.match(json(limit).error, /^limit: /);
  assert.equal((await request(port, '/api/execution?id=zzz')).status, 400);
  assert.equal((await request(port, '/api/execution?id=000000000-0000000000')).status, 404);
  assert.equal((await request(port, '/api/nothing')).status, 404);
  assert.equal((await request(port, '/api/savings', { method: 'POST' })).status, 405);
});

/** Reads server-sent events until `until` says stop. */
function readEvents(
  port: number,
  until: (events: { event: string; data: any }[]) => boolean,
): Promise<{ event: string; data: any }[]> {
  return new Promise((resolve, reject) => {
    const events: { event: string; data: any }[] = [];
    const req = http.get({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
      assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
          if (until(events)) {
            req.destroy();
            resolve(events);
          }
        }
      });
    });
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
  });
}

test('live updates: a page gets the pool at once and every finished call as it happens', async (t) => {
  const { suite, port } = await served(t);
  const received = readEvents(port, (events) => events.some((e) => e.event === 'execution'));
  // Once the stream is open (hello and the pool's first value), a call is made.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const result = await suite.dispatcher.call('getPoolStatus', {});
  const events = await received;
  assert.equal(events[0]!.event, 'hello');
  const pool = events.find((e) => e.event === 'pool');
  assert.ok(pool, 'the pool status arrives without asking');
  assert.deepEqual(pool.data.hosts, (result.structuredContent as any).hosts);
  const execution = events.find((e) => e.event === 'execution')!;
  assert.equal(execution.data.tool, 'getPoolStatus');
  assert.equal(execution.data.ok, true);
});

test('actions are off unless configured; when on they need the CSRF token, JSON and the tool confirm', async (t) => {
  const off = await served(t);
  const refused = await request(off.port, '/api/action', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'ack-alert', id: 'DiskFull' }),
  });
  assert.equal(refused.status, 403);
  assert.match(json(refused).error, /dashboardActions/);
  assert.equal(json(await request(off.port, '/api/meta')).csrf, undefined);

  const on = await served(t, { CAELUM_DASHBOARD_ACTIONS: '1', CAELUM_OLLAMA_HOSTS: 'gpu1=http://127.0.0.1:9' });
  const meta = json(await request(on.port, '/api/meta'));
  assert.equal(meta.actions, true);
  assert.equal(typeof meta.csrf, 'string');
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    request(on.port, '/api/action', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-caelum-csrf': meta.csrf, ...headers },
      body: JSON.stringify(body),
    });
  assert.equal((await post({ action: 'ack-alert', id: 'x' }, { 'x-caelum-csrf': 'wrong' })).status, 403);
  assert.equal((await post({ action: 'ack-alert', id: 'x' }, { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await post({ action: 'ack-alert', id: 'x' }, { origin: 'http://evil.example' })).status, 403);
  const unknownAction = await post({ action: 'drop-everything' });
  assert.equal(unknownAction.status, 400);
  // Disabling a host is destructive: as through MCP, it needs confirm.
  const unconfirmed = await post({ action: 'pool-host', host: 'gpu1', enabled: false });
  assert.equal(unconfirmed.status, 400);
  assert.match(json(unconfirmed).error, /confirm/);
  assert.equal(on.suite.pool.status().hosts[0]!.enabled, true);
  const confirmed = await post({ action: 'pool-host', host: 'gpu1', enabled: false, confirm: true });
  assert.equal(confirmed.status, 200, confirmed.body);
  assert.equal(on.suite.pool.status().hosts[0]!.enabled, false);
  // The action is in the execution log like any call.
  await on.suite.executions.flush();
  const logged = json(await request(on.port, '/api/executions?tool=managePool'));
  assert.equal(logged.total, 2);
});

test('live updates are bounded: at most 32 open pages, and a page that stops reading is dropped', async (t) => {
  const { suite, port } = await served(t);
  const events = DashboardEvents.of(suite);
  const sockets: net.Socket[] = [];
  t.after(() => sockets.forEach((socket) => socket.destroy()));
  const open = () =>
    new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () =>
        socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
      );
      sockets.push(socket);
      // The status line is all we read; after it the socket is paused (a page that stopped reading).
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        resolve(chunk.toString('latin1').split('\r\n')[0]!);
      });
    });
  for (let i = 0; i < maxSubscribers; i++) assert.match(await open(), / 200 /);
  assert.match(await open(), / 503 /);
  assert.equal(events.size, maxSubscribers);
  // Nobody reads: once more than maxPendingBytes wait for a page, it is dropped instead of buffered.
  const frame = { text: 'x'.repeat(4096) };
  for (let i = 0; i < 20_000 && events.size > 0; i++) {
    events.publish('execution', frame);
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(events.size, 0, 'stalled pages were dropped');
});
