// Snapshot builds as jobs: a build runs in the foreground (the call waits, with progress) or in the
// background (the call returns a job id at once). Background jobs live as long as the suite that
// started them, keyed by its knowledge store; each has its own AbortController, so a client that
// disconnects does not cancel it, and `cancel` does. Builds started elsewhere (the CLI, another
// server) are visible through their state files on disk.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { BuildProgress, BuildResult } from '../../knowledge/snapshot/build.js';
import { partialMessage } from '../../knowledge/snapshot/coverage.js';
import type { KnowledgeStore } from '../../knowledge/knowledge-store.js';

export interface SnapshotJob {
  jobId: string;
  status: 'running' | 'done' | 'partial' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt?: string;
  buildId?: string;
  progress?: BuildProgress;
  result?: BuildResult;
  error?: string;
  controller: AbortController;
  promise: Promise<void>;
}

const registries = new WeakMap<KnowledgeStore, Map<string, SnapshotJob>>();

export function jobsOf(store: KnowledgeStore): Map<string, SnapshotJob> {
  let jobs = registries.get(store);
  if (!jobs) {
    jobs = new Map();
    registries.set(store, jobs);
  }
  return jobs;
}

/** `publish`: whether the caller asked to publish, so a partial build's message says it was not. */
export function startJob(
  store: KnowledgeStore,
  run: (job: SnapshotJob) => Promise<BuildResult>,
  publish = false,
): SnapshotJob {
  const controller = new AbortController();
  const job = {
    jobId: randomUUID(),
    status: 'running',
    startedAt: new Date().toISOString(),
    controller,
  } as SnapshotJob;
  job.promise = (async () => {
    try {
      const result = await run(job);
      job.result = result;
      job.status = result.coverage.status === 'done' ? 'done' : 'partial';
      if (job.status === 'partial')
        job.error = partialMessage(result.buildId, path.basename(result.snapshot), result.coverage, publish);
    } catch (error) {
      job.status = controller.signal.aborted ? 'cancelled' : 'failed';
      job.error = (error as Error).message;
    } finally {
      job.finishedAt = new Date().toISOString();
    }
  })();
  jobsOf(store).set(job.jobId, job);
  return job;
}

export function runningJob(store: KnowledgeStore): SnapshotJob | undefined {
  return [...jobsOf(store).values()].find((j) => j.status === 'running');
}
