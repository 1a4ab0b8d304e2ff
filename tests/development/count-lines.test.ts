// Line counting like cloc: the classifier on hand-counted snippets, and the tool over a project with
// .gitignore, node_modules, globs, a binary file and the roots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countLines } from '../../tools/development/line-counter.js';
import { testSuite } from '../helpers.js';

test('TypeScript: line and block comments, code with a trailing comment, strings holding comment markers', () => {
  const text = [
    '// header comment', // comment
    '', // blank
    '/**', // comment
    ' * docs', // comment
    ' */', // comment
    'const url = "http://example.com"; // trailing', // code
    "const s = '/* not a comment */';", // code
    'const t = `line one', // code
    '// still inside the template', // code
    '`;', // code
    '/* a */ const x = 1;', // code
    '   ', // blank
  ].join('\n');
  assert.deepEqual(countLines(`${text}\n`, 'TypeScript'), { code: 6, comment: 4, blank: 2 });
});

test('Python: hash comments and docstrings are comments, a hash inside a string is not', () => {
  const text = [
    '"""Module docstring', // comment
    'spanning lines.', // comment
    '"""', // comment
    'import os  # trailing', // code
    '', // blank
    'def f():', // code
    "    '''One-line docstring.'''", // comment
    '    return "#not a comment"', // code
    '# a comment', // comment
  ].join('\n');
  assert.deepEqual(countLines(text, 'Python'), { code: 3, comment: 5, blank: 1 });
});

test('other syntaxes: HTML, SQL, Lua blocks, and a file with no trailing newline or no text', () => {
  assert.deepEqual(countLines('<!-- a\n b -->\n<p>x</p>\n', 'HTML'), { code: 1, comment: 2, blank: 0 });
  assert.deepEqual(countLines("-- note\nSELECT '--x' FROM t;\n", 'SQL'), { code: 1, comment: 1, blank: 0 });
  assert.deepEqual(countLines('--[[ block\nstill ]]\nprint(1) -- hi', 'Lua'), { code: 1, comment: 2, blank: 0 });
  assert.deepEqual(countLines('', 'TypeScript'), { code: 0, comment: 0, blank: 0 });
  assert.deepEqual(countLines('\n\n', 'Shell'), { code: 0, comment: 0, blank: 2 });
});

type Counted = {
  languages: { language: string; files: number; code: number; comment: number; blank: number; commentShare: number }[];
  total: { files: number; code: number; comment: number; blank: number };
  files: { path: string; code: number }[];
  skipped: { unknownLanguage: number; binary: number; tooLarge: number; overLimit: number };
};

test('count_lines over a project honours .gitignore, skips node_modules, filters by globs and reports what it skipped', async (t) => {
  const suite = await testSuite(t, {
    files: {
      '.gitignore': 'dist/\n',
      'src/a.ts': '// one\nexport const a = 1;\n\nexport const b = 2; /* x */\n',
      'src/b.test.ts': 'import { a } from "./a";\n// check\n',
      'tools/run.py': '# run\nprint("hi")\n',
      'dist/a.js': 'const a = 1;\n',
      'node_modules/x/index.js': 'module.exports = 1;\n',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
      'data.ts': Buffer.from([0x61, 0, 0x62]),
    },
  });
  const call = async (args: Record<string, unknown>) => {
    const outcome = await suite.dispatcher.router.invoke(
      'development_count_lines',
      args,
      suite.dispatcher.context({}),
      {},
    );
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return outcome;
  };
  const all = await call({ byFile: 2 });
  const counted = all.output as Counted;
  assert.deepEqual(
    counted.languages.map((l) => [l.language, l.files, l.code, l.comment, l.blank]),
    [
      ['TypeScript', 2, 3, 2, 1],
      ['Python', 1, 1, 1, 0],
    ],
  );
  assert.deepEqual(counted.total, { files: 3, code: 4, comment: 3, blank: 1 });
  assert.equal(counted.languages[0]!.commentShare, 0.4);
  assert.deepEqual(
    counted.files.map((f) => [f.path, f.code]),
    [
      ['src/a.ts', 2],
      ['src/b.test.ts', 1],
    ],
  );
  // .gitignore holds a line of its own language-less kind; logo.png is of no known language either.
  assert.deepEqual(counted.skipped, { unknownLanguage: 2, binary: 1, tooLarge: 0, overLimit: 0 });
  assert.match(all.text, /TypeScript: 2 files, 3 code, 2 comment \(40%\), 1 blank/);

  const filtered = (await call({ paths: ['src/**'], exclude: ['**/*.test.ts'] })).output as Counted;
  assert.deepEqual(filtered.total, { files: 1, code: 2, comment: 1, blank: 1 });
  const limited = (await call({ maxFiles: 1 })).output as Counted;
  assert.equal(limited.total.files, 1);
  assert.equal(limited.skipped.overLimit, 2);

  const outside = await suite.dispatcher.router.invoke(
    'development_count_lines',
    { path: '/etc' },
    suite.dispatcher.context({}),
    {},
  );
  assert.equal(outside.ok, false);
  assert.match(outside.ok ? '' : outside.error.message, /^path: \/etc is outside the allowed roots/);
  const badGlob = await suite.dispatcher.router.invoke(
    'development_count_lines',
    { paths: ['+(a|b)'] },
    suite.dispatcher.context({}),
    {},
  );
  assert.equal(badGlob.ok, false);
});
