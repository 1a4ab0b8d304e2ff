// Symbols and call sites of one file. TS/JS through the TypeScript compiler's parser (declarations:
// functions, classes, methods, properties, interfaces, types, enums, variables; calls with their
// enclosing function); Python through tree-sitter (functions, classes, methods, module constants).
import type TS from 'typescript';
import type { Parser } from 'web-tree-sitter';
import { parseScript } from '../cyclomatic.js';
import { withPythonTree, type PythonNode } from '../python/python-parser.js';
import { children } from '../python/python-metrics.js';

export interface SymbolInfo {
  name: string;
  kind: 'function' | 'class' | 'method' | 'property' | 'interface' | 'type' | 'enum' | 'variable' | 'constant';
  line: number;
  endLine: number;
  exported: boolean;
  container?: string;
  signature: string;
}

export interface CallSite {
  callee: string;
  line: number;
  caller: string;
  arguments: number;
  text: string;
}

const firstLine = (text: string) =>
  text
    .split('\n')[0]!
    .replace(/\s*\{?\s*$/, '')
    .trim()
    .slice(0, 200);

export function scriptSymbols(ts: typeof TS, file: string, text: string): SymbolInfo[] {
  const source = parseScript(ts, file, text);
  const symbols: SymbolInfo[] = [];
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line + 1;
  const exported = (node: TS.Node) =>
    (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some(
      (m) => m.kind === ts.SyntaxKind.ExportKeyword,
    ) === true;
  const add = (
    node: TS.Node,
    name: string,
    kind: SymbolInfo['kind'],
    container: string | undefined,
    isExported: boolean,
  ) => {
    symbols.push({
      name,
      kind,
      line: lineOf(node.getStart(source)),
      endLine: lineOf(node.end),
      exported: isExported,
      ...(container ? { container } : {}),
      signature: firstLine(node.getText(source)),
    });
  };
  const visit = (node: TS.Node, container: string | undefined, topLevel: boolean): void => {
    if (ts.isFunctionDeclaration(node) && node.name) add(node, node.name.text, 'function', container, exported(node));
    else if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
      const name =
        node.name?.text ??
        (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)
          ? node.parent.name.text
          : 'default');
      if (ts.isClassDeclaration(node)) add(node, name, 'class', container, exported(node));
      for (const member of node.members) {
        const memberName =
          member.name &&
          (ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name) || ts.isStringLiteral(member.name))
            ? member.name.text
            : ts.isConstructorDeclaration(member)
              ? 'constructor'
              : undefined;
        if (!memberName) continue;
        if (
          ts.isMethodDeclaration(member) ||
          ts.isConstructorDeclaration(member) ||
          ts.isGetAccessorDeclaration(member) ||
          ts.isSetAccessorDeclaration(member)
        )
          add(member, memberName, 'method', name, false);
        else if (ts.isPropertyDeclaration(member))
          add(
            member,
            memberName,
            member.initializer &&
              (ts.isArrowFunction(member.initializer) || ts.isFunctionExpression(member.initializer))
              ? 'method'
              : 'property',
            name,
            false,
          );
      }
      return;
    } else if (ts.isInterfaceDeclaration(node)) add(node, node.name.text, 'interface', container, exported(node));
    else if (ts.isTypeAliasDeclaration(node)) add(node, node.name.text, 'type', container, exported(node));
    else if (ts.isEnumDeclaration(node)) add(node, node.name.text, 'enum', container, exported(node));
    else if (ts.isVariableStatement(node) && topLevel) {
      const isConst = (node.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of node.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const initializer = declaration.initializer;
        const kind =
          initializer && (ts.isArrowFunction(initializer) || ts.isFunctionExpression(initializer))
            ? 'function'
            : isConst
              ? 'constant'
              : 'variable';
        add(declaration, declaration.name.text, kind, container, exported(node));
        if (initializer && ts.isClassExpression(initializer)) visit(initializer, container, false);
      }
      return;
    } else if (
      ts.isExpressionStatement(node) &&
      ts.isBinaryExpression(node.expression) &&
      node.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      topLevel
    ) {
      // CommonJS: exports.name = function ..., module.exports.name = ...
      const left = node.expression.left.getText(source);
      const match = /^(?:module\.)?exports\.(\w+)$/.exec(left);
      const right = node.expression.right;
      if (match)
        add(
          node,
          match[1]!,
          ts.isArrowFunction(right) || ts.isFunctionExpression(right) ? 'function' : 'variable',
          container,
          true,
        );
    } else if (ts.isModuleDeclaration(node) && node.body && ts.isModuleBlock(node.body)) {
      for (const statement of node.body.statements) visit(statement, node.name.getText(source), true);
      return;
    }
    if (ts.isSourceFile(node)) for (const statement of node.statements) visit(statement, container, true);
  };
  visit(source, undefined, true);
  return symbols;
}

