// Child process for bench/development.ts: Caelum's comprehensive static analysis (security with
// cross-file taint linking, plus complexity) on one tree, from the compiled build. Prints JSON.
import { createRequire } from 'node:module';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';

const [root, dataDir, mode, touched] = process.argv.slice(2);
const ts = createRequire(import.meta.url)('typescript');
const { analyzeProject } = await import('../dist/tools/development/analysis/project-analysis.js');
const { securityFindings, complexityFindings } = await import('../dist/tools/development/analysis/findings.js');

async function once(cache) {
  const started = performance.now();
  const project = await analyzeProject(ts, { root, dataDir, signal: new AbortController().signal, cache });
  const findings = [
    ...securityFindings(project, { dependencyMajors: new Map() }),
    ...complexityFindings(project.files),
  ];
  return {
    ms: performance.now() - started,
    files: project.files.length,
    lines: project.files.reduce((sum, f) => sum + f.lines, 0),
    skipped: project.skippedCount,
    findings: findings.length,
    security: findings.filter((f) => f.category === 'security').length,
    cache: project.cache,
  };
}

const result = {};
if (mode === 'cold') {
  result.run = await once(false);
} else if (mode === 'warm') {
  // Fill the cache, then change one file and analyse again in this process (memory cache).
  result.fill = await once(true);
  await appendFile(path.join(root, touched), '\n// touched by the benchmark\n');
  result.run = await once(true);
} else {
  // A fresh process: the cache comes from the data dir on disk.
  await appendFile(path.join(root, touched), '\n// touched again by the benchmark\n');
  result.run = await once(true);
}
result.maxRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(JSON.stringify(result));
