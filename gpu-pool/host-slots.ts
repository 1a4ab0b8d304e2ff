// A host's concurrency cap with a bounded FIFO queue. A full queue refuses at once (the pool tries
// another host); a queued request leaves the queue when its signal aborts.
import { PoolError } from './pool-error.js';

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/**
 * A host's concurrency cap and queue as the pool uses them. HostSlots keeps them in this process;
 * with several instances on one database, pg-coordination.ts keeps them across all of them.
 */
export interface Slots {
  /** This instance's requests running on the host. */
  readonly inFlight: number;
  /** This instance's requests waiting for the host. */
  readonly queued: number;
  /** Resolves with a release function once a slot is held; QUEUE_FULL at once when the queue is full. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export class HostSlots implements Slots {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly host: string,
    readonly limit: number,
    readonly maxQueue: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted)
      return Promise.reject(
        new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host),
      );
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueue)
      return Promise.reject(
        new PoolError(
          'QUEUE_FULL',
          `${this.host} has ${this.active} running and ${this.waiters.length} queued`,
          this.host,
        ),
      );
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index !== -1) this.waiters.splice(index, 1);
          reject(new PoolError('CANCELLED', `request for ${this.host} was cancelled while queued`, this.host));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) {
        next.signal?.removeEventListener('abort', next.onAbort);
        next.resolve(this.releaser());
      } else {
        this.active--;
      }
    };
  }
}
