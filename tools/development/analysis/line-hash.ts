// GitHub code scanning's primaryLocationLineHash: a rolling hash over the first 100 characters from
// the start of each line, spaces and tabs skipped, line endings normalised, with a counter for
// repeated values. This is the algorithm of github/codeql-action (src/fingerprints.ts), so a log
// that carries the value agrees with what upload-sarif would compute for the same file.

const blockSize = 100;
const modulus = 37n;
const firstModulus = BigInt.asIntN(64, modulus ** BigInt(blockSize));
const space = 0x20;
const tab = 0x09;
const lineFeed = 0x0a;
const carriageReturn = 0x0d;
const endOfFile = 65535;

/** The hash of every line of `text`, indexed by line number - 1, as `<hex>:<occurrence>`. */
export function lineHashes(text: string): string[] {
  const window = new Array<number>(blockSize).fill(0);
  // The line that starts at each window slot, or -1.
  const lineNumbers = new Array<number>(blockSize).fill(-1);
  const hashes: string[] = [];
  const counts = new Map<string, number>();
  let hash = 0n;
  let index = 0;
  let lineNumber = 0;
  let lineStart = true;
  let previousCarriageReturn = false;

  const output = () => {
    const value = BigInt.asUintN(64, hash).toString(16);
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    hashes[lineNumbers[index]! - 1] = `${value}:${count}`;
    lineNumbers[index] = -1;
  };
  const update = (current: number) => {
    const begin = window[index]!;
    window[index] = current;
    hash = BigInt.asIntN(64, modulus * hash + BigInt(current) - firstModulus * BigInt(begin));
    index = (index + 1) % blockSize;
  };
  const consume = (code: number) => {
    if (code === space || code === tab || (previousCarriageReturn && code === lineFeed)) {
      previousCarriageReturn = false;
      return;
    }
    let current = code;
    previousCarriageReturn = current === carriageReturn;
    if (previousCarriageReturn) current = lineFeed;
    if (lineNumbers[index] !== -1) output();
    if (lineStart) {
      lineStart = false;
      lineNumber++;
      lineNumbers[index] = lineNumber;
    }
    if (current === lineFeed) lineStart = true;
    update(current);
  };

  for (let i = 0; i < text.length; i++) consume(text.charCodeAt(i));
  consume(endOfFile);
  for (let i = 0; i < blockSize; i++) {
    if (lineNumbers[index] !== -1) output();
    update(0);
  }
  return hashes;
}
