// Forecasts for one metric series: additive seasonal Holt-Winters (level, trend, season) with
// Brutlag's deviation bands when there are two seasons of history, otherwise an EWMA with control-
// limit bands (EWMA lags a seasonal signal, so it is the fallback, and the result says which ran and
// why). Parameters are fixed or fitted by a small grid on one-step SSE; fitting is the expensive part,
// so fleet-wide callers fit once per profile and metric and pass the parameters in.
import { InputError } from '../../errors.js';

export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
}

export interface HoltWintersInit {
  level: number;
  trend: number;
  /** One value per phase, for observations 0 … period−1. */
  season: ArrayLike<number>;
}

export interface HoltWintersFit {
  params: HoltWintersParams;
  period: number;
  /** One-step predictions ŷ_t for every observation. */
  fitted: Float64Array;
  level: number;
  trend: number;
  /** The latest seasonal term per phase (index = observation index mod period). */
  season: Float64Array;
  /** Brutlag's smoothed absolute deviation per phase. */
  deviation: Float64Array;
  sse: number;
  n: number;
}

/** The classic start: the first season's mean, the mean change between the first two seasons, the first season's offsets. */
export function initialState(y: ArrayLike<number>, period: number): HoltWintersInit {
  let first = 0;
  let second = 0;
  for (let i = 0; i < period; i++) {
    first += y[i]!;
    second += y[i + period]!;
  }
  first /= period;
  second /= period;
  const season = new Float64Array(period);
  for (let i = 0; i < period; i++) season[i] = y[i]! - first;
  return { level: first, trend: (second - first) / period, season };
}

/**
 * Runs the additive recursions of statsmodels' ExponentialSmoothing (trend='add', seasonal='add'):
 *   ŷ_t = l_{t−1} + b_{t−1} + s_{t−m}
 *   l_t = α(y_t − s_{t−m}) + (1−α)(l_{t−1} + b_{t−1})
 *   b_t = β(l_t − l_{t−1}) + (1−β)b_{t−1}
 *   s_t = γ(y_t − l_{t−1} − b_{t−1}) + (1−γ)s_{t−m}
 * and Brutlag's d_t = γ|y_t − ŷ_t| + (1−γ)d_{t−m}.
 */
export function holtWinters(
  y: ArrayLike<number>,
  period: number,
  params: HoltWintersParams,
  init: HoltWintersInit = initialState(y, period),
  keepFitted = true,
): HoltWintersFit {
  const { alpha, beta, gamma } = params;
  const n = y.length;
  const season = Float64Array.from(init.season);
  const deviation = new Float64Array(period);
  // Deviations start at the mean absolute seasonal difference over the first season: a scale, not zero.
  let scale = 0;
  const pairs = Math.min(period, n - period);
  for (let i = 0; i < pairs; i++) scale += Math.abs(y[i + period]! - y[i]!);
  deviation.fill(pairs > 0 ? scale / pairs : 0);
  const fitted = keepFitted ? new Float64Array(n) : new Float64Array(0);
  let level = init.level;
  let trend = init.trend;
  let sse = 0;
  let phase = 0;
  for (let t = 0; t < n; t++) {
    const s = season[phase]!;
    const base = level + trend;
    const predicted = base + s;
    const value = y[t]!;
    const error = value - predicted;
    sse += error * error;
    if (keepFitted) fitted[t] = predicted;
    const nextLevel = alpha * (value - s) + (1 - alpha) * base;
    trend = beta * (nextLevel - level) + (1 - beta) * trend;
    season[phase] = gamma * (value - base) + (1 - gamma) * s;
    deviation[phase] = gamma * Math.abs(error) + (1 - gamma) * deviation[phase]!;
    level = nextLevel;
    phase = phase + 1 === period ? 0 : phase + 1;
  }
  return { params, period, fitted, level, trend, season, deviation, sse, n };
}

