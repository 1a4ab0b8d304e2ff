// The worker side of an index build: hnswlib's addPoint is synchronous (about 1 ms per 384-d
// vector), so a large build runs here and the server's event loop stays free. The vectors arrive
// in shared memory; the finished index is saved (atomically) and loaded by the caller.
import { parentPort, workerData } from 'node:worker_threads';
import { VectorIndex, type IndexSettings } from './vector-index.js';

interface BuildJob {
  settings: IndexSettings;
  ids: string[];
  namespaces: string[];
  types: string[];
  vectors: SharedArrayBuffer;
  directory: string;
  name: string;
}

const job = workerData as BuildJob;
const d = job.settings.dimension;
const view = new Float32Array(job.vectors);
const index = VectorIndex.create({ ...job.settings, capacity: Math.max(1024, job.ids.length) });
const step = Math.max(1, Math.floor(job.ids.length / 100));
for (let i = 0; i < job.ids.length; i++) {
  const row = view.subarray(i * d, (i + 1) * d);
  if (job.settings.space === 'cosine') {
    // Normalised in place, so the caller's shared copy matches what the index stores.
    let norm = 0;
    for (const v of row) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) row[j]! /= norm;
  }
  index.upsert(job.ids[i]!, Array.from(row), { namespace: job.namespaces[i]!, type: job.types[i]! });
  if (i % step === 0) parentPort!.postMessage({ kind: 'progress', done: i, total: job.ids.length });
}
await index.save(job.directory, job.name);
parentPort!.postMessage({ kind: 'done', count: index.count });
