// Runs the AI review on top of a static report: picks targets (only changed files in a diff
// review), reads their text, and merges the accepted AI findings into the ranked list.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import type { StaticReport } from '../static-report.js';
import { rankFindings } from '../analysis/findings.js';
import type { Finding } from '../security/finding.js';
import { selectReviewTargets } from './review-targets.js';
import { runAiReview, type AiReviewResult } from './ai-review.js';
import { fileCaps, readProjectText } from '../../confined-fs.js';

export const aiReviewSchema = z.object({
  status: z.enum(['done', 'partial', 'skipped']),
  reason: z.string(),
  reviewed: z.array(
    z.object({
      file: z.string(),
      name: z.string(),
      line: z.number().int(),
      endLine: z.number().int(),
      answeredBy: z.string().optional(),
      confidence: z.number().optional(),
      lowConfidence: z.boolean().optional(),
      error: z.string().optional(),
    }),
  ),
  duplicatesOfStatic: z
    .number()
    .int()
    .describe('AI findings that repeat a static finding: merged into it (its `ai` field says confirmed), not added'),
  confirmed: z
    .array(z.object({ id: z.string(), model: z.string(), confidence: z.number() }))
    .describe('Static findings the model confirmed'),
  rejected: z
    .array(z.object({ file: z.string(), line: z.number().int(), reason: z.string() }))
    .describe('Answers that failed the review schema and findings at lines outside the code shown'),
});

export async function reviewReport(
  context: ToolContext,
  report: StaticReport,
  maxFunctions: number,
): Promise<{ findings: Finding[]; review: Omit<AiReviewResult, 'findings'>; aiFindings: Finding[] }> {
  const changed = report.changed ? new Set(report.changed.map((c) => c.path)) : undefined;
  const analysis = changed
    ? { ...report.project, files: report.project.files.filter((f) => changed.has(f.file)) }
    : report.project;
  const targets = selectReviewTargets(analysis, report.findings, report.churn ?? new Map(), maxFunctions);
  const result = await runAiReview(
    context,
    targets,
    (file) => readProjectText(report.root, file, fileCaps.source).catch(() => undefined),
    report.findings,
  );
  const { findings: aiFindings, ...review } = result;
  const confirmations = new Map(result.confirmed.map((c) => [c.id, c]));
  const merged = report.findings.map((f) => {
    const by = confirmations.get(f.id);
    return by ? { ...f, ai: { model: by.model, confidence: by.confidence, role: 'confirmed' as const } } : f;
  });
  return {
    findings: aiFindings.length ? rankFindings([...merged, ...aiFindings], report.churn) : merged,
    review,
    aiFindings,
  };
}
