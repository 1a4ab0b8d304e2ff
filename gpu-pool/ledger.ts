// The cost ledger: one row per LLM call, append-only, surviving restarts. The embedded default is
// JSONL under <dataDir>/ledger, one file per month, each append fsync'd. A process killed in the
// middle of a write can leave a torn last line: readers skip it and count it, never guess.
import { copyFile, mkdir, open, readdir, rename } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { z } from 'zod';

export const callOutcomes = ['accepted_local', 'escalated', 'failed'] as const;
export type CallOutcome = (typeof callOutcomes)[number];

/** The figures of one LLM call (one complete()), carried by the last row of the call. */
export const callSummarySchema = z.object({
  outcome: z
    .enum(callOutcomes)
    .describe(
      'accepted_local: the first local tier answered at or above the threshold; escalated: it did not, and a larger tier or Claude answered; failed: no answer met the threshold',
    ),
  answeredBy: z.enum(['ollama', 'claude']).optional().describe('the backend whose answer was returned'),
  attempts: z.number().int().nonnegative(),
  localAttempts: z.number().int().nonnegative(),
  threshold: z.number().min(0).max(1),
  costUsd: z.number().nonnegative().describe('every attempt of the call: local compute plus Claude'),
  localComputeUsd: z.number().nonnegative(),
  claudeUsd: z.number().nonnegative(),
  baselineModel: z.string(),
  baselinePriceVersion: z.string().optional(),
  baselineCostUsd: z
    .number()
    .nonnegative()
    .describe('the answer priced at the baseline Claude model; 0 for a failed call, which has no answer to compare'),
  savingUsd: z.number().describe('booked only for an accepted local answer: baseline minus the cost of every attempt'),
  savingExcludingLocalUsd: z.number().describe('the same saving with local compute priced at $0'),
  reason: z.string().optional().describe('why the call failed or escalated, from its first failed attempt'),
});
export type CallSummary = z.infer<typeof callSummarySchema>;

