// Reads a dataset's rows from a knowledge-store vector collection (HNSW). The collection keeps a copy
// of every live vector beside the index, so they can be read back: as stored, which for a cosine
// collection means normalised to unit length (the manifest says so). Rows are taken in id order.
import type { KnowledgeStore } from '../../../knowledge/knowledge-store.js';
import { InputError } from '../../errors.js';
import type { DatasetWriter } from './dataset-writer.js';

export interface CollectionReadOptions {
  batchSize: number;
  labelFrom?: 'type' | 'namespace' | undefined;
  limit?: number | undefined;
  signal: AbortSignal;
  progress: (rows: number, total: number | undefined) => void;
}

export async function readCollectionRows(
  knowledge: KnowledgeStore,
  name: string,
  writer: DatasetWriter,
  options: CollectionReadOptions,
): Promise<Record<string, unknown>> {
  let index;
  try {
    index = await knowledge.collection(name);
  } catch (error) {
    throw new InputError('collection', (error as Error).message);
  }
  if (!index)
    throw new InputError('collection', `no collection named "${name}"; list them with knowledge_base_list_collections`);
  const ids = index.ids().sort();
  const total = options.limit === undefined ? ids.length : Math.min(options.limit, ids.length);
  options.progress(0, total);
  for (let at = 0; at < total; at += options.batchSize) {
    options.signal.throwIfAborted();
    for (const id of ids.slice(at, Math.min(total, at + options.batchSize))) {
      const meta = options.labelFrom ? index.metaOf(id) : undefined;
      writer.add({
        id,
        vector: index.vectorOf(id) ?? null,
        ...(options.labelFrom ? { label: meta?.[options.labelFrom] ?? null } : {}),
      });
    }
    await writer.flush();
    options.progress(writer.rowsRead, total);
  }
  const { space, embedder, dimension } = index.settings;
  return {
    kind: 'collection',
    collection: name,
    embedder,
    space,
    storedDimension: dimension,
    normalized: space === 'cosine',
    order: 'item ids, ascending',
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.labelFrom ? { labels: options.labelFrom } : {}),
  };
}
