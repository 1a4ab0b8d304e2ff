// Unified-diff patches for mechanical fixes (a flag flipped, a call replaced on one line). A patch is
// only produced when the text to replace occurs exactly once on the finding's line, so applying it
// with `git apply` or `patch -p1` cannot touch anything else.

export function replacementPatch(
  file: string,
  text: string,
  line: number,
  from: string,
  to: string,
  context = 3,
): string | undefined {
  const lines = text.split('\n');
  const index = line - 1;
  const original = lines[index];
  if (original === undefined) return undefined;
  const first = original.indexOf(from);
  if (first === -1 || original.indexOf(from, first + 1) !== -1) return undefined;
  const replaced = original.slice(0, first) + to + original.slice(first + from.length);
  const start = Math.max(0, index - context);
  const end = Math.min(lines.length - 1, index + context);
  const before = lines.slice(start, index).map((l) => ` ${l}`);
  const after = lines.slice(index + 1, end + 1).map((l) => ` ${l}`);
  const count = end - start + 1;
  return [
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start + 1},${count} +${start + 1},${count} @@`,
    ...before,
    `-${original}`,
    `+${replaced}`,
    ...after,
    '',
  ].join('\n');
}

/** A patch that inserts `insertion` after line `line` (1-based; 0 inserts at the top). */
export function insertionPatch(file: string, text: string, line: number, insertion: string, context = 3): string {
  const lines = text.split('\n');
  const start = Math.max(0, line - context);
  const end = Math.min(lines.length - 1, line + context - 1);
  const before = lines.slice(start, line).map((l) => ` ${l}`);
  const after = lines.slice(line, end + 1).map((l) => ` ${l}`);
  const oldCount = before.length + after.length;
  return [
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start + 1},${oldCount} +${start + 1},${oldCount + 1} @@`,
    ...before,
    `+${insertion}`,
    ...after,
    '',
  ].join('\n');
}
