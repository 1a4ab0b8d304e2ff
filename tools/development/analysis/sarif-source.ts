// Source text for SARIF snippets, fixes and line hashes: a file inside the project root, read
// through the confined layer (no links out, at most the size the analysis itself reads).
import { fileCaps, readProjectTextSync } from '../../confined-fs.js';

export function readSource(root: string, file: string): string | undefined {
  try {
    return readProjectTextSync(root, file, fileCaps.source);
  } catch {
    return undefined;
  }
}
