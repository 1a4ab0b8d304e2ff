// A client for a real Prometheus server's HTTP API (/api/v1): instant queries, range queries with a
// points cap, the active scrape targets and the rules it evaluates. Values come back as numbers (NaN
// and ±Inf kept), times as wall ms. Bad PromQL is the caller's to fix (InputError on `query` with
// Prometheus's own words); an unreachable server, a timeout or an odd answer is a ToolError naming
// the URL without credentials.
import { InputError, ToolError } from '../../errors.js';
import { parseFloatText, type Labels } from './exposition.js';
import { httpGet, type FetchFunction } from './http-source.js';

export interface PrometheusSettings {
  url: string;
  timeoutMs: number;
  /** Sent as Authorization: Bearer; never shown. Basic auth goes in the URL as user:password@. */
  bearerToken?: string;
}

export interface PrometheusClientOptions {
  fetch?: FetchFunction;
  signal?: AbortSignal;
  /** Largest answer accepted, default 8 MiB. */
  maxBytes?: number;
  /** Most points one range query may return over all its series, default 100,000. */
  maxPoints?: number;
}

export interface InstantSeries {
  labels: Labels;
  value: number;
  /** Evaluation time, wall ms. */
  at: number;
}

export interface InstantResult {
  resultType: 'vector' | 'scalar' | 'matrix' | 'string';
  /** vector: one entry per series; scalar: one entry without labels. */
  series: InstantSeries[];
  warnings: string[];
}

export interface RangeSeries {
  labels: Labels;
  points: { at: number; value: number }[];
}

export interface RangeResult {
  series: RangeSeries[];
  startMs: number;
  endMs: number;
  stepS: number;
  points: number;
  warnings: string[];
}

export interface PrometheusTarget {
  /** The `instance` label: the server as Prometheus names it. */
  instance: string;
  job: string;
  /** All target labels (instance, job, and any such as profile). */
  labels: Labels;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
  scrapeUrl: string;
  /** The scrape config (job_name) it came from. */
  scrapePool: string;
  /** Seconds the last scrape took. */
  lastScrapeDurationS: number;
  /** As configured, e.g. "15s"; empty from a server too old to say. */
  scrapeInterval: string;
}

export interface PrometheusRule {
  group: string;
  file: string;
  name: string;
  type: 'alerting' | 'recording';
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError: string;
  /** RFC 3339, as Prometheus gives it. */
  lastEvaluation: string;
  evaluationTimeS: number;
  labels: Labels;
  /** Alerting rules only: inactive, pending or firing. */
  state?: 'inactive' | 'pending' | 'firing';
  /** Alerting rules only: the `for` duration in seconds. */
  forS?: number;
  alerts: { labels: Labels; state: string; activeAt: string; value: string }[];
}

/** Prometheus refuses a range query of more than 11,000 points per series. */
export const prometheusMaxPointsPerSeries = 11_000;
export const defaultPrometheusMaxBytes = 8 * 1024 * 1024;
export const defaultMaxRangePoints = 100_000;

interface ApiEnvelope {
  status?: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

type RawSample = [number, string];

export class PrometheusClient {
  readonly shownUrl: string;

  constructor(
    private readonly settings: PrometheusSettings,
    private readonly options: PrometheusClientOptions = {},
  ) {
    this.shownUrl = this.redacted();
  }

  private redacted(): string {
    try {
      const url = new URL(this.settings.url);
      url.username = url.username ? '***' : '';
      url.password = '';
      return url.toString();
    } catch {
      return '(an invalid URL)';
    }
  }

  private async call(path: string, parameters: Record<string, string>): Promise<ApiEnvelope> {
    const url = new URL(path, this.settings.url.replace(/\/?$/, '/'));
    for (const [key, value] of Object.entries(parameters)) url.searchParams.set(key, value);
    const answer = await httpGet(
      url.toString(),
      {
        timeoutMs: this.settings.timeoutMs,
        maxBytes: this.options.maxBytes ?? defaultPrometheusMaxBytes,
        accept: 'application/json',
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
        ...(this.settings.bearerToken ? { bearerToken: this.settings.bearerToken } : {}),
      },
      true,
    ).catch((error: unknown) => {
      // Name the server, not the query string (it may be long).
      if (error instanceof ToolError)
        throw new ToolError(error.code, error.message.replace(url.search, '').replace(/^/, 'Prometheus: '), {
          cause: error,
        });
      throw error;
    });
    let envelope: ApiEnvelope | undefined;
    try {
      envelope = JSON.parse(answer.body) as ApiEnvelope;
    } catch {
      envelope = undefined;
    }
    const where = `Prometheus at ${this.shownUrl} (${path})`;
    if (envelope?.status === 'error') {
      const detail = `${envelope.errorType ?? 'error'}: ${envelope.error ?? ''}`.slice(0, 500);
      if ((answer.status === 400 || answer.status === 422) && path.includes('query'))
        throw new InputError('query', `Prometheus rejected the query (${detail}); fix the PromQL`);
      if (envelope.errorType === 'timeout')
        throw new ToolError('TIMEOUT', `${where} timed out evaluating the query: ${detail}`);
      throw new ToolError('UNAVAILABLE', `${where} answered ${answer.status}: ${detail}`);
    }
    if (answer.status < 200 || answer.status >= 300)
      throw new ToolError('UNAVAILABLE', `${where} answered ${answer.status}: ${answer.body.slice(0, 200).trim()}`);
    if (envelope?.status !== 'success')
      throw new ToolError('UNAVAILABLE', `${where} answered something that is not the Prometheus API's JSON`);
    return envelope;
  }

