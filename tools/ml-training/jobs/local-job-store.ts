// One local job store per data dir in this process (jobs are the service's state, like the graph):
// opened on first use, which reconciles what an earlier service left. The composition root opens it
// at service start, asks which jobs are busy, and closes it at shutdown (the monitor, never the jobs).
import path from 'node:path';
import type { Logger } from '../../context.js';
import type { JobRecord } from './executor.js';
import { LocalExecutor, type LocalJobSettings } from './local-executor.js';

const stores = new Map<string, LocalExecutor>();

/** The one store of a data dir in this process, opened (and reconciled) on first use. */
export function localJobStore(dataDir: string, settings: LocalJobSettings, logger?: Logger): LocalExecutor {
  const key = path.resolve(dataDir);
  let store = stores.get(key);
  if (!store) {
    store = new LocalExecutor(key, settings, logger);
    stores.set(key, store);
  }
  return store;
}

/** For the composition root at service start: opens the store and waits for its reconcile. */
export async function openLocalJobs(
  dataDir: string,
  settings: LocalJobSettings,
  logger?: Logger,
): Promise<JobRecord[]> {
  const store = localJobStore(dataDir, settings, logger);
  await store.ready;
  return store.active().map((r) => ({ ...r }));
}

/** The running (and pending) local jobs of a data dir's open store; none when it is not open. */
export function busyLocalJobs(dataDir: string): JobRecord[] {
  return (stores.get(path.resolve(dataDir))?.active() ?? []).map((r) => ({ ...r }));
}

/** Stops the monitor of a data dir's store (the jobs keep running); the next use opens a new one. */
export function closeLocalJobs(dataDir: string): void {
  const key = path.resolve(dataDir);
  stores.get(key)?.close();
  stores.delete(key);
}
