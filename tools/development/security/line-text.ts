// The source line a finding points at, trimmed and cut, as its evidence.
import type TS from 'typescript';

/** The trimmed text of 0-based line `line` of the file, at most `max` characters. */
export function lineTextAt(source: TS.SourceFile, line: number, max = 240): string {
  const starts = source.getLineStarts();
  return source.text
    .slice(starts[line], starts[line + 1] ?? source.text.length)
    .trim()
    .slice(0, max);
}

/** The trimmed text of the line where `node` starts. */
export function nodeLineText(source: TS.SourceFile, node: TS.Node, max = 240): string {
  return lineTextAt(source, source.getLineAndCharacterOfPosition(node.getStart(source)).line, max);
}
