// RE2 (Go regexp) patterns run as JavaScript RegExps. The two dialects agree on the common subset;
// what JS accepts but RE2 rejects (lookarounds, backreferences) is refused, so a pattern that works
// here also works in Alertmanager, and the few RE2 spellings JS lacks are translated:
// `(?P<name>…)` → `(?<name>…)`, `\A` → `^`, `\z` → `$`, POSIX classes `[[:alpha:]]`, and a leading
// flag group `(?i)` / `(?s)` / `(?m)` → RegExp flags; `.` and `\s` get RE2's meaning (JS's differ on
// \r and Unicode spaces). Without the `u` flag (JS would then refuse escapes RE2 accepts) a `.`
// matches one UTF-16 unit, so a single astral character needs `..`: the one known difference left.
// Anchoring follows Alertmanager: `^(?:re)$`.

const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

export class Re2Error extends Error {}

/** Translates an RE2 pattern to a JS source and flags; throws Re2Error for what RE2 would reject. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let rest = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(rest);
  if (leading) {
    if (leading[1]!.includes('U'))
      throw new Re2Error('the (?U) ungreedy flag is not supported here; write lazy quantifiers (*?)');
    flags = [...new Set(leading[1]!)].join('');
    rest = rest.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (c === '\\') {
      const next = rest[i + 1];
      if (next === undefined) throw new Re2Error('trailing backslash');
      if (/[1-9]/.test(next))
        throw new Re2Error(`backreference \\${next} is not RE2 syntax; RE2 has no backreferences`);
      if (next === 'k' && rest[i + 2] === '<') throw new Re2Error('named backreference \\k<…> is not RE2 syntax');
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'z') out += '$';
      else if (next === 'Z') throw new Re2Error('\\Z is not RE2 syntax; use \\z or $');
      // RE2's \s is ASCII whitespace without \v; JS's also takes Unicode spaces.
      else if (next === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
      else if (next === 'S' && !inClass) out += '[^\\t\\n\\f\\r ]';
      else {
        if (next === 'p' || next === 'P') flags += flags.includes('u') ? '' : 'u';
        out += c + next;
      }
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && rest[i + 1] === ':') {
        const end = rest.indexOf(':]', i + 2);
        const name = end > 0 ? rest.slice(i + 2, end) : '';
        const negated = name.startsWith('^');
        const body = posixClasses[negated ? name.slice(1) : name];
        if (body === undefined || negated) throw new Re2Error(`POSIX class [:${name}:] is not supported here`);
        out += body;
        i = end + 1;
        continue;
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (rest[i + 1] === '^') out += rest[++i];
      // A ']' first in a class is a literal in RE2 (JS would close an empty class).
      if (rest[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && rest[i + 1] === '?') {
      const head = rest.slice(i, i + 4);
      if (head.startsWith('(?=') || head.startsWith('(?!'))
        throw new Re2Error('lookahead (?= / (?! is not RE2 syntax; RE2 has no lookarounds');
      if (head.startsWith('(?<=') || head.startsWith('(?<!'))
        throw new Re2Error('lookbehind (?<= / (?<! is not RE2 syntax; RE2 has no lookarounds');
      if (head.startsWith('(?P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (head.startsWith('(?<')) throw new Re2Error('named group (?<name>…) needs the RE2 spelling (?P<name>…)');
      if (!head.startsWith('(?:'))
        throw new Re2Error('flag groups inside a pattern are not supported here; put (?i) at the very start');
    }
    // RE2's . excludes only \n (JS's also excludes \r, \u2028, \u2029); with (?s) it takes all.
    if (c === '.') {
      out += flags.includes('s') ? '[\\s\\S]' : '[^\\n]';
      continue;
    }
    out += c;
  }
  if (inClass) throw new Re2Error('missing closing ]');
  return { source: out, flags };
}

/** An anchored RegExp for an Alertmanager regex matcher value; throws Re2Error. */
export function compileAnchored(pattern: string): RegExp {
  const { source, flags } = translateRe2(pattern);
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (error) {
    throw new Re2Error((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}
