// Loads the Python grammar into web-tree-sitter once per process. Both ship as WebAssembly in npm
// packages (web-tree-sitter, tree-sitter-python), so nothing is compiled or downloaded at run time.
// Trees live in the WebAssembly heap: callers must delete() every tree they parse.
import { createRequire } from 'node:module';
import type { Parser as ParserType, Tree } from 'web-tree-sitter';

export type { Node as PythonNode, Tree as PythonTree } from 'web-tree-sitter';

let loading: Promise<ParserType> | undefined;

async function load(): Promise<ParserType> {
  const { Parser, Language } = await import('web-tree-sitter');
  await Parser.init();
  const require = createRequire(import.meta.url);
  const grammar = await Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
  const parser = new Parser();
  parser.setLanguage(grammar);
  return parser;
}

/** The shared Python parser; rejects (and retries on the next call) when the WebAssembly cannot load. */
export function pythonParser(): Promise<ParserType> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Parses, hands the tree to `use`, and frees the tree's WebAssembly memory whatever happens. */
export function withPythonTree<T>(parser: ParserType, text: string, use: (tree: Tree) => T): T {
  const tree = parser.parse(text);
  if (!tree) throw new Error('the Python parser returned no tree');
  try {
    return use(tree);
  } finally {
    tree.delete();
  }
}
