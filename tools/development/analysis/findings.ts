// Turns what the per-file passes and the linker found into ranked findings: taint flows (direct and
// through calls), pattern hits, project-level Express checks (helmet, CSRF, x-powered-by), and
// complexity findings; each with its CWE, evidence, a fix and, where the fix is mechanical, a patch.
import type { ProjectAnalysis } from './project-analysis.js';
import type { FileAnalysis } from './file-analysis.js';
import { TaintLinker } from '../security/taint-linker.js';
import { resolveSpecifier } from './project-analysis.js';
import { sinkClasses } from '../security/sink-classes.js';
import { findingId, severityRank, type Finding, type Severity } from '../security/finding.js';
import type { Origin } from '../security/taint-value.js';
import type { PatternHit } from '../security/config-rules.js';
import { replacementPatch } from './patches.js';
import { redactLine } from '../security/secret-patterns.js';
import { appFindings } from './app-findings.js';
import { nameTemplateEngine } from '../security/template-rules.js';
import { linkPython } from '../python/python-linker.js';
import { authProjectHits } from '../security/auth-project.js';
import { accessReview, serverSetFields } from '../security/access-rules.js';

export interface ProjectContext {
  /** Major versions of dependencies declared in package.json, for version-dependent rules. */
  dependencyMajors: Map<string, number>;
  /** File text by path, for patches (only files with patchable findings are read). */
  readText?: (file: string) => string | undefined;
}

