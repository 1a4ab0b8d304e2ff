// Tells sessions when the set of knowledge snapshots on disk changes (a build finished, a file was
// removed), so they can send notifications/resources/list_changed. One directory watcher per suite,
// shared by its sessions, and closed when the last one leaves.
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { snapshotsDirectory } from '../knowledge/snapshot/build-state.js';
import type { Suite } from './composition.js';
import { snapshotNames } from './resources.js';

interface Watch {
  watcher: FSWatcher;
  listeners: Set<() => void>;
  names: string;
  timer?: NodeJS.Timeout;
}

const watches = new WeakMap<Suite, Watch>();
/** Renames during a build come in bursts; one check after they settle. */
const settleMs = 50;

export function onSnapshotsChanged(suite: Suite, listener: () => void): () => void {
  let entry = watches.get(suite);
  if (!entry) {
    const directory = snapshotsDirectory(suite.config.dataDir);
    try {
      mkdirSync(directory, { recursive: true });
    } catch (error) {
      suite.logger.warn('snapshot_watch_failed', { directory, error: (error as Error).message });
      return () => undefined;
    }
    const created: Watch = { watcher: watch(directory, { persistent: false }), listeners: new Set(), names: '' };
    void snapshotNames(suite).then((names) => (created.names = names.join('\n')));
    created.watcher.on('change', () => {
      clearTimeout(created.timer);
      created.timer = setTimeout(() => void check(suite, created), settleMs);
    });
    created.watcher.on('error', (error) => suite.logger.warn('snapshot_watch_failed', { error: error.message }));
    watches.set(suite, created);
    entry = created;
  }
  const current = entry;
  current.listeners.add(listener);
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size > 0) return;
    clearTimeout(current.timer);
    current.watcher.close();
    if (watches.get(suite) === current) watches.delete(suite);
  };
}

async function check(suite: Suite, entry: Watch): Promise<void> {
  const names = (await snapshotNames(suite).catch(() => [] as string[])).join('\n');
  if (names === entry.names) return;
  entry.names = names;
  for (const listener of entry.listeners) listener();
}
