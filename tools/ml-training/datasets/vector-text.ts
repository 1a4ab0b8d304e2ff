// Vectors as PostgreSQL hands them over as text: a real[] / double precision[] / numeric[] literal
// "{0.1,0.2}", a pgvector literal "[0.1,0.2]", or the same text stored in a text column. Each value
// is checked: a NULL vector, text that is not a flat list of numbers, and NaN or ±Infinity (also a
// finite double that overflows float32) are the reasons a row is skipped.

export type VectorProblem = 'null' | 'unparseable' | 'nonFinite';

const nonFiniteWord = /^[+-]?(nan|inf|infinity)$/i;
const float32Max = 3.4028234663852886e38;

/** Float32 values of a vector given as text or as numbers; a reason when it is not a usable vector. */
export function parseVectorValue(value: unknown): Float32Array | VectorProblem {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return parseVectorText(value);
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const list = value as ArrayLike<unknown>;
    const out = new Float32Array(list.length);
    let nonFinite = false;
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      if (typeof n !== 'number') return 'unparseable';
      if (!Number.isFinite(n) || Math.abs(n) > float32Max) nonFinite = true;
      out[i] = n;
    }
    return nonFinite ? 'nonFinite' : out;
  }
  return 'unparseable';
}

export function parseVectorText(raw: string): Float32Array | VectorProblem {
  const text = raw.trim();
  const open = text[0];
  const close = text[text.length - 1];
  if (text.length < 2 || !((open === '{' && close === '}') || (open === '[' && close === ']'))) return 'unparseable';
  const inner = text.slice(1, -1);
  if (inner.trim() === '') return new Float32Array(0);
  const parts = inner.split(',');
  const out = new Float32Array(parts.length);
  let nonFinite = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const n = Number(part);
    if (Number.isFinite(n) && part.trim() !== '') {
      if (Math.abs(n) > float32Max) nonFinite = true;
      out[i] = n;
      continue;
    }
    // Quoted words are how array_out writes NaN/Infinity in some settings: "NaN".
    const word = part.trim().replace(/^"(.*)"$/, '$1');
    if (nonFiniteWord.test(word)) nonFinite = true;
    else return 'unparseable';
  }
  return nonFinite ? 'nonFinite' : out;
}
