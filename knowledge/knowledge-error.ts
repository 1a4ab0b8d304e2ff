// Typed knowledge-layer failures with stable codes.
export type KnowledgeErrorCode =
  | 'EMBEDDER_MISMATCH'
  | 'DIMENSION_MISMATCH'
  | 'INDEX_CORRUPT'
  | 'NOT_FOUND'
  | 'QUERY_REJECTED'
  | 'QUERY_FAILED'
  | 'TIMEOUT'
  | 'BUDGET_EXCEEDED'
  | 'READ_ONLY'
  | 'LOCKED'
  | 'UNAVAILABLE'
  | 'BAD_INPUT'
  | 'INTERNAL';

export class KnowledgeError extends Error {
  override readonly name = 'KnowledgeError';
  constructor(
    readonly code: KnowledgeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
