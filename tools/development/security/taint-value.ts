// Taint values: where untrusted data came from (a request part, or a parameter of the function
// being analysed, for summaries), and which sink classes a sanitiser has already made it safe for.
import type { ValueShape } from './sink-rules.js';

export interface Origin {
  line: number;
  /** Source text of the source expression, e.g. `req.query.url`. */
  text: string;
  /** The request part: query, params, body, headers, cookies, url, location... */
  part: string;
  /** The first property read below the part, e.g. `url` for req.query.url. */
  key?: string;
  /** True while the value is the part itself (all of req.body), for mass-assignment checks. */
  whole: boolean;
  /**
   * The value came back from a call into another project module (the index of that call in the
   * file's call records): it is only tainted if the callee returns that argument (taint-linker.ts).
   */
  via?: number;
}

export interface Taint {
  origin?: Origin;
  /** Bit i: the value may come from parameter i of the enclosing function (for summaries). */
  params: number;
  /** Sink-class bits a sanitiser has cleared. */
  cleared: number;
  /** Whole-object flow for parameters (bit i: the value is all of parameter i). */
  wholeParams: number;
}

export interface Value extends ValueShape {
  taint?: Taint;
  /** The expression is the request object itself (req, ctx, request). */
  request?: 'request' | 'koa';
  /** The expression is `location` / `document`: browser sources. */
  browser?: boolean;
  /** For object literals, the values of their properties by name. */
  properties?: Map<string, Value>;
  /** Where an object literal's property was written, so a finding can point at it. */
  at?: { line: number; endLine: number; evidence: string };
  /** For a function without parameters, what it returns (closures building a query, say). */
  returns?: Value;
  /** A MongoDB collection or model handle (`db.collection('x')`, `mongoose.model('X')`). */
  collection?: boolean;
}

export function emptyValue(): Value {
  return { literalText: '', isObjectLiteral: false, isFunction: false, isStringBuilt: false };
}

export function unionTaint(a: Taint | undefined, b: Taint | undefined): Taint | undefined {
  if (!a) return b;
  if (!b) return a;
  // Prefer the firmer origin: request input over a database read or a helper's return value.
  const first = a.origin && b.origin && originRank(b.origin) < originRank(a.origin) ? b.origin : a.origin;
  const origin = a.origin && b.origin ? { ...first!, whole: false } : (a.origin ?? b.origin);
  return { ...(origin ? { origin } : {}), params: a.params | b.params, cleared: a.cleared & b.cleared, wholeParams: 0 };
}

function originRank(origin: Origin): number {
  return (origin.part === 'database' ? 2 : 0) + (origin.via !== undefined ? 1 : 0);
}

/** The value with whole-object flags dropped: it is now a part, a copy or a derivation. */
export function derived(taint: Taint | undefined, key?: string): Taint | undefined {
  if (!taint) return undefined;
  const origin = taint.origin
    ? { ...taint.origin, whole: false, ...(key && !taint.origin.key ? { key } : {}) }
    : undefined;
  return { ...(origin ? { origin } : {}), params: taint.params, cleared: taint.cleared, wholeParams: 0 };
}

export function cleared(taint: Taint | undefined, bits: number): Taint | undefined {
  if (!taint) return undefined;
  return {
    ...taint,
    cleared: taint.cleared | bits,
    wholeParams: 0,
    ...(taint.origin ? { origin: { ...taint.origin, whole: false } } : {}),
  };
}

/** Is the value still dangerous for a sink of class `bit`? */
export function liveFor(taint: Taint | undefined, bit: number): boolean {
  return taint !== undefined && (taint.cleared & bit) === 0 && (taint.origin !== undefined || taint.params !== 0);
}
