// monitoring_query_prometheus and monitoring_scrape_metrics: PromQL against a real Prometheus (the
// configured one, or a URL given), and a direct read of a Prometheus text exposition endpoint such as
// node_exporter's /metrics. Both read only; both reach the network.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { defineTool } from '../../define-tool.js';
import { InputError, ToolError } from '../../errors.js';
import type { Labels } from './exposition.js';
import { PrometheusClient, type PrometheusSettings } from './prometheus-api.js';
import { defaultScrapeTimeoutMs, scrapeExposition } from './scrape.js';

/** The configured Prometheus, read defensively until the config schema carries `monitoring.prometheus`. */
export function configuredPrometheus(context: ToolContext): PrometheusSettings | undefined {
  const environment = context.environment as {
    monitoring?: { prometheus?: { url: string; timeoutMs: number; bearerToken?: string } };
  };
  return environment.monitoring?.prometheus;
}

const defaultQueryTimeoutMs = 10_000;

/** JSON has no NaN or Infinity: they travel as Prometheus writes them. */
const valueSchema = z.union([z.number(), z.enum(['NaN', '+Inf', '-Inf'])]);
type JsonValue = z.infer<typeof valueSchema>;
function jsonValue(value: number): JsonValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return value;
}

/** The `url` input of the tools that ask Prometheus. */
export const prometheusUrlField = z
  .string()
  .max(2000)
  .optional()
  .describe('Prometheus base URL, e.g. http://prometheus:9090; default: the configured one.');

/** The Prometheus a tool asks: the `url` the agent passed (checked), or the configured one. */
export function prometheusClient(context: ToolContext, url: string | undefined): PrometheusClient {
  const configured = configuredPrometheus(context);
  if (url) checkUrl(url);
  const settings: PrometheusSettings | undefined = url
    ? { url, timeoutMs: configured?.timeoutMs ?? defaultQueryTimeoutMs }
    : configured;
  if (!settings)
    throw new ToolError(
      'NOT_CONFIGURED',
      'no Prometheus configured: set monitoring.prometheus.url in the config or CAELUM_PROMETHEUS_URL, or pass url',
    );
  return new PrometheusClient(settings, { signal: context.signal });
}

export function checkUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError('url', 'is not a URL; give http(s)://host:port');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new InputError('url', `scheme ${parsed.protocol} is not supported; use http or https`);
}

const labelsSchema = z.record(z.string(), z.string());

export const queryPrometheus = defineTool({
  name: 'monitoring_query_prometheus',
  domain: 'monitoring',
  tags: ['prometheus', 'promql', 'metrics', 'query', 'range', 'time series', 'monitoring'],
  requests: [
    'run a PromQL query',
    'what is the CPU use of my servers in Prometheus',
    'show the last hour of node_load1',
    'query prometheus for up',
    'which targets are down according to prometheus',
  ],
  title: 'Query Prometheus (PromQL)',
  description:
    'Runs a PromQL query against a real Prometheus server\'s HTTP API: an instant query (the value now) or a range query (the last rangeMinutes at stepSeconds). Uses the configured Prometheus (monitoring.prometheus.url) unless url is given. Returns each series\' labels with its value or points; NaN and ±Inf come back as strings. Bad PromQL comes back with Prometheus\'s own error. It does not change anything in Prometheus. Example: {"query":"1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\\"idle\\"}[5m]))"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    query: z
      .string()
      .min(1)
      .max(4000)
      .describe('The PromQL expression, e.g. up or rate(node_network_receive_errs_total[5m]).'),
    mode: z
      .enum(['instant', 'range'])
      .default('instant')
      .describe('instant: the value now; range: points over the last rangeMinutes.'),
    rangeMinutes: z
      .number()
      .min(1)
      .max(60 * 24 * 31)
      .default(60)
      .describe('Range mode: how far back from now, in minutes; default 60.'),
    stepSeconds: z
      .number()
      .min(1)
      .max(86_400)
      .default(60)
      .describe('Range mode: seconds between points; at most 11,000 points per series.'),
    maxSeries: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(50)
      .describe('Most series shown; the total is always reported.'),
    url: prometheusUrlField,
  }),
  output: z.object({
    prometheus: z.string(),
    query: z.string(),
    mode: z.enum(['instant', 'range']),
    resultType: z.string(),
    at: z.string(),
    seriesTotal: z.number(),
    truncated: z.boolean(),
    series: z.array(
      z.object({
        labels: labelsSchema,
        value: valueSchema.optional(),
        points: z.array(z.tuple([z.string(), valueSchema])).optional(),
      }),
    ),
    warnings: z.array(z.string()),
  }),
  examples: [
    { query: 'up' },
    {
      query: '1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
      mode: 'range',
      rangeMinutes: 180,
      stepSeconds: 300,
    },
  ],
  async handler(input, context) {
    const client = prometheusClient(context, input.url);
    const now = Date.now();
    const base = { prometheus: client.shownUrl, query: input.query, mode: input.mode, at: new Date(now).toISOString() };
    if (input.mode === 'instant') {
      const result = await client.instantQuery(input.query, now);
      return {
        ...base,
        resultType: result.resultType,
        seriesTotal: result.series.length,
        truncated: result.series.length > input.maxSeries,
        series: result.series
          .slice(0, input.maxSeries)
          .map((series) => ({ labels: series.labels as Labels, value: jsonValue(series.value) })),
        warnings: result.warnings,
      };
    }
    const startMs = now - input.rangeMinutes * 60_000;
    const result = await client.rangeQuery(input.query, { startMs, endMs: now, stepS: input.stepSeconds });
    return {
      ...base,
      resultType: 'matrix',
      seriesTotal: result.series.length,
      truncated: result.series.length > input.maxSeries,
      series: result.series.slice(0, input.maxSeries).map((series) => ({
        labels: series.labels,
        points: series.points.map(
          (point) => [new Date(point.at).toISOString(), jsonValue(point.value)] as [string, JsonValue],
        ),
      })),
      warnings: result.warnings,
    };
  },
  summarize(output) {
    const lines = [`${output.prometheus} ${output.mode} ${output.query}: ${output.seriesTotal} series`];
    for (const series of output.series.slice(0, 20)) {
      const labels = Object.entries(series.labels)
        .map(([name, value]) => `${name}="${value}"`)
        .join(',');
      const shown = series.value !== undefined ? String(series.value) : `${series.points?.length ?? 0} points`;
      lines.push(`  {${labels}} ${shown}`);
    }
    if (output.truncated) lines.push(`  … ${output.seriesTotal - output.series.length} more (maxSeries)`);
    return lines.join('\n');
  },
});

