// One file's part of the route inventory, as plain JSON so it can be cached: the routes each
// receiver (an Express app or router, a Koa router, a Fastify instance or plugin) declares, with
// the middleware in front of each; the middleware and routers mounted on each receiver (`use`,
// Fastify `register` and hooks); which receiver the module exports; the guard functions it
// defines; and the request fields a middleware fills in from the session. access-rules.ts joins
// the files into mount trees and judges the guards.
import type TS from 'typescript';
import { buildImportMap } from './import-map.js';
import { guardOf, handlerFacts, requestLike, type GuardKind, type HandlerFacts } from './guard-shapes.js';
import { nodeLineText } from './line-text.js';

export type { GuardKind, HandlerFacts };

type Typescript = typeof TS;

/** A middleware or router reference: its text, and the module it was imported from, if any. */
export interface Reference {
  text: string;
  module?: string;
  member?: string;
  /** What a function defined in this file does, judged by its body. */
  local?: GuardKind;
  /** The literal arguments of a middleware factory call. */
  args?: string;
  /** A router or plugin defined in this file: its receiver key. */
  receiver?: string;
}

export interface RouteFact extends HandlerFacts {
  receiver: string;
  method: string;
  path: string;
  line: number;
  evidence: string;
  chain: Reference[];
  /** The handler's body is in this file, so its own checks can be read. */
  handlerVisible: boolean;
  /** The last function calls next(): a middleware for this path, the real handler comes later. */
  passThrough?: boolean;
  /** A handler defined elsewhere (`users.remove`, an imported controller), to be read there. */
  handlerRef?: Reference;
}

export interface MountFact {
  receiver: string;
  line: number;
  path: string;
  chain: Reference[];
  targets: Reference[];
  /** Fastify hooks apply to every route of the instance, wherever they are added. */
  hook?: boolean;
  /** `routes(app)`: a function given the receiver; only a resolved target counts. */
  call?: boolean;
}

export interface RouteInventory {
  routes: RouteFact[];
  mounts: MountFact[];
  /** Receivers created here as an application (express(), new Koa(), fastify()). */
  apps: string[];
  /** Receivers created here as a router (express.Router(), new Router()). */
  routers: string[];
  /** Receiver key of what the module exports (a router, or the app parameter of an exported function). */
  exported?: string;
  /** Guard functions defined here, by name. */
  guards: Record<string, GuardKind>;
  /** Request handlers defined here, by name, with what their bodies check. */
  handlers: Record<string, HandlerFacts>;
  /** Request fields that a middleware sets from the session (`req.body.userId = req.session.userId`). */
  serverSet: string[];
}

