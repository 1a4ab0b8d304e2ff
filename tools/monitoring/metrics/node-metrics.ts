// The standard node_exporter derivations per server, from either source:
//   cpu        1 − rate(node_cpu_seconds_total{mode="idle"}) averaged over the CPUs (0..1)
//   memory     1 − MemAvailable/MemTotal, or 1 − (MemFree+Buffers+Cached)/MemTotal on kernels without MemAvailable
//   disk       1 − avail/size, the fullest real filesystem (tmpfs, overlay and the like left out)
//   load       node_load1 per CPU
//   netErrors  receive + transmit errors per second over all interfaces
// (a) from Prometheus by PromQL, per `instance`, now or as history at a step (for forecasting);
// (b) from two scrapes of an exposition endpoint, rates from the counters' deltas over the interval.
// A metric that cannot be derived is null, with the reason; each one that can shows how it was derived.
import type { Labels, MetricFamily } from './exposition.js';
import type { PrometheusClient, RangeSeries } from './prometheus-api.js';
import { scrapeExposition, type Scrape, type ScrapeOptions } from './scrape.js';

export const nodeMetricNames = ['cpu', 'memory', 'disk', 'load', 'netErrors'] as const;
export type NodeMetricName = (typeof nodeMetricNames)[number];
export type NodeMetrics = Record<NodeMetricName, number | null>;

export interface ServerReading {
  /** The server: Prometheus's `instance` label, or the name given for a scraped endpoint. */
  server: string;
  /** When the values hold, wall ms. */
  at: number;
  source: 'prometheus' | 'exposition';
  metrics: NodeMetrics;
  /** Why each null metric is null. */
  missing: Partial<Record<NodeMetricName, string>>;
  /** How each metric was derived: the PromQL, or the formula with the scrape interval. */
  evidence: Partial<Record<NodeMetricName, string>>;
  /** Exposition source: the seconds between the two scrapes the rates come from. */
  intervalS?: number;
}

export interface ServerHistory {
  server: string;
  source: 'prometheus';
  startMs: number;
  endMs: number;
  stepS: number;
  series: Record<NodeMetricName, { at: number; value: number }[]>;
  missing: Partial<Record<NodeMetricName, string>>;
  evidence: Partial<Record<NodeMetricName, string>>;
}

/** Filesystems that are not disks: memory-backed, layered, read-only images, FUSE. */
const notDisks = 'tmpfs|devtmpfs|ramfs|overlay|squashfs|iso9660|nsfs|autofs|fuse\\\\..*';
const notDiskPattern = /^(tmpfs|devtmpfs|ramfs|overlay|squashfs|iso9660|nsfs|autofs|fuse\..*)$/;

