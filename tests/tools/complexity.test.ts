import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { measureSource } from '../../tools/development/cyclomatic.js';
import { testSuite } from '../helpers.js';

function measure(code: string, file = 'x.ts') {
  return Object.fromEntries(measureSource(ts, file, code).functions.map((f) => [f.name, f.complexity]));
}

test('a straight-line function has complexity 1', () => {
  assert.deepEqual(measure('function f(a: number) { const b = a + 1; return b; }'), { f: 1 });
});

test('each branch point adds one: if, else-if, ?:, loops, case, catch, &&, ||, ??', () => {
  const code = `
function g(a: any, b: any) {
  if (a) { b++; } else if (b) { b--; }          // +2
  const c = a ? 1 : 2;                           // +1
  for (let i = 0; i < 3; i++) {}                 // +1
  for (const k in a) {}                          // +1
  for (const v of b) {}                          // +1
  while (a) { a = false; }                       // +1
  do { b = 0; } while (b);                       // +1
  switch (a) { case 1: break; case 2: break; default: break; } // +2
  try { JSON.parse(b); } catch { }               // +1
  const d = (a && b) || (a ?? b);                // +3
  b ||= a; b &&= a; b ??= a;                     // +3
  return c + d;
}`;
  assert.deepEqual(measure(code), { g: 1 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 2 + 1 + 3 + 3 });
});

test('nested functions are measured separately and named from their context', () => {
  const code = `
export class Store {
  get size() { return this.n > 0 ? this.n : 0; }
  load(x: number) {
    const inner = (y: number) => (y > 1 ? y : 0);
    return x && inner(x);
  }
}
const handlers = { onClick() { if (1) {} } };
app.get('/x', function (req, res) { if (req) res.end(); });
export default function () { return 1; }`;
  assert.deepEqual(measure(code), {
    'get Store.size': 2,
    'Store.load': 2,
    inner: 2,
    '<object>.onClick': 2,
    'app.get callback': 2,
    default: 1,
  });
});

test('JSX and TSX files parse', () => {
  const code = 'export const View = ({ on }) => <div>{on ? <b/> : null}{on && <i/>}</div>;';
  assert.deepEqual(measure(code, 'v.jsx'), { View: 3 });
  assert.deepEqual(measure(code.replace('({ on })', '({ on }: { on: boolean })'), 'v.tsx'), { View: 3 });
});

test('the tool ranks functions across files, skips .d.ts, and honours .gitignore', async (t) => {
  const suite = await testSuite(t, {
    files: {
      '.gitignore': 'vendor/\n',
      'src/simple.ts': 'export const one = () => 1;\n',
      'src/busy.js': 'function busy(a) { if (a) {} if (a) {} if (a) {} return a || 1; }\n',
      'src/types.d.ts': 'declare function hidden(a: number): number;\n',
      'vendor/lib.js': 'function vendored(a) { if (a) {} if (a) {} if (a) {} if (a) {} if (a) {} }\n',
      'README.md': '# not code\n',
    },
  });
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_analyze_complexity',
    arguments: { path: '.', threshold: 4 },
  });
  assert.equal(result.isError, false, result.text);
  const out = (result.structuredContent as { result: any }).result;
  assert.equal(out.filesAnalyzed, 2);
  assert.deepEqual(
    out.functions.map((f: any) => [f.file, f.name, f.complexity, f.line]),
    [
      ['src/busy.js', 'busy', 5, 1],
      ['src/simple.ts', 'one', 1, 1],
    ],
  );
  assert.equal(out.overThreshold, 1);
  assert.equal(out.maxComplexity, 5);
  assert.equal(out.averageComplexity, 3);
  assert.match(result.text, /busy \(src\/busy\.js:1\)/);
});

test('a single file can be analysed, and a file with syntax errors is counted', async (t) => {
  const suite = await testSuite(t, { files: { 'bad.ts': 'function ok() { return 1 }\nfunction broken( {\n' } });
  const result = await suite.dispatcher.call('runTool', {
    name: 'development_analyze_complexity',
    arguments: { path: 'bad.ts' },
  });
  assert.equal(result.isError, false, result.text);
  const out = (result.structuredContent as { result: any }).result;
  assert.equal(out.filesWithSyntaxErrors, 1);
  assert.equal(out.functions[0].name, 'ok');
});
