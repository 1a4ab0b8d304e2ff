// Reads OHLCV bars from CSV or JSON text into columns, keeping each bar's source row number (the
// CSV line, header = line 1; the JSON array index) so that validation can point at the row to fix.
// Plain comma-separated files (the common case) are split here: csv-parse takes ~7 s for a million
// rows on this machine, a line scan well under one. Files with quoted fields go through csv-parse.
// Both paths work in chunks and yield to the event loop between them.
import { parse as parseCsv } from 'csv-parse/sync';
import { InputError } from '../../errors.js';
import { parseTime, toNumber } from './bar-fields.js';

/** Budgets for one file: named in the error when hit. */
export const barLimits = { maxBytes: 256 * 1024 * 1024, maxRows: 5_000_000 } as const;

export interface ParsedBars {
  format: 'csv' | 'json';
  /** 'line' for CSV (the file's line), 'index' for JSON (the array index). */
  rowLabel: 'line' | 'index';
  rows: Float64Array;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** The symbol a JSON `{symbol, bars}` names, if any. */
  symbol?: string;
  /** The `fetchedAt` of a provider cache file, if any. */
  fetchedAt?: string;
}

export interface ParseOptions {
  /** How the input is named in errors: a path as the caller gave it, or a provider URL. */
  name: string;
  /** The input field errors are reported against (`file`, `symbol`, `bars`). */
  field: string;
  format?: 'csv' | 'json';
  signal?: AbortSignal;
  maxRows?: number;
}

const fields = ['open', 'high', 'low', 'close', 'volume'] as const;
const timeNames = new Set(['date', 'time', 'timestamp', 'datetime']);
const chunkRows = 100_000;
const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Grows typed columns as rows arrive; `finish` trims them to the row count. */
class ColumnBuilder {
  length = 0;
  private columns: Float64Array[] = Array.from({ length: 7 }, () => new Float64Array(1024));

  push(row: number, time: number, open: number, high: number, low: number, close: number, volume: number): void {
    if (this.length === this.columns[0]!.length) {
      this.columns = this.columns.map((c) => {
        const grown = new Float64Array(c.length * 2);
        grown.set(c);
        return grown;
      });
    }
    const [r, t, o, h, l, c, v] = this.columns as [Float64Array, ...Float64Array[]];
    const i = this.length++;
    r[i] = row;
    t![i] = time;
    o![i] = open;
    h![i] = high;
    l![i] = low;
    c![i] = close;
    v![i] = volume;
  }

  finish(format: 'csv' | 'json'): ParsedBars {
    const [rows, time, open, high, low, close, volume] = this.columns.map((c) => c.slice(0, this.length));
    const rowLabel = format === 'csv' ? 'line' : 'index';
    return {
      format,
      rowLabel,
      rows: rows!,
      time: time!,
      open: open!,
      high: high!,
      low: low!,
      close: close!,
      volume: volume!,
    };
  }
}

