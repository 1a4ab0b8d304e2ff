// Python through web-tree-sitter: structure, metrics and TODOs from the real grammar, and files
// with syntax errors analysed partially instead of failing the run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { analyzeProject } from '../../tools/development/analysis/project-analysis.js';
import { pythonParser } from '../../tools/development/python/python-parser.js';
import { analyzePython } from '../../tools/development/python/python-analysis.js';
import { repoRoot, tempDir } from '../helpers.js';

const fixture = path.join(repoRoot, 'tests', 'development', 'fixtures', 'vulnerable-app', 'python');

test('Python functions get the same metrics as TS/JS ones (cyclomatic, cognitive, nesting, parameters)', async (t) => {
  const project = await analyzeProject(ts, {
    root: fixture,
    dataDir: await tempDir(t),
    signal: new AbortController().signal,
    cache: false,
  });
  const tasks = project.files.find((f) => f.file === 'tasks.py');
  assert.ok(tasks);
  assert.equal(tasks.language, 'python');
  const classify = tasks.functions.find((f) => f.name === 'classify');
  // for, if, elif (+and), elif, conditional expression, except: 1 + 7; Sonar cognitive 13; nesting for > if/else > try.
  assert.deepEqual(
    {
      cyclomatic: classify?.cyclomatic,
      cognitive: classify?.cognitive,
      nesting: classify?.nesting,
      parameters: classify?.parameters,
      line: classify?.line,
    },
    { cyclomatic: 8, cognitive: 13, nesting: 3, parameters: 2, line: 7 },
  );
  const method = tasks.functions.find((f) => f.name === 'Runner.run');
  assert.equal(method?.parameters, 1, 'self is not counted');
  assert.deepEqual(tasks.todos, [{ line: 8, tag: 'TODO', text: 'move the thresholds to configuration' }]);
  assert.deepEqual(tasks.exports, ['classify'], '__all__ decides the public names');
  const views = project.files.find((f) => f.file === 'views.py')!;
  assert.ok(
    views.imports.includes('werkzeug.utils') && views.imports.includes('ast'),
    'from-imports and imports inside functions are listed',
  );
  assert.ok(views.exports.includes('SESSION_TTL') && !views.exports.includes('app'));
});

test('a Python file with a syntax error is still analysed, and the error is counted', async () => {
  const parser = await pythonParser();
  const analysis = analyzePython(parser, 'broken.py', 'def ok(a):\n    return a\n\ndef broken(:\n    eval(input())\n');
  assert.ok(analysis.syntaxErrors > 0);
  assert.equal(analysis.functions[0]?.name, 'ok');
});

test('Python findings reach the project report alongside JS ones', async (t) => {
  const root = await tempDir(t);
  await mkdir(path.join(root, 'svc'), { recursive: true });
  await writeFile(
    path.join(root, 'svc', 'run.py'),
    'import sys, os\n\ndef main():\n    os.system("echo " + sys.argv[1])\n',
  );
  await writeFile(path.join(root, 'svc', 'index.js'), 'module.exports = 1;\n');
  const project = await analyzeProject(ts, {
    root,
    dataDir: path.join(root, '.data'),
    signal: new AbortController().signal,
  });
  const hit = project.files.find((f) => f.file === 'svc/run.py')?.patternHits[0];
  assert.equal(hit?.cwe, 'CWE-78');
  assert.equal(hit?.confidence, 'high', 'sys.argv is traced as input');
  assert.equal(project.files.length, 2);
});
