// Per-function cyclomatic complexity of TS/JS source through the TypeScript compiler API.
// McCabe's count: 1 + one per branch point (if, ?:, loops, case, catch, &&, ||, ??, and their
// assignment forms). Default parameter values and optional chaining are not counted. Nested
// functions are measured on their own and do not add to their parent.
import type TS from 'typescript';

export interface FunctionComplexity {
  name: string;
  kind: string;
  line: number;
  endLine: number;
  complexity: number;
}

type Typescript = typeof TS;

export function scriptKindFor(ts: Typescript, fileName: string): TS.ScriptKind {
  if (fileName.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (fileName.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.(c|m)?js$/.test(fileName)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

/**
 * Parses one file on its own, with parent pointers. JSDoc is not parsed: no rule reads it, and
 * skipping it took about a third off parsing a 138k-line tree of heavily documented JS.
 */
export function parseScript(ts: Typescript, fileName: string, text: string): TS.SourceFile {
  return ts.createSourceFile(
    fileName,
    text,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    true,
    scriptKindFor(ts, fileName),
  );
}

function isFunctionLike(ts: Typescript, node: TS.Node): node is TS.SignatureDeclaration & { body?: TS.Node } {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function propertyNameText(
  ts: Typescript,
  name: TS.PropertyName | TS.BindingName | undefined,
  source: TS.SourceFile,
): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name))
    return name.text;
  return name.getText(source);
}

function className(ts: Typescript, node: TS.Node): string {
  const parent = node.parent;
  if (parent && (ts.isClassDeclaration(parent) || ts.isClassExpression(parent))) return parent.name?.text ?? '<class>';
  if (parent && ts.isObjectLiteralExpression(parent)) return '<object>';
  return '';
}

function functionName(ts: Typescript, node: TS.Node, source: TS.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return `${className(ts, node)}.constructor`;
  if (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) {
    const owner = className(ts, node);
    const prefix = ts.isGetAccessorDeclaration(node) ? 'get ' : ts.isSetAccessorDeclaration(node) ? 'set ' : '';
    return `${prefix}${owner ? `${owner}.` : ''}${propertyNameText(ts, node.name, source)}`;
  }
  if (ts.isFunctionDeclaration(node)) return node.name?.text ?? 'default';
  if (ts.isFunctionExpression(node) && node.name) return node.name.text;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent)) return propertyNameText(ts, parent.name, source) ?? '<anonymous>';
  if (ts.isPropertyAssignment(parent)) return propertyNameText(ts, parent.name, source) ?? '<anonymous>';
  if (ts.isPropertyDeclaration(parent)) return `${className(ts, parent)}.${propertyNameText(ts, parent.name, source)}`;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    return parent.left.getText(source);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(source).slice(0, 60)} callback`;
  if (ts.isExportAssignment(parent)) return 'default';
  return '<anonymous>';
}

function kindName(ts: Typescript, node: TS.Node): string {
  if (ts.isArrowFunction(node)) return 'arrow';
  if (ts.isMethodDeclaration(node)) return 'method';
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) return 'accessor';
  return 'function';
}

function isBranchPoint(ts: Typescript, node: TS.Node): boolean {
  switch (node.kind) {
    case ts.SyntaxKind.IfStatement:
    case ts.SyntaxKind.ConditionalExpression:
    case ts.SyntaxKind.ForStatement:
    case ts.SyntaxKind.ForInStatement:
    case ts.SyntaxKind.ForOfStatement:
    case ts.SyntaxKind.WhileStatement:
    case ts.SyntaxKind.DoStatement:
    case ts.SyntaxKind.CaseClause:
    case ts.SyntaxKind.CatchClause:
      return true;
    case ts.SyntaxKind.BinaryExpression: {
      const operator = (node as TS.BinaryExpression).operatorToken.kind;
      return (
        operator === ts.SyntaxKind.AmpersandAmpersandToken ||
        operator === ts.SyntaxKind.BarBarToken ||
        operator === ts.SyntaxKind.QuestionQuestionToken ||
        operator === ts.SyntaxKind.AmpersandAmpersandEqualsToken ||
        operator === ts.SyntaxKind.BarBarEqualsToken ||
        operator === ts.SyntaxKind.QuestionQuestionEqualsToken
      );
    }
    default:
      return false;
  }
}

/** Measures every function in one file. Returns functions in source order. */
export function measureSource(
  ts: Typescript,
  fileName: string,
  text: string,
): { functions: FunctionComplexity[]; syntaxErrors: number } {
  const source = parseScript(ts, fileName, text);
  const functions: FunctionComplexity[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: TS.Node, current: FunctionComplexity | undefined): void => {
    let owner = current;
    if (isFunctionLike(ts, node) && node.body) {
      owner = {
        name: functionName(ts, node, source),
        kind: kindName(ts, node),
        line: lineOf(node.getStart(source)),
        endLine: lineOf(node.end),
        complexity: 1,
      };
      functions.push(owner);
    } else if (owner && isBranchPoint(ts, node)) {
      owner.complexity++;
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  visit(source, undefined);
  const diagnostics = (source as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  return { functions, syntaxErrors: diagnostics.length };
}
