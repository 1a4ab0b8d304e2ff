// development_list_tests: the test cases a project declares, read from its test files without
// running them (TS/JS: test/it/describe calls with a literal name, including .skip/.only/.todo and
// xit/fit; Python: test_ functions and Test classes), with focused tests (.only, fit) called out
// because they silently skip the rest of a suite in CI.
import path from 'node:path';
import type TS from 'typescript';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { projectDirectory, projectPathField } from './project-directory.js';
import { collectFiles } from './analysis/project-files.js';
import { isTestPath } from './analysis/file-analysis.js';
import { typescript } from './typescript-module.js';
import { parseScript } from './cyclomatic.js';
import { fileCaps, readConfinedText } from '../confined-fs.js';

interface DeclaredTest {
  name: string;
  line: number;
  kind: 'test' | 'suite';
  mode: 'run' | 'skip' | 'only' | 'todo';
}

const testCallees = new Map<string, { kind: 'test' | 'suite'; mode: DeclaredTest['mode'] }>([
  ['test', { kind: 'test', mode: 'run' }],
  ['it', { kind: 'test', mode: 'run' }],
  ['specify', { kind: 'test', mode: 'run' }],
  ['describe', { kind: 'suite', mode: 'run' }],
  ['suite', { kind: 'suite', mode: 'run' }],
  ['context', { kind: 'suite', mode: 'run' }],
  ['xit', { kind: 'test', mode: 'skip' }],
  ['xtest', { kind: 'test', mode: 'skip' }],
  ['xdescribe', { kind: 'suite', mode: 'skip' }],
  ['fit', { kind: 'test', mode: 'only' }],
  ['fdescribe', { kind: 'suite', mode: 'only' }],
]);

function scriptTests(ts: typeof TS, file: string, text: string): DeclaredTest[] {
  const source = parseScript(ts, file, text);
  const found: DeclaredTest[] = [];
  const visit = (node: TS.Node): void => {
    if (
      ts.isCallExpression(node) &&
      node.arguments[0] &&
      (ts.isStringLiteralLike(node.arguments[0]) || ts.isTemplateExpression(node.arguments[0]))
    ) {
      let callee = node.expression;
      let modifier: string | undefined;
      // test.skip(...), describe.only(...), it.todo(...); test.each(table)(name, fn) is read by its name too.
      if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
        modifier = callee.name.text;
        callee = callee.expression;
      }
      const base = ts.isIdentifier(callee) ? testCallees.get(callee.text) : undefined;
      if (base && (!modifier || ['skip', 'only', 'todo', 'concurrent', 'failing'].includes(modifier))) {
        const mode = modifier === 'skip' || modifier === 'only' || modifier === 'todo' ? modifier : base.mode;
        const name = node.arguments[0].getText(source).slice(1, -1);
        found.push({
          name,
          line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
          kind: base.kind,
          mode,
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function pythonTests(text: string): DeclaredTest[] {
  const found: DeclaredTest[] = [];
  text.split('\n').forEach((line, index) => {
    const definition = /^(\s*)(?:async\s+)?def\s+(test\w*)\s*\(/.exec(line);
    const cls = /^class\s+(Test\w*)\s*[:(]/.exec(line);
    const skipped = index > 0 && /@(pytest\.mark\.skip|unittest\.skip)/.test(text.split('\n')[index - 1] ?? '');
    if (definition) found.push({ name: definition[2]!, line: index + 1, kind: 'test', mode: skipped ? 'skip' : 'run' });
    else if (cls) found.push({ name: cls[1]!, line: index + 1, kind: 'suite', mode: skipped ? 'skip' : 'run' });
  });
  return found;
}

export const listTests = defineTool({
  name: 'development_list_tests',
  domain: 'development',
  tags: ['tests', 'test inventory', 'only', 'skip', 'focused tests', 'pytest'],
  requests: [
    'enumerate test cases statically',
    'find focused .only tests',
    'count skipped and todo tests',
    'test cases per file, including skipped ones',
    'how many tests are there without running them',
  ],
  title: 'Test inventory',
  description:
    'The tests the project declares, per test file, without running them: test and suite counts, skipped and todo tests, and focused tests (.only, fit, fdescribe) that make CI skip everything else. Reads TS/JS test calls with literal names and Python test_ functions. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    file: z.string().optional().describe('Only this test file (relative to the project); then every test is listed.'),
  }),
  output: z.object({
    files: z.array(
      z.object({
        file: z.string(),
        tests: z.number().int(),
        suites: z.number().int(),
        skipped: z.number().int(),
        todo: z.number().int(),
      }),
    ),
    total: z.number().int(),
    focused: z.array(z.object({ file: z.string(), line: z.number().int(), name: z.string() })),
    skipped: z.array(z.object({ file: z.string(), line: z.number().int(), name: z.string() })),
    tests: z
      .array(
        z.object({ file: z.string(), line: z.number().int(), name: z.string(), kind: z.string(), mode: z.string() }),
      )
      .optional(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const { files } = await collectFiles(root, { signal: context.signal, maxFiles: 20_000 });
    const wanted = files.filter((f) =>
      input.file ? f.relative === path.posix.normalize(input.file) : isTestPath(f.relative),
    );
    const ts = typescript();
    const perFile = [];
    const focused = [];
    const skipped = [];
    const all = [];
    for (const file of wanted) {
      context.signal.throwIfAborted();
      const text = await readConfinedText(file.absolute, file.confinement, { maxBytes: fileCaps.source }).catch(
        () => '',
      );
      const tests =
        file.kind === 'python' ? pythonTests(text) : file.kind === 'script' ? scriptTests(ts, file.relative, text) : [];
      if (tests.length === 0) continue;
      perFile.push({
        file: file.relative,
        tests: tests.filter((t) => t.kind === 'test').length,
        suites: tests.filter((t) => t.kind === 'suite').length,
        skipped: tests.filter((t) => t.mode === 'skip').length,
        todo: tests.filter((t) => t.mode === 'todo').length,
      });
      for (const test of tests) {
        if (test.mode === 'only') focused.push({ file: file.relative, line: test.line, name: test.name });
        if (test.mode === 'skip') skipped.push({ file: file.relative, line: test.line, name: test.name });
        if (input.file) all.push({ file: file.relative, ...test });
      }
    }
    return {
      files: perFile,
      total: perFile.reduce((sum, f) => sum + f.tests, 0),
      focused,
      skipped: skipped.slice(0, 200),
      ...(input.file ? { tests: all } : {}),
    };
  },
  summarize: (o) =>
    `${o.total} test(s) in ${o.files.length} file(s)${o.focused.length ? `\nFOCUSED (the rest of the suite is skipped): ${o.focused.map((f) => `${f.file}:${f.line} "${f.name}"`).join(', ')}` : ''}${
      o.skipped.length
        ? `\n${o.skipped.length} skipped: ${o.skipped
            .slice(0, 10)
            .map((s) => `${s.file}:${s.line}`)
            .join(', ')}`
        : ''
    }\n${
      (o.tests ?? [])
        .map((t) => `  ${t.line} ${t.kind === 'suite' ? '▶' : '•'} ${t.name}${t.mode !== 'run' ? ` [${t.mode}]` : ''}`)
        .join('\n') ||
      o.files
        .slice(0, 30)
        .map((f) => `  ${f.file}: ${f.tests} test(s)`)
        .join('\n')
    }`,
});
