// Checks parsed bars and says what is wrong and where: each issue names its source row (CSV line or
// JSON index). Errors make bars unusable (a backtest on them would be wrong); warnings (gaps) are
// reported and left to the caller. Each kind lists its first issues and counts them all.
import { barDate } from './bars.js';
import { dayMs, daysBetween } from './bar-fields.js';
import type { ParsedBars } from './parse-bars.js';

export type BarIssueKind =
  | 'out-of-order'
  | 'duplicate'
  | 'missing'
  | 'non-positive-price'
  | 'high-below-low'
  | 'outside-range'
  | 'negative-volume'
  | 'gap';

export interface BarIssue {
  kind: BarIssueKind;
  /** The source row: the CSV line (header = 1) or the JSON array index. */
  row: number;
  message: string;
}

export interface BarValidation {
  /** At most `listed` of each kind. */
  errors: BarIssue[];
  warnings: BarIssue[];
  /** Every issue counted, by kind (listed or not). */
  counts: Partial<Record<BarIssueKind, number>>;
  errorCount: number;
  warningCount: number;
  summary: string;
}

export interface ValidateOptions {
  /** Issues listed per kind. */
  listed?: number;
  /** A jump of more than this many calendar days between consecutive daily bars is a gap. */
  gapDays?: number;
  signal?: AbortSignal;
}

const prices = ['open', 'high', 'low', 'close'] as const;
/** Records an issue; the message is built only for the issues that are listed. */
type Report = (kind: BarIssueKind, i: number, message: () => string) => void;
const yieldEvery = 500_000;

export async function validateBars(bars: ParsedBars, options: ValidateOptions = {}): Promise<BarValidation> {
  const listed = options.listed ?? 20;
  const gapDays = options.gapDays ?? 5;
  const counts: Partial<Record<BarIssueKind, number>> = {};
  const errors: BarIssue[] = [];
  const warnings: BarIssue[] = [];
  const label = bars.rowLabel;
  const report: Report = (kind, i, message) => {
    const count = (counts[kind] ?? 0) + 1;
    counts[kind] = count;
    if (count > listed) return;
    const issue = { kind, row: bars.rows[i]!, message: `${label} ${bars.rows[i]}: ${message()}` };
    (kind === 'gap' ? warnings : errors).push(issue);
  };
  const { time, open, high, low, close, volume } = bars;
  const n = time.length;
  const daily = isDaily(time);
  let ordered = true;
  const gap = gapDays * dayMs;
  for (let i = 0; i < n; i++) {
    const o = open[i]!;
    const h = high[i]!;
    const l = low[i]!;
    const c = close[i]!;
    // One comparison chain for the common, clean bar (NaN fails every comparison); details only on a failure.
    if (!(l > 0 && h >= l && o >= l && o <= h && c >= l && c <= h && volume[i]! >= 0)) checkBar(bars, i, report);
    const step = i > 0 ? time[i]! - time[i - 1]! : 1;
    if (step <= 0 || (daily && step > gap)) {
      if (step < 0) {
        ordered = false;
        report(
          'out-of-order',
          i,
          () =>
            `${barDate(time[i]!)} comes after ${barDate(time[i - 1]!)} (${label} ${bars.rows[i - 1]}); sort the bars by date`,
        );
      } else if (step === 0) {
        report(
          'duplicate',
          i,
          () => `${barDate(time[i]!)} repeats ${label} ${bars.rows[i - 1]}; keep one bar per date`,
        );
      } else {
        report(
          'gap',
          i,
          () =>
            `${daysBetween(time[i - 1]!, time[i]!)} calendar days between ${barDate(time[i - 1]!)} (${label} ${bars.rows[i - 1]}) and ${barDate(time[i]!)}`,
        );
      }
    }
    if (i % yieldEvery === yieldEvery - 1) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
  }
  // Unsorted bars can repeat a date far from its twin; only then is a full lookup worth its memory.
  if (!ordered) findDistantDuplicates(bars, report);
  return finish(bars, errors, warnings, counts);
}

