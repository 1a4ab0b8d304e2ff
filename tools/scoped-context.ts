// A tool context derived from another, for one tool or one call. What it changes (the logger
// fields, the pool's bookkeeping) is built only if the handler uses it: most calls never log or
// call a model, and the dispatch hot path should not allocate for them.
import type { ModelPool } from '../gpu-pool/model-pool.js';
import type { ToolContext, Logger, ProgressReporter } from './context.js';

export class ScopedContext implements ToolContext {
  private scopedLogger: Logger | undefined;
  private scopedPool: ModelPool | undefined;

  constructor(
    private readonly parent: ToolContext,
    private readonly fields: { tool: string },
    private readonly wrapPool: (pool: ModelPool) => ModelPool,
    /** Where this tool's progress goes instead of the parent's (a step of a longer call). */
    private readonly progressTo?: ProgressReporter,
  ) {}

  get logger(): Logger {
    return (this.scopedLogger ??= this.parent.logger.child(this.fields));
  }
  get pool(): ModelPool {
    return (this.scopedPool ??= this.wrapPool(this.parent.pool));
  }
  get clock() {
    return this.parent.clock;
  }
  get signal() {
    return this.parent.signal;
  }
  get progress() {
    return this.progressTo ?? this.parent.progress;
  }
  get ledger() {
    return this.parent.ledger;
  }
  get knowledge() {
    return this.parent.knowledge;
  }
  get environment() {
    return this.parent.environment;
  }
}

/** A pool whose `complete` fills in defaults and observes each result. */
export function interceptPool(
  pool: ModelPool,
  before: (request: Parameters<ModelPool['complete']>[0]) => Parameters<ModelPool['complete']>[0],
  after?: (steps: Awaited<ReturnType<ModelPool['complete']>>['steps']) => void,
): ModelPool {
  const wrapped: ModelPool = Object.create(pool);
  wrapped.complete = async (request) => {
    let result;
    try {
      result = await pool.complete(before(request));
    } catch (error) {
      // A call that failed still made its attempts; they belong in the execution block too.
      const steps = (error as { steps?: Awaited<ReturnType<ModelPool['complete']>>['steps'] }).steps;
      if (steps) after?.(steps);
      throw error;
    }
    after?.(result.steps);
    return result as never;
  };
  return wrapped;
}
