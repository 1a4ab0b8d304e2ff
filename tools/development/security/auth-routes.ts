// The sign-in, sign-up, reset and OTP routes of one file, as auth-rules.ts needs them: which
// handler serves which path (so a handler's purpose can be read from its route), the middleware in
// front of it, and which of these routes no rate limiter covers. A limiter mounted on an app with no
// path counts for the whole project (judged in auth-project.ts).
import type TS from 'typescript';

export interface AuthRouteFacts {
  /** A rate limiter mounted for every route (app.use(limiter), fastify.register(rateLimit)). */
  globalRateLimit: boolean;
}

export interface AuthRoutes extends AuthRouteFacts {
  /** Route path by inline handler node, or by the name of a handler passed by reference. */
  pathOf: Map<TS.Node | string, string>;
  /** The text of the middleware in front of a handler. */
  middlewareOf: Map<TS.Node | string, string>;
  unlimited: { node: TS.Node; method: string; path: string }[];
}

const verbs = new Set(['post', 'put', 'patch', 'all']);
const bruteForceTarget =
  /log-?_?in|sign-?_?in|authenticat|sessions?$|forgot|reset|recover|otp|2fa|mfa|totp|two-?factor|verify-?code|\/token$/i;
const routing = new Set([...verbs, 'get', 'use', 'register', 'route']);
const limiterName = /limit|throttl|slow-?down|brute|ratelimit/i;

export function authRoutes(ts: typeof TS, source: TS.SourceFile): AuthRoutes {
  const pathOf = new Map<TS.Node | string, string>();
  const middlewareOf = new Map<TS.Node | string, string>();
  const candidates: { node: TS.Node; method: string; path: string; receiver: string; limited: boolean }[] = [];
  const limitedPrefixes: { receiver: string; prefix: string }[] = [];
  let globalRateLimit = false;
  const text = (node: TS.Node) => node.getText(source);
  // A limiter by name (loginLimiter, bruteforce.prevent) or by its factory (rateLimit({...})); not
  // express.json({ limit }), whose option merely mentions the word.
  // Variables holding a limiter whatever their name: const tries = rateLimit({ ... }).
  const limiterVariables = new Set<string>();
  const collect = (node: TS.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      ts.isCallExpression(node.initializer) &&
      limiterName.test(text(node.initializer.expression))
    )
      limiterVariables.add(node.name.text);
    ts.forEachChild(node, collect);
  };
  if (limiterName.test(source.text)) collect(source);
  const isLimiter = (node: TS.Node): boolean => {
    if (ts.isIdentifier(node) && limiterVariables.has(node.text)) return true;
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) return limiterName.test(text(node));
    if (ts.isCallExpression(node)) return limiterName.test(text(node.expression));
    if (ts.isArrayLiteralExpression(node)) return node.elements.some(isLimiter);
    return false;
  };
  const property = (object: TS.Node | undefined, key: string): TS.Expression | undefined =>
    object && ts.isObjectLiteralExpression(object)
      ? object.properties.find(
          (p): p is TS.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === key,
        )?.initializer
      : undefined;
  const register = (
    node: TS.CallExpression,
    method: string,
    path: string,
    handlers: readonly TS.Expression[],
    receiver: string,
  ) => {
    const handler = handlers[handlers.length - 1];
    if (!handler) return;
    const chain = handlers.slice(0, -1);
    const options = chain.find(ts.isObjectLiteralExpression);
    const config = property(options, 'config');
    const limited =
      chain.some(isLimiter) ||
      property(config, 'rateLimit') !== undefined ||
      chain.some((m) => ts.isObjectLiteralExpression(m) && m.properties.some((p) => isLimiter(p)));
    const key: TS.Node | string =
      ts.isIdentifier(handler) || ts.isPropertyAccessExpression(handler) ? text(handler).split('.').pop()! : handler;
    pathOf.set(key, path);
    middlewareOf.set(key, chain.map(text).join(' ').slice(0, 400));
    if (verbs.has(method.toLowerCase()) && bruteForceTarget.test(path))
      candidates.push({ node, method: method.toUpperCase(), path, receiver, limited });
  };
  const visit = (node: TS.Node): void => {
    const method =
      ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)
        ? node.expression.name.text.toLowerCase()
        : '';
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && routing.has(method)) {
      const receiverNode = node.expression.expression;
      const receiver = text(receiverNode);
      const args = node.arguments;
      const first = args[0];
      if (method === 'use' && args.some(isLimiter)) {
        limitedPrefixes.push({ receiver, prefix: first && ts.isStringLiteralLike(first) ? first.text : '' });
        // On an app, a limiter under a path may cover routers mounted from other files: trust it.
        if (!/router/i.test(receiver)) globalRateLimit = true;
      }
      if (method === 'register' && first && /rate-?limit/i.test(text(first))) {
        const global = property(args[1], 'global');
        if (!global || global.kind !== ts.SyntaxKind.FalseKeyword) globalRateLimit = true;
      }
      if ((verbs.has(method) || method === 'get') && first && ts.isStringLiteralLike(first) && args.length >= 2)
        register(node, method, first.text, args.slice(1), receiver);
      else if (
        (verbs.has(method) || method === 'get') &&
        ts.isCallExpression(receiverNode) &&
        ts.isPropertyAccessExpression(receiverNode.expression) &&
        receiverNode.expression.name.text === 'route' &&
        receiverNode.arguments[0] &&
        ts.isStringLiteralLike(receiverNode.arguments[0])
      )
        register(node, method, receiverNode.arguments[0].text, args, text(receiverNode.expression.expression));
      else if (method === 'route' && first && ts.isObjectLiteralExpression(first)) {
        const url = property(first, 'url') ?? property(first, 'path');
        const verb = property(first, 'method');
        const handler = property(first, 'handler');
        if (url && ts.isStringLiteralLike(url) && handler) {
          const verbText = verb && ts.isStringLiteralLike(verb) ? verb.text : 'POST';
          register(node, verbText, url.text, [first, handler], receiver);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const unlimited = candidates
    .filter(
      (c) =>
        !c.limited &&
        !limitedPrefixes.some((l) => (l.receiver === c.receiver || l.prefix === '') && c.path.startsWith(l.prefix)),
    )
    .map(({ node, method, path }) => ({ node, method, path }));
  return { pathOf, middlewareOf, unlimited, globalRateLimit };
}
