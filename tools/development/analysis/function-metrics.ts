// Per-function metrics from one walk of the TypeScript AST: cyclomatic complexity (McCabe),
// cognitive complexity (SonarSource's rules: increments for breaks in linear flow, plus nesting),
// maximum nesting depth, length in lines and parameter count. Nested functions are measured on
// their own; for cognitive complexity they also add nesting to what they contain, as Sonar does.
import type TS from 'typescript';
import { isRequestHandler, riskyCall } from './function-risk.js';

type Typescript = typeof TS;

export interface FunctionMetrics {
  name: string;
  line: number;
  endLine: number;
  cyclomatic: number;
  cognitive: number;
  nesting: number;
  length: number;
  parameters: number;
  /** Set when the function handles requests: a route callback or a (req, res) function. */
  handler?: boolean;
  /** Dangerous calls with non-constant input in its own body, e.g. ["exec", "db.query"]. */
  risky?: string[];
}

function isFunctionLike(ts: Typescript, node: TS.Node): node is TS.FunctionLikeDeclaration {
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

function nameOf(ts: Typescript, node: TS.FunctionLikeDeclaration, source: TS.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(source);
  if (ts.isBinaryExpression(parent)) return parent.left.getText(source).slice(0, 60);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(source).slice(0, 40)} callback`;
  if (ts.isExportAssignment(parent)) return 'default';
  return '<anonymous>';
}

const logical = (ts: Typescript, kind: TS.SyntaxKind) =>
  kind === ts.SyntaxKind.AmpersandAmpersandToken ||
  kind === ts.SyntaxKind.BarBarToken ||
  kind === ts.SyntaxKind.QuestionQuestionToken;

export function measureFunctions(ts: Typescript, source: TS.SourceFile): FunctionMetrics[] {
  const results: FunctionMetrics[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;

  const measure = (fn: TS.FunctionLikeDeclaration): FunctionMetrics => {
    const metrics: FunctionMetrics = {
      name: nameOf(ts, fn, source),
      line: lineOf(fn.getStart(source)),
      endLine: lineOf(fn.end),
      cyclomatic: 1,
      cognitive: 0,
      nesting: 0,
      length: 0,
      parameters: fn.parameters.length,
    };
    metrics.length = metrics.endLine - metrics.line + 1;
    if (isRequestHandler(ts, fn)) metrics.handler = true;
    const risky = new Set<string>();
    const walk = (node: TS.Node, depth: number): void => {
      if (node !== fn && isFunctionLike(ts, node)) {
        results.push(measure(node));
        // Sonar: a nested function adds nesting to the code inside it, counted in its own metrics.
        return;
      }
      const label = riskyCall(ts, node);
      if (label) risky.add(label);
      let nested = false;
      switch (node.kind) {
        case ts.SyntaxKind.IfStatement: {
          metrics.cyclomatic++;
          const statement = node as TS.IfStatement;
          const isElseIf = ts.isIfStatement(statement.parent) && statement.parent.elseStatement === statement;
          metrics.cognitive += isElseIf ? 1 : 1 + depth;
          walk(statement.expression, depth);
          walk(statement.thenStatement, depth + 1);
          if (statement.elseStatement) {
            if (ts.isIfStatement(statement.elseStatement)) walk(statement.elseStatement, depth);
            else {
              metrics.cognitive++;
              walk(statement.elseStatement, depth + 1);
            }
          }
          metrics.nesting = Math.max(metrics.nesting, depth + 1);
          return;
        }
        case ts.SyntaxKind.ConditionalExpression:
        case ts.SyntaxKind.ForStatement:
        case ts.SyntaxKind.ForInStatement:
        case ts.SyntaxKind.ForOfStatement:
        case ts.SyntaxKind.WhileStatement:
        case ts.SyntaxKind.DoStatement:
        case ts.SyntaxKind.CatchClause:
          metrics.cyclomatic++;
          metrics.cognitive += 1 + depth;
          nested = true;
          break;
        case ts.SyntaxKind.SwitchStatement:
          metrics.cognitive += 1 + depth;
          nested = true;
          break;
        case ts.SyntaxKind.CaseClause:
          metrics.cyclomatic++;
          break;
        case ts.SyntaxKind.BreakStatement:
        case ts.SyntaxKind.ContinueStatement:
          if ((node as TS.BreakStatement).label) metrics.cognitive++;
          break;
        case ts.SyntaxKind.BinaryExpression: {
          const operator = (node as TS.BinaryExpression).operatorToken.kind;
          if (logical(ts, operator)) {
            metrics.cyclomatic++;
            // Sonar: one increment per sequence of like operators (a && b && c counts once).
            const parent = node.parent;
            const continues = ts.isBinaryExpression(parent) && parent.operatorToken.kind === operator;
            if (!continues) metrics.cognitive++;
          }
          break;
        }
        default:
          break;
      }
      if (nested) metrics.nesting = Math.max(metrics.nesting, depth + 1);
      ts.forEachChild(node, (child) => walk(child, nested ? depth + 1 : depth));
    };
    if (fn.body) ts.forEachChild(fn.body, (child) => walk(child, 0));
    // An expression body (`(req, res) => exec(...)`) is itself a call that the walk starts below.
    const bodyCall = fn.body && !ts.isBlock(fn.body) ? riskyCall(ts, fn.body) : undefined;
    if (bodyCall) risky.add(bodyCall);
    if (risky.size > 0) metrics.risky = [...risky];
    return metrics;
  };

  const find = (node: TS.Node): void => {
    if (isFunctionLike(ts, node)) {
      if (node.body) results.push(measure(node));
      return;
    }
    ts.forEachChild(node, find);
  };
  find(source);
  results.sort((a, b) => a.line - b.line);
  return results;
}
