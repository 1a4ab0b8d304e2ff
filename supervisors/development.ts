// The development supervisor: analyzeAndImproveCode (the flagship) and reviewChanges. Both route
// to the static analysis tools, rank what they find, turn it into prioritised suggestions, and
// render JSON or SARIF 2.1.0.
import { z } from 'zod';
import { globListField } from '../tools/glob-budget.js';
import { analyzeCode, scanSecurity } from '../tools/development/analyze-code.js';
import { findingSchema, metricsSchema, skippedSchema } from '../tools/development/static-report.js';
import { toSarif } from '../tools/development/analysis/sarif.js';
import { sarifInformationUri, sarifToolVersion } from '../tools/development/analysis/sarif-tool.js';
import { advisoryStatusSchema } from '../tools/development/dependencies/advisory-status.js';
import type { Finding } from '../tools/development/security/finding.js';
import { defineHighLevelTool, type Supervisor } from './high-level-tool.js';

const tasks = ['analyze', 'improve', 'security_scan', 'performance', 'comprehensive'] as const;

const suggestionSchema = z.object({
  priority: z.number().int(),
  title: z.string(),
  detail: z.string(),
  findings: z.array(z.string()),
});

const reportSchema = z.object({
  project: z.string(),
  task: z.string(),
  summary: z.string(),
  findings: z.array(findingSchema),
  totalFindings: z.number().int(),
  metrics: metricsSchema,
  suggestions: z.array(suggestionSchema),
  skipped: skippedSchema,
  skippedCount: z.number().int(),
  aiReview: z.object({
    status: z.enum(['done', 'partial', 'skipped']),
    reason: z.string(),
    reviewed: z.number().int().optional(),
    models: z.array(z.string()).optional(),
    duplicatesOfStatic: z.number().int().optional(),
    rejected: z
      .array(z.object({ file: z.string(), line: z.number().int(), reason: z.string() }))
      .optional()
      .describe('AI answers or findings not accepted (schema failures, lines outside the code shown), with why'),
  }),
  changedFiles: z.array(z.string()).optional(),
  sarif: z.record(z.string(), z.unknown()).optional(),
  cache: z.object({ hits: z.number().int(), misses: z.number().int() }),
  durationMs: z.number(),
  notes: z.array(z.string()),
  dependencyAdvisories: advisoryStatusSchema.optional(),
});

type StaticOutput = z.output<typeof analyzeCode.output>;

function suggestionsFor(findings: readonly Finding[]): z.infer<typeof suggestionSchema>[] {
  const suggestions: z.infer<typeof suggestionSchema>[] = [];
  const byRule = new Map<string, Finding[]>();
  for (const finding of findings) byRule.set(finding.rule, [...(byRule.get(finding.rule) ?? []), finding]);
  const groups = [...byRule.entries()].map(([rule, list]) => ({ rule, list, worst: list[0]! }));
  const rank = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
  groups.sort((a, b) => rank[b.worst.severity] - rank[a.worst.severity] || b.list.length - a.list.length);
  for (const group of groups.slice(0, 10)) {
    const where = group.list
      .slice(0, 3)
      .map((f) => `${f.file}:${f.line}`)
      .join(', ');
    const title =
      group.worst.category === 'security'
        ? `Fix ${group.list.length} ${group.rule.replace(/-/g, ' ')} finding${group.list.length > 1 ? 's' : ''}${group.worst.cwe ? ` (${group.worst.cwe})` : ''}`
        : `Refactor ${group.list.length} function${group.list.length > 1 ? 's' : ''} flagged ${group.rule.replace(/-/g, ' ')}`;
    suggestions.push({
      priority: suggestions.length + 1,
      title,
      detail: `${group.worst.fix?.description ?? group.worst.message} First: ${where}${group.list.length > 3 ? ` and ${group.list.length - 3} more` : ''}.`,
      findings: group.list.slice(0, 20).map((f) => f.id),
    });
  }
  return suggestions;
}

