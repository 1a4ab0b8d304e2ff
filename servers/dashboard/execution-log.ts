// The execution log: one JSONL line per high-level call an agent made (tool, arguments, outcome,
// duration, and the execution block with its internal steps and LLM steps), so the dashboard can
// show what the agents asked for and what ran. Append-only, one file a month under
// <dataDir>/executions, each append fsync'd; a torn last line (kill -9 mid-write) is skipped on
// read and cut off before the next append. The structured result of a successful call is kept
// beside it (results/<tool>/<id>.json, written atomically, the newest 30 of each tool kept, so that
// frequent calls of one tool never push out another's) for the views that draw it: backtest equity
// curves, committee votes. Arguments and results are scrubbed of secrets before they are written;
// arguments over 4 KB are kept as a preview. The log is bounded: past 256 MiB of month files the
// oldest months are removed (never the current one). Only the newest 5,000 entries are held in
// memory, read from the files' ends without blocking the event loop.
import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
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
/** Kept results per tool (runTool counts per internal tool). */
export const keptResultsPerTool = 30;
/** Month files past this total are removed, oldest first (never the current month). */
export const maxLogBytes = 256 * 1024 * 1024;
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

/** The directory a call's result is kept in: its tool, or runTool's internal tool. */
export function resultFolder(entry: Pick<ExecutionEntry, 'tool' | 'arguments'>): string {
  const inner =
    entry.tool === 'runTool' && entry.arguments && typeof entry.arguments === 'object'
      ? (entry.arguments as { name?: unknown }).name
      : undefined;
  const name = typeof inner === 'string' ? `runTool.${inner}` : entry.tool;
  return name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 120) || 'unknown';
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
  private loadError: string | undefined;
  private writes: Promise<void> = Promise.resolve();
  private skippedLines = 0;
  private readonly resultWrites = new Map<string, number>();

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
    // Held in memory at once (the files are read only when someone lists: a page, not a call).
    this.remember(entry);
    this.emit('entry', entry);
    return entry;
  }

  /** Resolves when every queued write is on disk. */
  flush(): Promise<void> {
    return this.writes;
  }

  async list(query: ExecutionQuery = {}): Promise<{
    entries: ExecutionEntry[];
    total: number;
    /** Entries held in memory, the newest of the log; `total` counts matches among them. */
    window: number;
    skippedLines: number;
    loadError?: string;
  }> {
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
    return {
      entries,
      total,
      window: this.recent.length,
      skippedLines: this.skippedLines,
      ...(this.loadError ? { loadError: this.loadError } : {}),
    };
  }

  async get(id: string): Promise<ExecutionEntry | undefined> {
    await this.load();
    return this.recent.find((entry) => entry.id === id);
  }

  /** The kept structured result of a call, or undefined when it was not kept (error, too large) or pruned. */
  async result(id: string): Promise<Record<string, unknown> | undefined> {
    if (!/^[0-9a-z]{9}-[0-9a-f]{10}$/.test(id)) return undefined;
    const entry = await this.get(id);
    if (!entry?.resultKept) return undefined;
    try {
      const file = path.join(this.resultsDirectory, resultFolder(entry), `${id}.json`);
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }

  private remember(entry: ExecutionEntry): void {
    this.recent.push(entry);
    if (this.recent.length > recentEntries) this.recent.splice(0, this.recent.length - recentEntries);
  }

  private load(): Promise<void> {
    this.loading ??= this.readRecent().catch((error: unknown) => {
      this.loadError = `the execution log could not be read: ${(error as Error).message}`;
      this.onError(error as Error);
      // The next list tries again.
      this.loading = undefined;
    });
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

  /** The newest entries of the month files, newest file first, streamed: memory holds only the kept lines. */
  private async readRecent(): Promise<void> {
    const files = await this.monthFiles();
    await this.applyRetention(files);
    const kept: string[] = [];
    for (const file of (await this.monthFiles()).reverse()) {
      const need = recentEntries - kept.length;
      if (need <= 0) break;
      const lines: string[] = [];
      const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      for await (const line of reader) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > need * 2) lines.splice(0, lines.length - need);
      }
      kept.unshift(...lines.slice(-need));
    }
    const loaded: ExecutionEntry[] = [];
    for (const line of kept) {
      try {
        const parsed = executionEntrySchema.safeParse(JSON.parse(line));
        if (parsed.success) loaded.push(parsed.data);
        else this.skippedLines++;
      } catch {
        this.skippedLines++;
      }
    }
    // Entries recorded while the files were read are already in `recent` (and may be in the files too).
    const known = new Set(loaded.map((entry) => entry.id));
    this.recent = [...loaded, ...this.recent.filter((entry) => !known.has(entry.id))].slice(-recentEntries);
    this.loadError = undefined;
  }

  /** Removes the oldest month files while the log is over maxLogBytes; the current month stays. */
  private async applyRetention(files: string[]): Promise<void> {
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    let total = sizes.reduce((sum, size) => sum + size, 0);
    for (let index = 0; index < files.length - 1 && total > maxLogBytes; index++) {
      await rm(files[index]!, { force: true });
      total -= sizes[index]!;
    }
  }

  private async write(entry: ExecutionEntry, result: string | undefined): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    if (result !== undefined) {
      const folder = path.join(this.resultsDirectory, resultFolder(entry));
      await mkdir(folder, { recursive: true });
      const file = path.join(folder, `${entry.id}.json`);
      const temporary = `${file}.tmp-${process.pid}`;
      await writeFile(temporary, result);
      await rename(temporary, file);
      const writes = (this.resultWrites.get(folder) ?? 0) + 1;
      this.resultWrites.set(folder, writes);
      if (writes % 5 === 1) await this.pruneResults(folder);
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

  private async pruneResults(folder: string): Promise<void> {
    const names = (await readdir(folder)).filter((name) => name.endsWith('.json')).sort();
    // Ids start with the start time in base 36 (fixed width), so name order is time order.
    for (const name of names.slice(0, Math.max(0, names.length - keptResultsPerTool)))
      await rm(path.join(folder, name), { force: true });
  }
}
