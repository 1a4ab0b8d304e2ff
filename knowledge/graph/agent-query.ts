// Running an agent's Cypher: guard, read-only execution with a timeout, a row cap, a byte cap and a
// token budget on the rendered rows, with an explicit flag saying which limit cut the result. A
// process over its memory cap runs no agent query until it is back under it.
import { KnowledgeError } from '../knowledge-error.js';
import type { GraphRow, GraphStore } from './graph-store.js';
import { guardCypher } from './cypher-guard.js';

export interface AgentQueryOptions {
  params?: Record<string, unknown>;
  /** Default: the store's default timeout. */
  timeoutMs?: number;
  maxRows?: number;
  /** Budget for the rows as JSON, in tokens of about four characters. */
  maxTokens?: number;
  /** Rows are read one at a time and reading stops past this many bytes of JSON. */
  maxBytes?: number;
  /** The process's resident-memory cap in bytes; above it agent queries are refused. */
  memoryCapBytes?: number;
  /** Resident memory now; injected by tests. Default process.memoryUsage.rss. */
  rss?: () => number;
}

export interface AgentQueryResult {
  cypher: string;
  columns: string[];
  rows: GraphRow[];
  totalRows: number;
  truncated: boolean;
  truncatedBy?: 'rows' | 'bytes' | 'tokens';
  tokens: number;
  elapsedMs: number;
}

export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

function checkMemory(options: AgentQueryOptions): void {
  if (!options.memoryCapBytes) return;
  const rss = (options.rss ?? process.memoryUsage.rss)();
  if (rss > options.memoryCapBytes)
    throw new KnowledgeError(
      'BUDGET_EXCEEDED',
      `the query hit the server's memory budget (${mib(rss)} MiB resident, cap ${mib(options.memoryCapBytes)} MiB); narrow the query (a LIMIT, a more selective MATCH, fewer collect()ed values) and retry in a moment`,
    );
}

export async function runAgentCypher(
  store: GraphStore,
  cypher: string,
  options: AgentQueryOptions = {},
): Promise<AgentQueryResult> {
  const params = options.params ?? {};
  await guardCypher(store, cypher, params);
  checkMemory(options);
  const maxRows = options.maxRows ?? 200;
  const result = await store.readOnly(cypher, params, {
    maxRows,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
  });
  checkMemory(options); // what it read may itself have passed the cap: drop it rather than grow
  const budget = options.maxTokens ?? 4_000;
  const rows: GraphRow[] = [];
  let tokens = 0;
  let byTokens = false;
  for (const row of result.rows) {
    const cost = estimateTokens(JSON.stringify(row)) + 1;
    if (tokens + cost > budget) {
      byTokens = true;
      break;
    }
    rows.push(row);
    tokens += cost;
  }
  const truncated = byTokens || result.truncated;
  const truncatedBy = byTokens ? ('tokens' as const) : (result.truncatedBy ?? 'rows');
  return {
    cypher,
    columns: result.columns,
    rows,
    totalRows: result.totalRows,
    truncated,
    ...(truncated ? { truncatedBy } : {}),
    tokens,
    elapsedMs: result.elapsedMs,
  };
}
