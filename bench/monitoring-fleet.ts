// Fleet health figures (node --import tsx bench/monitoring-fleet.ts):
// 1. Classify + forecast a synthetic fleet of 1,000 servers (4 metrics × 7 days of 5-minute points,
//    2,016 per series; forecast 6 h = 72 steps with Brutlag bands), p50 of 7 runs, against the goal of
//    1 s. Holt-Winters parameters are fitted once per profile × metric (28 fits, timed separately) and
//    cached. Peers in the same run: seasonal-naive forecasting of the same 4,000 series alone (the
//    floor: copying the last day), and EWMA alone.
// 2. Accuracy on the same fleet: the last 6 h of every series held out; mean MASE of Holt-Winters,
//    seasonal naive and EWMA (MASE scaled by the in-sample seasonal-naive error, m = 288).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assessFleet, HoltWintersParamsCache, type FleetServer } from '../tools/monitoring/fleet/assess-fleet.js';
import { ewmaForecast, forecastSeries, mase, seasonalNaive } from '../tools/monitoring/fleet/forecast.js';
import { generateFleet } from '../tools/monitoring/fleet/synthetic-fleet.js';
import { round, summary, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const runs = 7;
const metrics = ['cpu', 'memory', 'disk', 'load'] as const;
const period = 288;
const horizon = 72;

const generated = performance.now();
const fleet = generateFleet({ servers: 1000, days: 7, seed: 42 });
const generateMs = performance.now() - generated;
const servers: FleetServer[] = fleet.servers.map((s) => ({
  name: s.name,
  profile: s.profile,
  history: { t: fleet.t, cpu: s.cpu, memory: s.memory, disk: s.disk, load: s.load, netErrors: s.netErrors },
}));
const now = fleet.t[fleet.t.length - 1]! + 60_000;

const cache = new HoltWintersParamsCache();
const fitStarted = performance.now();
for (const s of servers) for (const m of metrics) cache.get(s.profile, m, s.history[m]!, period, horizon);
const fitMs = performance.now() - fitStarted;

function time(work: () => void): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return times;
}

let states: Record<string, number> = {};
const ours = time(() => {
  const result = assessFleet(servers, now, { cache, metrics, horizonHours: 6 });
  states = {};
  for (const r of result) states[r.state] = (states[r.state] ?? 0) + 1;
});
const naiveTimes = time(() => {
  for (const s of servers) for (const m of metrics) seasonalNaive(s.history[m]!, period, horizon);
});
const ewmaTimes = time(() => {
  for (const s of servers) for (const m of metrics) ewmaForecast(s.history[m]!, horizon);
});

// Accuracy: hold out the last 6 hours.
const accuracy: Record<string, { holtWinters: number; seasonalNaive: number; ewma: number; holtWintersWorst: number }> =
  {};
for (const m of ['cpu', 'memory', 'load'] as const) {
  const hw: number[] = [];
  const sn: number[] = [];
  const ew: number[] = [];
  for (const s of fleet.servers) {
    const training = s[m].subarray(0, s[m].length - horizon);
    const actual = s[m].subarray(s[m].length - horizon);
    const params = cache.get(s.profile, m, s[m], period, horizon);
    hw.push(mase(actual, forecastSeries(training, { period, horizon, params }).point, training, period));
    sn.push(mase(actual, seasonalNaive(training, period, horizon), training, period));
    ew.push(mase(actual, ewmaForecast(training, horizon).point, training, period));
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y) / a.length;
  accuracy[m] = {
    holtWinters: round(mean(hw)),
    seasonalNaive: round(mean(sn)),
    ewma: round(mean(ew)),
    holtWintersWorst: round(Math.max(...hw)),
  };
}

const p50 = summary(ours).p50;
const result = {
  fleet: {
    servers: 1000,
    metrics: metrics.length,
    pointsPerSeries: fleet.t.length,
    stepMinutes: 5,
    horizonSteps: horizon,
  },
  generateMs: round(generateMs),
  fitOnceMs: round(fitMs),
  fits: cache.fits,
  classifyAndForecastMs: summary(ours),
  seasonalNaiveOnlyMs: summary(naiveTimes),
  ewmaOnlyMs: summary(ewmaTimes),
  goalMs: 1000,
  meetsGoal: p50 <= 1000,
  ratioToSeasonalNaive: round(p50 / summary(naiveTimes).p50, 2),
  ratioToEwma: round(p50 / summary(ewmaTimes).p50, 2),
  states,
  holdoutMase: accuracy,
};

process.stdout.write(
  table('Classify + forecast 1,000 servers (4 metrics × 2,016 points, 6 h ahead), ms', [
    { work: 'classify + Holt-Winters (cached params)', ...summary(ours) },
    { work: 'seasonal naive only (floor)', ...summary(naiveTimes) },
    { work: 'EWMA only', ...summary(ewmaTimes) },
  ]) +
    `one-off fit: ${cache.fits} profile × metric fits in ${round(fitMs)} ms; goal ≤ 1000 ms: ${result.meetsGoal ? 'met' : 'NOT met'}\n\n` +
    table(
      'Holdout MASE (last 6 h; < 1 beats in-sample seasonal naive)',
      Object.entries(accuracy).map(([metric, a]) => ({ metric, ...a })),
    ) +
    `states: ${JSON.stringify(states)}\n`,
);
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
await writeFile(path.join(root, 'bench', 'results', 'monitoring-fleet.json'), JSON.stringify(result, null, 2) + '\n');