export const ledgerEntrySchema = z.object({
  /** 2 for rows with call outcomes. Absent on rows written before outcome tracking (legacy, v1). */
  v: z.literal(2).optional(),
  ts: z.string().describe('ISO-8601 time the call finished'),
  callId: z.string().describe('shared by every attempt of one call (v2); random per row in v1'),
  tool: z.string().optional(),
  supervisor: z.string().optional(),
  backend: z.enum(['ollama', 'claude']),
  host: z.string().optional(),
  model: z.string(),
  tier: z.string().optional(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  cacheReadTokens: z.number().int().nonnegative().default(0),
  latencyMs: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  /** v2: the call's baseline, on its last row only (0 on the others). v1: this row's tokens at the baseline price. */
  baselineCostUsd: z.number().nonnegative(),
  /** v2: the call's booked saving, on its last row only. v1: baseline minus cost of this row, as then booked. */
  savingUsd: z.number(),
  priceVersion: z.string().optional(),
  /** The price and lifecycle table the row was booked with (v2). */
  priceTable: z.string().optional(),
  /**
   * The attempt: accepted (its answer was returned and met the threshold), rejected (it answered,
   * but invalid or below the threshold), error (no answer; errorCode and reason say why).
   * v1 rows say ok or error.
   */
  outcome: z.enum(['ok', 'error', 'accepted', 'rejected']).default('ok'),
  errorCode: z.string().optional(),
  reason: z.string().optional(),
  confidence: z.number().min(0).max(1).optional(),
  localRate: z.object({ basis: z.enum(['unconfigured', 'gpu_hour', 'power']), usdPerHour: z.number() }).optional(),
  /** On the last row of each v2 LLM call; absent on embedding rows. */
  call: callSummarySchema.optional(),
  /** Set by `caelum ledger migrate` on a v1 row it reclassified. */
  migratedFrom: z.literal(1).optional(),
  flags: z.array(z.string()).default([]),
});
export type LedgerEntry = z.input<typeof ledgerEntrySchema>;
export type LedgerRow = z.output<typeof ledgerEntrySchema>;

export interface CostTotals {
  /** LLM calls (v2 calls plus embedding requests). */
  calls: number;
  /** Rows: every attempt on a host or Claude. */
  attempts: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  baselineCostUsd: number;
  savingUsd: number;
}

export interface HostStats {
  host: string;
  calls: number;
  errors: number;
  avgLatencyMs: number;
}

export interface CostBreakdown {
  /** Attempts on local hosts and on Claude. */
  localCalls: number;
  claudeCalls: number;
  outcomes: {
    acceptedLocal: number;
    escalated: number;
    escalatedAnsweredLocally: number;
    escalatedAnsweredByClaude: number;
    failed: number;
    embeddings: number;
  };
  /** Calls whose returned answer was an accepted local one, over calls that tried a local host. */
  localSuccessRate: number | undefined;
  /** Failed calls over LLM calls. */
  errorRate: number | undefined;
  /** Attempts that got no answer (host error, timeout, ...) over all attempts. */
  attemptErrorRate: number | undefined;
  localComputeUsd: number;
  claudeUsd: number;
  /** What failed calls cost: no saving is booked for them. */
  failedCallsCostUsd: number;
  /** Local compute spent on calls that Claude answered in the end. */
  escalationOverheadUsd: number;
  /** The booked saving with local compute priced at $0. */
  savingExcludingLocalUsd: number;
  /** The Claude models the calls' baselines were priced at. */
  baselineModels: string[];
  /** Local rows by how their compute was priced. */
  localCostBasis: { unconfigured: number; gpu_hour: number; power: number };
  /** Rows flagged with an unknown price: their cost is not known, and not counted as $0 silently. */
  unpricedCalls: number;
  hosts: HostStats[];
}

export type GroupBy = 'model' | 'backend' | 'day' | 'week' | 'month' | 'tool' | 'supervisor' | 'host';

/** Rows written before outcome tracking, shown as they were booked and counted apart. */
export interface LegacySummary {
  rows: number;
  costUsd: number;
  claudeUsd: number;
  /** The saving those rows claimed when written (every answered local row booked its whole baseline). */
  claimedSavingUsd: number;
  note: string;
}

export interface SummarizeOptions {
  since?: Date;
  groupBy: GroupBy;
  alsoGroupBy?: readonly GroupBy[];
  signal?: AbortSignal;
}

export interface CostSummary {
  /** The groups of each of `alsoGroupBy`, when asked. */
  also?: Partial<Record<GroupBy, (CostTotals & { key: string })[]>>;
  totals: CostTotals;
  groups: (CostTotals & { key: string })[];
  breakdown: CostBreakdown;
  groupBy: GroupBy;
  since: string | undefined;
  legacy: LegacySummary | undefined;
  /** Lines that could not be parsed (a torn write from a killed process), skipped. */
  skippedLines: number;
  source: string;
}

export interface CostLedger {
  append(entry: LedgerEntry): Promise<void>;
  /** Every row of one call, written together. */
  appendAll(entries: readonly LedgerEntry[]): Promise<void>;
  /**
   * Totals grouped by `groupBy`; `alsoGroupBy` adds other groupings of the same rows in the same pass
   * (`also`), so a page that shows several does not read the ledger once for each.
   */
  summarize(options: SummarizeOptions): Promise<CostSummary>;
  /** Reclassifies v1 rows explicitly (`caelum ledger migrate`); dry-run by default. */
  migrate(options: { threshold: number; dryRun: boolean; signal?: AbortSignal }): Promise<MigrationReport>;
}

const emptyTotals = (): CostTotals => ({
  calls: 0,
  attempts: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  baselineCostUsd: 0,
  savingUsd: 0,
});

/** A row that ends a call: a v2 row with its call figures, or an embedding request. */
function endsCall(entry: LedgerRow): boolean {
  return entry.call !== undefined || entry.flags.includes('EMBEDDING');
}

function add(totals: CostTotals, entry: LedgerRow): void {
  totals.attempts += 1;
  if (endsCall(entry)) totals.calls += 1;
  totals.inputTokens += entry.inputTokens;
  totals.outputTokens += entry.outputTokens;
  totals.costUsd += entry.costUsd;
  totals.baselineCostUsd += entry.baselineCostUsd;
  totals.savingUsd += entry.savingUsd;
}

/** The ISO week (Monday to Sunday, UTC) a time falls in, named by its Monday: 2026-11-30. */
export function weekOf(ts: string): string {
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return ts.slice(0, 10);
  const day = (date.getUTCDay() + 6) % 7; // Monday 0
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - day))
    .toISOString()
    .slice(0, 10);
}

function groupKey(entry: LedgerRow, groupBy: GroupBy): string {
  switch (groupBy) {
    case 'supervisor':
      return entry.supervisor ?? '(none)';
    case 'host':
      return entry.host ?? (entry.backend === 'claude' ? 'claude' : '(none)');
    case 'model':
      return `${entry.backend}:${entry.model}`;
    case 'backend':
      return entry.backend;
    case 'day':
      return entry.ts.slice(0, 10);
    case 'week':
      return weekOf(entry.ts);
    case 'month':
      return entry.ts.slice(0, 7);
    case 'tool':
      return entry.tool ?? '(none)';
  }
}

