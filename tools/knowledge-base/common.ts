// Shared pieces of the knowledge-base tools: knowledge errors mapped onto the tool error channels,
// and the schema text cached per schema version.
import { KnowledgeError } from '../../knowledge/knowledge-error.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import type { GraphStore } from '../../knowledge/graph/graph-store.js';
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
  switch (error.code) {
    case 'QUERY_REJECTED':
    case 'BAD_INPUT':
    case 'NOT_FOUND':
    case 'EMBEDDER_MISMATCH':
    case 'DIMENSION_MISMATCH':
      return new InputError(field, error.message);
    case 'TIMEOUT':
      return new InputError(
        field,
        `${error.message}. Narrow the query (a LIMIT, a more selective MATCH) or raise timeoutMs (up to 60000)`,
      );
    case 'LOCKED':
    case 'UNAVAILABLE':
      return new ToolError('UNAVAILABLE', error.message, { cause: error });
    default:
      return new ToolError('TOOL_FAILED', error.message, { cause: error });
  }
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
