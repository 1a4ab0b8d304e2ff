// Git tools for the development domain: status, diff, recent history and churn hotspots. All run
// git through the hardened runner of git.ts (no shell, no program named by the repository, nothing
// outside the allowed roots); refs are verified before use.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { resolveInsideRoots } from '../roots.js';
import { InputError } from '../errors.js';
import {
  changedFiles,
  checkRef,
  churn,
  openRepository,
  SAFE_DIFF_FLAGS,
  type GitAccess,
  type GitRepository,
} from './git.js';

export async function repository(requested: string, access: GitAccess, signal?: AbortSignal): Promise<GitRepository> {
  const target = await resolveInsideRoots(requested, access.allowedRoots, 'path');
  if (!target.isDirectory) throw new InputError('path', `${requested} is a file; pass the repository directory`);
  return openRepository(target.absolute, access, { field: 'path', ...(signal ? { signal } : {}) });
}

const pathField = z.string().default('.').describe('Repository directory inside the allowed roots. Default ".".');

export const gitStatus = defineTool({
  name: 'development_git_status',
  domain: 'development',
  tags: ['git', 'status', 'branch', 'changes', 'staged', 'untracked'],
  requests: [
    'what is uncommitted in my working directory',
    'show staged and unstaged files',
    'am I ahead of the remote branch',
    'uncommitted changes and current branch',
    'modified files waiting to be committed',
    'is anything left to commit',
    'untracked files in the working tree',
    'which branch am I on',
  ],
  title: 'Git status',
  description:
    'The branch, its upstream and ahead/behind counts, and every staged, unstaged and untracked file. Read-only. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: pathField }),
  output: z.object({
    branch: z.string(),
    upstream: z.string().optional(),
    ahead: z.number().int(),
    behind: z.number().int(),
    files: z.array(z.object({ path: z.string(), staged: z.string(), unstaged: z.string() })),
    clean: z.boolean(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const repo = await repository(input.path, context.environment, context.signal);
    const output = await repo.run(
      ['status', '--porcelain=v2', '--branch', '--untracked-files=all', '--ignore-submodules=all'],
      { signal: context.signal },
    );
    let branch = '(detached)';
    let upstream: string | undefined;
    let ahead = 0;
    let behind = 0;
    const files: { path: string; staged: string; unstaged: string }[] = [];
    for (const line of output.split('\n')) {
      if (line.startsWith('# branch.head ')) branch = line.slice(14);
      else if (line.startsWith('# branch.upstream ')) upstream = line.slice(18);
      else if (line.startsWith('# branch.ab ')) {
        const match = /\+(\d+) -(\d+)/.exec(line);
        ahead = Number(match?.[1] ?? 0);
        behind = Number(match?.[2] ?? 0);
      } else if (line.startsWith('1 ') || line.startsWith('2 ')) {
        const parts = line.split(' ');
        const xy = parts[1]!;
        const file = line.startsWith('2 ')
          ? line.split('\t')[0]!.split(' ').slice(9).join(' ')
          : parts.slice(8).join(' ');
        files.push({ path: file, staged: xy[0] === '.' ? '' : xy[0]!, unstaged: xy[1] === '.' ? '' : xy[1]! });
      } else if (line.startsWith('? ')) files.push({ path: line.slice(2), staged: '', unstaged: '?' });
    }
    return { branch, ...(upstream ? { upstream } : {}), ahead, behind, files, clean: files.length === 0 };
  },
  summarize: (o) =>
    `${o.branch}${o.upstream ? ` → ${o.upstream} (+${o.ahead}/-${o.behind})` : ''}: ${
      o.clean
        ? 'clean'
        : `${o.files.length} changed file(s)\n${o.files
            .slice(0, 30)
            .map((f) => `  ${f.staged || ' '}${f.unstaged || ' '} ${f.path}`)
            .join('\n')}`
    }`,
});

export const gitDiff = defineTool({
  name: 'development_git_diff',
  domain: 'development',
  tags: ['git', 'diff', 'patch', 'changes', 'review'],
  requests: [
    'what did I change since HEAD',
    'show the diff against another branch',
    'review my pending changes as a patch',
    'lines changed in the working copy',
    'my edits since the last commit',
    'show the changed lines before committing',
    'diff of the staged changes',
  ],
  title: 'Git diff',
  description:
    'The unified diff of the working tree against a ref (default HEAD), or of the staged changes, with per-file changed line ranges; capped in size. Example: {"against": "main", "maxBytes": 50000}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    against: z
      .string()
      .min(1)
      .max(200)
      .default('HEAD')
      .describe('A ref (branch, tag, commit), or "staged" for the index. Default "HEAD".'),
    maxBytes: z
      .number()
      .int()
      .min(1000)
      .max(5_000_000)
      .default(200_000)
      .describe('Cap on the diff text. Default 200,000.'),
  }),
  output: z.object({
    against: z.string(),
    files: z.array(
      z.object({
        path: z.string(),
        status: z.string(),
        ranges: z.array(z.tuple([z.number().int(), z.number().int()])),
      }),
    ),
    diff: z.string(),
    truncated: z.boolean(),
  }),
  examples: [{ path: '.', against: 'HEAD' }],
  async handler(input, context) {
    const repo = await repository(input.path, context.environment, context.signal);
    if (input.against !== 'staged') await checkRef(input.against, repo, 'against');
    const files = await changedFiles(repo, input.against, context.signal);
    const { text: diff, truncated } = await repo.runCapped(
      [...(input.against === 'staged' ? ['diff', '--cached'] : ['diff', input.against]), ...SAFE_DIFF_FLAGS],
      input.maxBytes,
      { signal: context.signal },
    );
    return {
      against: input.against,
      files: files.map((f) => ({
        path: f.path,
        status: f.status,
        ranges: f.ranges.map(([a, b]) => [a, Math.min(b, 2_147_483_647)] as [number, number]),
      })),
      diff,
      truncated,
    };
  },
  summarize: (o) =>
    `${o.files.length} file(s) changed against ${o.against}${o.truncated ? ' (diff truncated)' : ''}\n${o.diff.slice(0, 4000)}`,
});

