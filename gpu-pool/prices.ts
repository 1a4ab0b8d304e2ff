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

/** The escalation and baseline model by default: a current one (active in lifecycleTable). */
export const defaultClaudeModel = 'claude-sonnet-5-5';

/** Which table a ledger row was priced with: the price rows' capture date and the lifecycle rows'. */
export const priceTableVersion = 'prices-2026-11-22+lifecycle-2026-12-02';

/**
 * Deprecation and retirement (end-of-life) dates, per model family. Past `retiresOn` requests fail;
 * past `deprecatedOn` the model still answers but should be replaced. Sources, as dated:
 * - claude-sonnet-4-5: deprecated in @anthropic-ai/sdk 0.131.0 (2026-09-30, "client: deprecate sonnet
 *   4.5"); end-of-life 2026-11-30 per the DEPRECATED_MODELS table of @anthropic-ai/sdk 1.12.0.
 * - claude-sonnet-4 / claude-opus-4 (-0): retired 2026-06-15 (Anthropic release notes, as recorded by
 *   ottto-ai/ai-provider-watch, retrieved 2026-06-17).
 * - claude-opus-4-5: deprecated 2026-11-23, retirement 2027-01-22 (tentative), per the model status
 *   table as re-read by modelpin 0.5.7 on 2026-11-26.
 * - claude-opus-4-1: "retired except Bedrock/Google Cloud" on the pricing page captured 2026-11-22
 *   (shared/reference/mcp-protocol-and-prices.md); that capture is the latest date we can vouch for.
 * - claude-3-7-sonnet, claude-3-5-haiku, claude-3-opus: Anthropic's model deprecations page.
 */
export interface Lifecycle {
  model: string;
  deprecatedOn?: string;
  retiresOn?: string;
  replacement?: string;
  source: string;
}

export const lifecycleTable: readonly Lifecycle[] = [
  {
    model: 'claude-sonnet-4-5',
    deprecatedOn: '2026-09-30',
    retiresOn: '2026-11-30',
    replacement: 'claude-sonnet-5-5',
    source: '@anthropic-ai/sdk changelog 0.131.0 and its end-of-life table in 1.12.0',
  },
  ...['claude-sonnet-4', 'claude-sonnet-4-0', 'claude-opus-4', 'claude-opus-4-0'].map((model) => ({
    model,
    retiresOn: '2026-06-15',
    replacement: model.startsWith('claude-sonnet') ? 'claude-sonnet-5-5' : 'claude-opus-5-5',
    source: 'Anthropic release notes, 2026-06-15',
  })),
  {
    model: 'claude-opus-4-5',
    deprecatedOn: '2026-11-23',
    retiresOn: '2027-01-22',
    replacement: 'claude-opus-5-5',
    source: 'Anthropic model status table, re-read 2026-11-26 (retirement date tentative)',
  },
  {
    model: 'claude-opus-4-1',
    retiresOn: '2026-11-22',
    replacement: 'claude-opus-5-5',
    source: 'Anthropic pricing page captured 2026-11-22 ("retired except Bedrock/Google Cloud")',
  },
  {
    model: 'claude-3-7-sonnet',
    deprecatedOn: '2025-10-28',
    retiresOn: '2026-02-19',
    replacement: 'claude-sonnet-5-5',
    source: 'Anthropic model deprecations page',
  },
  {
    model: 'claude-3-5-haiku',
    deprecatedOn: '2025-12-19',
    retiresOn: '2026-02-19',
    replacement: 'claude-haiku-5-5',
    source: 'Anthropic model deprecations page',
  },
  {
    model: 'claude-3-opus',
    deprecatedOn: '2025-06-30',
    retiresOn: '2026-01-05',
    replacement: 'claude-opus-5-5',
    source: 'Anthropic model deprecations page',
  },
];

export type LifecycleStatus =
  | { status: 'active'; model: string; known: boolean }
  | ({ status: 'deprecated' | 'retired'; message: string } & Lifecycle);

/** Where a model stands on `at`: active, deprecated (still answers) or retired (requests fail). */
export function lifecycleOf(model: string, at: Date, table: readonly Lifecycle[] = lifecycleTable): LifecycleStatus {
  const family = modelFamily(model);
  const day = at.toISOString().slice(0, 10);
  const row = table.find((r) => r.model === family);
  if (row?.retiresOn && row.retiresOn <= day)
    return {
      status: 'retired',
      ...row,
      message: `${model} reached end-of-life on ${row.retiresOn}; requests to it fail${row.replacement ? `. Use ${row.replacement}` : ''} (source: ${row.source})`,
    };
  if (row?.deprecatedOn && row.deprecatedOn <= day)
    return {
      status: 'deprecated',
      ...row,
      message: `${model} is deprecated since ${row.deprecatedOn}${row.retiresOn ? ` and retires on ${row.retiresOn}` : ''}${row.replacement ? `; use ${row.replacement}` : ''} (source: ${row.source})`,
    };
  return { status: 'active', model, known: priceFor(model, at) !== undefined };
}

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

export interface ModelNotice {
  role: 'escalation' | 'baseline';
  model: string;
  status: 'deprecated' | 'retired' | 'unpriced';
  message: string;
}

/**
 * What is wrong with the configured Claude models on `at`: past deprecation or end-of-life, or
 * unknown to the price table. For start-up logs and `doctor`.
 */
export function modelNotices(models: { escalation?: string; baseline: string }, at: Date): ModelNotice[] {
  const notices: ModelNotice[] = [];
  for (const [role, model] of [
    ['escalation', models.escalation],
    ['baseline', models.baseline],
  ] as const) {
    if (!model) continue;
    const life = lifecycleOf(model, at);
    const what = role === 'escalation' ? 'the escalation model' : 'the baseline model';
    if (life.status !== 'active')
      notices.push({ role, model, status: life.status, message: `${what} ${life.message}` });
    else if (!life.known)
      notices.push({
        role,
        model,
        status: 'unpriced',
        message: `${what} ${model} has no price in Caelum's table; its calls are flagged and not counted as $0`,
      });
  }
  return notices;
}
