// development_review_with_ai: the AI review pass on its own, for an agent that wants a second
// opinion on the riskiest code without the whole static report.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { globListField } from '../glob-budget.js';
import { buildStaticReport, findingSchema } from './static-report.js';
import { aiReviewSchema, reviewReport } from './ai-review/review-report.js';

export const reviewWithAi = defineTool({
  name: 'development_review_with_ai',
  domain: 'development',
  tags: ['ai review', 'llm', 'code review', 'bugs', 'security', 'second opinion'],
  requests: [
    'AI code review with an LLM',
    'ask a model to find bugs in risky functions',
    'second opinion on code from a local model',
    'review code with a language model',
    'let an LLM look for bugs static analysis misses',
    'AI review of request handlers',
  ],
  title: 'AI code review',
  description:
    'Sends the riskiest functions (ranked by static findings, request handling, complexity and churn) to an LLM through the GPU pool (code tier, local first, Claude last when configured) and returns its schema-validated findings that static analysis did not already report, each at a line inside the code it was shown. Without an LLM backend it says it skipped. Example: {"path": ".", "maxFunctions": 5}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z.string().default('.').describe('Project directory inside the allowed roots. Default ".".'),
    paths: globListField().optional().describe('Glob filters, e.g. ["src/**"].'),
    changedSince: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only review functions in files changed since this git ref.'),
    maxFunctions: z.number().int().min(1).max(50).default(8).describe('Most functions sent to the model. Default 8.'),
  }),
  output: aiReviewSchema.extend({ findings: z.array(findingSchema) }),
  examples: [{ path: '.', maxFunctions: 3 }],
  async handler(input, context) {
    const report = await buildStaticReport(context, {
      path: input.path,
      paths: input.paths,
      changedSince: input.changedSince,
      security: true,
      quality: true,
    });
    const { review, aiFindings } = await reviewReport(context, report, input.maxFunctions);
    return { ...review, findings: aiFindings };
  },
  summarize: (o) =>
    `AI review ${o.status}: ${o.reason}\n${o.reviewed.map((r) => `  ${r.file}:${r.line} ${r.name}${r.answeredBy ? ` — ${r.answeredBy}, confidence ${r.confidence}${r.lowConfidence ? ' (low)' : ''}` : ''}${r.error ? ` — ${r.error}` : ''}`).join('\n')}\n${o.findings.map((f) => `  [${f.severity}] ${f.cwe ? `${f.cwe} ` : ''}${f.file}:${f.line} ${f.message}`).join('\n') || '  no new findings'}${o.duplicatesOfStatic ? `\n${o.duplicatesOfStatic} finding(s) matched static ones and were merged into them` : ''}${o.rejected.length ? `\nrejected: ${o.rejected.map((r) => `${r.file}:${r.line} ${r.reason}`).join('; ')}` : ''}`,
});