/** Parses CSV or JSON bars (format from the option, else from the first character). */
export async function parseBars(text: string, options: ParseOptions): Promise<ParsedBars> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const format = options.format ?? (/^\s*[[{]/.test(body) ? 'json' : 'csv');
  return format === 'json' ? parseJsonBars(body, options) : parseCsvBars(body, options);
}

function rowBudget(options: ParseOptions, count: number): void {
  const max = options.maxRows ?? barLimits.maxRows;
  if (count > max)
    throw new InputError(
      options.field,
      `${options.name} has more than ${max} rows, the limit; split it or trim old bars`,
    );
}

/** The column index of each field, from a header whose names are matched case-insensitively. */
function headerColumns(header: string[], options: ParseOptions): number[] {
  const names = header.map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const timeIndex = names.findIndex((n) => timeNames.has(n));
  const missing: string[] = [];
  if (timeIndex < 0) missing.push('date');
  const indexes = fields.map((field) => {
    const index = names.indexOf(field);
    if (index < 0) missing.push(field);
    return index;
  });
  if (missing.length > 0)
    throw new InputError(
      options.field,
      `${options.name} line 1: the header has no ${missing.join(', ')} column; expected date (or time, timestamp), open, high, low, close, volume (volume 0 when unknown)`,
    );
  // The last entry is how many fields a row needs.
  return [timeIndex, ...indexes, Math.max(timeIndex, ...indexes) + 1];
}

async function parseCsvBars(text: string, options: ParseOptions): Promise<ParsedBars> {
  const builder = new ColumnBuilder();
  let columns: number[] | undefined;
  const take = (cells: string[], line: number) => {
    if (!columns) {
      columns = headerColumns(cells, options);
      return;
    }
    rowBudget(options, builder.length + 1);
    addCsvRow(builder, cells, columns, line, options);
  };
  if (text.includes('"')) await eachQuotedChunk(text, options, take);
  else await eachPlainLine(text, options, take);
  if (!columns) throw new InputError(options.field, `${options.name} is empty; expected a header line and bars`);
  return builder.finish('csv');
}

function addCsvRow(builder: ColumnBuilder, cells: string[], columns: number[], line: number, options: ParseOptions) {
  const need = columns[6]!;
  if (cells.length < need)
    throw new InputError(
      options.field,
      `${options.name} line ${line} has ${cells.length} fields, the header ${need} or more; fix the row or remove it`,
    );
  const time = parseTime(cells[columns[0]!]!.trim());
  if (Number.isNaN(time))
    throw new InputError(
      options.field,
      `${options.name} line ${line}: date "${cells[columns[0]!]!.slice(0, 40)}" is not a date; use YYYY-MM-DD, an ISO time or epoch seconds/ms`,
    );
  builder.push(
    line,
    time,
    csvNumber(cells, columns, 1, line, options),
    csvNumber(cells, columns, 2, line, options),
    csvNumber(cells, columns, 3, line, options),
    csvNumber(cells, columns, 4, line, options),
    csvNumber(cells, columns, 5, line, options),
  );
}

function csvNumber(cells: string[], columns: number[], k: number, line: number, options: ParseOptions): number {
  const cell = cells[columns[k]!]!;
  const n = toNumber(cell);
  if (n !== undefined) return n;
  throw new InputError(
    options.field,
    `${options.name} line ${line}: ${fields[k - 1]} "${cell.slice(0, 40)}" is not a number; write a plain number (leave it empty when missing)`,
  );
}

/** Lines of an unquoted file, split on commas, with their line numbers; blank lines are skipped. */
async function eachPlainLine(text: string, options: ParseOptions, take: (cells: string[], line: number) => void) {
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const content = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    start = end + 1;
    if (content.trim() !== '') take(content.split(','), line);
    if (line % chunkRows === 0) {
      await yieldNow();
      options.signal?.throwIfAborted();
    }
  }
}

/**
 * A file with quoted fields, parsed by csv-parse in chunks cut at line ends outside quotes (an even
 * count of `"` before the cut: RFC 4180 escapes a quote as two), so a quoted newline is never split.
 */
async function eachQuotedChunk(text: string, options: ParseOptions, take: (cells: string[], line: number) => void) {
  const chunkChars = 4 * 1024 * 1024;
  let start = 0;
  let firstLine = 1;
  while (start < text.length) {
    const end = cutOutsideQuotes(text, start, chunkChars);
    const chunk = text.slice(start, end);
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parseCsv(chunk, {
        info: true,
        relax_column_count: true,
        skip_empty_lines: true,
      }) as unknown as typeof records;
    } catch (error) {
      const line = firstLine - 1 + ((error as { lines?: number }).lines ?? 1);
      throw new InputError(
        options.field,
        `${options.name} line ${line} is not valid CSV (${(error as Error).message.replace(/^[^:]*: /, '').slice(0, 120)}); close every quote`,
      );
    }
    for (const { record, info } of records) take(record, firstLine - 1 + info.lines);
    for (let i = start; i < end; i++) if (text.charCodeAt(i) === 10) firstLine++;
    start = end;
    await yieldNow();
    options.signal?.throwIfAborted();
  }
}

