// Noise on well-kept code (issue 16): the security analysis over the source that express, koa,
// fastify and their own dependencies ship in their npm packages. Code like this is carefully
// reviewed and has no known injection flaws, so nearly every finding is a false positive to read.
// Prints findings per 10k lines for each package and every finding (file:line rule message), and
// writes bench/results/noise.json. Each package is copied to a temp dir and analysed as a project
// of its own, the way analyzeAndImproveCode would see it (test files excluded, as by default;
// --include-tests keeps them, and writes noise-with-tests.json).
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../tools/development/analysis/findings.js';

const root = path.resolve(import.meta.dirname, '..');
const modules = path.join(root, 'node_modules');
const fastifyScoped = (await readdir(path.join(modules, '@fastify')).catch(() => [] as string[])).map(
  (name) => `@fastify/${name}`,
);
const packages = [
  'express',
  'koa',
  'fastify',
  'body-parser',
  'router',
  'send',
  'serve-static',
  'find-my-way',
  'light-my-request',
  ...fastifyScoped,
  // Other well-kept server-side code: HTTP plumbing, clients, a router framework, the MCP SDK.
  'finalhandler',
  'http-errors',
  'on-finished',
  'raw-body',
  'cors',
  'ws',
  'pg',
  'axios',
  'hono',
  '@modelcontextprotocol/sdk',
];
// --include-tests: analyse the test files the packages ship too (analyzeAndImproveCode's includeTests).
const includeTests = process.argv.includes('--include-tests');

interface PackageResult {
  name: string;
  version: string;
  files: number;
  lines: number;
  testFilesExcluded: number;
  findings: { file: string; line: number; rule: string; cwe?: string; message: string }[];
  per10k: number;
}

const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-noise-'));
const results: PackageResult[] = [];
try {
  for (const name of packages) {
    const source = path.join(modules, name);
    let version = '?';
    let dependencies: Record<string, string> = {};
    try {
      const manifest = JSON.parse(await readFile(path.join(source, 'package.json'), 'utf8')) as {
        version?: string;
        dependencies?: Record<string, string>;
      };
      version = manifest.version ?? '?';
      dependencies = manifest.dependencies ?? {};
    } catch {
      continue; // not an installed package
    }
    const target = path.join(work, name.replace('/', '__'));
    await cp(source, target, {
      recursive: true,
      filter: (from) => !from.slice(source.length).split(path.sep).includes('node_modules'),
    });
    const dataDir = path.join(work, 'data');
    await mkdir(dataDir, { recursive: true });
    const project = await analyzeProject(ts, {
      root: target,
      dataDir,
      signal: new AbortController().signal,
      cache: false,
      excludeTests: !includeTests,
    });
    const majors = new Map(
      Object.entries(dependencies).map(([dep, range]) => [dep, Number(/\d+/.exec(range)?.[0] ?? 0)]),
    );
    const findings = securityFindings(project, { dependencyMajors: majors })
      .map((f) => ({ file: f.file, line: f.line, rule: f.rule, ...(f.cwe ? { cwe: f.cwe } : {}), message: f.message }))
      .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
    const lines = project.files.reduce((sum, f) => sum + f.lines, 0);
    results.push({
      name,
      version,
      files: project.files.length,
      lines,
      testFilesExcluded: (project as { testFilesExcluded?: number }).testFilesExcluded ?? 0,
      findings,
      per10k: lines ? Number(((findings.length * 10_000) / lines).toFixed(2)) : 0,
    });
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const totalLines = results.reduce((sum, r) => sum + r.lines, 0);
const totalFindings = results.reduce((sum, r) => sum + r.findings.length, 0);
const out = (line: string) => process.stdout.write(`${line}\n`);
out('package                          version   files   lines  tests-excl  findings  per-10k-lines');
for (const r of results)
  out(
    `${r.name.padEnd(32)} ${r.version.padEnd(9)} ${String(r.files).padStart(5)} ${String(r.lines).padStart(7)} ${String(r.testFilesExcluded).padStart(10)} ${String(r.findings.length).padStart(9)} ${r.per10k.toFixed(2).padStart(14)}`,
  );
out(
  `${'all'.padEnd(32)} ${''.padEnd(9)} ${''.padStart(5)} ${String(totalLines).padStart(7)} ${''.padStart(10)} ${String(totalFindings).padStart(9)} ${(totalLines ? (totalFindings * 10_000) / totalLines : 0).toFixed(2).padStart(14)}`,
);
for (const r of results)
  for (const f of r.findings) out(`${r.name}/${f.file}:${f.line} ${f.rule}${f.cwe ? ` (${f.cwe})` : ''}: ${f.message}`);
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
await writeFile(
  path.join(root, 'bench', 'results', includeTests ? 'noise-with-tests.json' : 'noise.json'),
  `${JSON.stringify({ date: new Date().toISOString(), includeTests, totalLines, totalFindings, per10k: totalLines ? Number(((totalFindings * 10_000) / totalLines).toFixed(2)) : 0, packages: results }, null, 2)}\n`,
);
