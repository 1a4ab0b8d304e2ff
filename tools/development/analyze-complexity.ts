// development_analyze_complexity: per-function cyclomatic complexity for TS/JS files.
import { typescript } from './typescript-module.js';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { resolveInsideRoots } from '../roots.js';
import { walkFiles } from './walk-files.js';
import { scriptExtensions } from './languages.js';
import { measureSource } from './cyclomatic.js';
import { Confinement, readConfinedText } from '../confined-fs.js';

const maxFileBytes = 2 * 1024 * 1024;
const functionRow = z.object({
  file: z.string(),
  name: z.string(),
  kind: z.string(),
  line: z.number().int(),
  endLine: z.number().int(),
  complexity: z.number().int(),
});

function isScript(file: string): boolean {
  return scriptExtensions.has(path.extname(file).toLowerCase()) && !file.endsWith('.d.ts');
}

export const analyzeComplexity = defineTool({
  name: 'development_analyze_complexity',
  domain: 'development',
  tags: ['complexity', 'cyclomatic', 'typescript', 'javascript', 'quality', 'hotspots', 'functions'],
  requests: [
    'find the hardest functions to read',
    'cyclomatic complexity of the TypeScript code',
    'which methods need refactoring because of nested branches',
    'functions with deeply nested conditions and loops',
    'functions with too many branches or conditions',
    'complexity score per function',
  ],
  title: 'Cyclomatic complexity',
  description:
    'Measures the cyclomatic complexity of every function, method and arrow function in TypeScript/JavaScript files (.ts .tsx .js .jsx .mjs .cjs), using the TypeScript compiler parser. Honours .gitignore. Returns the most complex functions first, with file and line, plus per-file totals. Use it to find refactoring hotspots. It does not judge style or find bugs. Example: {"path": "src", "threshold": 10}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z
      .string()
      .default('.')
      .describe('A file or directory, absolute or relative to the first allowed root. Default ".".'),
    threshold: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('Functions above this complexity are counted as over the threshold. Default 10.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(50)
      .describe('Most functions to return, most complex first. Default 50.'),
  }),
  output: z.object({
    root: z.string(),
    filesAnalyzed: z.number().int(),
    filesSkipped: z.number().int().describe('files over 2 MiB, unreadable, or with syntax errors that stopped parsing'),
    filesWithSyntaxErrors: z.number().int(),
    functionCount: z.number().int(),
    averageComplexity: z.number(),
    maxComplexity: z.number().int(),
    threshold: z.number().int(),
    overThreshold: z.number().int(),
    functions: z.array(functionRow).describe('most complex first'),
    files: z
      .array(
        z.object({ file: z.string(), functions: z.number().int(), total: z.number().int(), max: z.number().int() }),
      )
      .describe('files by total complexity, at most 50'),
  }),
  examples: [{ path: '.', threshold: 10, limit: 20 }],
  async handler(input, context) {
    const target = await resolveInsideRoots(input.path, context.environment.allowedRoots, 'path');
    const ts = typescript();
    const candidates: { relative: string; absolute: string; confinement: Confinement }[] = [];
    if (target.isDirectory) {
      for await (const file of walkFiles(target.absolute, { signal: context.signal }))
        if (isScript(file.relative)) candidates.push(file);
    } else {
      candidates.push({
        relative: path.basename(target.absolute),
        absolute: target.absolute,
        confinement: Confinement.ofReal([target.root]),
      });
    }
    const all: z.infer<typeof functionRow>[] = [];
    const files: { file: string; functions: number; total: number; max: number }[] = [];
    let skipped = 0;
    let withErrors = 0;
    for (const [index, file] of candidates.entries()) {
      context.signal.throwIfAborted();
      // Parsing is synchronous; give the event loop a turn between files so the server stays responsive.
      await yieldToEventLoop();
      let text: string;
      try {
        // Over maxFileBytes, a link, a device: skipped, without reading a byte.
        text = await readConfinedText(file.absolute, file.confinement, { maxBytes: maxFileBytes });
      } catch {
        skipped++;
        continue;
      }
      const measured = measureSource(ts, file.relative, text);
      if (measured.syntaxErrors > 0) withErrors++;
      const rows = measured.functions.map((fn) => ({ file: file.relative, ...fn }));
      all.push(...rows);
      if (rows.length > 0) {
        files.push({
          file: file.relative,
          functions: rows.length,
          total: rows.reduce((s, r) => s + r.complexity, 0),
          max: Math.max(...rows.map((r) => r.complexity)),
        });
      }
      if ((index + 1) % 25 === 0 || index + 1 === candidates.length)
        context.progress(index + 1, candidates.length, `${index + 1}/${candidates.length} files`);
    }
    const total = all.reduce((sum, row) => sum + row.complexity, 0);
    all.sort((a, b) => b.complexity - a.complexity || a.file.localeCompare(b.file) || a.line - b.line);
    files.sort((a, b) => b.total - a.total || a.file.localeCompare(b.file));
    return {
      root: target.absolute,
      filesAnalyzed: candidates.length - skipped,
      filesSkipped: skipped,
      filesWithSyntaxErrors: withErrors,
      functionCount: all.length,
      averageComplexity: all.length ? Number((total / all.length).toFixed(2)) : 0,
      maxComplexity: all[0]?.complexity ?? 0,
      threshold: input.threshold,
      overThreshold: all.filter((row) => row.complexity > input.threshold).length,
      functions: all.slice(0, input.limit),
      files: files.slice(0, 50),
    };
  },
  summarize(output) {
    const top = output.functions
      .slice(0, 10)
      .map((f) => `  ${String(f.complexity).padStart(3)}  ${f.name} (${f.file}:${f.line})`)
      .join('\n');
    return `${output.filesAnalyzed} files, ${output.functionCount} functions; average complexity ${output.averageComplexity}, max ${output.maxComplexity}; ${output.overThreshold} over ${output.threshold}.\nMost complex:\n${top || '  (no functions found)'}`;
  },
});
