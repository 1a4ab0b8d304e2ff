import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { testSuite, tempDir } from '../helpers.js';

async function structure(suite: Awaited<ReturnType<typeof testSuite>>, args: Record<string, unknown> = {}) {
  const result = await suite.dispatcher.call('runTool', { name: 'development_get_project_structure', arguments: args });
  assert.equal(result.isError, false, result.text);
  return (result.structuredContent as { result: Record<string, any> }).result;
}

test('nested .gitignore files, negations and .git are honoured', async (t) => {
  const suite = await testSuite(t, {
    files: {
      '.gitignore': 'node_modules/\n*.log\ndist\n!keep.log\n',
      'src/a.ts': 'const a = 1;\nconst b = 2;\n',
      'src/debug.log': 'noise\n',
      'keep.log': 'kept\n',
      'node_modules/x/index.js': 'module.exports = 1;\n',
      'dist/out.js': 'x\n',
      'pkg/.gitignore': 'generated/\n',
      'pkg/generated/big.ts': 'export {};\n',
      'pkg/main.py': 'def f():\n    return 1\n',
      '.git/HEAD': 'ref: refs/heads/main\n',
    },
  });
  const out = await structure(suite);
  const listed = out.tree as string;
  assert.match(listed, /a\.ts/);
  assert.match(listed, /keep\.log/);
  assert.match(listed, /main\.py/);
  for (const hidden of ['debug.log', 'node_modules', 'dist', 'generated', 'HEAD'])
    assert.doesNotMatch(listed, new RegExp(hidden), hidden);
  assert.equal(out.files, 5, 'src/a.ts, keep.log, pkg/main.py and the two .gitignore files');
  assert.equal(out.ignoredEntries, 5, 'debug.log, node_modules, dist, pkg/generated and .git');
});

test('line counts, languages and shares are exact', async (t) => {
  const suite = await testSuite(t, {
    files: {
      'a.ts': 'one\ntwo\nthree\n',
      'b.ts': 'no trailing newline',
      'c.py': 'x = 1\ny = 2\n',
      'empty.js': '',
    },
  });
  const out = await structure(suite);
  assert.equal(out.totalLines, 6);
  const ts = out.languages.find((l: { language: string }) => l.language === 'TypeScript');
  assert.deepEqual({ files: ts.files, lines: ts.lines }, { files: 2, lines: 4 });
  const py = out.languages.find((l: { language: string }) => l.language === 'Python');
  assert.equal(py.lines, 2);
  assert.equal(Number((ts.share as number).toFixed(3)), Number((4 / 6).toFixed(3)));
  assert.equal(out.largestFiles[0].path, 'a.ts');
});

test('binary files are counted but not line-counted', async (t) => {
  const suite = await testSuite(t, {
    files: { 'img.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 10, 10]) as unknown as string, 'a.md': '# x\n' },
  });
  const out = await structure(suite);
  assert.equal(out.binaryFiles, 1);
  assert.equal(out.totalLines, 1);
});

test('the tree collapses below maxDepth with a file count', async (t) => {
  const suite = await testSuite(t, { files: { 'a/b/c/d.ts': 'x\n', 'a/b/e.ts': 'y\n' } });
  const out = await structure(suite, { maxDepth: 2 });
  assert.match(out.tree, /^a\/\n {2}b\/ \(2 files\)$/m);
  assert.equal(out.treeTruncated, true);
});

test('paths outside the allowed roots are refused, symlinks included', async (t) => {
  const suite = await testSuite(t);
  const outside = await tempDir(t);
  await symlink(outside, path.join(suite.project, 'escape'));
  for (const target of ['/etc', '..', 'escape']) {
    const result = await suite.dispatcher.call('runTool', {
      name: 'development_get_project_structure',
      arguments: { path: target },
    });
    assert.equal(result.isError, true, target);
    assert.match(result.text, /^arguments\.path: .* is outside the allowed roots/, target);
  }
  const missing = await suite.dispatcher.call('runTool', {
    name: 'development_get_project_structure',
    arguments: { path: 'nope' },
  });
  assert.match(missing.text, /^arguments\.path: nope does not exist/);
});
