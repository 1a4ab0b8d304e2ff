// Shared pieces of the knowledge-base tools: knowledge errors mapped onto the tool error channels,
// and the schema text cached per schema version.
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import type { GraphStore } from '../../knowledge/graph/graph-store.js';
import type { AgentQueryOptions } from '../../knowledge/graph/agent-query.js';
import type { KnowledgeStore } from '../../knowledge/knowledge-store.js';
import { describeSchema } from '../../knowledge/graph/schema-text.js';
import { InputError, ToolError } from '../errors.js';

/** Runs knowledge work; what the caller can fix becomes an InputError on `field`. */
export async function knowledge<T>(field: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw mapKnowledgeError(error, field);
  }
}

export function mapKnowledgeError(error: unknown, field: string): unknown {
  // An embedding through the pool that no host could serve: the tool is unavailable, not broken.
  if (error instanceof PoolError && error.code !== 'CANCELLED')
    return new ToolError('UNAVAILABLE', `embedding failed: ${error.message}`, { cause: error });
  if (!(error instanceof KnowledgeError)) return error;
  // One line, never a stack: engine messages can carry newlines and "See the docs" trailers.
  const message = error.message.replace(/\s+/g, ' ').trim();
  switch (error.code) {
    case 'QUERY_REJECTED':
    case 'BAD_INPUT':
    case 'NOT_FOUND':
    case 'EMBEDDER_MISMATCH':
    case 'DIMENSION_MISMATCH':
    case 'TIMEOUT': // the message names the budget and how to narrow the query
    case 'BUDGET_EXCEEDED':
      return new InputError(field, message);
    case 'LOCKED':
    case 'UNAVAILABLE':
    case 'READ_ONLY':
      return new ToolError('UNAVAILABLE', message, { cause: error });
    default:
      return new ToolError('TOOL_FAILED', message, { cause: error });
  }
}

/** A tool's query settings over the server's configured budgets (servers/config.ts `graph`). */
export function agentQueryOptions(
  store: KnowledgeStore,
  input: { params?: Record<string, unknown>; maxRows?: number; maxTokens?: number; timeoutMs?: number | undefined },
): AgentQueryOptions {
  const limits = store.queryLimits();
  return {
    ...(input.params ? { params: input.params } : {}),
    ...(input.maxRows ? { maxRows: input.maxRows } : {}),
    ...(input.maxTokens ? { maxTokens: input.maxTokens } : {}),
    timeoutMs: input.timeoutMs ?? limits.timeoutMs,
    maxBytes: limits.maxBytes,
    memoryCapBytes: limits.memoryCapBytes,
  };
}

const schemaCache = new WeakMap<GraphStore, { version: number; text: string }>();

/** The full schema text, cached per store and schema version. */
export async function schemaText(graph: GraphStore): Promise<string> {
  const cached = schemaCache.get(graph);
  if (cached && cached.version === graph.schemaVersion) return cached.text;
  const text = describeSchema(await graph.tables(), { engine: graph.engine, version: graph.schemaVersion });
  schemaCache.set(graph, { version: graph.schemaVersion, text });
  return text;
}
