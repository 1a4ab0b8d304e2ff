// The size budget of one tool result. Any tool can be asked for something huge (a 50 MB one-line
// test report, a million findings), and a 100 MiB JSON-RPC message kills the client's connection.
// Past the budget the text is cut and, inside structuredContent, long strings are cut and long
// arrays shortened, halving the limits until the result fits; a top-level `truncated` field (the
// published output schemas allow extra fields) and a line in the text say so. The shrunk result is
// checked against the tool's schema again; a result that cannot be shrunk into a valid one is
// refused as a whole, so a successful result always carries structuredContent that validates.
import type { z } from 'zod';

export const defaultMaxResultBytes = 1_048_576;

export interface TruncationNote {
  originalBytes: number;
  limitBytes: number;
  stringsCut: number;
  arraysShortened: number;
  note: string;
}

export type BudgetedResult =
  | { ok: true; text: string; structuredContent: Record<string, unknown>; truncated?: TruncationNote }
  | { ok: false; originalBytes: number };

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function cutText(text: string, limit: number): string {
  if (bytes(text) <= limit) return text;
  // Characters are at most 3 UTF-8 bytes (4 for a surrogate pair, which is 2 characters).
  let cut = text.slice(0, Math.floor(limit / 3));
  const room = limit - bytes(cut);
  if (room > 0) cut += text.slice(cut.length, cut.length + room).replace(/[\uD800-\uDBFF]$/, '');
  while (bytes(cut) > limit) cut = cut.slice(0, -Math.max(1, Math.floor((bytes(cut) - limit) / 3)));
  return cut.replace(/[\uD800-\uDBFF]$/, '');
}

function shrink(
  value: unknown,
  maxString: number,
  maxItems: number,
  counts: { strings: number; arrays: number },
): unknown {
  if (typeof value === 'string') {
    if (value.length <= maxString) return value;
    counts.strings++;
    return `${value.slice(0, maxString)}… [${value.length - maxString} more characters cut]`;
  }
  if (Array.isArray(value)) {
    if (value.length > maxItems) counts.arrays++;
    return value.slice(0, maxItems).map((item) => shrink(item, maxString, maxItems, counts));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = shrink(item, maxString, maxItems, counts);
    return out;
  }
  return value;
}

/**
 * The result within `maxBytes` (text plus serialized structuredContent), or `ok: false` when the
 * structured part cannot be shrunk into one that still passes `schema`.
 */
export function budgetResult(
  text: string,
  structuredContent: Record<string, unknown>,
  maxBytes: number,
  schema: z.ZodType,
): BudgetedResult {
  const structuredBytes = bytes(JSON.stringify(structuredContent));
  const originalBytes = bytes(text) + structuredBytes;
  if (originalBytes <= maxBytes) return { ok: true, text, structuredContent };
  const notice = (note: string) => `\n\n[truncated: ${note}]`;
  const note = `this result was ${originalBytes} bytes, over the limit of ${maxBytes} bytes for one tool result; long text, strings and lists were cut. Narrow the request (fewer paths, a smaller limit, a filter) for the full detail.`;
  // A quarter for the text, the rest for the structured part; the notes need a little room.
  const textLimit = Math.floor(maxBytes / 4);
  const cutTextValue = bytes(text) > textLimit ? cutText(text, textLimit - 600) + notice(note) : text;
  const structuredLimit = maxBytes - bytes(cutTextValue) - 1_024;
  let structured = structuredContent;
  const counts = { strings: 0, arrays: 0 };
  if (structuredBytes > structuredLimit) {
    let maxString = Math.max(64, Math.floor(structuredLimit / 8));
    let maxItems = 10_000;
    for (;;) {
      counts.strings = 0;
      counts.arrays = 0;
      structured = shrink(structuredContent, maxString, maxItems, counts) as Record<string, unknown>;
      if (bytes(JSON.stringify(structured)) <= structuredLimit) break;
      if (maxString <= 16 && maxItems <= 1) return { ok: false, originalBytes };
      maxString = Math.max(16, Math.floor(maxString / 2));
      maxItems = Math.max(1, Math.floor(maxItems / 2));
    }
  }
  const truncated: TruncationNote = {
    originalBytes,
    limitBytes: maxBytes,
    stringsCut: counts.strings,
    arraysShortened: counts.arrays,
    note,
  };
  if (!schema.safeParse(structured).success) return { ok: false, originalBytes };
  const finalText = cutTextValue === text ? `${text}${notice(note)}` : cutTextValue;
  return { ok: true, text: finalText, structuredContent: { ...structured, truncated }, truncated };
}
