// A token bucket per key (a Slack webhook URL): `ratePerSecond` tokens a second, `burst` at most.
// The clock is injected and nothing here sleeps: `take` reserves a token and says how long the
// caller must wait before sending; a wait longer than the caller accepts reserves nothing and comes
// back as deferred, with the time the send would be allowed.

export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
  now: () => number;
  /** Keys kept at most (least recently used dropped), so a stream of URLs cannot grow memory. */
  maxKeys?: number;
}

export type TakeResult = { ok: true; waitMs: number } | { ok: false; retryAfterMs: number };

export class TokenBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: TokenBucketOptions) {}

  /** Reserves one token for `key` if it is available within `maxWaitMs`. */
  take(key: string, maxWaitMs = 0): TakeResult {
    const now = this.options.now();
    const { ratePerSecond, burst } = this.options;
    const previous = this.buckets.get(key) ?? { tokens: burst, at: now };
    // Tokens may go negative: each negative token is a reservation someone is waiting out.
    const tokens = Math.min(burst, previous.tokens + ((now - previous.at) / 1000) * ratePerSecond);
    const waitMs = tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / ratePerSecond) * 1000);
    if (waitMs > maxWaitMs) return { ok: false, retryAfterMs: waitMs };
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    const maxKeys = this.options.maxKeys ?? 1000;
    if (this.buckets.size > maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return { ok: true, waitMs };
  }
}

/** Slack's guidance: about one message a second per webhook, short bursts allowed. */
export function slackRateLimiter(now: () => number): TokenBucket {
  return new TokenBucket({ ratePerSecond: 1, burst: 3, now });
}
