// Keeps the layer picture of STYLE.md true: reads every import line and fails on an edge the table
// does not allow, on the MCP SDK outside servers/, and on console.log outside the CLI printer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../helpers.js';
import { importsOf } from './source-imports.js';

const layers = ['servers', 'supervisors', 'tools', 'gpu-pool', 'knowledge'] as const;
type Layer = (typeof layers)[number];
const allowed: Record<Layer, Layer[]> = {
  servers: ['servers', 'supervisors', 'tools', 'gpu-pool', 'knowledge'],
  supervisors: ['supervisors', 'tools', 'gpu-pool', 'knowledge'],
  tools: ['tools', 'gpu-pool', 'knowledge'],
  'gpu-pool': ['gpu-pool'],
  knowledge: ['knowledge'],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(repoRoot, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
}

function layerOf(file: string): Layer | undefined {
  return layers.find((layer) => file === layer || file.startsWith(`${layer}/`));
}

test('import lines are parsed, including dynamic and side-effect imports', () => {
  assert.deepEqual(
    importsOf(
      "import a from '../x.js';\nexport { b } from './y.js';\nconst c = await import('../z.js');\nimport 'side';",
    ),
    ['../x.js', './y.js', '../z.js', 'side'],
  );
});

function violationsIn(file: string, text: string): string[] {
  const layer = layerOf(file)!;
  const violations: string[] = [];
  for (const specifier of importsOf(text)) {
    if (specifier.startsWith('.')) {
      const target = path.relative(repoRoot, path.resolve(repoRoot, path.dirname(file), specifier));
      const targetLayer = layerOf(target);
      if (!targetLayer) violations.push(`${file} imports ${specifier}, outside every layer`);
      else if (!allowed[layer].includes(targetLayer))
        violations.push(`${file} (${layer}) imports ${specifier} (${targetLayer})`);
    } else if (specifier.startsWith('@modelcontextprotocol/') && layer !== 'servers') {
      violations.push(`${file} imports ${specifier}; only servers/ may import the MCP SDK`);
    }
  }
  return violations;
}

test('the checker flags upward imports and the SDK outside servers/', () => {
  assert.equal(violationsIn('tools/x.ts', "import { y } from '../servers/y.js';").length, 1);
  assert.equal(violationsIn('gpu-pool/x.ts', "import type { T } from '../tools/context.js';").length, 1);
  assert.equal(
    violationsIn('supervisors/x.ts', "import { Server } from '@modelcontextprotocol/sdk/server/index.js';").length,
    1,
  );
  assert.deepEqual(
    violationsIn(
      'servers/x.ts',
      "import { Server } from '@modelcontextprotocol/sdk/server/index.js';\nimport { t } from '../tools/t.js';",
    ),
    [],
  );
});

test('every import follows servers → supervisors → tools → gpu-pool/knowledge', async () => {
  const violations: string[] = [];
  for (const layer of layers) {
    for (const file of await sourceFiles(layer))
      violations.push(...violationsIn(file, await readFile(path.join(repoRoot, file), 'utf8')));
  }
  assert.deepEqual(violations, []);
});

test('no console.log and no direct stdout writes outside the CLI printer', async () => {
  const offenders: string[] = [];
  for (const layer of layers) {
    for (const file of await sourceFiles(layer)) {
      if (file === 'servers/printer.ts') continue;
      const text = await readFile(path.join(repoRoot, file), 'utf8');
      if (/console\.(log|info|debug)\s*\(|process\.stdout\.write\s*\(/.test(text)) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, []);
});

test('tools/, gpu-pool/ and knowledge/ never read process.env', async () => {
  const offenders: string[] = [];
  for (const layer of ['tools', 'gpu-pool', 'knowledge', 'supervisors'] as const) {
    for (const file of await sourceFiles(layer)) {
      if (/process\.env\b/.test(await readFile(path.join(repoRoot, file), 'utf8'))) offenders.push(file);
    }
  }
  assert.deepEqual(offenders, []);
});
