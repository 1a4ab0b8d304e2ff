// Where a SARIF result points and what it shows: percent-encoded artifact URIs relative to the
// SRCROOT base, region snippets cut from the file's own text (never the report's normalised or
// redacted evidence), and fixes as artifactChanges derived from a finding's unified-diff patch.
import { parsePatch } from 'diff';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The absolute file:// URI of the project root, ending with '/', as SARIF's uriBaseIds require. */
export function rootUri(root: string): string {
  const href = pathToFileURL(path.resolve(root)).href;
  return href.endsWith('/') ? href : `${href}/`;
}

/** A project-relative path as a relative URI reference: each segment percent-encoded. */
export function relativeUri(file: string): string {
  // A backslash separates segments on Windows only; elsewhere it is part of a name (and encoded).
  return file
    .split(path.sep === '\\' ? /[\\/]+/ : /\/+/)
    .filter((segment) => segment !== '' && segment !== '.')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

export function artifactLocation(file: string, root: string): ArtifactLocation {
  if (path.isAbsolute(file)) {
    const relative = path.relative(root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) return { uri: pathToFileURL(file).href };
    return { uri: relativeUri(relative), uriBaseId: 'SRCROOT' };
  }
  return { uri: relativeUri(file), uriBaseId: 'SRCROOT' };
}

/** Lines start..end (1-based, inclusive) of a file split on '\n', exactly, without the last line break. */
export function sourceLines(lines: readonly string[], start: number, end: number): string | undefined {
  if (start < 1 || end < start || end > lines.length) return undefined;
  const slice = lines.slice(start - 1, end).join('\n');
  return slice.endsWith('\r') ? slice.slice(0, -1) : slice;
}

interface Region {
  startLine: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
}

export interface Replacement {
  deletedRegion: Region;
  insertedContent?: { text: string };
}

/** One changed line as the smallest column range: what lies between the common prefix and suffix. */
function lineReplacement(line: number, before: string, after: string): Replacement {
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < before.length - prefix &&
    suffix < after.length - prefix &&
    before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
  )
    suffix++;
  // Whole words read better in a viewer: "false" → "true" rather than "fals" → "tru".
  const word = /\w/;
  while (prefix > 0 && word.test(before[prefix - 1]!) && word.test(before[prefix] ?? '')) prefix--;
  while (
    suffix > 0 &&
    word.test(before[before.length - suffix]!) &&
    word.test(before[before.length - suffix - 1] ?? '')
  )
    suffix--;
  return {
    deletedRegion: { startLine: line, startColumn: prefix + 1, endLine: line, endColumn: before.length - suffix + 1 },
    insertedContent: { text: after.slice(prefix, after.length - suffix) },
  };
}

/** A run of removed lines (first..first+removed-1, 1-based) replaced by `added`. */
function runReplacement(first: number, removed: string[], added: string[], lines: string[] | undefined) {
  if (removed.length === 1 && added.length === 1) return lineReplacement(first, removed[0]!, added[0]!);
  const last = first + removed.length - 1;
  if (removed.length > 0 && added.length > 0)
    return { deletedRegion: { startLine: first, endLine: last }, insertedContent: { text: added.join('\n') } };
  if (added.length > 0) {
    // An insertion before line `first`; past the end of the file it goes after the last line.
    if (lines && first > lines.length) {
      const end = lines[lines.length - 1]!.length + 1;
      return {
        deletedRegion: { startLine: lines.length, startColumn: end, endLine: lines.length, endColumn: end },
        insertedContent: { text: `\n${added.join('\n')}` },
      };
    }
    return {
      deletedRegion: { startLine: first, startColumn: 1, endLine: first, endColumn: 1 },
      insertedContent: { text: `${added.join('\n')}\n` },
    };
  }
  // Whole lines deleted, with their line break: up to the start of the next line.
  if (!lines || last >= lines.length) return undefined;
  return { deletedRegion: { startLine: first, startColumn: 1, endLine: last + 1, endColumn: 1 } };
}

/**
 * The replacements a unified-diff patch makes to one file, or undefined when the patch does not
 * apply to `text` (changed since), touches another file, or cannot be expressed.
 */
export function patchReplacements(patch: string, file: string, text: string | undefined): Replacement[] | undefined {
  let parsed;
  try {
    parsed = parsePatch(patch);
  } catch {
    return undefined;
  }
  const lines = text?.split('\n');
  const replacements: Replacement[] = [];
  for (const filePatch of parsed) {
    const target = (filePatch.oldFileName ?? '').replace(/^a\//, '');
    if (target !== file) return undefined;
    for (const hunk of filePatch.hunks) {
      let line = hunk.oldStart;
      let removed: string[] = [];
      let added: string[] = [];
      let runStart = line;
      const flush = () => {
        if (removed.length === 0 && added.length === 0) return true;
        const replacement = runReplacement(runStart, removed, added, lines);
        removed = [];
        added = [];
        if (!replacement) return false;
        replacements.push(replacement);
        return true;
      };
      for (const entry of hunk.lines) {
        const kind = entry[0];
        const content = entry.slice(1);
        if (kind === '\\') continue;
        if (kind === '+') {
          if (removed.length === 0 && added.length === 0) runStart = line;
          added.push(content);
          continue;
        }
        if (lines && lines[line - 1] !== content) return undefined;
        if (kind === '-') {
          if (added.length > 0 && !flush()) return undefined;
          if (removed.length === 0) runStart = line;
          removed.push(content);
        } else if (!flush()) return undefined;
        line++;
      }
      if (!flush()) return undefined;
    }
  }
  return replacements.length ? replacements : undefined;
}
