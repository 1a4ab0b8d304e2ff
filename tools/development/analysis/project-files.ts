// Chooses and reads the files an analysis covers, and says why every other candidate was left out:
// over 2 MiB, binary, minified or vendored, unreadable, a symlink (never followed, so loops cannot
// happen), outside the `paths` globs, or past the file limit of a huge tree.
import path from 'node:path';
import { agentGlobs } from '../../glob-budget.js';
import { walkFiles } from '../walk-files.js';
import { Confinement, readConfined } from '../../confined-fs.js';
import { scriptExtensions } from '../languages.js';
import { isTemplatePath } from './file-analysis.js';

export const maxFileBytes = 2 * 1024 * 1024;

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface CandidateFile {
  relative: string;
  absolute: string;
  confinement: Confinement;
  kind: 'script' | 'template' | 'python';
}

/** Dependency, build and cache folders that analyses never enter. */
export const neverEntered = new Set([
  'node_modules',
  'bower_components',
  'jspm_packages',
  '.next',
  '.nuxt',
  '.svelte-kit',
  'coverage',
  '.nyc_output',
  '.cache',
  '.turbo',
  '.yarn',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
]);
const vendored =
  /(^|\/)(vendor|vendors|third[-_]party|external|lib\/(jquery|bootstrap|angular))(\/|$)|(^|\/)(jquery|bootstrap|angular|react|vue|lodash|moment|d3|chart)([-.][\w.]*)?\.js$/i;
const minifiedName = /[.-]min\.(c|m)?js$|\.bundle\.js$|\.chunk\.js$/i;

function kindOf(relative: string): CandidateFile['kind'] | undefined {
  const extension = path.extname(relative).toLowerCase();
  if (relative.endsWith('.d.ts') || relative.endsWith('.d.mts') || relative.endsWith('.d.cts')) return undefined;
  if (scriptExtensions.has(extension)) return 'script';
  if (extension === '.py') return 'python';
  if (isTemplatePath(relative)) return 'template';
  return undefined;
}

export interface CollectOptions {
  signal: AbortSignal;
  paths?: string[];
  maxFiles: number;
  /** Only these relative files (a diff), when set. */
  only?: ReadonlySet<string>;
}

export async function collectFiles(
  root: string,
  options: CollectOptions,
): Promise<{ files: CandidateFile[]; skipped: SkippedFile[]; skippedCount: number }> {
  const skipped: SkippedFile[] = [];
  let skippedCount = 0;
  const skip = (file: string, reason: string) => {
    skippedCount++;
    if (skipped.length < 500) skipped.push({ path: file, reason });
  };
  // Agent globs: matched without backtracking, so no pattern can stall the event loop.
  const matchers = options.paths?.length ? agentGlobs(options.paths, 'paths') : undefined;
  // Matching is bounded per file, not per directory: give the event loop a turn every 20 ms.
  let lastTurn = performance.now();
  const files: CandidateFile[] = [];
  for await (const file of walkFiles(root, {
    signal: options.signal,
    skipDirectories: neverEntered,
    onSkip: (relative, reason) => {
      if (reason.endsWith('is not analysed')) return; // dependency and build folders are expected, not worth a line each
      skip(relative, reason);
    },
  })) {
    const kind = kindOf(file.relative);
    if (!kind) continue;
    if (options.only && !options.only.has(file.relative)) continue;
    if (matchers) {
      if (performance.now() - lastTurn > 20) {
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
      }
      if (!matchers.some((match) => match(file.relative))) continue;
    }
    if (kind !== 'template' && (minifiedName.test(file.relative) || vendored.test(file.relative))) {
      skip(file.relative, 'vendored or minified library code');
      continue;
    }
    if (files.length >= options.maxFiles) {
      skip(file.relative, `file limit of ${options.maxFiles} reached (narrow the analysis with paths)`);
      continue;
    }
    files.push({ ...file, kind });
  }
  return { files, skipped, skippedCount };
}

export type ReadResult = { ok: true; text: string } | { ok: false; reason: string };

/** Reads a candidate, refusing what should not be parsed. */
export async function readCandidate(file: CandidateFile): Promise<ReadResult> {
  try {
    // The size comes from fstat on the opened descriptor, before any byte is read: a sparse 500 MB file costs nothing.
    const buffer = await readConfined(file.absolute, file.confinement, { maxBytes: maxFileBytes });
    const probe = buffer.subarray(0, 8000);
    if (probe.includes(0)) return { ok: false, reason: 'binary content' };
    const text = buffer.toString('utf8');
    if (file.kind === 'script' && looksMinified(text)) return { ok: false, reason: 'minified (very long lines)' };
    return { ok: true, text };
  } catch (error) {
    const { reason, message } = error as { reason?: string; message: string };
    if (reason === 'too-large')
      return { ok: false, reason: `over 2 MiB (${/is ([\d.]+ MiB)/.exec(message)?.[1] ?? 'larger'})` };
    if (reason === 'link' || reason === 'outside') return { ok: false, reason: 'symbolic link, not followed' };
    if (reason === 'not-a-file') return { ok: false, reason: 'not a regular file' };
    return { ok: false, reason: `unreadable (${reason ?? (error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
}

function looksMinified(text: string): boolean {
  if (text.length < 5_000) return false;
  const sample = text.slice(0, 65_536);
  const lines = sample.split('\n');
  const long = lines.filter((line) => line.length > 1_000).length;
  return sample.length / lines.length > 300 || long > lines.length / 4;
}