/** The PromQL for each metric; `window` is the rate window, e.g. 5m. */
export function nodeQueries(window = '5m'): Record<NodeMetricName, string> {
  const disk = `fstype!~"${notDisks}"`;
  return {
    cpu: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[${window}]))`,
    memory:
      `label_replace(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes, "basis", "MemAvailable", "", "")` +
      ` or on (instance) label_replace(1 - (node_memory_MemFree_bytes + node_memory_Buffers_bytes + node_memory_Cached_bytes) / node_memory_MemTotal_bytes, "basis", "MemFree+Buffers+Cached", "", "")`,
    disk: `max by (instance) (1 - node_filesystem_avail_bytes{${disk}} / (node_filesystem_size_bytes{${disk}} > 0))`,
    load: `max by (instance) (node_load1) / on (instance) count by (instance) (node_cpu_seconds_total{mode="idle"})`,
    netErrors: `sum by (instance) (rate(node_network_receive_errs_total[${window}]) + rate(node_network_transmit_errs_total[${window}]))`,
  };
}

const missingInPrometheus: Record<NodeMetricName, string> = {
  cpu: 'no node_cpu_seconds_total{mode="idle"} with two samples in the rate window',
  memory: 'no node_memory_MemTotal_bytes with MemAvailable (or MemFree, Buffers and Cached)',
  disk: 'no real filesystem (node_filesystem_avail_bytes and _size_bytes, tmpfs and the like left out)',
  load: 'no node_load1 or no CPU count from node_cpu_seconds_total',
  netErrors: 'no node_network_receive_errs_total / transmit_errs_total with two samples in the rate window',
};

function emptyMetrics(): NodeMetrics {
  return { cpu: null, memory: null, disk: null, load: null, netErrors: null };
}

function finish(reading: ServerReading): ServerReading {
  for (const name of nodeMetricNames) if (reading.metrics[name] === null) reading.missing[name] ??= 'not derived';
  return reading;
}

/**
 * Every server's metrics now (or at `timeMs`) from Prometheus. rate() divides by its whole `window`
 * (default 5m), so a Prometheus holding less history than the window reads rates low: pass a shorter
 * one. One entry per `instance` seen in any answer, plus one for each name in `servers` that has none (all null, with reasons).
 */
export async function readNodeMetricsFromPrometheus(
  client: PrometheusClient,
  options: { timeMs?: number; window?: string; servers?: string[]; now?: () => number } = {},
): Promise<ServerReading[]> {
  const queries = nodeQueries(options.window);
  const answers = await Promise.all(nodeMetricNames.map((name) => client.instantQuery(queries[name], options.timeMs)));
  const readings = new Map<string, ServerReading>();
  const reading = (server: string, at: number) => {
    let entry = readings.get(server);
    if (!entry) {
      entry = { server, at, source: 'prometheus', metrics: emptyMetrics(), missing: {}, evidence: {} };
      readings.set(server, entry);
    }
    return entry;
  };
  nodeMetricNames.forEach((name, index) => {
    for (const series of answers[index]?.series ?? []) {
      const server = series.labels.instance;
      if (server === undefined) continue;
      const entry = reading(server, series.at);
      entry.metrics[name] = Number.isFinite(series.value) ? series.value : null;
      if (entry.metrics[name] === null) entry.missing[name] = `Prometheus answered ${series.value}`;
      entry.evidence[name] = name === 'memory' ? `${queries[name]} (basis ${series.labels.basis})` : queries[name];
    }
  });
  // Servers with no answer at all hold at the query's time: Prometheus's, else the caller's clock.
  const at =
    answers.find((answer) => answer.series.length > 0)?.series[0]?.at ?? options.timeMs ?? (options.now ?? Date.now)();
  for (const server of options.servers ?? []) reading(server, at);
  for (const entry of readings.values())
    for (const name of nodeMetricNames)
      if (entry.metrics[name] === null) entry.missing[name] ??= missingInPrometheus[name];
  return [...readings.values()].map(finish).sort((a, b) => a.server.localeCompare(b.server));
}

/** A literal for an RE2 alternative inside a PromQL double-quoted string. */
function escapeRegex(text: string): string {
  return text.replace(/[\\.^$|?*+()[\]{}]/g, (c) => `\\\\${c}`).replace(/"/g, '\\"');
}

/** Every server's metric history from `startMs` to `endMs` every `stepS` seconds, for forecasting. */
export async function readNodeHistoryFromPrometheus(
  client: PrometheusClient,
  range: { startMs: number; endMs: number; stepS: number; window?: string; servers?: string[]; only?: boolean },
): Promise<ServerHistory[]> {
  const queries = nodeQueries(range.window);
  // With `only`, Prometheus returns the named instances' series alone (the rest of a large fleet stays there).
  const filter =
    range.only && range.servers && range.servers.length > 0
      ? ` and on (instance) up{instance=~"${range.servers.map(escapeRegex).join('|')}"}`
      : '';
  const answers = await Promise.all(
    nodeMetricNames.map((name) =>
      client.rangeQuery(filter ? `(${queries[name]})${filter}` : queries[name], {
        startMs: range.startMs,
        endMs: range.endMs,
        stepS: range.stepS,
      }),
    ),
  );
  const histories = new Map<string, ServerHistory>();
  const history = (server: string) => {
    let entry = histories.get(server);
    if (!entry) {
      entry = {
        server,
        source: 'prometheus',
        startMs: range.startMs,
        endMs: range.endMs,
        stepS: range.stepS,
        series: { cpu: [], memory: [], disk: [], load: [], netErrors: [] },
        missing: {},
        evidence: {},
      };
      histories.set(server, entry);
    }
    return entry;
  };
  nodeMetricNames.forEach((name, index) => {
    const series: RangeSeries[] = answers[index]?.series ?? [];
    for (const entry of series) {
      const server = entry.labels.instance;
      if (server === undefined) continue;
      const target = history(server);
      target.series[name].push(...entry.points.filter((point) => Number.isFinite(point.value)));
      target.series[name].sort((a, b) => a.at - b.at);
      target.evidence[name] = queries[name];
    }
  });
  for (const server of range.servers ?? []) history(server);
  for (const entry of histories.values())
    for (const name of nodeMetricNames)
      if (entry.series[name].length === 0) entry.missing[name] = missingInPrometheus[name];
  return [...histories.values()].sort((a, b) => a.server.localeCompare(b.server));
}

function family(scrape: Scrape, name: string): MetricFamily | undefined {
  return scrape.families.find((candidate) => candidate.name === name);
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

/** Per-series increase of a counter between two scrapes; a reset counts from zero, as Prometheus does. */
function increases(first: Scrape, second: Scrape, name: string, keep: (labels: Labels) => boolean) {
  const before = new Map<string, number>();
  for (const sample of family(first, name)?.samples ?? [])
    if (sample.name === name && keep(sample.labels)) before.set(seriesKey(sample.labels), sample.value);
  const result: { labels: Labels; increase: number }[] = [];
  for (const sample of family(second, name)?.samples ?? []) {
    if (sample.name !== name || !keep(sample.labels)) continue;
    const previous = before.get(seriesKey(sample.labels));
    if (previous === undefined) continue;
    const increase = sample.value >= previous ? sample.value - previous : sample.value;
    result.push({ labels: sample.labels, increase });
  }
  return result;
}

function gauge(scrape: Scrape, name: string): number | undefined {
  return family(scrape, name)?.samples.find((sample) => sample.name === name)?.value;
}

/** One server's metrics from two scrapes of its node_exporter, `first` taken before `second`. */
export function deriveNodeMetrics(server: string, first: Scrape, second: Scrape): ServerReading {
  const intervalS = (second.at - first.at) / 1000;
  const reading: ServerReading = {
    server,
    at: second.at,
    source: 'exposition',
    metrics: emptyMetrics(),
    missing: {},
    evidence: {},
    intervalS,
  };
  const interval = `${intervalS.toFixed(2)} s between scrapes of ${second.url}`;
  if (!(intervalS > 0)) {
    for (const name of ['cpu', 'netErrors'] as const)
      reading.missing[name] = 'the two scrapes are not apart in time; rates need an interval';
  } else {
    const idle = increases(first, second, 'node_cpu_seconds_total', (labels) => labels.mode === 'idle');
    if (idle.length > 0) {
      const meanIdle = idle.reduce((sum, entry) => sum + entry.increase, 0) / idle.length / intervalS;
      reading.metrics.cpu = Math.min(1, Math.max(0, 1 - meanIdle));
      reading.evidence.cpu = `1 - mean over ${idle.length} CPUs of Δnode_cpu_seconds_total{mode="idle"} / ${interval}`;
    } else reading.missing.cpu = 'node_cpu_seconds_total{mode="idle"} is not in both scrapes';
    const errors = [
      ...increases(first, second, 'node_network_receive_errs_total', () => true),
      ...increases(first, second, 'node_network_transmit_errs_total', () => true),
    ];
    if (errors.length > 0) {
      reading.metrics.netErrors = errors.reduce((sum, entry) => sum + entry.increase, 0) / intervalS;
      reading.evidence.netErrors = `Σ Δnode_network_{receive,transmit}_errs_total over ${errors.length / 2} interfaces / ${interval}`;
    } else reading.missing.netErrors = 'node_network_receive_errs_total is not in both scrapes';
  }
  const total = gauge(second, 'node_memory_MemTotal_bytes');
  const available = gauge(second, 'node_memory_MemAvailable_bytes');
  const free = gauge(second, 'node_memory_MemFree_bytes');
  const buffers = gauge(second, 'node_memory_Buffers_bytes');
  const cached = gauge(second, 'node_memory_Cached_bytes');
  if (total && available !== undefined) {
    reading.metrics.memory = 1 - available / total;
    reading.evidence.memory = '1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes';
  } else if (total && free !== undefined && buffers !== undefined && cached !== undefined) {
    reading.metrics.memory = 1 - (free + buffers + cached) / total;
    reading.evidence.memory =
      '1 - (node_memory_MemFree_bytes + node_memory_Buffers_bytes + node_memory_Cached_bytes) / node_memory_MemTotal_bytes';
  } else reading.missing.memory = missingInPrometheus.memory;
  const sizes = new Map<string, number>();
  for (const sample of family(second, 'node_filesystem_size_bytes')?.samples ?? [])
    if (!notDiskPattern.test(sample.labels.fstype ?? '') && sample.value > 0)
      sizes.set(seriesKey(sample.labels), sample.value);
  let fullest: { use: number; mountpoint: string } | undefined;
  for (const sample of family(second, 'node_filesystem_avail_bytes')?.samples ?? []) {
    const size = sizes.get(seriesKey(sample.labels));
    if (size === undefined) continue;
    const use = 1 - sample.value / size;
    if (!fullest || use > fullest.use) fullest = { use, mountpoint: sample.labels.mountpoint ?? '?' };
  }
  if (fullest) {
    reading.metrics.disk = fullest.use;
    reading.evidence.disk = `max over ${sizes.size} filesystems of 1 - node_filesystem_avail_bytes / node_filesystem_size_bytes (fullest: ${fullest.mountpoint})`;
  } else reading.missing.disk = missingInPrometheus.disk;
  const load1 = gauge(second, 'node_load1');
  const cpus = new Set(
    (family(second, 'node_cpu_seconds_total')?.samples ?? [])
      .filter((sample) => sample.labels.mode === 'idle')
      .map((sample) => sample.labels.cpu),
  ).size;
  if (load1 !== undefined && cpus > 0) {
    reading.metrics.load = load1 / cpus;
    reading.evidence.load = `node_load1 / ${cpus} CPUs`;
  } else reading.missing.load = missingInPrometheus.load;
  return finish(reading);
}

/** Waits `ms`, or rejects when `signal` aborts; the timer never holds the process open. */
function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Scrapes `url` twice, `intervalMs` apart (default 2 s), and derives the server's metrics from the pair. */
export async function readNodeMetricsFromEndpoint(
  server: string,
  url: string,
  options: ScrapeOptions & { intervalMs?: number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<ServerReading> {
  const { intervalMs = 2_000, sleep = sleepFor, ...scrapeOptions } = options;
  const first = await scrapeExposition(url, scrapeOptions);
  await sleep(intervalMs, options.signal);
  const second = await scrapeExposition(url, scrapeOptions);
  return deriveNodeMetrics(server, first, second);
}

export interface DiscoveredServer {
  /** The target's `instance` label. */
  name: string;
  /** The target's `profile` label, when it has one; the caller maps the rest. */
  profile: string | undefined;
  job: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  labels: Labels;
}

/** The fleet as Prometheus scrapes it: one server per `instance` (optionally of one `job`), up if any of its targets is. */
export async function discoverServers(
  client: PrometheusClient,
  options: { job?: string } = {},
): Promise<DiscoveredServer[]> {
  const servers = new Map<string, DiscoveredServer>();
  for (const target of await client.targets()) {
    if (options.job !== undefined && target.job !== options.job) continue;
    if (target.instance === '') continue;
    const known = servers.get(target.instance);
    if (known) {
      if (target.health === 'up') known.health = 'up';
      known.profile ??= target.labels.profile;
      continue;
    }
    servers.set(target.instance, {
      name: target.instance,
      profile: target.labels.profile,
      job: target.job,
      health: target.health,
      lastError: target.lastError,
      labels: target.labels,
    });
  }
  return [...servers.values()].sort((a, b) => a.name.localeCompare(b.name));
}
