// Alertmanager's classic matchers (pkg/labels in 0.25): `name op value` with op = != =~ !~, values
// optionally double-quoted with \" \\ \n escapes, several per string separated by commas (outside
// quotes), an optional {…} around the list. A list means AND. A missing label matches as "".
import type { LabelSet } from '../alert-types.js';
import { compileAnchored, Re2Error } from './re2.js';

export type MatchType = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

/** A matcher with its regex compiled once, so a routing decision does no parsing. */
export interface CompiledMatcher extends Matcher {
  test: (labels: LabelSet) => boolean;
}

const matcherPattern = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;
const typeOrder: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

export class MatcherError extends Error {}

function unquote(raw: string, whole: string): string {
  let text = raw;
  let expectQuote = false;
  if (text.startsWith('"')) {
    text = text.slice(1);
    expectQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escaped) {
      escaped = false;
      if (c === 'n') value += '\n';
      else if (c === '"' || c === '\\') value += c;
      else value += '\\' + c;
      continue;
    }
    if (c === '\\') {
      if (i < chars.length - 1) escaped = true;
      else value += '\\';
    } else if (c === '"') {
      if (!expectQuote || i < chars.length - 1)
        throw new MatcherError(`matcher value contains an unescaped double quote: ${whole}`);
      expectQuote = false;
    } else value += c;
  }
  if (expectQuote) throw new MatcherError(`matcher value is missing its closing double quote: ${whole}`);
  return value;
}

/** One `name op value`; throws MatcherError. */
export function parseMatcher(text: string): Matcher {
  const match = matcherPattern.exec(text);
  if (!match)
    throw new MatcherError(`bad matcher format: ${text.trim()} (expected name op value, op one of = != =~ !~)`);
  const matcher = { name: match[1]!, type: match[2] as MatchType, value: unquote(match[3]!, match[3]!) };
  compileMatcher(matcher);
  return matcher;
}

/** A matchers string: comma-separated outside quotes, optionally in braces; throws MatcherError. */
export function parseMatchers(text: string): Matcher[] {
  let body = text;
  if (body.startsWith('{')) body = body.slice(1);
  if (body.endsWith('}')) body = body.slice(0, -1);
  const tokens: string[] = [];
  let inside = false;
  let escaped = false;
  let token = '';
  for (const c of body) {
    if (c === ',' && !inside) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (!escaped) inside = !inside;
      else escaped = false;
    } else if (c === '\\') escaped = !escaped;
    else escaped = false;
    token += c;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseMatcher);
}

export function compileMatcher(matcher: Matcher): CompiledMatcher {
  const { name, type, value } = matcher;
  if (type === '=') return { ...matcher, test: (labels) => (labels[name] ?? '') === value };
  if (type === '!=') return { ...matcher, test: (labels) => (labels[name] ?? '') !== value };
  let regex: RegExp;
  try {
    regex = compileAnchored(value);
  } catch (error) {
    if (error instanceof Re2Error) throw new MatcherError(`bad regex in ${name}${type}"${value}": ${error.message}`);
    throw error;
  }
  if (type === '=~') return { ...matcher, test: (labels) => regex.test(labels[name] ?? '') };
  return { ...matcher, test: (labels) => !regex.test(labels[name] ?? '') };
}

/** Alertmanager's order (by name, value, then type), used in route keys and displays. */
export function sortMatchers<T extends Matcher>(matchers: T[]): T[] {
  return [...matchers].sort((a, b) =>
    a.name !== b.name
      ? a.name < b.name
        ? -1
        : 1
      : a.value !== b.value
        ? a.value < b.value
          ? -1
          : 1
        : typeOrder[a.type] - typeOrder[b.type],
  );
}

function quote(value: string): string {
  return JSON.stringify(value);
}

export function matcherToString(matcher: Matcher): string {
  return `${matcher.name}${matcher.type}${quote(matcher.value)}`;
}

/** `{a="b",c=~"d"}` as in route keys and amtool's tree. */
export function matchersToString(matchers: readonly Matcher[]): string {
  return `{${matchers.map(matcherToString).join(',')}}`;
}

/** Go's model.LabelSet String(): sorted, `name="value"` joined by ", ". */
export function labelSetToString(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((name) => `${name}=${quote(labels[name]!)}`).join(', ')}}`;
}

export function matchesAll(matchers: readonly CompiledMatcher[], labels: LabelSet): boolean {
  for (const matcher of matchers) if (!matcher.test(labels)) return false;
  return true;
}
