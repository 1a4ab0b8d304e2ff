// The metrics tools through the router: against a real Prometheus and node_exporter, and what they
// say with nothing configured or nothing listening.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ToolContext } from '../../tools/context.js';
import { metricsTools } from '../../tools/monitoring/metrics/metrics-tools.js';
import { ToolRegistry } from '../../tools/registry.js';
import { ToolRouter } from '../../tools/router.js';
import { freePort, quiet, startNodeExporter, startPrometheus } from './prometheus-peer.js';

function router(prometheus?: { url: string; timeoutMs: number; bearerToken?: string }) {
  const context = {
    logger: quiet,
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    progress: () => undefined,
    environment: {
      dataDir: '/nonexistent',
      allowedRoots: [],
      services: {
        ollamaHosts: [],
        databaseUrl: undefined,
        claude: { keyConfigured: false, baseUrl: undefined, model: '' },
      },
      confidenceThreshold: 0.7,
      thresholds: { supervisors: {}, tools: {} },
      ...(prometheus ? { monitoring: { prometheus } } : {}),
    },
  } as unknown as ToolContext;
  const routed = new ToolRouter(new ToolRegistry([metricsTools as never]));
  return (name: string, input: unknown) => routed.invoke(name, input, context);
}

test('with no Prometheus configured the query tool says how to configure one; nothing listening is UNAVAILABLE', async () => {
  const invoke = router();
  const outcome = await invoke('monitoring_query_prometheus', { query: 'up' });
  assert.ok(!outcome.ok);
  assert.equal(outcome.error.code, 'NOT_CONFIGURED');
  assert.match(
    outcome.error.message,
    /set monitoring\.prometheus\.url in the config or CAELUM_PROMETHEUS_URL, or pass url/,
  );
  const port = await freePort();
  const scrape = await invoke('monitoring_scrape_metrics', { url: `http://127.0.0.1:${port}/metrics` });
  assert.ok(!scrape.ok);
  assert.equal(scrape.error.code, 'UNAVAILABLE');
  assert.match(scrape.error.message, /unreachable \(ECONNREFUSED\)/);
  const badUrl = await invoke('monitoring_scrape_metrics', { url: 'ftp://x/metrics' });
  assert.ok(
    !badUrl.ok && badUrl.error.kind === 'input' && /^url: scheme ftp: is not supported/.test(badUrl.error.message),
  );
});

test('the tools query a real Prometheus and scrape a real node_exporter', async (t) => {
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1', profile: 'web' } }],
  });
  const invoke = router({ url: prometheus.url, timeoutMs: 10_000 });

  const instant = await invoke('monitoring_query_prometheus', { query: 'up' });
  assert.ok(instant.ok, instant.ok ? '' : instant.error.message);
  const output = instant.output as { series: { labels: Record<string, string>; value: unknown }[] };
  assert.deepEqual(
    output.series.map((series) => [series.labels.instance, series.labels.profile, series.value]),
    [['web-1', 'web', 1]],
  );
  assert.match(instant.text, /up: 1 series/);

  const range = await invoke('monitoring_query_prometheus', {
    query: 'node_load1',
    mode: 'range',
    rangeMinutes: 1,
    stepSeconds: 1,
  });
  assert.ok(range.ok, range.ok ? '' : range.error.message);
  const points = (range.output as { series: { points: unknown[] }[] }).series[0]?.points ?? [];
  assert.ok(points.length >= 2);

  const infinite = await invoke('monitoring_query_prometheus', { query: '-1/0', url: prometheus.url });
  assert.ok(infinite.ok && (infinite.output as { series: { value: unknown }[] }).series[0]?.value === '-Inf');

  const badQuery = await invoke('monitoring_query_prometheus', { query: 'sum(' });
  assert.ok(!badQuery.ok && badQuery.error.kind === 'input');
  assert.match(badQuery.error.message, /^query: Prometheus rejected the query \(bad_data: /);

  const scrape = await invoke('monitoring_scrape_metrics', {
    url: exporter.metricsUrl,
    prefix: 'go_gc_duration',
    maxSamples: 3,
  });
  assert.ok(scrape.ok, scrape.ok ? '' : scrape.error.message);
  const scraped = scrape.output as {
    familiesShown: number;
    truncated: boolean;
    families: { type: string; sampleCount: number; samples: unknown[] }[];
  };
  assert.equal(scraped.families[0]?.type, 'summary');
  assert.equal(scraped.families[0]?.sampleCount, 7);
  assert.equal(scraped.families[0]?.samples.length, 3);
  assert.equal(scraped.truncated, true);
});
