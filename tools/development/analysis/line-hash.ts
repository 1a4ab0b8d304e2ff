// GitHub code scanning's primaryLocationLineHash: a rolling hash over the first 100 characters from
// the start of each line, spaces and tabs skipped, line endings normalised, with a counter for
// repeated values. This is the algorithm of github/codeql-action (src/fingerprints.ts), so a log
// that carries the value agrees with what upload-sarif would compute for the same file.

const blockSize = 100;
const modulus = 37;
// The hash is 64-bit arithmetic that wraps, kept as two unsigned 32-bit halves in plain numbers
// (every intermediate stays below 2^53): BigInt per character is several times slower.
const two32 = 4294967296;
const first = BigInt.asUintN(64, BigInt(modulus) ** BigInt(blockSize));
const firstHigh = Number(first >> 32n);
const firstLow = Number(first & 0xffffffffn);
const space = 0x20;
const tab = 0x09;
const lineFeed = 0x0a;
const carriageReturn = 0x0d;
const endOfFile = 65535;

/** The hash of every line of `text`, indexed by line number - 1, as `<hex>:<occurrence>`. */
export function lineHashes(text: string): string[] {
  const window = new Int32Array(blockSize);
  // The line that starts at each window slot, or -1.
  const lineNumbers = new Int32Array(blockSize).fill(-1);
  const hashes: string[] = [];
  const counts = new Map<string, number>();
  // One loop with local state, no closures: doubles kept in closure variables would be boxed on
  // every update, and the garbage collector would dominate.
  let high = 0;
  let low = 0;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let previousCarriageReturn = false;
  const total = text.length + 1 + blockSize;
  for (let position = 0; position < total; position++) {
    let current: number;
    if (position < text.length) {
      current = text.charCodeAt(position);
      if (current === space || current === tab || (previousCarriageReturn && current === lineFeed)) {
        previousCarriageReturn = false;
        continue;
      }
      previousCarriageReturn = current === carriageReturn;
      if (previousCarriageReturn) current = lineFeed;
    } else current = position === text.length ? endOfFile : 0;
    if (lineNumbers[index] !== -1) {
      const value = high === 0 ? low.toString(16) : `${high.toString(16)}${low.toString(16).padStart(8, '0')}`;
      const count = (counts.get(value) ?? 0) + 1;
      counts.set(value, count);
      hashes[lineNumbers[index]! - 1] = `${value}:${count}`;
      lineNumbers[index] = -1;
    }
    if (position <= text.length) {
      if (lineStart) {
        lineStart = false;
        lineNumber++;
        lineNumbers[index] = lineNumber;
      }
      if (current === lineFeed) lineStart = true;
    }
    // hash = 37 * hash + current - 37^100 * (the character leaving the window), mod 2^64;
    // `x >>> 0` is x mod 2^32 for any integer below 2^53 in magnitude, negative ones included.
    const begin = window[index]!;
    window[index] = current;
    const sum = low * modulus + current;
    const product = firstLow * begin;
    let nextHigh = high * modulus + Math.floor(sum / two32) - firstHigh * begin - Math.floor(product / two32);
    let nextLow = (sum >>> 0) - (product >>> 0);
    if (nextLow < 0) {
      nextLow += two32;
      nextHigh -= 1;
    }
    high = nextHigh >>> 0;
    low = nextLow;
    index = (index + 1) % blockSize;
  }
  return hashes;
}
