// monitoring_list_scrape_targets: what Prometheus scrapes and how each scrape went, from its
// /api/v1/targets: health, the last error, when it last scraped and how long it took. Read only.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { prometheusClient, prometheusUrlField } from './metrics-tools.js';

export const listScrapeTargets = defineTool({
  name: 'monitoring_list_scrape_targets',
  domain: 'monitoring',
  tags: ['prometheus', 'targets', 'scrape', 'exporter', 'down', 'health', 'last error', 'service discovery'],
  requests: [
    'which prometheus targets are down and why',
    'is prometheus scraping node_exporter on db-1',
    'show the scrape error for the failing target',
    'when did prometheus last scrape each server',
  ],
  title: 'List Prometheus scrape targets and their health',
  description:
    'Lists the active scrape targets of a real Prometheus (its /api/v1/targets): for each the instance, job, labels, scrape URL (password hidden), health (up, down, unknown), the last scrape\'s error, when it last scraped and how long it took, and the configured interval; filter by health or job. Down targets come first. Uses the configured Prometheus (monitoring.prometheus.url) unless url is given. For the metric values use monitoring_query_prometheus. Example: {"health": "down"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    health: z.enum(['up', 'down', 'unknown']).optional().describe('Only targets in this health.'),
    job: z.string().min(1).max(200).optional().describe('Only targets of this job (scrape config), e.g. node.'),
    limit: z.number().int().min(1).max(2000).default(200).describe('At most this many targets; the counts cover all.'),
    url: prometheusUrlField,
  }),
  output: z.object({
    prometheus: z.string(),
    targets: z.array(
      z.object({
        instance: z.string(),
        job: z.string(),
        labels: z.record(z.string(), z.string()),
        scrapeUrl: z.string(),
        health: z.enum(['up', 'down', 'unknown']),
        lastError: z.string(),
        lastScrape: z.string(),
        lastScrapeDurationS: z.number(),
        scrapeInterval: z.string(),
      }),
    ),
    counts: z.object({ up: z.number().int(), down: z.number().int(), unknown: z.number().int() }),
    total: z.number().int().describe('targets matching the filters, before the limit'),
  }),
  examples: [{}, { health: 'down' }],
  async handler(input, context) {
    const client = prometheusClient(context, input.url);
    const all = await client.targets();
    const counts = { up: 0, down: 0, unknown: 0 };
    for (const target of all) counts[target.health] += 1;
    const order = { down: 0, unknown: 1, up: 2 };
    const matching = all
      .filter(
        (t) =>
          (input.health === undefined || t.health === input.health) && (input.job === undefined || t.job === input.job),
      )
      .sort(
        (a, b) =>
          order[a.health] - order[b.health] || a.job.localeCompare(b.job) || a.instance.localeCompare(b.instance),
      );
    return {
      prometheus: client.shownUrl,
      targets: matching.slice(0, input.limit).map((t) => ({
        instance: t.instance,
        job: t.job,
        labels: t.labels,
        scrapeUrl: t.scrapeUrl,
        health: t.health,
        lastError: t.lastError,
        lastScrape: t.lastScrape,
        lastScrapeDurationS: t.lastScrapeDurationS,
        scrapeInterval: t.scrapeInterval,
      })),
      counts,
      total: matching.length,
    };
  },
  summarize: (o) =>
    [
      `${o.prometheus}: ${o.counts.up} up, ${o.counts.down} down, ${o.counts.unknown} unknown; showing ${o.targets.length} of ${o.total}`,
      ...o.targets.map(
        (t) =>
          `  ${t.health.toUpperCase()} ${t.job}/${t.instance} ${t.scrapeUrl}, last scrape ${t.lastScrape} (${t.lastScrapeDurationS.toFixed(3)} s)${t.lastError ? `: ${t.lastError}` : ''}`,
      ),
    ].join('\n'),
});
