// Every module a file refers to, wherever the reference sits: import/export declarations (type-only
// ones included), `import x = require('x')`, require('x') and import('x') at any depth (inside
// functions, member accesses like require('x').y, .then chains), and the package uses that are no
// import edge: require.resolve('x') and the JSX runtime a file with JSX needs.
import type TS from 'typescript';

type Typescript = typeof TS;

export interface ModuleReferences {
  /** Specifiers imported or required, as written. */
  imports: string[];
  /** Packages used without an import edge (require.resolve, the JSX runtime). */
  packageUses: string[];
}

const jsxPragma = /@jsxImportSource\s+(\S+)/;

export function moduleReferences(ts: Typescript, source: TS.SourceFile): ModuleReferences {
  const imports = new Set<string>();
  const packageUses = new Set<string>();
  let hasJsx = false;
  const text = source.text;
  // A file without any of these words refers to no module: skip the walk.
  const mayRefer = /\b(import|require|export)\b/.test(text);
  const visit = (node: TS.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    )
      imports.add(node.moduleSpecifier.text);
    else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteralLike(node.moduleReference.expression)
    )
      imports.add(node.moduleReference.expression.text);
    else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]!)) {
      const callee = node.expression;
      const specifier = node.arguments[0].text;
      if ((ts.isIdentifier(callee) && callee.text === 'require') || callee.kind === ts.SyntaxKind.ImportKeyword)
        imports.add(specifier);
      else if (
        ts.isPropertyAccessExpression(callee) &&
        callee.name.text === 'resolve' &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require'
      )
        packageUses.add(specifier);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    )
      // type T = import('x').T
      imports.add(node.argument.literal.text);
    else if (ts.isJsxElement(node) || ts.isJsxSelfClosingElement(node) || ts.isJsxFragment(node)) hasJsx = true;
    if (mayRefer || !hasJsx) ts.forEachChild(node, visit);
  };
  visit(source);
  if (hasJsx) packageUses.add(`${jsxPragma.exec(text)?.[1] ?? 'react'}/jsx-runtime`);
  return { imports: [...imports], packageUses: [...packageUses] };
}
