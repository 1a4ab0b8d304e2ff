// Derived statistics. real_rates is computed per month: the month's policy rate (last value in the
// month) minus inflation, where inflation is core CPI year on year when the country has it (computed
// from the index, see the catalogue note) and otherwise that year's headline CPI inflation. The other
// derived stats need data that is not ingested; the catalogue says why and the build reports them.
import { groupBy } from './group-by.js';
import { derivedStatistics } from './catalogue/statistics.js';
import type { Observation } from './observation.js';

export interface DerivedResult {
  observations: Observation[];
  notComputed: { stat: string; reason: string }[];
}

export function deriveStatistics(country: string, observations: readonly Observation[]): DerivedResult {
  const byStat = groupBy(observations, (o) => o.stat);
  const derived: Observation[] = [];
  const policy = new Map<string, Observation>();
  for (const o of (byStat.get('policy_rate') ?? []).sort((a, b) => a.date.localeCompare(b.date)))
    policy.set(o.date.slice(0, 7), o);
  const core = new Map((byStat.get('core_cpi') ?? []).map((o) => [o.date.slice(0, 7), o]));
  const headline = new Map((byStat.get('headline_inflation') ?? []).map((o) => [o.date.slice(0, 4), o]));
  for (const [month, rate] of [...policy].sort((a, b) => a[0].localeCompare(b[0]))) {
    const inflation = core.size ? core.get(month) : headline.get(month.slice(0, 4));
    if (!inflation) continue;
    derived.push({
      country,
      stat: 'real_rates',
      period: month,
      date: `${month}-01`,
      value: Math.round((rate.value - inflation.value) * 1e6) / 1e6,
      unit: 'percent',
      frequency: 'M',
      provider: 'derived',
      series: `policy_rate(${rate.series}) - ${inflation.stat}(${inflation.series})`,
      url: '',
      fetchedAt: rate.fetchedAt > inflation.fetchedAt ? rate.fetchedAt : inflation.fetchedAt,
    });
  }
  const notComputed = derivedStatistics
    .filter((s) => s.notComputable)
    .map((s) => ({ stat: s.name, reason: s.notComputable! }));
  if (derived.length === 0)
    notComputed.push({
      stat: 'real_rates',
      reason:
        policy.size === 0 ? 'no policy rate observations' : 'no inflation observations for the policy-rate months',
    });
  return { observations: derived, notComputed };
}
