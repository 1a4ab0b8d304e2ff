// Duplicate code by token windows, the way copy-paste detectors work: each file becomes a stream
// of normalised tokens (identifiers and literals collapse to one kind each, so renamed copies
// match too), a rolling hash marks every window of `minTokens` tokens, and a repeated window is
// verified token by token and then grown to the longest common run. Comments and whitespace are
// not tokens. Written here because no maintained npm library exposes clone detection as an API
// (jscpd is a CLI with its own file walker and reporters).

export interface TokenStream {
  file: string;
  codes: Int32Array;
  lines: Int32Array;
}

export interface Clone {
  tokens: number;
  a: { file: string; startLine: number; endLine: number };
  b: { file: string; startLine: number; endLine: number };
}

const wordPattern =
  /[A-Za-z_$][\w$]*|\d[\w.]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/|[^\s\w]/g;
const keywords = new Set(
  'break case catch class const continue debugger default delete do else export extends finally for function if import in instanceof new return super switch this throw try typeof var void while with yield let static async await of def elif except lambda pass raise from as is not and or None True False self interface type enum implements private public protected readonly abstract'.split(
    ' ',
  ),
);

function codeOf(token: string, table: Map<string, number>): number {
  let code = table.get(token);
  if (code === undefined) table.set(token, (code = table.size + 3));
  return code;
}

/** Tokenises TS/JS or Python text; `python` switches "#" from a private-name prefix to a comment. */
export function tokenize(file: string, text: string, python: boolean, table: Map<string, number>): TokenStream {
  const codes: number[] = [];
  const lines: number[] = [];
  let line = 1;
  let last = 0;
  for (const match of text.matchAll(wordPattern)) {
    const token = match[0];
    for (let i = last; i < match.index; i++) if (text.charCodeAt(i) === 10) line++;
    last = match.index;
    const startLine = line;
    if (token.startsWith('//') || token.startsWith('/*') || (python && token.startsWith('#'))) {
      // a comment: not a token
    } else if (/^[A-Za-z_$]/.test(token)) {
      codes.push(keywords.has(token) ? codeOf(token, table) : 1);
      lines.push(startLine);
    } else if (/^["'`\d]/.test(token)) {
      codes.push(2);
      lines.push(startLine);
    } else {
      codes.push(codeOf(token, table));
      lines.push(startLine);
    }
  }
  return { file, codes: Int32Array.from(codes), lines: Int32Array.from(lines) };
}

/** Polynomial hashes of every window of `size` codes (Rabin–Karp rolling hash). */
function windowHashes(codes: Int32Array, size: number): Float64Array {
  const base = 1_000_003;
  const modulus = 2_147_483_647;
  let power = 1;
  for (let i = 0; i < size - 1; i++) power = (power * base) % modulus;
  const hashes = new Float64Array(Math.max(0, codes.length - size + 1));
  let hash = 0;
  for (let i = 0; i < codes.length; i++) {
    if (i >= size) hash = (hash - ((codes[i - size]! * power) % modulus) + modulus) % modulus;
    hash = (hash * base + codes[i]!) % modulus;
    if (i >= size - 1) hashes[i - size + 1] = hash;
  }
  return hashes;
}

export function findClones(streams: readonly TokenStream[], minTokens: number, minLines: number): Clone[] {
  const seen = new Map<number, { stream: number; at: number }>();
  const clones: Clone[] = [];
  streams.forEach((stream, streamIndex) => {
    const { codes } = stream;
    const hashes = windowHashes(codes, minTokens);
    let i = 0;
    while (i < hashes.length) {
      const hash = hashes[i]!;
      const earlier = seen.get(hash);
      if (earlier === undefined) {
        seen.set(hash, { stream: streamIndex, at: i });
        i++;
        continue;
      }
      const other = streams[earlier.stream]!;
      const sameStream = earlier.stream === streamIndex;
      let length = 0;
      // Verify (hashes can collide) and grow; a copy inside one file must not overlap itself.
      while (
        i + length < codes.length &&
        earlier.at + length < other.codes.length &&
        codes[i + length] === other.codes[earlier.at + length] &&
        !(sameStream && earlier.at + length >= i)
      )
        length++;
      if (length < minTokens) {
        i++;
        continue;
      }
      const a = {
        file: other.file,
        startLine: other.lines[earlier.at]!,
        endLine: other.lines[earlier.at + length - 1]!,
      };
      const b = { file: stream.file, startLine: stream.lines[i]!, endLine: stream.lines[i + length - 1]! };
      if (b.endLine - b.startLine + 1 >= minLines) clones.push({ tokens: length, a, b });
      i += length;
    }
  });
  return clones;
}
