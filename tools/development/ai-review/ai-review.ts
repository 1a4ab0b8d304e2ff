// The AI review pass: the riskiest functions (see review-targets.ts) go to the pool's code tier,
// one request each, through the confidence cascade (local first; Claude last when configured). The
// answer must validate against a zod schema; findings are kept only at lines inside the function
// shown (a model that cites a line it was not given is guessing), take their evidence from the
// file itself, and are dropped when the static analysis already reports the same problem there.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { findingId, type Finding, type Severity } from '../security/finding.js';
import type { ReviewTarget } from './review-targets.js';

const reviewSchema = z.object({
  findings: z
    .array(
      z.object({
        line: z.number().int().min(1),
        severity: z.enum(['critical', 'high', 'medium', 'low']),
        category: z.enum(['security', 'bug', 'performance', 'maintainability']),
        cwe: z
          .string()
          .regex(/^CWE-\d+$/)
          .optional(),
        title: z.string().min(3).max(200),
        explanation: z.string().max(2000).default(''),
        fix: z.string().max(2000).optional(),
      }),
    )
    .max(20),
  confidence: z.number().min(0).max(1).optional(),
});

const system = [
  'You are a senior reviewer reading one function of a real codebase. Report only real defects the code shown proves:',
  'security vulnerabilities (give the CWE), bugs (wrong logic, unhandled errors or promise rejections, races, leaks), and performance problems (quadratic work, blocking I/O on hot paths, N+1 queries).',
  'No style remarks, no speculation about code you cannot see, no repeats of the static findings listed. Cite the line number shown at the left of the offending line.',
  'Answer with JSON only: {"findings":[{"line":12,"severity":"high","category":"security","cwe":"CWE-89","title":"...","explanation":"...","fix":"..."}],"confidence":0.0-1.0}. An empty findings list is a good answer when the code is sound.',
].join('\n');

export interface AiReviewResult {
  status: 'done' | 'partial' | 'skipped';
  reason: string;
  reviewed: {
    file: string;
    name: string;
    line: number;
    endLine: number;
    answeredBy?: string;
    confidence?: number;
    lowConfidence?: boolean;
    error?: string;
  }[];
  findings: Finding[];
  duplicatesOfStatic: number;
  /** Static findings the model reported too: merged into them (by id), not added twice. */
  confirmed: { id: string; model: string; confidence: number }[];
  /** Answers or findings that were not accepted, with the reason: never dropped silently. */
  rejected: { file: string; line: number; reason: string }[];
}

const unavailable = new Set(['NO_HEALTHY_HOST', 'MODEL_NOT_FOUND', 'HOST_UNREACHABLE']);

