// Where untrusted input enters a Node.js web application: which function parameters are request
// objects (Express, Koa, Fastify, Next.js, plain http) and which of their parts carry user data.
import type TS from 'typescript';

type Typescript = typeof TS;

/** Request properties that hold attacker-controlled data. */
export const requestParts = new Set([
  'query',
  'params',
  'body',
  'headers',
  'cookies',
  'signedCookies',
  'url',
  'originalUrl',
  'path',
  'files',
  'file',
  'rawBody',
  'hostname',
  'host',
  'search',
  'searchParams',
  'nextUrl',
  'raw',
]);
/** Request methods that return attacker-controlled data. */
export const requestMethods = new Set(['param', 'get', 'header', 'json', 'text', 'formData', 'arrayBuffer', 'blob']);
/** Request properties that identify the authenticated caller: using one is an authorization check. */
export const identityParts = new Set([
  'user',
  'session',
  'auth',
  'isAuthenticated',
  'state',
  'token',
  'currentUser',
  'userId',
  'account',
  'principal',
  'claims',
  'identity',
  'jwt',
  'kauth',
]);
/** Browser globals whose properties are attacker-controlled (DOM XSS, client-side redirects). */
export const browserSources: Record<string, Set<string>> = {
  location: new Set(['hash', 'search', 'href', 'pathname']),
  document: new Set(['URL', 'documentURI', 'referrer', 'cookie', 'baseURI']),
  window: new Set(['name']),
};

export const routeMethods = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'del',
  'all',
  'use',
  'options',
  'head',
  'route',
  'handle',
  'any',
]);
const responseNames = /^(res|response|resp|reply|h|rep)$/;
const requestNames = /^(req|request|_req|httpRequest|incomingMessage)$/;
const nextVerbs = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function paramName(ts: Typescript, parameter: TS.ParameterDeclaration | undefined): string | undefined {
  return parameter && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined;
}

export interface RequestParameter {
  index: number;
  kind: 'request' | 'koa';
}

/**
 * Which parameter of `fn` is the request, if `fn` is a request handler. `routeCall` is true when
 * the function is passed to a route registration (`app.get('/x', fn)`), so the first parameter is
 * the request whatever it is called.
 */
export function requestParameter(
  ts: Typescript,
  fn: TS.SignatureDeclaration,
  routeCall: boolean,
  exportedName?: string,
): RequestParameter | undefined {
  const params = fn.parameters;
  const first = paramName(ts, params[0]);
  const second = paramName(ts, params[1]);
  // Express error handlers: (err, req, res, next).
  if (params.length === 4 && first && /^(err|error|e)$/.test(first)) return { index: 1, kind: 'request' };
  if (first === 'ctx' || first === 'context') {
    if (routeCall || second === 'next') return { index: 0, kind: 'koa' };
  }
  if (routeCall && params.length > 0) return { index: 0, kind: 'request' };
  if (first && requestNames.test(first)) return { index: 0, kind: 'request' };
  if (first && /^req/i.test(first) && second && responseNames.test(second)) return { index: 0, kind: 'request' };
  if (params[0] && !first && second && responseNames.test(second)) return { index: 0, kind: 'request' };
  if (exportedName && nextVerbs.has(exportedName) && params.length > 0) return { index: 0, kind: 'request' };
  return undefined;
}

/** Is this call a route registration, `app.get('/path', handler)`, `router.route('/x').post(h)`? */
export function isRouteRegistration(ts: Typescript, call: TS.CallExpression): boolean {
  if (!ts.isPropertyAccessExpression(call.expression)) return false;
  const method = call.expression.name.text;
  if (!routeMethods.has(method)) return false;
  const first = call.arguments[0];
  if (!first) return false;
  const receiver = call.expression.expression;
  const receiverText = ts.isIdentifier(receiver) ? receiver.text : '';
  if (
    /^(map|cache|store|params|searchParams|headers|localStorage|sessionStorage|redis|client|axios|http|https|request|got|needle|fetch|superagent)$/i.test(
      receiverText,
    )
  )
    return false;
  if (
    ts.isStringLiteralLike(first) ||
    ts.isTemplateExpression(first) ||
    ts.isRegularExpressionLiteral(first) ||
    ts.isArrayLiteralExpression(first)
  )
    return call.arguments.length >= 2;
  if (method === 'use') return true;
  // router.route('/x').get(handler): the path is on the receiver.
  if (
    ts.isCallExpression(receiver) &&
    ts.isPropertyAccessExpression(receiver.expression) &&
    receiver.expression.name.text === 'route'
  )
    return true;
  return false;
}
