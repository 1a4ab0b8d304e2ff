// Builds an HNSW index in a worker_thread and loads the result. Progress is reported, and an
// abort terminates the worker; the previous index files stay in place until the new ones are
// complete (the save writes temp files and renames them, manifest last).
import { Worker } from 'node:worker_threads';
import { KnowledgeError } from '../knowledge-error.js';
import { VectorIndex, type IndexSettings, type PackedItems } from './vector-index.js';

export interface WorkerBuildOptions {
  settings: IndexSettings;
  items: PackedItems;
  directory: string;
  name: string;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The worker entry next to this module, as source under tsx or as compiled JavaScript. */
export function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './build-worker.ts' : './build-worker.js', import.meta.url);
}

export async function buildIndexInWorker(options: WorkerBuildOptions): Promise<VectorIndex> {
  const { items } = options;
  if (items.vectors.length !== items.ids.length * options.settings.dimension) {
    throw new KnowledgeError(
      'DIMENSION_MISMATCH',
      `${items.vectors.length} floats for ${items.ids.length} items of dimension ${options.settings.dimension}`,
    );
  }
  let shared: SharedArrayBuffer;
  if (
    items.vectors.buffer instanceof SharedArrayBuffer &&
    items.vectors.byteOffset === 0 &&
    items.vectors.byteLength === items.vectors.buffer.byteLength
  ) {
    shared = items.vectors.buffer;
  } else {
    shared = new SharedArrayBuffer(items.vectors.byteLength);
    new Float32Array(shared).set(items.vectors);
  }
  options.signal?.throwIfAborted();
  const url = workerUrl();
  // Under tsx (tests, bench) a worker does not inherit the TypeScript loader: register it first.
  const entry: URL | string = url.pathname.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); })`
    : url;
  const worker = new Worker(entry, {
    eval: typeof entry === 'string',
    workerData: {
      settings: options.settings,
      ids: items.ids,
      namespaces: items.namespaces,
      types: items.types,
      vectors: shared,
      directory: options.directory,
      name: options.name,
    },
  });
  await new Promise<void>((resolve, reject) => {
    const abort = () => {
      void worker.terminate();
      reject(new KnowledgeError('INTERNAL', 'the index build was cancelled', { cause: options.signal?.reason }));
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (message: { kind: string; done?: number; total?: number }) => {
      if (message.kind === 'progress') options.onProgress?.(message.done!, message.total!);
      if (message.kind === 'done') {
        options.signal?.removeEventListener('abort', abort);
        resolve();
      }
    });
    worker.on('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(new KnowledgeError('INTERNAL', `the index build failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', (code) => {
      if (code !== 0) reject(new KnowledgeError('INTERNAL', `the index build worker exited with code ${code}`));
    });
  });
  await worker.terminate();
  options.onProgress?.(items.ids.length, items.ids.length);
  return VectorIndex.adoptBuild(options.directory, options.name, options.settings, {
    ...items,
    vectors: new Float32Array(shared),
  });
}
