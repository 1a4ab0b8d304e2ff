// find_large_files on a real tree: sizes from the file system (sparse files, so no disk is spent),
// .gitignore and dependency folders, the hosting limits, globs and the roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';

const MiB = 1024 * 1024;

type Found = {
  files: { path: string; sizeMiB: number; bytes: number; ignored: boolean; warning?: string }[];
  directories: { path: string; sizeMiB: number; files: number }[];
  matched: number;
  scanned: number;
  truncated: boolean;
};

test('find_large_files lists the biggest files largest first, flags hosting limits and honours .gitignore', async (t) => {
  const suite = await testSuite(t, {
    files: {
      '.gitignore': 'build/\n',
      'src/index.ts': 'export const x = 1;\n',
      'README.md': '# readme\n',
    },
  });
  const sized = async (relative: string, bytes: number) => {
    const file = path.join(suite.project, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '');
    await truncate(file, bytes);
  };
  await sized('data/weights.bin', 120 * MiB);
  await sized('data/sample.parquet', 60 * MiB);
  await sized('assets/logo.png', 2 * MiB);
  await sized('build/bundle.js', 30 * MiB);
  await sized('node_modules/pkg/huge.node', 80 * MiB);
  const call = async (args: Record<string, unknown>) => {
    const outcome = await suite.dispatcher.router.invoke(
      'development_find_large_files',
      args,
      suite.dispatcher.context({}),
      {},
    );
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return outcome;
  };

  const plain = await call({});
  const found = plain.output as Found;
  assert.deepEqual(
    found.files.map((f) => [f.path, f.sizeMiB, f.ignored]),
    [
      ['data/weights.bin', 120, false],
      ['data/sample.parquet', 60, false],
      ['assets/logo.png', 2, false],
    ],
  );
  assert.match(found.files[0]!.warning!, /100 MiB GitHub refuses/);
  assert.match(found.files[1]!.warning!, /50 MiB GitHub warns/);
  assert.equal(found.files[2]!.warning, undefined);
  assert.equal(found.scanned, 6, '.gitignore, README, src/index.ts and the three data and asset files');
  assert.deepEqual(found.directories[0], { path: 'data', sizeMiB: 180, files: 2 });
  assert.match(plain.text, /data\/weights\.bin: 120 MiB WARNING/);

  const everything = (await call({ includeIgnored: true, includeDependencies: true, minMiB: 10 })).output as Found;
  assert.deepEqual(
    everything.files.map((f) => [f.path, f.ignored, f.warning === undefined]),
    [
      ['data/weights.bin', false, false],
      ['node_modules/pkg/huge.node', false, false],
      ['data/sample.parquet', false, false],
      ['build/bundle.js', true, true],
    ],
  );

  const onlyData = (await call({ paths: ['assets/**'], minMiB: 0 })).output as Found;
  assert.deepEqual(
    onlyData.files.map((f) => f.path),
    ['assets/logo.png'],
  );
  const cut = (await call({ maxFiles: 2, minMiB: 0 })).output as Found;
  assert.equal(cut.truncated, true);
  assert.equal(cut.scanned, 2);

  const outside = await suite.dispatcher.router.invoke(
    'development_find_large_files',
    { path: '/usr' },
    suite.dispatcher.context({}),
    {},
  );
  assert.equal(outside.ok, false);
  assert.match(outside.ok ? '' : outside.error.message, /^path: \/usr is outside the allowed roots/);
});
