// development_find_large_files: the biggest files of a project by bytes on disk (binaries, data and
// build output included), with the directories that hold the most, and the files git hosting refuses.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { agentGlobs, globListField } from '../glob-budget.js';
import { resolveInsideRoots } from '../roots.js';
import { readConfinedHead } from '../confined-fs.js';
import { neverEntered } from './analysis/project-files.js';
import { walkFiles } from './walk-files.js';

const mebibyte = 1024 * 1024;
/** GitHub warns on pushing a file over 50 MiB and refuses one over 100 MiB. */
const hostingWarnBytes = 50 * mebibyte;
const hostingLimitBytes = 100 * mebibyte;

const mib = (bytes: number) => Number((bytes / mebibyte).toFixed(2));

export const findLargeFiles = defineTool({
  name: 'development_find_large_files',
  domain: 'development',
  tags: ['large', 'files', 'size', 'disk', 'bytes', 'binary', 'bloat', 'repository', 'push', 'lfs'],
  requests: [
    'biggest files in the repository',
    'why is this repo so large',
    'files too big to push to GitHub',
    'which folders take the most disk space in the project',
    'find committed binaries or datasets that bloat the repo',
  ],
  title: 'Find large files',
  description:
    'Lists the largest files of a project by size on disk (binaries and data included) above a minimum size, with the top-level directories that hold the most bytes, and flags files GitHub warns about (over 50 MiB) or refuses (over 100 MiB) unless they go through Git LFS. By default it sees the project as git does (.gitignore honoured, node_modules and build caches skipped); includeIgnored adds ignored files, marked as such, to find what fills the disk. It does not delete anything; for line counts use development_count_lines. Example: {"path": ".", "minMiB": 1}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z
      .string()
      .default('.')
      .describe('Directory to search, absolute or relative to the first allowed root. Default ".".'),
    minMiB: z
      .number()
      .min(0)
      .max(1_000_000)
      .default(1)
      .describe('Only files of at least this many MiB. Default 1; 0 lists the largest whatever their size.'),
    limit: z.number().int().min(1).max(500).default(20).describe('Most files listed, largest first. Default 20.'),
    paths: globListField().optional().describe('Only files matching these globs, e.g. ["data/**"].'),
    includeIgnored: z
      .boolean()
      .default(false)
      .describe('Also look at files .gitignore excludes (build output, caches), marked ignored. Default false.'),
    includeDependencies: z
      .boolean()
      .default(false)
      .describe('Also enter node_modules, virtualenvs and similar dependency folders. Default false.'),
    maxFiles: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(200_000)
      .describe('Most files looked at; a bigger tree is cut and says so. Default 200000.'),
  }),
  output: z.object({
    root: z.string(),
    files: z.array(
      z.object({
        path: z.string(),
        sizeMiB: z.number(),
        bytes: z.number().int(),
        ignored: z.boolean().describe('true when .gitignore excludes it'),
        warning: z.string().optional().describe('a git hosting size limit it passes'),
      }),
    ),
    directories: z
      .array(z.object({ path: z.string(), sizeMiB: z.number(), files: z.number().int() }))
      .describe('top-level directories (and "." for files at the root) by the bytes they hold, largest first'),
    matched: z.number().int().describe('files at or above minMiB'),
    scanned: z.number().int(),
    totalMiB: z.number().describe('size of every file looked at'),
    truncated: z.boolean().describe('true when maxFiles cut the search'),
  }),
  examples: [{ path: '.', minMiB: 0, limit: 5 }],
  async handler(input, context) {
    const target = await resolveInsideRoots(input.path, context.environment.allowedRoots, 'path');
    if (!target.isDirectory) throw new InputError('path', `${input.path} is a file; pass a directory`);
    const include = input.paths?.length ? agentGlobs(input.paths, 'paths') : undefined;
    const minBytes = input.minMiB * mebibyte;
    const found: { path: string; bytes: number; ignored: boolean }[] = [];
    const directories = new Map<string, { bytes: number; files: number }>();
    let scanned = 0;
    let totalBytes = 0;
    let truncated = false;
    let lastTurn = performance.now();
    for await (const file of walkFiles(target.absolute, {
      signal: context.signal,
      includeIgnored: input.includeIgnored,
      ...(input.includeDependencies ? {} : { skipDirectories: neverEntered }),
    })) {
      if (performance.now() - lastTurn > 20) {
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
      }
      if (include && !include.some((match) => match(file.relative))) continue;
      if (scanned >= input.maxFiles) {
        truncated = true;
        break;
      }
      // The size comes from fstat on the opened descriptor; no byte of content is read.
      const size = await readConfinedHead(file.absolute, file.confinement, 0)
        .then((r) => r.size)
        .catch(() => undefined);
      if (size === undefined) continue;
      scanned++;
      if (scanned % 5000 === 0) context.progress(scanned, undefined, `${scanned} files looked at`);
      totalBytes += size;
      const slash = file.relative.indexOf('/');
      const top = slash === -1 ? '.' : file.relative.slice(0, slash);
      const directory = directories.get(top) ?? { bytes: 0, files: 0 };
      directory.bytes += size;
      directory.files++;
      directories.set(top, directory);
      if (size >= minBytes) found.push({ path: file.relative, bytes: size, ignored: file.ignored === true });
    }
    found.sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
    return {
      root: target.absolute,
      files: found.slice(0, input.limit).map((f) => ({
        path: f.path,
        sizeMiB: mib(f.bytes),
        bytes: f.bytes,
        ignored: f.ignored,
        ...(!f.ignored && f.bytes > hostingLimitBytes
          ? { warning: 'over the 100 MiB GitHub refuses to push; use Git LFS or leave it out of git' }
          : !f.ignored && f.bytes > hostingWarnBytes
            ? { warning: 'over the 50 MiB GitHub warns about; consider Git LFS' }
            : {}),
      })),
      directories: [...directories.entries()]
        .map(([path, d]) => ({ path, sizeMiB: mib(d.bytes), files: d.files, bytes: d.bytes }))
        .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path))
        .slice(0, 10)
        .map(({ path, sizeMiB, files }) => ({ path, sizeMiB, files })),
      matched: found.length,
      scanned,
      totalMiB: mib(totalBytes),
      truncated,
    };
  },
  summarize: (o) =>
    [
      `${o.root}: ${o.scanned} files, ${o.totalMiB} MiB${o.truncated ? ' (search cut at maxFiles)' : ''}; ${o.matched} at or above the minimum`,
      ...o.files.map(
        (f) =>
          `  ${f.path}: ${f.sizeMiB} MiB${f.ignored ? ' (git-ignored)' : ''}${f.warning ? ` WARNING: ${f.warning}` : ''}`,
      ),
      `largest directories: ${o.directories.map((d) => `${d.path} ${d.sizeMiB} MiB`).join(', ') || 'none'}`,
    ].join('\n'),
});
