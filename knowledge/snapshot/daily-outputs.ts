// The daily outputs, comparing a snapshot with the one before it: scanner_signals.json (schema
// below, versioned), daily_risk_report.md for a person, and threshold alerts: a scenario probability
// that moved more than 5 percentage points, or a country whose HMM state changed. Every snapshot
// keeps its regime states and scenario probabilities, so this history is what the alerts compare.
import { z } from 'zod';
import { countryByIso3 } from './catalogue/countries.js';
import { statisticByName } from './catalogue/statistics.js';
import { fromColumnar, type ColumnarObservations } from './columnar.js';
import path from 'node:path';
import { readSnapshot, type SnapshotManifest } from './snapshot-archive.js';
import type { CountryRegime, StateName } from './regimes/country-regimes.js';

export const signalsSchemaVersion = '1.0';
export const scenarioAlertPp = 5;
/** Position size per regime (the peer's regime multiplier weights). */
export const regimeMultipliers: Readonly<Record<StateName, number>> = { tranquil: 1, turbulent: 0.6, crisis: 0.2 };

const probabilities = z.object({ tranquil: z.number(), turbulent: z.number(), crisis: z.number() });

export const alertSchema = z.object({
  kind: z
    .enum(['regime_change', 'scenario_probability'])
    .describe('regime_change: the HMM state changed; scenario_probability: a scenario moved more than the threshold'),
  severity: z.enum(['high', 'medium']).describe('high when the move is toward crisis'),
  country: z.string().describe('ISO-3'),
  scenario: z.string().optional().describe('scenario id for scenario_probability alerts'),
  from: z.union([z.string(), z.number()]).describe('previous state or probability'),
  to: z.union([z.string(), z.number()]).describe('current state or probability'),
  deltaPp: z.number().optional().describe('change in percentage points'),
  message: z.string(),
});

export const moverSchema = z.object({
  country: z.string(),
  stat: z.string(),
  unit: z.string(),
  previous: z.number(),
  current: z.number(),
  previousPeriod: z.string(),
  currentPeriod: z.string(),
  change: z.number(),
  /** The change in standard deviations of the stat's own history. */
  zScore: z.number(),
});

export const scannerSignalsSchema = z.object({
  schemaVersion: z.literal(signalsSchemaVersion),
  generatedAt: z.string().describe('ISO time the signals were computed'),
  snapshot: z.object({ name: z.string(), createdAt: z.string() }),
  previous: z
    .object({ name: z.string(), createdAt: z.string() })
    .nullable()
    .describe('null for the first snapshot: nothing to compare'),
  thresholds: z.object({ scenarioDeltaPp: z.number(), regimeChange: z.literal(true) }),
  countries: z.array(
    z.object({
      iso3: z.string(),
      name: z.string(),
      regime: z
        .enum(['tranquil', 'turbulent', 'crisis'])
        .nullable()
        .describe('null when the regime model had too little data'),
      previousRegime: z.enum(['tranquil', 'turbulent', 'crisis']).nullable(),
      regimeChanged: z.boolean(),
      probabilities: probabilities.nullable(),
      crisisProbability12m: z.number().nullable(),
      crisisProbability12mDeltaPp: z.number().nullable(),
      stressProbability3m: z.number().nullable(),
      positionSizeMultiplier: z.number().nullable().describe('Σ P(state) × {tranquil 1.0, turbulent 0.6, crisis 0.2}'),
      signal: z.enum(['risk_on', 'neutral', 'risk_off', 'no_data']),
      topMovers: z.array(moverSchema),
    }),
  ),
  alerts: z.array(alertSchema),
  movers: z.array(moverSchema).describe('largest moves across all countries, by |zScore|'),
});

export type ScannerSignals = z.infer<typeof scannerSignalsSchema>;
export type Alert = z.infer<typeof alertSchema>;
type Mover = z.infer<typeof moverSchema>;

export interface SnapshotView {
  manifest: SnapshotManifest;
  regimes: CountryRegime[];
  observations: ColumnarObservations;
}

const pp = (x: number) => Math.round(x * 1000) / 10;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function latestValues(
  view: SnapshotView,
): Map<string, { value: number; period: string; date: string; unit: string; history: number[] }> {
  const latest = new Map<string, { value: number; period: string; date: string; unit: string; history: number[] }>();
  for (const o of fromColumnar(view.observations)) {
    const key = `${o.country}|${o.stat}`;
    const current = latest.get(key);
    if (!current) latest.set(key, { value: o.value, period: o.period, date: o.date, unit: o.unit, history: [o.value] });
    else {
      current.history.push(o.value);
      if (o.date >= current.date) Object.assign(current, { value: o.value, period: o.period, date: o.date });
    }
  }
  return latest;
}

