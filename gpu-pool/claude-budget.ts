// The daily Claude budget. Before each Claude call the cascade reserves an upper bound of what the
// call can cost (every prompt byte as a token at the dearest input rate, plus max_tokens of output);
// a reservation is granted while what is spent plus what is reserved is still under the budget, and
// settled with the call's real cost once it is priced. However many calls run at once, on however
// many instances, the day's spend can then pass the budget by at most one call's cost: the last
// call granted while the total was still under it. Here the budget lives in this process;
// pg-coordination.ts keeps the same state in PostgreSQL for instances that share a database.
import { randomUUID } from 'node:crypto';
import { priceFor, priceTable, type Rates } from './prices.js';

export interface BudgetGrant {
  granted: true;
  id: string;
  day: string;
  /** What was reserved: the call's most possible cost. */
  boundUsd: number;
}

export interface BudgetRefusal {
  granted: false;
  day: string;
  /** Settled spend plus open reservations when the call was refused. */
  committedUsd: number;
}

export interface ClaudeBudget {
  /** Reserves `boundUsd` for a call about to be sent; a refusal means the day's budget is spent. */
  reserve(boundUsd: number, budgetUsd: number, ttlMs: number): Promise<BudgetGrant | BudgetRefusal>;
  /** Replaces a reservation with the call's real cost (0 for a call that was never billed). */
  settle(grant: BudgetGrant, actualUsd: number): Promise<void>;
}

/** The spend already in the ledger for a UTC day, read once per day to seed the count. */
export type SpendSeed = (day: string) => Promise<number>;

const utcDay = (at: Date) => at.toISOString().slice(0, 10);

/**
 * What the API adds around the prompt, in tokens: a few per message (role markers), and the
 * tool-use system prompt when tools are offered (346 tokens at most in Anthropic's table).
 */
const framing = { base: 64, perMessage: 8, tools: 500 };

/**
 * The most one Claude request can cost: a token carries at least one byte of text, so the prompt's
 * UTF-8 length (as JSON, which only adds bytes) plus the API's framing bounds its input tokens;
 * output stops at max_tokens. Input is priced at the dearest input rate of the model's bands.
 * Caelum sends no cache_control, so no cache write can be billed; a change that adds prompt caching
 * must price the bound at the cache-write rate. A model the table has no price for is bounded at
 * the dearest rates of any model in it, so an unpriced model is never unbudgeted.
 */
export function claudeCostBound(
  model: string,
  request: { system?: string; messages: unknown; tools?: unknown; maxTokens: number },
  at: Date,
): number {
  const row = priceFor(model, at);
  const bytes =
    Buffer.byteLength(request.system ?? '') +
    Buffer.byteLength(JSON.stringify(request.messages)) +
    (request.tools ? Buffer.byteLength(JSON.stringify(request.tools)) : 0);
  const rates: Rates[] = row
    ? row.longPrompt
      ? [row, row.longPrompt]
      : [row]
    : priceTable.flatMap((r) => (r.longPrompt ? [r, r.longPrompt] : [r]));
  const input = Math.max(...rates.map((r) => r.input));
  const output = Math.max(...rates.map((r) => r.output));
  const messages = Array.isArray(request.messages) ? request.messages.length : 1;
  const tokens = bytes + framing.base + framing.perMessage * messages + (request.tools ? framing.tools : 0);
  return (tokens * input + request.maxTokens * output) / 1_000_000;
}

/** The budget of one instance with no shared database. */
export class LocalClaudeBudget implements ClaudeBudget {
  private day: string | undefined;
  private spentUsd = 0;
  private readonly reservations = new Map<string, { usd: number; expiresAt: number }>();
  /** Seeding is shared by the calls that start a day together. */
  private seeding: Promise<void> | undefined;

  constructor(
    private readonly seed: SpendSeed,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private async today(): Promise<string> {
    const day = utcDay(this.clock());
    if (this.day === day) return day;
    this.seeding ??= this.seed(day)
      .then((usd) => {
        this.day = day;
        this.spentUsd = usd;
        this.reservations.clear();
      })
      .finally(() => (this.seeding = undefined));
    await this.seeding;
    return day;
  }

  async reserve(boundUsd: number, budgetUsd: number, ttlMs: number): Promise<BudgetGrant | BudgetRefusal> {
    const day = await this.today();
    const now = Date.now();
    let reserved = 0;
    for (const [id, r] of this.reservations) {
      // A reservation never settled (its call vanished) counts as spent at its bound.
      if (r.expiresAt < now) {
        this.spentUsd += r.usd;
        this.reservations.delete(id);
      } else reserved += r.usd;
    }
    if (this.spentUsd + reserved >= budgetUsd) return { granted: false, day, committedUsd: this.spentUsd + reserved };
    const id = randomUUID();
    this.reservations.set(id, { usd: boundUsd, expiresAt: now + ttlMs });
    return { granted: true, id, day, boundUsd };
  }

  settle(grant: BudgetGrant, actualUsd: number): Promise<void> {
    if (this.day === grant.day && this.reservations.delete(grant.id)) this.spentUsd += actualUsd;
    return Promise.resolve();
  }
}
