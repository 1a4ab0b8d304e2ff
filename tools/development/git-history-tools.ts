// Line-level history: who last changed each line of a range (git blame, porcelain format), and
// what one commit changed (git show with numstat and the patch).
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { resolveInsideRoots } from '../roots.js';
import { InputError } from '../errors.js';
import { checkRef, openRepository, SAFE_DIFF_FLAGS } from './git.js';
import { repository } from './git-tools.js';

export const gitBlame = defineTool({
  name: 'development_git_blame',
  domain: 'development',
  tags: ['git', 'blame', 'history', 'authorship', 'who changed'],
  requests: [
    'git blame a file',
    'who changed these lines last',
    'find the commit behind a line',
    'last author of each line',
    'which commit added this code',
    'who is responsible for this code',
    'when was this line last changed and why',
  ],
  title: 'Git blame',
  description:
    'Who last changed each line of a file (or a line range), in which commit, when and why (the commit subject), with the lines grouped into runs from the same commit. Use it to find the change that introduced a line. Example: {"file": "src/index.ts", "startLine": 10, "endLine": 30}',
  kind: { effect: 'readOnly' },
  input: z.object({
    file: z.string().min(1).describe('File inside the allowed roots.'),
    startLine: z.number().int().min(1).optional().describe('First line (default 1).'),
    endLine: z.number().int().min(1).optional().describe('Last line (default: the end).'),
  }),
  output: z.object({
    file: z.string(),
    runs: z.array(
      z.object({
        startLine: z.number().int(),
        endLine: z.number().int(),
        commit: z.string(),
        author: z.string(),
        date: z.string(),
        subject: z.string(),
      }),
    ),
    authors: z.record(z.string(), z.number().int()),
  }),
  examples: [{ file: 'src/index.ts', startLine: 1, endLine: 3 }],
  async handler(input, context) {
    const target = await resolveInsideRoots(input.file, context.environment.allowedRoots, 'file');
    if (target.isDirectory) throw new InputError('file', `${input.file} is a directory; pass a file`);
    if (input.startLine && input.endLine && input.endLine < input.startLine)
      throw new InputError('endLine', 'must not be before startLine');
    const repo = await openRepository(path.dirname(target.absolute), context.environment, {
      field: 'file',
      signal: context.signal,
    });
    const range = input.startLine || input.endLine ? ['-L', `${input.startLine ?? 1},${input.endLine ?? ''}`] : [];
    let output: string;
    try {
      output = await repo.run(
        ['blame', '--porcelain', '--no-textconv', ...range, '--', path.basename(target.absolute)],
        { signal: context.signal },
      );
    } catch (error) {
      throw new InputError(
        'file',
        `git cannot blame ${input.file}: ${(error as Error).message.split('\n')[0]!.replace(/^fatal: /, '')}`,
      );
    }
    const commits = new Map<string, { author: string; date: string; subject: string }>();
    const runs: {
      startLine: number;
      endLine: number;
      commit: string;
      author: string;
      date: string;
      subject: string;
    }[] = [];
    const authors: Record<string, number> = {};
    let current: { hash: string; line: number } | undefined;
    for (const line of output.split('\n')) {
      const header = /^([0-9a-f]{40}) \d+ (\d+)/.exec(line);
      if (header) {
        current = { hash: header[1]!, line: Number(header[2]) };
        if (!commits.has(current.hash)) commits.set(current.hash, { author: '', date: '', subject: '' });
        continue;
      }
      if (!current) continue;
      const info = commits.get(current.hash)!;
      if (line.startsWith('author ')) info.author = line.slice(7);
      else if (line.startsWith('author-time ')) info.date = new Date(Number(line.slice(12)) * 1000).toISOString();
      else if (line.startsWith('summary ')) info.subject = line.slice(8);
      else if (line.startsWith('\t')) {
        const uncommitted = /^0{40}$/.test(current.hash);
        const author = uncommitted ? '(not committed yet)' : info.author;
        authors[author] = (authors[author] ?? 0) + 1;
        const last = runs[runs.length - 1];
        if (last && last.commit === current.hash.slice(0, 12) && last.endLine === current.line - 1)
          last.endLine = current.line;
        else
          runs.push({
            startLine: current.line,
            endLine: current.line,
            commit: current.hash.slice(0, 12),
            author,
            date: info.date,
            subject: uncommitted ? '' : info.subject,
          });
      }
    }
    return { file: input.file, runs, authors };
  },
  summarize: (o) =>
    `${o.file}: ${Object.entries(o.authors)
      .map(([a, n]) => `${a} ${n} line(s)`)
      .join(', ')}\n${o.runs
      .slice(0, 60)
      .map(
        (r) =>
          `  ${r.startLine}${r.endLine > r.startLine ? `-${r.endLine}` : ''}: ${r.commit} ${r.date.slice(0, 10)} ${r.author} — ${r.subject}`,
      )
      .join('\n')}`,
});

