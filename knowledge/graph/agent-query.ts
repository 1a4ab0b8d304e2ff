// Running an agent's Cypher: guard, read-only execution with a timeout, a row cap, and a token
// budget on the rendered rows, with an explicit flag saying which limit cut the result.
import type { GraphRow, GraphStore } from './graph-store.js';
import { guardCypher } from './cypher-guard.js';

export interface AgentQueryOptions {
  params?: Record<string, unknown>;
  timeoutMs?: number;
  maxRows?: number;
  /** Budget for the rows as JSON, in tokens of about four characters. */
  maxTokens?: number;
}

export interface AgentQueryResult {
  cypher: string;
  columns: string[];
  rows: GraphRow[];
  totalRows: number;
  truncated: boolean;
  truncatedBy?: 'rows' | 'tokens';
  tokens: number;
  elapsedMs: number;
}

export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export async function runAgentCypher(
  store: GraphStore,
  cypher: string,
  options: AgentQueryOptions = {},
): Promise<AgentQueryResult> {
  await guardCypher(store, cypher);
  const maxRows = options.maxRows ?? 200;
  const result = await store.readOnly(cypher, options.params ?? {}, { timeoutMs: options.timeoutMs ?? 5_000, maxRows });
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
  return {
    cypher,
    columns: result.columns,
    rows,
    totalRows: result.totalRows,
    truncated,
    ...(truncated ? { truncatedBy: byTokens ? ('tokens' as const) : ('rows' as const) } : {}),
    tokens,
    elapsedMs: result.elapsedMs,
  };
}
