// Code navigation over TS/JS (TypeScript's parser) and Python (tree-sitter): the symbols a file or
// project declares, where a name is defined, and every place it is called. Files are pre-filtered
// by a plain text search for the name, so only candidates are parsed.
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import type { ToolContext } from '../context.js';
import { resolveInsideRoots } from '../roots.js';
import { InputError } from '../errors.js';
import { collectFiles, maxFileBytes, type CandidateFile } from './analysis/project-files.js';
import {
  pythonCallSites,
  pythonSymbols,
  scriptCallSites,
  scriptSymbols,
  type CallSite,
  type SymbolInfo,
} from './analysis/symbols.js';
import { pythonParser } from './python/python-parser.js';
import { typescript } from './typescript-module.js';
import { fileCaps, readConfinedText } from '../confined-fs.js';

const symbolKinds = [
  'function',
  'class',
  'method',
  'property',
  'interface',
  'type',
  'enum',
  'variable',
  'constant',
] as const;
const symbolSchema = z.object({
  file: z.string(),
  name: z.string(),
  kind: z.string(),
  line: z.number().int(),
  endLine: z.number().int(),
  exported: z.boolean(),
  container: z.string().optional(),
  signature: z.string(),
});

/** The source files under `requested` (a directory, or one file), with the text of each that passes `keep`. */
async function* sources(
  requested: string,
  context: ToolContext,
  keep: (text: string) => boolean = () => true,
): AsyncGenerator<{ file: CandidateFile; text: string }> {
  const target = await resolveInsideRoots(requested, context.environment.allowedRoots, 'path');
  const root = target.isDirectory ? target.absolute : path.dirname(target.absolute);
  const { files } = await collectFiles(root, {
    signal: context.signal,
    maxFiles: 20_000,
    ...(target.isDirectory ? {} : { only: new Set([path.basename(target.absolute)]) }),
  });
  if (!target.isDirectory && files.length === 0)
    throw new InputError('path', `${requested} is not a TS/JS or Python source file`);
  for (const file of files) {
    context.signal.throwIfAborted();
    if (file.kind === 'template') continue;
    const text = await readConfinedText(file.absolute, file.confinement, { maxBytes: fileCaps.source }).catch(
      () => undefined,
    );
    if (text === undefined || text.length > maxFileBytes || !keep(text)) continue;
    yield { file, text };
  }
}

async function symbolsOf(file: CandidateFile, text: string): Promise<SymbolInfo[]> {
  return file.kind === 'python'
    ? pythonSymbols(await pythonParser(), text)
    : scriptSymbols(typescript(), file.relative, text);
}

export const listSymbols = defineTool({
  name: 'development_list_symbols',
  domain: 'development',
  tags: ['symbols', 'outline', 'functions', 'classes', 'api surface', 'navigation', 'typescript', 'python'],
  requests: [
    'outline the functions and classes in a file',
    'list the exported API of the project',
    'symbols with signatures and line ranges',
    'all declarations in a module',
    'public API of a module',
    'interfaces, types and enums declared in a file',
  ],
  title: 'List symbols',
  description:
    'The declarations in a file or a whole project (TS/JS and Python): functions, classes and their methods and properties, interfaces, types, enums, top-level variables and constants, each with line range, signature and whether it is exported. Use it for an outline or the public API surface. Example: {"path": "src/index.ts"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z.string().default('.').describe('A source file or a directory inside the allowed roots. Default ".".'),
    kinds: z.array(z.enum(symbolKinds)).optional().describe('Only these kinds.'),
    exportedOnly: z.boolean().default(false).describe('Only exported (public) symbols.'),
    limit: z.number().int().min(1).max(20_000).default(500).describe('Most symbols returned. Default 500.'),
  }),
  output: z.object({ total: z.number().int(), symbols: z.array(symbolSchema) }),
  examples: [{ path: '.', exportedOnly: true }],
  async handler(input, context) {
    const found: z.input<typeof symbolSchema>[] = [];
    let total = 0;
    for await (const { file, text } of sources(input.path, context)) {
      for (const symbol of await symbolsOf(file, text)) {
        if (input.exportedOnly && !symbol.exported) continue;
        if (input.kinds && !input.kinds.includes(symbol.kind)) continue;
        total++;
        if (found.length < input.limit) found.push({ file: file.relative, ...symbol });
      }
    }
    return { total, symbols: found };
  },
  summarize: (o) =>
    `${o.total} symbol(s)${o.total > o.symbols.length ? ` (first ${o.symbols.length})` : ''}\n${o.symbols
      .slice(0, 80)
      .map(
        (s) =>
          `  ${s.file}:${s.line} ${s.kind} ${s.container ? `${s.container}.` : ''}${s.name}${s.exported ? ' (exported)' : ''}`,
      )
      .join('\n')}`,
});

const namePattern = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;