export const gitLog = defineTool({
  name: 'development_git_log',
  domain: 'development',
  tags: ['git', 'log', 'history', 'commits', 'merges', 'authors', 'blame'],
  requests: [
    'show the commit history',
    'commits affecting one path',
    'who has been committing lately',
    'git log of the last commits',
    'recent commit messages and authors',
    'what was merged recently',
    'history of changes to a file',
    'commits from the last month',
  ],
  title: 'Git history',
  description:
    'Recent commits (hash, author, date, subject, files changed, lines added/removed), optionally for one path. Example: {"limit": 20, "file": "src/index.ts"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    limit: z.number().int().min(1).max(1000).default(30).describe('Most commits to return. Default 30.'),
    file: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe('Only commits touching this file or directory (relative to the repository).'),
  }),
  output: z.object({
    commits: z.array(
      z.object({
        hash: z.string(),
        author: z.string(),
        date: z.string(),
        subject: z.string(),
        files: z.number().int(),
        added: z.number().int(),
        removed: z.number().int(),
      }),
    ),
  }),
  examples: [{ path: '.', limit: 10 }],
  async handler(input, context) {
    const repo = await repository(input.path, context.environment, context.signal);
    if (input.file?.startsWith('-')) throw new InputError('file', 'must be a path, not an option');
    const output = await repo.run(
      [
        'log',
        `--max-count=${input.limit}`,
        '--no-merges',
        '--no-show-signature',
        '--no-textconv',
        '--no-ext-diff',
        '--ignore-submodules=all',
        '--numstat',
        '--format=%x1e%H%x1f%an%x1f%aI%x1f%s',
        ...(input.file ? ['--', input.file] : []),
      ],
      { signal: context.signal },
    );
    const commits = output
      .split('\x1e')
      .filter((chunk) => chunk.trim())
      .map((chunk) => {
        const [header, ...stats] = chunk.split('\n');
        const [hash, author, date, subject] = header!.split('\x1f');
        let added = 0;
        let removed = 0;
        let files = 0;
        for (const line of stats) {
          const match = /^(\d+|-)\t(\d+|-)\t/.exec(line);
          if (!match) continue;
          files++;
          added += Number(match[1]) || 0;
          removed += Number(match[2]) || 0;
        }
        return { hash: hash!, author: author!, date: date!, subject: subject ?? '', files, added, removed };
      });
    return { commits };
  },
  summarize: (o) =>
    o.commits
      .map(
        (c) =>
          `${c.hash.slice(0, 10)} ${c.date.slice(0, 10)} ${c.author}: ${c.subject} (+${c.added}/-${c.removed}, ${c.files} files)`,
      )
      .join('\n') || 'no commits',
});

export const gitChurn = defineTool({
  name: 'development_git_churn',
  domain: 'development',
  tags: ['git', 'churn', 'hotspots', 'history', 'change frequency'],
  requests: [
    'change hotspots by commit count',
    'change frequency per file over 90 days',
    'files with the highest commit count',
    'where edits pile up in git history',
    'files changed most often in git',
    'which files are edited the most',
  ],
  title: 'Churn hotspots',
  description:
    'Files ranked by how many commits changed them in a recent window: where change concentrates, and so where complexity costs most. Example: {"days": 90, "limit": 20}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    days: z.number().int().min(1).max(3650).default(180).describe('History window in days. Default 180.'),
    limit: z.number().int().min(1).max(1000).default(30).describe('Most files to return. Default 30.'),
  }),
  output: z.object({
    days: z.number().int(),
    files: z.array(z.object({ path: z.string(), commits: z.number().int() })),
  }),
  examples: [{ path: '.', days: 90, limit: 10 }],
  async handler(input, context) {
    const repo = await repository(input.path, context.environment, context.signal);
    const counts = await churn(repo, { days: input.days, signal: context.signal });
    const files = [...counts.entries()]
      .map(([path, commits]) => ({ path, commits }))
      .sort((a, b) => b.commits - a.commits || a.path.localeCompare(b.path))
      .slice(0, input.limit);
    return { days: input.days, files };
  },
  summarize: (o) =>
    o.files.map((f) => `${String(f.commits).padStart(4)}  ${f.path}`).join('\n') ||
    `no commits in the last ${o.days} days`,
});
