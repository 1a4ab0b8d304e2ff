// analyzeAndImproveCode's figures (issue 5), side by side with the peer in the same run:
//   - comprehensive static analysis of a ≥ 100k-line JS tree: wall time and peak memory, Caelum vs
//     ESLint + eslint-plugin-security (recommended config) on the same files, each in its own
//     process started the same way;
//   - incremental re-analysis after one file changes, from the content-hash cache (in the same
//     process, and in a fresh process reading the cache from the data dir).
// The tree is copied out of node_modules (ESLint ignores node_modules paths): eslint/lib and
// undici/lib, plain CommonJS, so both tools parse every file.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-dev-bench-'));
const tree = path.join(work, 'tree');
for (const source of ['eslint/lib', 'undici/lib'])
  await cp(path.join(root, 'node_modules', source), path.join(tree, source.replace('/', '-')), { recursive: true });

interface ChildResult {
  run: {
    ms: number;
    files: number;
    lines?: number;
    findings: number;
    security?: number;
    skipped?: number;
    parseErrors?: number;
    cache?: { hits: number; misses: number };
  };
  fill?: { ms: number };
  maxRssMB: number;
}

function child(script: string, args: string[]): Promise<{ wallMs: number; result: ChildResult }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--max-old-space-size=4096', path.join(root, 'bench', script), ...args],
      { maxBuffer: 64 * 1024 * 1024, cwd: root },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script}: ${stderr || error.message}`));
        else resolve({ wallMs: performance.now() - started, result: JSON.parse(stdout) as ChildResult });
      },
    );
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const caelumRuns: { wallMs: number; result: ChildResult }[] = [];
const eslintRuns: { wallMs: number; result: ChildResult }[] = [];
for (let i = 0; i < runs; i++) {
  // Alternate the order so neither tool always runs on a warmer page cache.
  if (i % 2 === 0) {
    caelumRuns.push(await child('development-caelum.mjs', [tree, path.join(work, `data-cold-${i}`), 'cold']));
    eslintRuns.push(await child('development-eslint.mjs', [tree]));
  } else {
    eslintRuns.push(await child('development-eslint.mjs', [tree]));
    caelumRuns.push(await child('development-caelum.mjs', [tree, path.join(work, `data-cold-${i}`), 'cold']));
  }
}
const touched = 'eslint-lib/linter/linter.js';
const warm = await child('development-caelum.mjs', [tree, path.join(work, 'data-warm'), 'warm', touched]);
const fresh = await child('development-caelum.mjs', [tree, path.join(work, 'data-warm'), 'fresh', touched]);

const caelum = caelumRuns.at(-1)!.result.run;
const rows = [
  {
    tool: 'Caelum (security + complexity)',
    files: caelum.files,
    lines: caelum.lines ?? 0,
    'wall s (median)': (median(caelumRuns.map((r) => r.wallMs)) / 1000).toFixed(2),
    'analysis s': (median(caelumRuns.map((r) => r.result.run.ms)) / 1000).toFixed(2),
    'peak MiB': Math.max(...caelumRuns.map((r) => r.result.maxRssMB)),
    findings: caelum.findings,
  },
  {
    tool: 'ESLint + eslint-plugin-security',
    files: eslintRuns[0]!.result.run.files,
    lines: caelum.lines ?? 0,
    'wall s (median)': (median(eslintRuns.map((r) => r.wallMs)) / 1000).toFixed(2),
    'analysis s': (median(eslintRuns.map((r) => r.result.run.ms)) / 1000).toFixed(2),
    'peak MiB': Math.max(...eslintRuns.map((r) => r.result.maxRssMB)),
    findings: eslintRuns[0]!.result.run.findings,
  },
];
const speedup = median(eslintRuns.map((r) => r.wallMs)) / median(caelumRuns.map((r) => r.wallMs));
console.log(
  `\nComprehensive static analysis, ${caelum.lines} lines in ${caelum.files} files (${runs} runs each, alternating)`,
);
console.log(table('full analysis', rows));
console.log(`Caelum is ${speedup.toFixed(2)}× faster (wall time; target ≥ 2×, ≤ 20 s, ≤ 1 GiB)`);
const incremental = [
  {
    case: 'one file changed, same process (memory cache)',
    'analysis ms': warm.result.run.ms.toFixed(0),
    'cache hits/misses': `${warm.result.run.cache?.hits}/${warm.result.run.cache?.misses}`,
    'full run ms': warm.result.fill?.ms.toFixed(0) ?? '',
  },
  {
    case: 'one file changed, fresh process (cache read from the data dir)',
    'analysis ms': fresh.result.run.ms.toFixed(0),
    'cache hits/misses': `${fresh.result.run.cache?.hits}/${fresh.result.run.cache?.misses}`,
    'full run ms': '',
  },
];
console.log('\nIncremental re-analysis (target ≤ 300 ms)');
console.log(table('incremental', incremental));

const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  tree: { sources: ['eslint/lib', 'undici/lib'], files: caelum.files, lines: caelum.lines },
  full: rows,
  speedup: Number(speedup.toFixed(2)),
  incremental: {
    sameProcessMs: Number(warm.result.run.ms.toFixed(1)),
    freshProcessMs: Number(fresh.result.run.ms.toFixed(1)),
    sameProcess: warm.result.run.cache,
    freshProcess: fresh.result.run.cache,
  },
  targets: { wallSeconds: 20, peakMiB: 1024, speedup: 2, incrementalMs: 300 },
};
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', 'development.json');
await writeFile(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
await rename(`${file}.tmp`, file);
await rm(work, { recursive: true, force: true });
