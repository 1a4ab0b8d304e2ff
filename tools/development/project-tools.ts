// Project-wide structure tools built on the cached per-file analyses: TODO inventory, the import
// graph with its cycles, unused exports, and declared-vs-imported dependencies.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import type { ToolContext } from '../context.js';
import { resolveSpecifier, type ProjectAnalysis } from './analysis/project-analysis.js';
import { analysedProject, projectPathField } from './project-directory.js';
import { parseScript } from './cyclomatic.js';
import { typescript } from './typescript-module.js';
import { packageOf, packagesUsedByConfig, packagesUsedByScripts } from './dependencies/usage.js';
import type { Manifest } from './dependencies/lockfile.js';
import { asInputError, ConfinedError, fileCaps, readProjectJson, readProjectText } from '../confined-fs.js';

const pathField = projectPathField;
const project = (requested: string, context: ToolContext): Promise<ProjectAnalysis> =>
  analysedProject(requested, context);

export const listTodos = defineTool({
  name: 'development_list_todos',
  domain: 'development',
  tags: ['todo', 'fixme', 'hack', 'technical debt', 'comments', 'inventory'],
  requests: [
    'find TODO comments',
    'list FIXMEs with file and line',
    'notes left for later in the source',
    'technical debt markers in comments',
    'unfinished work marked in the code',
    'count FIXME and HACK comments',
  ],
  title: 'TODO/FIXME inventory',
  description:
    'Every TODO, FIXME, HACK, XXX and BUG comment in the project\'s TS/JS and template files, with file and line, counted by tag. Example: {"path": ".", "tags": ["FIXME"]}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    tags: z
      .array(z.enum(['TODO', 'FIXME', 'HACK', 'XXX', 'BUG']))
      .optional()
      .describe('Only these tags.'),
    limit: z.number().int().min(1).max(10_000).default(500).describe('Most items returned. Default 500.'),
  }),
  output: z.object({
    total: z.number().int(),
    byTag: z.record(z.string(), z.number().int()),
    items: z.array(z.object({ file: z.string(), line: z.number().int(), tag: z.string(), text: z.string() })),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await project(input.path, context);
    const items = analysis.files
      .flatMap((f) => f.todos.map((todo) => ({ file: f.file, ...todo })))
      .filter((item) => !input.tags || input.tags.includes(item.tag as 'TODO'));
    const byTag: Record<string, number> = {};
    for (const item of items) byTag[item.tag] = (byTag[item.tag] ?? 0) + 1;
    return { total: items.length, byTag, items: items.slice(0, input.limit) };
  },
  summarize: (o) =>
    `${o.total} item(s): ${
      Object.entries(o.byTag)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || 'none'
    }\n${o.items
      .slice(0, 30)
      .map((i) => `  ${i.file}:${i.line} ${i.tag} ${i.text}`)
      .join('\n')}`,
});

