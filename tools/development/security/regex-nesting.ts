// A pre-check before the star-height test for ReDoS: nested quantifiers only backtrack
// catastrophically when the outer one can repeat many times. An exact count inside a group
// ((?:[A-Z]{4})*, base64) is plain concatenation; a group repeated a few times holding only
// bounded quantifiers ((?:0{1,4}:){1,4}, an IPv6 prefix) has few ways to match. An unbounded outer
// quantifier, a count of 3 or more over an unbounded inner one ((a+){10}: n^10 ways), or bounded
// ones with many combinations ((a?){25}: 2^25) are passed on to the star-height check.

interface Quantifier {
  /** Upper bound; Infinity for *, + and {n,}; undefined for an exact {n}. */
  max?: number;
  /** n for an exact {n}. */
  exact?: number;
  length: number;
}

function quantifierAt(source: string, index: number): Quantifier | undefined {
  const char = source[index];
  let quantifier: Quantifier | undefined;
  if (char === '*' || char === '+') quantifier = { max: Infinity, length: 1 };
  else if (char === '?') quantifier = { max: 1, length: 1 };
  else if (char === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(index));
    if (!match) return undefined;
    quantifier = {
      ...(match[2] === undefined ? { exact: Number(match[1]) } : { max: match[3] ? Number(match[3]) : Infinity }),
      length: match[0].length,
    };
  }
  if (quantifier && (source[index + quantifier.length] === '?' || source[index + quantifier.length] === '+'))
    quantifier.length++;
  return quantifier;
}

/** Whether a nested quantifier in `source` could backtrack catastrophically (false: it cannot). */
export function hasRiskyNesting(source: string, flags = ''): boolean {
  // Per open group: the largest upper bound of the quantifiers inside it (0: none; exact counts add none).
  const stack: number[] = [0];
  const starts: number[] = [];
  const note = (max: number) => {
    stack[stack.length - 1] = Math.max(stack[stack.length - 1]!, max);
  };
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (char === '\\') {
      i += 2;
    } else if (char === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (char === '(') {
      stack.push(0);
      i++;
      if (source[i] === '?') {
        // (?:, (?=, (?!, (?<=, (?<!, (?<name>
        i++;
        if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
          while (i < source.length && source[i] !== '>') i++;
        }
        i++;
      }
      starts.push(i);
      continue;
    } else if (char === ')') {
      const inner = stack.length > 1 ? stack.pop()! : 0;
      const body = source.slice(starts.pop() ?? 0, i);
      i++;
      const quantifier = quantifierAt(source, i);
      if (quantifier) {
        // An exact {n} over a group still repeats what is inside it n times.
        const outer = quantifier.max ?? quantifier.exact ?? 0;
        if (inner > 0 && outer > 1 && !unambiguous(body, flags)) {
          if (outer === Infinity) return true;
          if (outer >= 3 && inner === Infinity) return true;
          // Bounded over bounded: finite, but (a?){25} still has 2^25 ways to match.
          if (inner !== Infinity && Math.pow(inner + 1, outer) > 100_000) return true;
        }
        i += quantifier.length;
        note(Math.max(inner, quantifier.max ?? 0));
      } else note(inner);
      continue;
    } else {
      i++;
    }
    const quantifier = quantifierAt(source, i);
    if (quantifier) {
      if (quantifier.max !== undefined) note(quantifier.max);
      i += quantifier.length;
    }
  }
  return false;
}

interface Atom {
  /** A single literal character, or undefined for a class (\\d, [^,;], .). */
  literal?: string;
  /** The atom's source, to test characters against a class. */
  text: string;
  min: number;
  unbounded: boolean;
}

/** A group body as a plain sequence of characters and classes, or undefined when it is more. */
function atomsOf(body: string): Atom[] | undefined {
  const atoms: Atom[] = [];
  let i = 0;
  while (i < body.length) {
    const char = body[i]!;
    let text: string;
    let literal: string | undefined;
    if (char === '(' || char === ')' || char === '|') return undefined;
    if (char === '[') {
      let end = i + 1;
      if (body[end] === '^') end++;
      if (body[end] === ']') end++;
      while (end < body.length && body[end] !== ']') end += body[end] === '\\' ? 2 : 1;
      text = body.slice(i, end + 1);
    } else if (char === '\\') {
      text = body.slice(i, i + 2);
      if (/^\\[^dDwWsSbBpPuxck0-9]$/.test(text)) literal = text[1];
      else if (/^\\[bBpPuxck0-9]$/.test(text)) return undefined;
    } else {
      text = char;
      if (char !== '.' && char !== '^' && char !== '$') literal = char;
      else if (char !== '.') return undefined;
    }
    i += text.length;
    const quantifier = quantifierAt(body, i);
    let min = 1;
    let unbounded = false;
    if (quantifier) {
      const spec = body.slice(i, i + quantifier.length);
      min =
        spec.startsWith('*') || spec.startsWith('?')
          ? 0
          : spec.startsWith('+')
            ? 1
            : Number(/\d+/.exec(spec)?.[0] ?? 1);
      unbounded = quantifier.max === Infinity;
      if (quantifier.max !== undefined && !unbounded && quantifier.max !== min) return undefined;
      i += quantifier.length;
    }
    atoms.push({ ...(literal !== undefined ? { literal } : {}), text, min, unbounded });
  }
  return atoms;
}

/**
 * Whether each repetition inside the group ends at a character it cannot match, so there is one
 * way to split any input: (?:;[^,;=]+=[^,;]+)* and (\d+\.){3} are, ([a-z]+)* and (\w+\s?)* are not.
 */
function unambiguous(body: string, flags: string): boolean {
  const atoms = atomsOf(body);
  if (!atoms || atoms.length < 2) return false;
  for (const [index, atom] of atoms.entries()) {
    if (!atom.unbounded) continue;
    // The next atom, wrapping round to the group's start for the next repetition.
    const next = atoms[(index + 1) % atoms.length]!;
    if (next.literal === undefined || next.min < 1) return false;
    let matches = true;
    try {
      matches = new RegExp(`^${atom.text}$`, flags.replace(/[^isu]/g, '')).test(next.literal);
    } catch {
      return false;
    }
    if (matches) return false;
  }
  return true;
}