export function scriptCallSites(
  ts: typeof TS,
  file: string,
  text: string,
  wanted: (callee: string) => boolean,
): CallSite[] {
  const source = parseScript(ts, file, text);
  const sites: CallSite[] = [];
  const lines = text.split('\n');
  const visit = (node: TS.Node, caller: string): void => {
    let scope = caller;
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
      scope = node.name.getText(source);
    else if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent))
      scope = node.parent.name.getText(source);
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = node.expression.getText(source).replace(/\s+/g, '');
      if (wanted(callee)) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        sites.push({
          callee,
          line,
          caller: scope,
          arguments: node.arguments?.length ?? 0,
          text: (lines[line - 1] ?? '').trim().slice(0, 200),
        });
      }
    }
    ts.forEachChild(node, (child) => visit(child, scope));
  };
  visit(source, '(module)');
  return sites;
}

export function pythonSymbols(parser: Parser, text: string): SymbolInfo[] {
  return withPythonTree(parser, text, (tree) => {
    const symbols: SymbolInfo[] = [];
    const visitBody = (body: PythonNode, container: string | undefined, inClass: boolean) => {
      for (const child of children(body)) {
        const definition = child.type === 'decorated_definition' ? child.childForFieldName('definition') : child;
        if (!definition) continue;
        const name = definition.childForFieldName('name')?.text;
        const line = child.startPosition.row + 1;
        const endLine = child.endPosition.row + 1;
        if (definition.type === 'function_definition' && name) {
          symbols.push({
            name,
            kind: inClass ? 'method' : 'function',
            line,
            endLine,
            exported: !name.startsWith('_') && !container,
            ...(container ? { container } : {}),
            signature: firstLine(definition.text).replace(/:$/, ''),
          });
        } else if (definition.type === 'class_definition' && name) {
          symbols.push({
            name,
            kind: 'class',
            line,
            endLine,
            exported: !name.startsWith('_') && !container,
            ...(container ? { container } : {}),
            signature: firstLine(definition.text).replace(/:$/, ''),
          });
          const classBody = definition.childForFieldName('body');
          if (classBody) visitBody(classBody, container ? `${container}.${name}` : name, true);
        } else if (child.type === 'expression_statement' && !container) {
          const assignment = children(child)[0];
          const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : undefined;
          if (left?.type === 'identifier')
            symbols.push({
              name: left.text,
              kind: /^[A-Z][A-Z0-9_]*$/.test(left.text) ? 'constant' : 'variable',
              line,
              endLine,
              exported: !left.text.startsWith('_'),
              signature: firstLine(child.text),
            });
        }
      }
    };
    visitBody(tree.rootNode, undefined, false);
    return symbols;
  });
}

export function pythonCallSites(parser: Parser, text: string, wanted: (callee: string) => boolean): CallSite[] {
  return withPythonTree(parser, text, (tree) => {
    const sites: CallSite[] = [];
    const lines = text.split('\n');
    for (const call of tree.rootNode.descendantsOfType('call')) {
      const callee = call?.childForFieldName('function')?.text.replace(/\s+/g, '');
      if (!call || !callee || !wanted(callee)) continue;
      let caller = '(module)';
      for (let current = call.parent; current; current = current.parent) {
        if (current.type === 'function_definition') {
          caller = current.childForFieldName('name')?.text ?? caller;
          break;
        }
      }
      const line = call.startPosition.row + 1;
      sites.push({
        callee,
        line,
        caller,
        arguments: children(call.childForFieldName('arguments')!).length,
        text: (lines[line - 1] ?? '').trim().slice(0, 200),
      });
    }
    return sites;
  });
}
