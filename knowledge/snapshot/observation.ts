// The one normalised observation every provider's rows become: a value for a (country, stat, period),
// with its unit, native frequency and provenance (the request URL, secrets removed, and when it was
// fetched). `period` is canonical per frequency (2023, 2023-Q1, 2023-01, 2023-01-15) and `date` is
// the period's first day, so rows sort by date, never by the period string.
import type { Frequency, Provider } from './catalogue/statistics.js';

export interface Observation {
  country: string;
  stat: string;
  period: string;
  date: string;
  value: number;
  unit: string;
  frequency: Frequency;
  provider: Provider | 'derived' | 'llm';
  /** The provider's series code (or the stats a derived value came from, or llm:<model>). */
  series: string;
  /** Request URL without secrets. */
  url: string;
  fetchedAt: string;
}

/** A provider row before the catalogue's unit and transform are applied. */
export interface RawPoint {
  date: string;
  value: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The period's first day from a provider's date text: 2023, 2023-03, 2023-Q2, 2023M03, 2023-03-15. */
export function parseDate(text: string): string | undefined {
  const t = text.trim();
  let m = /^(\d{4})$/.exec(t);
  if (m) return `${m[1]}-01-01`;
  m = /^(\d{4})-?Q([1-4])$/.exec(t);
  if (m) return `${m[1]}-${pad((Number(m[2]) - 1) * 3 + 1)}-01`;
  m = /^(\d{4})[-M](\d{2})$/.exec(t);
  if (m) return `${m[1]}-${m[2]}-01`;
  m = /^(\d{4})-(\d{2})-(\d{2})/.exec(t);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  return undefined;
}

export function periodOf(date: string, frequency: Frequency): string {
  const year = date.slice(0, 4);
  const month = Number(date.slice(5, 7));
  switch (frequency) {
    case 'A':
      return year;
    case 'Q':
      return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
    case 'M':
      return date.slice(0, 7);
    default:
      return date.slice(0, 10);
  }
}

/**
 * Year-on-year change in percent. Monthly, quarterly and annual points compare with the same period
 * a year earlier; daily and weekly points with the latest point at most 7 days before the same date
 * a year earlier. Points without a comparable base are dropped.
 */
export function yearOnYear(points: readonly RawPoint[], frequency: Frequency): RawPoint[] {
  const sorted = [...points].sort((a, b) => a.date.localeCompare(b.date));
  const out: RawPoint[] = [];
  if (frequency === 'D' || frequency === 'W') {
    const times = sorted.map((p) => Date.parse(`${p.date}T00:00:00Z`));
    let j = 0;
    for (let i = 0; i < sorted.length; i++) {
      const target = Date.parse(`${Number(sorted[i]!.date.slice(0, 4)) - 1}${sorted[i]!.date.slice(4)}T00:00:00Z`);
      while (j + 1 < i && times[j + 1]! <= target) j++;
      if (times[j]! <= target && target - times[j]! <= 7 * 86_400_000 && sorted[j]!.value !== 0)
        out.push({ date: sorted[i]!.date, value: (sorted[i]!.value / sorted[j]!.value - 1) * 100 });
    }
    return out.map(round);
  }
  const byDate = new Map(sorted.map((p) => [p.date, p.value]));
  for (const p of sorted) {
    const base = byDate.get(`${Number(p.date.slice(0, 4)) - 1}${p.date.slice(4)}`);
    if (base !== undefined && base !== 0) out.push({ date: p.date, value: (p.value / base - 1) * 100 });
  }
  return out.map(round);
}

function round(p: RawPoint): RawPoint {
  return { date: p.date, value: Math.round(p.value * 1e6) / 1e6 };
}

/** Sorts observations by country, stat, date: the canonical order of every file that holds them. */
export function compareObservations(a: Observation, b: Observation): number {
  return a.country < b.country
    ? -1
    : a.country > b.country
      ? 1
      : a.stat < b.stat
        ? -1
        : a.stat > b.stat
          ? 1
          : a.date < b.date
            ? -1
            : a.date > b.date
              ? 1
              : 0;
}
