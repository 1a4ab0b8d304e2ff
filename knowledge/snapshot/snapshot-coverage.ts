// A snapshot's coverage as a reader judges it: the coverage its build recorded, measured against the
// minimum in force now, so lowering `minCoverage` is an explicit, visible choice. Snapshots written
// before builds recorded coverage get theirs computed from their own tasks.json (every ingestion task
// with its outcome), marked `derived`; their LLM phases are not judged, because those snapshots do not
// say how many values were asked for.
import type { TaskOutcome } from './ingest.js';
import { ingestCoverage, verdict, type Coverage } from './coverage.js';
import { readSnapshot, type SnapshotInfo, type SnapshotManifest } from './snapshot-archive.js';

export async function snapshotCoverage(file: string, minimum: number): Promise<Coverage> {
  const members = await readSnapshot(file, ['manifest.json', 'tasks.json']);
  const manifest = JSON.parse(members.get('manifest.json')?.toString('utf8') ?? '{}') as Partial<SnapshotManifest>;
  const observations = manifest.counts?.observations ?? 0;
  if (manifest.coverage) {
    const phases = manifest.coverage.phases.map((p) => ({
      ...p,
      meets: (p.phase !== 'ingest' || p.asked > 0) && p.share >= minimum,
    }));
    return verdict(phases, manifest.coverage.status === 'failed' ? 0 : Math.max(1, observations), minimum);
  }
  const tasks = JSON.parse(members.get('tasks.json')?.toString('utf8') ?? '[]') as TaskOutcome[];
  return { ...verdict([ingestCoverage(tasks, minimum)], observations, minimum), derived: true };
}

/** The newest of `snapshots` whose coverage meets the minimum: the baseline that daily outputs compare to. */
export async function previousUsable(
  snapshots: readonly SnapshotInfo[],
  minimum: number,
): Promise<SnapshotInfo | undefined> {
  for (const snapshot of [...snapshots].reverse()) {
    const coverage = await snapshotCoverage(snapshot.file, minimum).catch(() => undefined);
    if (coverage?.status === 'done') return snapshot;
  }
  return undefined;
}
