// What each local name of a module refers to: `const cp = require('child_process')`,
// `import { exec } from 'node:child_process'`, `const { readFile } = require('fs/promises')`.
// Sink rules resolve callees through it, so an aliased `run(cmd)` is still child_process.exec.
import type TS from 'typescript';

type Typescript = typeof TS;

export interface ImportBinding {
  module: string;
  /** The imported member, '*' for a namespace or default import of the whole module. */
  member: string;
}

export type ImportMap = Map<string, ImportBinding>;

const aliases: Record<string, string> = {
  'fs/promises': 'fs',
  'fs-extra': 'fs',
  'graceful-fs': 'fs',
  'mz/fs': 'fs',
  'child-process-promise': 'child_process',
  'mz/child_process': 'child_process',
  libxmljs2: 'libxmljs',
  'node-serialize': 'node-serialize',
  'serialize-to-js': 'node-serialize',
  funcster: 'node-serialize',
  'js-yaml': 'js-yaml',
  'node-fetch': 'fetch',
  'cross-fetch': 'fetch',
  'isomorphic-fetch': 'fetch',
  undici: 'undici',
  mathjs: 'mathjs',
};

export function normaliseModule(specifier: string): string {
  const bare = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  return aliases[bare] ?? bare;
}

/** The module named by `require('x')` (or `require('x').member`), if `node` is one. */
export function requiredModule(ts: Typescript, node: TS.Node): string | undefined {
  if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
    const first = node.arguments[0];
    if (first && ts.isStringLiteralLike(first)) return normaliseModule(first.text);
  }
  return undefined;
}

export function buildImportMap(ts: Typescript, source: TS.SourceFile): ImportMap {
  const map: ImportMap = new Map();
  const bindPattern = (pattern: TS.BindingName, module: string) => {
    if (ts.isIdentifier(pattern)) {
      map.set(pattern.text, { module, member: '*' });
      return;
    }
    if (ts.isObjectBindingPattern(pattern)) {
      for (const element of pattern.elements) {
        const member =
          element.propertyName && ts.isIdentifier(element.propertyName)
            ? element.propertyName.text
            : ts.isIdentifier(element.name)
              ? element.name.text
              : undefined;
        if (member && ts.isIdentifier(element.name)) map.set(element.name.text, { module, member });
      }
    }
  };
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const module = normaliseModule(node.moduleSpecifier.text);
      const clause = node.importClause;
      if (clause?.name) map.set(clause.name.text, { module, member: '*' });
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) map.set(bindings.name.text, { module, member: '*' });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements)
          map.set(element.name.text, { module, member: (element.propertyName ?? element.name).text });
      }
      return;
    }
    if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      map.set(node.name.text, { module: normaliseModule(node.moduleReference.expression.text), member: '*' });
      return;
    }
    if (ts.isVariableDeclaration(node) && node.initializer) {
      let init: TS.Expression = node.initializer;
      while (ts.isAwaitExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
      const direct = requiredModule(ts, init);
      if (direct) bindPattern(node.name, direct);
      // const exec = require('child_process').exec
      if (ts.isPropertyAccessExpression(init)) {
        const module = requiredModule(ts, init.expression);
        if (module && ts.isIdentifier(node.name)) map.set(node.name.text, { module, member: init.name.text });
      }
      // const { promisify } = require('util'); const exec = promisify(cp.exec)
      if (
        ts.isCallExpression(init) &&
        ts.isIdentifier(init.expression) &&
        init.expression.text === 'promisify' &&
        init.arguments[0] &&
        ts.isIdentifier(node.name)
      ) {
        const inner = init.arguments[0];
        if (ts.isPropertyAccessExpression(inner) && ts.isIdentifier(inner.expression)) {
          const base = map.get(inner.expression.text);
          if (base) map.set(node.name.text, { module: base.module, member: inner.name.text });
        } else if (ts.isIdentifier(inner) && map.has(inner.text)) {
          map.set(node.name.text, map.get(inner.text)!);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return map;
}
