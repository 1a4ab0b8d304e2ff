// Loads the sample knowledge base into the live graph: builds the sample snapshot from the shipped
// recordings (about a second) and publishes it through the same path as any snapshot. It loads into
// a graph whose financial part is empty, or (when asked, not on first start) replaces an earlier
// sample; it never overwrites a published build or imported countries.
import path from 'node:path';
import type { GraphStore } from '../../graph/graph-store.js';
import { rm } from 'node:fs/promises';
import { buildsDirectory, cacheDirectory, kbDirectory, outputsDirectory, snapshotsDirectory } from '../build-state.js';
import { listSnapshots } from '../snapshot-archive.js';
import { graphSource, publishSnapshot, type GraphSource } from '../publish.js';
import { buildSampleSnapshot } from './sample-build.js';

export interface LoadSampleOptions {
  recordingsDirectory: string;
  /** The user's data dir; the sample builds under <dataDir>/kb/sample. */
  dataDir: string;
  codeVersion: string;
  /** First start: load only into an empty graph, leave an earlier sample as it is. */
  onlyIfEmpty?: boolean;
  now?: () => Date;
  signal?: AbortSignal;
}

export type LoadSampleResult =
  | { loaded: true; source: GraphSource; rows: number; observations: number; regimes: number; elapsedMs: number }
  | { loaded: false; reason: string; source?: GraphSource };

export const sampleDataDir = (dataDir: string) => path.join(kbDirectory(dataDir), 'sample');

export async function loadSample(graph: GraphStore, options: LoadSampleOptions): Promise<LoadSampleResult> {
  const started = performance.now();
  const current = await graphSource(graph);
  if (current?.kind === 'snapshot')
    return {
      loaded: false,
      source: current,
      reason: `the graph holds the published snapshot ${current.snapshot} (${current.createdAt}); the sample never replaces a build`,
    };
  if (current && options.onlyIfEmpty)
    return { loaded: false, source: current, reason: `the graph already holds the sample ${current.snapshot}` };
  if (!current) {
    const { rows } = await graph.read('MATCH (c:Country) RETURN count(c) AS n', {}, { cache: false });
    if (Number(rows[0]?.n ?? 0) > 0)
      return {
        loaded: false,
        reason: `the graph already holds ${rows[0]!.n} countries from an import; the sample only loads into an empty graph`,
      };
  }
  // A sample is rebuilt whole each time: the last one's checkpoints, cache and outputs go first.
  const directory = sampleDataDir(options.dataDir);
  for (const folder of [buildsDirectory, cacheDirectory, outputsDirectory])
    await rm(folder(directory), { recursive: true, force: true });
  const result = await buildSampleSnapshot({
    recordingsDirectory: options.recordingsDirectory,
    dataDir: directory,
    codeVersion: options.codeVersion,
    ...(options.now ? { now: options.now } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const now = options.now ?? (() => new Date());
  const published = await publishSnapshot(graph, result.snapshot, now().toISOString());
  // Only the published sample's snapshot is kept (a later publish reads what it put in the graph).
  for (const older of await listSnapshots(snapshotsDirectory(directory)))
    if (older.file !== result.snapshot) await rm(older.file, { force: true });
  return {
    loaded: true,
    source: published.source,
    rows: published.rows,
    observations: result.manifest.counts.observations ?? 0,
    regimes: result.manifest.counts.hmmFitted ?? 0,
    elapsedMs: Math.round(performance.now() - started),
  };
}