const legacyNote = (rows: number) =>
  `${rows} ledger row(s) from before outcome tracking are shown apart, as they were booked, and not counted in the figures above; run \`caelum ledger migrate\` to reclassify them`;

/** Adds the other groupings' groups to a summary (summarize's alsoGroupBy). */
export function withAlso(summary: CostSummary, also: readonly SummaryBuilder[]): CostSummary {
  if (also.length === 0) return summary;
  const groups: NonNullable<CostSummary['also']> = {};
  for (const builder of also)
    groups[builder.groupBy] = builder.build({ since: summary.since, skippedLines: 0, source: summary.source }).groups;
  return { ...summary, also: groups };
}

/** Folds ledger rows into a summary; shared by every ledger store. */
export class SummaryBuilder {
  private readonly totals = emptyTotals();
  private readonly groups = new Map<string, CostTotals>();
  private readonly hosts = new Map<string, { calls: number; errors: number; latency: number; answered: number }>();
  private attempts = { local: 0, claude: 0, errors: 0 };
  private readonly outcomes = {
    acceptedLocal: 0,
    escalated: 0,
    escalatedAnsweredLocally: 0,
    escalatedAnsweredByClaude: 0,
    failed: 0,
    embeddings: 0,
  };
  private triedLocal = 0;
  private spend = { local: 0, claude: 0, failed: 0, overhead: 0, savingExcludingLocal: 0 };
  private readonly basis = { unconfigured: 0, gpu_hour: 0, power: 0 };
  private readonly baselineModels = new Set<string>();
  private unpriced = 0;
  private legacy = { rows: 0, costUsd: 0, claudeUsd: 0, claimedSavingUsd: 0 };

  constructor(readonly groupBy: GroupBy) {}

  add(entry: LedgerRow): void {
    if (entry.v !== 2) {
      this.legacy.rows++;
      this.legacy.costUsd += entry.costUsd;
      if (entry.backend === 'claude') this.legacy.claudeUsd += entry.costUsd;
      this.legacy.claimedSavingUsd += entry.savingUsd;
      return;
    }
    add(this.totals, entry);
    const key = groupKey(entry, this.groupBy);
    const group = this.groups.get(key) ?? emptyTotals();
    add(group, entry);
    this.groups.set(key, group);
    const error = entry.outcome === 'error';
    if (error) this.attempts.errors++;
    if (entry.flags.includes('UNKNOWN_MODEL_PRICE')) this.unpriced++;
    if (entry.backend === 'ollama') {
      this.attempts.local++;
      this.spend.local += entry.costUsd;
      this.basis[entry.localRate?.basis ?? 'unconfigured']++;
    } else {
      this.attempts.claude++;
      this.spend.claude += entry.costUsd;
    }
    if (entry.flags.includes('EMBEDDING')) this.outcomes.embeddings++;
    const call = entry.call;
    if (call) {
      if (call.outcome === 'accepted_local') this.outcomes.acceptedLocal++;
      else if (call.outcome === 'failed') {
        this.outcomes.failed++;
        this.spend.failed += call.costUsd;
      } else {
        this.outcomes.escalated++;
        if (call.answeredBy === 'claude') {
          this.outcomes.escalatedAnsweredByClaude++;
          this.spend.overhead += call.localComputeUsd;
        } else this.outcomes.escalatedAnsweredLocally++;
      }
      this.spend.savingExcludingLocal += call.savingExcludingLocalUsd;
      if (call.baselineCostUsd > 0) this.baselineModels.add(call.baselineModel);
      if (call.localAttempts > 0) this.triedLocal++;
    }
    const hostKey = entry.host ?? entry.backend;
    const host = this.hosts.get(hostKey) ?? { calls: 0, errors: 0, latency: 0, answered: 0 };
    host.calls++;
    if (!error) {
      host.answered++;
      host.latency += entry.latencyMs;
    } else host.errors++;
    this.hosts.set(hostKey, host);
  }

