// Security figures (issue 14). Git section: what the hardened runner of tools/development/git.ts
// costs against plain `git` (execFile, inherited environment, the flags the old runner passed) on
// the same operations over a clone of this repository: status, log --name-only over the full
// history, diff against HEAD~N, blame of the file with the most history. Each figure is the median
// of --runs runs (default 15) after one warm-up; opening the repository (rev-parse, alternates and
// the config scan, which is cached while the config files are unchanged) is shown on its own and
// included in the "per tool call" ratio, since every tool call opens the repository once.
// Prints a table and writes bench/results/security-git.json.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findRepository, SAFE_DIFF_FLAGS, type GitAccess } from '../tools/development/git.js';
import { round, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag === -1 ? 15 : Number(process.argv[runsFlag + 1]) || 15;
const sourceFlag = process.argv.indexOf('--repo');
const source = sourceFlag === -1 ? root : path.resolve(process.argv[sourceFlag + 1]!);

function plain(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd, maxBuffer: 1024 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-git-bench-'));
try {
  const clone = path.join(work, 'repo');
  await plain(['clone', '-q', '--no-local', source, clone], work);
  const commits = Number((await plain(['rev-list', '--count', 'HEAD'], clone)).trim());
  const files = (await plain(['ls-files'], clone)).split('\n').filter(Boolean).length;
  const back = Math.min(20, commits - 1);
  // The file with the most commits among the larger ones: the slowest blame a tool would run.
  const history = (await plain(['log', '--format=', '--name-only'], clone)).split('\n').filter(Boolean);
  const counts = new Map<string, number>();
  for (const file of history) counts.set(file, (counts.get(file) ?? 0) + 1);
  const blameFile = [...counts.entries()]
    .filter(([file]) => /\.(ts|md)$/.test(file) && files > 0)
    .sort((a, b) => b[1] - a[1])[0]![0];
  // A work tree with some uncommitted changes, so status and diff have work to do.
  await writeFile(path.join(clone, 'bench-untracked.txt'), 'untracked\n');
  await mkdir(path.join(clone, 'bench-dir'), { recursive: true });
  await writeFile(path.join(clone, 'bench-dir', 'a.ts'), 'export const a = 1;\n');

  const access: GitAccess = {
    allowedRoots: [work],
    childEnvironment: Object.fromEntries(
      Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
  const repo = (await findRepository(clone, access))!;
  const operations: { name: string; plain: string[]; hardened: string[] }[] = [
    {
      name: 'status',
      plain: ['status', '--porcelain=v2', '--branch', '--untracked-files=all'],
      hardened: ['status', '--porcelain=v2', '--branch', '--untracked-files=all', '--ignore-submodules=all'],
    },
    {
      name: 'log --name-only (full history)',
      plain: ['log', '--no-merges', '--format=', '--name-only', '--relative'],
      hardened: ['log', '--no-merges', '--no-show-signature', '--format=', '--name-only', '--relative'],
    },
    {
      name: `diff HEAD~${back}`,
      plain: ['diff', `HEAD~${back}`, '--no-color', '--no-ext-diff'],
      hardened: ['diff', `HEAD~${back}`, ...SAFE_DIFF_FLAGS],
    },
    {
      name: `blame ${blameFile}`,
      plain: ['blame', '--porcelain', '--', blameFile],
      hardened: ['blame', '--porcelain', '--no-textconv', '--', blameFile],
    },
  ];
  const rows: Record<string, string | number>[] = [];
  const open = await median(() => findRepository(clone, access));
  const results: {
    operation: string;
    plainMs: number;
    hardenedMs: number;
    ratio: number;
    perToolCallRatio: number;
    bytes: number;
  }[] = [];
  for (const op of operations) {
    const [a, b] = [await plain(op.plain, clone), await repo.run(op.hardened)];
    if (a !== b) throw new Error(`${op.name}: hardened output differs from plain git`);
    const plainMs = await median(() => plain(op.plain, clone));
    const hardenedMs = await median(() => repo.run(op.hardened));
    const result = {
      operation: op.name,
      plainMs: round(plainMs, 2),
      hardenedMs: round(hardenedMs, 2),
      ratio: round(hardenedMs / plainMs, 2),
      perToolCallRatio: round((hardenedMs + open) / plainMs, 2),
      bytes: Buffer.byteLength(a),
    };
    results.push(result);
    rows.push(result);
  }
  rows.push({
    operation: 'open repository (checks, cached config scan)',
    plainMs: '-',
    hardenedMs: round(open, 2),
    ratio: '-',
    perToolCallRatio: '-',
    bytes: '-',
  });
  process.stderr.write(
    table(
      `hardened git runner vs plain git: clone of ${path.basename(source)} (${commits} commits, ${files} files), median of ${runs} runs`,
      rows,
    ),
  );
  const out = path.join(root, 'bench', 'results', 'security-git.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        git: (await plain(['--version'], work)).trim(),
        repository: { commits, files },
        runs,
        openMs: round(open, 2),
        operations: results,
      },
      null,
      2,
    )}\n`,
  );
  process.stderr.write(`wrote ${path.relative(root, out)}\n`);
} finally {
  await rm(work, { recursive: true, force: true });
}
