// Snapshot builds as jobs: a build runs in the foreground (the call waits, with progress) or in the
// background (the call returns a job id at once). Background jobs live as long as the suite that
// started them, keyed by its knowledge store; each has its own AbortController, so a client that
// disconnects does not cancel it, and `cancel` does. Builds started elsewhere (the CLI, another
// server) are visible through their state files on disk.
import { randomUUID } from 'node:crypto';
import type { BuildProgress, BuildResult } from '../../knowledge/snapshot/build.js';
import type { KnowledgeStore } from '../../knowledge/knowledge-store.js';

export interface SnapshotJob {
  jobId: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
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

export function startJob(store: KnowledgeStore, run: (job: SnapshotJob) => Promise<BuildResult>): SnapshotJob {
  const controller = new AbortController();
  const job = {
    jobId: randomUUID(),
    status: 'running',
    startedAt: new Date().toISOString(),
    controller,
  } as SnapshotJob;
  job.promise = (async () => {
    try {
      job.result = await run(job);
      job.status = 'done';
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
