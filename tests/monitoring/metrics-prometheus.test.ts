import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { InputError, ToolError } from '../../tools/errors.js';
import {
  deriveNodeMetrics,
  discoverServers,
  nodeMetricNames,
  readNodeHistoryFromPrometheus,
  readNodeMetricsFromEndpoint,
  readNodeMetricsFromPrometheus,
} from '../../tools/monitoring/metrics/node-metrics.js';
import { PrometheusClient } from '../../tools/monitoring/metrics/prometheus-api.js';
import { scrapeExposition } from '../../tools/monitoring/metrics/scrape.js';
import { freePort, startNodeExporter, startPrometheus } from './prometheus-peer.js';

function toolError(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ToolError, `expected a ToolError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

test('against a real Prometheus scraping a real node_exporter', async (t) => {
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [
      { address: exporter.address, labels: { instance: 'web-1', profile: 'web' } },
      { address: exporter.address, labels: { instance: 'db-1' } },
    ],
  });
  const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 10_000 });

  await t.test('an instant query returns each target with its labels and value', async () => {
    const result = await client.instantQuery('up');
    assert.equal(result.resultType, 'vector');
    assert.deepEqual(result.series.map((series) => series.labels.instance).sort(), ['db-1', 'web-1']);
    assert.ok(result.series.every((series) => series.value === 1 && series.at > Date.now() - 60_000));
    const scalar = await client.instantQuery('1 / 0');
    assert.equal(scalar.resultType, 'scalar');
    assert.equal(scalar.series[0]?.value, Infinity);
  });

  await t.test(
    'a range query returns points at the step, and one over the points cap is refused before sending',
    async () => {
      const endMs = Date.now();
      const range = await client.rangeQuery('up{instance="web-1"}', { startMs: endMs - 10_000, endMs, stepS: 1 });
      assert.equal(range.series.length, 1);
      const points = range.series[0]?.points ?? [];
      assert.ok(points.length >= 3, `only ${points.length} points`);
      assert.ok(points.every((point, index) => index === 0 || point.at - (points[index - 1]?.at ?? 0) === 1000));
      await assert.rejects(
        client.rangeQuery('up', { startMs: endMs - 86_400_000, endMs, stepS: 1 }),
        (error: unknown) => error instanceof InputError && error.field === 'step' && /11000/.test(error.message),
      );
      const capped = new PrometheusClient({ url: prometheus.url, timeoutMs: 10_000 }, { maxPoints: 5 });
      await assert.rejects(
        capped.rangeQuery('up', { startMs: endMs - 10_000, endMs, stepS: 1 }),
        toolError('TOOL_FAILED', /more than 5 points \(maxPoints\)/),
      );
    },
  );

  await t.test('the targets give the fleet: instance as the server name, the profile label when present', async () => {
    const servers = await discoverServers(client);
    assert.deepEqual(
      servers.map((server) => [server.name, server.profile, server.health, server.job]),
      [
        ['db-1', undefined, 'up', 'node'],
        ['web-1', 'web', 'up', 'node'],
      ],
    );
  });

  await t.test('node metrics from Prometheus and from two direct scrapes of the same box agree', async () => {
    const fromPrometheus = await readNodeMetricsFromPrometheus(client, { servers: ['db-1', 'web-1', 'ghost'] });
    assert.deepEqual(
      fromPrometheus.map((reading) => reading.server),
      ['db-1', 'ghost', 'web-1'],
    );
    const web = fromPrometheus.find((reading) => reading.server === 'web-1');
    assert.ok(web);
    for (const name of nodeMetricNames)
      assert.equal(typeof web.metrics[name], 'number', `${name}: ${web.missing[name]}`);
    for (const name of ['cpu', 'memory', 'disk'] as const) {
      const value = web.metrics[name] as number;
      assert.ok(value >= 0 && value <= 1, `${name} = ${value}`);
    }
    assert.match(web.evidence.memory ?? '', /basis MemAvailable/);
    assert.match(web.evidence.cpu ?? '', /rate\(node_cpu_seconds_total\{mode="idle"\}\[5m\]\)/);
    const ghost = fromPrometheus.find((reading) => reading.server === 'ghost');
    assert.equal(ghost?.metrics.cpu, null);
    assert.match(ghost?.missing.cpu ?? '', /node_cpu_seconds_total/);

    const direct = await readNodeMetricsFromEndpoint('web-1', exporter.metricsUrl, { intervalMs: 1_500 });
    assert.equal(direct.source, 'exposition');
    assert.ok((direct.intervalS ?? 0) >= 1.4, `interval ${direct.intervalS}`);
    for (const name of nodeMetricNames)
      assert.equal(typeof direct.metrics[name], 'number', `${name}: ${direct.missing[name]}`);
    assert.ok(Math.abs((direct.metrics.memory as number) - (web.metrics.memory as number)) < 0.1);
    assert.ok(Math.abs((direct.metrics.disk as number) - (web.metrics.disk as number)) < 0.02);
    assert.ok(Math.abs((direct.metrics.load as number) - (web.metrics.load as number)) < 1);
    assert.ok(Math.abs((direct.metrics.cpu as number) - (web.metrics.cpu as number)) < 0.6);
    assert.match(
      direct.evidence.cpu ?? '',
      /CPUs of Δnode_cpu_seconds_total\{mode="idle"\} \/ 1\.\d\d s between scrapes/,
    );
  });

  await t.test('history at a step has points per server for forecasting', async () => {
    const endMs = Date.now();
    const histories = await readNodeHistoryFromPrometheus(client, { startMs: endMs - 30_000, endMs, stepS: 2 });
    const web = histories.find((history) => history.server === 'web-1');
    assert.ok(web);
    assert.ok(web.series.memory.length >= 2, `memory has ${web.series.memory.length} points`);
    assert.ok(web.series.cpu.length >= 1, `cpu: ${web.missing.cpu}`);
    assert.ok(web.series.memory.every((point) => point.value > 0 && point.value < 1));
  });

  await t.test("bad PromQL is the caller's to fix, in Prometheus's own words", async () => {
    await assert.rejects(
      client.instantQuery('rate(up[5m'),
      (error: unknown) =>
        error instanceof InputError && error.field === 'query' && /bad_data: .*parse error/.test(error.message),
    );
  });

  await t.test('a 404 endpoint, an answer over the byte cap and a JSON answer are each named', async () => {
    await assert.rejects(scrapeExposition(`${prometheus.url}/nope`), toolError('UNAVAILABLE', /\/nope answered 404/));
    await assert.rejects(
      scrapeExposition(exporter.metricsUrl, { maxBytes: 1_000 }),
      toolError('TOOL_FAILED', /more than 1000 bytes.*\(maxBytes\)/),
    );
    await assert.rejects(
      scrapeExposition(`${prometheus.url}/api/v1/targets`),
      toolError('UNAVAILABLE', /Content-Type application\/json, not a Prometheus exposition/),
    );
  });
});

test('an unreachable Prometheus is UNAVAILABLE, naming the URL without its password', async () => {
  const port = await freePort();
  const client = new PrometheusClient({ url: `http://watcher:s3cretpass@127.0.0.1:${port}`, timeoutMs: 5_000 });
  await assert.rejects(client.instantQuery('up'), (error: unknown) => {
    assert.ok(error instanceof ToolError && error.code === 'UNAVAILABLE', String(error));
    assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}.*unreachable \\(ECONNREFUSED\\)`));
    assert.doesNotMatch(error.message, /s3cretpass/);
    return true;
  });
});

test('a gzipped exposition behind a bearer token is read; a silent server times out; the token is never shown', async (t) => {
  const token = 'tok-4f9a8b7c6d5e';
  const seen: { authorization?: string; acceptEncoding?: string }[] = [];
  const server = http.createServer((request, response) => {
    seen.push({ authorization: request.headers.authorization, acceptEncoding: request.headers['accept-encoding'] });
    if (request.url === '/silent') return; // never answers
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { 'content-type': 'text/plain' }).end(`bad token ${request.headers.authorization}`);
      return;
    }
    const body = gzipSync('# TYPE node_load1 gauge\nnode_load1 0.5\n');
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const scrape = await scrapeExposition(`${base}/metrics`, { bearerToken: token, now: () => 1_000 });
  assert.equal(scrape.families[0]?.samples[0]?.value, 0.5);
  assert.equal(scrape.at, 1_000);
  assert.equal(seen[0]?.acceptEncoding, 'gzip');
  await assert.rejects(
    scrapeExposition(`${base}/metrics`, { bearerToken: `${token}-wrong` }),
    (error: unknown) =>
      error instanceof ToolError && /answered 401/.test(error.message) && !error.message.includes(token),
  );
  await assert.rejects(
    scrapeExposition(`${base}/silent`, { timeoutMs: 300 }),
    toolError('TIMEOUT', /no answer within 300 ms/),
  );
  // Two scrapes with a counter reset in between: the reset counts from zero, as Prometheus's rate does.
  const families = (idle: number) => [
    {
      name: 'node_cpu_seconds_total',
      help: '',
      type: 'counter' as const,
      samples: [{ name: 'node_cpu_seconds_total', labels: { cpu: '0', mode: 'idle' }, value: idle }],
    },
  ];
  const reading = deriveNodeMetrics(
    'box',
    { url: 'x', at: 0, bytes: 0, contentType: '', families: families(100) },
    { url: 'x', at: 10_000, bytes: 0, contentType: '', families: families(4) },
  );
  assert.ok(Math.abs((reading.metrics.cpu as number) - 0.6) < 1e-9);
  assert.equal(reading.metrics.memory, null);
  assert.match(reading.missing.memory ?? '', /MemTotal/);
});
