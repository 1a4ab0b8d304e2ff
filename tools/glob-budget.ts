// Globs from agents, matched without backtracking. picomatch compiles a glob to a RegExp, and V8's
// backtracking engine then takes exponential time on nested extglobs (`+(+(a|aa)|b)x`) and
// polynomial time of degree "number of stars" on `*a*a*a*a*a*b` (3.5 s on a 60-character name). Here
// a glob is checked (length, brace expansion) and matched by dynamic programming over path segments
// and characters: time is bounded by pattern length × path length, whatever the pattern.
// Supported: `*`, `?`, `**` as a whole segment, `[a-z]` / `[!a]` classes, `{a,b}` and `{1..3}`
// braces, `\` escapes and a leading `!` that negates. Extglobs (`+(a|b)`) are refused.
import { z } from 'zod';
import { InputError } from './errors.js';

export const maxGlobLength = 500;
/** Most patterns one glob may expand to through braces. */
export const maxBraceExpansions = 256;
/**
 * Most pattern tokens one glob may hold once its braces are expanded, and all the globs of one call
 * together: matching a path costs tokens × path length, so these bound the work per file (about a
 * millisecond for a 200-character path at the call limit), whatever the patterns.
 */
export const maxGlobTokens = 4096;
export const maxCallTokens = 8192;

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negated: boolean; items: (string | [string, string])[] };
/** A pattern segment: `globstar` for a whole `**`, else its tokens. */
type Segment = 'globstar' | Token[];

export type GlobMatcher = ((relativePath: string) => boolean) & { readonly tokens: number };

