// The classifier under the declared per-profile rules: each of the 8 states from metric histories,
// with its evidence; durations, the morning window in a configured timezone, maintenance windows,
// staleness, recovery; and the same data read differently by different profiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, type MetricHistory } from '../../tools/monitoring/fleet/classify.js';
import { serverId } from '../../tools/monitoring/fleet/contract.js';
import { rulesWithOverrides } from '../../tools/monitoring/fleet/rules.js';

const minute = 60_000;
/** Thursday 2026-12-03 12:00 UTC: outside every morning window at UTC+0. */
const noon = Date.parse('2026-12-03T12:00:00Z');

/** 5-minute samples ending at `end`; each metric array is oldest first, missing metrics stay calm. */
function history(
  end: number,
  metrics: Partial<Record<'cpu' | 'memory' | 'disk' | 'load' | 'netErrors', number[]>>,
): MetricHistory {
  const n = Math.max(...Object.values(metrics).map((v) => v.length));
  const calm = { cpu: 0.3, memory: 0.5, disk: 0.4, load: 0.4, netErrors: 0 };
  const column = (m: keyof typeof calm) => Float64Array.from({ length: n }, (_, i) => metrics[m]?.[i] ?? calm[m]);
  return {
    t: Float64Array.from({ length: n }, (_, i) => end - (n - 1 - i) * 5 * minute),
    cpu: column('cpu'),
    memory: column('memory'),
    disk: column('disk'),
    load: column('load'),
    netErrors: column('netErrors'),
  };
}
const repeat = (value: number, n: number) => Array.from({ length: n }, () => value);
const server = (profile: string, name = `${profile}-1`) => ({ name, profile });

test('healthy servers report the latest values against their thresholds, and their stable id', () => {
  const r = classify(server('generic', 'gen-1'), history(noon, { cpu: repeat(0.3, 12) }), noon);
  assert.equal(r.state, 'healthy');
  assert.equal(r.serverId, serverId('gen-1'));
  assert.deepEqual(
    r.evidence.map((e) => [e.rule, e.metric, e.value, e.threshold]),
    [
      ['within_thresholds', 'cpu', 0.3, 0.85],
      ['within_thresholds', 'memory', 0.5, 0.9],
      ['within_thresholds', 'disk', 0.4, 0.95],
    ],
  );
});

test('heavy_load needs CPU above 0.85 for 10 minutes, not 5', () => {
  const five = classify(server('generic'), history(noon, { cpu: [...repeat(0.3, 10), 0.9] }), noon);
  assert.equal(five.state, 'healthy');
  const ten = classify(server('generic'), history(noon, { cpu: [...repeat(0.3, 10), 0.9, 0.9] }), noon);
  assert.equal(ten.state, 'heavy_load');
  assert.deepEqual(ten.evidence[0], {
    rule: 'heavy_cpu',
    metric: 'cpu',
    value: 0.9,
    threshold: 0.85,
    forMinutes: 10,
    heldMinutes: 10,
  });
  // A gap of 30 minutes in the samples breaks the run.
  const gap = {
    t: [-60, -55, -50, -45, -40, -35, -30, 0].map((m) => noon + m * minute),
    cpu: [0.3, 0.3, 0.3, 0.3, 0.3, 0.9, 0.9, 0.9],
  };
  assert.equal(classify(server('generic'), gap, noon).state, 'healthy');
});

test('critical_issue when memory, disk or CPU is over its limit for 5 minutes; all that hold are evidence', () => {
  const r = classify(
    server('generic'),
    history(noon, { cpu: [...repeat(0.3, 8), 0.98, 0.99], disk: [...repeat(0.4, 8), 0.96, 0.97] }),
    noon,
  );
  assert.equal(r.state, 'critical_issue');
  assert.deepEqual(
    r.evidence.map((e) => e.rule),
    ['critical_cpu', 'critical_disk'],
  );
  assert.equal(r.evidence[1]!.threshold, 0.95);
  assert.equal(r.evidence[1]!.forMinutes, 5);
});

test('profiles read the same data differently: ML hosts tolerate CPU, databases not a filling disk', () => {
  const hot = history(noon, { cpu: repeat(0.98, 6) });
  assert.equal(classify(server('generic'), hot, noon).state, 'critical_issue');
  assert.equal(classify(server('web_api'), hot, noon).state, 'critical_issue');
  assert.equal(classify(server('ml_compute'), hot, noon).state, 'heavy_load');
  const filling = history(noon, { disk: repeat(0.88, 6) });
  assert.equal(classify(server('database'), filling, noon).state, 'critical_issue');
  assert.equal(classify(server('generic'), filling, noon).state, 'healthy');
  assert.equal(classify(server('data_ingest'), filling, noon).state, 'healthy');
  const busy = history(noon, { cpu: repeat(0.78, 6) });
  assert.equal(classify(server('database'), busy, noon).state, 'heavy_load');
  assert.equal(classify(server('generic'), busy, noon).state, 'healthy');
});

test('recovery: critical within the last 30 minutes and below the limits now', () => {
  const r = classify(
    server('generic'),
    history(noon, { cpu: [...repeat(0.3, 4), ...repeat(0.99, 3), ...repeat(0.4, 4)] }),
    noon,
  );
  assert.equal(r.state, 'recovery');
  assert.equal(r.evidence[0]!.rule, 'was_critical');
  assert.equal(r.evidence[0]!.value, 20, 'minutes since it was last critical');
  assert.equal(r.evidence[0]!.threshold, 30);
  const later = classify(server('generic'), history(noon, { cpu: [...repeat(0.99, 3), ...repeat(0.4, 8)] }), noon);
  assert.equal(later.state, 'healthy', '40 minutes ago is past the recovery window');
});