function textReport(result: z.input<typeof reportSchema>): string {
  const lines = result.findings
    .slice(0, 25)
    .map(
      (f) =>
        `- [${f.severity}] ${f.cwe ? `${f.cwe} ` : ''}${f.file}:${f.line} ${f.message}${f.fix?.patch ? ' (patch available)' : ''}`,
    );
  const suggestions = result.suggestions.slice(0, 5).map((s) => `${s.priority}. ${s.title}: ${s.detail}`);
  return [
    result.summary,
    lines.length ? `Findings (top ${lines.length} of ${result.totalFindings}):\n${lines.join('\n')}` : 'No findings.',
    suggestions.length ? `Suggestions:\n${suggestions.join('\n')}` : '',
    result.skippedCount
      ? `Skipped ${result.skippedCount} file(s), e.g. ${result.skipped
          .slice(0, 3)
          .map((s) => `${s.path} (${s.reason})`)
          .join('; ')}`
      : '',
    `AI review: ${result.aiReview.status} (${result.aiReview.reason})${
      result.aiReview.rejected?.length
        ? `; ${result.aiReview.rejected.length} rejected: ${result.aiReview.rejected
            .slice(0, 3)
            .map((r) => `${r.file}:${r.line} ${r.reason}`)
            .join('; ')}`
        : ''
    }`,
    result.dependencyAdvisories && result.dependencyAdvisories.status !== 'no-manifest'
      ? `Dependency advisories: ${
          result.dependencyAdvisories.status === 'checked'
            ? `${result.dependencyAdvisories.checked} checked with ${result.dependencyAdvisories.source}, ${result.dependencyAdvisories.vulnerable} known-vulnerable`
            : `${result.dependencyAdvisories.status}: ${result.dependencyAdvisories.reason}`
        }`
      : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

const countBy = (findings: readonly Finding[], key: 'severity' | 'category') =>
  findings.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f[key]]: (acc[f[key]] ?? 0) + 1 }), {});
const severityList = (findings: readonly Finding[]) =>
  Object.entries(countBy(findings, 'severity'))
    .map(([k, v]) => `${v} ${k}`)
    .join(', ') || 'none';

/** The report both tools return, as JSON or with the SARIF log as its text. */
function renderReport(
  report: StaticOutput,
  findings: Finding[],
  options: {
    task: string;
    summary: string;
    maxFindings: number;
    format: 'json' | 'sarif';
    notes: string[];
    aiSkipReason: string;
  },
): { result: z.input<typeof reportSchema>; text: string } {
  const shown = findings.slice(0, options.maxFindings);
  const result: z.input<typeof reportSchema> = {
    project: report.root,
    task: options.task,
    summary: options.summary,
    findings: shown,
    totalFindings: findings.length,
    metrics: {
      ...report.metrics,
      findingsBySeverity: countBy(findings, 'severity'),
      findingsByCategory: countBy(findings, 'category'),
    },
    suggestions: suggestionsFor(findings),
    skipped: report.skipped,
    skippedCount: report.skippedCount,
    aiReview: report.aiReview
      ? {
          status: report.aiReview.status,
          reason: report.aiReview.reason,
          reviewed: report.aiReview.reviewed.filter((r) => !r.error).length,
          models: [...new Set(report.aiReview.reviewed.flatMap((r) => (r.answeredBy ? [r.answeredBy] : [])))],
          duplicatesOfStatic: report.aiReview.duplicatesOfStatic,
          rejected: report.aiReview.rejected,
        }
      : { status: 'skipped', reason: options.aiSkipReason },
    ...(report.changedFiles ? { changedFiles: report.changedFiles } : {}),
    cache: report.cache,
    durationMs: report.durationMs,
    notes: options.notes,
    ...(report.dependencyAdvisories ? { dependencyAdvisories: report.dependencyAdvisories } : {}),
  };
  if (options.format === 'sarif') {
    const sarif = toSarif(shown, {
      toolVersion: sarifToolVersion,
      ...(sarifInformationUri ? { informationUri: sarifInformationUri } : {}),
      root: report.root,
      category: options.task,
      omitted: findings.length - shown.length,
    });
    return { result: { ...result, sarif }, text: JSON.stringify(sarif) };
  }
  return { result, text: textReport(result) };
}

