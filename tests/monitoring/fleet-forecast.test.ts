// Forecasts: the additive Holt-Winters recursions (against a textbook implementation written out here,
// and against statsmodels' ExponentialSmoothing when python3-statsmodels is installed), the EWMA
// fallback and its control limits, MASE, and rolling-origin accuracy on a synthetic fleet with daily
// and weekly seasonality and injected incidents: MASE < 1, better than seasonal naive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  ewmaForecast,
  fitHoltWinters,
  forecastSeries,
  holtWinters,
  holtWintersForecast,
  initialState,
  mase,
  seasonalNaive,
} from '../../tools/monitoring/fleet/forecast.js';
import { generateFleet, seededRandom } from '../../tools/monitoring/fleet/synthetic-fleet.js';
import { assessFleet, HoltWintersParamsCache } from '../../tools/monitoring/fleet/assess-fleet.js';

/** Hyndman's additive Holt-Winters with explicit l, b, s arrays indexed by time (s[t − m]). */
function textbook(y: number[], m: number, a: number, b: number, g: number, h: number) {
  const init = initialState(y, m);
  const l = [init.level];
  const tr = [init.trend];
  const s = Array.from(init.season); // s[0..m-1] are s_{−m+1..0}
  const fitted: number[] = [];
  for (let t = 0; t < y.length; t++) {
    fitted.push(l[t]! + tr[t]! + s[t]!);
    l.push(a * (y[t]! - s[t]!) + (1 - a) * (l[t]! + tr[t]!));
    tr.push(b * (l[t + 1]! - l[t]!) + (1 - b) * tr[t]!);
    s.push(g * (y[t]! - l[t]! - tr[t]!) + (1 - g) * s[t]!);
  }
  const n = y.length;
  const forecast = Array.from({ length: h }, (_, i) => l[n]! + (i + 1) * tr[n]! + s[n + (i % m)]!);
  return { fitted, forecast, init };
}

function seasonalSeries(n: number, m: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, t) => 10 + 0.01 * t + 3 * Math.sin((2 * Math.PI * t) / m) + random() - 0.5);
}

test('Holt-Winters runs the additive recursions and forecasts each step from its own phase', () => {
  const m = 12;
  const y = seasonalSeries(100, m, 4);
  const params = { alpha: 0.3, beta: 0.05, gamma: 0.2 };
  const fit = holtWinters(y, m, params);
  const reference = textbook(y, m, 0.3, 0.05, 0.2, 30);
  reference.fitted.forEach((v, t) => assert.ok(Math.abs(fit.fitted[t]! - v) < 1e-12, `fitted ${t}`));
  const { point, lower, upper } = holtWintersForecast(fit, 30, 2);
  reference.forecast.forEach((v, i) => assert.ok(Math.abs(point[i]! - v) < 1e-12, `forecast ${i}`));
  point.forEach((p, i) => assert.ok(lower[i]! < p && p < upper[i]!));
  const sse = reference.fitted.reduce((sum, f, t) => sum + (y[t]! - f) ** 2, 0);
  assert.ok(Math.abs(fit.sse - sse) < 1e-9);
});

const statsmodels = spawnSync('python3', ['-c', 'import statsmodels'], { encoding: 'utf8' });
const noStatsmodels =
  statsmodels.status === 0
    ? false
    : 'python3-statsmodels is not installed here (import statsmodels failed); apt-get install python3-statsmodels to run this parity check';

