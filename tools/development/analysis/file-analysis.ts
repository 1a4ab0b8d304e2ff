// Everything learned from one file, as plain JSON so it can be cached by content hash: size,
// metrics per function, taint hits and summaries, pattern hits, Express facts, TODOs, imports and
// exports. Parsing is the TypeScript compiler's (no type checking: a file is analysed on its own).
import type TS from 'typescript';
import path from 'node:path';
import { measureFunctions, type FunctionMetrics } from './function-metrics.js';
import { TaintEngine, type CallRecord, type FunctionSummary, type TaintHit } from '../security/taint-engine.js';
import { checkPatterns, type AppFacts, type PatternHit } from '../security/config-rules.js';
import { checkAuth, type AuthFacts } from '../security/auth-rules.js';
import { checkTemplate, templateExtensions } from '../security/template-rules.js';
import { parseScript } from '../cyclomatic.js';
import type { PyModuleFlow } from '../python/python-flow.js';
import { checkExposure } from '../security/exposure-rules.js';
import { checkXmlParsers } from '../security/xml-rules.js';
import { checkInlineScripts } from '../security/inline-scripts.js';
import { moduleReferences } from './module-references.js';
import { routeInventory, type RouteInventory } from '../security/route-inventory.js';
import { clientRouteHits } from '../security/client-routes.js';

type Typescript = typeof TS;

/** Bump when the analysis changes, so cached results are recomputed. */
export const analysisVersion = 14;

export interface TodoItem {
  line: number;
  tag: string;
  text: string;
}

export interface FileAnalysis {
  file: string;
  language: 'typescript' | 'javascript' | 'template' | 'python';
  lines: number;
  codeLines: number;
  syntaxErrors: number;
  functions: FunctionMetrics[];
  taintHits: TaintHit[];
  summaries: FunctionSummary[];
  calls: CallRecord[];
  /** Exported name → local function (summary) name, for calls from other modules. */
  exportMap?: Record<string, string>;
  patternHits: PatternHit[];
  app?: AppFacts;
  /** Authentication facts judged for the whole project (rate limiters, hashing hooks, pending hits). */
  auth?: AuthFacts;
  /** Routes, mounts and guards, for the project's access-control judgement. */
  access?: RouteInventory;
  todos: TodoItem[];
  /** Module specifiers imported or required, as written. */
  imports: string[];
  exports: string[];
  /** Python only: the data-flow summary the cross-module linker reads. */
  pythonFlow?: PyModuleFlow;
  /** Packages used without an import edge: require.resolve('x'), the JSX runtime. */
  packageUses?: string[];
}

const testFile =
  /(^|\/)(test|tests|__tests__|spec|specs|fixtures?|__mocks__|mocks?|e2e|cypress|seed|seeds)(\/|$)|\.(test|spec|e2e)\.[cm]?[jt]sx?$|(^|\/)(test_[^/]+|[^/]+_test|conftest)\.py$/i;
// The tag must open the comment ("// TODO: x", "/* FIXME(ann) x", "# XXX x"), so prose that merely
// mentions a TODO is not an item.
const todoPattern = /(?:\/\/+|\/\*+|^\*+|#|<!--|\{\{!--)\s*@?(TODO|FIXME|HACK|XXX|BUG)\b[:(\s]?(.*)$/;

export function isTestPath(relative: string): boolean {
  return testFile.test(relative);
}

/** The TODO-style item a comment line opens, if any. */
export function todoIn(line: string, lineNumber: number): TodoItem | undefined {
  if (!(
    line.includes('TODO') ||
    line.includes('FIXME') ||
    line.includes('HACK') ||
    line.includes('XXX') ||
    line.includes('BUG')
  ))
    return undefined;
  const match = todoPattern.exec(line);
  return match
    ? {
        line: lineNumber,
        tag: match[1]!,
        text: match[2]!
          .replace(/\*\/\s*$/, '')
          .trim()
          .slice(0, 200),
      }
    : undefined;
}

function countLines(text: string): { lines: number; codeLines: number; todos: TodoItem[] } {
  let lines = 0;
  let codeLines = 0;
  let inBlock = false;
  const todos: TodoItem[] = [];
  let start = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    const line = text.slice(start, end).trim();
    lines++;
    if (line.length > 0) {
      let code = false;
      if (inBlock) {
        if (line.includes('*/')) {
          inBlock = false;
          code = !line.endsWith('*/');
        }
      } else if (line.startsWith('//')) {
        code = false;
      } else if (line.startsWith('/*')) {
        inBlock = !line.includes('*/');
      } else {
        code = true;
      }
      if (code) codeLines++;
      const todo = todoIn(line, lines);
      if (todo) todos.push(todo);
    }
    if (end === length) break;
    start = end + 1;
  }
  return { lines, codeLines, todos };
}

