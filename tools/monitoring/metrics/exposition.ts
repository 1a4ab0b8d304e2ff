// Prometheus text exposition (format 0.0.4) into typed metric families, losslessly: every sample line
// becomes one sample with its labels, its value (NaN, +Inf and -Inf kept) and its timestamp; histograms
// and summaries are also grouped per series (buckets with `le`, including +Inf; quantiles; sum; count).
//
// Why not parse-prometheus-text-format (the npm library, kept as the peer in bench/monitoring-ingest.ts
// and as a cross-check in the tests): it builds every token a character at a time (about 50k
// samples/s here against our target of 300k), and it folds histogram and summary samples of
// different label sets into one object, so a histogram with a `handler` label loses its series.
// This parser slices lines with indexOf and charCodeAt, and stops at a byte and a sample budget.

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
export type Labels = Record<string, string>;

export interface MetricSample {
  /** The sample's own name: the family name, or it with `_bucket`, `_sum` or `_count`. */
  name: string;
  labels: Labels;
  value: number;
  timestampMs?: number;
}

export interface HistogramSeries {
  /** The series' labels without `le`. */
  labels: Labels;
  /** Ascending by `le`; the last is +Inf when the exposition has it. */
  buckets: { le: number; count: number }[];
  sum: number | null;
  count: number | null;
}

export interface SummarySeries {
  /** The series' labels without `quantile`. */
  labels: Labels;
  quantiles: { quantile: number; value: number }[];
  sum: number | null;
  count: number | null;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: MetricSample[];
  /** Histogram families only: the samples grouped per series. */
  histograms?: HistogramSeries[];
  /** Summary families only: the samples grouped per series. */
  summaries?: SummarySeries[];
}

export interface ParseOptions {
  /** Largest input accepted, in UTF-8 bytes; default 16 MiB. */
  maxBytes?: number;
  /** Most samples accepted; default 1,000,000. */
  maxSamples?: number;
}

export const defaultMaxExpositionBytes = 16 * 1024 * 1024;
export const defaultMaxSamples = 1_000_000;

/** A malformed exposition or one over budget; `line` is 1-based, 0 for the budget. */
export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const types = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SPACE = 32;
const TAB = 9;
const HASH = 35;
const BRACE_OPEN = 123;
const BRACE_CLOSE = 125;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;
const COMMA = 44;

/** A sample value or bucket bound: Go's float text, with NaN, +Inf and -Inf. */
export function parseFloatText(text: string): number {
  // Number() reads every ordinary value; only the spellings of infinity and NaN need a second look.
  const value = text.length === 0 ? NaN : Number(text);
  if (value === value) return value;
  if (text === '+Inf' || text === 'Inf' || text === '+inf' || text === 'inf') return Infinity;
  if (text === '-Inf' || text === '-inf') return -Infinity;
  return NaN;
}

function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58;
}

function isNameChar(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

function unescape(text: string, help: boolean): string {
  if (text.indexOf('\\') === -1) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 === text.length) {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === 'n') out += '\n';
    else if (next === '\\') out += '\\';
    else if (next === '"' && !help) out += '"';
    else out += '\\' + next;
  }
  return out;
}

class Parser {
  readonly families: MetricFamily[] = [];
  private readonly byName = new Map<string, MetricFamily>();
  /** The family the last TYPE or sample belonged to: its _bucket/_sum/_count samples follow it. */
  private current: MetricFamily | undefined;
  private sampleCount = 0;
  private lastName = '';
  private lastOwner: MetricFamily | undefined;
  /** Where the next backslash is, so that label values without escapes are sliced in one go. */
  private nextBackslash = -1;
  private lineNumber = 0;

  constructor(
    private readonly text: string,
    private readonly maxSamples: number,
  ) {}

  fail(message: string): never {
    throw new ExpositionError(`exposition line ${this.lineNumber}: ${message}`, this.lineNumber);
  }