function movers(current: SnapshotView, previous: SnapshotView | undefined): Mover[] {
  if (!previous) return [];
  const now = latestValues(current);
  const before = latestValues(previous);
  const out: Mover[] = [];
  for (const [key, c] of now) {
    const p = before.get(key);
    if (!p || (p.value === c.value && p.period === c.period)) continue;
    const diffs = c.history.slice(1).map((v, i) => v - c.history[i]!);
    const mean = diffs.reduce((s, x) => s + x, 0) / Math.max(1, diffs.length);
    const std = Math.sqrt(diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, diffs.length));
    const change = c.value - p.value;
    if (change === 0) continue;
    const [country, stat] = key.split('|') as [string, string];
    out.push({
      country,
      stat,
      unit: c.unit,
      previous: p.value,
      current: c.value,
      previousPeriod: p.period,
      currentPeriod: c.period,
      change: round(change, 6),
      zScore: round(std > 0 ? change / std : Math.sign(change) * 10, 3),
    });
  }
  return out.sort(
    (a, b) =>
      Math.abs(b.zScore) - Math.abs(a.zScore) || a.country.localeCompare(b.country) || a.stat.localeCompare(b.stat),
  );
}

export function computeSignals(
  current: SnapshotView,
  previous: SnapshotView | undefined,
  generatedAt: string,
): ScannerSignals {
  const before = new Map((previous?.regimes ?? []).map((r) => [r.country, r]));
  const allMovers = movers(current, previous);
  const alerts: Alert[] = [];
  const countries = current.regimes.map((r) => {
    const p = before.get(r.country);
    const fitted = r.status === 'fitted';
    const previousFitted = p?.status === 'fitted';
    const regimeChanged = fitted && previousFitted && p!.state !== r.state;
    if (regimeChanged) {
      const worse =
        (['tranquil', 'turbulent', 'crisis'] as const).indexOf(r.state!) >
        (['tranquil', 'turbulent', 'crisis'] as const).indexOf(p!.state!);
      alerts.push({
        kind: 'regime_change',
        severity: worse ? 'high' : 'medium',
        country: r.country,
        from: p!.state!,
        to: r.state!,
        message: `${countryByIso3.get(r.country)?.name ?? r.country}: regime ${p!.state} → ${r.state}`,
      });
    }
    const crisis = fitted ? r.scenarios!.crisis12m : null;
    const delta = fitted && previousFitted ? pp(r.scenarios!.crisis12m - p!.scenarios!.crisis12m) : null;
    for (const [scenario, now, then] of fitted && previousFitted
      ? ([
          ['crisis_12m', r.scenarios!.crisis12m, p!.scenarios!.crisis12m],
          ['stress_3m', r.scenarios!.stress3m, p!.scenarios!.stress3m],
        ] as const)
      : []) {
      const d = pp(now - then);
      if (Math.abs(d) > scenarioAlertPp)
        alerts.push({
          kind: 'scenario_probability',
          severity: d > 0 ? 'high' : 'medium',
          country: r.country,
          scenario: `${scenario}_${r.country}`,
          from: round(then),
          to: round(now),
          deltaPp: d,
          message: `${countryByIso3.get(r.country)?.name ?? r.country}: ${scenario === 'crisis_12m' ? 'crisis within 12 months' : 'turbulence or worse within 3 months'} ${pp(then)}% → ${pp(now)}% (${d > 0 ? '+' : ''}${d} pp)`,
        });
    }
    const multiplier = fitted
      ? round(
          r.probabilities!.tranquil * regimeMultipliers.tranquil +
            r.probabilities!.turbulent * regimeMultipliers.turbulent +
            r.probabilities!.crisis * regimeMultipliers.crisis,
        )
      : null;
    const signal = !fitted
      ? 'no_data'
      : r.state === 'crisis' || (delta !== null && delta > scenarioAlertPp)
        ? 'risk_off'
        : r.state === 'tranquil' && crisis! < 0.1
          ? 'risk_on'
          : 'neutral';
    return {
      iso3: r.country,
      name: countryByIso3.get(r.country)?.name ?? r.country,
      regime: fitted ? r.state! : null,
      previousRegime: previousFitted ? p!.state! : null,
      regimeChanged,
      probabilities: fitted ? r.probabilities! : null,
      crisisProbability12m: crisis,
      crisisProbability12mDeltaPp: delta,
      stressProbability3m: fitted ? r.scenarios!.stress3m : null,
      positionSizeMultiplier: multiplier,
      signal: signal as 'risk_on' | 'neutral' | 'risk_off' | 'no_data',
      topMovers: allMovers.filter((m) => m.country === r.country).slice(0, 5),
    };
  });
  alerts.sort(
    (a, b) => (a.severity === b.severity ? 0 : a.severity === 'high' ? -1 : 1) || a.country.localeCompare(b.country),
  );
  return {
    schemaVersion: signalsSchemaVersion,
    generatedAt,
    snapshot: { name: current.manifest.name, createdAt: current.manifest.createdAt },
    previous: previous ? { name: previous.manifest.name, createdAt: previous.manifest.createdAt } : null,
    thresholds: { scenarioDeltaPp: scenarioAlertPp, regimeChange: true },
    countries,
    alerts,
    movers: allMovers.slice(0, 25),
  };
}

