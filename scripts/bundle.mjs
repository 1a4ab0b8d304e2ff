// Bundles the CLI for start-up speed: one file per lazily loaded part instead of ~300 modules,
// which takes about a quarter off the cold start over stdio (measured by `npm run bench`).
// typescript, pg and undici stay external (they load only when a tool needs them), and so do the
// native addons (hnswlib-node, kuzu, onnxruntime-node), which cannot be bundled.
import { copyFile, mkdir } from 'node:fs/promises';
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

// The web dashboard: one minified browser bundle (the views and uPlot), its CSS and page, served by
// the service from dist/dashboard; nothing is fetched from elsewhere at run time.
await build({
  entryPoints: { app: 'dashboard/app.ts' },
  outdir: 'dist/dashboard',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  sourcemap: false,
  logLevel: 'warning',
});
await copyFile('dashboard/index.html', 'dist/dashboard/index.html');
await copyFile('dashboard/style.css', 'dist/dashboard/app.css');
await copyFile('node_modules/uplot/dist/uPlot.min.css', 'dist/dashboard/uPlot.min.css');

// The local job wrapper runs as its own process (node job-wrapper.mjs), so it is not bundled: it is
// copied next to the chunks, where the job executor looks for it (new URL('./job-wrapper.mjs', ...)),
// and next to tsc's output of the executor for runs from dist/.
for (const directory of ['dist/bundle', 'dist/tools/ml-training/jobs']) {
  await mkdir(directory, { recursive: true });
  await copyFile('tools/ml-training/jobs/job-wrapper.mjs', `${directory}/job-wrapper.mjs`);
}