test('matches statsmodels ExponentialSmoothing at fixed parameters to 1e-6', { skip: noStatsmodels }, () => {
  const m = 24;
  const y = seasonalSeries(24 * 8, m, 9);
  const params = { alpha: 0.25, beta: 0.03, gamma: 0.15 };
  const fit = holtWinters(y, m, params);
  const ours = holtWintersForecast(fit, 48);
  const init = initialState(y, m);
  const script = `
import json, sys
from statsmodels.tsa.holtwinters import ExponentialSmoothing
d = json.load(sys.stdin)
model = ExponentialSmoothing(d['y'], trend='add', seasonal='add', seasonal_periods=d['m'],
  initialization_method='known', initial_level=d['level'], initial_trend=d['trend'], initial_seasonal=d['season'])
r = model.fit(smoothing_level=d['a'], smoothing_trend=d['b'], smoothing_seasonal=d['g'], optimized=False)
print(json.dumps({'fitted': list(r.fittedvalues), 'forecast': list(r.forecast(48))}))
`;
  const input = JSON.stringify({
    y,
    m,
    level: init.level,
    trend: init.trend,
    season: Array.from(init.season),
    a: 0.25,
    b: 0.03,
    g: 0.15,
  });
  const theirs = JSON.parse(execFileSync('python3', ['-c', script], { input, encoding: 'utf8' })) as {
    fitted: number[];
    forecast: number[];
  };
  theirs.fitted.forEach((v, t) =>
    assert.ok(Math.abs(fit.fitted[t]! - v) < 1e-6, `fitted ${t}: ${fit.fitted[t]} vs ${v}`),
  );
  theirs.forecast.forEach((v, i) => assert.ok(Math.abs(ours.point[i]! - v) < 1e-6, `forecast ${i}`));
});

test('MASE scales the error by the in-sample seasonal-naive error', () => {
  // Seasonal differences (lag 2) of the training are all 2; the forecast is off by 1 once in 2 steps.
  assert.equal(mase([7, 8], [6, 8], [1, 2, 3, 4, 5, 6], 2), 0.25);
  assert.ok(Number.isNaN(mase([1], [1], [5, 5, 5], 1)));
  assert.deepEqual(seasonalNaive([1, 2, 3, 4, 5, 6], 3, 5), [4, 5, 6, 4, 5]);
});

test('the method is chosen by the history: EWMA under two seasons, Holt-Winters from two', () => {
  const short = forecastSeries(seasonalSeries(40, 24, 1), { period: 24, horizon: 6 });
  assert.equal(short.method, 'ewma');
  assert.match(short.reason, /40 points are under two seasons \(48\)/);
  const long = forecastSeries(seasonalSeries(48, 24, 1), { period: 24, horizon: 6 });
  assert.equal(long.method, 'holt-winters');
  assert.ok(long.params);
  assert.throws(
    () => forecastSeries(seasonalSeries(40, 24, 1), { period: 24, horizon: 6, method: 'holt-winters' }),
    /values: Holt-Winters needs two seasons \(48 points\) and has 40/,
  );
  assert.throws(() => forecastSeries([1, NaN, 2], { period: 2, horizon: 1 }), /values\.1: is not a finite number/);
});

test('EWMA forecasts flat at the smoothed value within control limits', () => {
  const { point, lower, upper } = ewmaForecast([1, 2, 3, 4], 2, 0.5, 3);
  // z: 1 → 1.5 → 2.25 → 3.125; σ of the series = 1.29099; half = 3σ√(0.5/1.5 · (1 − 0.5^8)).
  assert.deepEqual(point, [3.125, 3.125]);
  const half = 3 * Math.sqrt(5 / 3) * Math.sqrt((1 / 3) * (1 - 0.5 ** 8));
  assert.ok(Math.abs(upper[0]! - 3.125 - half) < 1e-12);
  assert.ok(Math.abs(3.125 - lower[1]! - half) < 1e-12);
});

