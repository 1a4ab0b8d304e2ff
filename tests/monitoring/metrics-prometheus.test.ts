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

/**
 * A loopback exporter for an old kernel (no MemAvailable) whose counters move at known rates: each of
 * 2 CPUs idles 0.25 s per second (cpu use 0.75), eth0 counts 1.5 receive and 0.5 transmit errors per
 * second; / is 40% used, a tmpfs 99% (it must not count).
 */
async function startSyntheticExporter(t: { after(fn: () => void): void }) {
  const started = Date.now();
  const server = http.createServer((_request, response) => {
    const seconds = (Date.now() - started) / 1000 + 1000;
    const body = [
      '# TYPE node_cpu_seconds_total counter',
      ...['0', '1'].flatMap((cpu) => [
        `node_cpu_seconds_total{cpu="${cpu}",mode="idle"} ${0.25 * seconds}`,
        `node_cpu_seconds_total{cpu="${cpu}",mode="user"} ${0.75 * seconds}`,
      ]),
      '# TYPE node_load1 gauge',
      'node_load1 3',
      '# TYPE node_memory_MemTotal_bytes gauge',
      'node_memory_MemTotal_bytes 1000',
      '# TYPE node_memory_MemFree_bytes gauge',
      'node_memory_MemFree_bytes 100',
      '# TYPE node_memory_Buffers_bytes gauge',
      'node_memory_Buffers_bytes 50',
      '# TYPE node_memory_Cached_bytes gauge',
      'node_memory_Cached_bytes 250',
      '# TYPE node_filesystem_avail_bytes gauge',
      'node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 600',
      'node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1',
      '# TYPE node_filesystem_size_bytes gauge',
      'node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1000',
      'node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 100',
      '# TYPE node_network_receive_errs_total counter',
      `node_network_receive_errs_total{device="eth0"} ${1.5 * seconds}`,
      '# TYPE node_network_transmit_errs_total counter',
      `node_network_transmit_errs_total{device="eth0"} ${0.5 * seconds}`,
      '',
    ].join('\n');
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { address, metricsUrl: `http://${address}/metrics` };
}

test('against a real Prometheus scraping a real node_exporter', async (t) => {
  const exporter = await startNodeExporter(t);
  const legacy = await startSyntheticExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [
      { address: exporter.address, labels: { instance: 'web-1', profile: 'web' } },
      { address: exporter.address, labels: { instance: 'db-1' } },
      { address: legacy.address, labels: { instance: 'legacy-1', profile: 'database' } },
    ],
    // rate() divides by its whole window: the 10 s window below needs that much history stored.
    minSamples: 12,
  });
  const window = '10s';
  const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 10_000 });

  await t.test('an instant query returns each target with its labels and value', async () => {
    const result = await client.instantQuery('up');
    assert.equal(result.resultType, 'vector');
    assert.deepEqual(result.series.map((series) => series.labels.instance).sort(), ['db-1', 'legacy-1', 'web-1']);
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
        ['legacy-1', 'database', 'up', 'node'],
        ['web-1', 'web', 'up', 'node'],
      ],
    );
  });

  await t.test('node metrics from Prometheus and from two direct scrapes of the same box agree', async () => {
    const fromPrometheus = await readNodeMetricsFromPrometheus(client, { window, servers: ['db-1', 'web-1', 'ghost'] });
    assert.deepEqual(
      fromPrometheus.map((reading) => reading.server),
      ['db-1', 'ghost', 'legacy-1', 'web-1'],
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
    assert.match(web.evidence.cpu ?? '', /rate\(node_cpu_seconds_total\{mode="idle"\}\[10s\]\)/);
    const ghost = fromPrometheus.find((reading) => reading.server === 'ghost');
    assert.equal(ghost?.metrics.cpu, null);
    assert.match(ghost?.missing.cpu ?? '', /node_cpu_seconds_total/);

    const direct = await readNodeMetricsFromEndpoint('web-1', exporter.metricsUrl, { intervalMs: 1_500 });
    assert.equal(direct.source, 'exposition');
    assert.ok((direct.intervalS ?? 0) >= 1.4, `interval ${direct.intervalS}`);
    for (const name of nodeMetricNames)
      assert.equal(typeof direct.metrics[name], 'number', `${name}: ${direct.missing[name]}`);
    // The same box read twice a few seconds apart: other test processes come and go meanwhile, so
    // memory and load agree only roughly (the synthetic exporter below checks the derivations exactly).
    assert.ok(Math.abs((direct.metrics.memory as number) - (web.metrics.memory as number)) < 0.25);
    assert.ok(Math.abs((direct.metrics.disk as number) - (web.metrics.disk as number)) < 0.02);
    assert.ok(Math.abs((direct.metrics.load as number) - (web.metrics.load as number)) < 3);
    assert.ok(Math.abs((direct.metrics.cpu as number) - (web.metrics.cpu as number)) < 0.9);
    assert.match(
      direct.evidence.cpu ?? '',
      /CPUs of Δnode_cpu_seconds_total\{mode="idle"\} \/ 1\.\d\d s between scrapes/,
    );
  });

  await t.test(
    'the derivations give the known rates of a synthetic box, by PromQL and by two scrapes alike',
    async () => {
      const [byPromql] = (await readNodeMetricsFromPrometheus(client, { window })).filter(
        (reading) => reading.server === 'legacy-1',
      );
      const byScrapes = await readNodeMetricsFromEndpoint('legacy-1', legacy.metricsUrl, { intervalMs: 1_000 });
      for (const reading of [byPromql, byScrapes]) {
        assert.ok(reading);
        const { metrics } = reading;
        assert.ok(Math.abs((metrics.cpu as number) - 0.75) < 0.05, `${reading.source} cpu ${metrics.cpu}`);
        assert.ok(
          Math.abs((metrics.netErrors as number) - 2) < 0.2,
          `${reading.source} netErrors ${metrics.netErrors}`,
        );
        assert.equal(metrics.memory, 0.6); // 1 - (100 + 50 + 250) / 1000: no MemAvailable on this kernel
        assert.equal(metrics.disk, 0.4); // the 99%-full tmpfs does not count
        assert.equal(metrics.load, 1.5); // load1 3 over 2 CPUs
      }
      assert.match(byPromql?.evidence.memory ?? '', /basis MemFree\+Buffers\+Cached/);
      assert.match(byScrapes.evidence.memory ?? '', /MemFree_bytes \+ node_memory_Buffers_bytes/);
      assert.match(byScrapes.evidence.disk ?? '', /over 1 filesystems .*fullest: \/\)/);
    },
  );

  await t.test('history at a step has points per server for forecasting', async () => {
    const endMs = Date.now();
    const histories = await readNodeHistoryFromPrometheus(client, { startMs: endMs - 30_000, endMs, stepS: 2, window });
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
