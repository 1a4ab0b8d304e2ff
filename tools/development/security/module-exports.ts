// Which local function each exported name of a module refers to, so the taint linker can follow
// `dao.get(x)` in one file to the function summarised as `findUser` in the file it imports.
// CommonJS (`module.exports = { get: findUser }`, `exports.get = ...`, `module.exports = function`)
// and ESM (`export function`, `export const`, `export default`, `export { a as b }`). Anonymous
// default functions are summarised under the name `default` by the taint engine.
import type TS from 'typescript';

type Typescript = typeof TS;

/** Exported name → the name of the local function (its summary name). */
export type ExportMap = Record<string, string>;

export const defaultExport = 'default';

function hasModifier(ts: Typescript, node: TS.Node, kind: TS.SyntaxKind): boolean {
  return (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some((m) => m.kind === kind) === true;
}

/** The summary name of the function an exported expression denotes, if it is one (or names one). */
function localName(ts: Typescript, node: TS.Expression, fallback: string): string | undefined {
  let expression = node;
  while (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression)) expression = expression.expression;
  if (ts.isIdentifier(expression)) return expression.text;
  if (ts.isFunctionExpression(expression)) return expression.name?.text ?? fallback;
  if (ts.isArrowFunction(expression)) return fallback;
  return undefined;
}

/** The members of an exported object literal: `{ get, find: findUser, remove() {} }`. */
function objectMembers(ts: Typescript, literal: TS.ObjectLiteralExpression, into: ExportMap): void {
  for (const property of literal.properties) {
    if (ts.isShorthandPropertyAssignment(property)) into[property.name.text] = property.name.text;
    else if (
      ts.isPropertyAssignment(property) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
    ) {
      const local = localName(ts, property.initializer, property.name.text);
      if (local) into[property.name.text] = local;
    } else if (
      ts.isMethodDeclaration(property) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))
    )
      into[property.name.text] = property.name.text;
  }
}

export function moduleExports(ts: Typescript, source: TS.SourceFile): ExportMap {
  const exports: ExportMap = {};
  const assignment = (left: TS.Expression, right: TS.Expression): void => {
    let value = right;
    while (ts.isParenthesizedExpression(value)) value = value.expression;
    const target = left.getText(source).replace(/\s+/g, '');
    if (target === 'module.exports') {
      if (ts.isObjectLiteralExpression(value)) objectMembers(ts, value, exports);
      else if (ts.isClassExpression(value)) {
        if (value.name) exports[defaultExport] = value.name.text;
      } else {
        const local = localName(ts, value, defaultExport);
        if (local) exports[defaultExport] = local;
      }
      return;
    }
    const member = /^(?:module\.)?exports\.([\w$]+)$/.exec(target)?.[1];
    if (member) {
      const local = localName(ts, value, member);
      if (local) exports[member] = local;
    }
  };
  for (const statement of source.statements) {
    if (ts.isExpressionStatement(statement)) {
      // module.exports = exports = {...}, a chain of assignments.
      let expression = statement.expression;
      while (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        if (ts.isPropertyAccessExpression(expression.left)) {
          let right = expression.right;
          while (ts.isBinaryExpression(right) && right.operatorToken.kind === ts.SyntaxKind.EqualsToken)
            right = right.right;
          assignment(expression.left, right);
        }
        expression = expression.right;
      }
      continue;
    }
    const exported = hasModifier(ts, statement, ts.SyntaxKind.ExportKeyword);
    const isDefault = hasModifier(ts, statement, ts.SyntaxKind.DefaultKeyword);
    if (ts.isFunctionDeclaration(statement) && exported) {
      const name = statement.name?.text ?? defaultExport;
      exports[isDefault ? defaultExport : name] = name;
    } else if (ts.isClassDeclaration(statement) && exported && isDefault && statement.name) {
      exports[defaultExport] = statement.name.text;
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) {
          exports[declaration.name.text] = declaration.name.text;
          if (declaration.initializer && ts.isObjectLiteralExpression(declaration.initializer))
            objectMembers(ts, declaration.initializer, exports);
        }
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      if (ts.isObjectLiteralExpression(statement.expression)) objectMembers(ts, statement.expression, exports);
      else {
        const local = localName(ts, statement.expression, defaultExport);
        if (local) exports[defaultExport] = local;
      }
    } else if (ts.isExportAssignment(statement)) {
      const local = localName(ts, statement.expression, defaultExport);
      if (local) exports[defaultExport] = local;
    } else if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    ) {
      for (const element of statement.exportClause.elements)
        exports[element.name.text] = (element.propertyName ?? element.name).text;
    }
  }
  return exports;
}
