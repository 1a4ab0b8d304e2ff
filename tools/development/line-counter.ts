// Counts a source file's code, comment and blank lines the way cloc does: a line with any code is
// code, a line with only comment text is a comment, a line with only whitespace is blank. Strings are
// followed so that "//" or "#" inside a string is not a comment. Python docstrings (a triple-quoted
// string that starts a line) count as comments, as cloc counts them.

export interface LineCounts {
  code: number;
  comment: number;
  blank: number;
}

interface Syntax {
  line: string[];
  block: [string, string][];
  /** Quote characters whose strings are skipped; a string with one of `multiline` may span lines. */
  quotes: string[];
  multiline?: string[];
  docstrings?: boolean;
}

const cLike: Syntax = { line: ['//'], block: [['/*', '*/']], quotes: ['"', "'"] };
const script: Syntax = { ...cLike, quotes: ['"', "'", '`'], multiline: ['`'] };
const hash: Syntax = { line: ['#'], block: [], quotes: ['"', "'"] };
const markup: Syntax = { line: [], block: [['<!--', '-->']], quotes: [] };

const syntaxes: Record<string, Syntax> = {
  TypeScript: script,
  JavaScript: script,
  Vue: { ...script, block: [...script.block, ['<!--', '-->']] },
  Svelte: { ...script, block: [...script.block, ['<!--', '-->']] },
  Go: { ...cLike, quotes: ['"', "'", '`'], multiline: ['`'] },
  Rust: { ...cLike, quotes: ['"'] },
  Java: cLike,
  Kotlin: cLike,
  'C#': cLike,
  C: cLike,
  'C++': cLike,
  Swift: cLike,
  Scala: cLike,
  Dart: cLike,
  Zig: { ...cLike, block: [] },
  PHP: { ...cLike, line: ['//', '#'] },
  CSS: { line: [], block: [['/*', '*/']], quotes: ['"', "'"] },
  SCSS: cLike,
  Less: cLike,
  'Protocol Buffers': cLike,
  GraphQL: hash,
  Python: { ...hash, docstrings: true },
  Shell: hash,
  Ruby: { ...hash, block: [['=begin', '=end']] },
  YAML: hash,
  TOML: hash,
  R: hash,
  Elixir: hash,
  Dockerfile: hash,
  Makefile: hash,
  SQL: { line: ['--'], block: [['/*', '*/']], quotes: ["'", '"'] },
  Lua: { line: ['--'], block: [['--[[', ']]']], quotes: ['"', "'"] },
  Haskell: { line: ['--'], block: [['{-', '-}']], quotes: ['"'] },
  Erlang: { line: ['%'], block: [], quotes: ['"'] },
  HTML: markup,
  XML: markup,
  Markdown: markup,
  EJS: markup,
  Handlebars: {
    line: [],
    block: [
      ['{{!--', '--}}'],
      ['<!--', '-->'],
    ],
    quotes: [],
  },
  Pug: { line: ['//'], block: [], quotes: [] },
  JSON: { line: [], block: [], quotes: ['"'] },
};

/** Languages whose comments are known; other files are not counted. */
export function countsLanguage(language: string): boolean {
  return language in syntaxes;
}

type State = { kind: 'code' } | { kind: 'block'; close: string } | { kind: 'string'; quote: string };

export function countLines(text: string, language: string): LineCounts {
  const syntax = syntaxes[language];
  if (!syntax) throw new Error(`no comment syntax for ${language}`);
  const counts: LineCounts = { code: 0, comment: 0, blank: 0 };
  let state: State = { kind: 'code' };
  for (const line of text.split(/\r?\n|\r/)) {
    let hasCode = false;
    let hasComment = false;
    // A docstring that opens a line is a comment block; cloc counts it so.
    if (state.kind === 'code' && syntax.docstrings) {
      const trimmed = line.trimStart();
      const opener = ['"""', "'''"].find((q) => trimmed.startsWith(q));
      if (opener) {
        const closes = trimmed.indexOf(opener, 3);
        if (closes === -1) state = { kind: 'block', close: opener };
        const rest = closes === -1 ? '' : trimmed.slice(closes + 3).trim();
        if (rest && !rest.startsWith('#')) counts.code++;
        else counts.comment++;
        continue;
      }
    }
    let i = 0;
    while (i < line.length) {
      if (state.kind === 'block') {
        const end = line.indexOf(state.close, i);
        const inside = line.slice(i, end === -1 ? line.length : end);
        if (inside.trim() || end !== -1) hasComment = true;
        if (end === -1) break;
        i = end + state.close.length;
        state = { kind: 'code' };
        continue;
      }
      if (state.kind === 'string') {
        hasCode = true;
        const char = line[i]!;
        if (char === '\\') i += 2;
        else if (char === state.quote) {
          state = { kind: 'code' };
          i++;
        } else i++;
        continue;
      }
      const char = line[i]!;
      if (char === ' ' || char === '\t') {
        i++;
        continue;
      }
      const lineMarker = syntax.line.find((m) => line.startsWith(m, i));
      const blockMarker = syntax.block.find(([open]) => line.startsWith(open, i));
      // "--[[" opens a Lua block before "--" opens a line comment: the longer marker wins.
      if (blockMarker && (!lineMarker || blockMarker[0].length >= lineMarker.length)) {
        hasComment = true;
        state = { kind: 'block', close: blockMarker[1] };
        i += blockMarker[0].length;
        continue;
      }
      if (lineMarker) {
        hasComment = true;
        break;
      }
      hasCode = true;
      if (syntax.quotes.includes(char)) state = { kind: 'string', quote: char };
      i++;
    }
    // A string left open at the end of a line ends there unless its quote may span lines.
    if (state.kind === 'string' && !syntax.multiline?.includes(state.quote)) state = { kind: 'code' };
    if (hasCode) counts.code++;
    else if (hasComment || (state.kind === 'block' && line.trim())) counts.comment++;
    else counts.blank++;
  }
  // A trailing newline does not start another line.
  if (text.endsWith('\n') || text.endsWith('\r')) counts.blank--;
  if (text === '') counts.blank = 0;
  return counts;
}
