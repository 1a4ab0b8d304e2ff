// One-file views: everything the analysis knows about a file in one call, and the rule catalogue.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { buildStaticReport, findingSchema } from './static-report.js';
import { projectPathField, projectRelative } from './project-directory.js';
import { pythonSymbols, scriptSymbols } from './analysis/symbols.js';
import { pythonParser } from './python/python-parser.js';
import { typescript } from './typescript-module.js';
import { ruleCatalogue } from './security/rule-catalogue.js';
import { fileCaps, readProjectText } from '../confined-fs.js';

export const outlineFile = defineTool({
  name: 'development_outline_file',
  domain: 'development',
  tags: ['outline', 'file summary', 'symbols', 'metrics', 'findings', 'imports', 'overview'],
  requests: [
    'summary of one file',
    'everything about a single source file',
    'outline a file with its metrics and findings',
    'details of one file',
    'all about one source file at once',
    'symbols, imports and findings of a file',
  ],
  title: 'File outline',
  description:
    'Everything known about one source file (TS/JS or Python) in a single call: symbols with line ranges, imports and exports, per-function metrics, TODOs and the findings on it. Cross-file flows into the file are not traced here; use analyzeAndImproveCode for those. Example: {"path": ".", "file": "src/index.ts"}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: projectPathField, file: z.string().min(1).describe('The file, relative to the project.') }),
  output: z.object({
    file: z.string(),
    language: z.string(),
    lines: z.number().int(),
    codeLines: z.number().int(),
    syntaxErrors: z.number().int(),
    imports: z.array(z.string()),
    exports: z.array(z.string()),
    symbols: z.array(
      z.object({
        name: z.string(),
        kind: z.string(),
        line: z.number().int(),
        endLine: z.number().int(),
        exported: z.boolean(),
        container: z.string().optional(),
      }),
    ),
    functions: z.array(
      z.object({
        name: z.string(),
        line: z.number().int(),
        cyclomatic: z.number().int(),
        cognitive: z.number().int(),
        nesting: z.number().int(),
        length: z.number().int(),
        parameters: z.number().int(),
      }),
    ),
    todos: z.array(z.object({ line: z.number().int(), tag: z.string(), text: z.string() })),
    findings: z.array(findingSchema),
  }),
  examples: [{ path: '.', file: 'src/index.ts' }],
  async handler(input, context) {
    const relative = projectRelative(input.file, 'file');
    const report = await buildStaticReport(context, {
      path: input.path,
      paths: [relative],
      security: true,
      quality: true,
    });
    const analysis = report.project.files.find((f) => f.file === relative);
    if (!analysis) {
      const skipped = report.skipped.find((s) => s.path === relative);
      throw new InputError(
        'file',
        skipped
          ? `${relative} was not analysed: ${skipped.reason}`
          : `${relative} is not a TS/JS, Python or template file in the project`,
      );
    }
    const text = await readProjectText(report.root, relative, fileCaps.source);
    const symbols =
      analysis.language === 'python'
        ? pythonSymbols(await pythonParser(), text)
        : analysis.language === 'template'
          ? []
          : scriptSymbols(typescript(), relative, text);
    return {
      file: relative,
      language: analysis.language,
      lines: analysis.lines,
      codeLines: analysis.codeLines,
      syntaxErrors: analysis.syntaxErrors,
      imports: analysis.imports,
      exports: analysis.exports,
      symbols: symbols.map(({ signature: _signature, ...rest }) => rest),
      functions: analysis.functions.map(({ endLine: _endLine, ...rest }) => rest),
      todos: analysis.todos,
      findings: report.findings.filter((f) => f.file === relative),
    };
  },
  summarize: (o) =>
    `${o.file} (${o.language}): ${o.lines} lines, ${o.codeLines} code${o.syntaxErrors ? `, ${o.syntaxErrors} syntax error(s)` : ''}\nImports: ${o.imports.join(', ') || 'none'}\nExports: ${o.exports.join(', ') || 'none'}\nSymbols:\n${o.symbols
      .slice(0, 40)
      .map((s) => `  ${s.line}-${s.endLine} ${s.kind} ${s.container ? `${s.container}.` : ''}${s.name}`)
      .join('\n')}\nFunctions over cognitive 10: ${
      o.functions
        .filter((f) => f.cognitive > 10)
        .map((f) => `${f.name} (${f.cognitive})`)
        .join(', ') || 'none'
    }\n${o.findings.length} finding(s)${o.findings
      .slice(0, 15)
      .map((f) => `\n  [${f.severity}] ${f.line} ${f.rule}: ${f.message}`)
      .join('')}${o.todos.length ? `\nTODOs: ${o.todos.map((t) => `${t.line} ${t.tag}`).join(', ')}` : ''}`,
});

export const explainRule = defineTool({
  name: 'development_explain_rule',
  domain: 'development',
  tags: ['rules', 'cwe', 'explain', 'finding', 'documentation', 'security'],
  requests: [
    'what does this analysis rule detect',
    'explain a CWE and its fix',
    'list the rule catalogue',
    "what a finding's rule means",
    'why was this code flagged by the analyser',
    'what does CWE-79 mean',
    'how does the analyser decide a finding',
  ],
  title: 'Explain an analysis rule',
  description:
    'What an analysis rule (or every rule for a CWE) detects, how it decides, which languages it covers, and the fix. With no rule and no CWE, lists the whole catalogue. Example: {"rule": "ssrf"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    rule: z.string().max(100).optional().describe('Rule id from a finding, e.g. "sql-injection".'),
    cwe: z
      .string()
      .regex(/^CWE-\d+$/i)
      .optional()
      .describe('A CWE id, e.g. "CWE-89".'),
  }),
  output: z.object({
    rules: z.array(
      z.object({
        rule: z.string(),
        cwe: z.string().optional(),
        title: z.string(),
        severity: z.string().optional(),
        kind: z.string(),
        languages: z.array(z.string()),
        detects: z.string(),
        fix: z.string(),
      }),
    ),
  }),
  examples: [{ rule: 'sql-injection' }, { cwe: 'CWE-347' }],
  async handler(input) {
    const catalogue = ruleCatalogue();
    const rules = catalogue.filter(
      (r) =>
        (!input.rule || r.rule === input.rule.toLowerCase() || r.rule === `ai-${input.rule}`) &&
        (!input.cwe || r.cwe === input.cwe.toUpperCase()),
    );
    if (rules.length === 0)
      throw new InputError(
        input.rule ? 'rule' : 'cwe',
        `no rule ${input.rule ?? input.cwe}; known rules: ${catalogue.map((r) => r.rule).join(', ')}`,
      );
    return { rules };
  },
  summarize: (o) =>
    o.rules
      .map(
        (r) =>
          `${r.rule}${r.cwe ? ` (${r.cwe})` : ''} — ${r.title} [${r.kind}; ${r.languages.join(', ')}]\n  detects: ${r.detects}\n  fix: ${r.fix}`,
      )
      .join('\n'),
});
