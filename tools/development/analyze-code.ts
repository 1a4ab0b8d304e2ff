// development_analyze_code and development_scan_security: the static report as internal tools.
// Both read the same cached per-file analyses; the scan keeps security findings only.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { globListField } from '../glob-budget.js';
import type { ToolContext } from '../context.js';
import { buildStaticReport, findingSchema, metricsSchema, skippedSchema } from './static-report.js';
import { aiReviewSchema, reviewReport } from './ai-review/review-report.js';
import { advisoryNote, advisoryStatus, advisoryStatusSchema } from './dependencies/advisory-status.js';

const input = z.object({
  path: z.string().default('.').describe('Project directory inside the allowed roots. Default ".".'),
  paths: globListField().optional().describe('Glob filters relative to the project, e.g. ["src/**/*.ts"].'),
  changedSince: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Only findings on lines changed since this git ref ("staged" for the index), e.g. "main".'),
  maxFindings: z
    .number()
    .int()
    .min(1)
    .max(5000)
    .default(200)
    .describe('Most findings to return, highest ranked first. Default 200.'),
  withoutGit: z
    .enum(['error', 'all'])
    .default('error')
    .describe('With changedSince outside a git repository: "error", or "all" to review every file as new.'),
  includeTests: z
    .boolean()
    .default(false)
    .describe(
      'Also analyse test files (test/tests/__tests__/spec dirs, fixtures, mocks, *.test.*, *.spec.*). Default false: tests are left out, since their deliberate fakes (self-signed TLS, hard-coded tokens, bad regexes) are not shipped code; the notes say how many were skipped.',
    ),
  aiReview: z
    .number()
    .int()
    .min(0)
    .max(50)
    .default(0)
    .describe(
      'Also review this many of the riskiest functions with an LLM through the pool (code tier, confidence cascade). 0 (default): static only.',
    ),
});

const output = z.object({
  root: z.string(),
  findings: z.array(findingSchema),
  totalFindings: z.number().int(),
  metrics: metricsSchema,
  skipped: skippedSchema.describe('files left out, with the reason (at most 500 listed)'),
  skippedCount: z.number().int(),
  cache: z.object({ hits: z.number().int(), misses: z.number().int() }),
  changedFiles: z.array(z.string()).optional(),
  durationMs: z.number(),
  notes: z.array(z.string()),
  dependencyAdvisories: advisoryStatusSchema.optional(),
  aiReview: aiReviewSchema.optional(),
});

type Output = z.input<typeof output>;

/** Both tools: the same cached analysis, with or without the quality findings. */
async function staticReport(args: z.output<typeof input>, context: ToolContext, quality: boolean): Promise<Output> {
  const report = await buildStaticReport(context, {
    path: args.path,
    paths: args.paths,
    changedSince: args.changedSince,
    withoutGit: args.withoutGit,
    includeTests: args.includeTests,
    security: true,
    quality,
  });
  const reviewed = args.aiReview > 0 ? await reviewReport(context, report, args.aiReview) : undefined;
  const findings = reviewed?.findings ?? report.findings;
  return {
    root: report.root,
    findings: findings.slice(0, args.maxFindings),
    totalFindings: findings.length,
    metrics: report.metrics,
    skipped: report.skipped,
    skippedCount: report.skippedCount,
    cache: report.cache,
    ...(report.changed ? { changedFiles: report.changed.map((c) => c.path) } : {}),
    durationMs: Number(report.durationMs.toFixed(1)),
    notes: [
      ...(report.gitNote ? [report.gitNote] : []),
      ...(report.testFilesExcluded > 0
        ? [
            `${report.testFilesExcluded} test file${report.testFilesExcluded === 1 ? ' was' : 's were'} left out (pass includeTests: true to analyse them)`,
          ]
        : []),
      ...(report.advisories && report.advisories.status !== 'no-manifest' ? [advisoryNote(report.advisories)] : []),
    ],
    ...(report.advisories ? { dependencyAdvisories: advisoryStatus(report.advisories) } : {}),
    ...(reviewed ? { aiReview: reviewed.review } : {}),
  };
}

function summarize(o: z.output<typeof output>): string {
  const lines = o.findings
    .slice(0, 15)
    .map((f) => `  [${f.severity}] ${f.cwe ? `${f.cwe} ` : ''}${f.file}:${f.line} ${f.message}`);
  return `${o.metrics.files} files, ${o.metrics.codeLines} code lines in ${(o.durationMs / 1000).toFixed(2)} s (cache ${o.cache.hits} hits, ${o.cache.misses} misses); ${o.totalFindings} findings${o.skippedCount ? `; ${o.skippedCount} files skipped` : ''}.${o.aiReview ? `\nAI review: ${o.aiReview.status} (${o.aiReview.reason})` : ''}\n${lines.join('\n') || '  no findings'}`;
}

export const analyzeCode = defineTool({
  name: 'development_analyze_code',
  domain: 'development',
  tags: ['analysis', 'static', 'security', 'complexity', 'quality', 'taint', 'cwe', 'review', 'metrics'],
  requests: [
    'static analysis report for the whole project',
    'check code quality and security issues in one pass',
    'taint analysis from request input to dangerous sinks',
    'scan for code smells, risky patterns and complexity together',
    'full code review without an LLM',
    'data flow from user input to risky calls',
    'quality metrics weighted by git churn',
    'full audit of an app before a release',
  ],
  title: 'Static analysis (security and quality)',
  description:
    'Analyses a TS/JS project without running it: taint tracking from request input to dangerous sinks (SQL/NoSQL, shell, eval, paths, redirects, SSRF, XSS, deserialization, ReDoS, XXE, mass assignment, IDOR), config and crypto checks, template escaping, and per-function complexity weighted by git churn. Results are ranked and cached by content hash. Example: {"path": ".", "maxFindings": 50}',
  // openWorld: the dependency advisory check asks npm's registry or the configured OSV server.
  kind: { effect: 'readOnly', openWorld: true },
  input,
  output,
  examples: [{ path: '.', maxFindings: 20 }],
  handler: (args, context) => staticReport(args, context, true),
  summarize,
});

export const scanSecurity = defineTool({
  name: 'development_scan_security',
  domain: 'development',
  tags: ['security', 'vulnerabilities', 'taint', 'injection', 'xss', 'ssrf', 'secrets', 'cwe', 'owasp', 'sast'],
  requests: [
    'find security vulnerabilities in my web app',
    'SAST scan for injection, XSS and SSRF',
    'is my Node server exploitable',
    'security review of a REST service for injection and auth flaws',
    'OWASP top ten check of the web app',
    'can an attacker inject commands through a request',
    'weak password hashing or insecure cookies',
  ],
  title: 'Security scan (SAST)',
  description:
    'Finds vulnerabilities in a TS/JS web project statically: source-to-sink taint flows within and across functions and files (Express, Koa, Fastify, Next.js inputs), hard-coded secrets, weak password hashing, insecure randomness, JWT "none", disabled TLS checks, cookie flags, permissive CORS, missing helmet/CSRF, stack traces in responses, unescaped templates. Each finding has a CWE, the evidence and a fix. Example: {"path": "."}',
  // openWorld: the dependency advisory check asks npm's registry or the configured OSV server.
  kind: { effect: 'readOnly', openWorld: true },
  input,
  output,
  examples: [{ path: '.', maxFindings: 50 }],
  handler: (args, context) => staticReport(args, context, false),
  summarize,
});
