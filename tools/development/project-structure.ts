// development_get_project_structure: the tree, languages and line counts of a project, as git sees it.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { resolveInsideRoots } from '../roots.js';
import { InputError } from '../errors.js';
import { walkFiles, type WalkedFile, type WalkStats } from './walk-files.js';
import { languageOf } from './languages.js';
import { readConfinedHead } from '../confined-fs.js';

const maxReadBytes = 8 * 1024 * 1024;
const concurrency = 16;

interface FileFacts {
  path: string;
  language: string;
  bytes: number;
  lines: number;
  binary: boolean;
}

async function inspectFile(file: WalkedFile): Promise<FileFacts> {
  const relative = file.relative;
  const { head: view, size } = await readConfinedHead(file.absolute, file.confinement, maxReadBytes);
  const bytesRead = view.length;
  const binary = view.subarray(0, 8000).includes(0);
  let lines = 0;
  if (!binary && bytesRead > 0) {
    for (let i = view.indexOf(10); i !== -1; i = view.indexOf(10, i + 1)) lines++;
    if (view[bytesRead - 1] !== 10) lines++;
  }
  return { path: relative, language: binary ? 'Binary' : languageOf(relative), bytes: size, lines, binary };
}

interface TreeNode {
  children: Map<string, TreeNode>;
  files: number;
}

function renderTree(
  paths: readonly string[],
  maxDepth: number,
  maxEntries: number,
): { text: string; truncated: boolean } {
  const root: TreeNode = { children: new Map(), files: 0 };
  for (const file of paths) {
    let node = root;
    node.files++;
    for (const part of file.split('/')) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { children: new Map(), files: 0 }));
      child.files++;
      node = child;
    }
  }
  const lines: string[] = [];
  let truncated = false;
  const visit = (node: TreeNode, indent: string, depth: number) => {
    const entries = [...node.children.entries()].sort(
      ([a, x], [b, y]) => Number(y.children.size > 0) - Number(x.children.size > 0) || a.localeCompare(b),
    );
    for (const [name, child] of entries) {
      if (lines.length >= maxEntries) {
        truncated = true;
        return;
      }
      const isDirectory = child.children.size > 0;
      if (!isDirectory) {
        lines.push(`${indent}${name}`);
      } else if (depth >= maxDepth) {
        lines.push(`${indent}${name}/ (${child.files} files)`);
        truncated = true;
      } else {
        lines.push(`${indent}${name}/`);
        visit(child, `${indent}  `, depth + 1);
      }
    }
  };
  visit(root, '', 1);
  return { text: lines.join('\n'), truncated };
}

const languageRow = z.object({
  language: z.string(),
  files: z.number().int(),
  lines: z.number().int(),
  bytes: z.number().int(),
  share: z.number().describe('share of non-binary lines, 0..1'),
});

export const getProjectStructure = defineTool({
  name: 'development_get_project_structure',
  domain: 'development',
  tags: ['structure', 'tree', 'languages', 'lines', 'overview', 'gitignore'],
  requests: [
    'orient me in this unfamiliar codebase',
    'how many lines of code per language',
    'print the directory tree',
    'what is in this repository and how is it organised',
    'file counts and biggest files in the repo',
    'what kind of project is this',
    'how much TypeScript, JavaScript or Python code',
  ],
  title: 'Project structure',
  description:
    'Summarises a project directory as git sees it (honours nested .gitignore files, skips .git): a file tree, file and directory counts, languages with line counts and shares, and the largest files. Use it first to orient yourself in an unfamiliar repository. It does not parse code; use development_analyze_complexity for that. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z
      .string()
      .default('.')
      .describe('Directory to summarise, absolute or relative to the first allowed root. Default ".".'),
    maxDepth: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(3)
      .describe('Depth of the rendered tree; deeper directories are collapsed with a file count. Default 3.'),
    maxTreeEntries: z
      .number()
      .int()
      .min(10)
      .max(5000)
      .default(300)
      .describe('Most lines in the rendered tree. Default 300.'),
  }),
  output: z.object({
    root: z.string(),
    files: z.number().int(),
    directories: z.number().int(),
    totalLines: z.number().int(),
    totalBytes: z.number().int(),
    binaryFiles: z.number().int(),
    ignoredEntries: z.number().int().describe('files and directories skipped by .gitignore rules or .git'),
    languages: z.array(languageRow),
    largestFiles: z.array(z.object({ path: z.string(), lines: z.number().int(), bytes: z.number().int() })),
    tree: z.string(),
    treeTruncated: z.boolean(),
  }),
  examples: [{ path: '.' }, { path: '.', maxDepth: 1, maxTreeEntries: 20 }],
  async handler(input, context) {
    const target = await resolveInsideRoots(input.path, context.environment.allowedRoots, 'path');
    if (!target.isDirectory) throw new InputError('path', `${input.path} is a file; pass a directory`);
    const stats: WalkStats = { ignored: 0 };
    const facts: FileFacts[] = [];
    const inFlight = new Set<Promise<void>>();
    let walked = 0;
    for await (const file of walkFiles(target.absolute, { signal: context.signal, stats })) {
      const task = inspectFile(file)
        .then((fact) => void facts.push(fact))
        .catch(() => undefined)
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (++walked % 200 === 0) context.progress(walked, undefined, `${walked} files read`);
    }
    await Promise.all(inFlight);
    context.signal.throwIfAborted();
    facts.sort((a, b) => a.path.localeCompare(b.path));

    const languages = new Map<string, { files: number; lines: number; bytes: number }>();
    const directories = new Set<string>();
    let totalLines = 0;
    let totalBytes = 0;
    for (const fact of facts) {
      const row = languages.get(fact.language) ?? { files: 0, lines: 0, bytes: 0 };
      row.files++;
      row.lines += fact.lines;
      row.bytes += fact.bytes;
      languages.set(fact.language, row);
      totalLines += fact.lines;
      totalBytes += fact.bytes;
      for (let i = fact.path.indexOf('/'); i !== -1; i = fact.path.indexOf('/', i + 1))
        directories.add(fact.path.slice(0, i));
    }
    const tree = renderTree(
      facts.map((f) => f.path),
      input.maxDepth,
      input.maxTreeEntries,
    );
    return {
      root: target.absolute,
      files: facts.length,
      directories: directories.size,
      totalLines,
      totalBytes,
      binaryFiles: facts.filter((f) => f.binary).length,
      ignoredEntries: stats.ignored,
      languages: [...languages.entries()]
        .map(([language, row]) => ({
          language,
          ...row,
          share: totalLines ? Number((row.lines / totalLines).toFixed(4)) : 0,
        }))
        .sort((a, b) => b.lines - a.lines || b.files - a.files || a.language.localeCompare(b.language)),
      largestFiles: [...facts]
        .sort((a, b) => b.lines - a.lines || b.bytes - a.bytes)
        .slice(0, 10)
        .map(({ path, lines, bytes }) => ({ path, lines, bytes })),
      tree: tree.text,
      treeTruncated: tree.truncated,
    };
  },
  summarize(output) {
    const langs = output.languages
      .slice(0, 6)
      .map((l) => `${l.language} ${l.files} files / ${l.lines} lines (${Math.round(l.share * 100)}%)`)
      .join('; ');
    return `${output.root}: ${output.files} files in ${output.directories} directories, ${output.totalLines} lines (${output.ignoredEntries} entries ignored by .gitignore).\nLanguages: ${langs || 'none'}\n\n${output.tree}${output.treeTruncated ? '\n…(tree truncated)' : ''}`;
  },
});
