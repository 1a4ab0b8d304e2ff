// Dated Claude prices (USD per million tokens) and the cost of a call. Prices change by date, so
// each row has an effective-from date and every priced call is stamped with the row it used.
// An unknown model is flagged, never priced at $0. Source: shared/reference/mcp-protocol-and-prices.md
// (Anthropic pricing pages as captured 2026-11-22; Sonnet 5.5 / Haiku 5.5 cache and band rates
// from dated third-party ledgers, as that page records).

export interface Rates {
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
}

export interface PriceRow extends Rates {
  /** Model family id as the API names it, without a date suffix, e.g. "claude-sonnet-4-5". */
  model: string;
  /** First day (UTC) these rates apply. */
  effectiveFrom: string;
  /** Whole-request rates once the prompt (input + cache reads + cache writes) passes `overPromptTokens`. */
  longPrompt?: Rates & { overPromptTokens: number };
}

const since = '2024-01-01'; // in force before Caelum's ledger began
const rates = (
  input: number,
  output: number,
  cacheWrite5m: number,
  cacheWrite1h: number,
  cacheRead: number,
): Rates => ({ input, output, cacheWrite5m, cacheWrite1h, cacheRead });

export const priceTable: readonly PriceRow[] = [
  { model: 'claude-fable-5-1', effectiveFrom: since, ...rates(10, 50, 12.5, 20, 0.25) },
  { model: 'claude-opus-5-5', effectiveFrom: '2026-09-22', ...rates(4, 20, 5, 8, 0.2) },
  ...['claude-opus-5', 'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-opus-4-5'].map((model) => ({
    model,
    effectiveFrom: since,
    ...rates(5, 25, 6.25, 10, 0.5),
  })),
  ...['claude-opus-4-1', 'claude-opus-4-0', 'claude-opus-4'].map((model) => ({
    model,
    effectiveFrom: since,
    ...rates(15, 75, 18.75, 30, 1.5),
  })),
  { model: 'claude-sonnet-5-5', effectiveFrom: since, ...rates(2, 10, 2.5, 4, 0.2) },
  { model: 'claude-sonnet-5-5', effectiveFrom: '2026-10-07', ...rates(2, 10, 2.5, 4, 0.1) },
  { model: 'claude-sonnet-5', effectiveFrom: since, ...rates(2, 10, 2.5, 4, 0.2) },
  ...['claude-sonnet-4-6', 'claude-sonnet-4-5', 'claude-sonnet-4-0', 'claude-sonnet-4'].map((model) => ({
    model,
    effectiveFrom: since,
    ...rates(3, 15, 3.75, 6, 0.3),
  })),
  {
    model: 'claude-haiku-5-5',
    effectiveFrom: since,
    ...rates(0.1, 0.5, 0.125, 0.2, 0.01),
    longPrompt: { overPromptTokens: 100_000, ...rates(0.5, 2.5, 0.625, 1, 0.05) },
  },
  { model: 'claude-haiku-4-5', effectiveFrom: since, ...rates(1, 5, 1.25, 2, 0.1) },
  { model: 'claude-3-5-haiku', effectiveFrom: since, ...rates(0.8, 4, 1, 1.6, 0.08) },
  { model: 'claude-3-haiku', effectiveFrom: since, ...rates(0.25, 1.25, 0.3, 0.5, 0.03) },
];

/** "claude-sonnet-4-5-20250929" and "claude-sonnet-4-5-latest" price as "claude-sonnet-4-5". */
export function modelFamily(model: string): string {
  return model.toLowerCase().replace(/-(\d{8}|latest)$/, '');
}

export function priceFor(model: string, at: Date, table: readonly PriceRow[] = priceTable): PriceRow | undefined {
  const family = modelFamily(model);
  const day = at.toISOString().slice(0, 10);
  let best: PriceRow | undefined;
  for (const row of table) {
    if (row.model === family && row.effectiveFrom <= day && (!best || row.effectiveFrom > best.effectiveFrom))
      best = row;
  }
  return best;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens?: number;
  cacheWrite1hTokens?: number;
  cacheReadTokens?: number;
}

export type Priced =
  | { known: true; usd: number; priceVersion: string; band: 'standard' | 'long-prompt' }
  | { known: false; model: string; flag: 'UNKNOWN_MODEL_PRICE' };

/** The cost of one call. Batch halves input and output (not cache) rates. */
export function priceCall(
  model: string,
  usage: TokenUsage,
  at: Date,
  options: { batch?: boolean; table?: readonly PriceRow[] } = {},
): Priced {
  const row = priceFor(model, at, options.table);
  if (!row) return { known: false, model, flag: 'UNKNOWN_MODEL_PRICE' };
  const write5m = usage.cacheWrite5mTokens ?? 0;
  const write1h = usage.cacheWrite1hTokens ?? 0;
  const read = usage.cacheReadTokens ?? 0;
  const prompt = usage.inputTokens + read + write5m + write1h;
  const long = row.longPrompt && prompt > row.longPrompt.overPromptTokens;
  const r: Rates = long ? row.longPrompt! : row;
  const discount = options.batch ? 0.5 : 1;
  const usd =
    (usage.inputTokens * r.input * discount +
      usage.outputTokens * r.output * discount +
      write5m * r.cacheWrite5m +
      write1h * r.cacheWrite1h +
      read * r.cacheRead) /
    1_000_000;
  return {
    known: true,
    usd,
    priceVersion: `${row.model}@${row.effectiveFrom}`,
    band: long ? 'long-prompt' : 'standard',
  };
}
