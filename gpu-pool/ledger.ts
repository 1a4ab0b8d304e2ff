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

export interface CostSummary {
  totals: CostTotals;
  groups: (CostTotals & { key: string })[];
  groupBy: 'model' | 'backend' | 'day' | 'tool';
  since: string | undefined;
  /** Lines that could not be parsed (a torn write from a killed process), skipped. */
  skippedLines: number;
  source: string;
}

export interface CostLedger {
  append(entry: LedgerEntry): Promise<void>;
  summarize(options: { since?: Date; groupBy: CostSummary['groupBy']; signal?: AbortSignal }): Promise<CostSummary>;
}

const emptyTotals = (): CostTotals => ({ calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, baselineCostUsd: 0, savingUsd: 0 });

function add(totals: CostTotals, entry: LedgerEntry): void {
  totals.calls += 1;
  totals.inputTokens += entry.inputTokens;
  totals.outputTokens += entry.outputTokens;
  totals.costUsd += entry.costUsd;
  totals.baselineCostUsd += entry.baselineCostUsd;
  totals.savingUsd += entry.savingUsd;
}

function groupKey(entry: LedgerEntry, groupBy: CostSummary['groupBy']): string {
  switch (groupBy) {
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

  async summarize(options: { since?: Date; groupBy: CostSummary['groupBy']; signal?: AbortSignal }): Promise<CostSummary> {
    const totals = emptyTotals();
    const groups = new Map<string, CostTotals>();
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
        add(totals, entry);
        const key = groupKey(entry, options.groupBy);
        const group = groups.get(key) ?? emptyTotals();
        add(group, entry);
        groups.set(key, group);
      }
    }
    return {
      totals,
      groups: [...groups.entries()].map(([key, value]) => ({ key, ...value })).sort((a, b) => b.costUsd - a.costUsd || a.key.localeCompare(b.key)),
      groupBy: options.groupBy,
      since: sinceIso,
      skippedLines,
      source: this.directory,
    };
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