/** Forecast `horizon` steps after the fit, with Brutlag bands ŷ ± δ·d at each step's phase. */
export function holtWintersForecast(fit: HoltWintersFit, horizon: number, delta = 3): Band {
  const point = new Array<number>(horizon);
  const lower = new Array<number>(horizon);
  const upper = new Array<number>(horizon);
  for (let h = 1; h <= horizon; h++) {
    const phase = (fit.n + h - 1) % fit.period;
    const p = fit.level + h * fit.trend + fit.season[phase]!;
    point[h - 1] = p;
    lower[h - 1] = p - delta * fit.deviation[phase]!;
    upper[h - 1] = p + delta * fit.deviation[phase]!;
  }
  return { point, lower, upper };
}

export interface Band {
  point: number[];
  lower: number[];
  upper: number[];
}

const grid = {
  alpha: [0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5],
  beta: [0, 0.005, 0.02],
  gamma: [0.05, 0.1, 0.2, 0.35],
};

/**
 * Sum of squared errors of the h-step-ahead forecasts made along the series (h = 1 is the usual
 * one-step SSE). Fitting on the horizon that will be asked for matters: on autocorrelated noise the
 * one-step SSE picks a large α that chases the noise and forecasts hours ahead worse than a small one.
 */
export function horizonSse(
  y: ArrayLike<number>,
  period: number,
  params: HoltWintersParams,
  h: number,
  init: HoltWintersInit = initialState(y, period),
): number {
  const { alpha, beta, gamma } = params;
  const season = Float64Array.from(init.season);
  const pending = new Float64Array(h);
  let level = init.level;
  let trend = init.trend;
  let sse = 0;
  let phase = 0;
  for (let t = 0; t < y.length; t++) {
    const value = y[t]!;
    if (t >= h + period) {
      const e = value - pending[t % h]!;
      sse += e * e;
    }
    const s = season[phase]!;
    const base = level + trend;
    const nextLevel = alpha * (value - s) + (1 - alpha) * base;
    trend = beta * (nextLevel - level) + (1 - beta) * trend;
    season[phase] = gamma * (value - base) + (1 - gamma) * s;
    level = nextLevel;
    phase = phase + 1 === period ? 0 : phase + 1;
    pending[t % h] = level + h * trend + season[(t + h) % period]!;
  }
  return sse;
}

/**
 * The grid point (84 of them) with the least squared error of its `horizon`-step forecasts
 * (capped at one period; 1 gives the classic one-step SSE). One pass of the recursion each.
 */
export function fitHoltWinters(y: ArrayLike<number>, period: number, horizon = 1): HoltWintersParams {
  const h = Math.max(1, Math.min(horizon, period));
  const init = initialState(y, period);
  let best: HoltWintersParams = { alpha: 0.1, beta: 0.01, gamma: 0.1 };
  let bestSse = Infinity;
  for (const alpha of grid.alpha)
    for (const beta of grid.beta)
      for (const gamma of grid.gamma) {
        const sse = horizonSse(y, period, { alpha, beta, gamma }, h, init);
        if (sse < bestSse) {
          bestSse = sse;
          best = { alpha, beta, gamma };
        }
      }
  return best;
}

/** EWMA z_t = λx_t + (1−λ)z_{t−1}, forecast flat at z_n, with control limits z_n ± Lσ√(λ/(2−λ)·[1−(1−λ)^{2n}]). */
export function ewmaForecast(y: ArrayLike<number>, horizon: number, lambda = 0.2, width = 3): Band {
  const n = y.length;
  let z = y[0]!;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    z = lambda * y[i]! + (1 - lambda) * z;
    variance += (y[i]! - mean) ** 2;
  }
  const sigma = n > 1 ? Math.sqrt(variance / (n - 1)) : 0;
  const half = width * sigma * Math.sqrt((lambda / (2 - lambda)) * (1 - (1 - lambda) ** (2 * n)));
  const point = new Array<number>(horizon).fill(z);
  return { point, lower: point.map((p) => p - half), upper: point.map((p) => p + half) };
}

