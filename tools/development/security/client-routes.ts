// Front-end routes without guards: Angular route configs (`{ path: 'admin', component }` with no
// canActivate/canMatch/canActivateChild/canLoad on it or an ancestor) and React Router routes
// (route objects for createBrowserRouter/useRoutes and `<Route path element>` elements) whose page
// looks private (admin, account, settings...) but is wrapped in no <RequireAuth>-style element and
// has no loader that checks the user. Judged within the file, and only where the same file guards
// other routes: an app that guards nothing client-side may do it all on the server.
// A client-side guard is not a security boundary, so these are medium severity, low confidence.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';
import { nodeLineText } from './line-text.js';

type Typescript = typeof TS;

// /profile and /users are private as pages of the caller; /profile/:username is someone's public page.
const privatePath =
  /(^|\/)(admin\w*|account|accounts|settings|dashboard|billing|orders|checkout|payments|manage|management|console|wallet)(\/|$)|(^|\/)(profile|me|users)\/?$/i;
const publicPath = /(^|\/)(login|signin|sign-in|signup|sign-up|register|forgot|reset|public|about|help)(\/|$)/i;
const angularGuards = new Set(['canActivate', 'canActivateChild', 'canMatch', 'canLoad']);
const wrapper =
  /<\s*(Require\w*|Protected\w*|Private\w*|\w*Guard|Auth(enticated)?(Route|Wrapper|Gate|Required|Boundary|Layout)?|WithAuth|SignedIn)\b/;
const loaderCheck = /auth|user|session|token|login|sign-?in/i;
const loaderDenies = /redirect|throw|status:\s*40[13]/;

interface ClientRoute {
  path: string;
  line: number;
  evidence: string;
  guarded: boolean;
}

export function clientRouteHits(ts: Typescript, source: TS.SourceFile): PatternHit[] {
  const text = source.text;
  const angular = text.includes('@angular/router');
  const react = /react-router/.test(text);
  if (!angular && !react) return [];
  const lineOf = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const evidenceOf = (node: TS.Node) => nodeLineText(source, node, 200);
  const property = (object: TS.ObjectLiteralExpression, key: string) =>
    object.properties.find(
      (p): p is TS.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === key,
    );
  const routes: ClientRoute[] = [];

  /** The route object (or <Route> element) this one is a child of. */
  const parentRoute = (node: TS.Node): TS.Node | undefined => {
    for (let cursor = node.parent; cursor; cursor = cursor.parent) {
      if (ts.isObjectLiteralExpression(cursor) && property(cursor, 'path')) return cursor;
      if (ts.isObjectLiteralExpression(cursor) && property(cursor, 'children')) return cursor;
      if (ts.isJsxElement(cursor) && cursor.openingElement.tagName.getText(source) === 'Route') return cursor;
    }
    return undefined;
  };
  const ownGuard = (node: TS.Node): boolean => {
    if (ts.isObjectLiteralExpression(node)) {
      if (angular && [...angularGuards].some((key) => property(node, key))) return true;
      const element = property(node, 'element');
      const loader = property(node, 'loader');
      if (element && wrapper.test(element.initializer.getText(source))) return true;
      if (loader && loaderCheck.test(loader.initializer.getText(source)) && loaderDenies.test(loaderText(loader)))
        return true;
      return false;
    }
    const attributes = ts.isJsxElement(node)
      ? node.openingElement.attributes
      : (node as TS.JsxSelfClosingElement).attributes;
    for (const attribute of attributes.properties) {
      if (!ts.isJsxAttribute(attribute) || !attribute.initializer) continue;
      const name = attribute.name.getText(source);
      const value = attribute.initializer.getText(source);
      if (name === 'element' && wrapper.test(value)) return true;
      if (name === 'loader' && loaderCheck.test(value) && loaderDenies.test(value)) return true;
    }
    return false;
  };
  // A loader named by reference: read the function it names, if it is in this file.
  const loaderText = (loader: TS.PropertyAssignment): string => {
    const value = loader.initializer;
    if (!ts.isIdentifier(value)) return value.getText(source);
    const declaration = functions.get(value.text);
    return declaration?.getText(source) ?? '';
  };
  const functions = new Map<string, TS.Node>();
  const collect = (node: TS.Node): void => {
    if (ts.isFunctionDeclaration(node) && node.name) functions.set(node.name.text, node);
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer)
      functions.set(node.name.text, node.initializer);
    ts.forEachChild(node, collect);
  };
  collect(source);

  const pathOf = (node: TS.Node): string | undefined => {
    if (ts.isObjectLiteralExpression(node)) {
      const path = property(node, 'path')?.initializer;
      return path && ts.isStringLiteralLike(path) ? path.text : undefined;
    }
    const attributes = ts.isJsxElement(node)
      ? node.openingElement.attributes
      : (node as TS.JsxSelfClosingElement).attributes;
    for (const attribute of attributes.properties) {
      if (!ts.isJsxAttribute(attribute) || attribute.name.getText(source) !== 'path' || !attribute.initializer)
        continue;
      const init = attribute.initializer;
      if (ts.isStringLiteral(init)) return init.text;
      if (ts.isJsxExpression(init) && init.expression && ts.isStringLiteralLike(init.expression))
        return init.expression.text;
    }
    return undefined;
  };
  const consider = (node: TS.Node, redirect: boolean): void => {
    const own = pathOf(node);
    if (own === undefined) return;
    let path = own;
    let guarded = ownGuard(node);
    for (let parent = parentRoute(node); parent; parent = parentRoute(parent)) {
      const above = pathOf(parent);
      if (above) path = above.endsWith('/') || path.startsWith('/') ? `${above}${path}` : `${above}/${path}`;
      guarded ||= ownGuard(parent);
    }
    if (!redirect) routes.push({ path, line: lineOf(node), evidence: evidenceOf(node), guarded });
  };
  const visit = (node: TS.Node): void => {
    if (ts.isObjectLiteralExpression(node) && property(node, 'path')) {
      const routeLike = ['component', 'loadComponent', 'loadChildren', 'children', 'element', 'Component', 'lazy'].some(
        (key) => property(node, key),
      );
      if (routeLike || property(node, 'redirectTo')) consider(node, property(node, 'redirectTo') !== undefined);
    }
    if (ts.isJsxSelfClosingElement(node) && node.tagName.getText(source) === 'Route') consider(node, false);
    if (ts.isJsxElement(node) && node.openingElement.tagName.getText(source) === 'Route') consider(node, false);
    ts.forEachChild(node, visit);
  };
  visit(source);

  if (!routes.some((route) => route.guarded)) return [];
  return routes
    .filter((route) => !route.guarded && privatePath.test(route.path) && !publicPath.test(route.path))
    .map((route) => ({
      rule: 'unguarded-client-route',
      cwe: 'CWE-862',
      severity: 'medium',
      confidence: 'low',
      line: route.line,
      endLine: route.line,
      evidence: route.evidence,
      message: `the ${angular ? 'Angular' : 'React Router'} route "${route.path}" looks private but has no guard, while other routes in this file have one`,
      fix: {
        description: angular
          ? 'Add canActivate (or canMatch for lazy routes) with the guard the other routes use; the server must still check every request.'
          : 'Wrap the element in the auth wrapper the other routes use (<RequireAuth>), or give the route a loader that redirects anonymous users; the server must still check every request.',
      },
    }));
}
