// How sure is an answer? The signals, each in [0, 1]:
//   validity    — 0 when a schema was asked for and the answer does not parse and validate, else 1;
//   self        — the model's own `confidence` field in a structured answer, when present;
//   agreement   — with k > 1 samples, the share of samples equal to the most common answer;
//   logprob     — exp(mean token logprob), when the host returns logprobs.
// confidence = validity × mean(the signals present). A valid answer with no signal at all counts
// as `unverifiedConfidence` (0.8 by default): above the default 0.75 threshold, so plain-text work
// stays local unless the caller asks for samples, a self-rated schema, or a higher threshold.
import type { z } from 'zod';

export interface ConfidenceSignals {
  validity: 0 | 1;
  self?: number;
  agreement?: number;
  logprob?: number;
}

export const unverifiedConfidence = 0.8;

export function combineConfidence(signals: ConfidenceSignals): number {
  if (signals.validity === 0) return 0;
  const present = [signals.self, signals.agreement, signals.logprob].filter(
    (v): v is number => typeof v === 'number' && Number.isFinite(v),
  );
  if (present.length === 0) return unverifiedConfidence;
  const mean = present.reduce((a, b) => a + Math.min(1, Math.max(0, b)), 0) / present.length;
  return Number(mean.toFixed(4));
}

/** Pulls a JSON value out of a reply, tolerating a ```json fence or prose around one object. */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const candidate = (fenced ? fenced[1]! : text).trim();
  try {
    return JSON.parse(candidate);
  } catch {
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start !== -1 && end > start) return JSON.parse(candidate.slice(start, end + 1));
    throw new SyntaxError('no JSON object in the reply');
  }
}

export interface Judged<T> {
  value: T | undefined;
  text: string;
  signals: ConfidenceSignals;
  error?: string;
}

export function judge<T>(text: string, schema: z.ZodType<T> | undefined): Judged<T> {
  if (!schema)
    return text.trim()
      ? { value: text as unknown as T, text, signals: { validity: 1 } }
      : { value: undefined, text, signals: { validity: 0 }, error: 'the answer was empty' };
  let raw: unknown;
  try {
    raw = extractJson(text);
  } catch (error) {
    return {
      value: undefined,
      text,
      signals: { validity: 0 },
      error: text.trim() ? `the answer is not JSON (${(error as Error).message})` : 'the answer was empty',
    };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : '(the whole answer)';
    return {
      value: undefined,
      text,
      signals: { validity: 0 },
      error: `schema: ${where}: ${issue?.message ?? 'does not match'}`,
    };
  }
  const self = (raw as { confidence?: unknown })?.confidence;
  return { value: parsed.data, text, signals: { validity: 1, ...(typeof self === 'number' ? { self } : {}) } };
}

/** Share of answers equal (as canonical JSON) to the most common one, and that answer's index. */
export function agreement(values: readonly unknown[]): { share: number; modal: number } {
  const counts = new Map<string, { count: number; first: number }>();
  values.forEach((value, index) => {
    const key = canonical(value);
    const entry = counts.get(key) ?? { count: 0, first: index };
    entry.count++;
    counts.set(key, entry);
  });
  let best = { count: 0, first: 0 };
  for (const entry of counts.values()) if (entry.count > best.count) best = entry;
  return { share: values.length ? best.count / values.length : 0, modal: best.first };
}

/** The logprob signal: exp(mean token logprob), the geometric-mean probability of the tokens. */
export function logprobSignal(logprobs: readonly number[] | undefined): number | undefined {
  if (!logprobs || logprobs.length === 0) return undefined;
  const mean = logprobs.reduce((a, b) => a + b, 0) / logprobs.length;
  return Number(Math.exp(Math.min(0, mean)).toFixed(4));
}

function canonical(value: unknown): string {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const { confidence: _ignored, ...rest } = value as Record<string, unknown>;
    return JSON.stringify(
      Object.fromEntries(
        Object.entries(rest)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => [k, JSON.parse(canonical(v))]),
      ),
    );
  }
  if (typeof value === 'string') return JSON.stringify(value.trim().toLowerCase());
  return JSON.stringify(value ?? null);
}