export async function runAiReview(
  context: ToolContext,
  targets: readonly ReviewTarget[],
  readText: (file: string) => Promise<string | undefined>,
  staticFindings: readonly Finding[],
): Promise<AiReviewResult> {
  const status = context.pool.status();
  if (status.mode === 'none')
    return {
      status: 'skipped',
      reason:
        'no LLM backend: no Ollama host is configured or healthy and no Claude key is set; the static report is complete',
      reviewed: [],
      findings: [],
      duplicatesOfStatic: 0,
      confirmed: [],
      rejected: [],
    };
  if (targets.length === 0)
    return {
      status: 'done',
      reason:
        'nothing to review: the analysed files have no request handler, no function that passes non-constant input to a shell, eval, the file system or SQL, and no other function of 3 lines or more',
      reviewed: [],
      findings: [],
      duplicatesOfStatic: 0,
      confirmed: [],
      rejected: [],
    };
  const reviewed: AiReviewResult['reviewed'] = [];
  const findings: Finding[] = [];
  let duplicates = 0;
  const confirmed: AiReviewResult['confirmed'] = [];
  const rejected: AiReviewResult['rejected'] = [];
  let failures = 0;
  let lastError = '';
  // The code tier may run on another model than it wants (no coder model installed); say so once.
  const substitutes = new Set<string>();
  for (const [index, target] of targets.entries()) {
    context.signal.throwIfAborted();
    context.progress(index, targets.length, `AI review ${index + 1}/${targets.length}: ${target.file} ${target.name}`);
    const text = await readText(target.file);
    if (text === undefined) continue;
    const lines = text.split('\n');
    const end = Math.min(target.endLine, target.line + 159);
    const numbered = lines
      .slice(target.line - 1, end)
      .map((line, i) => `${String(target.line + i).padStart(5)}  ${line}`)
      .join('\n');
    const known = staticFindings.filter((f) => f.file === target.file && f.line >= target.line && f.line <= end);
    const prompt = `File: ${target.file}\nFunction: ${target.name} (lines ${target.line}-${end})\nWhy it was picked: ${target.reasons.join(', ') || 'complexity'}\n${known.length ? `Static analysis already reports:\n${known.map((f) => `- line ${f.line}: ${f.rule} ${f.cwe ?? ''} ${f.message}`).join('\n')}\n` : ''}\n${numbered}`;
    try {
      const result = await context.pool.complete({
        system,
        prompt,
        schema: reviewSchema,
        tier: 'code',
        maxTokens: 1500,
        signal: context.signal,
      });
      for (const step of result.steps)
        if (step.substitution)
          substitutes.add(
            `${step.model} answered in place of ${step.substitution.wanted} (${step.substitution.reason})`,
          );
      const entry = {
        file: target.file,
        name: target.name,
        line: target.line,
        endLine: end,
        answeredBy: result.answeredBy.model,
        confidence: result.confidence,
        ...(result.lowConfidence ? { lowConfidence: true } : {}),
      };
      if (!result.value) {
        // The step's own reason: the first schema issue, a cut answer, a refusal, a timeout.
        const why =
          result.call.reason ??
          result.steps.find((s) => s.reason)?.reason ??
          'the answer did not match the review schema';
        lastError = why.slice(0, 200);
        reviewed.push({ ...entry, error: lastError });
        rejected.push({
          file: target.file,
          line: target.line,
          reason: `the review of ${target.name} was rejected: ${lastError}`,
        });
        failures++;
        continue;
      }
      reviewed.push(entry);
      for (const item of result.value.findings) {
        if (item.line < target.line || item.line > end) {
          rejected.push({
            file: target.file,
            line: item.line,
            reason: `"${item.title.slice(0, 80)}" cites line ${item.line}, outside the code shown (${target.name}, lines ${target.line}-${end})`,
          });
          continue;
        }
        const duplicate = staticFindings.find(
          (f) =>
            f.file === target.file &&
            Math.abs(f.line - item.line) <= 2 &&
            ((item.cwe && f.cwe === item.cwe) ||
              // Without a CWE, only a security finding on the very same line is the same problem.
              (f.category === 'security' && item.category === 'security' && !item.cwe && f.line === item.line) ||
              (f.category === 'complexity' && item.category === 'maintainability')),
        );
        if (duplicate) {
          duplicates++;
          if (!confirmed.some((c) => c.id === duplicate.id))
            confirmed.push({ id: duplicate.id, model: result.answeredBy.model, confidence: result.confidence });
          continue;
        }
        const evidence = (lines[item.line - 1] ?? '').trim().slice(0, 240);
        const rule = `ai-${item.category}`;
        if (findings.some((f) => f.file === target.file && f.line === item.line && f.rule === rule)) continue;
        findings.push({
          id: findingId(rule, target.file, item.line, evidence),
          file: target.file,
          line: item.line,
          endLine: item.line,
          severity: item.severity as Severity,
          category: 'ai-review',
          ...(item.cwe ? { cwe: item.cwe } : {}),
          rule,
          message: `${item.title}${item.explanation ? `: ${item.explanation}` : ''} (AI review, ${result.answeredBy.model})`,
          evidence,
          confidence: result.lowConfidence ? 'low' : result.confidence >= 0.9 ? 'high' : 'medium',
          ...(item.fix ? { fix: { description: item.fix } } : {}),
          ai: { model: result.answeredBy.model, confidence: result.confidence, role: 'found' },
        });
      }
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (context.signal.aborted) throw error;
      failures++;
      lastError = `${code} ${(error as Error).message}`.trim().slice(0, 200);
      reviewed.push({ file: target.file, name: target.name, line: target.line, endLine: end, error: lastError });
      rejected.push({
        file: target.file,
        line: target.line,
        reason: `the review of ${target.name} failed: ${lastError}`,
      });
      if (unavailable.has(code) && findings.length === 0 && failures === index + 1) {
        return {
          status: 'skipped',
          reason: `the LLM backend is unavailable (${lastError}); the static report is complete`,
          reviewed,
          findings: [],
          duplicatesOfStatic: 0,
          confirmed: [],
          rejected,
        };
      }
    }
  }
  context.progress(targets.length, targets.length, 'AI review done');
  const ok = reviewed.filter((r) => !r.error).length;
  const substituted = substitutes.size ? `; ${[...substitutes].join('; ')}` : '';
  return {
    status: failures === 0 ? 'done' : ok > 0 ? 'partial' : 'skipped',
    reason:
      failures === 0
        ? `reviewed ${ok} function(s) chosen by static risk${substituted}`
        : `${ok} of ${reviewed.length} function(s) reviewed; ${failures} failed (${lastError})${substituted}`,
    reviewed,
    findings,
    duplicatesOfStatic: duplicates,
    confirmed,
    rejected,
  };
}