function cutOutsideQuotes(text: string, start: number, size: number): number {
  if (start + size >= text.length) return text.length;
  let quotes = 0;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) quotes++;
    else if (code === 10 && quotes % 2 === 0 && i - start >= size) return i + 1;
  }
  return text.length;
}

async function parseJsonBars(text: string, options: ParseOptions): Promise<ParsedBars> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new InputError(
      options.field,
      `${options.name} is not valid JSON${position ? ` (at character ${position})` : ''}; write an array of bars or {"bars": [...]}`,
    );
  }
  const wrapper =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  const list = wrapper ? wrapper.bars : value;
  if (!Array.isArray(list))
    throw new InputError(
      options.field,
      `${options.name} holds no bars array; expected [{"date": "2020-01-02", "open": ..., "high": ..., "low": ..., "close": ..., "volume": ...}] or {"symbol": "SPX", "bars": [...]}`,
    );
  rowBudget(options, list.length);
  const builder = new ColumnBuilder();
  const keys: KeyFields = new Map();
  for (let index = 0; index < list.length; index++) {
    addJsonBar(builder, list[index], index, options, keys);
    if (index % chunkRows === chunkRows - 1) {
      await yieldNow();
      options.signal?.throwIfAborted();
    }
  }
  const parsed = builder.finish('json');
  if (typeof wrapper?.symbol === 'string') parsed.symbol = wrapper.symbol;
  if (typeof wrapper?.fetchedAt === 'string') parsed.fetchedAt = wrapper.fetchedAt;
  return parsed;
}

/** A bar object's keys by canonical field (0 time, 1-5 open..volume, -1 other), cached per key string. */
type KeyFields = Map<string, number>;

function keyField(keys: KeyFields, key: string): number {
  let field = keys.get(key);
  if (field === undefined) {
    const lower = key.toLowerCase();
    field = timeNames.has(lower) ? 0 : (fields as readonly string[]).indexOf(lower) + 1 || -1;
    keys.set(key, field);
  }
  return field;
}

function addJsonBar(builder: ColumnBuilder, bar: unknown, index: number, options: ParseOptions, keys: KeyFields): void {
  if (bar === null || typeof bar !== 'object' || Array.isArray(bar))
    throw new InputError(
      options.field,
      `${where(options, index)} is not an object; each bar is {"date", "open", "high", "low", "close", "volume"}`,
    );
  // Keys matched case-insensitively; absent values stay undefined (a missing value, NaN, for validation).
  const raw: unknown[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  for (const key in bar) {
    const field = keyField(keys, key);
    if (field >= 0 && raw[field] === undefined) raw[field] = (bar as Record<string, unknown>)[key];
  }
  const rawTime = raw[0];
  const time =
    typeof rawTime === 'number' ? parseTime(String(rawTime)) : typeof rawTime === 'string' ? parseTime(rawTime) : NaN;
  if (Number.isNaN(time))
    throw new InputError(
      options.field,
      `${where(options, index)}: ${rawTime === undefined ? 'no date field' : `date ${JSON.stringify(rawTime).slice(0, 40)} is not a date`}; give "date" as YYYY-MM-DD, an ISO time or epoch seconds/ms`,
    );
  builder.push(
    index,
    time,
    jsonNumber(raw[1], 1, index, options),
    jsonNumber(raw[2], 2, index, options),
    jsonNumber(raw[3], 3, index, options),
    jsonNumber(raw[4], 4, index, options),
    jsonNumber(raw[5], 5, index, options),
  );
}

/** How an error names a JSON bar; built only when there is an error. */
function where(options: ParseOptions, index: number): string {
  return `${options.name} bars[${index}]`;
}

function jsonNumber(raw: unknown, k: number, index: number, options: ParseOptions): number {
  if (typeof raw === 'number') return raw;
  // An absent or null value is a missing value: validation reports it with the others.
  if (raw === undefined || raw === null) return NaN;
  const n = typeof raw === 'string' ? toNumber(raw) : undefined;
  if (n !== undefined) return n;
  throw new InputError(
    options.field,
    `${where(options, index)}: ${fields[k - 1]} ${JSON.stringify(raw).slice(0, 40)} is not a number; write a number`,
  );
}
