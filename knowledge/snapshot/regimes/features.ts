// The monthly feature matrix a country's regime model is fitted on. Each feature is a stat with a
// stress direction (+1 when a higher value means more stress). Values are carried forward from their
// period's first month until the next observation; features covering under half of the months are
// dropped, months before every kept feature has started are trimmed, and each feature is
// standardised (z-score) within the country. Mixed units are never averaged together.
import { groupBy } from '../group-by.js';
import type { Observation } from '../observation.js';

export interface FeatureSpec {
  stat: string;
  direction: 1 | -1;
  /** Use the 12-month change instead of the level. */
  change?: boolean;
  /** Another stat that stands in when this one has no data (e.g. headline for core inflation). */
  fallback?: string;
}

export const regimeFeatures: readonly FeatureSpec[] = [
  { stat: 'real_gdp_growth', direction: -1 },
  { stat: 'core_cpi', direction: 1, fallback: 'headline_inflation' },
  { stat: 'policy_rate', direction: 1, change: true },
  { stat: 'long_term_yield_10y', direction: 1 },
  { stat: 'yield_spread_10y3m', direction: -1 },
  { stat: 'private_credit_npls', direction: 1 },
  { stat: 'current_account_gdp', direction: -1 },
  { stat: 'unemployment_rate', direction: 1 },
  { stat: 'hy_corporate_spread', direction: 1 },
];

export interface FeatureMatrix {
  months: string[];
  features: { stat: string; direction: 1 | -1; change: boolean; mean: number; std: number }[];
  /** Standardised rows, one per month. */
  rows: number[][];
  dropped: { stat: string; reason: string }[];
}

const monthIndex = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
const monthText = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;

export function featureMatrix(
  observations: readonly Observation[],
  startYear: number,
  minimumCoverage = 0.5,
): FeatureMatrix {
  const byStat = groupBy(observations, (o) => o.stat);
  const dropped: FeatureMatrix['dropped'] = [];
  let last = -1;
  for (const o of observations) last = Math.max(last, monthIndex(o.date));
  const first = startYear * 12;
  if (last < first)
    return {
      months: [],
      features: [],
      rows: [],
      dropped: regimeFeatures.map((f) => ({ stat: f.stat, reason: 'no observations in the window' })),
    };
  const length = last - first + 1;
  const columns: { spec: FeatureSpec; stat: string; values: (number | undefined)[] }[] = [];
  for (const spec of regimeFeatures) {
    const stat = byStat.has(spec.stat)
      ? spec.stat
      : spec.fallback && byStat.has(spec.fallback)
        ? spec.fallback
        : undefined;
    if (!stat) {
      dropped.push({ stat: spec.stat, reason: 'no data' });
      continue;
    }
    // Monthly series: the last value within each month, carried forward.
    const monthly = new Map<number, number>();
    for (const o of [...byStat.get(stat)!].sort((a, b) => a.date.localeCompare(b.date)))
      monthly.set(monthIndex(o.date), o.value);
    const values: (number | undefined)[] = new Array(length).fill(undefined);
    let carried: number | undefined;
    // The last value before the window starts carries into its first months.
    const before = [...monthly]
      .filter(([month]) => month < first)
      .sort((a, b) => a[0] - b[0])
      .at(-1);
    if (before) carried = before[1];
    for (let i = 0; i < length; i++) {
      const v = monthly.get(first + i);
      if (v !== undefined) carried = v;
      values[i] = carried;
    }
    const series = spec.change
      ? values.map((v, i) =>
          v !== undefined && i >= 12 && values[i - 12] !== undefined ? v - values[i - 12]! : undefined,
        )
      : values;
    const coverage = series.filter((v) => v !== undefined).length / length;
    if (coverage < minimumCoverage) {
      dropped.push({ stat, reason: `covers ${Math.round(coverage * 100)}% of the months` });
      continue;
    }
    columns.push({ spec, stat, values: series });
  }
  const startAt = Math.max(0, ...columns.map((c) => c.values.findIndex((v) => v !== undefined)));
  const kept: typeof columns = [];
  const features: FeatureMatrix['features'] = [];
  for (const column of columns) {
    const values = column.values.slice(startAt) as number[];
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    if (!(std > 1e-9)) {
      dropped.push({ stat: column.stat, reason: 'constant over the window' });
      continue;
    }
    kept.push({ ...column, values });
    features.push({
      stat: column.stat,
      direction: column.spec.direction,
      change: column.spec.change === true,
      mean,
      std,
    });
  }
  const months = Array.from({ length: length - startAt }, (_, i) => monthText(first + startAt + i));
  const rows = months.map((_, t) =>
    kept.map((c, d) => ((c.values[t] as number) - features[d]!.mean) / features[d]!.std),
  );
  return { months, features, rows, dropped };
}