const percent = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);

export function riskReport(signals: ScannerSignals, current: SnapshotView): string {
  const counts = { tranquil: 0, turbulent: 0, crisis: 0, none: 0 };
  for (const c of signals.countries) counts[c.regime ?? 'none']++;
  const lines = [
    `# Daily risk report: ${signals.snapshot.name.replace(/\.tar\.gz$/, '')}`,
    '',
    `Built ${signals.snapshot.createdAt}. ${signals.previous ? `Compared with ${signals.previous.name} (built ${signals.previous.createdAt}).` : 'This is the first snapshot: there is nothing to compare with, so there are no movers or alerts yet.'}`,
    '',
    '## Summary',
    '',
    `- Regimes: ${counts.tranquil} tranquil, ${counts.turbulent} turbulent, ${counts.crisis} crisis${counts.none ? `, ${counts.none} without enough data` : ''}.`,
    `- Alerts: ${signals.alerts.length} (${signals.alerts.filter((a) => a.severity === 'high').length} high).`,
    `- Observations: ${current.manifest.counts.observations ?? 0}; LLM-inferred stats: ${current.manifest.counts.llmStats ?? 0}; contagion edges: ${current.manifest.counts.contagionEdges ?? 0}.`,
    '',
    '## Alerts',
    '',
    ...(signals.alerts.length
      ? signals.alerts.map((a) => `- **${a.severity.toUpperCase()}** ${a.message}`)
      : ['None: no regime changed and no scenario moved more than 5 percentage points.']),
    '',
    '## Regimes',
    '',
    '| Country | Regime | Before | P(tranquil) | P(turbulent) | P(crisis) | Crisis in 12 m | Δ pp | Position size |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|',
    ...signals.countries.map(
      (c) =>
        `| ${c.name} (${c.iso3}) | ${c.regime ?? 'no data'}${c.regimeChanged ? ' ⚠' : ''} | ${c.previousRegime ?? '–'} | ${percent(c.probabilities?.tranquil ?? null)} | ${percent(c.probabilities?.turbulent ?? null)} | ${percent(c.probabilities?.crisis ?? null)} | ${percent(c.crisisProbability12m)} | ${c.crisisProbability12mDeltaPp === null ? '–' : `${c.crisisProbability12mDeltaPp > 0 ? '+' : ''}${c.crisisProbability12mDeltaPp}`} | ${c.positionSizeMultiplier ?? '–'} |`,
    ),
    '',
    '## Movers',
    '',
    ...(signals.movers.length
      ? [
          '| Country | Statistic | Before | Now | Change | z |',
          '|---|---|---:|---:|---:|---:|',
          ...signals.movers
            .slice(0, 15)
            .map(
              (m) =>
                `| ${m.country} | ${statisticByName.get(m.stat)?.label ?? m.stat} | ${m.previous} (${m.previousPeriod}) | ${m.current} (${m.currentPeriod}) | ${m.change > 0 ? '+' : ''}${m.change} ${m.unit} | ${m.zScore} |`,
            ),
        ]
      : ['No statistic changed between the two snapshots.']),
    '',
  ];
  const thin = current.regimes.filter((r) => r.status !== 'fitted');
  if (thin.length)
    lines.push('## Data notes', '', ...thin.map((r) => `- ${r.country}: no regime model (${r.reason}).`), '');
  lines.push(
    `Regimes come from a 3-state Gaussian HMM per country on standardised monthly features; position size = Σ P(state) × (1.0, 0.6, 0.2).`,
    '',
  );
  return lines.join('\n');
}

/** Reads what the daily outputs need from a snapshot file. */
export async function snapshotView(file: string): Promise<SnapshotView> {
  const members = await readSnapshot(file);
  const get = (name: string) => {
    const content = members.get(name);
    if (!content) throw new Error(`${path.basename(file)} has no ${name}`);
    return JSON.parse(content.toString('utf8')) as unknown;
  };
  return {
    manifest: get('manifest.json') as SnapshotManifest,
    regimes: get('regimes.json') as CountryRegime[],
    observations: get('observations.columnar.json') as ColumnarObservations,
  };
}

export async function dailyOutputs(
  currentFile: string,
  previousFile: string | undefined,
  generatedAt: string,
): Promise<{ signals: ScannerSignals; report: string }> {
  const current = await snapshotView(currentFile);
  const previous = previousFile ? await snapshotView(previousFile) : undefined;
  const signals = computeSignals(current, previous, generatedAt);
  return { signals, report: riskReport(signals, current) };
}
