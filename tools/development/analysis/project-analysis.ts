// Runs the per-file analysis over a project: collect the files, reuse cached results for unchanged
// content, analyse the rest (yielding to the event loop between files and reporting progress), and
// resolve relative imports so the taint linker can prefer the callee a file actually imports.
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type TS from 'typescript';
import { analyzeScript, analyzeTemplate, type FileAnalysis } from './file-analysis.js';
import { AnalysisCache, contentHash } from './analysis-cache.js';
import { collectFiles, readCandidate, type SkippedFile } from './project-files.js';

export interface ProjectAnalysisOptions {
  root: string;
  dataDir: string;
  signal: AbortSignal;
  progress?: (done: number, total: number, message: string) => void;
  paths?: string[];
  only?: ReadonlySet<string>;
  maxFiles?: number;
  /** Use and update the content-hash cache (default true). */
  cache?: boolean;
}

export interface ProjectAnalysis {
  root: string;
  files: FileAnalysis[];
  skipped: SkippedFile[];
  skippedCount: number;
  cache: { hits: number; misses: number };
  /** Project-relative files each file imports, resolved from relative specifiers. */
  resolvedImports: Map<string, string[]>;
  durationMs: number;
}

const resolvable = ['', '.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts', '/index.ts', '/index.tsx', '/index.js', '/index.mjs'];

export function resolveRelativeImports(files: readonly FileAnalysis[]): Map<string, string[]> {
  const known = new Set(files.map((f) => f.file));
  const resolved = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const specifier of file.imports) {
      if (!specifier.startsWith('.')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file.file), specifier));
      const stripped = base.replace(/\.(js|mjs|cjs)$/, '');
      for (const candidate of [base, stripped]) {
        const hit = resolvable.map((suffix) => candidate + suffix).find((c) => known.has(c));
        if (hit) {
          targets.push(hit);
          break;
        }
      }
    }
    resolved.set(file.file, targets);
  }
  return resolved;
}

export async function analyzeProject(ts: typeof TS, options: ProjectAnalysisOptions): Promise<ProjectAnalysis> {
  const started = performance.now();
  const collected = await collectFiles(options.root, { signal: options.signal, maxFiles: options.maxFiles ?? 20_000, ...(options.paths ? { paths: options.paths } : {}), ...(options.only ? { only: options.only } : {}) });
  const skipped = [...collected.skipped];
  let skippedCount = collected.skippedCount;
  const useCache = options.cache !== false;
  const cache = useCache ? await AnalysisCache.open(options.dataDir, options.root) : undefined;
  const files: FileAnalysis[] = [];
  const total = collected.files.length;
  let lastYield = performance.now();
  for (const [index, candidate] of collected.files.entries()) {
    options.signal.throwIfAborted();
    // Parsing is synchronous: give the event loop a turn every ~10 ms so the server stays responsive.
    if (performance.now() - lastYield > 10) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
    if (candidate.kind === 'python') continue;
    const read = await readCandidate(candidate);
    if (!read.ok) {
      skippedCount++;
      if (skipped.length < 500) skipped.push({ path: candidate.relative, reason: read.reason });
      continue;
    }
    const hash = contentHash(read.text);
    let analysis = cache?.get(candidate.relative, hash);
    if (!analysis) {
      try {
        analysis = candidate.kind === 'template' ? analyzeTemplate(candidate.relative, read.text) : analyzeScript(ts, candidate.relative, read.text);
      } catch (error) {
        skippedCount++;
        if (skipped.length < 500) skipped.push({ path: candidate.relative, reason: `analysis failed: ${(error as Error).message.slice(0, 120)}` });
        continue;
      }
      cache?.set(candidate.relative, hash, analysis);
    }
    files.push(analysis);
    if ((index + 1) % 50 === 0 || index + 1 === total) options.progress?.(index + 1, total, `${index + 1}/${total} files`);
  }
  if (cache) {
    if (!options.only && !options.paths) cache.retainOnly(new Set(files.map((f) => f.file)));
    void cache.persist();
  }
  return {
    root: options.root,
    files,
    skipped,
    skippedCount,
    cache: { hits: cache?.hits ?? 0, misses: cache?.misses ?? files.length },
    resolvedImports: resolveRelativeImports(files),
    durationMs: performance.now() - started,
  };
}
