// monitoring_list_scrape_targets against a real Prometheus scraping a real node_exporter: the target
// is up with its labels and timing; once the exporter stops, Prometheus marks it down with the scrape
// error, and the tool puts it first and filters by health. With nothing configured it says how.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AnyTool } from '../../tools/define-tool.js';
import { listScrapeTargets } from '../../tools/monitoring/metrics/targets-tool.js';
import { routeTool, startNodeExporter, startPrometheus } from './prometheus-peer.js';

function router(prometheus?: { url: string; timeoutMs: number }) {
  return routeTool(listScrapeTargets as unknown as AnyTool, prometheus);
}

test('with no Prometheus configured it says how to configure one; a bad url is the caller’s to fix', async () => {
  const outcome = await router()({});
  assert.ok(!outcome.ok && outcome.error.code === 'NOT_CONFIGURED');
  assert.match(outcome.error.message, /set monitoring\.prometheus\.url .* or pass url/);
  const bad = await router()({ url: 'ftp://x' });
  assert.ok(!bad.ok && bad.error.kind === 'input' && /^url: scheme ftp:/.test(bad.error.message));
});

test('lists a real Prometheus target up, then down with its scrape error once the exporter stops', async (t) => {
  const exporter = await startNodeExporter(t);
  const prometheus = await startPrometheus(t, {
    scrapeTargets: [{ address: exporter.address, labels: { instance: 'web-1', profile: 'web_api' } }],
  });
  const invoke = router({ url: prometheus.url, timeoutMs: 10_000 });
  const up = await invoke({});
  assert.ok(up.ok, up.ok ? '' : up.error.message);
  const output = up.output as Record<string, any>;
  assert.deepEqual(output.counts, { up: 1, down: 0, unknown: 0 });
  const target = output.targets[0];
  assert.equal(target.instance, 'web-1');
  assert.equal(target.job, 'node');
  assert.equal(target.labels.profile, 'web_api');
  assert.equal(target.scrapeUrl, `http://${exporter.address}/metrics`);
  assert.equal(target.health, 'up');
  assert.equal(target.lastError, '');
  assert.equal(target.scrapeInterval, '1s');
  assert.ok(target.lastScrapeDurationS > 0);
  assert.ok(Date.now() - Date.parse(target.lastScrape) < 30_000, 'scraped within the last seconds');
  assert.match(up.text, /1 up, 0 down/);

  await exporter.stop();
  const deadline = Date.now() + 30_000;
  let down: Record<string, any> | undefined;
  while (Date.now() < deadline) {
    const outcome = await invoke({ health: 'down' });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    if ((outcome.output as Record<string, any>).targets.length > 0) {
      down = outcome as unknown as Record<string, any>;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.ok(down, 'Prometheus marked the stopped exporter down');
  const stopped = down.output.targets[0];
  assert.equal(stopped.instance, 'web-1');
  assert.match(stopped.lastError, /connection refused/);
  assert.deepEqual(down.output.counts, { up: 0, down: 1, unknown: 0 });
  assert.match(down.text, /DOWN node\/web-1 .*connection refused/);
  const onlyUp = await invoke({ health: 'up' });
  assert.ok(onlyUp.ok && (onlyUp.output as Record<string, any>).targets.length === 0);
  const otherJob = await invoke({ job: 'kubernetes' });
  assert.ok(otherJob.ok && (otherJob.output as Record<string, any>).total === 0);
});
