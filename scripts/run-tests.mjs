// Runs every tests/**/*.test.ts file through node:test with tsx. Node 20's runner neither expands
// globs nor finds .ts files by itself, so the list is built here, sorted for a stable order.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const only = process.argv.slice(2);
const files = readdirSync('tests', { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
  .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
  .filter((file) => only.length === 0 || only.some((filter) => file.includes(filter)))
  .sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