  build(extra: { since: string | undefined; skippedLines: number; source: string }): CostSummary {
    const llmCalls = this.outcomes.acceptedLocal + this.outcomes.escalated + this.outcomes.failed;
    const attempts = this.attempts.local + this.attempts.claude;
    return {
      totals: this.totals,
      groups: [...this.groups.entries()]
        .map(([key, value]) => ({ key, ...value }))
        .sort((a, b) => b.costUsd - a.costUsd || b.attempts - a.attempts || a.key.localeCompare(b.key)),
      breakdown: {
        localCalls: this.attempts.local,
        claudeCalls: this.attempts.claude,
        outcomes: { ...this.outcomes },
        localSuccessRate: this.triedLocal
          ? (this.outcomes.acceptedLocal + this.outcomes.escalatedAnsweredLocally) / this.triedLocal
          : undefined,
        errorRate: llmCalls ? this.outcomes.failed / llmCalls : undefined,
        attemptErrorRate: attempts ? this.attempts.errors / attempts : undefined,
        localComputeUsd: this.spend.local,
        claudeUsd: this.spend.claude,
        failedCallsCostUsd: this.spend.failed,
        escalationOverheadUsd: this.spend.overhead,
        savingExcludingLocalUsd: this.spend.savingExcludingLocal,
        baselineModels: [...this.baselineModels].sort(),
        localCostBasis: { ...this.basis },
        unpricedCalls: this.unpriced,
        hosts: [...this.hosts.entries()]
          .map(([host, h]) => ({
            host,
            calls: h.calls,
            errors: h.errors,
            avgLatencyMs: h.answered ? Number((h.latency / h.answered).toFixed(1)) : 0,
          }))
          .sort((a, b) => a.host.localeCompare(b.host)),
      },
      groupBy: this.groupBy,
      legacy: this.legacy.rows ? { ...this.legacy, note: legacyNote(this.legacy.rows) } : undefined,
      ...extra,
    };
  }
}

export class JsonlLedger implements CostLedger {
  constructor(readonly directory: string) {}

  private fileFor(date: Date): string {
    return path.join(this.directory, `ledger-${date.toISOString().slice(0, 7)}.jsonl`);
  }

  append(entry: LedgerEntry): Promise<void> {
    return this.appendAll([entry]);
  }

  async appendAll(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((entry) => ledgerEntrySchema.parse(entry));
    await mkdir(this.directory, { recursive: true });
    // One call's rows go to the month of its first row, in one write, so a call is not split.
    const handle = await open(this.fileFor(new Date(rows[0]!.ts)), 'a+');
    try {
      // A killed writer may have left a torn line; start ours on a fresh line so it is not lost too.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const lead = size > 0 && last[0] !== 10 ? '\n' : '';
      await handle.write(`${lead}${rows.map((row) => JSON.stringify(row)).join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Rewrites v1 rows as v2 (see migrateV1Row), month file by month file: the new file is written
   * and fsync'd beside the old, the old is kept as `<name>.v1-backup`, and the new one renamed
   * over it. Dry-run counts only.
   */
  async migrate(options: { threshold: number; dryRun: boolean; signal?: AbortSignal }): Promise<MigrationReport> {
    const report = emptyMigrationReport(options.dryRun, options.threshold);
    for (const file of await this.files(undefined)) {
      const out: string[] = [];
      let changed = 0;
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        options.signal?.throwIfAborted();
        if (line.trim() === '') continue;
        const entry = parseLine(line);
        if (!entry || entry.v === 2) {
          out.push(line);
          continue;
        }
        const migrated = migrateV1Row(entry, options.threshold);
        countMigration(report, entry, migrated);
        out.push(JSON.stringify(migrated));
        changed++;
      }
      if (changed === 0 || options.dryRun) continue;
      report.files.push(path.basename(file));
      const temporary = `${file}.migrating-${process.pid}`;
      const handle = await open(temporary, 'wx');
      try {
        await handle.write(`${out.join('\n')}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await copyFile(file, `${file}.v1-backup`);
      await rename(temporary, file);
    }
    return report;
  }

  async summarize(options: SummarizeOptions): Promise<CostSummary> {
    const builder = new SummaryBuilder(options.groupBy);
    const also = (options.alsoGroupBy ?? []).map((groupBy) => new SummaryBuilder(groupBy));
    let skippedLines = 0;
    const sinceIso = options.since?.toISOString();
    for (const file of await this.files(options.since)) {
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of lines) {
        options.signal?.throwIfAborted();
        if (line.trim() === '') continue;
        const entry = parseLine(line);
        if (!entry) {
          skippedLines += 1;
          continue;
        }
        if (sinceIso && entry.ts < sinceIso) continue;
        builder.add(entry);
        for (const other of also) other.add(entry);
      }
    }
    return withAlso(builder.build({ since: sinceIso, skippedLines, source: this.directory }), also);
  }

