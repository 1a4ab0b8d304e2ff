// The static report behind analyzeAndImproveCode and its internal tools: analyse the project
// (cached by content hash), link taint across files, add complexity findings weighted by git churn,
// narrow to a diff when asked, rank, and summarise the metrics.
import { typescript } from './typescript-module.js';
import { z } from 'zod';
import type { ToolContext } from '../context.js';
import { resolveInsideRoots } from '../roots.js';
import { fileCaps, readProjectJson, readProjectTextSync } from '../confined-fs.js';
import { InputError } from '../errors.js';
import { analyzeProject, type ProjectAnalysis } from './analysis/project-analysis.js';
import { complexityFindings, rankFindings, securityFindings } from './analysis/findings.js';
import type { Finding } from './security/finding.js';
import { checkAdvisories, defaultAdvisorySettings, type AdvisoryCheck } from './dependencies/advisories.js';
import { advisoryFindings } from './dependencies/advisory-findings.js';
import { changedFiles, checkRef, churn, findRepository, type ChangedFile, type GitRepository } from './git.js';

export const findingSchema = z.object({
  id: z.string(),
  file: z.string(),
  line: z.number().int(),
  endLine: z.number().int(),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  category: z.enum(['security', 'complexity', 'maintainability', 'dependencies', 'tests', 'performance', 'ai-review']),
  cwe: z.string().optional(),
  rule: z.string(),
  message: z.string(),
  evidence: z.string(),
  confidence: z.enum(['high', 'medium', 'low']),
  fix: z.object({ description: z.string(), patch: z.string().optional() }).optional(),
  trace: z.array(z.object({ file: z.string(), line: z.number().int(), note: z.string() })).optional(),
  ai: z
    .object({ model: z.string(), confidence: z.number(), role: z.enum(['found', 'confirmed']) })
    .optional()
    .describe('AI review: the model that found this finding, or that confirmed a static one'),
});

export const metricsSchema = z.object({
  files: z.number().int(),
  lines: z.number().int(),
  codeLines: z.number().int(),
  functions: z.number().int(),
  averageCyclomatic: z.number(),
  maxCyclomatic: z.number().int(),
  averageCognitive: z.number(),
  maxCognitive: z.number().int(),
  functionsOverLimits: z.number().int(),
  todos: z.number().int(),
  filesWithSyntaxErrors: z.number().int(),
  byLanguage: z.record(z.string(), z.number().int()),
  findingsBySeverity: z.record(z.string(), z.number().int()),
  findingsByCategory: z.record(z.string(), z.number().int()),
});

export const skippedSchema = z.array(z.object({ path: z.string(), reason: z.string() }));

export type Metrics = z.infer<typeof metricsSchema>;

export interface StaticReportInput {
  path: string;
  paths?: string[] | undefined;
  changedSince?: string | undefined;
  security: boolean;
  quality: boolean;
  /** Without git, a diff review either fails (the caller asked for a diff) or covers every file. */
  withoutGit?: 'error' | 'all';
  /** false: leave test files out (and count them), as analyzeAndImproveCode does by default. Unset:
   * keep them, for tools that name one file. */
  includeTests?: boolean | undefined;
}

export interface StaticReport {
  root: string;
  /** The per-file analyses the report was built from (for passes that build on it, like the AI review). */
  project: ProjectAnalysis;
  findings: Finding[];
  metrics: Metrics;
  skipped: { path: string; reason: string }[];
  skippedCount: number;
  cache: { hits: number; misses: number };
  changed?: ChangedFile[];
  churn?: Map<string, number>;
  durationMs: number;
  gitNote?: string;
  /** Test files left out of the analysis (0 when includeTests was set). */
  testFilesExcluded: number;
  /** The dependency advisory check; absent when the review is narrowed to paths. */
  advisories?: AdvisoryCheck;
}

async function dependencyMajors(root: string): Promise<Map<string, number>> {
  const majors = new Map<string, number>();
  try {
    const manifest = await readProjectJson<Record<string, Record<string, string> | undefined>>(root, 'package.json');
    for (const group of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(manifest[group] ?? {})) {
        const match = /(\d+)/.exec(String(range));
        if (match) majors.set(name, Number(match[1]));
      }
    }
  } catch {
    // No manifest: version-dependent rules fall back to reporting.
  }
  return majors;
}

