// Quotas of a knowledge store, per data dir: one for the graph's facts and documents and one for
// all vector collections together. Agents write both (remember_facts, index_documents, the
// PostgreSQL import); without a quota a loop of writes fills the disk. The graph's usage is the
// text it holds (Kuzu's file does not shrink when facts are forgotten, so its size would lock a
// full store for good); the vectors' usage is their files on disk, which dropping a collection
// removes. A write is refused when usage plus an estimate of what it adds would pass the quota.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { KnowledgeError } from './knowledge-error.js';

export interface StoreQuotas {
  graphBytes: number;
  vectorBytes: number;
}

export const defaultStoreQuotas: StoreQuotas = { graphBytes: 256 * 2 ** 20, vectorBytes: 4 * 2 ** 30 };

async function sizeOf(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

export async function vectorBytesOnDisk(vectorDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(vectorDir);
  } catch {
    return 0;
  }
  let total = 0;
  for (const name of names) total += await sizeOf(path.join(vectorDir, name));
  return total;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Throws BUDGET_EXCEEDED when the graph's facts and documents would pass their quota with `adding` more bytes. */
export function checkGraphQuota(used: number, quota: number, adding: number): void {
  if (used + adding <= quota) return;
  throw new KnowledgeError(
    'BUDGET_EXCEEDED',
    `the knowledge graph of this data dir holds ${mib(used)} of facts and documents; adding about ${mib(adding)} would pass its quota of ${mib(quota)} (budgets.memoryQuotaMiB). Forget facts you no longer need (knowledge_base_forget_facts) or remove indexed documents, or raise the quota`,
  );
}

/** What a document takes in the graph: its text twice (the node and its document) plus ids, types and times. */
export const graphBytesPerDocument = (textBytes: number) => 2 * textBytes + 200;

/** Throws BUDGET_EXCEEDED when the vector collections would pass their quota with `adding` more bytes. */
export async function checkVectorQuota(vectorDir: string, quota: number, adding: number): Promise<void> {
  const used = await vectorBytesOnDisk(vectorDir);
  if (used + adding <= quota) return;
  throw new KnowledgeError(
    'BUDGET_EXCEEDED',
    `the vector collections of this data dir take ${mib(used)}; adding about ${mib(adding)} would pass their quota of ${mib(quota)} (budgets.vectorQuotaMiB). Drop a collection you no longer need (knowledge_base_drop_collection, see knowledge_base_list_collections), compact one (knowledge_base_rebuild_index), or raise the quota`,
  );
}