/** The source as written: `req.query.id` for `const { id } = req.query`, but `req.get('Referrer')` as is. */
export function sourceText(origin: Origin): string {
  const { key, text } = origin;
  // Only a plain property path lacks the key; a call or an index (req.get('x'), req.headers['x']) names it.
  if (!key || !/^[\w$]+(\.[\w$]+)*$/.test(text) || text.endsWith(`.${key}`)) return text;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${text}.${key}` : `${text}[${JSON.stringify(key)}]`;
}

function taintFinding(
  file: string,
  hit: {
    cls: keyof typeof sinkClasses;
    line: number;
    endLine: number;
    evidence: string;
    what: string;
    origin: Origin;
    variant?: string;
  },
  trace: Finding['trace'],
): Finding {
  const cls = sinkClasses[hit.cls];
  const source = sourceText(hit.origin);
  const kind = hit.origin.part === 'archive' ? 'an archive entry, named by whoever made the archive' : 'user input';
  let message =
    hit.origin.part === 'database'
      ? `${cls.title}, second-order: a value read from the database (${source}) reaches a sink: ${hit.what}`
      : `${cls.title}: ${source} (${kind}) reaches a sink: ${hit.what}`;
  let severity: Severity = cls.severity;
  let confidence: Finding['confidence'] = 'high';
  if (hit.variant === 'operator') {
    message = `NoSQL operator injection: ${hit.what} (${source})`;
    confidence = 'medium';
  } else if (hit.variant === 'where') {
    message = `NoSQL injection: ${source} (user input) is built into a query the database evaluates as JavaScript: ${hit.what}`;
    severity = 'critical';
  } else if (hit.variant === 'idor') {
    message = `${cls.title}: ${hit.what}`;
    confidence = 'medium';
  }
  return {
    id: findingId(cls.rule, file, hit.line, hit.evidence),
    file,
    line: hit.line,
    endLine: hit.endLine,
    severity,
    category: 'security',
    cwe: hit.variant === 'where' ? 'CWE-943' : cls.cwe,
    rule: cls.rule,
    message,
    evidence: hit.evidence,
    confidence,
    fix: { description: cls.advice },
    ...(trace ? { trace } : {}),
  };
}

function patternFinding(file: string, hit: PatternHit, context: ProjectContext): Finding {
  let patch: string | undefined;
  if (hit.fix?.replace && context.readText) {
    const text = context.readText(file);
    if (text) patch = replacementPatch(file, text, hit.line, hit.fix.replace.from, hit.fix.replace.to);
  }
  return {
    id: findingId(hit.rule, file, hit.line, hit.evidence),
    file,
    line: hit.line,
    endLine: hit.endLine,
    severity: hit.severity,
    category: 'security',
    cwe: hit.cwe,
    rule: hit.rule,
    message:
      hit.rule === 'xss-template'
        ? nameTemplateEngine(hit.message, file, context.dependencyMajors.keys())
        : hit.message,
    // A report must not repeat a committed secret: the value is masked in the evidence.
    evidence: hit.rule === 'hardcoded-secret' ? redactLine(hit.evidence) : hit.evidence,
    confidence: hit.confidence,
    ...(hit.fix ? { fix: { description: hit.fix.description, ...(patch ? { patch } : {}) } } : {}),
  };
}

export function securityFindings(project: ProjectAnalysis, context: ProjectContext): Finding[] {
  const findings: Finding[] = [];
  const byFile = new Map(project.files.map((f) => [f.file, f]));
  const known = new Set(byFile.keys());
  const linker = new TaintLinker(
    project.files
      .filter((f) => f.summaries.length > 0 || f.calls.length > 0)
      .map((f) => ({
        file: f.file,
        summaries: f.summaries,
        calls: f.calls,
        imports: project.resolvedImports.get(f.file) ?? [],
        ...(f.exportMap ? { exports: f.exportMap } : {}),
      })),
    {
      resolve: (from, specifier) => resolveSpecifier(from, specifier, known),
      importsOf: (file) => project.resolvedImports.get(file) ?? [],
    },
  );
  const serverSet = serverSetFields(project.files);
  const access = accessReview(project.files, project.resolvedImports);
  const adminOnly = (file: string, line: number) =>
    access.adminHandlers.some((h) => h.file === file && h.lines[0] <= line && line <= h.lines[1]);
  for (const file of project.files) {
    for (const hit of file.taintHits) {
      // Through a helper of another module: only if that helper returns its argument.
      const via = hit.origin.via;
      if (via !== undefined && !linker.returnsTaint(file.file, via, sinkClasses[hit.cls].bit, hit.variant === 'where'))
        continue;
      // An id that a middleware copied from the session is the caller's own, not a lookup by input.
      if (
        hit.variant === 'idor' &&
        (serverSet.has(`${hit.origin.part}.${hit.origin.key}`) || adminOnly(file.file, hit.line))
      )
        continue;
      const helper = via !== undefined ? file.calls[via] : undefined;
      findings.push(
        taintFinding(file.file, hit, [
          { file: file.file, line: hit.origin.line, note: `source: ${sourceText(hit.origin)}` },
          ...(helper ? [{ file: file.file, line: helper.line, note: `returned by ${helper.callee}()` }] : []),
          { file: file.file, line: hit.line, note: `sink: ${hit.what}` },
        ]),
      );
    }
    for (const hit of file.patternHits) {
      if (hit.rule === 'unsafe-deserialization' && /js-yaml/.test(hit.message)) continue;
      findings.push(patternFinding(file.file, hit, context));
    }
  }
  const linked = linker.link();
  for (const link of linked) {
    if (!byFile.has(link.sinkFile)) continue;
    if (
      link.reach.cls === 'deserialization' &&
      /js-yaml/.test(link.reach.what) &&
      (context.dependencyMajors.get('js-yaml') ?? 0) >= 4
    )
      continue;
    findings.push(
      taintFinding(
        link.sinkFile,
        {
          cls: link.reach.cls,
          line: link.reach.line,
          endLine: link.reach.endLine,
          evidence: link.reach.evidence,
          what: link.reach.what,
          origin: link.origin,
          ...(link.reach.needsObject
            ? { variant: 'operator' }
            : /\$where/.test(link.reach.what)
              ? { variant: 'where' }
              : {}),
        },
        [
          { file: link.callFile, line: link.origin.line, note: `source: ${sourceText(link.origin)}` },
          { file: link.callFile, line: link.callLine, note: `passed to ${link.callee}()` },
          { file: link.sinkFile, line: link.reach.line, note: `sink: ${link.reach.what}` },
        ],
      ),
    );
  }
  findings.push(
    ...linkPython(project.files.flatMap((f) => (f.pythonFlow ? [{ file: f.file, flow: f.pythonFlow }] : []))),
  );
  // js-yaml load() is only unsafe before version 4.
  const yamlMajor = context.dependencyMajors.get('js-yaml');
  const kept = findings.filter(
    (f) =>
      !(f.rule === 'unsafe-deserialization' && /js-yaml/.test(f.message) && yamlMajor !== undefined && yamlMajor >= 4),
  );
  kept.push(
    ...appFindings(project, (file, line) => context.readText?.(file)?.split('\n')[line - 1]?.trim().slice(0, 240)),
  );
  for (const { file, hit } of authProjectHits(project.files)) kept.push(patternFinding(file, hit, context));
  kept.push(...access.findings);
  return dedupe(kept);
}

/** One finding per file, line and CWE; the more severe, more confident one wins. */
function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  const confidenceRank = { high: 3, medium: 2, low: 1 };
  for (const finding of findings) {
    const key = `${finding.file}:${finding.line}:${finding.cwe ?? finding.rule}`;
    const existing = best.get(key);
    if (
      !existing ||
      severityRank[finding.severity] * 4 + confidenceRank[finding.confidence] >
        severityRank[existing.severity] * 4 + confidenceRank[existing.confidence]
    )
      best.set(key, finding);
  }
  return [...best.values()];
}

export interface ComplexityLimits {
  cyclomatic: number;
  cognitive: number;
  length: number;
  parameters: number;
  nesting: number;
}

export const defaultLimits: ComplexityLimits = {
  cyclomatic: 15,
  cognitive: 20,
  length: 120,
  parameters: 6,
  nesting: 5,
};

export function complexityFindings(
  files: readonly FileAnalysis[],
  limits: ComplexityLimits = defaultLimits,
  churn?: Map<string, number>,
): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    for (const fn of file.functions) {
      const problems: string[] = [];
      if (fn.cognitive > limits.cognitive)
        problems.push(`cognitive complexity ${fn.cognitive} (limit ${limits.cognitive})`);
      if (fn.cyclomatic > limits.cyclomatic)
        problems.push(`cyclomatic complexity ${fn.cyclomatic} (limit ${limits.cyclomatic})`);
      if (fn.nesting > limits.nesting) problems.push(`nesting depth ${fn.nesting}`);
      if (fn.length > limits.length) problems.push(`${fn.length} lines`);
      if (fn.parameters > limits.parameters) problems.push(`${fn.parameters} parameters`);
      if (problems.length === 0) continue;
      const changes = churn?.get(file.file) ?? 0;
      const severity: Severity =
        fn.cognitive > limits.cognitive * 2 || fn.cyclomatic > limits.cyclomatic * 2 ? 'medium' : 'low';
      const evidence = `${fn.name} (lines ${fn.line}-${fn.endLine})`;
      findings.push({
        id: findingId('complex-function', file.file, fn.line, evidence),
        file: file.file,
        line: fn.line,
        endLine: fn.endLine,
        severity,
        category:
          fn.cognitive > limits.cognitive || fn.cyclomatic > limits.cyclomatic ? 'complexity' : 'maintainability',
        rule:
          fn.cognitive > limits.cognitive || fn.cyclomatic > limits.cyclomatic
            ? 'complex-function'
            : fn.length > limits.length
              ? 'long-function'
              : 'function-shape',
        message: `${fn.name}: ${problems.join(', ')}${changes ? `; changed in ${changes} commits, so the complexity is paid often` : ''}`,
        evidence,
        confidence: 'high',
        fix: {
          description:
            fn.parameters > limits.parameters
              ? 'Group related parameters into an options object; extract helpers for the deepest branches.'
              : 'Extract the nested branches into well-named helpers, return early instead of nesting, and replace flag-driven switches with lookup tables.',
        },
      });
    }
  }
  return findings;
}

export function rankFindings(findings: Finding[], churn?: Map<string, number>): Finding[] {
  const confidenceRank = { high: 3, medium: 2, low: 1 };
  const categoryRank: Record<string, number> = {
    security: 3,
    'ai-review': 2,
    dependencies: 2,
    complexity: 1,
    maintainability: 0,
    tests: 1,
    performance: 1,
  };
  const score = (f: Finding) =>
    severityRank[f.severity] * 100 +
    (categoryRank[f.category] ?? 0) * 10 +
    confidenceRank[f.confidence] * 3 +
    Math.min(9, Math.log2(1 + (churn?.get(f.file) ?? 0)));
  return [...findings].sort((a, b) => score(b) - score(a) || a.file.localeCompare(b.file) || a.line - b.line);
}
