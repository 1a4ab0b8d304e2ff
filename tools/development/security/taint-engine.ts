// Intra-procedural taint tracking over the TypeScript AST, with function summaries for the
// inter-procedural step. Each function is walked once in source order with a name-based
// environment (closures see their parents'); request data is a source; a dangerous call whose
// argument is still tainted for its sink class is a finding. Parameters are tracked symbolically,
// so each named function also yields a summary — "parameter 1 reaches a SQL sink at line 40" —
// and calls with tainted arguments are recorded; the project step (taint-linker.ts) joins them
// across functions and files.
import type TS from 'typescript';
import { sinkClasses, allSinkBits, bitsOf, type SinkClassName } from './sink-classes.js';
import { sinksForCall, type CallSite, type SinkSpec } from './sink-rules.js';
import { objectArgumentKeys } from './call-options.js';
import { buildImportMap, requiredModule, type ImportMap } from './import-map.js';
import {
  browserSources,
  identityParts,
  isRouteRegistration,
  requestMethods,
  requestParameter,
  requestParts,
} from './request-sources.js';
import {
  cleared,
  derived,
  emptyValue,
  liveFor,
  unionTaint,
  type Origin,
  type Taint,
  type Value,
} from './taint-value.js';
import { sanitiserFor } from './sanitisers.js';
import { archiveCallback, archiveSource, urlAttribute, urlProperty } from './sink-extras.js';
import { exits, guardOf } from './guards.js';
import { moduleExports, type ExportMap } from './module-exports.js';
import {
  databaseCallback,
  databaseRead,
  databaseValue,
  isCollectionHandle,
  recordReturn,
  whereMask,
} from './module-flow.js';
import { checksOwnership } from './ownership.js';

type Typescript = typeof TS;

export interface SinkReach {
  param: number;
  cls: SinkClassName;
  line: number;
  endLine: number;
  evidence: string;
  what: string;
  /** Operator injection needs a JSON/query-string object, so only body and query sources count. */
  needsObject?: boolean;
  /** Mass assignment needs the whole object, not one field. */
  needsWhole?: boolean;
  /** The file of the sink when it is not the summarised function's own (a reach through a call). */
  file?: string;
  /** A $where clause: JavaScript, so a string conversion that rules out operators does not clear it. */
  where?: boolean;
}

export interface FunctionSummary {
  name: string;
  line: number;
  paramCount: number;
  reaches: SinkReach[];
  returnsParams: number;
  /** Sink-class bits cleared on every return of a parameter (a helper that sanitises). */
  returnCleared?: number;
}

export interface ArgumentTaint {
  origin?: Origin;
  params: number;
  cleared: number;
  wholeParams: number;
}

export interface CallRecord {
  callee: string;
  line: number;
  /** The enclosing named function, so a parameter-to-parameter flow extends its summary. */
  enclosing?: string;
  args: (ArgumentTaint | null)[];
  /** A relative module specifier the callee was imported from (`./dao`), and its exported member. */
  module?: string;
  member?: string;
  /** A plain call (`f(x)`, not `obj.f(x)`): an unknown one passes its arguments' taint through. */
  free?: boolean;
}

export interface TaintHit {
  cls: SinkClassName;
  line: number;
  endLine: number;
  evidence: string;
  what: string;
  origin: Origin;
  /** Set for a rule variant: operator injection, $where, IDOR. */
  variant?: string;
}

export interface TaintResult {
  hits: TaintHit[];
  summaries: FunctionSummary[];
  calls: CallRecord[];
  /** Exported name → local function name, for calls from other modules. */
  exports: ExportMap;
}

interface Scope {
  vars: Map<string, Value>;
  parent?: Scope;
  /** The function this scope belongs to; parameter bits are only meaningful inside it. */
  owner?: TS.Node;
}

interface FnState {
  scope: Scope;
  /** Parameters of this function: when it has some, outer functions' parameter bits are hidden. */
  parameterCount: number;
  name?: string;
  summary?: FunctionSummary;
  conditional: number;
  handler?: HandlerState;
  returned?: Value;
}

interface HandlerState {
  identityUsed: boolean;
  candidates: { line: number; endLine: number; evidence: string; origin: Origin }[];
}

const idLike = /^(id|_id|uid|ids)$|Id$|_id$|^(user|account|owner|customer|order|profile)$/;
const dataAccess =
  /^(find|get|fetch|load|read|update|delete|remove|destroy|query|select|save|modify|patch|upsert|lookup)/i;
const dataReceiver =
  /(dao|model|repo|repository|service|store|db|database|collection|table|users?|accounts?|orders?|profiles?|knex|prisma|sequelize|mongoose)$/i;
const stringMethods = new Set([
  'concat',
  'trim',
  'trimStart',
  'trimEnd',
  'toLowerCase',
  'toUpperCase',
  'slice',
  'substring',
  'substr',
  'split',
  'join',
  'padStart',
  'padEnd',
  'repeat',
  'replace',
  'replaceAll',
  'normalize',
  'at',
  'charAt',
  'toLocaleLowerCase',
  'toLocaleUpperCase',
  'map',
  'filter',
  'flat',
  'reduce',
  'find',
  'pop',
  'shift',
  'reverse',
  'sort',
  'values',
  'entries',
  'keys',
  'then',
  'valueOf',
  'toJSON',
  'format',
  'read',
]);
const stringOutputMethods = new Set([
  'toString',
  'join',
  'concat',
  'trim',
  'toLowerCase',
  'toUpperCase',
  'slice',
  'substring',
  'substr',
  'padStart',
  'padEnd',
  'replace',
  'replaceAll',
  'normalize',
]);
const booleanMethods = new Set([
  'includes',
  'startsWith',
  'endsWith',
  'test',
  'indexOf',
  'lastIndexOf',
  'localeCompare',
  'search',
  'has',
  'hasOwnProperty',
  'isArray',
  'isInteger',
  'isNaN',
  'isFinite',
  'every',
  'some',
  'length',
  'findIndex',
]);
const propagatingFunctions = new Set([
  'String',
  'decodeURIComponent',
  'decodeURI',
  'unescape',
  'JSON.parse',
  'Buffer.from',
  'Buffer',
  'path.join',
  'path.resolve',
  'path.normalize',
  'util.format',
  'format',
  'Object.assign',
  'Object.values',
  'Object.keys',
  'Array.from',
  'url.parse',
  'URL',
  'querystring.parse',
  'qs.parse',
  'atob',
  'btoa',
  'vm.createContext',
]);

