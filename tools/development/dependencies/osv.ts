// OSV records (https://ossf.github.io/osv-schema/): which versions of an npm package a record
// affects (SEMVER/ECOSYSTEM range events introduced/fixed/last_affected, and explicit version
// lists), the first fixed version, and a severity from the record's CVSS v3 vector or the
// database_specific severity GitHub's advisories carry.
import semver from 'semver';
import type { Severity } from '../security/finding.js';

export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvAffected {
  package?: { ecosystem?: string; name?: string; purl?: string };
  ranges?: { type?: string; events?: OsvEvent[] }[];
  versions?: string[];
  database_specific?: { severity?: string; [key: string]: unknown };
  ecosystem_specific?: { severity?: string; [key: string]: unknown };
}

export interface OsvRecord {
  id: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  modified?: string;
  withdrawn?: string;
  severity?: { type?: string; score?: string }[];
  affected?: OsvAffected[];
  references?: { type?: string; url?: string }[];
  database_specific?: { severity?: string; cwe_ids?: string[]; [key: string]: unknown };
}

const version = (text: string | undefined) =>
  text === undefined ? undefined : text === '0' ? '0.0.0' : (semver.valid(text) ?? semver.valid(semver.coerce(text)));

/** Whether `range` (one OSV range) covers `target`, and the version that fixes it. */
function rangeCovers(events: OsvEvent[], target: string): { affected: boolean; fixed?: string } {
  // Each introduced event opens an interval that the next fixed/last_affected/limit closes.
  const ordered = events
    .map((event) => {
      const [kind, raw] = Object.entries(event)[0] ?? [];
      return { kind, raw: raw as string | undefined, at: version(raw as string | undefined) };
    })
    .filter((e): e is { kind: string; raw: string; at: string } => e.at !== undefined && e.at !== null)
    .sort((a, b) => semver.compare(a.at, b.at) || (a.kind === 'introduced' ? -1 : 1));
  let affected = false;
  let fixed: string | undefined;
  for (const event of ordered) {
    if (event.kind === 'introduced') {
      if (semver.gte(target, event.at)) affected = true;
      else break;
    } else if (event.kind === 'fixed' || event.kind === 'limit') {
      if (semver.gte(target, event.at)) affected = false;
      else {
        if (affected && event.kind === 'fixed') fixed = event.raw;
        break;
      }
    } else if (event.kind === 'last_affected') {
      if (semver.gt(target, event.at)) affected = false;
      else break;
    }
  }
  return affected ? { affected, ...(fixed ? { fixed } : {}) } : { affected: false };
}

/** Whether the record affects `name@target` on npm, and the first version that fixes it. */
export function affects(record: OsvRecord, name: string, target: string): { affected: boolean; fixed?: string } {
  if (record.withdrawn) return { affected: false };
  const wanted = semver.valid(target);
  for (const entry of record.affected ?? []) {
    if (entry.package?.name !== name) continue;
    if (entry.package.ecosystem && entry.package.ecosystem.toLowerCase() !== 'npm') continue;
    if (entry.versions?.includes(target)) {
      const fixed = (entry.ranges ?? [])
        .flatMap((r) => r.events ?? [])
        .map((e) => e.fixed)
        .filter(
          (f): f is string => f !== undefined && semver.valid(f) !== null && wanted !== null && semver.gt(f, wanted),
        )
        .sort(semver.compare)[0];
      return { affected: true, ...(fixed ? { fixed } : {}) };
    }
    if (!wanted) continue;
    for (const range of entry.ranges ?? []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      const covered = rangeCovers(range.events ?? [], wanted);
      if (covered.affected) return covered;
    }
  }
  return { affected: false };
}

const metric: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
};

const roundUp = (value: number) => {
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
};

/** The CVSS v3.x base score of a vector ("CVSS:3.1/AV:N/AC:L/..."), or undefined. */
export function cvss3BaseScore(vector: string): number | undefined {
  if (!/^CVSS:3\.[01]\//.test(vector)) return undefined;
  const parts = Object.fromEntries(
    vector
      .split('/')
      .slice(1)
      .map((p) => p.split(':') as [string, string]),
  );
  const changed = parts.S === 'C';
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[parts.PR as 'N'];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map((k) => metric[k]![parts[k] ?? '']);
  if ([av, ac, ui, c, i, a, pr].some((v) => v === undefined)) return undefined;
  const iss = 1 - (1 - c!) * (1 - i!) * (1 - a!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  if (impact <= 0) return 0;
  const exploitability = 8.22 * av! * ac! * pr! * ui!;
  return roundUp(Math.min(changed ? 1.08 * (impact + exploitability) : impact + exploitability, 10));
}

const fromScore = (score: number): Severity =>
  score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : score > 0 ? 'low' : 'info';

const fromWord = (word: string | undefined): Severity | undefined => {
  switch (word?.toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
      return 'high';
    case 'moderate':
    case 'medium':
      return 'medium';
    case 'low':
      return 'low';
    default:
      return undefined;
  }
};

/** The record's severity: its CVSS v3 base score, else database_specific.severity, else medium. */
export function recordSeverity(record: OsvRecord): { severity: Severity; score?: number } {
  for (const entry of record.severity ?? []) {
    const score = entry.score ? cvss3BaseScore(entry.score) : undefined;
    if (score !== undefined) return { severity: fromScore(score), score };
  }
  const word =
    fromWord(record.database_specific?.severity) ??
    fromWord(record.affected?.find((a) => a.database_specific?.severity)?.database_specific?.severity) ??
    fromWord(record.affected?.find((a) => a.ecosystem_specific?.severity)?.ecosystem_specific?.severity);
  return { severity: word ?? 'medium' };
}

/** Severity from an npm audit word ("moderate" → medium). */
export const severityOfWord = (word: string | undefined): Severity => fromWord(word) ?? 'medium';

/** A reader-facing link for a record: its advisory reference, else osv.dev. */
export function recordUrl(record: OsvRecord): string {
  return (
    record.references?.find((r) => r.type === 'ADVISORY' && r.url)?.url ??
    `https://osv.dev/vulnerability/${encodeURIComponent(record.id)}`
  );
}
