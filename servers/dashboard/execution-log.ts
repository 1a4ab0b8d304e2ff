// The execution log: one JSONL line per high-level call an agent made (tool, arguments, outcome,
// duration, and the execution block with its internal steps and LLM steps), so the dashboard can
// show what the agents asked for and what ran. Append-only, one file a month under
// <dataDir>/executions, each append fsync'd; a torn last line (kill -9 mid-write) is skipped on
// read and cut off before the next append. The structured result of a successful call is kept
// beside it (results/<id>.json, written atomically, the newest 300 kept) for the views that draw
// it: backtest equity curves, committee votes. Arguments and results are scrubbed of secrets
// before they are written; arguments over 4 KB are kept as a preview.
import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { CallRecord } from '../../supervisors/dispatcher.js';
import { executionSchema } from '../../supervisors/execution.js';
import { scrubDeep, scrubText } from '../../tools/secrets.js';

export const maxArgumentBytes = 4096;
export const maxSummaryChars = 2000;
/** Results larger than this are not kept (the entry says how large the result was). */
export const maxKeptResultBytes = 2 * 1024 * 1024;
export const keptResults = 300;
/** Entries held in memory for listing; older ones stay on disk. */
export const recentEntries = 5000;

export const executionEntrySchema = z.object({
  v: z.literal(1),
  id: z.string(),
  ts: z.string().describe('ISO time the call started'),
  tool: z.string(),
  supervisor: z.string().optional(),
  ok: z.boolean(),
  errorCode: z.string().optional(),
  durationMs: z.number(),
  arguments: z.unknown(),
  summary: z.string(),
  execution: executionSchema.optional(),
  resultBytes: z.number().int().optional(),
  resultKept: z.boolean(),
});
export type ExecutionEntry = z.infer<typeof executionEntrySchema>;

export interface ExecutionQuery {
  limit?: number;
  tool?: string;
  supervisor?: string;
  ok?: boolean;
  model?: string;
  /** Case-insensitive text to find in the tool name, the summary or the arguments. */
  q?: string;
  /** Only entries that started before this id's entry (paging). */
  before?: string;
}

