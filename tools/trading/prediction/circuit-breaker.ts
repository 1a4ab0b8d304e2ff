// A circuit breaker for the remote prediction service: after `failures` consecutive failed calls it
// opens and refuses calls at once (a dead service costs nothing but a message); after `coolDownMs`
// it lets one probe through (half-open): success closes it, failure opens it again for another
// cool-down. The clock is injected so tests can step time instead of sleeping.
import type { Clock } from '../../context.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export class BreakerOpenError extends Error {
  override readonly name = 'BreakerOpenError';
}

export class CircuitBreaker {
  private consecutive = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(private readonly options: { failures: number; coolDownMs: number; clock: Clock }) {}

  state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.options.clock.now() - this.openedAt >= this.options.coolDownMs ? 'half-open' : 'open';
  }

  /** Admits a call or throws; `probe` is true for the single call let through while half-open. */
  admit(): { probe: boolean } {
    const state = this.state();
    if (state === 'closed') return { probe: false };
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      return { probe: true };
    }
    const waitMs = Math.max(0, this.openedAt! + this.options.coolDownMs - this.options.clock.now());
    throw new BreakerOpenError(
      state === 'open'
        ? `the breaker is open after ${this.consecutive} consecutive failures; the next probe goes out in ${Math.ceil(waitMs / 1000)} s`
        : 'the breaker is half-open and its probe is still in flight',
    );
  }

  success(): void {
    this.consecutive = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  failure(): void {
    this.consecutive++;
    if (this.probing || this.consecutive >= this.options.failures) this.openedAt = this.options.clock.now();
    this.probing = false;
  }

  /** A call that ended without telling anything about the service (the caller cancelled, a 4xx). */
  release(): void {
    this.probing = false;
  }
}
