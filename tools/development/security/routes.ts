// The HTTP routes a TS/JS file declares: Express/Koa-router/Fastify style registrations
// (`app.post('/x', auth, handler)`, `router.route('/x').get(h)`, `fastify.route({ method, url })`)
// and Next.js route handlers (app/**/route.ts exporting GET/POST..., pages/api/**), with the
// middleware in front of each and whether any of it looks like authentication.
import type TS from 'typescript';
import { parseScript } from '../cyclomatic.js';

export interface Route {
  method: string;
  path: string;
  line: number;
  middleware: string[];
  handler: string;
  authenticated: boolean;
}

const verbs = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all', 'options', 'head']);
export const authName =
  /auth|login|jwt|passport|session|protect|require(d)?(User|Login|Role|Admin)|guard|verify|ensure|isAdmin|isLogged|permission|acl|rbac|authorize|can[A-Z]/i;

export function routesOf(ts: typeof TS, file: string, text: string): Route[] {
  const source = parseScript(ts, file, text);
  const routes: Route[] = [];
  const lineOf = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const nameOf = (node: TS.Expression): string =>
    ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)
      ? node.getText(source)
      : ts.isCallExpression(node)
        ? `${node.expression.getText(source)}(…)`
        : ts.isArrowFunction(node) || ts.isFunctionExpression(node)
          ? '(inline)'
          : node.getText(source).slice(0, 40);
  // Middleware installed on a receiver before its routes (router.use(requireLogin)) guards them.
  const guarded = new Map<string, number>();
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text.toLowerCase();
      const receiver = node.expression.expression;
      const first = node.arguments[0];
      if (
        method === 'use' &&
        first &&
        !ts.isStringLiteralLike(first) &&
        node.arguments.some((a) => authName.test(nameOf(a)))
      )
        guarded.set(receiver.getText(source), lineOf(node));
      if (
        method === 'use' &&
        first &&
        ts.isStringLiteralLike(first) &&
        node.arguments.slice(1).some((a) => authName.test(nameOf(a)))
      )
        guarded.set(`${receiver.getText(source)} ${first.text}`, lineOf(node));
      let path: string | undefined;
      let handlers: readonly TS.Expression[] = [];
      if (
        verbs.has(method) &&
        first &&
        (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first)) &&
        node.arguments.length >= 2
      ) {
        path = ts.isStringLiteralLike(first) ? first.text : first.getText(source);
        handlers = node.arguments.slice(1);
      } else if (
        verbs.has(method) &&
        ts.isCallExpression(receiver) &&
        ts.isPropertyAccessExpression(receiver.expression) &&
        receiver.expression.name.text === 'route' &&
        receiver.arguments[0] &&
        ts.isStringLiteralLike(receiver.arguments[0])
      ) {
        path = receiver.arguments[0].text;
        handlers = node.arguments;
      } else if (method === 'route' && first && ts.isObjectLiteralExpression(first)) {
        const property = (key: string) =>
          first.properties.find(
            (p): p is TS.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === key,
          )?.initializer;
        const url = property('url') ?? property('path');
        const verb = property('method');
        if (url && ts.isStringLiteralLike(url)) {
          path = url.text;
          const pre = property('preHandler') ?? property('onRequest');
          handlers = [...(pre ? [pre] : []), ...(property('handler') ? [property('handler')!] : [])];
          routes.push(
            route(
              verb && ts.isStringLiteralLike(verb) ? verb.text.toUpperCase() : (verb?.getText(source) ?? 'GET'),
              path,
              node,
              handlers,
              receiver,
            ),
          );
          path = undefined;
        }
      }
      if (path !== undefined && handlers.length > 0)
        routes.push(
          route(
            method === 'del' ? 'DELETE' : method.toUpperCase(),
            path,
            node,
            handlers,
            ts.isCallExpression(receiver) ? (receiver.expression as TS.PropertyAccessExpression).expression : receiver,
          ),
        );
    }
    ts.forEachChild(node, visit);
  };
  const route = (
    method: string,
    path: string,
    node: TS.CallExpression,
    handlers: readonly TS.Expression[],
    receiver: TS.Expression,
  ): Route => {
    const names = handlers.map(nameOf);
    const middleware = names.slice(0, -1).flatMap((n) => n.split(/\s*,\s*/));
    const receiverText = receiver.getText(source);
    const line = lineOf(node);
    const inherited = [...guarded.entries()].some(
      ([key, at]) =>
        at < line &&
        (key === receiverText ||
          (key.startsWith(`${receiverText} `) && path.startsWith(key.slice(receiverText.length + 1)))),
    );
    return {
      method,
      path,
      line,
      middleware,
      handler: names[names.length - 1] ?? '?',
      authenticated: inherited || middleware.some((m) => authName.test(m)),
    };
  };
  visit(source);
  // Next.js: app/**/route.ts exports GET/POST...; pages/api/** default-exports a handler for every method.
  const appRoute = /(^|\/)app\/(.*)\/route\.[cm]?[jt]sx?$/.exec(file);
  const pagesApi = /(^|\/)pages\/(api\/.*?)(\/index)?\.[cm]?[jt]sx?$/.exec(file);
  if (appRoute || pagesApi) {
    const urlPath = `/${(appRoute ? appRoute[2]! : pagesApi![2]!)
      .replace(/\[\.{3}(\w+)\]/g, '*$1')
      .replace(/\[(\w+)\]/g, ':$1')
      .replace(/\([^)]*\)\/?/g, '')}`;
    const authInFile = /getServerSession|auth\(\)|getToken|currentUser|clerk|withAuth|requireAuth/i.test(text);
    for (const statement of source.statements) {
      const exported = (ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined)?.some(
        (m) => m.kind === ts.SyntaxKind.ExportKeyword,
      );
      if (!exported) continue;
      const names =
        ts.isFunctionDeclaration(statement) && statement.name
          ? [statement.name.text]
          : ts.isVariableStatement(statement)
            ? statement.declarationList.declarations.map((d) => d.name.getText(source))
            : [];
      const isDefault = (ts.getModifiers(statement as TS.HasModifiers) ?? []).some(
        (m) => m.kind === ts.SyntaxKind.DefaultKeyword,
      );
      for (const name of names)
        if (appRoute && /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(name))
          routes.push({
            method: name,
            path: urlPath,
            line: lineOf(statement),
            middleware: [],
            handler: name,
            authenticated: authInFile,
          });
      if (pagesApi && isDefault)
        routes.push({
          method: 'ALL',
          path: urlPath,
          line: lineOf(statement),
          middleware: [],
          handler: names[0] ?? 'default',
          authenticated: authInFile,
        });
    }
  }
  return routes;
}
