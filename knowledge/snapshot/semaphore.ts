// A counting semaphore that also records the most permits ever held at once, so a build can prove
// (and a test assert) that a provider's concurrency limit was never exceeded.
export class Semaphore {
  private held = 0;
  private peak = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.held;
  }

  get maxInFlight(): number {
    return this.peak;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.held >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          const index = this.waiting.indexOf(wake);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(signal!.reason);
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', abort, { once: true });
      });
    } else {
      this.held++;
    }
    this.peak = Math.max(this.peak, this.held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The permit passes straight to the next waiter, so `held` stays the same.
      if (next) next();
      else this.held--;
    };
  }
}
