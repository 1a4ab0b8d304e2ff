// Parser and extractor flags that open a hole: XML parsers configured to expand external entities
// (CWE-611), and node-tar told to keep unsafe entry paths (CWE-22). libxmljs/libxmljs2 `noent: true`
// is judged in config-rules.ts; this file adds libxml2-wasm, whose option is a libxml2 flag set
// (`ParseOption.XML_PARSE_NOENT`, or the number 2 within a bitwise or), and libxmljs's
// `Document.fromXml`. Not flagged, because they do not resolve external entities: xml2js (sax),
// fast-xml-parser (internal DOCTYPE entities only), @xmldom/xmldom and xmldom (DTD entities are
// ignored), and the browser DOMParser.
import type TS from 'typescript';
import type { PatternHit } from './config-rules.js';

type Typescript = typeof TS;

const NOENT = 2;
const NO_XXE = 1 << 23;

// Every hit needs a receiver whose source text is XmlDocument or ends in Document, or is tar or
// tarModule: a file whose text has neither word is not walked (almost every file).
const mayHit = /Document|\btar/;

export function checkXmlParsers(ts: Typescript, source: TS.SourceFile): PatternHit[] {
  const hits: PatternHit[] = [];
  if (!mayHit.test(source.text)) return hits;
  /** The flag bits an option expression sets, as far as literals and ParseOption names tell. */
  const flags = (node: TS.Expression): number => {
    if (ts.isParenthesizedExpression(node)) return flags(node.expression);
    if (ts.isNumericLiteral(node)) return Number(node.text);
    if (ts.isPropertyAccessExpression(node) || ts.isIdentifier(node)) {
      const name = ts.isIdentifier(node) ? node.text : node.name.text;
      if (name === 'XML_PARSE_NOENT') return NOENT;
      if (name === 'XML_PARSE_NO_XXE') return NO_XXE;
      return 0;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.BarToken)
      return flags(node.left) | flags(node.right);
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken)
      return flags(node.left) + flags(node.right);
    return 0;
  };
  const optionOf = (object: TS.Expression | undefined, key: string) => {
    if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
    for (const property of object.properties)
      if (ts.isPropertyAssignment(property) && ts.isIdentifier(property.name) && property.name.text === key)
        return property.initializer;
    return undefined;
  };
  const lines = (node: TS.Node) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
    const starts = source.getLineStarts();
    return {
      line: line + 1,
      endLine: source.getLineAndCharacterOfPosition(node.end).line + 1,
      evidence: source.text
        .slice(starts[line], starts[line + 1] ?? source.text.length)
        .trim()
        .slice(0, 240),
    };
  };
  const visit = (node: TS.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const receiver = node.expression.expression.getText(source);
      let expands: TS.Node | undefined;
      if (/(^|\.)XmlDocument$/.test(receiver) && /^from(String|Buffer|File)$/.test(method)) {
        const option = optionOf(node.arguments[1], 'option');
        if (option) {
          const bits = flags(option);
          if (bits & NOENT && !(bits & NO_XXE)) expands = option;
        }
      }
      if (/(^|\.)Document$/.test(receiver) && method === 'fromXml') {
        const noent = optionOf(node.arguments[1], 'noent');
        if (noent?.kind === ts.SyntaxKind.TrueKeyword) expands = noent;
      }
      // node-tar keeps ".." and absolute entry paths only when told to.
      if (
        /^(tar|tarModule)$/.test(receiver) &&
        /^(x|extract)$/.test(method) &&
        optionOf(node.arguments[0], 'preservePaths')?.kind === ts.SyntaxKind.TrueKeyword
      )
        hits.push({
          rule: 'path-traversal',
          cwe: 'CWE-22',
          severity: 'high',
          confidence: 'high',
          ...lines(node),
          message:
            'tar extraction with preservePaths: true writes entries named "../x" or "/etc/x" where they say (zip slip)',
          fix: { description: 'Drop preservePaths; node-tar then strips ".." and leading "/" from entry paths.' },
        });
      if (expands) {
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const starts = source.getLineStarts();
        hits.push({
          rule: 'xxe',
          cwe: 'CWE-611',
          severity: 'high',
          confidence: 'high',
          line: line + 1,
          endLine: source.getLineAndCharacterOfPosition(node.end).line + 1,
          evidence: source.text
            .slice(starts[line], starts[line + 1] ?? source.text.length)
            .trim()
            .slice(0, 240),
          message:
            'the XML parser substitutes entities (XML_PARSE_NOENT), which loads external entities: a document can read local files or reach internal hosts',
          fix: { description: 'Drop XML_PARSE_NOENT (entities stay unexpanded), or add XML_PARSE_NO_XXE.' },
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return hits;
}