/** Why a glob is refused, or undefined when it is fine. */
export function globProblem(glob: string): string | undefined {
  try {
    compileGlob(glob);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A matcher for an agent's glob; an InputError naming `field` when the glob is refused. */
export function agentGlob(glob: string, field: string): GlobMatcher {
  try {
    return compileGlob(glob);
  } catch (error) {
    throw new InputError(field, (error as Error).message);
  }
}

/** Matchers for a call's globs; an InputError naming the field when one, or all together, are refused. */
export function agentGlobs(globs: readonly string[], field: string): GlobMatcher[] {
  const matchers = globs.map((glob, i) => agentGlob(glob, `${field}[${i}]`));
  const tokens = matchers.reduce((sum, m) => sum + m.tokens, 0);
  if (tokens > maxCallTokens)
    throw new InputError(
      field,
      `these globs expand to ${tokens} pattern tokens together, over the limit of ${maxCallTokens}; pass fewer or simpler globs`,
    );
  return matchers;
}

/** A zod field for a list of agent globs, refused at validation with the reason. */
export function globListField(maxItems = 50) {
  return z
    .array(
      z
        .string()
        .min(1)
        .max(maxGlobLength)
        .superRefine((glob, context) => {
          const problem = globProblem(glob);
          if (problem) context.addIssue({ code: 'custom', message: problem });
        }),
    )
    .max(maxItems)
    .superRefine((globs, context) => {
      // The total, once every glob passes on its own (a refused one is reported by its item).
      let tokens = 0;
      for (const glob of globs) {
        try {
          tokens += compileGlob(glob).tokens;
        } catch {
          return;
        }
      }
      if (tokens > maxCallTokens)
        context.addIssue({
          code: 'custom',
          message: `these globs expand to ${tokens} pattern tokens together, over the limit of ${maxCallTokens}; pass fewer or simpler globs`,
        });
    });
}

export function compileGlob(glob: string): GlobMatcher {
  if (glob.length > maxGlobLength) throw new Error(`glob is ${glob.length} characters; the limit is ${maxGlobLength}`);
  const negated = glob.startsWith('!') && !glob.startsWith('!(');
  // Paths are matched relative to the project, without a leading "./": "./src/**" means "src/**".
  const body = (negated ? glob.slice(1) : glob).replace(/^(\.\/)+/, '');
  const extglob = /(^|[^\\])([@?+*!])\(/.exec(body);
  if (extglob)
    throw new Error(
      `extglob "${extglob[2]}(…)" is not supported (it can take exponential time); use braces, e.g. "src/{a,b}/**"`,
    );
  const patterns = expandBraces(body).map(parsePattern);
  const tokens = patterns.reduce(
    (sum, segments) => sum + segments.reduce((n, segment) => n + 1 + (segment === 'globstar' ? 0 : segment.length), 0),
    0,
  );
  if (tokens > maxGlobTokens)
    throw new Error(
      `glob expands to ${tokens} pattern tokens, over the limit of ${maxGlobTokens}; write fewer alternatives in braces`,
    );
  const matcher = (relative: string) => patterns.some((segments) => matchSegments(segments, relative.split('/')));
  return Object.assign(negated ? (relative: string) => !matcher(relative) : matcher, { tokens });
}

/** Expands `{a,b}` and `{1..3}`, refusing more than maxBraceExpansions results. */
function expandBraces(glob: string): string[] {
  let results = [glob];
  for (;;) {
    const next: string[] = [];
    let expanded = false;
    for (const pattern of results) {
      const group = firstBraceGroup(pattern);
      if (!group) {
        next.push(pattern);
        continue;
      }
      expanded = true;
      for (const option of group.options)
        next.push(pattern.slice(0, group.start) + option + pattern.slice(group.end + 1));
      if (next.length > maxBraceExpansions)
        throw new Error(`braces expand to more than ${maxBraceExpansions} patterns; write fewer alternatives`);
    }
    results = next;
    if (!expanded) return results;
  }
}

function firstBraceGroup(pattern: string): { start: number; end: number; options: string[] } | undefined {
  for (let start = 0; start < pattern.length; start++) {
    if (pattern[start] === '\\') {
      start++;
      continue;
    }
    if (pattern[start] !== '{') continue;
    let depth = 0;
    const commas: number[] = [];
    for (let end = start; end < pattern.length; end++) {
      const c = pattern[end];
      if (c === '\\') {
        end++;
        continue;
      }
      if (c === '{') depth++;
      else if (c === ',' && depth === 1) commas.push(end);
      else if (c === '}' && --depth === 0) {
        const inner = pattern.slice(start + 1, end);
        if (commas.length > 0) {
          const bounds = [start, ...commas, end];
          return { start, end, options: bounds.slice(1).map((b, i) => pattern.slice(bounds[i]! + 1, b)) };
        }
        const range = rangeOptions(inner);
        if (range) return { start, end, options: range };
        break; // a literal "{x}": look for the next group
      }
    }
  }
  return undefined;
}

function rangeOptions(inner: string): string[] | undefined {
  const numeric = /^(-?\d+)\.\.(-?\d+)$/.exec(inner);
  const letters = /^([A-Za-z])\.\.([A-Za-z])$/.exec(inner);
  if (!numeric && !letters) return undefined;
  const from = numeric ? Number(numeric[1]) : letters![1]!.charCodeAt(0);
  const to = numeric ? Number(numeric[2]) : letters![2]!.charCodeAt(0);
  if (Math.abs(to - from) >= maxBraceExpansions)
    throw new Error(`range {${inner}} expands to more than ${maxBraceExpansions} patterns; use a wildcard`);
  const step = from <= to ? 1 : -1;
  const out: string[] = [];
  for (let v = from; v !== to + step; v += step) out.push(numeric ? String(v) : String.fromCharCode(v));
  return out;
}

function parsePattern(pattern: string): Segment[] {
  return pattern.split('/').map((segment) => (segment === '**' ? 'globstar' : parseSegment(segment)));
}

function parseSegment(segment: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) tokens.push({ kind: 'char', char: segment[++i]! });
    else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '*') {
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' }); // `**` inside a segment is one star
    } else if (c === '[') {
      const parsed = parseClass(segment, i);
      if (parsed) {
        tokens.push(parsed.token);
        i = parsed.end;
      } else tokens.push({ kind: 'char', char: c });
    } else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

function parseClass(segment: string, start: number): { token: Token; end: number } | undefined {
  let i = start + 1;
  const negated = segment[i] === '!' || segment[i] === '^';
  if (negated) i++;
  const items: (string | [string, string])[] = [];
  for (let first = true; i < segment.length; i++, first = false) {
    let c = segment[i]!;
    if (c === ']' && !first) return { token: { kind: 'class', negated, items }, end: i };
    if (c === '\\' && i + 1 < segment.length) c = segment[++i]!;
    if (segment[i + 1] === '-' && i + 2 < segment.length && segment[i + 2] !== ']') {
      let to = segment[i + 2]!;
      i += 2;
      if (to === '\\' && i + 1 < segment.length) to = segment[++i]!;
      items.push([c, to]);
    } else items.push(c);
  }
  return undefined; // no closing bracket: a literal "["
}

function tokenMatches(token: Token, char: string): boolean {
  switch (token.kind) {
    case 'char':
      return token.char === char;
    case 'any':
    case 'star':
      return true;
    case 'class': {
      const inside = token.items.some((item) =>
        typeof item === 'string' ? item === char : char >= item[0] && char <= item[1],
      );
      return inside !== token.negated;
    }
  }
}

/** One segment against one name: O(tokens × characters), no backtracking. */
function matchSegment(tokens: Token[], name: string): boolean {
  // reachable[j]: the tokens so far can consume exactly name[0, j).
  let reachable = new Uint8Array(name.length + 1);
  let next = new Uint8Array(name.length + 1);
  reachable[0] = 1;
  for (const token of tokens) {
    next.fill(0);
    if (token.kind === 'star') {
      let open = false;
      for (let j = 0; j <= name.length; j++) {
        if (reachable[j]) open = true;
        if (open) next[j] = 1;
      }
    } else {
      for (let j = 0; j < name.length; j++) if (reachable[j] && tokenMatches(token, name[j]!)) next[j + 1] = 1;
    }
    [reachable, next] = [next, reachable];
  }
  return reachable[name.length] === 1;
}

/** Pattern segments against path segments; `**` takes zero or more whole segments. */
function matchSegments(pattern: Segment[], names: string[]): boolean {
  let reachable = new Uint8Array(names.length + 1);
  reachable[0] = 1;
  for (const segment of pattern) {
    const next = new Uint8Array(names.length + 1);
    if (segment === 'globstar') {
      let open = false;
      for (let j = 0; j <= names.length; j++) {
        if (reachable[j]) open = true;
        if (open) next[j] = 1;
      }
    } else {
      for (let j = 0; j < names.length; j++) if (reachable[j] && matchSegment(segment, names[j]!)) next[j + 1] = 1;
    }
    reachable = next;
  }
  return reachable[names.length] === 1;
}
