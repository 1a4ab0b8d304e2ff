// The fleet in one pass, for getFleetHealth: each server classified (state + evidence) and each of its
// metrics forecast for the next hours. Fitting Holt-Winters is the costly part, so parameters are fitted
// once per (profile, metric) on the first series with enough history and cached; every other series
// runs the recursion once with them. That keeps 1,000 servers × 4 metrics × a week of 5-minute points
// well under a second.
import { classify, type Classification, type ClassifyOptions, type MetricHistory } from './classify.js';
import type { Metric } from './contract.js';
import { fitHoltWinters, forecastSeries, type ForecastResult, type HoltWintersParams } from './forecast.js';

/** Fitted parameters per `${profile}/${metric}`; keep one across calls to fit once per process. */
export class HoltWintersParamsCache {
  private readonly fitted = new Map<string, HoltWintersParams>();
  fits = 0;
  get(profile: string, metric: string, series: ArrayLike<number>, period: number, horizon: number): HoltWintersParams {
    const key = `${profile}/${metric}/${period}/${horizon}`;
    let params = this.fitted.get(key);
    if (!params) {
      params = fitHoltWinters(series, period, horizon);
      this.fitted.set(key, params);
      this.fits++;
    }
    return params;
  }
  entries(): [string, HoltWintersParams][] {
    return [...this.fitted];
  }
}

export interface FleetServer {
  name: string;
  profile: string;
  history: MetricHistory;
  up?: boolean;
}

export interface AssessOptions extends ClassifyOptions {
  /** Minutes between samples (the series are taken as evenly spaced); default 5. */
  stepMinutes?: number;
  horizonHours?: number;
  seasonHours?: number;
  metrics?: readonly Metric[];
  cache?: HoltWintersParamsCache;
  delta?: number;
}

export interface ServerHealth extends Classification {
  forecasts: Partial<Record<Metric, ForecastResult>>;
}

export function assessFleet(servers: readonly FleetServer[], now: number, options: AssessOptions = {}): ServerHealth[] {
  const step = options.stepMinutes ?? 5;
  const period = Math.round(((options.seasonHours ?? 24) * 60) / step);
  const horizon = Math.max(1, Math.round(((options.horizonHours ?? 6) * 60) / step));
  const metrics = options.metrics ?? (['cpu', 'memory', 'disk', 'load'] as const);
  const cache = options.cache ?? new HoltWintersParamsCache();
  return servers.map((server, i) => {
    const health = classify(
      server,
      server.history,
      now,
      { ...options, ...(server.up === undefined ? {} : { up: server.up }) },
      `servers.${i}`,
    );
    const forecasts: Partial<Record<Metric, ForecastResult>> = {};
    for (const metric of metrics) {
      const series = server.history[metric];
      if (!series || series.length === 0) continue;
      const seasonal = series.length >= 2 * period;
      const params = seasonal ? cache.get(health.profile, metric, series, period, horizon) : undefined;
      forecasts[metric] = forecastSeries(
        series,
        { period, horizon, ...(params ? { params } : {}), ...(options.delta ? { delta: options.delta } : {}) },
        `servers.${i}.history.${metric}`,
      );
    }
    return { ...health, forecasts };
  });
}

/**
 * Each server's state at each of `times` (ascending, the last one the evaluation time): the same
 * `classify` at each time, from the history up to that time (zero-copy views of it), null where there
 * is none yet. The last point is classified exactly as assessFleet does (the whole history, and the
 * target's `up`, which is known for now only), so it equals the server's state.
 */
export function fleetTimeline(
  servers: readonly FleetServer[],
  times: readonly number[],
  options: ClassifyOptions = {},
): (Classification['state'] | null)[][] {
  const last = times.length - 1;
  const metricKeys = ['cpu', 'memory', 'disk', 'load', 'netErrors'] as const;
  return servers.map((server, i) => {
    const h = server.history;
    const t = h.t instanceof Float64Array ? h.t : Float64Array.from(h.t);
    const columns = metricKeys.flatMap((metric) => {
      const values = h[metric];
      if (values === undefined) return [];
      return [[metric, values instanceof Float64Array ? values : Float64Array.from(values)] as const];
    });
    const states = new Array<Classification['state'] | null>(times.length);
    let m = 0;
    for (let k = 0; k < times.length; k++) {
      if (k === last) {
        const now = classify(
          server,
          h,
          times[k]!,
          { ...options, ...(server.up === undefined ? {} : { up: server.up }) },
          `servers.${i}`,
        );
        states[k] = now.state;
        break;
      }
      while (m < t.length && t[m]! <= times[k]!) m++;
      if (m === 0) {
        states[k] = null;
        continue;
      }
      const view: MetricHistory = { t: t.subarray(0, m) };
      for (const [metric, values] of columns) view[metric] = values.subarray(0, m);
      states[k] = classify(server, view, times[k]!, options, `servers.${i}`).state;
    }
    return states;
  });
}