test('rolling-origin MASE on a synthetic fleet is under 1 and beats seasonal naive', (t) => {
  const fleet = generateFleet({ servers: 14, days: 14, seed: 3 });
  const m = 288; // a day of 5-minute points
  const horizon = 72; // 6 hours
  const report: Record<string, { mean: number; worst: number; seasonalNaive: number }> = {};
  for (const metric of ['cpu', 'memory', 'load'] as const) {
    const perServer: number[] = [];
    const naive: number[] = [];
    for (const server of fleet.servers) {
      const ours: number[] = [];
      const theirs: number[] = [];
      // Parameters are fitted once, at the first origin, and kept (as the fleet does per profile and metric).
      const params = fitHoltWinters(server[metric].subarray(0, 7 * m), m, horizon);
      for (let origin = 7 * m; origin + horizon <= fleet.t.length; origin += m / 2) {
        const training = server[metric].subarray(0, origin);
        const actual = server[metric].subarray(origin, origin + horizon);
        const f = forecastSeries(training, { period: m, horizon, params });
        assert.equal(f.method, 'holt-winters');
        ours.push(mase(actual, f.point, training, m));
        theirs.push(mase(actual, seasonalNaive(training, m, horizon), training, m));
      }
      perServer.push(ours.reduce((a, b) => a + b) / ours.length);
      naive.push(theirs.reduce((a, b) => a + b) / theirs.length);
    }
    const mean = perServer.reduce((a, b) => a + b) / perServer.length;
    const seasonal = naive.reduce((a, b) => a + b) / naive.length;
    report[metric] = { mean, worst: Math.max(...perServer), seasonalNaive: seasonal };
    assert.ok(mean < 1, `${metric}: mean MASE ${mean.toFixed(3)}`);
    assert.ok(mean < seasonal, `${metric}: ${mean.toFixed(3)} vs seasonal naive ${seasonal.toFixed(3)}`);
  }
  t.diagnostic(JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' ? +v.toFixed(3) : v)));
});

test('fitting on the forecast horizon picks smoother parameters than one-step SSE on autocorrelated noise', () => {
  const fleet = generateFleet({ servers: 1, days: 7, seed: 5, spikeRate: 0, shiftRate: 0 });
  const y = fleet.servers[0]!.cpu;
  const oneStep = fitHoltWinters(y, 288, 1);
  const sixHours = fitHoltWinters(y, 288, 72);
  assert.ok(sixHours.alpha < oneStep.alpha, `${JSON.stringify(sixHours)} vs ${JSON.stringify(oneStep)}`);
});

test('Brutlag bands hold most of the next day and flag an injected spike', () => {
  // Monday to Thursday, forecasting Friday (a weekday after weekdays: the weekly effect is not in play).
  const fleet = generateFleet({ servers: 7, days: 5, seed: 8, spikeRate: 0, shiftRate: 0 });
  const m = 288;
  let inside = 0;
  let total = 0;
  for (const server of fleet.servers) {
    const training = server.cpu.subarray(0, 4 * m);
    const f = forecastSeries(training, { period: m, horizon: m });
    for (let i = 0; i < m; i++) {
      const actual = server.cpu[4 * m + i]!;
      if (actual >= f.lower[i]! && actual <= f.upper[i]!) inside++;
      total++;
    }
    const spiked = f.point[100]! + 0.4;
    assert.ok(spiked > f.upper[100]!, 'a +0.4 spike is outside the band');
  }
  assert.ok(inside / total > 0.9, `coverage ${(inside / total).toFixed(3)}`);
});

test('assessFleet classifies every server and forecasts its metrics, fitting once per profile and metric', () => {
  const fleet = generateFleet({ servers: 14, days: 3, seed: 21 });
  const servers = fleet.servers.map((s) => ({
    name: s.name,
    profile: s.profile,
    history: { t: fleet.t, cpu: s.cpu, memory: s.memory, disk: s.disk, load: s.load },
  }));
  const cache = new HoltWintersParamsCache();
  const now = fleet.t[fleet.t.length - 1]! + 60_000;
  const health = assessFleet(servers, now, { cache, horizonHours: 2 });
  assert.equal(health.length, 14);
  assert.equal(cache.fits, 7 * 4, 'two servers per profile, one fit per profile × metric');
  for (const h of health) {
    assert.ok(h.evidence.length > 0);
    assert.deepEqual(Object.keys(h.forecasts), ['cpu', 'memory', 'disk', 'load']);
    assert.equal(h.forecasts.cpu!.method, 'holt-winters');
    assert.equal(h.forecasts.cpu!.point.length, 24);
  }
  assessFleet(servers, now, { cache, horizonHours: 2 });
  assert.equal(cache.fits, 28, 'a second pass reuses the cached parameters');
  const shortHistory = servers.map((s) => ({
    ...s,
    history: { t: fleet.t.subarray(0, 100), cpu: s.history.cpu.subarray(0, 100) },
  }));
  assert.equal(assessFleet(shortHistory, now, { cache })[0]!.forecasts.cpu!.method, 'ewma');
});
