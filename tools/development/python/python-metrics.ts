// Per-function metrics for Python from the tree-sitter tree, with the same definitions as the
// TS/JS metrics: cyclomatic (McCabe: one plus each branch, loop, handler, case, conditional
// expression, comprehension filter and boolean operator), cognitive (SonarSource: structures cost
// one plus their nesting, else/elif one, each run of like boolean operators one), the deepest
// nesting, length in lines, and parameters (self and cls not counted).
import type { PythonNode } from './python-parser.js';
import type { FunctionMetrics } from '../analysis/function-metrics.js';

const nestingStructures = new Set([
  'if_statement',
  'for_statement',
  'while_statement',
  'try_statement',
  'with_statement',
  'match_statement',
]);
const branching = new Set([
  'if_statement',
  'elif_clause',
  'for_statement',
  'while_statement',
  'except_clause',
  'conditional_expression',
  'if_clause',
  'case_clause',
  'for_in_clause',
]);

export function children(node: PythonNode): PythonNode[] {
  return node.namedChildren.filter((child): child is PythonNode => child !== null);
}

function parameterCount(definition: PythonNode, isMethod: boolean): number {
  const parameters = definition.childForFieldName('parameters');
  if (!parameters) return 0;
  const names = children(parameters).filter(
    (p) => p.type !== 'comment' && p.type !== 'positional_separator' && p.type !== 'keyword_separator',
  );
  if (isMethod && names[0]?.type === 'identifier' && (names[0].text === 'self' || names[0].text === 'cls'))
    names.shift();
  return names.length;
}

const routeDecorator = /^@[\w.]*\.(route|get|post|put|patch|delete|api_route|websocket|view_config)\s*\(/;
const riskyCallee =
  /^(os\.(system|popen)|subprocess\.(run|call|Popen|check_output|check_call)|eval|exec|open|pickle\.loads?|yaml\.load|[\w.]*(cursor|db|conn|connection|session|engine)\.(execute|executemany|executescript|raw))$/;

/** A Flask/FastAPI/Pyramid route (by decorator) or a Django-style view (first parameter `request`). */
function isPythonHandler(definition: PythonNode): boolean {
  const decorated = definition.parent?.type === 'decorated_definition' ? definition.parent : undefined;
  if (decorated && children(decorated).some((d) => d.type === 'decorator' && routeDecorator.test(d.text))) return true;
  const parameters = definition.childForFieldName('parameters');
  const first = parameters ? children(parameters).find((p) => p.type !== 'comment') : undefined;
  return first?.type === 'identifier' && first.text === 'request';
}

/** The callee when a call runs a shell, eval, open, unpickling or raw SQL on a non-constant first argument. */
function riskyPythonCall(call: PythonNode): string | undefined {
  const callee = call.childForFieldName('function')?.text ?? '';
  if (!riskyCallee.test(callee)) return undefined;
  const args = call.childForFieldName('arguments');
  const first = args ? children(args).find((a) => a.type !== 'comment' && a.type !== 'keyword_argument') : undefined;
  if (!first) return undefined;
  const constant =
    (first.type === 'string' && !children(first).some((part) => part.type === 'interpolation')) ||
    first.type === 'integer';
  return constant ? undefined : callee;
}

export function measurePythonFunctions(root: PythonNode): FunctionMetrics[] {
  const results: FunctionMetrics[] = [];
  const measure = (definition: PythonNode, qualifiedName: string, isMethod: boolean) => {
    const line = definition.startPosition.row + 1;
    const endLine = definition.endPosition.row + 1;
    const metrics: FunctionMetrics = {
      name: qualifiedName,
      line,
      endLine,
      cyclomatic: 1,
      cognitive: 0,
      nesting: 0,
      length: endLine - line + 1,
      parameters: parameterCount(definition, isMethod),
    };
    if (isPythonHandler(definition)) metrics.handler = true;
    const risky = new Set<string>();
    const walk = (node: PythonNode, depth: number, structuralDepth: number): void => {
      for (const child of children(node)) {
        if (child.type === 'function_definition') {
          measure(child, `${qualifiedName}.${child.childForFieldName('name')?.text ?? '<lambda>'}`, false);
          continue;
        }
        if (child.type === 'class_definition') {
          visitScope(child, `${qualifiedName}.${child.childForFieldName('name')?.text ?? '?'}`);
          continue;
        }
        if (child.type === 'call') {
          const label = riskyPythonCall(child);
          if (label) risky.add(label);
        }
        if (branching.has(child.type)) metrics.cyclomatic++;
        if (child.type === 'boolean_operator') {
          metrics.cyclomatic++;
          const operator = child.childForFieldName('operator')?.text;
          const parent = child.parent;
          // A run of like operators (a and b and c) costs one cognitive point.
          if (!(parent?.type === 'boolean_operator' && parent.childForFieldName('operator')?.text === operator))
            metrics.cognitive++;
        }
        let nextDepth = depth;
        let nextStructural = structuralDepth;
        if (child.type === 'elif_clause' || child.type === 'else_clause') {
          metrics.cognitive++;
        } else if (
          [
            'if_statement',
            'for_statement',
            'while_statement',
            'except_clause',
            'conditional_expression',
            'match_statement',
          ].includes(child.type)
        ) {
          metrics.cognitive += 1 + depth;
          nextDepth = depth + 1;
        } else if (child.type === 'lambda') {
          nextDepth = depth + 1;
        }
        if (nestingStructures.has(child.type)) {
          nextStructural = structuralDepth + 1;
          metrics.nesting = Math.max(metrics.nesting, nextStructural);
        }
        // elif/else bodies sit at the if's own nesting level, one deeper than the if statement.
        walk(child, child.type === 'elif_clause' || child.type === 'else_clause' ? depth : nextDepth, nextStructural);
      }
    };
    const body = definition.childForFieldName('body');
    if (body) walk(body, 0, 0);
    if (risky.size > 0) metrics.risky = [...risky];
    results.push(metrics);
  };
  const visitScope = (scope: PythonNode, prefix: string) => {
    const body = scope.type === 'module' ? scope : scope.childForFieldName('body');
    if (!body) return;
    const visit = (node: PythonNode) => {
      for (const child of children(node)) {
        const definition = child.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
        if (!definition) continue;
        const name = definition.childForFieldName('name')?.text ?? '?';
        if (definition.type === 'function_definition')
          measure(definition, prefix ? `${prefix}.${name}` : name, scope.type === 'class_definition');
        else if (definition.type === 'class_definition') visitScope(definition, prefix ? `${prefix}.${name}` : name);
        else if (
          [
            'if_statement',
            'try_statement',
            'with_statement',
            'block',
            'else_clause',
            'elif_clause',
            'except_clause',
            'finally_clause',
          ].includes(definition.type)
        )
          visit(definition);
      }
    };
    visit(body);
  };
  visitScope(root, '');
  return results.sort((a, b) => a.line - b.line);
}