function checkBar(bars: ParsedBars, i: number, report: Report) {
  const o = bars.open[i]!;
  const h = bars.high[i]!;
  const l = bars.low[i]!;
  const c = bars.close[i]!;
  const v = bars.volume[i]!;
  // Formatted only for a bar with an issue: toISOString on every bar would dominate the pass.
  const date = () => barDate(bars.time[i]!);
  if (Number.isNaN(o + h + l + c + v)) {
    const absent = [...prices, 'volume' as const].filter((f) => Number.isNaN(bars[f][i]!));
    report('missing', i, () => `${date()} has no ${absent.join(', ')}; fill the value or drop the bar`);
    return;
  }
  if (o <= 0 || h <= 0 || l <= 0 || c <= 0) {
    const nonPositive = prices.filter((f) => bars[f][i]! <= 0);
    report(
      'non-positive-price',
      i,
      () => `${date()} ${nonPositive.map((f) => `${f} ${bars[f][i]}`).join(', ')}; prices must be > 0`,
    );
  }
  if (h < l) {
    report('high-below-low', i, () => `${date()} high ${h} < low ${l}; swap or fix them`);
  } else if (o < l || o > h || c < l || c > h) {
    const outside = (['open', 'close'] as const).filter((f) => bars[f][i]! < l || bars[f][i]! > h);
    report(
      'outside-range',
      i,
      () => `${date()} ${outside.map((f) => `${f} ${bars[f][i]}`).join(', ')} outside [low ${l}, high ${h}]`,
    );
  }
  if (v < 0) report('negative-volume', i, () => `${date()} volume ${v} < 0; volume must be ≥ 0`);
}

function findDistantDuplicates(bars: ParsedBars, report: Report) {
  const seen = new Map<number, number>();
  for (let i = 0; i < bars.time.length; i++) {
    // Adjacent repeats were reported by the main pass.
    const last = seen.get(bars.time[i]!);
    seen.set(bars.time[i]!, i);
    if (last !== undefined && last !== i - 1)
      report(
        'duplicate',
        i,
        () => `${barDate(bars.time[i]!)} repeats ${bars.rowLabel} ${bars.rows[last]}; keep one bar per date`,
      );
  }
}

/** Daily (or finer) bars: the median step of the first thousand is under four days (weekly bars: seven). */
function isDaily(time: Float64Array): boolean {
  const steps: number[] = [];
  for (let i = 1; i < Math.min(time.length, 1001); i++)
    if (time[i]! > time[i - 1]!) steps.push(time[i]! - time[i - 1]!);
  if (steps.length === 0) return false;
  steps.sort((a, b) => a - b);
  return steps[Math.floor(steps.length / 2)]! < 4 * dayMs;
}

function finish(
  bars: ParsedBars,
  errors: BarIssue[],
  warnings: BarIssue[],
  counts: BarValidation['counts'],
): BarValidation {
  const total = (kinds: BarIssue[]) => [...new Set(kinds.map((k) => k.kind))].reduce((s, k) => s + counts[k]!, 0);
  const errorCount = total(errors);
  const warningCount = total(warnings);
  const n = bars.time.length;
  const span = n > 0 ? ` ${barDate(bars.time[0]!)} to ${barDate(bars.time[n - 1]!)}` : '';
  const byKind = Object.entries(counts)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
  const summary = `${n} bars${span}: ${errorCount} error${errorCount === 1 ? '' : 's'}, ${warningCount} warning${warningCount === 1 ? '' : 's'}${byKind ? ` (${byKind})` : ''}`;
  return { errors, warnings, counts, errorCount, warningCount, summary };
}

/** A one-line refusal naming the first few errors (for InputError messages). */
export function describeErrors(validation: BarValidation, shown = 5): string {
  const first = validation.errors.slice(0, shown).map((e) => e.message);
  const more = validation.errorCount - first.length;
  return `${first.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}