/** Seasonal naive: each step repeats the value one period earlier. */
export function seasonalNaive(y: ArrayLike<number>, period: number, horizon: number): number[] {
  const n = y.length;
  const m = Math.min(period, n);
  return Array.from({ length: horizon }, (_, i) => y[n - m + (i % m)]!);
}

/**
 * MASE (Hyndman & Koehler): the forecast's mean absolute error over the in-sample mean absolute
 * error of the seasonal-naive one-step forecast (lag `period`; lag 1 if the training is too short).
 * Below 1: better than seasonal naive did in-sample. NaN when the training series is constant.
 */
export function mase(
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  training: ArrayLike<number>,
  period: number,
): number {
  const lag = training.length > period ? period : 1;
  let scale = 0;
  for (let t = lag; t < training.length; t++) scale += Math.abs(training[t]! - training[t - lag]!);
  scale /= training.length - lag;
  let error = 0;
  const h = Math.min(actual.length, forecast.length);
  for (let i = 0; i < h; i++) error += Math.abs(actual[i]! - forecast[i]!);
  return scale > 0 ? error / h / scale : NaN;
}

export type ForecastMethod = 'holt-winters' | 'ewma';

export interface ForecastOptions {
  /** Season length in steps (e.g. 288 for a day of 5-minute points). */
  period: number;
  horizon: number;
  method?: ForecastMethod | 'auto';
  /** Holt-Winters parameters, or 'fit' for the grid; default 'fit'. */
  params?: HoltWintersParams | 'fit';
  /** Brutlag band width δ; default 3. */
  delta?: number;
  ewmaLambda?: number;
  ewmaWidth?: number;
}

export interface ForecastResult extends Band {
  method: ForecastMethod;
  reason: string;
  params?: HoltWintersParams;
  ewma?: { lambda: number; width: number };
}

export const forecastBudgets = { maxPoints: 100_000, maxHorizon: 10_000 };

export function forecastSeries(y: ArrayLike<number>, options: ForecastOptions, field = 'values'): ForecastResult {
  const { period, horizon } = options;
  if (y.length === 0) throw new InputError(field, 'is empty; give at least one value');
  if (y.length > forecastBudgets.maxPoints)
    throw new InputError(
      field,
      `has ${y.length} points, over the budget of ${forecastBudgets.maxPoints}; downsample or shorten it`,
    );
  if (horizon > forecastBudgets.maxHorizon)
    throw new InputError(
      'horizon',
      `${horizon} steps is over the budget of ${forecastBudgets.maxHorizon}; forecast fewer steps`,
    );
  for (let i = 0; i < y.length; i++)
    if (!Number.isFinite(y[i]!))
      throw new InputError(`${field}.${i}`, 'is not a finite number; drop or fill gaps first');
  const enough = period >= 2 && y.length >= 2 * period;
  const method = options.method && options.method !== 'auto' ? options.method : enough ? 'holt-winters' : 'ewma';
  if (method === 'holt-winters') {
    if (!enough)
      throw new InputError(
        field,
        `Holt-Winters needs two seasons (${2 * period} points) and has ${y.length}; give more history or use method ewma`,
      );
    const params = options.params && options.params !== 'fit' ? options.params : fitHoltWinters(y, period, horizon);
    const fit = holtWinters(y, period, params, undefined, false);
    return {
      method,
      reason: options.method === 'holt-winters' ? 'requested' : `${y.length} points cover two seasons of ${period}`,
      params,
      ...holtWintersForecast(fit, horizon, options.delta ?? 3),
    };
  }
  const lambda = options.ewmaLambda ?? 0.2;
  const width = options.ewmaWidth ?? 3;
  return {
    method,
    reason:
      options.method === 'ewma'
        ? 'requested'
        : `${y.length} points are under two seasons (${2 * period}); Holt-Winters needs them`,
    ewma: { lambda, width },
    ...ewmaForecast(y, horizon, lambda, width),
  };
}
