// Git through execFile (no shell), with a timeout and an output cap. Refs from callers are checked
// before use: a ref starting with "-" would be read as an option.
import { execFile } from 'node:child_process';
import { InputError, ToolError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

let gitEnvironment: Record<string, string> | undefined;

/**
 * The environment git runs with. The composition root sets the allow-listed child environment
 * (tools/child-environment.ts): a repository's config can make git run programs (fsmonitor,
 * textconv, aliases), and those must not inherit Caelum's keys. Unset, git inherits (tests).
 */
export function setGitEnvironment(env: Record<string, string> | undefined): void {
  gitEnvironment = env;
}

export function git(args: string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        ...(gitEnvironment ? { env: gitEnvironment } : {}),
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: 64 * 1024 * 1024,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') reject(new ToolError('UNAVAILABLE', 'git is not installed on this machine'));
          else reject(new GitError(stderr.trim() || error.message));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

export class GitError extends Error {
  override readonly name = 'GitError';
}

export async function isGitRepository(cwd: string): Promise<boolean> {
  try {
    return (await git(['rev-parse', '--is-inside-work-tree'], { cwd })).trim() === 'true';
  } catch {
    return false;
  }
}

export async function checkRef(ref: string, cwd: string, field: string): Promise<string> {
  if (ref.startsWith('-') || !/^[\w./@{}~^-]+$/.test(ref))
    throw new InputError(field, `"${ref}" is not a valid git ref`);
  try {
    return (await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd })).trim();
  } catch {
    throw new InputError(
      field,
      `"${ref}" is not a commit in this repository; pass a branch, tag or commit (e.g. "main" or "HEAD~3")`,
    );
  }
}

export interface ChangedFile {
  path: string;
  status: string;
  /** Changed line ranges in the new version, [start, end] inclusive. */
  ranges: [number, number][];
}

/** Files (and line ranges) changed against `ref`, or staged when `ref` is "staged", plus untracked files. */
export async function changedFiles(cwd: string, ref: string | 'staged', signal?: AbortSignal): Promise<ChangedFile[]> {
  const diffArgs = ref === 'staged' ? ['diff', '--cached'] : ['diff', ref];
  const [names, hunks, untracked] = await Promise.all([
    git([...diffArgs, '--name-status', '--no-renames', '--relative'], { cwd, ...(signal ? { signal } : {}) }),
    git([...diffArgs, '-U0', '--no-color', '--no-ext-diff', '--relative'], { cwd, ...(signal ? { signal } : {}) }),
    ref === 'staged'
      ? Promise.resolve('')
      : git(['ls-files', '--others', '--exclude-standard'], { cwd, ...(signal ? { signal } : {}) }),
  ]);
  const files = new Map<string, ChangedFile>();
  for (const line of names.split('\n')) {
    const [status, file] = line.split('\t');
    if (status && file) files.set(file, { path: file, status: status[0]!, ranges: [] });
  }
  let current: ChangedFile | undefined;
  for (const line of hunks.split('\n')) {
    if (line.startsWith('+++ ')) {
      const file = line.slice(4).replace(/^b\//, '');
      current = files.get(file);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && current) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count > 0) current.ranges.push([start, start + count - 1]);
    }
  }
  for (const file of untracked.split('\n')) {
    if (file && !files.has(file)) files.set(file, { path: file, status: '?', ranges: [[1, Number.MAX_SAFE_INTEGER]] });
  }
  return [...files.values()].filter((f) => f.status !== 'D');
}

/** Commits touching each file in the last `days` days (or `maxCommits` commits). */
export async function churn(
  cwd: string,
  options: { days?: number; maxCommits?: number; signal?: AbortSignal } = {},
): Promise<Map<string, number>> {
  const args = [
    'log',
    '--no-merges',
    '--format=',
    '--name-only',
    '--relative',
    `--max-count=${options.maxCommits ?? 2000}`,
  ];
  if (options.days) args.push(`--since=${options.days}.days`);
  const output = await git(args, { cwd, ...(options.signal ? { signal: options.signal } : {}) });
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}
