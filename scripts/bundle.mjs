// Bundles the CLI for start-up speed: one file per lazily loaded part instead of ~300 modules,
// which takes about a quarter off the cold start over stdio (measured by `npm run bench`).
// typescript, pg and undici stay external (they load only when a tool needs them), and so do the
// native addons (hnswlib-node, kuzu, onnxruntime-node), which cannot be bundled.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'servers/cli.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: [
    'typescript',
    'pg',
    'undici',
    'hnswlib-node',
    'kuzu',
    'onnxruntime-node',
    'web-tree-sitter',
    'tree-sitter-python',
  ],
  // CommonJS dependencies bundled into ESM need a real `require` for Node built-ins.
  banner: {
    js: "import { createRequire as __caelumCreateRequire } from 'node:module'; const require = __caelumCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