export async function buildStaticReport(context: ToolContext, input: StaticReportInput): Promise<StaticReport> {
  const started = performance.now();
  const target = await resolveInsideRoots(input.path, context.environment.allowedRoots, 'project');
  if (!target.isDirectory)
    throw new InputError('project', `${input.path} is a file; pass the project directory (narrow with paths)`);
  // The advisory check (a registry or OSV round trip) runs while the files are analysed.
  // A failure of the check itself is a status, never a failed report (nor an unhandled rejection).
  const advisoryCheck =
    input.security && !input.paths?.length
      ? checkAdvisories(target.absolute, context.environment.advisories ?? defaultAdvisorySettings, context).catch(
          (error: unknown): AdvisoryCheck => ({
            status: 'unavailable',
            reason: `dependencies were NOT checked for known vulnerabilities: the check failed (${(error as Error).message.slice(0, 200)})`,
            checked: 0,
            vulnerable: [],
          }),
        )
      : undefined;
  const ts = typescript();
  const project = await analyzeProject(ts, {
    root: target.absolute,
    dataDir: context.environment.dataDir,
    signal: context.signal,
    progress: (done, total, message) => context.progress(done, total, message),
    ...(input.paths?.length ? { paths: input.paths } : {}),
    excludeTests: input.includeTests === false,
  });
  let changed: ChangedFile[] | undefined;
  let churnCounts: Map<string, number> | undefined;
  let gitNote: string | undefined;
  // changedSince needs the repository, so a refused one (reaching outside the roots) is an error
  // there; otherwise git only weighs hotspots, and a refused repository becomes a note.
  let repo: GitRepository | undefined;
  try {
    repo = await findRepository(target.absolute, context.environment, {
      field: input.changedSince ? 'changedSince' : 'project',
      signal: context.signal,
    });
  } catch (error) {
    if (!(error instanceof InputError) || input.changedSince) throw error;
    gitNote = `git not used: ${error.message.replace(/^project: /, '')}`;
  }
  if (input.changedSince && !repo && input.withoutGit === 'all') {
    gitNote = `${target.absolute} is not a git repository: every file was reviewed as new`;
  } else if (input.changedSince) {
    if (!repo)
      throw new InputError(
        'changedSince',
        `${target.absolute} is not a git repository, so there is no diff to review; drop changedSince`,
      );
    if (input.changedSince !== 'staged') await checkRef(input.changedSince, repo, 'changedSince');
    changed = await changedFiles(repo, input.changedSince, context.signal);
  }
  if (repo) {
    try {
      churnCounts = await churn(repo, { days: 365, signal: context.signal });
    } catch (error) {
      gitNote = `git history unavailable: ${(error as Error).message.slice(0, 120)}`;
    }
  } else {
    gitNote ??= 'not a git repository: hotspots are not weighted by churn';
  }
  const majors = await dependencyMajors(target.absolute);
  const findings: Finding[] = [];
  if (input.security) {
    findings.push(
      ...securityFindings(project, {
        dependencyMajors: majors,
        readText: (file) => {
          try {
            return readProjectTextSync(target.absolute, file, fileCaps.source);
          } catch {
            return undefined;
          }
        },
      }),
    );
  }
  const advisories: AdvisoryCheck | undefined = await advisoryCheck;
  if (advisories) {
    if (advisories.vulnerable.length > 0) {
      let manifestText: string | undefined;
      try {
        manifestText = readProjectTextSync(target.absolute, 'package.json', fileCaps.large);
      } catch {
        manifestText = undefined;
      }
      findings.push(...advisoryFindings(advisories, manifestText));
    }
  }
  // Computed once: the metrics count them even when the report leaves quality findings out.
  const quality = complexityFindings(project.files, undefined, churnCounts);
  if (input.quality) findings.push(...quality);
  let selected = findings;
  if (changed) {
    // A diff review reports findings on changed lines (and whole new files).
    const byFile = new Map(changed.map((c) => [c.path, c]));
    selected = findings.filter((f) => {
      const change = byFile.get(f.file);
      if (!change) return false;
      return (
        change.ranges.some(([start, end]) => f.line <= end && f.endLine >= start) ||
        (f.trace?.some((step) => byFile.get(step.file)?.ranges.some(([s, e]) => step.line >= s && step.line <= e)) ??
          false)
      );
    });
  }
  const ranked = rankFindings(selected, churnCounts);
  const functions = project.files.flatMap((f) => f.functions);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const count = <K extends string>(keys: K[]) =>
    keys.reduce<Record<string, number>>((acc, key) => ({ ...acc, [key]: (acc[key] ?? 0) + 1 }), {});
  const metrics: Metrics = {
    files: project.files.length,
    lines: sum(project.files.map((f) => f.lines)),
    codeLines: sum(project.files.map((f) => f.codeLines)),
    functions: functions.length,
    averageCyclomatic: functions.length
      ? Number((sum(functions.map((f) => f.cyclomatic)) / functions.length).toFixed(2))
      : 0,
    maxCyclomatic: functions.reduce((m, f) => Math.max(m, f.cyclomatic), 0),
    averageCognitive: functions.length
      ? Number((sum(functions.map((f) => f.cognitive)) / functions.length).toFixed(2))
      : 0,
    maxCognitive: functions.reduce((m, f) => Math.max(m, f.cognitive), 0),
    functionsOverLimits: quality.length,
    todos: sum(project.files.map((f) => f.todos.length)),
    filesWithSyntaxErrors: project.files.filter((f) => f.syntaxErrors > 0).length,
    byLanguage: count(project.files.map((f) => f.language)),
    findingsBySeverity: count(ranked.map((f) => f.severity)),
    findingsByCategory: count(ranked.map((f) => f.category)),
  };
  return {
    root: target.absolute,
    project,
    findings: ranked,
    metrics,
    skipped: project.skipped,
    skippedCount: project.skippedCount,
    cache: project.cache,
    ...(changed ? { changed } : {}),
    ...(churnCounts ? { churn: churnCounts } : {}),
    durationMs: performance.now() - started,
    ...(gitNote ? { gitNote } : {}),
    testFilesExcluded: project.testFilesExcluded ?? 0,
    ...(advisories ? { advisories } : {}),
  };
}