function newId(startedAt: number): string {
  return `${startedAt.toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}

function argumentsOf(raw: unknown): unknown {
  const scrubbed = scrubDeep(raw);
  let text: string;
  try {
    text = JSON.stringify(scrubbed) ?? 'null';
  } catch {
    return { preview: '(arguments could not be serialised)' };
  }
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxArgumentBytes) return scrubbed;
  return { preview: `${text.slice(0, 1000)}…`, truncatedFromBytes: bytes };
}

export function entryOf(record: CallRecord): { entry: ExecutionEntry; result: string | undefined } {
  const structured = record.result.structuredContent;
  const execution = structured ? executionSchema.safeParse(structured.execution) : undefined;
  const resultText = structured && !record.result.isError ? JSON.stringify(structured) : undefined;
  const resultBytes = resultText === undefined ? undefined : Buffer.byteLength(resultText);
  const keep = resultBytes !== undefined && resultBytes <= maxKeptResultBytes;
  const summary = scrubText(record.result.text);
  const entry: ExecutionEntry = {
    v: 1,
    id: newId(record.startedAt),
    ts: new Date(record.startedAt).toISOString(),
    tool: record.name,
    ...(record.owner ? { supervisor: record.owner } : {}),
    ok: !record.result.isError,
    ...(record.result.errorCode ? { errorCode: record.result.errorCode } : {}),
    durationMs: Number(record.durationMs.toFixed(3)),
    arguments: argumentsOf(record.arguments),
    summary: summary.length > maxSummaryChars ? `${summary.slice(0, maxSummaryChars)}…` : summary,
    ...(execution?.success ? { execution: execution.data } : {}),
    ...(resultBytes !== undefined ? { resultBytes } : {}),
    resultKept: keep,
  };
  return { entry, result: keep ? resultText : undefined };
}

function matches(entry: ExecutionEntry, query: ExecutionQuery): boolean {
  if (query.tool && entry.tool !== query.tool) return false;
  if (query.supervisor && entry.supervisor !== query.supervisor) return false;
  if (query.ok !== undefined && entry.ok !== query.ok) return false;
  if (query.model && !entry.execution?.llm.some((step) => step.model === query.model)) return false;
  if (query.q) {
    const needle = query.q.toLowerCase();
    const haystack = `${entry.tool} ${entry.summary} ${JSON.stringify(entry.arguments)}`.toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

export class ExecutionLog extends EventEmitter<{ entry: [ExecutionEntry] }> {
  private readonly directory: string;
  private readonly resultsDirectory: string;
  private recent: ExecutionEntry[] = [];
  private loading: Promise<void> | undefined;
  private writes: Promise<void> = Promise.resolve();
  private skippedLines = 0;
  private resultWrites = 0;

  constructor(
    dataDir: string,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {
    super();
    this.directory = path.join(dataDir, 'executions');
    this.resultsDirectory = path.join(this.directory, 'results');
  }

  /** Records a finished call; the write is queued, so the call's answer is not held up by it. */
  record(call: CallRecord): ExecutionEntry {
    const { entry, result } = entryOf(call);
    this.writes = this.writes
      .then(() => this.write(entry, result))
      .catch((error: unknown) => this.onError(error as Error));
    void this.load().then(() => {
      this.remember(entry);
      this.emit('entry', entry);
    });
    return entry;
  }

  /** Resolves when every queued write is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  async list(query: ExecutionQuery = {}): Promise<{ entries: ExecutionEntry[]; total: number; skippedLines: number }> {
    await this.load();
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    let end = this.recent.length;
    if (query.before) {
      const index = this.recent.findIndex((entry) => entry.id === query.before);
      if (index >= 0) end = index;
    }
    const entries: ExecutionEntry[] = [];
    let total = 0;
    for (let index = end - 1; index >= 0; index--) {
      const entry = this.recent[index]!;
      if (!matches(entry, query)) continue;
      total++;
      if (entries.length < limit) entries.push(entry);
    }
    return { entries, total, skippedLines: this.skippedLines };
  }

  async get(id: string): Promise<ExecutionEntry | undefined> {
    await this.load();
    return this.recent.find((entry) => entry.id === id);
  }

  /** The kept structured result of a call, or undefined when it was not kept (error, too large, pruned). */
  async result(id: string): Promise<Record<string, unknown> | undefined> {
    if (!/^[0-9a-z]{9}-[0-9a-f]{10}$/.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(path.join(this.resultsDirectory, `${id}.json`), 'utf8')) as Record<
        string,
        unknown
      >;
    } catch {
      return undefined;
    }
  }

  private remember(entry: ExecutionEntry): void {
    this.recent.push(entry);
    if (this.recent.length > recentEntries * 1.2) this.recent = this.recent.slice(-recentEntries);
  }

  private load(): Promise<void> {
    this.loading ??= this.readRecent().catch((error: unknown) => this.onError(error as Error));
    return this.loading;
  }

  private async monthFiles(): Promise<string[]> {
    try {
      return (await readdir(this.directory))
        .filter((name) => /^executions-\d{4}-\d{2}\.jsonl$/.test(name))
        .sort()
        .map((name) => path.join(this.directory, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private async readRecent(): Promise<void> {
    const loaded: ExecutionEntry[] = [];
    for (const file of (await this.monthFiles()).reverse()) {
      const text = await readFile(file, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      const month: ExecutionEntry[] = [];
      for (const line of text.slice(0, end).split('\n')) {
        if (line.trim() === '') continue;
        try {
          const parsed = executionEntrySchema.safeParse(JSON.parse(line));
          if (parsed.success) month.push(parsed.data);
          else this.skippedLines++;
        } catch {
          this.skippedLines++;
        }
      }
      loaded.unshift(...month);
      if (loaded.length >= recentEntries) break;
    }
    // Entries recorded while the files were read are already in `recent`; they come after.
    this.recent = [...loaded.slice(-recentEntries), ...this.recent];
  }

  private async write(entry: ExecutionEntry, result: string | undefined): Promise<void> {
    await mkdir(this.resultsDirectory, { recursive: true });
    if (result !== undefined) {
      const file = path.join(this.resultsDirectory, `${entry.id}.json`);
      const temporary = `${file}.tmp-${process.pid}`;
      await writeFile(temporary, result);
      await rename(temporary, file);
      if (++this.resultWrites % 25 === 1) await this.pruneResults();
    }
    const handle = await open(path.join(this.directory, `executions-${entry.ts.slice(0, 7)}.jsonl`), 'a+');
    try {
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const lead = size > 0 && last[0] !== 10 ? '\n' : '';
      await handle.write(`${lead}${JSON.stringify(entry)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async pruneResults(): Promise<void> {
    const names = (await readdir(this.resultsDirectory)).filter((name) => name.endsWith('.json')).sort();
    // Ids start with the start time in base 36 (fixed width), so name order is time order.
    for (const name of names.slice(0, Math.max(0, names.length - keptResults)))
      await rm(path.join(this.resultsDirectory, name), { force: true });
  }
}
