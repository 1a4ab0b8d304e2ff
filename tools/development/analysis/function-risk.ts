// What makes a function worth an AI review whatever its size: it handles requests (an Express,
// Koa, Fastify or Hono route callback, named or anonymous, or a (req, res) function), or it calls a
// dangerous API (a shell, eval, the file system, a raw SQL query) with input that is not a constant.
// Syntax only: a file is read on its own, so these are signals for ranking, not findings.
import type TS from 'typescript';
import { routeMethods } from '../security/request-sources.js';
import { fsMethods } from '../security/sink-rules.js';

type Typescript = typeof TS;

const requestParams = /^(req|request|ctx|context|c)$/;
const responseParams = /^(res|response|reply|next|h)$/;

const shellCalls = new Set(['exec', 'execSync', 'spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);
const shellReceivers = /^(child_?process|cp|childProcess|shell|proc|execa)$/i;
const codeCalls = new Set([
  'eval',
  'Function',
  'runInContext',
  'runInNewContext',
  'runInThisContext',
  'compileFunction',
]);
// The same route methods and file-system calls the taint rules know.
const fsCalls = fsMethods;
const fsReceivers = /^(fs|fsp|fse|promises|res|response)$/;
const sqlCalls = new Set([
  'query',
  'execute',
  'raw',
  'exec',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'unsafe',
  'prepare',
]);
const sqlReceivers = /(db|sql|knex|pool|client|conn|connection|database|sequelize|prisma|pg|mysql|sqlite|tx|trx)$/i;

function paramName(ts: Typescript, parameter: TS.ParameterDeclaration | undefined): string | undefined {
  return parameter && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined;
}

/**
 * A route callback: an argument of `x.get|post|...|use(...)` whose first argument is a path (or
 * that is middleware), or any function whose parameters read as (req, res) or (ctx).
 */
export function isRequestHandler(ts: Typescript, fn: TS.FunctionLikeDeclaration): boolean {
  const first = paramName(ts, fn.parameters[0]);
  const second = paramName(ts, fn.parameters[1]);
  if (first && requestParams.test(first) && (second ? responseParams.test(second) : /^ctx$/.test(first))) return true;
  // Error middleware: (err, req, res, next).
  if (second && requestParams.test(second) && responseParams.test(paramName(ts, fn.parameters[2]) ?? '')) return true;
  const call = fn.parent;
  if (!call || !ts.isCallExpression(call) || !call.arguments.includes(fn as TS.Expression)) return false;
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || !routeMethods.has(callee.name.text)) return false;
  const path = call.arguments[0];
  return (
    path !== undefined &&
    path !== fn &&
    (ts.isStringLiteralLike(path) || ts.isRegularExpressionLiteral(path) || ts.isArrayLiteralExpression(path))
  );
}

/** True for a string, number, or template literal without substitutions. */
function isConstant(ts: Typescript, node: TS.Expression): boolean {
  return ts.isStringLiteralLike(node) || ts.isNumericLiteral(node);
}

/**
 * A label such as "exec" or "db.query" when `node` calls a dangerous API with a first argument
 * that is not a constant; undefined otherwise.
 */
export function riskyCall(ts: Typescript, node: TS.Node): string | undefined {
  if (!ts.isCallExpression(node) && !ts.isNewExpression(node)) return undefined;
  const argument = node.arguments?.[0];
  if (!argument || isConstant(ts, argument)) return undefined;
  const callee = node.expression;
  if (ts.isIdentifier(callee)) {
    const name = callee.text;
    if (shellCalls.has(name) || codeCalls.has(name) || fsCalls.has(name)) return name;
    return undefined;
  }
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  // The receiver's last name only (`fs.promises` → promises): never the text of a long chain.
  const receiver = callee.expression;
  const last = ts.isIdentifier(receiver)
    ? receiver.text
    : ts.isPropertyAccessExpression(receiver) && ts.isIdentifier(receiver.name)
      ? receiver.name.text
      : '';
  if (shellCalls.has(method) && shellReceivers.test(last)) return `${last}.${method}`;
  if (codeCalls.has(method) && /^(vm|window|globalThis)$/.test(last)) return `${last}.${method}`;
  if (fsCalls.has(method) && fsReceivers.test(last)) return `${last}.${method}`;
  if (sqlCalls.has(method) && sqlReceivers.test(last)) return `${last}.${method}`;
  return undefined;
}