test('morning_spike: CPU above the baseline inside 07:30–10:00 local, in the configured timezone', () => {
  const at = Date.parse('2026-12-03T07:45:00Z');
  const cpu = [...repeat(0.2, 8), ...repeat(0.65, 4)];
  const utc = classify(server('generic'), history(at, { cpu }), at);
  assert.equal(utc.state, 'morning_spike');
  assert.equal(utc.evidence[0]!.window, '07:30–10:00 local (UTC+0 min)');
  assert.equal(utc.evidence[0]!.threshold, 0.5);
  // 07:45 UTC is 06:45 in UTC−1: before the window, and 0.65 is no heavy load.
  assert.equal(classify(server('generic'), history(at, { cpu }), at, { timezoneOffsetMinutes: -60 }).state, 'healthy');
  // The same load at noon is not a morning spike.
  assert.equal(classify(server('generic'), history(noon, { cpu }), noon).state, 'healthy');
  // risk_analytics' window is 07:00–09:30 and its baseline 0.6.
  const early = Date.parse('2026-12-03T07:15:00Z');
  assert.equal(classify(server('risk_analytics'), history(early, { cpu }), early).state, 'morning_spike');
  assert.equal(classify(server('generic'), history(early, { cpu }), early).state, 'healthy');
  // Critical still wins inside the window.
  assert.equal(classify(server('generic'), history(at, { cpu: repeat(0.99, 6) }), at).state, 'critical_issue');
});

test('idle: CPU under 0.05 for 30 minutes', () => {
  assert.equal(classify(server('generic'), history(noon, { cpu: repeat(0.02, 6) }), noon).state, 'idle');
  const r = classify(server('generic'), history(noon, { cpu: repeat(0.02, 5) }), noon);
  assert.equal(r.state, 'healthy', '25 minutes is not enough');
  assert.equal(classify(server('data_ingest'), history(noon, { cpu: repeat(0.02, 6) }), noon).state, 'healthy');
});

test('offline: no samples, samples older than 10 minutes, or the target down', () => {
  const empty = classify(server('generic'), { t: [] }, noon);
  assert.equal(empty.state, 'offline');
  assert.equal(empty.evidence[0]!.rule, 'no_samples');
  const stale = classify(server('generic'), history(noon - 15 * minute, { cpu: repeat(0.3, 6) }), noon);
  assert.equal(stale.state, 'offline');
  assert.deepEqual(
    [stale.evidence[0]!.rule, stale.evidence[0]!.value, stale.evidence[0]!.threshold],
    ['stale_samples', 15, 10],
  );
  assert.equal(classify(server('generic'), history(noon - 5 * minute, { cpu: repeat(0.3, 6) }), noon).state, 'healthy');
  assert.equal(
    classify(server('generic'), history(noon, { cpu: repeat(0.3, 6) }), noon, { up: false }).state,
    'offline',
  );
});

test('maintenance windows: one-off or daily in local time, scoped by server or profile, win over offline', () => {
  const down = { t: [] };
  const nightly = { name: 'db patching', profiles: ['database'], daily: { from: '23:30', to: '01:00' } };
  const night = Date.parse('2026-12-03T00:15:00Z');
  const r = classify(server('database'), down, night, { maintenance: [nightly] });
  assert.equal(r.state, 'maintenance');
  assert.deepEqual(r.evidence[0], {
    rule: 'maintenance_window',
    metric: 'schedule',
    value: 1,
    threshold: 1,
    forMinutes: 0,
    window: 'db patching',
  });
  assert.equal(
    classify(server('generic'), down, night, { maintenance: [nightly] }).state,
    'offline',
    'other profiles are not covered',
  );
  assert.equal(
    classify(server('database'), down, noon, { maintenance: [nightly] }).state,
    'offline',
    'outside the window',
  );
  // 12:00 UTC is 23:45 at UTC+11:45, inside the window.
  assert.equal(
    classify(server('database'), down, noon, { maintenance: [nightly], timezoneOffsetMinutes: 705 }).state,
    'maintenance',
  );
  const oneOff = {
    name: 'rack move',
    servers: ['web-7'],
    startsAt: '2026-12-03T11:00:00Z',
    endsAt: '2026-12-03T13:00:00Z',
  };
  assert.equal(classify(server('web_api', 'web-7'), down, noon, { maintenance: [oneOff] }).state, 'maintenance');
  assert.equal(classify(server('web_api', 'web-8'), down, noon, { maintenance: [oneOff] }).state, 'offline');
  const weekends = { name: 'weekend', daily: { from: '00:00', to: '23:59' }, days: [0, 6] };
  assert.equal(classify(server('generic'), down, noon, { maintenance: [weekends] }).state, 'offline', 'a Thursday');
});

test('overridden thresholds change the state; unknown profiles and unsorted samples are refused', () => {
  const busy = history(noon, { cpu: repeat(0.8, 4) });
  assert.equal(classify(server('generic'), busy, noon).state, 'healthy');
  const rules = rulesWithOverrides({ generic: { heavyCpu: 0.75 } });
  assert.equal(classify(server('generic'), busy, noon, { rules }).state, 'heavy_load');
  assert.throws(
    () => classify(server('gpu_box'), busy, noon),
    /server\.profile: "gpu_box" is not a profile of the fleet contract v1\.0\.0 \(hash [0-9a-f]{12}\)/,
  );
  assert.throws(() => classify(server('generic'), { t: [2, 1] }, noon), /strictly increasing/);
  assert.throws(
    () => classify(server('generic'), { t: [1, 2], cpu: [0.1] }, noon),
    /server\.history\.cpu: has 1 values for 2 timestamps/,
  );
});
