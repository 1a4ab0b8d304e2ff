// Keeps issue 14's two chokepoints the only ones: nothing in tools/, knowledge/ or supervisors/ starts
// a process except through the git runner and the process runner, and nothing in tools/ or
// supervisors/ touches the file system except the confined layer and the few modules that handle
// Caelum's own files (its data dir and scratch directories), each listed here with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../helpers.js';
import { importsOf } from './source-imports.js';

const processModules = new Set(['node:child_process', 'child_process']);
const fsModules = new Set(['node:fs', 'node:fs/promises', 'fs', 'fs/promises']);

/** The only files that may start processes. */
const processLayer: Record<string, string> = {
  'tools/development/git.ts': 'the git runner: hardened config, environment and roots',
  'tools/development/run-process.ts':
    'the process runner: allow-listed environment, deadline, output cap, process group',
  'tools/ml-training/jobs/job-processes.ts':
    'starts the detached wrapper of a confirmed training job (argv, no shell, own process group) and reads /proc to find and stop its processes',
};

/** The only files in tools/ and supervisors/ that may use the file system directly. */
const fsLayer: Record<string, string> = {
  'tools/confined-fs.ts': 'the confined file layer itself',
  'tools/development/git.ts': "the git runner's checks: stat, lstat and realpath of the git dir, never content",
  'tools/roots.ts': 'resolves an agent path against the roots (realpath/stat, no content)',
  'tools/development/test-tools.ts': "creates and removes Caelum's own scratch directory for a test run",
  'tools/development/analysis/analysis-cache.ts': "reads and writes the analysis cache in Caelum's data dir",
  'tools/infrastructure/check-services.ts': "probes that Caelum's data dir is writable",
  'tools/infrastructure/host-resources.ts': "measures free space of Caelum's data dir",
  'tools/infrastructure/system-probe.ts':
    'reads the kernel views in /proc (processes, sockets and their owners, mounts) and statfs of the data dir and allowed roots; never project content',
  'tools/development/dependencies/npm-audit.ts': 'writes the copies npm audit reads into a private scratch directory',
  'tools/development/dependencies/advisories.ts':
    "reads the OSV advisory file named in Caelum's configuration (not project content)",
  'tools/trading/paper/paper-ledger.ts': "appends to and reads the paper trading ledger in Caelum's data dir",
  'tools/ml-training/datasets/dataset-writer.ts':
    'writes a dataset directory (data dir, or a directory inside the roots resolved by roots.ts) through a temp dir and a rename',
  'tools/ml-training/registry/registry-store.ts':
    "reads and writes the runs and models registry in Caelum's data dir, and reads the job records and metrics files the job executor keeps there",
  'tools/trading/market/market-store.ts':
    "lists and creates the market data directory in Caelum's data dir (file content goes through the confined layer)",
  'tools/ml-training/jobs/job-files.ts':
    "reads and writes the job records and logs in Caelum's data dir, and creates a job's output directory (checked inside the roots by roots.ts)",
  'tools/ml-training/jobs/job-mirror.ts':
    "creates and reads the data dir's instance id (<dataDir>/ml-training/instance-id), the owner of its job rows in PostgreSQL",
  'tools/ml-training/jobs/job-processes.ts':
    "opens the job's log files in Caelum's data dir for the wrapper and reads /proc/<pid>/stat",
  'tools/monitoring/state/event-log.ts':
    "appends to and reads the monitoring event logs (alerts, escalation, deliveries, remediation) in Caelum's data dir",
};

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(repoRoot, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

/** Module specifiers a file reaches, including require() calls; comments are not code. */
function reached(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  // require('x'), and createRequire(import.meta.url)('x').
  const required = [...text.matchAll(/(?:\brequire|\bcreateRequire\([^()]*\))\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1]!,
  );
  return [...importsOf(text), ...required];
}

test('only the git runner and the process runner start processes (tools, knowledge, supervisors)', async () => {
  const offenders: string[] = [];
  for (const layer of ['tools', 'knowledge', 'supervisors']) {
    for (const file of await sources(layer)) {
      const text = await readFile(path.join(repoRoot, file), 'utf8');
      if (reached(text).some((m) => processModules.has(m)) && !(file in processLayer)) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, [], 'start processes through tools/development/git.ts or run-process.ts');
});

test('only the confined layer (and the data-dir modules listed) use the file system in tools and supervisors', async () => {
  const offenders: string[] = [];
  for (const layer of ['tools', 'supervisors']) {
    for (const file of await sources(layer)) {
      const text = await readFile(path.join(repoRoot, file), 'utf8');
      if (reached(text).some((m) => fsModules.has(m)) && !(file in fsLayer)) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, [], 'read and write project files through tools/confined-fs.ts');
});

test('the listed exceptions still exist, so the lists cannot silently outlive the code', async () => {
  for (const file of [...Object.keys(processLayer), ...Object.keys(fsLayer)]) {
    const text = await readFile(path.join(repoRoot, file), 'utf8').catch(() => undefined);
    assert.ok(text !== undefined, `${file} is listed but does not exist`);
  }
});

test('the checks see dynamic imports and require calls, not comments', () => {
  assert.deepEqual(
    reached(
      "const fs = await import('node:fs');\n// require('fs')\nconst cp = require('child_process'); // ok\nconst p = createRequire(import.meta.url)('fs/promises');",
    ),
    ['node:fs', 'child_process', 'fs/promises'],
  );
});