export const findDefinition = defineTool({
  name: 'development_find_definition',
  domain: 'development',
  tags: ['definition', 'go to definition', 'declaration', 'navigation', 'symbols'],
  requests: [
    'go to definition of a function',
    'where is this class declared',
    'find the declaration of a type or interface',
    'where a symbol is defined',
    'where is Class.method implemented',
    'locate the source of a function by name',
  ],
  title: 'Find a definition',
  description:
    'Where a name is declared in the project (TS/JS and Python): function, class, method ("Class.method" or just "method"), interface, type, enum or top-level variable, with its signature and line range. Example: {"path": ".", "name": "handleRequest"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z.string().default('.').describe('Directory (or file) to search inside the allowed roots. Default ".".'),
    name: z.string().min(1).max(200).describe('The name, e.g. "parseConfig" or "Server.listen".'),
  }),
  output: z.object({ name: z.string(), definitions: z.array(symbolSchema) }),
  examples: [{ path: '.', name: 'add' }],
  async handler(input, context) {
    if (!namePattern.test(input.name))
      throw new InputError('name', `"${input.name}" is not an identifier; pass e.g. "parseConfig" or "Server.listen"`);
    const parts = input.name.split('.');
    const last = parts.pop()!;
    const container = parts.join('.');
    const definitions = [];
    for await (const { file, text } of sources(input.path, context, (t) => t.includes(last))) {
      for (const symbol of await symbolsOf(file, text)) {
        if (
          symbol.name !== last ||
          (container && symbol.container !== container && !symbol.container?.endsWith(`.${container}`))
        )
          continue;
        definitions.push({ file: file.relative, ...symbol });
      }
    }
    return { name: input.name, definitions: definitions.slice(0, 200) };
  },
  summarize: (o) =>
    o.definitions.length === 0
      ? `no definition of ${o.name} found`
      : o.definitions
          .map((d) => `${d.file}:${d.line}-${d.endLine} ${d.kind}${d.exported ? ' (exported)' : ''}: ${d.signature}`)
          .join('\n'),
});

export const findCallSites = defineTool({
  name: 'development_find_call_sites',
  domain: 'development',
  tags: ['call sites', 'references', 'callers', 'usages', 'impact', 'refactoring', 'navigation'],
  requests: [
    'find all callers of a function',
    'where is this method used',
    'references before changing a signature',
    'everywhere a function is called',
    'where is this class instantiated with new',
    'who uses this function',
    'impact of renaming a function',
  ],
  title: 'Find call sites',
  description:
    'Every call (and "new") of a function or method across the project, TS/JS and Python, with the calling function, argument count and the line. A bare name matches plain calls and method calls of that name (name matches "x.name()"); a dotted name ("db.query") matches only that receiver. Use before changing a signature. Example: {"path": ".", "name": "query"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: z.string().default('.').describe('Directory (or file) to search inside the allowed roots. Default ".".'),
    name: z.string().min(1).max(200).describe('Function or method name, e.g. "fetchUser" or "db.query".'),
    limit: z.number().int().min(1).max(10_000).default(500).describe('Most call sites returned. Default 500.'),
  }),
  output: z.object({
    name: z.string(),
    total: z.number().int(),
    files: z.number().int(),
    sites: z.array(
      z.object({
        file: z.string(),
        line: z.number().int(),
        callee: z.string(),
        caller: z.string(),
        arguments: z.number().int(),
        text: z.string(),
      }),
    ),
  }),
  examples: [{ path: '.', name: 'add' }],
  async handler(input, context) {
    if (!namePattern.test(input.name))
      throw new InputError('name', `"${input.name}" is not an identifier; pass e.g. "fetchUser" or "db.query"`);
    const dotted = input.name.includes('.');
    const last = input.name.split('.').pop()!;
    const wanted = (callee: string) =>
      dotted
        ? callee === input.name || callee.endsWith(`.${input.name}`)
        : callee === last || callee.endsWith(`.${last}`) || callee.endsWith(`?.${last}`);
    const sites: (CallSite & { file: string })[] = [];
    let total = 0;
    const files = new Set<string>();
    for await (const { file, text } of sources(input.path, context, (t) => t.includes(last))) {
      const found =
        file.kind === 'python'
          ? pythonCallSites(await pythonParser(), text, wanted)
          : scriptCallSites(typescript(), file.relative, text, wanted);
      total += found.length;
      if (found.length) files.add(file.relative);
      for (const site of found) if (sites.length < input.limit) sites.push({ file: file.relative, ...site });
    }
    return { name: input.name, total, files: files.size, sites };
  },
  summarize: (o) =>
    `${o.total} call(s) of ${o.name} in ${o.files} file(s)\n${o.sites
      .slice(0, 60)
      .map((s) => `  ${s.file}:${s.line} in ${s.caller}: ${s.text}`)
      .join('\n')}`,
});
