// Differences between two snapshots: manifest counts, regime changes, statistics whose latest value
// changed (largest relative moves first), contagion edges whose weight changed, and how many
// observations were added, removed or revised.
import path from 'node:path';
import type { FinancialGraphData } from '../financial.js';
import { fromColumnar, type ColumnarObservations } from './columnar.js';
import type { CountryRegime } from './regimes/country-regimes.js';
import { readSnapshot, type SnapshotManifest } from './snapshot-archive.js';

async function load(file: string) {
  const members = await readSnapshot(file, [
    'manifest.json',
    'graph.json',
    'regimes.json',
    'observations.columnar.json',
  ]);
  const json = <T>(name: string) => {
    const content = members.get(name);
    if (!content) throw new Error(`${path.basename(file)} has no ${name}`);
    return JSON.parse(content.toString('utf8')) as T;
  };
  return {
    manifest: json<SnapshotManifest>('manifest.json'),
    graph: json<FinancialGraphData>('graph.json'),
    regimes: json<CountryRegime[]>('regimes.json'),
    observations: json<ColumnarObservations>('observations.columnar.json'),
  };
}

export async function diffSnapshots(fromFile: string, toFile: string, limit = 25) {
  const [a, b] = await Promise.all([load(fromFile), load(toFile)]);
  const counts: Record<string, { from: number; to: number; delta: number }> = {};
  for (const key of [...new Set([...Object.keys(a.manifest.counts), ...Object.keys(b.manifest.counts)])].sort()) {
    const from = a.manifest.counts[key] ?? 0;
    const to = b.manifest.counts[key] ?? 0;
    if (from !== to || ['observations', 'graphNodes', 'graphEdges', 'llmStats'].includes(key))
      counts[key] = { from, to, delta: to - from };
  }
  const regimesBefore = new Map(a.regimes.map((r) => [r.country, r.state ?? null]));
  const regimeChanges = b.regimes
    .filter((r) => (regimesBefore.get(r.country) ?? null) !== (r.state ?? null))
    .map((r) => ({ country: r.country, from: regimesBefore.get(r.country) ?? null, to: r.state ?? null }));
  const statsBefore = new Map((a.graph.statistics ?? []).map((s) => [s.id, s]));
  const valueChanges = (b.graph.statistics ?? [])
    .flatMap((s) => {
      const p = statsBefore.get(s.id);
      const from = p?.value ?? null;
      const to = s.value ?? null;
      if (from === to && (p?.period ?? null) === (s.period ?? null)) return [];
      const relative = from !== null && to !== null ? Math.abs(to - from) / Math.max(1e-9, Math.abs(from)) : Infinity;
      return [{ statistic: s.id, from, to, fromPeriod: p?.period ?? null, toPeriod: s.period ?? null, relative }];
    })
    .sort((x, y) => y.relative - x.relative || x.statistic.localeCompare(y.statistic))
    .slice(0, limit)
    .map(({ relative: _relative, ...rest }) => rest);
  const edgesBefore = new Map((a.graph.contagion ?? []).map((e) => [`${e.from}->${e.to}`, e.weight]));
  const edgesAfter = new Map((b.graph.contagion ?? []).map((e) => [`${e.from}->${e.to}`, e.weight]));
  const edgeChanges = [...new Set([...edgesBefore.keys(), ...edgesAfter.keys()])]
    .map((edge) => ({ edge, from: edgesBefore.get(edge) ?? null, to: edgesAfter.get(edge) ?? null }))
    .filter((e) => e.from !== e.to)
    .sort(
      (x, y) =>
        Math.abs((y.to ?? 0) - (y.from ?? 0)) - Math.abs((x.to ?? 0) - (x.from ?? 0)) || x.edge.localeCompare(y.edge),
    )
    .slice(0, limit);
  const key = (o: { country: string; stat: string; period: string }) => `${o.country}|${o.stat}|${o.period}`;
  const before = new Map(fromColumnar(a.observations).map((o) => [key(o), o.value]));
  let added = 0;
  let changed = 0;
  const seen = new Set<string>();
  for (const o of fromColumnar(b.observations)) {
    const k = key(o);
    seen.add(k);
    if (!before.has(k)) added++;
    else if (before.get(k) !== o.value) changed++;
  }
  const removed = [...before.keys()].filter((k) => !seen.has(k)).length;
  return {
    from: path.basename(fromFile),
    to: path.basename(toFile),
    counts,
    regimeChanges,
    valueChanges,
    edgeChanges,
    observations: { added, removed, changed },
  };
}