/** Tarjan's strongly connected components: every component with more than one file is a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const connect = (node: string) => {
    // Iterative, so a deep import chain cannot overflow the call stack.
    const work: { node: string; next: number }[] = [{ node, next: 0 }];
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const edges = graph.get(frame.node) ?? [];
      if (frame.next < edges.length) {
        const target = edges[frame.next++]!;
        if (!indices.has(target)) {
          indices.set(target, index);
          low.set(target, index++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, indices.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === indices.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) result.push(component.sort());
      }
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) connect(node);
  return result.sort((a, b) => b.length - a.length);
}

export const mapImports = defineTool({
  name: 'development_map_imports',
  domain: 'development',
  tags: ['imports', 'dependency graph', 'modules', 'cycles', 'circular', 'architecture', 'fan-in'],
  requests: [
    'show the import graph',
    'find circular dependencies between files',
    'which modules are most depended on',
    'module dependency graph and import cycles',
    'who imports whom between files',
    'architecture of internal module dependencies',
  ],
  title: 'Import graph and cycles',
  description:
    'The project\'s internal import graph (relative imports resolved to files), its circular dependencies (strongly connected components), and the most depended-on files. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    limit: z.number().int().min(1).max(1000).default(30).describe('Most hub files returned. Default 30.'),
  }),
  output: z.object({
    files: z.number().int(),
    edges: z.number().int(),
    cycles: z.array(z.array(z.string())),
    hubs: z.array(z.object({ file: z.string(), importedBy: z.number().int(), imports: z.number().int() })),
    orphans: z.array(z.string()).describe('files nothing imports (entry points or dead code)'),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await project(input.path, context);
    const graph = new Map<string, string[]>();
    const importedBy = new Map<string, number>();
    let edges = 0;
    for (const file of analysis.files) {
      const targets = [...new Set(analysis.resolvedImports.get(file.file) ?? [])];
      graph.set(file.file, targets);
      edges += targets.length;
      for (const target of targets) importedBy.set(target, (importedBy.get(target) ?? 0) + 1);
    }
    const hubs = analysis.files
      .filter((f) => f.language !== 'template')
      .map((f) => ({ file: f.file, importedBy: importedBy.get(f.file) ?? 0, imports: graph.get(f.file)?.length ?? 0 }))
      .sort((a, b) => b.importedBy - a.importedBy || a.file.localeCompare(b.file))
      .slice(0, input.limit);
    const orphans = analysis.files
      .filter((f) => f.language !== 'template' && !importedBy.has(f.file))
      .map((f) => f.file)
      .slice(0, 500);
    return { files: graph.size, edges, cycles: cycles(graph), hubs, orphans };
  },
  summarize: (o) =>
    `${o.files} files, ${o.edges} internal imports, ${o.cycles.length} cycle(s)${
      o.cycles.length
        ? `:\n${o.cycles
            .slice(0, 10)
            .map((c) => `  ${c.join(' → ')}`)
            .join('\n')}`
        : ''
    }\nMost imported: ${o.hubs
      .slice(0, 5)
      .map((h) => `${h.file} (${h.importedBy})`)
      .join(', ')}`,
});

export const findUnusedExports = defineTool({
  name: 'development_find_unused_exports',
  domain: 'development',
  tags: ['unused', 'dead code', 'exports', 'cleanup', 'modules'],
  requests: [
    'find exported functions nothing imports',
    'dead exports I can remove',
    'unreferenced public symbols',
    'exports that can be removed safely',
    'exports no one uses',
  ],
  title: 'Unused exports',
  description:
    'Exports that no other file in the project imports by name (ES named imports and CommonJS destructured requires), and files nothing imports. Entry points (package.json main/bin/exports) and tests are excluded. Heuristic: dynamic or re-exported use is not tracked. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: pathField,
    limit: z.number().int().min(1).max(10_000).default(300).describe('Most exports returned. Default 300.'),
  }),
  output: z.object({
    unused: z.array(z.object({ file: z.string(), export: z.string() })),
    total: z.number().int(),
    entryPoints: z.array(z.string()),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await project(input.path, context);
    const ts = typescript();
    const entryPoints = new Set<string>();
    try {
      const manifest = (await readProjectJson(analysis.root, 'package.json')) as {
        main?: string;
        bin?: string | Record<string, string>;
        exports?: unknown;
      };
      const add = (value: unknown) => {
        if (typeof value === 'string') entryPoints.add(path.posix.normalize(value.replace(/^\.\//, '')));
        else if (value && typeof value === 'object') for (const inner of Object.values(value)) add(inner);
      };
      add(manifest.main);
      add(manifest.bin);
      add(manifest.exports);
    } catch {
      // no manifest: no declared entry points
    }
    // Names imported from each file: parse import clauses again only for files with relative imports.
    const used = new Map<string, Set<string>>();
    const known = new Set(analysis.files.map((f) => f.file));
    for (const file of analysis.files) {
      const targets = analysis.resolvedImports.get(file.file) ?? [];
      if (targets.length === 0) continue;
      const text = await readProjectText(analysis.root, file.file, fileCaps.source).catch(() => '');
      const source = parseScript(ts, file.file, text);
      const mark = (specifier: string, name: string) => {
        const target = resolveSpecifier(file.file, specifier, known);
        if (!target) return;
        const names = used.get(target) ?? new Set<string>();
        names.add(name);
        used.set(target, names);
      };
      const visit = (node: import('typescript').Node): void => {
        if (
          (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
          node.moduleSpecifier &&
          ts.isStringLiteral(node.moduleSpecifier) &&
          node.moduleSpecifier.text.startsWith('.')
        ) {
          const specifier = node.moduleSpecifier.text;
          if (ts.isImportDeclaration(node)) {
            const clause = node.importClause;
            if (!clause) mark(specifier, '*');
            if (clause?.name) mark(specifier, 'default');
            const bindings = clause?.namedBindings;
            if (bindings && ts.isNamespaceImport(bindings)) mark(specifier, '*');
            if (bindings && ts.isNamedImports(bindings))
              for (const element of bindings.elements) mark(specifier, (element.propertyName ?? element.name).text);
          } else {
            if (!node.exportClause) mark(specifier, '*');
            else if (ts.isNamedExports(node.exportClause))
              for (const element of node.exportClause.elements)
                mark(specifier, (element.propertyName ?? element.name).text);
            else mark(specifier, '*');
          }
        }
        if (
          ts.isCallExpression(node) &&
          ((ts.isIdentifier(node.expression) && node.expression.text === 'require') ||
            node.expression.kind === ts.SyntaxKind.ImportKeyword) &&
          node.arguments[0] &&
          ts.isStringLiteralLike(node.arguments[0]) &&
          node.arguments[0].text.startsWith('.')
        ) {
          const parent = node.parent;
          if (ts.isVariableDeclaration(parent) && ts.isObjectBindingPattern(parent.name)) {
            for (const element of parent.name.elements)
              mark(
                node.arguments[0].text,
                ((element.propertyName ?? element.name) as import('typescript').Identifier).text,
              );
          } else if (ts.isPropertyAccessExpression(parent)) {
            mark(node.arguments[0].text, parent.name.text);
          } else {
            mark(node.arguments[0].text, '*');
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    const unused: { file: string; export: string }[] = [];
    for (const file of analysis.files) {
      if (entryPoints.has(file.file) || /(^|\/)(test|tests|__tests__|spec)(\/|$)|\.(test|spec)\./.test(file.file))
        continue;
      const names = used.get(file.file);
      if (names?.has('*')) continue;
      for (const name of file.exports) if (!names?.has(name)) unused.push({ file: file.file, export: name });
    }
    return { unused: unused.slice(0, input.limit), total: unused.length, entryPoints: [...entryPoints] };
  },
  summarize: (o) =>
    `${o.total} export(s) nothing imports\n${o.unused
      .slice(0, 40)
      .map((u) => `  ${u.file}: ${u.export}`)
      .join('\n')}`,
});

export const checkDependencies = defineTool({
  name: 'development_check_dependencies',
  domain: 'development',
  tags: ['dependencies', 'package.json', 'unused', 'missing', 'imports', 'npm'],
  requests: [
    'compare package.json with the actual imports',
    'undeclared or unused npm packages',
    'runtime code importing devDependencies',
    'packages required in code but missing from package.json',
    'package.json lists packages the code never uses',
    'imports that are not declared as dependencies',
  ],
  title: 'Declared vs imported dependencies',
  description:
    'Compares package.json with what the code imports: packages imported but not declared (missing), declared but never imported (unused; tool-only packages like typescript or eslint are listed apart), and dev dependencies used by production code. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: pathField }),
  output: z.object({
    manifestFound: z.boolean().describe('false when the project has no readable package.json'),
    missing: z.array(z.object({ package: z.string(), files: z.array(z.string()) })),
    unused: z.array(z.string()),
    toolingOnly: z.array(z.string()),
    devUsedInProduction: z.array(z.object({ package: z.string(), files: z.array(z.string()) })),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const analysis = await project(input.path, context);
    let manifest: Manifest = {};
    let manifestFound = true;
    try {
      manifest = (await readProjectJson(analysis.root, 'package.json')) as typeof manifest;
    } catch (error) {
      // A manifest that is a link, a device or not JSON is refused by name; a missing one declares nothing.
      if (error instanceof ConfinedError && error.reason !== 'missing')
        throw asInputError(error, 'path', 'package.json');
      // Without a manifest nothing is declared: every imported package is reported missing.
      manifestFound = false;
    }
    const runtime = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const development = new Set(Object.keys(manifest.devDependencies ?? {}));
    const builtins = new Set(builtinModules);
    const usedBy = new Map<string, string[]>();
    const alsoUsed = new Set<string>();
    const external = (specifier: string) =>
      !(
        specifier.startsWith('.') ||
        specifier.startsWith('/') ||
        specifier.startsWith('node:') ||
        specifier.startsWith('#') ||
        builtins.has(packageOf(specifier))
      );
    for (const file of analysis.files) {
      if (file.language === 'python') continue;
      for (const specifier of file.imports) {
        if (!external(specifier)) continue;
        const name = packageOf(specifier);
        usedBy.set(name, [...(usedBy.get(name) ?? []), file.file]);
      }
      // require.resolve and the JSX runtime keep a declared package in use, but never make one missing.
      for (const specifier of file.packageUses ?? []) if (external(specifier)) alsoUsed.add(packageOf(specifier));
    }
    const selfName = typeof manifest.name === 'string' ? manifest.name : undefined;
    // A package's own files (its tests, its examples) may import it by its own name.
    if (selfName) usedBy.delete(selfName);
    const declaredSet = new Set([...runtime, ...development]);
    for (const name of await packagesUsedByScripts(analysis.root, manifest, declaredSet)) alsoUsed.add(name);
    for (const name of await packagesUsedByConfig(analysis.root, manifest, declaredSet)) alsoUsed.add(name);
    const isTestOrTooling = (file: string) =>
      /(^|\/)(test|tests|__tests__|spec|bench|scripts|tools?|e2e|cypress)(\/|$)|\.(test|spec)\.|config\.[cm]?[jt]s$/.test(
        file,
      );
    const missing = [...usedBy.entries()]
      .filter(([name]) => !runtime.has(name) && !development.has(name) && !name.startsWith('@types/'))
      .map(([name, files]) => ({ package: name, files: [...new Set(files)].slice(0, 10) }));
    const declared = [...runtime, ...development];
    const tooling =
      /^(typescript|tsx|ts-node|eslint|prettier|@types\/|@typescript-eslint|jest|vitest|mocha|nyc|c8|husky|lint-staged|nodemon|rimraf|cross-env|concurrently|esbuild|webpack|rollup|vite|babel|@babel|turbo|lerna|npm-run-all|patch-package|.*-cli$|@modelcontextprotocol\/inspector)/;
    const unusedDeclared = declared.filter((name) => !usedBy.has(name) && !alsoUsed.has(name));
    const devUsedInProduction = [...usedBy.entries()]
      .filter(([name]) => development.has(name) && !runtime.has(name))
      .map(([name, files]) => ({
        package: name,
        files: [...new Set(files)].filter((f) => !isTestOrTooling(f)).slice(0, 10),
      }))
      .filter((entry) => entry.files.length > 0);
    return {
      manifestFound,
      missing,
      unused: unusedDeclared.filter((name) => !tooling.test(name)).sort(),
      toolingOnly: unusedDeclared.filter((name) => tooling.test(name)).sort(),
      devUsedInProduction,
    };
  },
  summarize: (o) =>
    `${o.manifestFound ? '' : 'no package.json: nothing is declared\n'}missing: ${o.missing.map((m) => m.package).join(', ') || 'none'}\nunused: ${o.unused.join(', ') || 'none'}\ndev dependencies used by production code: ${o.devUsedInProduction.map((d) => d.package).join(', ') || 'none'}`,
});