export class TaintEngine {
  private readonly imports: ImportMap;
  private readonly hits: TaintHit[] = [];
  private readonly summaries: FunctionSummary[] = [];
  private readonly calls: CallRecord[] = [];
  private readonly seenHits = new Set<string>();

  constructor(
    private readonly ts: Typescript,
    private readonly source: TS.SourceFile,
  ) {
    this.imports = buildImportMap(ts, source);
  }

  run(): TaintResult {
    const state: FnState = { scope: { vars: new Map() }, conditional: 0, parameterCount: 0 };
    this.statements(this.source.statements, state);
    return {
      hits: this.hits,
      summaries: this.summaries,
      calls: this.calls,
      exports: moduleExports(this.ts, this.source),
    };
  }

  // ---- functions ---------------------------------------------------------------------------

  private analyzeFunction(
    fn: TS.SignatureDeclaration & { body?: TS.Node },
    outer: FnState,
    options: { name?: string; routeCall?: boolean; exportedName?: string; seed?: Value; bindings?: Map<number, Value> },
  ): Value | undefined {
    const ts = this.ts;
    if (!fn.body) return undefined;
    const scope: Scope = { vars: new Map(), parent: outer.scope, owner: fn };
    const summary: FunctionSummary | undefined = options.name
      ? {
          name: options.name,
          line: this.lineOf(fn.getStart(this.source)),
          paramCount: fn.parameters.length,
          reaches: [],
          returnsParams: 0,
        }
      : undefined;
    const request = requestParameter(ts, fn, options.routeCall === true, options.exportedName);
    const handler: HandlerState | undefined = request ? { identityUsed: false, candidates: [] } : outer.handler;
    const state: FnState = {
      scope,
      conditional: 0,
      parameterCount: fn.parameters.length,
      ...(options.name ? { name: options.name } : {}),
      ...(summary ? { summary } : {}),
      ...(handler ? { handler } : {}),
    };
    fn.parameters.forEach((parameter, index) => {
      if (request && index === request.index) {
        this.bindRequestParameter(parameter.name, request.kind, state);
        return;
      }
      const bound = options.bindings?.get(index) ?? (index === 0 ? options.seed : undefined);
      if (bound) {
        this.bind(parameter.name, bound, state);
        return;
      }
      const value = emptyValue();
      if (index < 31) value.taint = { params: 1 << index, cleared: 0, wholeParams: 1 << index };
      this.bind(parameter.name, value, state);
      if (parameter.initializer) this.evaluate(parameter.initializer, state);
    });
    if (ts.isBlock(fn.body)) this.statements(fn.body.statements, state);
    else {
      const value = this.evaluate(fn.body as TS.Expression, state);
      if (summary) recordReturn(summary, value.taint);
      this.returnValue(state, value);
    }
    if (summary) this.summaries.push(summary);
    // Mentioning req.user is not enough: the caller's identity must be compared or put in the query.
    if (request && handler && handler.candidates.length > 0 && !checksOwnership(ts, fn, request.index)) {
      const first = handler.candidates[0]!;
      this.hit({
        cls: 'idor',
        line: first.line,
        endLine: first.endLine,
        evidence: first.evidence,
        what: `this handler looks a record up by ${first.origin.text} and never checks the caller's identity (req.user / the session)`,
        origin: first.origin,
        variant: 'idor',
      });
    }
    return fn.parameters.length === 0 ? state.returned : undefined;
  }

  private bindRequestParameter(name: TS.BindingName, kind: 'request' | 'koa', state: FnState): void {
    const ts = this.ts;
    if (ts.isIdentifier(name)) {
      state.scope.vars.set(name.text, { ...emptyValue(), request: kind });
      return;
    }
    if (ts.isObjectBindingPattern(name)) {
      for (const element of name.elements) {
        const key =
          element.propertyName && ts.isIdentifier(element.propertyName)
            ? element.propertyName.text
            : ts.isIdentifier(element.name)
              ? element.name.text
              : undefined;
        if (!key) continue;
        if (requestParts.has(key)) {
          const origin: Origin = {
            line: this.lineOf(element.getStart(this.source)),
            text: `req.${key}`,
            part: key,
            whole: true,
          };
          this.bind(element.name, { ...emptyValue(), taint: { origin, params: 0, cleared: 0, wholeParams: 0 } }, state);
        } else if (identityParts.has(key) && state.handler) {
          state.handler.identityUsed = true;
        }
      }
    }
  }

  private functionName(node: TS.Node): string | undefined {
    const ts = this.ts;
    if ((ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node)) && node.name) return node.name.text;
    if (
      (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) &&
      (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
    )
      return node.name.text;
    const parent = node.parent;
    if (!parent) return undefined;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    if (ts.isPropertyAssignment(parent) && (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name)))
      return parent.name.text;
    if (ts.isPropertyDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
    if (
      ts.isBinaryExpression(parent) &&
      parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(parent.left)
    ) {
      const name = parent.left.name.text;
      return name === 'exports'
        ? parent.left.getText(this.source) === 'module.exports'
          ? 'default'
          : undefined
        : name;
    }
    // export default (x) => ..., export default function (x) {...}: the module's default export.
    if (ts.isExportAssignment(parent)) return 'default';
    if (ts.isFunctionDeclaration(node) && !node.name && ts.isSourceFile(parent)) return 'default';
    return undefined;
  }

  private isExported(node: TS.Node): string | undefined {
    const ts = this.ts;
    if (
      ts.isFunctionDeclaration(node) &&
      node.name &&
      node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    )
      return node.name.text;
    return undefined;
  }

  // ---- statements --------------------------------------------------------------------------

  private statements(list: readonly TS.Statement[], state: FnState): void {
    for (const statement of list) this.statement(statement, state);
  }

