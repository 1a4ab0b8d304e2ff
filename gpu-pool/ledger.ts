// The cost ledger: one row per LLM call, append-only, surviving restarts. The embedded default is
// JSONL under <dataDir>/ledger, one file per month, each append fsync'd. A process killed in the
// middle of a write can leave a torn last line: readers skip it and count it, never guess.
import { mkdir, open, readdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { z } from 'zod';

export const ledgerEntrySchema = z.object({
  ts: z.string().describe('ISO-8601 time the call finished'),
  callId: z.string(),
  tool: z.string().optional(),
  supervisor: z.string().optional(),
  backend: z.enum(['ollama', 'claude']),
  host: z.string().optional(),
  model: z.string(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheWriteTokens: z.number().int().nonnegative().default(0),
  cacheReadTokens: z.number().int().nonnegative().default(0),
  latencyMs: z.number().nonnegative(),
  costUsd: z.number().nonnegative(),
  baselineCostUsd: z.number().nonnegative(),
  savingUsd: z.number(),
  priceVersion: z.string().optional(),
  /** ok: answered; error: the attempt failed (errorCode says why). */
  outcome: z.enum(['ok', 'error']).default('ok'),
  errorCode: z.string().optional(),
  confidence: z.number().min(0).max(1).optional(),
  flags: z.array(z.string()).default([]),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export interface CostTotals {
  calls: number;
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
  localCalls: number;
  claudeCalls: number;
  /** Answered attempts over all attempts on local hosts; the goal is above 0.8. */
  localSuccessRate: number | undefined;
  errorRate: number | undefined;
  /** Rows flagged with an unknown price: their cost is not known, and not counted as $0 silently. */
  unpricedCalls: number;
  hosts: HostStats[];
}

export type GroupBy = 'model' | 'backend' | 'day' | 'tool' | 'supervisor' | 'host';

export interface CostSummary {
  totals: CostTotals;
  groups: (CostTotals & { key: string })[];
  breakdown: CostBreakdown;
  groupBy: GroupBy;
  since: string | undefined;
  /** Lines that could not be parsed (a torn write from a killed process), skipped. */
  skippedLines: number;
  source: string;
}

export interface CostLedger {
  append(entry: LedgerEntry): Promise<void>;
  summarize(options: { since?: Date; groupBy: GroupBy; signal?: AbortSignal }): Promise<CostSummary>;
}

const emptyTotals = (): CostTotals => ({
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  costUsd: 0,
  baselineCostUsd: 0,
  savingUsd: 0,
});

function add(totals: CostTotals, entry: LedgerEntry): void {
  totals.calls += 1;
  totals.inputTokens += entry.inputTokens;
  totals.outputTokens += entry.outputTokens;
  totals.costUsd += entry.costUsd;
  totals.baselineCostUsd += entry.baselineCostUsd;
  totals.savingUsd += entry.savingUsd;
}

function groupKey(entry: LedgerEntry, groupBy: GroupBy): string {
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
    case 'tool':
      return entry.tool ?? '(none)';
  }
}

/** Folds ledger rows into a summary; shared by every ledger store. */
export class SummaryBuilder {
  private readonly totals = emptyTotals();
  private readonly groups = new Map<string, CostTotals>();
  private readonly hosts = new Map<string, { calls: number; errors: number; latency: number; answered: number }>();
  private local = { calls: 0, ok: 0 };
  private claudeCalls = 0;
  private errors = 0;
  private unpriced = 0;

  constructor(private readonly groupBy: GroupBy) {}

  add(entry: LedgerEntry): void {
    add(this.totals, entry);
    const key = groupKey(entry, this.groupBy);
    const group = this.groups.get(key) ?? emptyTotals();
    add(group, entry);
    this.groups.set(key, group);
    const ok = entry.outcome !== 'error';
    if (!ok) this.errors++;
    if (entry.flags.includes('UNKNOWN_MODEL_PRICE')) this.unpriced++;
    if (entry.backend === 'ollama') {
      this.local.calls++;
      if (ok) this.local.ok++;
    } else {
      this.claudeCalls++;
    }
    const hostKey = entry.host ?? entry.backend;
    const host = this.hosts.get(hostKey) ?? { calls: 0, errors: 0, latency: 0, answered: 0 };
    host.calls++;
    if (ok) {
      host.answered++;
      host.latency += entry.latencyMs;
    } else host.errors++;
    this.hosts.set(hostKey, host);
  }

  build(extra: { since: string | undefined; skippedLines: number; source: string }): CostSummary {
    return {
      totals: this.totals,
      groups: [...this.groups.entries()]
        .map(([key, value]) => ({ key, ...value }))
        .sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls || a.key.localeCompare(b.key)),
      breakdown: {
        localCalls: this.local.calls,
        claudeCalls: this.claudeCalls,
        localSuccessRate: this.local.calls ? this.local.ok / this.local.calls : undefined,
        errorRate: this.totals.calls ? this.errors / this.totals.calls : undefined,
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
      ...extra,
    };
  }
}

export class JsonlLedger implements CostLedger {
  constructor(readonly directory: string) {}

  private fileFor(date: Date): string {
    return path.join(this.directory, `ledger-${date.toISOString().slice(0, 7)}.jsonl`);
  }

  async append(entry: LedgerEntry): Promise<void> {
    const row = ledgerEntrySchema.parse(entry);
    await mkdir(this.directory, { recursive: true });
    const handle = await open(this.fileFor(new Date(row.ts)), 'a+');
    try {
      // A killed writer may have left a torn line; start ours on a fresh line so it is not lost too.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const lead = size > 0 && last[0] !== 10 ? '\n' : '';
      await handle.write(`${lead}${JSON.stringify(row)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async summarize(options: { since?: Date; groupBy: GroupBy; signal?: AbortSignal }): Promise<CostSummary> {
    const builder = new SummaryBuilder(options.groupBy);
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
      }
    }
    return builder.build({ since: sinceIso, skippedLines, source: this.directory });
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

function parseLine(line: string): LedgerEntry | undefined {
  try {
    const parsed = ledgerEntrySchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
