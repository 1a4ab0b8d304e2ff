// The static half of the agent-query budgets: shapes of Cypher that Kuzu 0.11.3 cannot stop once
// they run. Its timeout is only checked between operator batches, and its buffer pool only bounds
// what goes through the buffer manager, so a single expression that builds a huge list (range(),
// list_reduce doubling, a lambda that copies a collected list per element, string_split of a big
// string, lpad to a billion characters) or a deeply nested text (the parser recurses; 300 brackets
// take 15 s, 1,000 crash the process) runs to the machine's whole memory. Measured in
// tests/knowledge/cypher-resource-limits.test.ts. These shapes are refused before they run.

export const budgetLimits = {
  /** range() values and repeat()/lpad()/rpad() counts, multiplied over the whole query. */
  maxExpansion: 100_000,
  /** Bracket and parenthesis depth; the parser's time grows steeply with it. */
  maxNesting: 32,
  /** Upper bound a variable-length pattern may ask for (Kuzu's own maximum is 30). */
  maxHops: 30,
};

/** The text with strings and comments blanked out (same length), so positions still match. */
export function scrub(cypher: string): string {
  const out = cypher.split('');
  let i = 0;
  const n = cypher.length;
  const blank = (from: number, to: number) => {
    for (let k = from; k < Math.min(to, n); k++) if (out[k] !== '\n') out[k] = ' ';
  };
  while (i < n) {
    const c = cypher[i]!;
    if (c === "'" || c === '"') {
      const start = i++;
      while (i < n && cypher[i] !== c) i += cypher[i] === '\\' ? 2 : 1;
      blank(start + 1, i); // keep the quotes: an empty string literal stays a value
      i++;
    } else if (c === '`') {
      const start = i++;
      while (i < n && cypher[i] !== '`') i++;
      for (let k = start; k <= Math.min(i, n - 1); k++) out[k] = '_'; // a name, never a keyword
      i++;
    } else if (c === '/' && cypher[i + 1] === '/') {
      const start = i;
      while (i < n && cypher[i] !== '\n') i++;
      blank(start, i);
    } else if (c === '/' && cypher[i + 1] === '*') {
      const end = cypher.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else i++;
  }
  return out.join('');
}

/** The top-level, comma-separated arguments of the call whose "(" is at `open`. */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return args;
}

