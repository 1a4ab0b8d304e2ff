// Project-structure quality: files nothing reaches from an entry point, duplicated code, and
// complexity hotspots weighted by how often git says each file changes.
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { analysedProject, projectPathField } from './project-directory.js';
import { readManifest } from './dependencies/lockfile.js';
import { isTestPath } from './analysis/file-analysis.js';
import { findClones, tokenize, type TokenStream } from './analysis/duplicates.js';
import { churn, findRepository } from './git.js';
import { InputError } from '../errors.js';
import { fileCaps, readProjectText } from '../confined-fs.js';

const configFile =
  /(^|\/)[^/]*\.config\.[cm]?[jt]s$|(^|\/)\.[\w-]+rc\.[cm]?js$|(^|\/)(gulpfile|gruntfile|webpack\.[\w.]+|rollup\.[\w.]+|vite\.[\w.]+)\.[cm]?[jt]s$/i;

export const findUnusedFiles = defineTool({
  name: 'development_find_unused_files',
  domain: 'development',
  tags: ['unused files', 'dead code', 'orphans', 'cleanup', 'entry points', 'imports'],
  requests: [
    'source files that are never imported',
    'files unreachable from the entry points',
    'orphan files to clean up',
    'files no one imports anymore',
    'dead files that can be deleted',
  ],
  title: 'Unused files',
  description:
    'Source files no entry point reaches through relative imports. Entry points: package.json main/module/bin/exports and files its scripts run, root and src index files, config files, tests, and the paths you add. Heuristic: dynamic imports with computed paths and framework conventions (pages/, routes loaded by name) are not followed, so check before deleting. Example: {"path": ".", "entryPoints": ["server.js"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    entryPoints: z.array(z.string()).default([]).describe('More entry files, relative to the project.'),
  }),
  output: z.object({
    unused: z.array(z.string()),
    entryPoints: z.array(z.string()),
    reachable: z.number().int(),
    files: z.number().int(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await analysedProject(input.path, context);
    // Python modules and templates are loaded by name, not by relative import: they are not judged.
    const known = new Set(
      analysis.files.filter((f) => f.language !== 'python' && f.language !== 'template').map((f) => f.file),
    );
    const manifest = await readManifest(analysis.root);
    const entries = new Set<string>();
    const addPath = (value: string) => {
      const normalised = path.posix.normalize(value.replace(/^\.\//, ''));
      for (const candidate of [
        normalised,
        `${normalised}.js`,
        `${normalised}.ts`,
        `${normalised}/index.js`,
        `${normalised}/index.ts`,
        normalised.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'),
        normalised.replace(/^(dist|build|lib)\//, '').replace(/\.js$/, '.ts'),
      ])
        if (known.has(candidate)) entries.add(candidate);
    };
    const walk = (value: unknown): void => {
      if (typeof value === 'string') addPath(value);
      else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
    };
    const fields = manifest as Record<string, unknown> | undefined;
    for (const key of ['main', 'module', 'browser', 'bin', 'exports', 'types']) walk(fields?.[key]);
    for (const script of Object.values(manifest?.scripts ?? {}))
      for (const word of script.split(/\s+/)) if (/\.[cm]?[jt]sx?$/.test(word)) addPath(word);
    for (const extra of input.entryPoints) addPath(extra);
    for (const file of known) {
      if (
        isTestPath(file) ||
        configFile.test(file) ||
        /^(src\/)?(index|main|server|app|cli)\.[cm]?[jt]sx?$/.test(file) ||
        /(^|\/)(bin|scripts?|bench|benchmarks?|examples?|migrations?)\//.test(file)
      )
        entries.add(file);
    }
    const reachable = new Set<string>();
    const queue = [...entries];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (reachable.has(file)) continue;
      reachable.add(file);
      for (const target of analysis.resolvedImports.get(file) ?? []) if (!reachable.has(target)) queue.push(target);
    }
    const unused = [...known].filter((file) => !reachable.has(file)).sort();
    return {
      unused,
      entryPoints: [...entries]
        .filter((e) => !isTestPath(e))
        .sort()
        .slice(0, 100),
      reachable: reachable.size,
      files: known.size,
    };
  },
  summarize: (o) =>
    `${o.unused.length} of ${o.files} file(s) unreachable from the entry points (${o.entryPoints.slice(0, 8).join(', ')}${o.entryPoints.length > 8 ? ', …' : ''})\n${o.unused
      .slice(0, 60)
      .map((f) => `  ${f}`)
      .join('\n')}`,
});

export const findDuplicateCode = defineTool({
  name: 'development_find_duplicate_code',
  domain: 'development',
  tags: ['duplicates', 'copy paste', 'clones', 'dry', 'refactoring', 'code quality'],
  requests: [
    'spot copy and paste duplication',
    'code clones with renamed variables',
    'share of duplicated lines',
    'repeated code blocks to refactor',
    'copy-pasted functions',
    'duplicate logic across files',
  ],
  title: 'Duplicate code',
  description:
    'Copy-pasted code across the project (TS/JS and Python): runs of at least minTokens tokens that repeat, also when identifiers or literals were renamed. Each clone gives both locations with line ranges, and the total share of duplicated lines. Tests are included only when asked. Example: {"path": ".", "minTokens": 60}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    minTokens: z.number().int().min(20).max(2000).default(70).describe('Shortest clone in tokens. Default 70.'),
    minLines: z.number().int().min(1).max(500).default(6).describe('Shortest clone in lines. Default 6.'),
    includeTests: z.boolean().default(false).describe('Also look in test files.'),
    limit: z.number().int().min(1).max(5000).default(100).describe('Most clones returned, longest first. Default 100.'),
  }),
  output: z.object({
    clones: z.array(
      z.object({
        tokens: z.number().int(),
        lines: z.number().int(),
        a: z.object({ file: z.string(), startLine: z.number().int(), endLine: z.number().int() }),
        b: z.object({ file: z.string(), startLine: z.number().int(), endLine: z.number().int() }),
      }),
    ),
    total: z.number().int(),
    duplicatedLines: z.number().int(),
    codeLines: z.number().int(),
    percentage: z.number(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await analysedProject(input.path, context);
    const table = new Map<string, number>();
    const streams: TokenStream[] = [];
    let codeLines = 0;
    for (const file of analysis.files) {
      if (file.language === 'template' || (!input.includeTests && isTestPath(file.file))) continue;
      context.signal.throwIfAborted();
      const text = await readProjectText(analysis.root, file.file, fileCaps.source).catch(() => '');
      streams.push(tokenize(file.file, text, file.language === 'python', table));
      codeLines += file.codeLines;
    }
    const clones = findClones(streams, input.minTokens, input.minLines)
      .map((c) => ({ ...c, lines: c.b.endLine - c.b.startLine + 1 }))
      .sort((x, y) => y.tokens - x.tokens);
    const duplicated = new Set<string>();
    for (const clone of clones)
      for (let line = clone.b.startLine; line <= clone.b.endLine; line++) duplicated.add(`${clone.b.file}:${line}`);
    return {
      clones: clones.slice(0, input.limit),
      total: clones.length,
      duplicatedLines: duplicated.size,
      codeLines,
      percentage: codeLines ? Math.round((duplicated.size / codeLines) * 1000) / 10 : 0,
    };
  },
  summarize: (o) =>
    `${o.total} clone(s), ${o.duplicatedLines} duplicated line(s) (${o.percentage}% of ${o.codeLines} code lines)\n${o.clones
      .slice(0, 30)
      .map(
        (c) =>
          `  ${c.lines} lines / ${c.tokens} tokens: ${c.a.file}:${c.a.startLine}-${c.a.endLine} = ${c.b.file}:${c.b.startLine}-${c.b.endLine}`,
      )
      .join('\n')}`,
});

export const findHotspots = defineTool({
  name: 'development_find_hotspots',
  domain: 'development',
  tags: ['hotspots', 'churn', 'complexity', 'technical debt', 'refactoring', 'git', 'risk'],
  requests: [
    'complex code that changes often',
    'refactoring priorities from git churn and complexity',
    'where bugs are most likely',
    'code that is hard and keeps changing',
    'files that are both complex and frequently changed',
    'where to refactor first',
  ],
  title: 'Churn × complexity hotspots',
  description:
    'Files and functions ranked by complexity weighted by git churn (commits touching the file in the window): code that is both hard to read and often changed is where bugs and refactoring pay most. Without git, ranks by complexity alone and says so. Example: {"path": ".", "days": 180}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    days: z.number().int().min(1).max(3650).default(365).describe('Churn window in days. Default 365.'),
    limit: z.number().int().min(1).max(1000).default(20).describe('Most files and functions returned. Default 20.'),
  }),
  output: z.object({
    gitAvailable: z.boolean(),
    files: z.array(
      z.object({
        file: z.string(),
        commits: z.number().int(),
        complexity: z.number().int(),
        maxCognitive: z.number().int(),
        codeLines: z.number().int(),
        score: z.number(),
      }),
    ),
    functions: z.array(
      z.object({
        file: z.string(),
        name: z.string(),
        line: z.number().int(),
        cyclomatic: z.number().int(),
        cognitive: z.number().int(),
        commits: z.number().int(),
        score: z.number(),
      }),
    ),
  }),
  examples: [{ path: '.', days: 90 }],
  async handler(input, context) {
    const analysis = await analysedProject(input.path, context);
    // A repository the runner refuses (it reaches outside the roots) ranks by complexity alone.
    const repo = await findRepository(analysis.root, context.environment, { signal: context.signal }).catch((error) => {
      if (error instanceof InputError) return undefined;
      throw error;
    });
    const gitAvailable = repo !== undefined;
    const counts = repo ? await churn(repo, { days: input.days, signal: context.signal }) : new Map<string, number>();
    const weight = (file: string) => (gitAvailable ? 1 + (counts.get(file) ?? 0) : 1);
    const files = analysis.files
      .filter((f) => f.functions.length > 0 && !isTestPath(f.file))
      .map((f) => {
        const complexity = f.functions.reduce((sum, fn) => sum + fn.cyclomatic - 1, 0) + 1;
        return {
          file: f.file,
          commits: counts.get(f.file) ?? 0,
          complexity,
          maxCognitive: Math.max(...f.functions.map((fn) => fn.cognitive)),
          codeLines: f.codeLines,
          score: complexity * weight(f.file),
        };
      })
      .sort((a, b) => b.score - a.score || a.file.localeCompare(b.file));
    const functions = analysis.files
      .filter((f) => !isTestPath(f.file))
      .flatMap((f) =>
        f.functions
          .filter((fn) => fn.cyclomatic > 1)
          .map((fn) => ({
            file: f.file,
            name: fn.name,
            line: fn.line,
            cyclomatic: fn.cyclomatic,
            cognitive: fn.cognitive,
            commits: counts.get(f.file) ?? 0,
            score: fn.cognitive * weight(f.file) + fn.cyclomatic,
          })),
      )
      .sort((a, b) => b.score - a.score);
    return { gitAvailable, files: files.slice(0, input.limit), functions: functions.slice(0, input.limit) };
  },
  summarize: (o) =>
    `${o.gitAvailable ? 'complexity × (1 + commits)' : 'not a git repository: ranked by complexity alone'}\nFiles:\n${o.files
      .slice(0, 15)
      .map((f) => `  ${f.file}: complexity ${f.complexity}, ${f.commits} commit(s), score ${f.score}`)
      .join('\n')}\nFunctions:\n${o.functions
      .slice(0, 15)
      .map(
        (f) =>
          `  ${f.file}:${f.line} ${f.name}: cognitive ${f.cognitive}, cyclomatic ${f.cyclomatic}, ${f.commits} commit(s)`,
      )
      .join('\n')}`,
});