  /** An instant query at `timeMs` (default: the server's now). */
  async instantQuery(query: string, timeMs?: number): Promise<InstantResult> {
    const parameters: Record<string, string> = { query };
    if (timeMs !== undefined) parameters.time = (timeMs / 1000).toString();
    const envelope = await this.call('api/v1/query', parameters);
    const data = envelope.data as { resultType: InstantResult['resultType']; result: unknown };
    const warnings = envelope.warnings ?? [];
    if (data.resultType === 'scalar' || data.resultType === 'string') {
      const [at, value] = data.result as RawSample;
      return {
        resultType: data.resultType,
        series: [{ labels: {}, value: parseFloatText(value), at: at * 1000 }],
        warnings,
      };
    }
    if (data.resultType === 'matrix')
      throw new InputError('query', 'the query returns a range vector; use a range query, or wrap it in a function');
    const result = data.result as { metric: Labels; value: RawSample }[];
    return {
      resultType: 'vector',
      series: result.map((entry) => ({
        labels: entry.metric,
        value: parseFloatText(entry.value[1]),
        at: entry.value[0] * 1000,
      })),
      warnings,
    };
  }

  /** A range query from `startMs` to `endMs` every `stepS` seconds; refused before sending if it would exceed the points caps. */
  async rangeQuery(query: string, range: { startMs: number; endMs: number; stepS: number }): Promise<RangeResult> {
    const { startMs, endMs, stepS } = range;
    if (!(stepS > 0)) throw new InputError('step', 'must be more than 0 seconds');
    if (!(endMs > startMs)) throw new InputError('end', 'must be after start');
    const perSeries = Math.floor((endMs - startMs) / 1000 / stepS) + 1;
    if (perSeries > prometheusMaxPointsPerSeries)
      throw new InputError(
        'step',
        `${perSeries} points per series is over Prometheus's ${prometheusMaxPointsPerSeries}; use a larger step or a shorter range`,
      );
    const envelope = await this.call('api/v1/query_range', {
      query,
      start: (startMs / 1000).toString(),
      end: (endMs / 1000).toString(),
      step: stepS.toString(),
    });
    const data = envelope.data as { result: { metric: Labels; values: RawSample[] }[] };
    const maxPoints = this.options.maxPoints ?? defaultMaxRangePoints;
    let points = 0;
    const series: RangeSeries[] = [];
    for (const entry of data.result) {
      points += entry.values.length;
      if (points > maxPoints)
        throw new ToolError(
          'TOOL_FAILED',
          `the range query returned more than ${maxPoints} points (maxPoints); narrow it with label matchers, a larger step or a shorter range`,
        );
      series.push({
        labels: entry.metric,
        points: entry.values.map(([at, value]) => ({ at: at * 1000, value: parseFloatText(value) })),
      });
    }
    return { series, startMs, endMs, stepS, points, warnings: envelope.warnings ?? [] };
  }

  /** The active scrape targets with their labels and health. */
  async targets(): Promise<PrometheusTarget[]> {
    const envelope = await this.call('api/v1/targets', { state: 'active' });
    const data = envelope.data as {
      activeTargets?: {
        labels: Labels;
        health: string;
        lastError: string;
        lastScrape: string;
        scrapeUrl: string;
        scrapePool?: string;
        lastScrapeDuration?: number;
        scrapeInterval?: string;
      }[];
    };
    return (data.activeTargets ?? []).map((target) => ({
      instance: target.labels.instance ?? '',
      job: target.labels.job ?? '',
      labels: target.labels,
      health: target.health === 'up' || target.health === 'down' ? target.health : 'unknown',
      lastError: target.lastError ?? '',
      lastScrape: target.lastScrape ?? '',
      scrapeUrl: redactScrapeUrl(target.scrapeUrl ?? ''),
      scrapePool: target.scrapePool ?? '',
      lastScrapeDurationS: typeof target.lastScrapeDuration === 'number' ? target.lastScrapeDuration : 0,
      scrapeInterval: target.scrapeInterval ?? '',
    }));
  }

  /** The recording and alerting rules Prometheus evaluates, group by group, with their health and alerts. */
  async rules(): Promise<PrometheusRule[]> {
    const envelope = await this.call('api/v1/rules', {});
    const data = envelope.data as { groups?: { name?: string; file?: string; rules?: RawRule[] }[] };
    return (data.groups ?? []).flatMap((group) => (group.rules ?? []).map((rule) => ruleOf(group, rule)));
  }
}

interface RawRule {
  name?: string;
  query?: string;
  type?: string;
  health?: string;
  lastError?: string;
  lastEvaluation?: string;
  evaluationTime?: number;
  labels?: Labels;
  state?: string;
  duration?: number;
  alerts?: { labels?: Labels; state?: string; activeAt?: string; value?: string }[];
}

function ruleOf(group: { name?: string; file?: string }, rule: RawRule): PrometheusRule {
  const alerting = rule.type === 'alerting';
  const state = rule.state === 'firing' || rule.state === 'pending' ? rule.state : 'inactive';
  return {
    group: group.name ?? '',
    file: group.file ?? '',
    name: rule.name ?? '',
    type: alerting ? 'alerting' : 'recording',
    query: rule.query ?? '',
    health: rule.health === 'ok' || rule.health === 'err' ? rule.health : 'unknown',
    lastError: rule.lastError ?? '',
    lastEvaluation: rule.lastEvaluation ?? '',
    evaluationTimeS: typeof rule.evaluationTime === 'number' ? rule.evaluationTime : 0,
    labels: rule.labels ?? {},
    ...(alerting ? { state, forS: typeof rule.duration === 'number' ? rule.duration : 0 } : {}),
    alerts: (rule.alerts ?? []).map((alert) => ({
      labels: alert.labels ?? {},
      state: alert.state ?? '',
      activeAt: alert.activeAt ?? '',
      value: alert.value ?? '',
    })),
  };
}

function redactScrapeUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}
