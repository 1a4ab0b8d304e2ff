// A server's state under the fleet contract from its recent metric history and the declared rules,
// with the evidence for it: each rule that fired, the metric, its value, the threshold, how long it
// had to hold and how long it did, and the window when one applied. Pure: `now` is passed in.
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { checkProfile, serverId, type Metric, type Profile, type State } from './contract.js';
import { defaultFleetRules, type FleetRules, type ProfileThresholds } from './rules.js';

/** Columnar history, oldest first: `t` in wall ms; metrics as fractions 0..1, load per core, errors/s. */
export interface MetricHistory {
  t: ArrayLike<number>;
  cpu?: ArrayLike<number>;
  memory?: ArrayLike<number>;
  disk?: ArrayLike<number>;
  load?: ArrayLike<number>;
  netErrors?: ArrayLike<number>;
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time HH:MM, e.g. "02:00"');

export const maintenanceWindowSchema = z
  .object({
    name: z.string().min(1).max(120).describe('What the window is for, shown in the evidence.'),
    servers: z.array(z.string()).optional().describe('Server names it covers; with profiles, either matches.'),
    profiles: z.array(z.string()).optional().describe('Contract profiles it covers.'),
    startsAt: z.string().datetime({ offset: true }).optional().describe('A one-off window: ISO start.'),
    endsAt: z.string().datetime({ offset: true }).optional().describe('A one-off window: ISO end.'),
    daily: z
      .object({ from: hhmm, to: hhmm })
      .optional()
      .describe('A recurring window in local time; from > to crosses midnight.'),
    days: z
      .array(z.number().int().min(0).max(6))
      .optional()
      .describe('Local weekdays of a daily window (0 = Sunday); every day if absent.'),
  })
  .describe('A maintenance window: one-off (startsAt/endsAt) or recurring (daily, days).');
export type MaintenanceWindow = z.infer<typeof maintenanceWindowSchema>;

export interface ClassifyOptions {
  rules?: FleetRules;
  /** Minutes east of UTC for time-of-day windows (morning spike, daily maintenance); 0 if absent. */
  timezoneOffsetMinutes?: number;
  maintenance?: readonly MaintenanceWindow[];
  /** False when the scrape target is known down (Prometheus `up == 0`). */
  up?: boolean;
}

export interface Evidence {
  rule: string;
  metric: Metric | 'samples' | 'schedule' | 'target';
  value: number;
  threshold: number;
  forMinutes: number;
  heldMinutes?: number;
  window?: string;
}

export interface Classification {
  name: string;
  serverId: string;
  profile: Profile;
  state: State;
  evidence: Evidence[];
  latest: Partial<Record<Metric, number>>;
  lastSampleAt: number | null;
}

const minute = 60_000;
const minutesOf = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

function localClock(now: number, offsetMinutes: number): { minuteOfDay: number; weekday: number } {
  const local = new Date(now + offsetMinutes * minute);
  return { minuteOfDay: local.getUTCHours() * 60 + local.getUTCMinutes(), weekday: local.getUTCDay() };
}

function inDaily(minuteOfDay: number, from: string, to: string): boolean {
  const a = minutesOf(from);
  const b = minutesOf(to);
  return a <= b ? minuteOfDay >= a && minuteOfDay < b : minuteOfDay >= a || minuteOfDay < b;
}

function activeMaintenance(
  name: string,
  profile: Profile,
  now: number,
  offset: number,
  windows: readonly MaintenanceWindow[],
): MaintenanceWindow | undefined {
  const { minuteOfDay, weekday } = localClock(now, offset);
  return windows.find((w) => {
    const scoped = w.servers !== undefined || w.profiles !== undefined;
    const covers = !scoped || w.servers?.includes(name) === true || w.profiles?.includes(profile) === true;
    if (!covers) return false;
    if (w.startsAt && w.endsAt) return now >= Date.parse(w.startsAt) && now < Date.parse(w.endsAt);
    if (w.daily)
      return (w.days === undefined || w.days.includes(weekday)) && inDaily(minuteOfDay, w.daily.from, w.daily.to);
    return false;
  });
}

/** The sampling step in ms: the smallest gap among the last few samples. */
function stepOf(t: ArrayLike<number>): number {
  let step = Infinity;
  for (let i = Math.max(1, t.length - 6); i < t.length; i++) step = Math.min(step, t[i]! - t[i - 1]!);
  return Number.isFinite(step) && step > 0 ? step : minute;
}

/**
 * How long (minutes) `test` has held up to sample `end`: the consecutive samples back from `end`
 * that pass, each counting one step; a gap over 2.5 steps breaks the run.
 */
function heldAt(
  t: ArrayLike<number>,
  v: ArrayLike<number> | undefined,
  end: number,
  step: number,
  test: (x: number) => boolean,
): number {
  if (!v) return 0;
  let i = end;
  while (i >= 0 && test(v[i]!) && (i === end || t[i + 1]! - t[i]! <= 2.5 * step)) i--;
  return i === end ? 0 : (t[end]! - t[i + 1]! + step) / minute;
}

interface Check {
  rule: string;
  metric: Metric;
  above: boolean;
  threshold: number;
  forMinutes: number;
}

function criticalChecks(p: ProfileThresholds): Check[] {
  const f = p.criticalForMinutes;
  return [
    { rule: 'critical_cpu', metric: 'cpu', above: true, threshold: p.criticalCpu, forMinutes: f },
    { rule: 'critical_memory', metric: 'memory', above: true, threshold: p.criticalMemory, forMinutes: f },
    { rule: 'critical_disk', metric: 'disk', above: true, threshold: p.criticalDisk, forMinutes: f },
    { rule: 'critical_net_errors', metric: 'netErrors', above: true, threshold: p.criticalNetErrors, forMinutes: f },
  ];
}

function heavyChecks(p: ProfileThresholds): Check[] {
  const f = p.heavyForMinutes;
  return [
    { rule: 'heavy_cpu', metric: 'cpu', above: true, threshold: p.heavyCpu, forMinutes: f },
    { rule: 'heavy_memory', metric: 'memory', above: true, threshold: p.heavyMemory, forMinutes: f },
    { rule: 'heavy_load', metric: 'load', above: true, threshold: p.heavyLoad, forMinutes: f },
  ];
}

function fired(h: MetricHistory, end: number, step: number, checks: Check[], window?: string): Evidence[] {
  const out: Evidence[] = [];
  for (const c of checks) {
    const v = h[c.metric];
    const test = c.above ? (x: number) => x > c.threshold : (x: number) => x < c.threshold;
    const held = heldAt(h.t, v, end, step, test);
    if (held > 0 && held + 1e-9 >= c.forMinutes)
      out.push({
        rule: c.rule,
        metric: c.metric,
        value: v![end]!,
        threshold: c.threshold,
        forMinutes: c.forMinutes,
        heldMinutes: held,
        ...(window ? { window } : {}),
      });
  }
  return out;
}

/** Checks that `history` is usable: same lengths, finite ascending times. */
function checkHistory(h: MetricHistory, field: string): void {
  const n = h.t.length;
  for (const m of ['cpu', 'memory', 'disk', 'load', 'netErrors'] as const) {
    const v = h[m];
    if (v && v.length !== n)
      throw new InputError(`${field}.${m}`, `has ${v.length} values for ${n} timestamps; give one value per sample`);
  }
  for (let i = 1; i < n; i++)
    if (!(h.t[i]! > h.t[i - 1]!))
      throw new InputError(
        `${field}.t`,
        `timestamps must be strictly increasing (sample ${i}); sort the samples and drop duplicates`,
      );
}

export function classify(
  server: { name: string; profile: string },
  history: MetricHistory,
  now: number,
  options: ClassifyOptions = {},
  field = 'server',
): Classification {
  const profile = checkProfile(server.profile, `${field}.profile`);
  checkHistory(history, `${field}.history`);
  const rules = options.rules ?? defaultFleetRules;
  const p = rules.profiles[profile];
  const offset = options.timezoneOffsetMinutes ?? 0;
  const n = history.t.length;
  const end = n - 1;
  const latest: Partial<Record<Metric, number>> = {};
  if (n > 0)
    for (const m of ['cpu', 'memory', 'disk', 'load', 'netErrors'] as const) {
      const v = history[m]?.[end];
      if (v !== undefined && Number.isFinite(v)) latest[m] = v;
    }
  const step = stepOf(history.t);
  const found = new Map<State, Evidence[]>();

  const window = activeMaintenance(server.name, profile, now, offset, options.maintenance ?? []);
  if (window)
    found.set('maintenance', [
      { rule: 'maintenance_window', metric: 'schedule', value: 1, threshold: 1, forMinutes: 0, window: window.name },
    ]);

  const age = n > 0 ? (now - history.t[end]!) / minute : Infinity;
  if (options.up === false)
    found.set('offline', [{ rule: 'target_down', metric: 'target', value: 0, threshold: 1, forMinutes: 0 }]);
  else if (n === 0)
    found.set('offline', [
      { rule: 'no_samples', metric: 'samples', value: 0, threshold: 1, forMinutes: p.offlineAfterMinutes },
    ]);
  else if (age > p.offlineAfterMinutes)
    found.set('offline', [
      {
        rule: 'stale_samples',
        metric: 'samples',
        value: age,
        threshold: p.offlineAfterMinutes,
        forMinutes: p.offlineAfterMinutes,
      },
    ]);

  if (n > 0) {
    const critical = criticalChecks(p);
    const now_ = fired(history, end, step, critical);
    if (now_.length > 0) found.set('critical_issue', now_);
    else {
      // Recovery: the latest earlier sample at which a critical condition had held long enough.
      const since = history.t[end]! - p.recoveryMinutes * minute;
      for (let i = end - 1; i >= 0 && history.t[i]! >= since; i--) {
        const was = fired(history, i, step, critical);
        if (was.length > 0) {
          const ago = (history.t[end]! - history.t[i]!) / minute;
          found.set('recovery', [
            {
              rule: 'was_critical',
              metric: was[0]!.metric,
              value: ago,
              threshold: p.recoveryMinutes,
              forMinutes: was[0]!.forMinutes,
              heldMinutes: was[0]!.heldMinutes!,
            },
          ]);
          break;
        }
      }
    }
    const { minuteOfDay } = localClock(now, offset);
    if (inDaily(minuteOfDay, p.spikeFrom, p.spikeTo)) {
      const spike = fired(
        history,
        end,
        step,
        [
          {
            rule: 'morning_spike_cpu',
            metric: 'cpu',
            above: true,
            threshold: p.spikeBaselineCpu,
            forMinutes: p.spikeForMinutes,
          },
        ],
        `${p.spikeFrom}–${p.spikeTo} local (UTC${offset >= 0 ? '+' : '−'}${Math.abs(offset)} min)`,
      );
      if (spike.length > 0) found.set('morning_spike', spike);
    }
    const heavy = fired(history, end, step, heavyChecks(p));
    if (heavy.length > 0) found.set('heavy_load', heavy);
    const idle = fired(history, end, step, [
      { rule: 'idle_cpu', metric: 'cpu', above: false, threshold: p.idleCpu, forMinutes: p.idleForMinutes },
    ]);
    if (idle.length > 0) found.set('idle', idle);
  }
  const evidenceHealthy = (): Evidence[] =>
    (['cpu', 'memory', 'disk'] as const)
      .filter((m) => latest[m] !== undefined)
      .map((m) => ({
        rule: 'within_thresholds',
        metric: m,
        value: latest[m]!,
        threshold: m === 'cpu' ? p.heavyCpu : m === 'memory' ? p.heavyMemory : p.criticalDisk,
        forMinutes: 0,
      }));
  found.set('healthy', evidenceHealthy());
  const state = rules.precedence.find((s) => found.has(s)) ?? 'healthy';
  return {
    name: server.name,
    serverId: serverId(server.name),
    profile,
    state,
    evidence: found.get(state)!,
    latest,
    lastSampleAt: n > 0 ? history.t[end]! : null,
  };
}
