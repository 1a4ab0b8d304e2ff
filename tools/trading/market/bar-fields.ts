// Field conversions shared by the bar readers and writers: times (dates, ISO times, epochs) to epoch
// milliseconds UTC, and cell text to numbers with an explicit "missing" (NaN) distinct from garbage.

const day = 86_400_000;
const isoTime = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?$/;
const epoch = /^-?\d+(?:\.\d+)?$/;
const missing = new Set(['', 'nan', 'null', 'na', 'n/a', '.', '-']);

/**
 * Epoch milliseconds UTC for YYYY-MM-DD (midnight UTC), an ISO time (UTC when it names no zone),
 * or an epoch number: below 1e11 it is read as seconds (1e11 s is the year 5138; 1e11 ms is 1973),
 * so millisecond stamps from before March 1973 are not supported. NaN when it is none of these.
 */
export function parseTime(text: string): number {
  if (text.length === 10 && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45) return parseDay(text);
  if (epoch.test(text)) {
    const n = Number(text);
    return Math.abs(n) < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const match = isoTime.exec(text);
  if (!match || Number.isNaN(parseDay(match[1]!))) return NaN;
  return Date.parse(`${match[1]}T${match[2]}${match[3] ?? 'Z'}`);
}

/** YYYY-MM-DD without Date.parse (the hot path of every daily file); NaN for 2021-02-30 and the like. */
function parseDay(text: string): number {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const date = digits(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || date < 1) return NaN;
  const time = Date.UTC(year, month - 1, date);
  // Date.UTC rolls 02-30 over into March; a date that does not come back the same is not a date.
  return date <= 28 || new Date(time).getUTCDate() === date ? time : NaN;
}

/** The decimal value of `count` digits at `start`, or -1 when one of them is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** A cell as a number: NaN when it is empty or a missing-value marker, undefined when it is not a number. */
export function toNumber(cell: string): number | undefined {
  const n = Number(cell);
  // Number('') and Number('  ') are 0, and Number() also reads 0x1F, 0o17 and 0b11: a bar file means none of those.
  if (Number.isFinite(n) && (n !== 0 || cell.trim() !== '') && !radixPrefix(cell)) return n;
  return missing.has(cell.trim().toLowerCase()) ? NaN : undefined;
}

function radixPrefix(cell: string): boolean {
  const second = cell.charCodeAt(1) | 32;
  return second >= 98 && (second === 120 || second === 111 || second === 98) && /^\s*[+-]?0[xob]/i.test(cell);
}

/** Whole calendar days between two bar times. */
export function daysBetween(from: number, to: number): number {
  return Math.round((to - from) / day);
}

export const dayMs = day;
