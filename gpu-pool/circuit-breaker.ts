// A per-host circuit breaker: it opens after `threshold` consecutive failures, stays open for
// `cooldownMs`, then lets one half-open trial through; the trial's outcome closes or reopens it.

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private state: BreakerState = 'closed';
  private trialInFlight = false;

  constructor(
    private readonly now: () => number,
    readonly threshold = 3,
    readonly cooldownMs = 10_000,
  ) {}

  current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.cooldownMs) this.state = 'half-open';
    return this.state;
  }

  /** Whether a request may go to this host now. In half-open, only one trial at a time. */
  allows(): boolean {
    const state = this.current();
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.trialInFlight) return true;
    return false;
  }

  /** Marks the start of a request; in half-open it becomes the one trial. */
  begin(): void {
    if (this.current() === 'half-open') this.trialInFlight = true;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.state = 'closed';
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.state === 'half-open' || this.failures >= this.threshold) {
      this.state = 'open';
      this.openedAt = this.now();
    }
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