const verbs = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'all']);
export function routeInventory(ts: Typescript, source: TS.SourceFile): RouteInventory | undefined {
  const text = source.text;
  if (
    !/\.(get|post|put|patch|delete|del|all|route|use|register|addHook)\s*\(|\b40[13]\b|ctx\.throw|jwtVerify|\(\s*(req|request|ctx)\b/.test(
      text,
    )
  )
    return undefined;
  const imports = buildImportMap(ts, source);
  const inventory: RouteInventory = {
    routes: [],
    mounts: [],
    apps: [],
    routers: [],
    guards: {},
    handlers: {},
    serverSet: [],
  };
  const routers = new Map<string, string>(); // receiver key -> prefix
  const functions = new Map<string, TS.Node>(); // local function name -> node
  const lineOf = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const linesOf = (node: TS.Node): [number, number] => [
    lineOf(node),
    source.getLineAndCharacterOfPosition(node.getEnd()).line + 1,
  ];
  const evidenceOf = (node: TS.Node) => nodeLineText(source, node, 200);

  // Local functions, and the guards among them.
  const collect = (node: TS.Node): void => {
    let name: string | undefined;
    let fn: TS.Node | undefined;
    if (ts.isFunctionDeclaration(node) && node.name) [name, fn] = [node.name.text, node];
    else if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    )
      [name, fn] = [node.name.text, node.initializer];
    else if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'decorate' &&
      node.arguments.length === 2 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    )
      [name, fn] = [node.arguments[0].text, node.arguments[1]];
    else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      /^(module\.)?exports\.\w+$/.test(node.left.getText(source)) &&
      (ts.isArrowFunction(node.right) || ts.isFunctionExpression(node.right))
    )
      [name, fn] = [node.left.name.text, node.right];
    if (name && fn) {
      functions.set(name, fn);
      const kind = guardOf(ts, fn, source);
      if (kind !== 'none') inventory.guards[name] = kind;
      const first = ts.isFunctionLike(fn) ? (fn.parameters[0]?.name.getText(source) ?? '') : '';
      if (requestLike.test(first))
        inventory.handlers[name] = { ...handlerFacts(fn.getText(source)), lines: linesOf(fn) };
    }
    ts.forEachChild(node, collect);
  };
  collect(source);

  /** The key of a receiver: a parameter of an enclosing function is scoped to that function. */
  const receiverKey = (node: TS.Expression): string => {
    const name = node.getText(source);
    if (!ts.isIdentifier(node)) return name;
    for (let parent: TS.Node | undefined = node.parent; parent; parent = parent.parent)
      if (ts.isFunctionLike(parent) && parent.parameters.some((p) => p.name.getText(source) === name))
        return `${lineOf(parent)}:${name}`;
    return name;
  };
  const reference = (node: TS.Expression): Reference => {
    const textOf = ts.isCallExpression(node)
      ? `${node.expression.getText(source)}(…)`
      : node.getText(source).slice(0, 60);
    const isRequire = (n: TS.Expression): boolean =>
      ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'require';
    let root: TS.Expression = ts.isCallExpression(node) && !isRequire(node) ? node.expression : node;
    // koaRouter.routes(), adminRouter.allowedMethods()
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      /^(routes|middleware)$/.test(node.expression.name.text)
    )
      root = node.expression.expression;
    const base = ts.isPropertyAccessExpression(root) ? root.expression : root;
    const reference: Reference = { text: textOf };
    // requireRole('admin'), authorize(['admin']): the arguments say which check it is.
    if (ts.isCallExpression(node)) {
      const args = node.arguments.map((a) => a.getText(source)).join(', ');
      if (/['"`]/.test(args)) reference.args = args.slice(0, 80);
    }
    if (isRequire(root) && ts.isCallExpression(root)) {
      const specifier = root.arguments[0];
      if (specifier && ts.isStringLiteralLike(specifier)) reference.module = specifier.text;
      reference.member = '*';
      return reference;
    }
    if (ts.isIdentifier(base)) {
      const binding = imports.get(base.text);
      if (binding) {
        reference.module = binding.module;
        reference.member = ts.isPropertyAccessExpression(root) ? root.name.text : binding.member;
      }
      const key = receiverKey(base);
      if (routers.has(key) || inventory.apps.includes(key)) reference.receiver = key;
    }
    if (ts.isIdentifier(root) && functions.has(root.text)) {
      const fn = functions.get(root.text)!;
      reference.local = inventory.guards[root.text] ?? 'none';
      if (ts.isFunctionLike(fn) && fn.parameters[0])
        reference.receiver = `${lineOf(fn)}:${fn.parameters[0].name.getText(source)}`;
    }
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) reference.local = guardOf(ts, node, source);
    return reference;
  };
  const chainOf = (nodes: readonly TS.Expression[]): Reference[] =>
    nodes.flatMap((n) => (ts.isArrayLiteralExpression(n) ? chainOf(n.elements) : [reference(n)]));
  const option = (object: TS.ObjectLiteralExpression, key: string) =>
    object.properties.find(
      (p): p is TS.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === key,
    )?.initializer;
  const hooksOf = (object: TS.ObjectLiteralExpression) =>
    ['onRequest', 'preValidation', 'preHandler'].flatMap((key) => {
      const value = option(object, key);
      return value ? chainOf([value]) : [];
    });
  const addRoute = (
    receiver: TS.Expression,
    method: string,
    path: string,
    node: TS.Node,
    chain: Reference[],
    handler: TS.Expression | undefined,
  ) => {
    let body: TS.Node | undefined;
    if (handler && (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler))) body = handler;
    else if (handler && ts.isIdentifier(handler)) body = functions.get(handler.text);
    const handlerText = body?.getText(source) ?? '';
    const key = receiverKey(receiver);
    const facts = body ? { ...handlerFacts(handlerText), lines: linesOf(body) } : handlerFacts(handlerText);
    inventory.routes.push({
      ...(body === undefined && handler && !ts.isObjectLiteralExpression(handler)
        ? { handlerRef: reference(handler) }
        : {}),
      receiver: key,
      method: method === 'del' ? 'DELETE' : method.toUpperCase(),
      path: (routers.get(key) ?? '') + path,
      line: lineOf(node),
      evidence: evidenceOf(node),
      chain,
      handlerVisible: body !== undefined,
      // app.post('/x', (req, res, next) => { …; next() }): a middleware registered for one route, not its handler.
      ...(body && ts.isFunctionLike(body) && body.parameters.length >= 3 && /\bnext\(\s*\)/.test(handlerText)
        ? { passThrough: true }
        : {}),
      ...facts,
    });
  };

  // module.exports = function () { router.get(…); return router }: the module exports that router.
  const returnedRouter = (fn: TS.Node): string | undefined => {
    let found: string | undefined;
    const look = (node: TS.Node): void => {
      if (found || (node !== fn && ts.isFunctionLike(node))) return;
      if (ts.isReturnStatement(node) && node.expression && ts.isIdentifier(node.expression)) {
        const key = receiverKey(node.expression);
        if (routers.has(key)) found = key;
      }
      ts.forEachChild(node, look);
    };
    look(fn);
    return found;
  };
  const visit = (node: TS.Node): void => {
    // Receivers: const app = express(); const router = express.Router(); new Router({ prefix }).
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      let init: TS.Expression = node.initializer;
      while (ts.isAwaitExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
      if (ts.isCallExpression(init) || ts.isNewExpression(init)) {
        const callee = init.expression.getText(source);
        const key = receiverKey(node.name);
        if (
          /^(express|koa|Koa|fastify|Fastify|polka|Hono|restify\.createServer|require\(['"](express|koa|fastify)['"]\))$/.test(
            callee,
          )
        )
          inventory.apps.push(key);
        else if (/(^|\.)Router$|^(KoaRouter|koaRouter|createRouter)$/.test(callee)) {
          const first = init.arguments?.[0];
          const prefix = first && ts.isObjectLiteralExpression(first) ? option(first, 'prefix') : undefined;
          routers.set(key, prefix && ts.isStringLiteralLike(prefix) ? prefix.text : '');
          inventory.routers.push(key);
        }
      }
    }
    // Exports: module.exports = router; export default router; module.exports = function (app) {…}.
    let exported: TS.Expression | undefined;
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      node.left.getText(source) === 'module.exports'
    )
      exported = node.right;
    if (ts.isExportAssignment(node)) exported = node.expression;
    if (
      ts.isFunctionDeclaration(node) &&
      ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword) &&
      node.parameters[0]
    )
      inventory.exported = `${lineOf(node)}:${node.parameters[0].name.getText(source)}`;
    if (exported) {
      while (
        ts.isCallExpression(exported) &&
        exported.arguments.length === 1 &&
        /^(fp|fastifyPlugin)$/.test(exported.expression.getText(source))
      )
        exported = exported.arguments[0]!;
      const fn = ts.isIdentifier(exported) ? functions.get(exported.text) : exported;
      const returned = fn && ts.isFunctionLike(fn) ? returnedRouter(fn) : undefined;
      if (returned) inventory.exported = returned;
      else if (ts.isIdentifier(exported)) {
        if (fn && ts.isFunctionLike(fn) && fn.parameters[0])
          inventory.exported = `${lineOf(fn)}:${fn.parameters[0].name.getText(source)}`;
        else if (inventory.guards[exported.text]) inventory.guards.default = inventory.guards[exported.text]!;
        else inventory.exported = receiverKey(exported);
      } else if ((ts.isArrowFunction(exported) || ts.isFunctionExpression(exported)) && exported.parameters[0]) {
        const kind = guardOf(ts, exported, source);
        if (kind !== 'none') inventory.guards.default = kind;
        else inventory.exported = `${lineOf(exported)}:${exported.parameters[0].name.getText(source)}`;
      }
    }
    // A middleware that fills a request field from the session: req.body.userId = req.session.userId.
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left) &&
      /^(req|request|ctx\.request)\.(body|query|params)\.\w+$/.test(node.left.getText(source)) &&
      /\b(req|request|ctx)\.(session|user|auth|state)\b|\bres\.locals\b|token|jwt|claims|decoded|authenticated/i.test(
        node.right.getText(source),
      )
    ) {
      const [, part, key] = /\.(body|query|params)\.(\w+)$/.exec(node.left.getText(source))!;
      inventory.serverSet.push(`${part}.${key}`);
    }
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) call(node, node.expression);
    // routes(app), require('./admin')(router): a function that declares routes on the receiver it is given.
    if (
      ts.isCallExpression(node) &&
      (ts.isIdentifier(node.expression) || ts.isCallExpression(node.expression)) &&
      node.expression.getText(source) !== 'require' &&
      node.arguments.length >= 1 &&
      ts.isIdentifier(node.arguments[0]!)
    )
      inventory.mounts.push({
        receiver: receiverKey(node.arguments[0]),
        line: lineOf(node),
        path: '',
        chain: [reference(node.expression)],
        targets: [],
        call: true,
      });
    ts.forEachChild(node, visit);
  };

  const call = (node: TS.CallExpression, callee: TS.PropertyAccessExpression) => {
    const method = callee.name.text;
    let receiver = callee.expression;
    const args = node.arguments;
    const first = args[0];
    if (method === 'use' && args.length > 0) {
      const path = first && ts.isStringLiteralLike(first) ? first.text : '';
      const rest = path || (first && ts.isStringLiteralLike(first)) ? args.slice(1) : args;
      // A Koa router's prefix applies to what it mounts too: new Router({ prefix: '/admin' }).use('/reports', …).
      inventory.mounts.push({
        receiver: receiverKey(receiver),
        line: lineOf(node),
        path: (routers.get(receiverKey(receiver)) ?? '') + path,
        chain: chainOf(rest),
        targets: [],
      });
      return;
    }
    if (method === 'register' && first) {
      const options = args[1] && ts.isObjectLiteralExpression(args[1]) ? args[1] : undefined;
      const prefix = options ? option(options, 'prefix') : undefined;
      inventory.mounts.push({
        receiver: receiverKey(receiver),
        line: lineOf(node),
        path: prefix && ts.isStringLiteralLike(prefix) ? prefix.text : '',
        chain: [],
        // fastify.register(async (instance) => { … }): the plugin's routes are on its parameter.
        targets: [
          (ts.isArrowFunction(first) || ts.isFunctionExpression(first)) && first.parameters[0]
            ? { text: '(plugin)', receiver: `${lineOf(first)}:${first.parameters[0].name.getText(source)}` }
            : reference(first),
        ],
      });
      return;
    }
    if (
      method === 'addHook' &&
      first &&
      ts.isStringLiteralLike(first) &&
      /^(onRequest|preValidation|preHandler)$/.test(first.text) &&
      args[1]
    ) {
      inventory.mounts.push({
        receiver: receiverKey(receiver),
        line: 0,
        path: '',
        chain: chainOf([args[1]]),
        targets: [],
        hook: true,
      });
      return;
    }
    if (method === 'route' && first && ts.isObjectLiteralExpression(first)) {
      const url = option(first, 'url') ?? option(first, 'path');
      const verb = option(first, 'method');
      if (url && ts.isStringLiteralLike(url))
        addRoute(
          receiver,
          verb && ts.isStringLiteralLike(verb) ? verb.text : 'GET',
          url.text,
          node,
          hooksOf(first),
          option(first, 'handler'),
        );
      return;
    }
    if (!verbs.has(method)) return;
    let path: string | undefined;
    let handlers: readonly TS.Expression[] = [];
    if (first && ts.isStringLiteralLike(first) && args.length >= 2) {
      path = first.text;
      handlers = args.slice(1);
    } else if (
      ts.isCallExpression(receiver) &&
      ts.isPropertyAccessExpression(receiver.expression) &&
      receiver.expression.name.text === 'route' &&
      receiver.arguments[0] &&
      ts.isStringLiteralLike(receiver.arguments[0])
    ) {
      path = receiver.arguments[0].text;
      handlers = args;
      receiver = receiver.expression.expression;
    }
    if (path === undefined || handlers.length === 0) return;
    const chain: Reference[] = [];
    for (const handler of handlers.slice(0, -1)) {
      if (ts.isObjectLiteralExpression(handler)) chain.push(...hooksOf(handler));
      else chain.push(...chainOf([handler]));
    }
    addRoute(receiver, method, path, node, chain, handlers[handlers.length - 1]);
  };
  visit(source);
  if (inventory.routes.length === 0 && inventory.mounts.length === 0 && inventory.serverSet.length === 0)
    return Object.keys(inventory.guards).length > 0 || Object.keys(inventory.handlers).length > 0
      ? inventory
      : undefined;
  return inventory;
}
