// development_count_lines: code, comment and blank lines per language over a project, like cloc,
// within the roots, the glob budget, a file limit and a per-file size limit.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { agentGlobs, globListField } from '../glob-budget.js';
import { resolveInsideRoots } from '../roots.js';
import { readConfinedHead } from '../confined-fs.js';
import { neverEntered } from './analysis/project-files.js';
import { languageOf } from './languages.js';
import { countLines, countsLanguage, type LineCounts } from './line-counter.js';
import { walkFiles } from './walk-files.js';

const maxFileBytes = 4 * 1024 * 1024;

const languageRow = z.object({
  language: z.string(),
  files: z.number().int(),
  code: z.number().int(),
  comment: z.number().int(),
  blank: z.number().int(),
  commentShare: z.number().describe('comment lines / (code + comment lines), 0..1'),
});

export const countLinesTool = defineTool({
  name: 'development_count_lines',
  domain: 'development',
  tags: ['cloc', 'sloc', 'lines', 'code', 'comments', 'blank', 'languages', 'size', 'documentation'],
  requests: [
    'cloc for this project',
    'how many source lines of code without comments and blanks',
    'comment density per language',
    'count code lines in the src folder',
    'how well commented is the code',
    'sloc per language for the tests folder',
  ],
  title: 'Count lines of code',
  description:
    'Counts code, comment and blank lines per language over a project, like cloc: a line with any code is code, a line of nothing but a comment is a comment (strings are followed, Python docstrings are comments). Honours .gitignore, skips dependency and build folders; files of languages with a known comment syntax are counted, the rest are listed as skipped. Filter with globs; set byFile for the files with the most code. Use it to size a codebase or measure comment density. Example: {"path": ".", "paths": ["src/**"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z
      .string()
      .default('.')
      .describe('Directory to count, absolute or relative to the first allowed root. Default ".".'),
    paths: globListField()
      .optional()
      .describe('Only files matching these globs, relative to path, e.g. ["src/**/*.ts"].'),
    exclude: globListField().optional().describe('Leave out files matching these globs, e.g. ["**/*.test.ts"].'),
    byFile: z
      .number()
      .int()
      .min(0)
      .max(200)
      .default(0)
      .describe('Also list this many files with the most code lines. Default 0.'),
    maxFiles: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(20_000)
      .describe('Most files counted; the rest are reported as skipped. Default 20000.'),
  }),
  output: z.object({
    root: z.string(),
    languages: z.array(languageRow),
    total: z.object({
      files: z.number().int(),
      code: z.number().int(),
      comment: z.number().int(),
      blank: z.number().int(),
    }),
    files: z
      .array(
        z.object({
          path: z.string(),
          language: z.string(),
          code: z.number().int(),
          comment: z.number().int(),
          blank: z.number().int(),
        }),
      )
      .describe('the files with the most code, when byFile > 0'),
    skipped: z.object({
      unknownLanguage: z.number().int().describe('files of no known comment syntax (images, data, lockfiles...)'),
      binary: z.number().int(),
      tooLarge: z
        .number()
        .int()
        .describe(`files over ${maxFileBytes / 1024 ** 2} MiB`),
      overLimit: z.number().int().describe('files past maxFiles (the walk stops after 10,000 of them)'),
    }),
  }),
  examples: [{ path: '.' }, { path: '.', paths: ['src/**'], byFile: 5 }],
  async handler(input, context) {
    const target = await resolveInsideRoots(input.path, context.environment.allowedRoots, 'path');
    if (!target.isDirectory) throw new InputError('path', `${input.path} is a file; pass a directory`);
    const include = input.paths?.length ? agentGlobs(input.paths, 'paths') : undefined;
    const exclude = input.exclude?.length ? agentGlobs(input.exclude, 'exclude') : undefined;
    const skipped = { unknownLanguage: 0, binary: 0, tooLarge: 0, overLimit: 0 };
    const languages = new Map<string, LineCounts & { files: number }>();
    const perFile: { path: string; language: string; code: number; comment: number; blank: number }[] = [];
    let counted = 0;
    let lastTurn = performance.now();
    for await (const file of walkFiles(target.absolute, { signal: context.signal, skipDirectories: neverEntered })) {
      // Glob matching is bounded per file, not per directory: give the event loop a turn every 20 ms.
      if (performance.now() - lastTurn > 20) {
        await new Promise((resolve) => setImmediate(resolve));
        lastTurn = performance.now();
      }
      if (include && !include.some((match) => match(file.relative))) continue;
      if (exclude?.some((match) => match(file.relative))) continue;
      const language = languageOf(file.relative);
      if (!countsLanguage(language)) {
        skipped.unknownLanguage++;
        continue;
      }
      if (counted >= input.maxFiles) {
        skipped.overLimit++;
        // Past the limit the walk only counts what it skips, and not for ever on a huge root.
        if (skipped.overLimit >= 10_000) break;
        continue;
      }
      const { head, size } = await readConfinedHead(file.absolute, file.confinement, maxFileBytes + 1).catch(() => ({
        head: Buffer.alloc(0),
        size: -1,
      }));
      if (size < 0) continue; // vanished or unreadable since it was listed
      if (size > maxFileBytes) {
        skipped.tooLarge++;
        continue;
      }
      if (head.subarray(0, 8000).includes(0)) {
        skipped.binary++;
        continue;
      }
      counted++;
      if (counted % 500 === 0) context.progress(counted, undefined, `${counted} files counted`);
      const counts = countLines(head.toString('utf8'), language);
      const row = languages.get(language) ?? { files: 0, code: 0, comment: 0, blank: 0 };
      row.files++;
      row.code += counts.code;
      row.comment += counts.comment;
      row.blank += counts.blank;
      languages.set(language, row);
      if (input.byFile > 0) perFile.push({ path: file.relative, language, ...counts });
    }
    const rows = [...languages.entries()]
      .map(([language, row]) => ({
        language,
        ...row,
        commentShare: row.code + row.comment ? Number((row.comment / (row.code + row.comment)).toFixed(4)) : 0,
      }))
      .sort((a, b) => b.code - a.code || a.language.localeCompare(b.language));
    return {
      root: target.absolute,
      languages: rows,
      total: {
        files: counted,
        code: rows.reduce((sum, r) => sum + r.code, 0),
        comment: rows.reduce((sum, r) => sum + r.comment, 0),
        blank: rows.reduce((sum, r) => sum + r.blank, 0),
      },
      files: perFile.sort((a, b) => b.code - a.code || a.path.localeCompare(b.path)).slice(0, input.byFile),
      skipped,
    };
  },
  summarize: (o) =>
    [
      `${o.root}: ${o.total.files} files, ${o.total.code} code, ${o.total.comment} comment, ${o.total.blank} blank lines`,
      ...o.languages.map(
        (l) =>
          `  ${l.language}: ${l.files} files, ${l.code} code, ${l.comment} comment (${Math.round(l.commentShare * 100)}%), ${l.blank} blank`,
      ),
      ...o.files.map((f) => `  ${f.path}: ${f.code} code, ${f.comment} comment`),
      `skipped: ${o.skipped.unknownLanguage} of no known language, ${o.skipped.binary} binary, ${o.skipped.tooLarge} too large, ${o.skipped.overLimit} past maxFiles`,
    ].join('\n'),
});
