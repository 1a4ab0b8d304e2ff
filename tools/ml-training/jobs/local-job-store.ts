// One local job store per data dir in this process (jobs are the service's state, like the graph):
// opened on first use, which reconciles what an earlier service left. The composition root opens it
// at service start, asks which jobs are busy, and closes it at shutdown (the monitor and the database
// pool, never the jobs). With PostgreSQL configured, the store copies its records there (job-mirror.ts).
import path from 'node:path';
import type { Logger } from '../../context.js';
import type { JobRecord } from './executor.js';
import { JobMirror, type JobDatabaseOptions } from './job-mirror.js';
import { LocalExecutor, type LocalJobSettings } from './local-executor.js';

const stores = new Map<string, LocalExecutor>();

/**
 * The one store of a data dir in this process, opened (and reconciled) on first use. With `database`,
 * its records are also kept in PostgreSQL; a store opened without it gets its copy on the first call
 * that names one (the records are written there once its reconcile is done).
 */
export function localJobStore(
  dataDir: string,
  settings: LocalJobSettings,
  logger?: Logger,
  database?: JobDatabaseOptions,
): LocalExecutor {
  const key = path.resolve(dataDir);
  let store = stores.get(key);
  if (!store) {
    store = new LocalExecutor(key, settings, logger, database && new JobMirror(key, database, logger));
    stores.set(key, store);
  } else if (database && !sameDatabase(store.database, database)) {
    void store.attachMirror(new JobMirror(key, database, logger)).catch((error: unknown) => {
      logger?.warn('job_database_attach_failed', { error: (error as Error).message });
    });
  }
  return store;
}

function sameDatabase(mirror: JobMirror | undefined, database: JobDatabaseOptions): boolean {
  return mirror !== undefined && mirror.options.url === database.url && mirror.options.host === database.host;
}

/** For the composition root at service start: opens the store and waits for its reconcile. */
export async function openLocalJobs(
  dataDir: string,
  settings: LocalJobSettings,
  logger?: Logger,
  database?: JobDatabaseOptions,
): Promise<JobRecord[]> {
  const store = localJobStore(dataDir, settings, logger, database);
  await store.ready;
  return store.active().map((r) => ({ ...r }));
}

/** The running (and pending) local jobs of a data dir's open store; none when it is not open. */
export function busyLocalJobs(dataDir: string): JobRecord[] {
  return (stores.get(path.resolve(dataDir))?.active() ?? []).map((r) => ({ ...r }));
}

/**
 * Stops the monitor of a data dir's store and closes its database pool (the jobs keep running); the
 * next use opens a new one.
 */
export async function closeLocalJobs(dataDir: string): Promise<void> {
  const key = path.resolve(dataDir);
  const store = stores.get(key);
  stores.delete(key);
  await store?.close();
}