export const gitShowCommit = defineTool({
  name: 'development_git_show_commit',
  domain: 'development',
  tags: ['git', 'commit', 'show', 'history', 'patch', 'change'],
  requests: [
    'show a commit with its patch',
    'what did the last commit do',
    'files changed by one commit',
    'inspect a commit by hash',
    'details of one commit',
    'the latest commit in full',
    'diff introduced by a specific commit',
  ],
  title: 'Show a commit',
  description:
    'One commit: author, date, full message, the files it changed with lines added and removed, and its patch (capped). Example: {"ref": "HEAD"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z.string().default('.').describe('Repository directory inside the allowed roots. Default ".".'),
    ref: z.string().min(1).default('HEAD').describe('Commit, tag or branch. Default HEAD.'),
    maxPatchBytes: z
      .number()
      .int()
      .min(0)
      .max(2_000_000)
      .default(50_000)
      .describe('Cap on the patch text. Default 50 KB; 0 for none.'),
  }),
  output: z.object({
    hash: z.string(),
    author: z.string(),
    date: z.string(),
    message: z.string(),
    files: z.array(z.object({ path: z.string(), added: z.number().int(), removed: z.number().int() })),
    patch: z.string(),
    truncated: z.boolean(),
  }),
  examples: [{ path: '.', ref: 'HEAD', maxPatchBytes: 2000 }],
  async handler(input, context) {
    const repo = await repository(input.path, context.environment, context.signal);
    const ref = await checkRef(input.ref, repo, 'ref');
    const header = await repo.run(['show', '-s', '--no-show-signature', '--format=%H%x00%an <%ae>%x00%aI%x00%B', ref], {
      signal: context.signal,
    });
    const [hash, author, date, message] = header.split('\0');
    const numstat = await repo.run(
      ['show', '--no-show-signature', ...SAFE_DIFF_FLAGS, '--format=', '--numstat', '--relative', ref],
      { signal: context.signal },
    );
    const files = numstat
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [added, removed, file] = line.split('\t');
        return {
          path: file ?? '',
          added: added === '-' ? 0 : Number(added),
          removed: removed === '-' ? 0 : Number(removed),
        };
      });
    const { text: patch, truncated } =
      input.maxPatchBytes === 0
        ? { text: '', truncated: false }
        : await repo.runCapped(
            ['show', '--no-show-signature', ...SAFE_DIFF_FLAGS, '--format=', '--patch', '--relative', ref],
            input.maxPatchBytes,
            { signal: context.signal },
          );
    return {
      hash: hash!,
      author: author!,
      date: date!,
      message: (message ?? '').trim(),
      files,
      patch,
      truncated,
    };
  },
  summarize: (o) =>
    `${o.hash.slice(0, 12)} ${o.date.slice(0, 10)} ${o.author}\n${o.message}\n${o.files.map((f) => `  +${f.added} -${f.removed} ${f.path}`).join('\n')}${o.patch ? `\n\n${o.patch.slice(0, 4000)}${o.truncated || o.patch.length > 4000 ? '\n…' : ''}` : ''}`,
});
