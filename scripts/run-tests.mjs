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
  // The default mounted MCP servers are off for the services the tests start, unless a test turns
  // them on (tests/mounts does): discovering them costs each fresh data dir ~1 CPU-second.
  { stdio: 'inherit', env: { CAELUM_MOUNT_DEFAULTS: '0', ...process.env } },
);
process.exit(result.status ?? 1);