function importsAndExports(ts: Typescript, source: TS.SourceFile): { imports: string[]; exports: string[] } {
  const imports = new Set<string>();
  const exports = new Set<string>();
  const exported = (node: TS.Node) =>
    (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some(
      (m) => m.kind === ts.SyntaxKind.ExportKeyword,
    ) === true;
  const visit = (node: TS.Node): void => {
    // new URL('./worker.js', import.meta.url): a worker or asset loaded relative to this module.
    if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'URL' &&
      node.arguments?.length === 2 &&
      ts.isStringLiteralLike(node.arguments[0]!) &&
      node.arguments[0].text.startsWith('.') &&
      node.arguments[1]!.getText(source) === 'import.meta.url'
    ) {
      imports.add(node.arguments[0].text);
    }
    if (ts.isExportDeclaration(node) && node.exportClause && ts.isNamedExports(node.exportClause))
      for (const element of node.exportClause.elements) exports.add(element.name.text);
    if (ts.isExportAssignment(node)) exports.add('default');
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isEnumDeclaration(node)) &&
      exported(node)
    ) {
      const isDefault = ts.getModifiers(node)?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
      exports.add(isDefault ? 'default' : (node.name?.text ?? 'default'));
    }
    if (ts.isVariableStatement(node) && exported(node)) {
      for (const declaration of node.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) exports.add(declaration.name.text);
    }
    // CommonJS: module.exports = ..., exports.x = ..., module.exports.x = ...
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(node.left)
    ) {
      const left = node.left.getText(source);
      if (left === 'module.exports') exports.add('default');
      else if (/^(module\.)?exports\.\w+$/.test(left)) exports.add(node.left.name.text);
    }
    if (
      ts.isModuleBlock(node) ||
      ts.isSourceFile(node) ||
      ts.isExpressionStatement(node) ||
      ts.isBinaryExpression(node) ||
      ts.isCallExpression(node) ||
      ts.isVariableStatement(node) ||
      ts.isVariableDeclarationList(node) ||
      ts.isVariableDeclaration(node) ||
      ts.isNewExpression(node) ||
      ts.isAwaitExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isBlock(node) ||
      ts.isIfStatement(node)
    ) {
      ts.forEachChild(node, visit);
    }
  };
  visit(source);
  return { imports: [...imports], exports: [...exports] };
}

export function analyzeScript(ts: Typescript, relative: string, text: string): FileAnalysis {
  const source = parseScript(ts, relative, text);
  const diagnostics = (source as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  const counted = countLines(text);
  const taint = new TaintEngine(ts, source).run();
  const patterns = checkPatterns(ts, source, { isTestFile: isTestPath(relative) });
  const auth = checkAuth(ts, source, { isTestFile: isTestPath(relative) });
  const { imports: assetImports, exports } = importsAndExports(ts, source);
  const references = moduleReferences(ts, source);
  const imports = [...new Set([...references.imports, ...assetImports])];
  const access = isTestPath(relative) ? undefined : routeInventory(ts, source);
  const extension = path.extname(relative).toLowerCase();
  return {
    file: relative,
    language: ['.ts', '.tsx', '.mts', '.cts'].includes(extension) ? 'typescript' : 'javascript',
    lines: counted.lines,
    codeLines: counted.codeLines,
    syntaxErrors: diagnostics.length,
    functions: measureFunctions(ts, source),
    taintHits: isTestPath(relative) ? [] : taint.hits,
    summaries: taint.summaries,
    calls: taint.calls,
    ...(Object.keys(taint.exports).length > 0 ? { exportMap: taint.exports } : {}),
    patternHits: [
      ...patterns.hits,
      ...checkExposure(ts, source, { isTestFile: isTestPath(relative) }),
      ...checkXmlParsers(ts, source),
      ...auth.hits,
      ...(isTestPath(relative) ? [] : clientRouteHits(ts, source)),
    ],
    ...(auth.facts ? { auth: auth.facts } : {}),
    ...(patterns.app.expressApps.length > 0 ||
    patterns.app.usesHelmet ||
    patterns.app.usesCsrf ||
    patterns.app.disablesPoweredBy ||
    patterns.app.stateChangingRoutes > 0 ||
    patterns.app.usesSession
      ? { app: patterns.app }
      : {}),
    ...(access ? { access } : {}),
    todos: counted.todos,
    imports,
    exports,
    ...(references.packageUses.length > 0 ? { packageUses: references.packageUses } : {}),
  };
}

export function analyzeTemplate(relative: string, text: string, ts?: Typescript): FileAnalysis {
  const counted = countLines(text);
  const extension = path.extname(relative).toLowerCase();
  return {
    file: relative,
    language: 'template',
    lines: counted.lines,
    codeLines: counted.codeLines,
    syntaxErrors: 0,
    functions: [],
    taintHits: [],
    summaries: [],
    calls: [],
    patternHits: [...checkTemplate(extension, text), ...(ts ? checkInlineScripts(ts, extension, text) : [])],
    todos: counted.todos,
    imports: [],
    exports: [],
  };
}

export function isTemplatePath(relative: string): boolean {
  return templateExtensions.has(path.extname(relative).toLowerCase());
}