const analyzeAndImproveCode = defineHighLevelTool({
  name: 'analyzeAndImproveCode',
  owner: 'development',
  title: 'Analyze and improve code',
  description:
    'Static analysis of a repo (never runs it): cross-file taint flows with fixes, config/crypto issues, complexity hotspots by churn, LLM review of risky functions. Example: {"task":"security_scan"}',
  // openWorld: the dependency advisory check asks npm's registry or the configured OSV server.
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    project: z.string().default('.').describe('In the allowed roots.'),
    task: z.enum(tasks).default('comprehensive').describe('Focus.'),
    paths: globListField().optional().describe('Globs, e.g. src/**'),
    changedSince: z.string().min(1).max(200).optional().describe('Only lines changed since this ref.'),
    maxFindings: z.number().int().min(1).max(5000).default(100).describe('Findings cap.'),
    format: z.enum(['json', 'sarif']).default('json').describe('sarif: a SARIF 2.1.0 log.'),
    includeTests: z.boolean().default(false).describe('Also tests, fixtures, mocks.'),
    aiReview: z.number().int().min(0).max(50).default(8).describe('Riskiest functions an LLM reviews; 0: none.'),
  }),
  output: reportSchema,
  examples: [{ project: '.', task: 'security_scan', maxFindings: 20 }],
  async handler(input, call) {
    const tool = input.task === 'security_scan' ? scanSecurity : analyzeCode;
    const ai = input.task === 'performance' ? 0 : input.aiReview;
    const outcome = await call.runOrFail(tool.name, {
      path: input.project,
      ...(input.paths ? { paths: input.paths } : {}),
      ...(input.changedSince ? { changedSince: input.changedSince } : {}),
      ...(input.includeTests ? { includeTests: true } : {}),
      maxFindings: 5000,
      aiReview: ai,
    });
    const report = outcome.output as StaticOutput;
    let findings = report.findings as Finding[];
    if (input.task === 'performance')
      findings = findings.filter(
        (f) => f.category === 'performance' || f.category === 'complexity' || f.rule === 'redos',
      );
    const notes = [...report.notes];
    if (input.task === 'security_scan') {
      // AI findings the model filed as security count (business-logic flaws often have no CWE);
      // its bug and performance findings are left out, and the note says how many.
      const isSecurity = (f: Finding) =>
        f.category === 'security' || (f.category === 'ai-review' && (f.rule === 'ai-security' || f.cwe !== undefined));
      const left = findings.filter((f) => f.category === 'ai-review' && !isSecurity(f)).length;
      findings = findings.filter(isSecurity);
      if (left)
        notes.push(
          `${left} AI review finding(s) that are not security issues (bugs, performance, maintainability) are left out of security_scan; task "comprehensive" shows them`,
        );
    }
    if (input.task === 'performance')
      notes.push('performance covers complexity hotspots and ReDoS; runtime profiling is not part of static analysis');
    const summary = `${input.task} of ${report.root}: ${report.metrics.files} files, ${report.metrics.codeLines} code lines, ${report.metrics.functions} functions in ${(report.durationMs / 1000).toFixed(2)} s. ${findings.length} findings (${severityList(findings)}).`;
    return renderReport(report, findings, {
      task: input.task,
      summary,
      maxFindings: input.maxFindings,
      format: input.format,
      notes,
      aiSkipReason:
        ai === 0
          ? input.task === 'performance'
            ? 'not run for the performance task'
            : 'not requested (aiReview: 0)'
          : 'not run',
    });
  },
});

const reviewChanges = defineHighLevelTool({
  name: 'reviewChanges',
  owner: 'development',
  title: 'Review changes',
  description:
    'analyzeAndImproveCode on a git diff (untracked files too): findings on changed lines and flows through them. Example: {"against":"main"}',
  // openWorld: the dependency advisory check asks npm's registry or the configured OSV server.
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    project: z.string().default('.').describe('In the allowed roots.'),
    against: z.string().min(1).max(200).default('HEAD').describe('Git ref or `staged`; HEAD: uncommitted work.'),
    maxFindings: z.number().int().min(1).max(5000).default(100).describe('Findings cap.'),
    format: z.enum(['json', 'sarif']).default('json').describe('sarif: a SARIF 2.1.0 log.'),
    aiReview: z.number().int().min(0).max(50).default(5).describe('Changed functions an LLM reviews; 0: none.'),
  }),
  output: reportSchema,
  examples: [{ project: '.', against: 'HEAD' }],
  async handler(input, call) {
    const outcome = await call.runOrFail(analyzeCode.name, {
      path: input.project,
      changedSince: input.against,
      withoutGit: 'all',
      maxFindings: 5000,
      aiReview: input.aiReview,
    });
    const report = outcome.output as StaticOutput;
    const findings = report.findings as Finding[];
    const summary = `review of ${report.changedFiles?.length ?? 0} changed file(s) against ${input.against}: ${findings.length} findings on changed lines (${severityList(findings)}).`;
    return renderReport(report, findings, {
      task: 'review',
      summary,
      maxFindings: input.maxFindings,
      format: input.format,
      notes: report.notes,
      aiSkipReason: 'not requested (aiReview: 0)',
    });
  },
});

export const developmentSupervisor: Supervisor = {
  name: 'development',
  description:
    'Code analysis and improvement: analyzeAndImproveCode and reviewChanges over static analysis (taint tracking, config and crypto checks, complexity with churn).',
  tools: [analyzeAndImproveCode, reviewChanges],
};
