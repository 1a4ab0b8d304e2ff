// Security figures (issue 14), file side, on the 138k-line bench tree of bench/development.ts
// (eslint/lib + undici/lib copied out of node_modules):
//   1. the confined file layer against plain fs on the same work: listing every directory
//      (readConfinedDirectory vs readdir) and reading every source file (readConfined with the 2 MiB
//      cap vs readFile), alternating, median of --runs passes;
//   2. the full static analysis (security + complexity, cold cache) of the code before issue 14
//      (--before, default the commit before it) against the code now, each built in its own
//      checkout and run in its own process the same way, alternating, median of --analysis-runs.
// Prints tables and writes bench/results/security-files.json.
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Confinement, readConfined, readConfinedDirectory } from '../tools/confined-fs.js';
import { round, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const flag = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1]!;
};
const runs = Number(flag('--runs', '15'));
const analysisRuns = Number(flag('--analysis-runs', '5'));
const before = flag('--before', '3421a56');
const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-security-bench-'));
const tree = path.join(work, 'tree');
for (const source of ['eslint/lib', 'undici/lib'])
  await cp(path.join(root, 'node_modules', source), path.join(tree, source.replace('/', '-')), { recursive: true });

// The same directories and files for both sides.
const directories: string[] = [];
const files: string[] = [];
for (const stack = [tree]; stack.length > 0;) {
  const dir = stack.pop()!;
  directories.push(dir);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) stack.push(full);
    else if (entry.isFile() && /\.(c|m)?js$/.test(entry.name)) files.push(full);
  }
}
let lines = 0;
for (const file of files) lines += (await readFile(file, 'utf8')).split('\n').length;
const confinement = await Confinement.of([tree]);
const cap = { maxBytes: 2 * 1024 * 1024 };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}
// Reads run 16 at a time, as the analysis does.
async function eachLimited<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const sides = {
  'list directories': {
    plain: () => eachLimited(directories, (d) => readdir(d, { withFileTypes: true })),
    confined: () => eachLimited(directories, (d) => readConfinedDirectory(d, confinement)),
  },
  'read source files': {
    plain: () => eachLimited(files, (f) => readFile(f)),
    confined: () => eachLimited(files, (f) => readConfined(f, confinement, cap)),
  },
};
const layerRows: Record<string, string | number>[] = [];
const layer: Record<string, { plainMs: number; confinedMs: number; ratio: number }> = {};
for (const [name, side] of Object.entries(sides)) {
  await side.plain();
  await side.confined();
  const plain: number[] = [];
  const confined: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      plain.push(await timed(side.plain));
      confined.push(await timed(side.confined));
    } else {
      confined.push(await timed(side.confined));
      plain.push(await timed(side.plain));
    }
  }
  const entry = { plainMs: round(median(plain), 1), confinedMs: round(median(confined), 1), ratio: 0 };
  entry.ratio = round(entry.confinedMs / entry.plainMs, 2);
  layer[name] = entry;
  layerRows.push({
    operation: `${name} (${name.startsWith('list') ? directories.length : files.length})`,
    'plain fs ms': entry.plainMs,
    'confined ms': entry.confinedMs,
    'confined / plain': entry.ratio,
  });
}
process.stdout.write(
  `${table(`Confined file layer vs plain fs, ${files.length} files / ${lines} lines (median of ${runs})`, layerRows)}\n`,
);

// The full analysis, before and after: each checkout built, then run through its own bench child.
const beforeDir = path.join(work, 'before');
execFileSync('git', ['worktree', 'add', '--detach', '-q', beforeDir, before], { cwd: root });
try {
  await symlink(path.join(root, 'node_modules'), path.join(beforeDir, 'node_modules'));
  process.stderr.write(`building ${before} in ${beforeDir} …\n`);
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: beforeDir, stdio: ['ignore', 'ignore', 'inherit'] });
  interface Run {
    wallMs: number;
    analysisMs: number;
    findings: number;
    maxRssMB: number;
  }
  const child = (checkout: string, i: number): Promise<Run> => {
    const dataDir = path.join(work, `data-${path.basename(checkout)}-${i}`);
    const started = performance.now();
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(checkout, 'bench', 'development-caelum.mjs'), tree, dataDir, 'cold'],
        { cwd: checkout, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) return reject(new Error(stderr || error.message));
          const parsed = JSON.parse(stdout) as { run: { ms: number; findings: number }; maxRssMB: number };
          resolve({
            wallMs: performance.now() - started,
            analysisMs: parsed.run.ms,
            findings: parsed.run.findings,
            maxRssMB: parsed.maxRssMB,
          });
        },
      ),
    );
  };
  const results: Record<'before' | 'now', Run[]> = { before: [], now: [] };
  for (let i = 0; i < analysisRuns; i++) {
    const order: ('before' | 'now')[] = i % 2 === 0 ? ['before', 'now'] : ['now', 'before'];
    for (const which of order) results[which].push(await child(which === 'before' ? beforeDir : root, i));
  }
  const summarise = (which: 'before' | 'now') => ({
    code: which === 'before' ? `before issue 14 (${before})` : 'now',
    'analysis ms (median)': round(median(results[which].map((r) => r.analysisMs)), 0),
    'wall ms (median)': round(median(results[which].map((r) => r.wallMs)), 0),
    'peak MiB': median(results[which].map((r) => r.maxRssMB)),
    findings: results[which][0]!.findings,
  });
  const rows = [summarise('before'), summarise('now')];
  const analysisRatio = round(rows[1]!['analysis ms (median)'] / rows[0]!['analysis ms (median)'], 3);
  process.stdout.write(
    `${table(`Full analysis (security + complexity, cold), ${files.length} files, before vs now (median of ${analysisRuns}, alternating)`, rows)}\nnow / before: ${analysisRatio} (target ≤ 1.10)\n`,
  );
  const out = path.join(root, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(
    path.join(out, 'security-files.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        tree: { sources: ['eslint/lib', 'undici/lib'], files: files.length, directories: directories.length, lines },
        runs,
        layer,
        analysis: { before, runs: analysisRuns, rows, ratio: analysisRatio, raw: results },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', beforeDir], { cwd: root });
  await rm(work, { recursive: true, force: true });
}
