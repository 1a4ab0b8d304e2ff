// Typed pool failures with stable codes. `retryable` says whether another host may succeed where
// this one failed; our own bugs are never retryable, so they never trigger a failover.
import type { LlmStep } from './cascade.js';

export type PoolErrorCode =
  | 'NO_HEALTHY_HOST'
  | 'HOST_UNREACHABLE'
  | 'HOST_ERROR'
  | 'HOST_TIMEOUT'
  | 'MODEL_NOT_FOUND'
  | 'BAD_REQUEST'
  | 'CANCELLED'
  | 'QUEUE_FULL'
  | 'BUDGET_EXCEEDED'
  | 'INTERNAL';

const retryableCodes = new Set<PoolErrorCode>(['HOST_UNREACHABLE', 'HOST_ERROR', 'HOST_TIMEOUT', 'QUEUE_FULL']);

export class PoolError extends Error {
  override readonly name = 'PoolError';
  /** The LLM steps a failed complete() made before it gave up, for the caller's execution block. */
  steps?: readonly LlmStep[];
  /** How long the host asked to be left alone (its retry-after header), when it said. */
  readonly retryAfterMs?: number;
  constructor(
    readonly code: PoolErrorCode,
    message: string,
    readonly host?: string,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  get retryable(): boolean {
    return retryableCodes.has(this.code);
  }
}
