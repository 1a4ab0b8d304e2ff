// Publishing a snapshot into the live graph, and the record of what the graph holds. The graph's
// `_Meta` row `kb.source` says whether the financial part came from the bundled sample or from a
// published build, with the snapshot's name and dates, so every reader can tell a sample from live
// data; it is written in the ingestion's transaction, so data never lands without its label.
// Publishing a build over the sample also removes what only the sample had (series points, regimes
// and scenarios the build does not carry) in that same transaction, so no sample value outlives it.
import path from 'node:path';
import { ingestFinancial, type FinancialGraphData } from '../financial.js';
import type { GraphStore, Statement } from '../graph/graph-store.js';
import { KnowledgeError } from '../knowledge-error.js';
import { readSnapshot, sha256File, type SnapshotManifest } from './snapshot-archive.js';

export const sourceKey = 'kb.source';

export interface GraphSource {
  kind: 'sample' | 'snapshot';
  snapshot: string;
  /** The snapshot file, so a later publish can find what the sample put in the graph. */
  file: string;
  createdAt: string;
  publishedAt: string;
  window: { startYear: number; endYear: number };
  /** A sample's label and the recordings its values come from, with their dates and origin. */
  label?: string;
  recordings?: { provider: string; stat: string; countries: string[]; recordedAt: string; source: string }[];
  /** Graph files imported on top since (knowledge_base_import_graph), newest last. */
  imports?: { file: string; at: string }[];
  /** The tarball's sha256, so instances can tell whether they serve the same snapshot. */
  sha256?: string;
  /** Set when this graph is a replica: the shared location the snapshot was loaded from. */
  replicaOf?: string;
}

/** Where a published snapshot came from: its sha256 (computed when not given) and, for a replica, the location. */
export interface PublishOrigin {
  sha256?: string;
  replicaOf?: string;
}

export async function graphSource(graph: GraphStore): Promise<GraphSource | undefined> {
  const { rows } = await graph.read('MATCH (m:_Meta {key: $k}) RETURN m.value AS v', { k: sourceKey });
  const value = rows[0]?.v;
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as GraphSource;
  } catch {
    return undefined;
  }
}

/**
 * The statement that notes an import on top of what the graph holds, for the import's transaction:
 * a sample with a file imported over it is no longer the sample alone, and says so.
 */
export async function importNote(graph: GraphStore, file: string, at: string): Promise<Statement[]> {
  const current = await graphSource(graph);
  if (!current) return [];
  const imports = [...(current.imports ?? []), { file: path.basename(file), at }].slice(-20);
  return [
    {
      cypher: 'MERGE (m:_Meta {key: $k}) SET m.value = $v',
      params: { k: sourceKey, v: JSON.stringify({ ...current, imports }) },
    },
  ];
}

async function readGraph(file: string): Promise<{ data: FinancialGraphData; manifest: SnapshotManifest }> {
  const members = await readSnapshot(file, ['graph.json', 'manifest.json']);
  const graphJson = members.get('graph.json');
  const manifestJson = members.get('manifest.json');
  if (!graphJson || !manifestJson)
    throw new KnowledgeError(
      'BAD_INPUT',
      `${path.basename(file)} has no ${graphJson ? 'manifest.json' : 'graph.json'}`,
    );
  return {
    data: JSON.parse(graphJson.toString('utf8')) as FinancialGraphData,
    manifest: JSON.parse(manifestJson.toString('utf8')) as SnapshotManifest,
  };
}

function sourceOf(manifest: SnapshotManifest, file: string, publishedAt: string, origin: PublishOrigin): GraphSource {
  const sample = manifest.sample;
  return {
    kind: sample ? 'sample' : 'snapshot',
    snapshot: manifest.name,
    file,
    createdAt: manifest.createdAt,
    publishedAt,
    window: manifest.window,
    ...(origin.sha256 ? { sha256: origin.sha256 } : {}),
    ...(origin.replicaOf ? { replicaOf: origin.replicaOf } : {}),
    ...(sample
      ? {
          label: sample.label,
          recordings: sample.recordings.map((r) => ({
            provider: r.provider,
            stat: r.stat,
            countries: r.countries,
            recordedAt: r.recordedAt,
            source: [r.source.repository, r.source.commit?.slice(0, 12), r.source.path].filter(Boolean).join(' '),
          })),
        }
      : {}),
  };
}