  private statement(node: TS.Node, state: FnState): void {
    const ts = this.ts;
    if (ts.isFunctionDeclaration(node)) {
      const returns = this.analyzeFunction(node, state, {
        ...(this.functionName(node) ? { name: this.functionName(node)! } : {}),
        ...(this.isExported(node) ? { exportedName: this.isExported(node)! } : {}),
      });
      if (node.name)
        state.scope.vars.set(node.name.text, { ...emptyValue(), isFunction: true, ...(returns ? { returns } : {}) });
      return;
    }
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      for (const member of node.members) {
        if (
          (ts.isMethodDeclaration(member) ||
            ts.isConstructorDeclaration(member) ||
            ts.isGetAccessorDeclaration(member) ||
            ts.isSetAccessorDeclaration(member)) &&
          member.body
        ) {
          const name = ts.isConstructorDeclaration(member) ? undefined : this.functionName(member);
          this.analyzeFunction(member, state, name ? { name } : {});
        } else if (ts.isPropertyDeclaration(member) && member.initializer) {
          this.evaluate(member.initializer, state);
        }
      }
      return;
    }
    if (ts.isVariableStatement(node)) {
      for (const declaration of node.declarationList.declarations) this.variable(declaration, state);
      return;
    }
    if (ts.isExpressionStatement(node)) {
      this.evaluate(node.expression, state);
      return;
    }
    if (ts.isReturnStatement(node)) {
      if (node.expression) {
        const value = this.evaluate(node.expression, state);
        if (state.summary) recordReturn(state.summary, value.taint);
        this.returnValue(state, value);
      }
      return;
    }
    if (ts.isIfStatement(node)) {
      this.evaluate(node.expression, state);
      const guard = guardOf(ts, node.expression);
      state.conditional++;
      const restore = guard && !guard.failing ? this.clearGuarded(guard.name, guard.bits, state) : undefined;
      this.statement(node.thenStatement, state);
      restore?.();
      if (node.elseStatement) this.statement(node.elseStatement, state);
      state.conditional--;
      if (guard?.failing && exits(ts, node.thenStatement)) this.clearGuarded(guard.name, guard.bits, state);
      return;
    }
    if (ts.isBlock(node)) {
      this.statements(node.statements, state);
      return;
    }
    if (ts.isForOfStatement(node) || ts.isForInStatement(node)) {
      const iterable = this.evaluate(node.expression, state);
      state.conditional++;
      const element: Value = { ...emptyValue(), ...(iterable.taint ? { taint: derived(iterable.taint)! } : {}) };
      if (ts.isVariableDeclarationList(node.initializer)) {
        for (const declaration of node.initializer.declarations) this.bind(declaration.name, element, state);
      } else {
        this.assign(node.initializer, element, state);
      }
      this.statement(node.statement, state);
      state.conditional--;
      return;
    }
    if (ts.isForStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node)) {
      state.conditional++;
      ts.forEachChild(node, (child) => this.child(child, state));
      state.conditional--;
      return;
    }
    if (ts.isTryStatement(node)) {
      this.statement(node.tryBlock, state);
      state.conditional++;
      if (node.catchClause) {
        if (node.catchClause.variableDeclaration)
          this.bind(node.catchClause.variableDeclaration.name, emptyValue(), state);
        this.statement(node.catchClause.block, state);
      }
      if (node.finallyBlock) this.statement(node.finallyBlock, state);
      state.conditional--;
      return;
    }
    if (ts.isSwitchStatement(node)) {
      this.evaluate(node.expression, state);
      state.conditional++;
      for (const clause of node.caseBlock.clauses) {
        if (ts.isCaseClause(clause)) this.evaluate(clause.expression, state);
        this.statements(clause.statements, state);
      }
      state.conditional--;
      return;
    }
    if (ts.isExportAssignment(node)) {
      this.evaluate(node.expression, state);
      return;
    }
    ts.forEachChild(node, (child) => this.child(child, state));
  }

  /** A check passed: `name` is safe for `bits` from here; the returned function undoes it. */
  private clearGuarded(name: string, bits: number, state: FnState): () => void {
    for (let scope: Scope | undefined = state.scope; scope; scope = scope.parent) {
      const value = scope.vars.get(name);
      if (!value) continue;
      if (!value.taint) break;
      const holder = scope;
      holder.vars.set(name, { ...value, taint: cleared(value.taint, bits)! });
      return () => holder.vars.set(name, value);
    }
    return () => undefined;
  }

  private child(node: TS.Node, state: FnState): void {
    const ts = this.ts;
    if (ts.isExpression(node) && !ts.isFunctionLike(node)) this.evaluate(node, state);
    else if (ts.isVariableDeclarationList(node))
      for (const declaration of node.declarations) this.variable(declaration, state);
    else this.statement(node, state);
  }

  private returnValue(state: FnState, value: Value): void {
    const previous = state.returned;
    if (!previous) {
      state.returned = value;
      return;
    }
    const properties =
      previous.properties || value.properties
        ? new Map([...(value.properties ?? []), ...(previous.properties ?? [])])
        : undefined;
    const taint = unionTaint(previous.taint, value.taint);
    state.returned = {
      ...previous,
      ...(taint ? { taint } : {}),
      isObjectLiteral: previous.isObjectLiteral || value.isObjectLiteral,
      ...(properties ? { properties } : {}),
    };
  }

  private variable(declaration: TS.VariableDeclaration, state: FnState): void {
    if (!declaration.initializer) {
      this.bind(declaration.name, emptyValue(), state);
      return;
    }
    const value = this.evaluate(declaration.initializer, state);
    this.bind(declaration.name, value, state);
  }

  // ---- bindings ----------------------------------------------------------------------------

  private bind(name: TS.BindingName, value: Value, state: FnState): void {
    const ts = this.ts;
    if (ts.isIdentifier(name)) {
      state.scope.vars.set(name.text, value);
      return;
    }
    if (ts.isObjectBindingPattern(name)) {
      for (const element of name.elements) {
        const key =
          element.propertyName && ts.isIdentifier(element.propertyName)
            ? element.propertyName.text
            : ts.isIdentifier(element.name)
              ? element.name.text
              : undefined;
        let part: Value = emptyValue();
        if (value.request && key) part = this.requestMember(value, key, element, state);
        else if (value.properties && key && value.properties.has(key)) part = value.properties.get(key)!;
        else if (value.taint)
          part = { ...emptyValue(), taint: element.dotDotDotToken ? value.taint : derived(value.taint, key)! };
        this.bind(element.name, part, state);
      }
      return;
    }
    for (const element of name.elements) {
      if (ts.isOmittedExpression(element)) continue;
      this.bind(element.name, { ...emptyValue(), ...(value.taint ? { taint: derived(value.taint)! } : {}) }, state);
    }
  }

  private lookup(name: string, state: FnState): Value | undefined {
    for (let scope: Scope | undefined = state.scope; scope; scope = scope.parent) {
      const value = scope.vars.get(name);
      if (!value) continue;
      // An outer function's parameter bits would collide with this function's own: hide them.
      if (scope !== state.scope && state.parameterCount > 0 && value.taint?.params) {
        const { taint, ...rest } = value;
        return taint.origin ? { ...rest, taint: { ...taint, params: 0, wholeParams: 0 } } : rest;
      }
      return value;
    }
    return undefined;
  }

  private assign(target: TS.Node, value: Value, state: FnState): void {
    const ts = this.ts;
    if (ts.isParenthesizedExpression(target)) return this.assign(target.expression, value, state);
    if (ts.isIdentifier(target)) {
      for (let scope: Scope | undefined = state.scope; scope; scope = scope.parent) {
        const existing = scope.vars.get(target.text);
        if (existing) {
          // A write under a condition may not happen: keep what was there too.
          scope.vars.set(
            target.text,
            state.conditional > 0 ? ({ ...value, taint: unionTaint(existing.taint, value.taint) } as Value) : value,
          );
          return;
        }
      }
      state.scope.vars.set(target.text, value);
      return;
    }
    if (ts.isObjectLiteralExpression(target) || ts.isArrayLiteralExpression(target)) {
      for (const element of ts.isObjectLiteralExpression(target) ? target.properties : target.elements) {
        const inner = ts.isPropertyAssignment(element)
          ? element.initializer
          : ts.isShorthandPropertyAssignment(element)
            ? element.name
            : element;
        this.assign(inner, { ...emptyValue(), ...(value.taint ? { taint: derived(value.taint)! } : {}) }, state);
      }
      return;
    }
    if (ts.isPropertyAccessExpression(target)) {
      const property = target.name.text;
      const receiverText = target.expression.getText(this.source);
      if (['innerHTML', 'outerHTML'].includes(property))
        this.sinkCheck(
          { cls: 'xss', argument: 0, what: `${property} parses this as HTML` },
          value,
          target.parent,
          state,
        );
      if (property === 'body' && (receiverText === 'ctx' || receiverText === 'this'))
        this.sinkCheck(
          {
            cls: 'xss',
            argument: 0,
            what: 'ctx.body is sent as HTML when it is a string',
            safe: (shape) => shape.isObjectLiteral || !/</.test(shape.literalText),
          },
          value,
          target.parent,
          state,
        );
      const url = urlProperty(property, receiverText);
      if (url) this.sinkCheck(url, value, target.parent, state);
      if (
        (property === 'href' && /(^|\.)location$/.test(receiverText)) ||
        (property === 'location' && /^(window|document|self|top)$/.test(receiverText))
      )
        this.sinkCheck(
          {
            cls: 'redirect',
            argument: 0,
            what: 'assigning location navigates the browser to this URL',
            safe: (shape) => shape.prefix !== undefined && /^\/(?![/\\])/.test(shape.prefix),
          },
          value,
          target.parent,
          state,
        );
      // obj.x = tainted: the object now carries tainted data.
      if (value.taint && ts.isIdentifier(target.expression)) {
        const holder = this.lookup(target.expression.text, state);
        if (holder && !holder.request) holder.taint = unionTaint(holder.taint, derived(value.taint));
      }
      return;
    }
    if (ts.isElementAccessExpression(target)) {
      const key = this.evaluate(target.argumentExpression, state);
      const holder = this.evaluate(target.expression, state);
      // obj[input] = input: a __proto__ key writes to Object.prototype.
      if (
        liveFor(key.taint, sinkClasses.prototype.bit) &&
        key.taint?.origin &&
        value.taint &&
        !holder.request &&
        !/^(new Map|Map)/.test(target.expression.getText(this.source))
      ) {
        this.sinkCheck(
          { cls: 'prototype', argument: 0, what: 'an object is written under a key taken from input' },
          { ...key, taint: { ...key.taint, origin: { ...key.taint.origin, whole: true } } },
          target.parent,
          state,
        );
      }
    }
  }

  // ---- expressions -------------------------------------------------------------------------

  private evaluate(node: TS.Expression, state: FnState): Value {
    const ts = this.ts;
    // The commonest kinds first: this runs on every expression of every file.
    if (ts.isIdentifier(node)) {
      const value = this.lookup(node.text, state);
      if (value) return value;
      if (node.text in browserSources) return { ...emptyValue(), browser: true };
      return emptyValue();
    }
    if (ts.isPropertyAccessExpression(node)) return this.member(node, state);
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) return this.call(node, state);
    if (
      ts.isParenthesizedExpression(node) ||
      ts.isAsExpression(node) ||
      ts.isNonNullExpression(node) ||
      ts.isTypeAssertionExpression(node) ||
      ts.isSatisfiesExpression(node) ||
      ts.isAwaitExpression(node)
    ) {
      return this.evaluate(node.expression, state);
    }
    if (ts.isStringLiteralLike(node)) return { ...emptyValue(), prefix: node.text, literalText: node.text };
    if (
      ts.isNumericLiteral(node) ||
      node.kind === ts.SyntaxKind.TrueKeyword ||
      node.kind === ts.SyntaxKind.FalseKeyword ||
      node.kind === ts.SyntaxKind.NullKeyword
    )
      return emptyValue();
    if (ts.isTemplateExpression(node)) {
      let taint: Taint | undefined;
      let literal = node.head.text;
      for (const span of node.templateSpans) {
        taint = unionTaint(taint, derived(this.evaluate(span.expression, state).taint));
        literal += ` ${span.literal.text}`;
      }
      return {
        ...emptyValue(),
        ...(taint ? { taint: this.stringified(taint) } : {}),
        prefix: node.head.text,
        literalText: literal,
        isStringBuilt: true,
      };
    }
    if (ts.isTaggedTemplateExpression(node)) {
      // sql`...`, Prisma.sql`...`: tag functions bind the interpolations as parameters.
      if (ts.isTemplateExpression(node.template))
        for (const span of node.template.templateSpans) this.evaluate(span.expression, state);
      return emptyValue();
    }
    if (ts.isElementAccessExpression(node)) {
      const base = this.evaluate(node.expression, state);
      this.evaluate(node.argumentExpression, state);
      const keyText = ts.isStringLiteralLike(node.argumentExpression) ? node.argumentExpression.text : undefined;
      if (base.request && keyText) return this.requestMember(base, keyText, node, state);
      if (base.properties && keyText && base.properties.has(keyText)) return base.properties.get(keyText)!;
      return { ...emptyValue(), ...(base.taint ? { taint: derived(base.taint, keyText)! } : {}) };
    }
    if (ts.isBinaryExpression(node)) return this.binary(node, state);
    if (ts.isConditionalExpression(node)) {
      this.evaluate(node.condition, state);
      const a = this.evaluate(node.whenTrue, state);
      const b = this.evaluate(node.whenFalse, state);
      const taint = unionTaint(a.taint, b.taint);
      return {
        ...emptyValue(),
        ...(taint ? { taint } : {}),
        literalText: `${a.literalText} ${b.literalText}`,
        isObjectLiteral: a.isObjectLiteral && b.isObjectLiteral,
      };
    }
    if (ts.isObjectLiteralExpression(node)) return this.objectLiteral(node, state);
    if (ts.isArrayLiteralExpression(node)) {
      let taint: Taint | undefined;
      for (const element of node.elements)
        taint = unionTaint(
          taint,
          derived(this.evaluate(ts.isSpreadElement(element) ? element.expression : element, state).taint),
        );
      return { ...emptyValue(), ...(taint ? { taint } : {}) };
    }
    if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
      const name = this.functionName(node);
      // node-tar's { onentry(entry) {...} }: the entry's path is the archive's.
      const seed = name === 'onentry' ? this.sourceValue(node.parameters[0] ?? node, 'archive') : undefined;
      const returns = this.analyzeFunction(node, state, { ...(name ? { name } : {}), ...(seed ? { seed } : {}) });
      return { ...emptyValue(), isFunction: true, ...(returns ? { returns } : {}) };
    }
    if (ts.isClassExpression(node)) {
      this.statement(node, state);
      return emptyValue();
    }
    if (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) {
      this.evaluate(node.operand, state);
      return emptyValue();
    }
    if (ts.isTypeOfExpression(node) || ts.isVoidExpression(node) || ts.isDeleteExpression(node)) {
      this.evaluate(node.expression, state);
      return emptyValue();
    }
    if (ts.isSpreadElement(node)) return this.evaluate(node.expression, state);
    if (ts.isJsxElement(node) || ts.isJsxSelfClosingElement(node) || ts.isJsxFragment(node)) {
      this.jsx(node, state);
      return emptyValue();
    }
    ts.forEachChild(node, (child) => this.child(child, state));
    return emptyValue();
  }

  private stringified(taint: Taint): Taint {
    // A string cannot carry MongoDB operators; it can still carry $where code and everything else.
    return { ...taint, wholeParams: 0, ...(taint.origin ? { origin: { ...taint.origin, whole: false } } : {}) };
  }

  private jsx(node: TS.Node, state: FnState): void {
    const ts = this.ts;
    const visit = (child: TS.Node): void => {
      if (
        ts.isJsxAttribute(child) &&
        ts.isIdentifier(child.name) &&
        child.name.text === 'dangerouslySetInnerHTML' &&
        child.initializer &&
        ts.isJsxExpression(child.initializer) &&
        child.initializer.expression
      ) {
        const value = this.evaluate(child.initializer.expression, state);
        const html = value.properties?.get('__html') ?? value;
        this.sinkCheck(
          { cls: 'xss', argument: 0, what: 'dangerouslySetInnerHTML inserts this without escaping' },
          html,
          child,
          state,
        );
        return;
      }
      const url =
        ts.isJsxAttribute(child) &&
        ts.isIdentifier(child.name) &&
        child.initializer &&
        ts.isJsxExpression(child.initializer) &&
        child.initializer.expression
          ? urlAttribute(child.name.text, child.parent.parent.tagName.getText(this.source))
          : undefined;
      if (url) {
        const expression = ((child as TS.JsxAttribute).initializer as TS.JsxExpression).expression!;
        this.sinkCheck(url, this.evaluate(expression, state), child, state);
        return;
      }
      if (ts.isJsxExpression(child) && child.expression) {
        this.evaluate(child.expression, state);
        return;
      }
      ts.forEachChild(child, visit);
    };
    ts.forEachChild(node, visit);
  }

  private objectLiteral(node: TS.ObjectLiteralExpression, state: FnState): Value {
    const ts = this.ts;
    const properties = new Map<string, Value>();
    let taint: Taint | undefined;
    let literal = '';
    for (const property of node.properties) {
      if (ts.isPropertyAssignment(property)) {
        const value = this.evaluate(property.initializer, state);
        const key =
          ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name)
            ? property.name.text
            : property.name.getText(this.source);
        properties.set(key, { ...value, at: { ...this.span(property), evidence: this.evidence(property) } });
        taint = unionTaint(taint, derived(value.taint));
        literal += ` ${key}`;
      } else if (ts.isShorthandPropertyAssignment(property)) {
        const value = this.evaluate(property.name, state);
        properties.set(property.name.text, value);
        taint = unionTaint(taint, derived(value.taint));
      } else if (ts.isSpreadAssignment(property)) {
        const value = this.evaluate(property.expression, state);
        // {...req.body} is still the whole body for mass assignment.
        taint = unionTaint(taint, value.taint);
      } else if (
        ts.isMethodDeclaration(property) ||
        ts.isGetAccessorDeclaration(property) ||
        ts.isSetAccessorDeclaration(property)
      ) {
        const name = this.functionName(property);
        const seed = name === 'onentry' ? this.sourceValue(property.parameters[0] ?? property, 'archive') : undefined;
        this.analyzeFunction(property, state, { ...(name ? { name } : {}), ...(seed ? { seed } : {}) });
      }
    }
    return { ...emptyValue(), ...(taint ? { taint } : {}), isObjectLiteral: true, properties, literalText: literal };
  }

  private member(node: TS.PropertyAccessExpression, state: FnState): Value {
    const ts = this.ts;
    const name = node.name.text;
    if (ts.isIdentifier(node.expression) && node.expression.text === 'process' && name === 'argv') return emptyValue();
    const base = this.evaluate(node.expression, state);
    if (base.request) return this.requestMember(base, name, node, state);
    if (base.browser && ts.isIdentifier(node.expression)) {
      const parts = browserSources[node.expression.text];
      if (parts?.has(name)) return this.sourceValue(node, 'location', name);
      if (node.expression.text === 'window' && name === 'location') return { ...emptyValue(), browser: true };
      if (node.expression.text === 'document' && name === 'location') return { ...emptyValue(), browser: true };
      return emptyValue();
    }
    if (base.browser && browserSources.location!.has(name)) return this.sourceValue(node, 'location', name);
    if (
      ts.isIdentifier(node.expression) &&
      /^(res|response)$/.test(node.expression.text) &&
      name === 'locals' &&
      state.handler
    )
      state.handler.identityUsed = true;
    if (base.properties && base.properties.has(name)) return base.properties.get(name)!;
    if (name === 'length') return emptyValue();
    return { ...emptyValue(), ...(base.taint ? { taint: derived(base.taint, name)! } : {}) };
  }

  private sourceValue(node: TS.Node, part: string, key?: string, whole = false): Value {
    const origin: Origin = {
      line: this.lineOf(node.getStart(this.source)),
      text: node.getText(this.source).slice(0, 120),
      part,
      ...(key ? { key } : {}),
      whole,
    };
    return { ...emptyValue(), taint: { origin, params: 0, cleared: 0, wholeParams: 0 } };
  }

  /** `req.<name>`: a source, the identity (an authorization check), or nothing. */
  private requestMember(base: Value, name: string, node: TS.Node, state: FnState): Value {
    if (base.request === 'koa' && name === 'request') return { ...emptyValue(), request: 'request' };
    if (base.request === 'koa' && name === 'req') return { ...emptyValue(), request: 'request' };
    if (requestParts.has(name)) return this.sourceValue(node, name, undefined, name === 'body' || name === 'query');
    if (base.request === 'koa' && name === 'cookies') return { ...emptyValue(), request: 'request' };
    if (identityParts.has(name)) {
      if (state.handler) state.handler.identityUsed = true;
      return emptyValue();
    }
    return emptyValue();
  }

  private binary(node: TS.BinaryExpression, state: FnState): Value {
    const ts = this.ts;
    const operator = node.operatorToken.kind;
    if (operator === ts.SyntaxKind.EqualsToken) {
      const value = this.evaluate(node.right, state);
      this.assign(node.left, value, state);
      return value;
    }
    const left = this.evaluate(node.left, state);
    const right = this.evaluate(node.right, state);
    if (operator === ts.SyntaxKind.PlusToken || operator === ts.SyntaxKind.PlusEqualsToken) {
      const taint = unionTaint(
        left.taint ? this.stringified(left.taint) : undefined,
        right.taint ? this.stringified(right.taint) : undefined,
      );
      const value: Value = {
        ...emptyValue(),
        ...(taint ? { taint } : {}),
        ...(left.prefix !== undefined ? { prefix: left.prefix } : {}),
        literalText: `${left.literalText} ${right.literalText}`,
        isStringBuilt: true,
      };
      if (operator === ts.SyntaxKind.PlusEqualsToken) this.assign(node.left, value, state);
      return value;
    }
    if (
      operator === ts.SyntaxKind.BarBarToken ||
      operator === ts.SyntaxKind.QuestionQuestionToken ||
      operator === ts.SyntaxKind.AmpersandAmpersandToken ||
      operator === ts.SyntaxKind.CommaToken
    ) {
      const taint =
        operator === ts.SyntaxKind.AmpersandAmpersandToken || operator === ts.SyntaxKind.CommaToken
          ? right.taint
          : unionTaint(left.taint, right.taint);
      return {
        ...emptyValue(),
        ...(taint ? { taint } : {}),
        ...(left.prefix !== undefined ? { prefix: left.prefix } : {}),
        literalText: `${left.literalText} ${right.literalText}`,
        isObjectLiteral: left.isObjectLiteral,
        properties: left.properties ?? right.properties,
      } as Value;
    }
    if (operator === ts.SyntaxKind.BarBarEqualsToken || operator === ts.SyntaxKind.QuestionQuestionEqualsToken) {
      const value = { ...right, taint: unionTaint(left.taint, right.taint) } as Value;
      this.assign(node.left, value, state);
      return value;
    }
    return emptyValue();
  }

  // ---- calls -------------------------------------------------------------------------------

  private callSite(node: TS.CallExpression | TS.NewExpression): CallSite | undefined {
    const ts = this.ts;
    let callee: TS.Expression = node.expression;
    while (ts.isParenthesizedExpression(callee) || ts.isNonNullExpression(callee)) callee = callee.expression;
    const argumentCount = node.arguments?.length ?? 0;
    const isNew = ts.isNewExpression(node);
    const argumentKeys = objectArgumentKeys(ts, node.arguments ?? []);
    const first = node.arguments?.[0];
    const firstArgument =
      first && (ts.isStringLiteralLike(first) || ts.isRegularExpressionLiteral(first)) ? first.text : undefined;
    if (ts.isIdentifier(callee)) {
      const binding = this.imports.get(callee.text);
      return {
        name: callee.text,
        isNew,
        argumentCount,
        argumentKeys,
        ...(binding ? { module: binding.module, member: binding.member } : {}),
      };
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const receiver = callee.expression;
      const name = callee.name.text;
      const inline = requiredModule(ts, receiver);
      if (inline) return { name, receiver: 'require', module: inline, member: name, isNew, argumentCount };
      // res.status(500).send(...) is still res.send(...).
      const receiverText = receiver
        .getText(this.source)
        .replace(/\s+/g, '')
        .replace(
          /^(res|response|reply|ctx)(\.(status|type|set|header|append|contentType|code|vary)\([^()]*\))+$/,
          '$1',
        );
      let binding = ts.isIdentifier(receiver) ? this.imports.get(receiver.text) : undefined;
      // fs.promises.readFile, cp.default.exec
      if (!binding && ts.isPropertyAccessExpression(receiver) && ts.isIdentifier(receiver.expression))
        binding = this.imports.get(receiver.expression.text);
      return {
        name,
        receiver: receiverText.length > 80 ? receiverText.slice(0, 80) : receiverText,
        isNew,
        argumentCount,
        argumentKeys,
        ...(firstArgument !== undefined ? { firstArgument } : {}),
        ...(binding ? { module: binding.module, member: binding.member === '*' ? name : binding.member } : {}),
      };
    }
    if (ts.isCallExpression(callee) || ts.isElementAccessExpression(callee))
      return { name: '', receiver: callee.getText(this.source).slice(0, 80), isNew, argumentCount };
    return undefined;
  }

  private call(node: TS.CallExpression | TS.NewExpression, state: FnState): Value {
    const ts = this.ts;
    const site = this.callSite(node);
    const args = node.arguments ?? [];
    const route = ts.isCallExpression(node) && isRouteRegistration(ts, node);
    let receiver: Value = emptyValue();
    const callee = node.expression;
    if (ts.isPropertyAccessExpression(callee)) receiver = this.evaluate(callee.expression, state);
    else if (!ts.isIdentifier(callee)) this.evaluate(callee, state);
    const seeded = site && archiveCallback(site, args[0] && ts.isStringLiteralLike(args[0]) ? args[0].text : undefined);
    if (site && receiver.collection) site.collection = true;
    const rows = site && databaseCallback(site) ? this.storedValue(node, site) : undefined;
    const values: Value[] = args.map((argument, index) => {
      if ((ts.isArrowFunction(argument) || ts.isFunctionExpression(argument)) && route) {
        this.analyzeFunction(argument, state, { routeCall: true });
        return { ...emptyValue(), isFunction: true };
      }
      if ((ts.isArrowFunction(argument) || ts.isFunctionExpression(argument)) && seeded !== undefined) {
        // Archive entries: .on('entry', e => ...) and getEntries().forEach(e => ...).
        const entries =
          seeded === 'event' ? undefined : receiver.taint?.origin?.part === 'archive' ? receiver : undefined;
        if (seeded === 'event' || (entries && index === 0)) {
          const seed = entries
            ? { ...emptyValue(), taint: derived(entries.taint)! }
            : this.sourceValue(argument.parameters[0] ?? argument, 'archive');
          this.analyzeFunction(argument, state, { seed });
          return { ...emptyValue(), isFunction: true };
        }
      }
      // conn.query(sql, (err, rows) => ...), Model.findOne(q).then((doc) => ...): rows read from the database.
      const read =
        rows && index === args.length - 1
          ? [1, rows]
          : index === 0 && site?.name === 'then' && receiver.taint?.origin?.part === 'database'
            ? [0, { ...emptyValue(), taint: derived(receiver.taint)! }]
            : undefined;
      if (read && (ts.isArrowFunction(argument) || ts.isFunctionExpression(argument))) {
        this.analyzeFunction(argument, state, { bindings: new Map([read as [number, Value]]) });
        return { ...emptyValue(), isFunction: true };
      }
      return this.evaluate(argument, state);
    });
    if (!site) return emptyValue();
    const name = site.name;
    if (ts.isIdentifier(callee) && args.length === 0) {
      const local = this.lookup(callee.text, state);
      if (local?.returns) return local.returns;
    }

    // Request methods: req.param('x'), req.get('header'), await request.json(), ctx.cookies.get().
    if (receiver.request && requestMethods.has(name)) {
      const key = args[0] && ts.isStringLiteralLike(args[0]) ? args[0].text : undefined;
      return this.sourceValue(
        node,
        name === 'json' || name === 'formData' || name === 'text'
          ? 'body'
          : name === 'get' || name === 'header'
            ? 'headers'
            : 'query',
        key,
        name === 'json',
      );
    }
    if (receiver.request && identityParts.has(name) && state.handler) state.handler.identityUsed = true;
    if (receiver.browser && name === 'get') return emptyValue();
    if (archiveSource(site)) return this.sourceValue(node, 'archive');

    for (const spec of sinksForCall(site)) {
      const value = values[spec.argument];
      if (!value) continue;
      if (spec.cls === 'nosql') this.nosqlCheck(spec, value, node, state);
      else if (spec.cls === 'xxe')
        continue; // judged on the parser flags in config-rules.ts
      else this.sinkCheck(spec, value, node, state);
    }
    if (ts.isCallExpression(node)) this.idorCheck(site, values, node, state);

    // What the call returns.
    const stored = databaseRead(site) ? this.storedValue(node, site) : undefined;
    if (isCollectionHandle(site)) return { ...emptyValue(), collection: true };
    const sanitiser = sanitiserFor(site);
    const allArgs = values.reduce<Taint | undefined>((taint, value) => unionTaint(taint, value.taint), undefined);
    if (sanitiser !== undefined) {
      if (sanitiser === allSinkBits) return emptyValue();
      const input =
        site.receiver && receiver.taint && values.length === 0 ? receiver.taint : (allArgs ?? receiver.taint);
      return { ...emptyValue(), ...(input ? { taint: cleared(input, sanitiser)! } : {}) };
    }
    if (receiver.taint && site.receiver) {
      if (booleanMethods.has(name)) return emptyValue();
      if (name === 'toString' || name === 'valueOf')
        return { ...emptyValue(), taint: cleared(receiver.taint, bitsOf('nosql', 'mass'))! };
      if (stringMethods.has(name) || stringOutputMethods.has(name)) {
        const taint = stringOutputMethods.has(name)
          ? cleared(unionTaint(receiver.taint, allArgs), bitsOf('nosql', 'mass'))
          : derived(unionTaint(receiver.taint, allArgs));
        return {
          ...emptyValue(),
          ...(taint ? { taint } : {}),
          ...(receiver.prefix !== undefined ? { prefix: receiver.prefix } : {}),
          literalText: receiver.literalText,
          isStringBuilt: receiver.isStringBuilt,
        };
      }
      return { ...emptyValue(), taint: derived(unionTaint(receiver.taint, allArgs))! };
    }
    const qualified = site.receiver ? `${site.receiver}.${name}` : name;
    // A call into another module of the project: linked by the module and its exported member.
    const project = site.module?.startsWith('.') === true;
    const callIndex = this.calls.length;
    if (allArgs && (allArgs.origin || allArgs.params)) {
      const record: CallRecord = {
        callee: name,
        line: this.lineOf(node.getStart(this.source)),
        ...(state.name ? { enclosing: state.name } : {}),
        args: values.map((v) =>
          v.taint
            ? {
                ...(v.taint.origin ? { origin: v.taint.origin } : {}),
                params: v.taint.params,
                cleared: v.taint.cleared,
                wholeParams: v.taint.wholeParams,
              }
            : null,
        ),
        ...(project
          ? {
              module: site.module!,
              member: site.member === '*' && !site.receiver ? 'default' : (site.member ?? name),
              ...(site.receiver ? {} : { free: true }),
            }
          : {}),
      };
      // A value read from the database matters only for code sinks: record its calls into
      // functions (a helper that evals), not every method call that takes a row (res.json(rows)).
      const storedOnly = allArgs.origin?.part === 'database' && !allArgs.params;
      if (name && (!site.module || project) && (!storedOnly || !site.receiver || project)) this.calls.push(record);
      // What a helper of another module returns is known only to the linker: the result carries
      // the argument's taint, marked with this call so the linker can check the callee returns it.
      if (project && !site.isNew && name && !stored) {
        const taint = derived(allArgs)!;
        return {
          ...emptyValue(),
          taint: taint.origin ? { ...taint, origin: { ...taint.origin, via: callIndex } } : taint,
        };
      }
    }
    if (stored) return stored;
    if (propagatingFunctions.has(qualified) || propagatingFunctions.has(name)) {
      const taint = qualified === 'String' ? cleared(allArgs, bitsOf('nosql', 'mass')) : derived(allArgs);
      const prefix = values[0]?.prefix;
      return {
        ...emptyValue(),
        ...(taint ? { taint } : {}),
        ...(prefix !== undefined && /^path\.(join|resolve)$/.test(qualified) ? { prefix } : {}),
      };
    }
    // Unknown free functions pass their arguments' taint through; methods of untainted objects
    // (a database client, a model) do not: their results are data from storage, not from input.
    if (!site.receiver && allArgs) return { ...emptyValue(), taint: derived(allArgs)! };
    return emptyValue();
  }

  private storedValue(node: TS.Node, site: CallSite): Value {
    return databaseValue(this.lineOf(node.getStart(this.source)), `${site.receiver}.${site.name}()`);
  }

  private nosqlCheck(spec: SinkSpec, value: Value, node: TS.Node, state: FnState): void {
    const bit = sinkClasses.nosql.bit;
    if (spec.safe?.(value)) return;
    if (value.isObjectLiteral && value.properties) {
      for (const [key, property] of value.properties) {
        if (key === '$where') {
          this.sinkCheck(
            { ...spec, what: 'the $where clause runs as JavaScript in the database' },
            property,
            node,
            state,
            'where',
            property.at,
          );
          continue;
        }
        if (!liveFor(property.taint, bit) || property.isStringBuilt || property.isObjectLiteral) continue;
        this.sinkCheck(
          {
            ...spec,
            what: `the query value for "${key}" comes straight from input, so {"$ne": null}-style operators pass through`,
          },
          property,
          node,
          state,
          'operator',
        );
      }
      return;
    }
    if (value.isStringBuilt) {
      if (/\$where|where/.test(spec.what) || /\bthis\./.test(value.literalText))
        this.sinkCheck(spec, value, node, state, 'where');
      return;
    }
    this.sinkCheck({ ...spec, what: 'the whole query object comes from input' }, value, node, state, 'operator');
  }

  private idorCheck(site: CallSite, values: Value[], node: TS.CallExpression, state: FnState): void {
    const handler = state.handler;
    if (!handler || !site.receiver || !dataAccess.test(site.name)) return;
    if (
      /^(req|request|res|response|ctx|app|router|map|cache|headers|searchParams|url|params|_|lodash|Object|Array|JSON|Promise|path|fs|console)$/.test(
        site.receiver,
      )
    )
      return;
    if (!dataReceiver.test(site.receiver) && !/^[A-Z]/.test(site.receiver) && !/^this\./.test(site.receiver)) return;
    // Ids may sit in a nested filter: { where: { id: req.body.id } }.
    const origins = (value: Value, depth: number): (Origin | undefined)[] =>
      value.properties && depth < 3
        ? [...value.properties.values()].flatMap((p) => origins(p, depth + 1))
        : [value.taint?.origin];
    for (const value of values) {
      for (const candidate of origins(value, 0)) {
        if (!candidate || !['params', 'query', 'body'].includes(candidate.part)) continue;
        if (!candidate.key || !idLike.test(candidate.key)) continue;
        handler.candidates.push({ ...this.span(node), evidence: this.evidence(node), origin: candidate });
        return;
      }
    }
  }

  // ---- reporting ---------------------------------------------------------------------------

  private sinkCheck(
    spec: SinkSpec,
    value: Value,
    node: TS.Node,
    state: FnState,
    variant?: string,
    at?: { line: number; endLine: number; evidence: string },
  ): void {
    const cls = sinkClasses[spec.cls];
    const taint = value.taint;
    const where = variant === 'where' && spec.cls === 'nosql';
    if (!taint || !liveFor(taint, where ? whereMask(taint) : cls.bit)) return;
    if (spec.safe?.(value)) return;
    const needsWhole =
      spec.cls === 'mass' || (spec.cls === 'prototype' && variant === undefined && this.ts.isCallExpression(node));
    const needsObject = variant === 'operator';
    if (taint.origin && !(where && taint.origin.part === 'database')) {
      const origin = taint.origin;
      const ok = (!needsWhole || origin.whole) && (!needsObject || origin.part === 'body' || origin.part === 'query');
      if (ok)
        this.hit({
          cls: spec.cls,
          ...(at ?? { ...this.span(node), evidence: this.evidence(node) }),
          what: spec.what,
          origin,
          ...(variant ? { variant } : {}),
        });
    }
    if (state.summary && taint.params) {
      const bits = needsWhole ? taint.wholeParams : taint.params;
      for (let i = 0; i < 31; i++) {
        if (!(bits & (1 << i))) continue;
        const reach: SinkReach = {
          param: i,
          cls: spec.cls,
          ...(at ?? { ...this.span(node), evidence: this.evidence(node) }),
          what: spec.what,
          ...(needsObject ? { needsObject } : {}),
          ...(needsWhole ? { needsWhole } : {}),
          ...(where ? { where } : {}),
        };
        if (!state.summary.reaches.some((r) => r.param === i && r.cls === spec.cls && r.line === reach.line))
          state.summary.reaches.push(reach);
      }
    }
  }

  private hit(hit: Omit<TaintHit, 'evidence'> & { evidence?: string; endLine: number; line: number }): void {
    const key = `${hit.cls}:${hit.line}`;
    if (this.seenHits.has(key)) return;
    this.seenHits.add(key);
    this.hits.push({ ...hit, evidence: hit.evidence ?? '' });
  }

  private span(node: TS.Node): { line: number; endLine: number } {
    return { line: this.lineOf(node.getStart(this.source)), endLine: this.lineOf(node.end) };
  }

  private evidence(node: TS.Node): string {
    const line = this.source.getLineAndCharacterOfPosition(node.getStart(this.source)).line;
    const starts = this.source.getLineStarts();
    const text = this.source.text.slice(starts[line], starts[line + 1] ?? this.source.text.length);
    return text.trim().slice(0, 240);
  }

  private lineOf(position: number): number {
    return this.source.getLineAndCharacterOfPosition(position).line + 1;
  }
}
