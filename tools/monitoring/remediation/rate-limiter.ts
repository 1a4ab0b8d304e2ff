// Per-server gate for real remediation runs: at most maxRuns started in any windowMs (a sliding
// window), and never two at once on the same server. A refusal says when the next run is allowed.
// Pure: the clock is passed in.
import { z } from 'zod';

export const rateLimitSchema = z
  .object({
    maxRuns: z.number().int().min(1).max(100).default(3).describe('Real runs allowed per server per window.'),
    windowMs: z
      .number()
      .int()
      .min(1_000)
      .max(7 * 24 * 3_600_000)
      .default(3_600_000)
      .describe('Window length in ms; default one hour.'),
  })
  .strict();
export type RateLimit = z.output<typeof rateLimitSchema>;

export type Admission =
  | { ok: true; release: () => void }
  | { ok: false; reason: 'rate_limited' | 'in_progress'; message: string; nextAllowedAt: number | null };

export class RemediationRateLimiter {
  private readonly started = new Map<string, number[]>();
  private readonly running = new Set<string>();

  constructor(private limit: RateLimit) {}

  /** Follows a configuration change; history is kept. */
  configure(limit: RateLimit): void {
    this.limit = limit;
  }

  /** Admits a run on `server` at `now`, or says why not. The admitted run must call release(). */
  admit(server: string, now: number): Admission {
    if (this.running.has(server))
      return {
        ok: false,
        reason: 'in_progress',
        message: `a remediation run on ${server} is already in progress; wait for it to finish`,
        nextAllowedAt: null,
      };
    const recent = (this.started.get(server) ?? []).filter((at) => at > now - this.limit.windowMs);
    if (recent.length >= this.limit.maxRuns) {
      const nextAllowedAt = recent[recent.length - this.limit.maxRuns]! + this.limit.windowMs;
      this.started.set(server, recent);
      return {
        ok: false,
        reason: 'rate_limited',
        message: `${server} has had ${recent.length} remediation run(s) in the last ${this.limit.windowMs} ms (rateLimit.maxRuns ${this.limit.maxRuns}); the next run is allowed at ${new Date(nextAllowedAt).toISOString()}`,
        nextAllowedAt,
      };
    }
    recent.push(now);
    this.started.set(server, recent);
    this.running.add(server);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.running.delete(server);
      },
    };
  }
}