/** An integer literal or a parameter holding one; undefined otherwise. */
function integerValue(argument: string, params: Record<string, unknown>): number | undefined {
  if (/^-?\s*\d+$/.test(argument)) return Number(argument.replace(/\s+/g, ''));
  const param = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(argument);
  const value = param ? params[param[1]!] : undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function calls(text: string, name: string): number[] {
  const pattern = new RegExp(`(?<![A-Za-z0-9_.$])${name}\\s*\\(`, 'gi');
  return [...text.matchAll(pattern)].map((m) => m.index + m[0].length - 1);
}

const listBuilders = [
  'range',
  'collect',
  'list_transform',
  'list_filter',
  'list_concat',
  'list_cat',
  'list_append',
  'list_prepend',
  'string_split',
  'str_split',
  'string_to_array',
  'regexp_split_to_array',
  'regexp_extract_all',
  'repeat',
  'lpad',
  'rpad',
];

function nestingProblem(text: string): string | undefined {
  let depth = 0;
  let deepest = 0;
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  if (deepest > budgetLimits.maxNesting)
    return `the query nests brackets ${deepest} deep; the limit is ${budgetLimits.maxNesting} (deep nesting stalls the parser). Flatten it with WITH steps`;
  return undefined;
}

function expansionProblem(text: string, params: Record<string, unknown>): string | undefined {
  let product = 1;
  for (const open of calls(text, 'range')) {
    const args = callArguments(text, open);
    const [start, end, step = 1] = args.map((a) => integerValue(a, params));
    if (start === undefined || end === undefined || step === undefined || step === 0 || args.length > 3)
      return 'range() needs integer literal (or integer parameter) bounds, so its size is known before it runs; e.g. range(1, 100)';
    product *= Math.max(0, Math.floor((end - start) / step) + 1);
  }
  for (const name of ['repeat', 'lpad', 'rpad']) {
    for (const open of calls(text, name)) {
      const count = integerValue(callArguments(text, open)[1] ?? '', params);
      if (count === undefined)
        return `${name}() needs an integer literal (or integer parameter) count, so the string's size is known before it runs`;
      product *= Math.max(1, count);
    }
  }
  if (product > budgetLimits.maxExpansion)
    return `the query's range()/repeat()/lpad()/rpad() calls produce ${product.toExponential(1)} values together; the limit is ${budgetLimits.maxExpansion.toLocaleString('en-US')} (lists and strings built in one expression are not bounded by the timeout). Use smaller bounds, or MATCH the data instead of generating it`;
  return undefined;
}

function pathProblem(text: string): string | undefined {
  for (const match of text.matchAll(/\[[^[\]]*?\*([^[\]]*)\]/g)) {
    if (!/-\s*$/.test(text.slice(0, match.index)) && !/^\s*-/.test(text.slice(match.index + match[0].length))) continue; // not a relationship pattern: a list such as [2 * x]
    const spec = match[1]!.replace(/\(.*$/s, ''); // drop the (r, n | WHERE ...) filter
    const bounds =
      /^\s*(?:ALL\s+SHORTEST|WSHORTEST|ASHORTEST|SHORTEST|TRAIL|ACYCLIC)?\s*(\d+)?\s*(\.\.)?\s*(\d+)?/i.exec(spec)!;
    const upper = bounds[2] ? bounds[3] : bounds[1];
    if (upper === undefined)
      return `the variable-length pattern [${match[0].slice(1, -1).trim()}] has no upper bound; give it one of at most ${budgetLimits.maxHops} hops, e.g. -[:R*1..3]->`;
    if (Number(upper) > budgetLimits.maxHops)
      return `the variable-length pattern asks for ${upper} hops; the limit is ${budgetLimits.maxHops}`;
  }
  return undefined;
}

/** Names bound to lists: `collect(...) AS name`, `[...] AS name`, `range(...) AS name`, ... */
function listAliases(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/\bAS\s+([A-Za-z_][A-Za-z0-9_]*)/gi)) {
    const before = text.slice(Math.max(0, match.index - 400), match.index).trimEnd();
    if (/\]$/.test(before)) names.add(match[1]!);
    else if (/\)$/.test(before)) {
      // Find the call this ")" closes and look at its name.
      let depth = 0;
      let i = before.length - 1;
      for (; i >= 0; i--) {
        if (before[i] === ')') depth++;
        else if (before[i] === '(' && --depth === 0) break;
      }
      const name = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(before.slice(0, Math.max(0, i)))?.[1]?.toLowerCase();
      if (name && listBuilders.includes(name)) names.add(match[1]!);
    }
  }
  return names;
}

/** The bodies of lambdas (`x -> body`) and list comprehensions (`[x IN list | body]`). */
function lambdaBodies(text: string): string[] {
  const bodies: string[] = [];
  const bodyFrom = (start: number) => {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i]!;
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}' || (c === ',' && depth === 0)) {
        if (depth === 0) return text.slice(start, i);
        depth--;
      }
    }
    return text.slice(start);
  };
  for (const m of text.matchAll(/->/g))
    if (/[A-Za-z0-9_)]\s*$/.test(text.slice(0, m.index))) bodies.push(bodyFrom(m.index + 2)); // not -->, ]->
  for (const m of text.matchAll(/\[\s*[A-Za-z_][A-Za-z0-9_]*\s+IN\b[^|\]]*\|/gi))
    bodies.push(bodyFrom(m.index + m[0].length));
  return bodies;
}

function lambdaProblem(text: string): string | undefined {
  if (calls(text, 'list_reduce').length || calls(text, 'reduce').length)
    return 'list_reduce() is not allowed: it can double a list at every step; aggregate with sum(), collect() or list_sum() instead';
  const aliases = listAliases(text);
  for (const body of lambdaBodies(text)) {
    const builder = listBuilders.find((name) => calls(body, name).length > 0);
    if (builder || body.includes('['))
      return `a list comprehension or lambda body builds a list (${builder ?? '[...]'}) for every element, which multiplies the list's size; compute it outside the comprehension or UNWIND first`;
    const alias = [...aliases].find((name) => new RegExp(`(?<![A-Za-z0-9_.$])${name}(?![A-Za-z0-9_])`).test(body));
    if (alias)
      return `a list comprehension or lambda body copies the list "${alias}" for every element, which squares its size; UNWIND the lists and join them as rows instead`;
  }
  return undefined;
}

/** The reason a query's shape would escape the time and memory budgets, or undefined. */
export function budgetProblem(cypher: string, params: Record<string, unknown> = {}): string | undefined {
  const text = scrub(cypher);
  return nestingProblem(text) ?? expansionProblem(text, params) ?? pathProblem(text) ?? lambdaProblem(text);
}
