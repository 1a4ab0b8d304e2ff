// Checks that make a value safe on the path that passes them: a containment test on a resolved
// path (zip slip, traversal) and a protocol allow-list on a parsed URL (javascript: URLs). The
// engine clears the class for the checked variable where the check holds: after an `if` that
// leaves on failure, or inside an `if` on success.
import type TS from 'typescript';
import { bitsOf } from './sink-classes.js';

type Typescript = typeof TS;

export interface Guard {
  /** The checked variable. */
  name: string;
  bits: number;
  /** True when the condition holds for the unsafe value (`!p.startsWith(base)`). */
  failing: boolean;
}

const path = bitsOf('path');
const url = bitsOf('url');

/** The guard a condition expresses, if it is one of the recognised shapes. */
export function guardOf(ts: Typescript, condition: TS.Expression): Guard | undefined {
  while (ts.isParenthesizedExpression(condition)) condition = condition.expression;
  if (ts.isPrefixUnaryExpression(condition) && condition.operator === ts.SyntaxKind.ExclamationToken) {
    const inner = guardOf(ts, condition.operand);
    return inner && { ...inner, failing: !inner.failing };
  }
  if (ts.isCallExpression(condition) && ts.isPropertyAccessExpression(condition.expression)) {
    const method = condition.expression.name.text;
    const receiver = condition.expression.expression;
    const first = condition.arguments[0];
    // p.startsWith(base): p stays inside base.
    if (method === 'startsWith' && ts.isIdentifier(receiver) && first && !ts.isStringLiteralLike(first))
      return { name: receiver.text, bits: path, failing: false };
    // p.includes('..'): the unsafe case.
    if (
      method === 'includes' &&
      ts.isIdentifier(receiver) &&
      first &&
      ts.isStringLiteralLike(first) &&
      first.text === '..'
    )
      return { name: receiver.text, bits: path, failing: true };
    // ['http:', 'https:'].includes(u.protocol), /^https?:$/.test(u.protocol)
    const checked = first && protocolOf(ts, first);
    if (checked && (method === 'includes' || method === 'has' || method === 'test'))
      return { name: checked, bits: url, failing: false };
  }
  if (ts.isBinaryExpression(condition)) {
    const op = condition.operatorToken.kind;
    const equal = op === ts.SyntaxKind.EqualsEqualsEqualsToken || op === ts.SyntaxKind.EqualsEqualsToken;
    const unequal = op === ts.SyntaxKind.ExclamationEqualsEqualsToken || op === ts.SyntaxKind.ExclamationEqualsToken;
    if (equal || unequal) {
      const checked = protocolOf(ts, condition.left) ?? protocolOf(ts, condition.right);
      const literal = ts.isStringLiteralLike(condition.right) ? condition.right : condition.left;
      if (checked && ts.isStringLiteralLike(literal) && /^(https?|mailto):$/.test(literal.text))
        return { name: checked, bits: url, failing: unequal };
      // p.indexOf(base) === 0
      if (
        ts.isCallExpression(condition.left) &&
        ts.isPropertyAccessExpression(condition.left.expression) &&
        condition.left.expression.name.text === 'indexOf' &&
        ts.isIdentifier(condition.left.expression.expression) &&
        ts.isNumericLiteral(condition.right) &&
        condition.right.text === '0'
      )
        return { name: condition.left.expression.expression.text, bits: path, failing: unequal };
    }
    // u.protocol !== 'http:' && u.protocol !== 'https:' / u.protocol === 'http:' || u.protocol === 'https:'
    const and = op === ts.SyntaxKind.AmpersandAmpersandToken;
    const or = op === ts.SyntaxKind.BarBarToken;
    if (and || or) {
      const a = guardOf(ts, condition.left);
      const b = guardOf(ts, condition.right);
      if (a && b && a.name === b.name && a.bits === b.bits && a.failing === b.failing && a.failing === and) return a;
    }
  }
  return undefined;
}

function protocolOf(ts: Typescript, node: TS.Expression): string | undefined {
  return ts.isPropertyAccessExpression(node) && node.name.text === 'protocol' && ts.isIdentifier(node.expression)
    ? node.expression.text
    : undefined;
}

/** Does this statement always leave the enclosing block (return, throw, continue, break)? */
export function exits(ts: Typescript, statement: TS.Statement): boolean {
  if (ts.isBlock(statement)) {
    const last = statement.statements[statement.statements.length - 1];
    return last !== undefined && exits(ts, last);
  }
  return (
    ts.isReturnStatement(statement) ||
    ts.isThrowStatement(statement) ||
    ts.isContinueStatement(statement) ||
    ts.isBreakStatement(statement)
  );
}