  run(): MetricFamily[] {
    const text = this.text;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      this.lineNumber += 1;
      this.line(start, end);
      start = end + 1;
    }
    for (const family of this.families) {
      if (family.type === 'histogram') family.histograms = groupHistogram(family);
      else if (family.type === 'summary') family.summaries = groupSummary(family);
    }
    return this.families;
  }

  private family(name: string): MetricFamily {
    let family = this.byName.get(name);
    if (!family) {
      family = { name, help: '', type: 'untyped', samples: [] };
      this.byName.set(name, family);
      this.families.push(family);
    }
    return family;
  }

  private line(start: number, end: number): void {
    const text = this.text;
    let i = start;
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i < end && text.charCodeAt(end - 1) === 13) end--; // tolerate CRLF
    if (i >= end) return;
    if (text.charCodeAt(i) === HASH) this.comment(i + 1, end);
    else this.sample(i, end);
  }

  private comment(start: number, end: number): void {
    const line = this.text.slice(start, end);
    const match = /^[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (!match) return; // a plain comment
    const keyword = match[1];
    const name = match[2] as string;
    const rest = match[3] ?? '';
    if (!isValidName(name)) this.fail(`"${name}" is not a valid metric name`);
    const family = this.family(name);
    this.lastOwner = undefined;
    if (keyword === 'HELP') {
      family.help = unescape(rest, true);
      return;
    }
    const type = rest.trim();
    if (!types.has(type))
      this.fail(`TYPE "${type}" for ${name}; expected counter, gauge, histogram, summary or untyped`);
    if (family.samples.length > 0) this.fail(`TYPE for ${name} comes after its samples`);
    family.type = type as MetricType;
    this.current = family;
  }

  private owner(name: string): MetricFamily {
    const current = this.current;
    if (current) {
      if (current.name === name) return current;
      if (current.type !== 'untyped' && belongsTo(current, name)) return current;
    }
    let family = this.byName.get(name);
    if (!family) {
      // A _bucket, _sum or _count sample of a histogram or summary that is not the current family.
      const base = name.slice(0, name.lastIndexOf('_'));
      const parent = this.byName.get(base);
      family = parent && belongsTo(parent, name) ? parent : this.family(name);
    }
    this.current = family;
    return family;
  }

  private sample(start: number, end: number): void {
    const text = this.text;
    // Consecutive lines mostly repeat the name: reuse the last one rather than slicing a new string.
    let name = this.lastName;
    let i = start + name.length;
    if (!(name.length > 0 && text.startsWith(name, start) && !isNameChar(text.charCodeAt(i)))) {
      i = start;
      if (!isNameStart(text.charCodeAt(i))) this.fail('a sample line must start with a metric name');
      i++;
      while (i < end && isNameChar(text.charCodeAt(i))) i++;
      name = text.slice(start, i);
      this.lastName = name;
      this.lastOwner = undefined;
    }
    const labels: Labels = {};
    while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (text.charCodeAt(i) === BRACE_OPEN) i = this.labels(i + 1, end, labels);
    const valueStart = skipBlanks(text, i, end);
    let valueEnd = valueStart;
    while (valueEnd < end && text.charCodeAt(valueEnd) !== SPACE && text.charCodeAt(valueEnd) !== TAB) valueEnd++;
    if (valueEnd === valueStart) this.fail(`${name} has no value`);
    const valueText = text.slice(valueStart, valueEnd);
    const value = parseFloatText(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN' && valueText !== 'nan')
      this.fail(`${name} has value "${valueText.slice(0, 40)}", which is not a number`);
    const sample: MetricSample = { name, labels, value };
    const timestampStart = skipBlanks(text, valueEnd, end);
    if (timestampStart < end) {
      let timestampEnd = timestampStart;
      while (timestampEnd < end && text.charCodeAt(timestampEnd) !== SPACE && text.charCodeAt(timestampEnd) !== TAB)
        timestampEnd++;
      const timestamp = Number(text.slice(timestampStart, timestampEnd));
      if (!Number.isInteger(timestamp)) this.fail(`${name} has a timestamp that is not an integer of milliseconds`);
      if (skipBlanks(text, timestampEnd, end) < end) this.fail(`unexpected text after the timestamp of ${name}`);
      sample.timestampMs = timestamp;
    }
    this.sampleCount += 1;
    if (this.sampleCount > this.maxSamples)
      this.fail(`more than ${this.maxSamples} samples (maxSamples); read a smaller endpoint or raise the cap`);
    const owner = this.lastOwner ?? this.owner(name);
    this.lastOwner = owner;
    owner.samples.push(sample);
  }

  /** Reads `name="value",...}` from just after `{`; returns the index after `}`. */
  private labels(start: number, end: number, labels: Labels): number {
    const text = this.text;
    let i = start;
    for (;;) {
      i = skipBlanks(text, i, end);
      if (i >= end) this.fail('labels are not closed with }');
      if (text.charCodeAt(i) === BRACE_CLOSE) return i + 1;
      const nameStart = i;
      while (i < end && isNameChar(text.charCodeAt(i))) i++;
      if (i === nameStart) this.fail(`unexpected "${text[i]}" where a label name should be`);
      const labelName = text.slice(nameStart, i);
      i = skipBlanks(text, i, end);
      if (text.charCodeAt(i) !== EQUALS) this.fail(`label ${labelName} has no =`);
      i = skipBlanks(text, i + 1, end);
      if (text.charCodeAt(i) !== QUOTE) this.fail(`the value of label ${labelName} is not quoted`);
      const valueStart = i + 1;
      const close = text.indexOf('"', valueStart);
      if (this.nextBackslash < valueStart) this.nextBackslash = nextIndex(text, '\\', valueStart);
      let raw: string;
      if (close !== -1 && close < end && this.nextBackslash > close) {
        // The usual case: no escape before the closing quote.
        raw = text.slice(valueStart, close);
        i = close;
      } else {
        i = valueStart;
        while (i < end) {
          const code = text.charCodeAt(i);
          if (code === QUOTE) break;
          i += code === BACKSLASH ? 2 : 1;
        }
        if (i >= end) this.fail(`the value of label ${labelName} is not closed with "`);
        raw = unescape(text.slice(valueStart, i), false);
      }
      if (Object.hasOwn(labels, labelName)) this.fail(`label ${labelName} appears twice`);
      // A label called __proto__ would set the object's prototype instead of a property.
      if (labelName === '__proto__')
        Object.defineProperty(labels, labelName, { value: raw, enumerable: true, writable: true, configurable: true });
      else labels[labelName] = raw;
      i = skipBlanks(text, i + 1, end);
      const code = text.charCodeAt(i);
      if (code === COMMA) i++;
      else if (code !== BRACE_CLOSE) this.fail(`expected , or } after label ${labelName}`);
    }
  }
}

function belongsTo(family: MetricFamily, name: string): boolean {
  if (family.type !== 'histogram' && family.type !== 'summary') return false;
  if (name.length <= family.name.length || !name.startsWith(family.name)) return false;
  const suffix = name.slice(family.name.length);
  return suffix === '_sum' || suffix === '_count' || (suffix === '_bucket' && family.type === 'histogram');
}

function skipBlanks(text: string, i: number, end: number): number {
  while (i < end) {
    const code = text.charCodeAt(i);
    if (code !== SPACE && code !== TAB) break;
    i++;
  }
  return i;
}

function nextIndex(text: string, search: string, from: number): number {
  const found = text.indexOf(search, from);
  return found === -1 ? text.length : found;
}

function isValidName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i))) return false;
  return true;
}