/** Keys the sample put in the graph that `data` does not carry: they go with the sample. */
async function sampleLeftovers(
  graph: GraphStore,
  previous: GraphSource,
  data: FinancialGraphData,
): Promise<{ points: string[]; regimes: string[]; scenarios: string[] }> {
  const keep = {
    points: new Set((data.points ?? []).map((p) => `${p.statistic}@${p.period}`)),
    regimes: new Set((data.regimes ?? []).map((r) => `${r.country}@${r.asOf}`)),
    scenarios: new Set((data.scenarios ?? []).map((s) => s.id)),
  };
  let sample: FinancialGraphData | undefined;
  try {
    sample = (await readGraph(previous.file)).data;
  } catch {
    // The sample's snapshot is gone: every point, regime and scenario in the graph came with it.
  }
  const all = async (cypher: string) =>
    (await graph.read(cypher, {}, { maxRows: 10_000_000, cache: false })).rows.map((r) => String(r.k));
  const points = sample
    ? (sample.points ?? []).map((p) => `${p.statistic}@${p.period}`)
    : await all('MATCH (p:SeriesPoint) RETURN p.id AS k');
  const regimes = sample
    ? (sample.regimes ?? []).map((r) => `${r.country}@${r.asOf}`)
    : await all('MATCH (g:Regime) RETURN g.id AS k');
  const scenarios = sample
    ? (sample.scenarios ?? []).map((s) => s.id)
    : await all('MATCH (s:Scenario) RETURN s.id AS k');
  return {
    points: points.filter((k) => !keep.points.has(k)),
    regimes: regimes.filter((k) => !keep.regimes.has(k)),
    scenarios: scenarios.filter((k) => !keep.scenarios.has(k)),
  };
}

export interface PublishResult {
  rows: number;
  source: GraphSource;
  /** The sample this publish replaced, if the graph held one. */
  replacedSample?: string;
  removedSampleRows: number;
}

/** Loads a snapshot's graph into the live graph and records it as the graph's source. */
export async function publishSnapshot(
  graph: GraphStore,
  file: string,
  publishedAt: string,
  origin: PublishOrigin = {},
): Promise<PublishResult> {
  const { data, manifest } = await readGraph(file);
  const sha256 = origin.sha256 ?? (await sha256File(file)).sha256;
  const source = sourceOf(manifest, file, publishedAt, { ...origin, sha256 });
  const meta: Statement = {
    cypher: 'MERGE (m:_Meta {key: $k}) SET m.value = $v',
    params: { k: sourceKey, v: JSON.stringify(source) },
  };
  const previous = await graphSource(graph);
  if (previous?.kind !== 'sample') {
    const { rows } = await ingestFinancial(graph, data, [meta]);
    return { rows, source, removedSampleRows: 0 };
  }
  const leftovers = await sampleLeftovers(graph, previous, data);
  const remove = (label: string, keys: string[]): Statement[] =>
    keys.length ? [{ cypher: `UNWIND $keys AS k MATCH (n:${label} {id: k}) DETACH DELETE n`, params: { keys } }] : [];
  const { rows } = await ingestFinancial(graph, data, [
    ...remove('SeriesPoint', leftovers.points),
    ...remove('Regime', leftovers.regimes),
    ...remove('Scenario', leftovers.scenarios),
    meta,
  ]);
  return {
    rows,
    source,
    replacedSample: previous.snapshot,
    removedSampleRows: leftovers.points.length + leftovers.regimes.length + leftovers.scenarios.length,
  };
}