  private async files(since: Date | undefined): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const sinceMonth = since?.toISOString().slice(0, 7);
    return names
      .filter((name) => /^ledger-\d{4}-\d{2}\.jsonl$/.test(name))
      .filter((name) => !sinceMonth || name.slice(7, 14) >= sinceMonth)
      .sort()
      .map((name) => path.join(this.directory, name));
  }
}

function parseLine(line: string): LedgerRow | undefined {
  try {
    const parsed = ledgerEntrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface MigrationReport {
  dryRun: boolean;
  threshold: number;
  rows: number;
  acceptedLocal: number;
  escalated: number;
  failed: number;
  embeddings: number;
  /** The saving the v1 rows claimed, and what the migrated rows book. */
  claimedSavingUsd: number;
  bookedSavingUsd: number;
  files: string[];
}

export function emptyMigrationReport(dryRun: boolean, threshold: number): MigrationReport {
  return {
    dryRun,
    threshold,
    rows: 0,
    acceptedLocal: 0,
    escalated: 0,
    failed: 0,
    embeddings: 0,
    claimedSavingUsd: 0,
    bookedSavingUsd: 0,
    files: [],
  };
}

export function countMigration(report: MigrationReport, original: LedgerRow, migrated: LedgerRow): void {
  report.rows++;
  report.claimedSavingUsd += original.savingUsd;
  report.bookedSavingUsd += migrated.savingUsd;
  if (migrated.flags.includes('EMBEDDING')) report.embeddings++;
  else if (migrated.call?.outcome === 'accepted_local') report.acceptedLocal++;
  else if (migrated.call?.outcome === 'escalated') report.escalated++;
  else report.failed++;
}

/**
 * A v1 row as a v2 call of one attempt. v1 gave each row its own random call id, so a row cannot
 * be joined to the other attempts of its call; each becomes a call of its own:
 * - an answered local row at or above `threshold` was returned: accepted_local, saving baseline − cost;
 * - an answered local row below it (or without a confidence): failed, no saving, because the row
 *   cannot say whether a later attempt answered the call;
 * - an answered Claude row: escalated, answered by Claude (failed if its recorded confidence is below
 *   the threshold; with none recorded it was returned, Claude being the cascade's last step), no saving;
 * - an error row: failed, no saving;
 * - an embedding row: kept as an embedding, with no baseline.
 */
export function migrateV1Row(row: LedgerRow, threshold: number): LedgerRow {
  const base = { ...row, v: 2 as const, migratedFrom: 1 as const };
  if (row.flags.includes('EMBEDDING'))
    return { ...base, outcome: row.outcome === 'error' ? 'error' : 'accepted', baselineCostUsd: 0, savingUsd: 0 };
  const answered = row.outcome !== 'error';
  const local = row.backend === 'ollama';
  const known = row.confidence !== undefined;
  // Claude was the last step of v1's cascade: an answered Claude row with no confidence was returned.
  const met = answered && (known ? row.confidence! >= threshold : !local);
  const outcome: CallOutcome = !met ? 'failed' : local ? 'accepted_local' : 'escalated';
  const baseline = outcome === 'failed' ? 0 : row.baselineCostUsd;
  const saving = outcome === 'accepted_local' ? baseline - row.costUsd : 0;
  const why = !answered
    ? `${row.errorCode ?? 'error'} (migrated v1 row)`
    : !known
      ? 'no confidence was recorded, so the v1 row cannot say whether its answer was accepted (migrated v1 row)'
      : `below the confidence threshold (${row.confidence} < ${threshold}) (migrated v1 row)`;
  return {
    ...base,
    outcome: !answered ? 'error' : met ? 'accepted' : 'rejected',
    baselineCostUsd: baseline,
    savingUsd: saving,
    ...(met ? {} : { reason: why }),
    call: {
      outcome,
      ...(met ? { answeredBy: row.backend } : {}),
      attempts: 1,
      localAttempts: local ? 1 : 0,
      threshold,
      costUsd: row.costUsd,
      localComputeUsd: local ? row.costUsd : 0,
      claudeUsd: local ? 0 : row.costUsd,
      baselineModel: 'unknown (v1 row)',
      baselineCostUsd: baseline,
      savingUsd: saving,
      savingExcludingLocalUsd: outcome === 'accepted_local' ? baseline : 0,
      ...(met ? {} : { reason: why }),
    },
  };
}
