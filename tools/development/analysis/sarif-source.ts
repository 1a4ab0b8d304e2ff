// Source text for SARIF snippets, fixes and line hashes: a file under the project root, read once
// per log, only when it is a regular file of at most 2 MiB (what the analysis itself reads).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const maxBytes = 2 * 1024 * 1024;

export function readSource(root: string, file: string): string | undefined {
  const absolute = path.resolve(root, file);
  const relative = path.relative(path.resolve(root), absolute);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  try {
    const stat = statSync(absolute);
    if (!stat.isFile() || stat.size > maxBytes) return undefined;
    return readFileSync(absolute, 'utf8');
  } catch {
    return undefined;
  }
}
