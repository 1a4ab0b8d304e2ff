// Rebuilds hnswlib-node's addon for this machine's CPU (-O3 -march=native). The npm build uses
// baseline SSE kernels only; on an AVX-512 machine the native build doubles both build speed and
// queries per second (shared/reference/kuzu-hnsw-onnx-notes.md, B1). It runs after install, offline
// (node-gyp against Node's own headers). If it fails, the stock addon stays and a line says so.
// CAELUM_HNSW_NATIVE=0 skips it (for a build that must run on other CPUs).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
if (process.env.CAELUM_HNSW_NATIVE === '0') process.exit(0);
let dir;
try {
  dir = path.dirname(require.resolve('hnswlib-node/package.json'));
} catch {
  process.exit(0);
}
const marker = path.join(dir, 'build', 'caelum-native.json');
const cpu = `${os.cpus()[0]?.model ?? 'unknown'} ${process.versions.node}`;
if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).cpu === cpu) process.exit(0);
const gyp = path.join(
  path.dirname(process.execPath),
  '..',
  'lib',
  'node_modules',
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);
const args = existsSync(gyp) ? [gyp, 'rebuild'] : [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild'];
// Node's own headers, so node-gyp never tries to download them (there is no network here).
const nodedir = [process.env.npm_config_nodedir, path.join(path.dirname(process.execPath), '..')].find(
  (d) => d && existsSync(path.join(d, 'include', 'node', 'node.h')),
);
if (nodedir) args.push(`--nodedir=${nodedir}`);
const addon = path.join(dir, 'build', 'Release', 'addon.node');
const backup = path.join(os.tmpdir(), `caelum-hnswlib-addon-${process.pid}.node`);
if (existsSync(addon)) copyFileSync(addon, backup);
const started = Date.now();
const result = spawnSync(process.execPath, args, {
  cwd: dir,
  env: { ...process.env, CXXFLAGS: '-O3 -march=native', CFLAGS: '-O3 -march=native' },
  encoding: 'utf8',
});
if (result.status !== 0 && existsSync(backup)) {
  // node-gyp rebuild cleans first: put the working portable addon back.
  mkdirSync(path.dirname(addon), { recursive: true });
  copyFileSync(backup, addon);
}
if (result.status === 0) {
  writeFileSync(marker, JSON.stringify({ cpu, flags: '-O3 -march=native', builtAt: new Date().toISOString() }));
  console.error(
    `caelum: rebuilt hnswlib-node for this CPU (-march=native) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} else {
  console.error(
    `caelum: could not rebuild hnswlib-node for this CPU; the portable build stays (slower). ${(result.stderr || result.error?.message || '').split('\n').slice(-3).join(' ')}`,
  );
}
