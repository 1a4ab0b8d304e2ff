// Payload limits counted the way the receivers count them: titles and summaries in runes (code
// points, as Alertmanager's Go code does), Slack section text in UTF-16 units (never above the
// code point count, so a text within it is within Slack's 3,000 characters however Slack counts),
// whole events in UTF-8 bytes. Cuts never split a surrogate pair.

/** The marker a truncated text ends with (one rune, as Alertmanager uses). */
export const ellipsis = '…';

export function runeLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** `text` cut to at most `maxRunes` code points, the last one being the ellipsis when cut. */
export function truncateRunes(text: string, maxRunes: number): { text: string; truncated: boolean } {
  if (maxRunes <= 0) return { text: '', truncated: text.length > 0 };
  const runes = Array.from(text);
  if (runes.length <= maxRunes) return { text, truncated: false };
  return { text: runes.slice(0, maxRunes - 1).join('') + ellipsis, truncated: true };
}

/** `text` cut to at most `maxUnits` UTF-16 units, ending in the ellipsis when cut. */
export function truncateUnits(text: string, maxUnits: number): { text: string; truncated: boolean } {
  if (text.length <= maxUnits) return { text, truncated: false };
  let end = Math.max(0, maxUnits - ellipsis.length);
  // Do not leave half a surrogate pair at the cut.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text.charAt(end - 1))) end--;
  return { text: text.slice(0, end) + ellipsis, truncated: true };
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** ISO time as Go's RFC3339Nano writes it (what Alertmanager sends): no trailing zero fraction. */
export function goTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '0001-01-01T00:00:00Z';
  return new Date(ms)
    .toISOString()
    .replace(/\.?0+Z$/, 'Z')
    .replace(/\.Z$/, 'Z');
}