/** A stable key of labels without one of them (`le`, `quantile`). */
function seriesKey(labels: Labels, without: string): string {
  const names = Object.keys(labels)
    .filter((name) => name !== without)
    .sort();
  let key = '';
  for (const name of names) key += `${name}\u0000${labels[name]}\u0001`;
  return key;
}

function withoutLabel(labels: Labels, without: string): Labels {
  const copy: Labels = {};
  for (const [name, value] of Object.entries(labels)) {
    if (name === without) continue;
    if (name === '__proto__')
      Object.defineProperty(copy, name, { value, enumerable: true, writable: true, configurable: true });
    else copy[name] = value;
  }
  return copy;
}

function groupHistogram(family: MetricFamily): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  for (const sample of family.samples) {
    const key = seriesKey(sample.labels, 'le');
    let entry = series.get(key);
    if (!entry) {
      entry = { labels: withoutLabel(sample.labels, 'le'), buckets: [], sum: null, count: null };
      series.set(key, entry);
    }
    if (sample.name === `${family.name}_bucket`) {
      const le = sample.labels.le;
      if (le !== undefined) entry.buckets.push({ le: parseFloatText(le), count: sample.value });
    } else if (sample.name === `${family.name}_sum`) entry.sum = sample.value;
    else if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const entry of series.values()) entry.buckets.sort((a, b) => a.le - b.le);
  return [...series.values()];
}

function groupSummary(family: MetricFamily): SummarySeries[] {
  const series = new Map<string, SummarySeries>();
  for (const sample of family.samples) {
    const key = seriesKey(sample.labels, 'quantile');
    let entry = series.get(key);
    if (!entry) {
      entry = { labels: withoutLabel(sample.labels, 'quantile'), quantiles: [], sum: null, count: null };
      series.set(key, entry);
    }
    if (sample.name === family.name) {
      const quantile = sample.labels.quantile;
      if (quantile !== undefined) entry.quantiles.push({ quantile: parseFloatText(quantile), value: sample.value });
    } else if (sample.name === `${family.name}_sum`) entry.sum = sample.value;
    else if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const entry of series.values()) entry.quantiles.sort((a, b) => a.quantile - b.quantile);
  return [...series.values()];
}

/** Parses a whole exposition; throws ExpositionError (with the line) when it is malformed or over budget. */
export function parseExposition(text: string, options: ParseOptions = {}): MetricFamily[] {
  const maxBytes = options.maxBytes ?? defaultMaxExpositionBytes;
  // A string's UTF-8 size is at most 3 bytes per UTF-16 unit, so most inputs skip the exact count.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes)
      throw new ExpositionError(`exposition is ${bytes} bytes; the cap is ${maxBytes} bytes (maxBytes)`, 0);
  }
  return new Parser(text, options.maxSamples ?? defaultMaxSamples).run();
}