export const scrapeMetrics = defineTool({
  name: 'monitoring_scrape_metrics',
  domain: 'monitoring',
  tags: ['prometheus', 'exposition', 'node_exporter', 'metrics', 'scrape', 'histogram', 'summary'],
  requests: [
    'read the metrics of node_exporter',
    'what does this /metrics endpoint expose',
    'scrape http://host:9100/metrics',
    'show the node_memory metrics of a server',
  ],
  title: 'Scrape a Prometheus metrics endpoint',
  description:
    'Reads a Prometheus text exposition endpoint directly (node_exporter\'s /metrics, any exporter or app that exposes Prometheus metrics) and lists its metric families with type, help and samples, optionally only those whose name starts with prefix. Histograms and summaries keep their _bucket/le, quantile, _sum and _count samples. It does not need a Prometheus server and changes nothing. Example: {"url":"http://127.0.0.1:9100/metrics","prefix":"node_memory_"}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    url: z.string().max(2000).describe('The endpoint, e.g. http://127.0.0.1:9100/metrics for node_exporter.'),
    prefix: z
      .string()
      .max(200)
      .optional()
      .describe('Only families whose name starts with this, e.g. node_cpu_ or go_gc_.'),
    maxSamples: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(200)
      .describe('Most samples shown over all families; the totals are always reported.'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(120_000)
      .default(defaultScrapeTimeoutMs)
      .describe('How long to wait for the endpoint, in ms; default 10000.'),
  }),
  output: z.object({
    url: z.string(),
    at: z.string(),
    bytes: z.number(),
    familiesTotal: z.number(),
    samplesTotal: z.number(),
    familiesShown: z.number(),
    truncated: z.boolean(),
    families: z.array(
      z.object({
        name: z.string(),
        type: z.enum(['counter', 'gauge', 'histogram', 'summary', 'untyped']),
        help: z.string(),
        sampleCount: z.number(),
        samples: z.array(z.object({ name: z.string(), labels: labelsSchema, value: valueSchema })),
      }),
    ),
  }),
  examples: [{ url: 'http://127.0.0.1:9100/metrics', prefix: 'node_memory_' }],
  async handler(input, context) {
    checkUrl(input.url);
    const scrape = await scrapeExposition(input.url, {
      timeoutMs: input.timeoutMs,
      signal: context.signal,
      now: () => Date.now(),
    });
    const prefix = input.prefix ?? '';
    const matching = scrape.families.filter((family) => family.name.startsWith(prefix));
    let budget = input.maxSamples;
    let truncated = false;
    const families = matching.map((family) => {
      const shown = family.samples.slice(0, Math.max(0, budget));
      budget -= shown.length;
      if (shown.length < family.samples.length) truncated = true;
      return {
        name: family.name,
        type: family.type,
        help: family.help,
        sampleCount: family.samples.length,
        samples: shown.map((sample) => ({ name: sample.name, labels: sample.labels, value: jsonValue(sample.value) })),
      };
    });
    return {
      url: scrape.url,
      at: new Date(scrape.at).toISOString(),
      bytes: scrape.bytes,
      familiesTotal: scrape.families.length,
      samplesTotal: scrape.families.reduce((sum, family) => sum + family.samples.length, 0),
      familiesShown: families.length,
      truncated,
      families,
    };
  },
  summarize(output) {
    const lines = [
      `${output.url}: ${output.familiesTotal} families, ${output.samplesTotal} samples (${output.familiesShown} shown)`,
    ];
    for (const family of output.families.slice(0, 40)) {
      const first = family.samples[0];
      lines.push(`  ${family.name} ${family.type} ×${family.sampleCount}${first ? ` e.g. ${first.value}` : ''}`);
    }
    if (output.truncated) lines.push('  … more samples than maxSamples');
    return lines.join('\n');
  },
});

export const metricsTools = [queryPrometheus, scrapeMetrics] as const;
