// One Python file's analysis in the same cacheable shape as a TS/JS file's: line counts, TODOs,
// per-function metrics, security pattern hits, imports (as written, dotted) and public names
// (__all__ when it is declared, else the module's top-level functions, classes and constants
// without a leading underscore), and the data-flow summary python-linker.ts links across modules.
import type { Parser } from 'web-tree-sitter';
import { isTestPath, todoIn, type FileAnalysis, type TodoItem } from '../analysis/file-analysis.js';
import { children, measurePythonFunctions } from './python-metrics.js';
import { checkPython } from './python-rules.js';
import { pythonFlow } from './python-flow.js';
import { withPythonTree, type PythonNode } from './python-parser.js';

function importsOf(root: PythonNode): string[] {
  const imports = new Set<string>();
  for (const child of children(root)) {
    if (child.type === 'import_statement') {
      for (const name of children(child))
        imports.add((name.type === 'aliased_import' ? name.childForFieldName('name')! : name).text);
    } else if (child.type === 'import_from_statement') {
      const module = child.childForFieldName('module_name')?.text;
      if (module) imports.add(module);
    }
  }
  // Imports inside functions and conditionals count too.
  for (const nested of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!nested || nested.parent?.id === root.id) continue;
    const module =
      nested.type === 'import_from_statement'
        ? nested.childForFieldName('module_name')?.text
        : children(nested)[0]?.text.split(' ')[0];
    if (module) imports.add(module);
  }
  return [...imports];
}

function publicNames(root: PythonNode): string[] {
  const names: string[] = [];
  let declared: string[] | undefined;
  for (const child of children(root)) {
    const definition = child.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
    if (definition?.type === 'function_definition' || definition?.type === 'class_definition') {
      const name = definition.childForFieldName('name')?.text;
      if (name && !name.startsWith('_')) names.push(name);
    }
    if (child.type === 'expression_statement') {
      const assignment = children(child)[0];
      const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : undefined;
      if (left?.type === 'identifier') {
        if (left.text === '__all__')
          declared = assignment!
            .childForFieldName('right')
            ?.descendantsOfType('string_content')
            .filter((s): s is PythonNode => s !== null)
            .map((s) => s.text);
        else if (/^[A-Z][A-Z0-9_]*$/.test(left.text)) names.push(left.text);
      }
    }
  }
  return declared ?? names;
}

function countPythonLines(lines: readonly string[]): { codeLines: number; todos: TodoItem[] } {
  let codeLines = 0;
  const todos: TodoItem[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line.length === 0) return;
    if (line.startsWith('#')) {
      const todo = todoIn(line, index + 1);
      if (todo) todos.push(todo);
      return;
    }
    codeLines++;
    const comment = line.indexOf('#');
    if (comment > 0) {
      const todo = todoIn(line.slice(comment), index + 1);
      if (todo) todos.push(todo);
    }
  });
  return { codeLines, todos };
}

export function analyzePython(parser: Parser, relative: string, text: string): FileAnalysis {
  const lines = text.split('\n');
  const counted = countPythonLines(lines);
  return withPythonTree(parser, text, (tree) => {
    const root = tree.rootNode;
    return {
      file: relative,
      language: 'python',
      lines: lines.length,
      codeLines: counted.codeLines,
      syntaxErrors: root.hasError ? Math.max(1, root.descendantsOfType('ERROR').length) : 0,
      functions: measurePythonFunctions(root),
      taintHits: [],
      summaries: [],
      calls: [],
      patternHits: checkPython(root, lines, { isTestFile: isTestPath(relative) }),
      todos: counted.todos,
      imports: importsOf(root),
      exports: publicNames(root),
      pythonFlow: pythonFlow(root, lines),
    };
  });
}
