// Which test runner a project uses, from its package.json scripts and dependencies, its config
// files and its test files; and the command that runs it with machine-readable output.
import path from 'node:path';
import type { Manifest } from '../dependencies/lockfile.js';
import type { ResultFormat } from './test-results.js';
import { confinedFileExists, Confinement, fileCaps, readProjectText } from '../../confined-fs.js';

export const runnerNames = ['node:test', 'jest', 'vitest', 'mocha', 'pytest', 'ava', 'tap'] as const;
export type RunnerName = (typeof runnerNames)[number];

export interface DetectedRunner {
  name: RunnerName;
  evidence: string[];
  installed: boolean;
}

const configFiles: Record<RunnerName, string[]> = {
  jest: ['jest.config.js', 'jest.config.ts', 'jest.config.mjs', 'jest.config.cjs', 'jest.config.json'],
  vitest: ['vitest.config.ts', 'vitest.config.js', 'vitest.config.mts', 'vitest.config.mjs', 'vitest.workspace.ts'],
  mocha: ['.mocharc.js', '.mocharc.cjs', '.mocharc.json', '.mocharc.yml', '.mocharc.yaml', '.mocharc.jsonc'],
  pytest: ['pytest.ini', 'conftest.py', 'tests/conftest.py'],
  ava: ['ava.config.js', 'ava.config.mjs', 'ava.config.cjs'],
  tap: ['.taprc'],
  'node:test': [],
};

/** `file` must lie in a real project root; a link out counts as absent. */
const exists = (file: string) => confinedFileExists(file, Confinement.ofReal([path.dirname(file)]));

export async function detectRunners(
  root: string,
  manifest: Manifest | undefined,
  testFileSample: readonly string[],
): Promise<DetectedRunner[]> {
  const evidence = new Map<RunnerName, string[]>();
  const add = (name: RunnerName, why: string) => evidence.set(name, [...(evidence.get(name) ?? []), why]);
  const script = manifest?.scripts?.test ?? '';
  if (/\bjest\b/.test(script)) add('jest', `scripts.test: ${script}`);
  if (/\bvitest\b/.test(script)) add('vitest', `scripts.test: ${script}`);
  if (/\bmocha\b/.test(script)) add('mocha', `scripts.test: ${script}`);
  if (/\bnode\b.*--test\b/.test(script)) add('node:test', `scripts.test: ${script}`);
  if (/\bpytest\b/.test(script)) add('pytest', `scripts.test: ${script}`);
  if (/\bava\b/.test(script)) add('ava', `scripts.test: ${script}`);
  if (/(^|\s)tap(\s|$)/.test(script)) add('tap', `scripts.test: ${script}`);
  const dependencies = { ...manifest?.dependencies, ...manifest?.devDependencies };
  for (const name of ['jest', 'vitest', 'mocha', 'ava', 'tap'] as const)
    if (dependencies[name]) add(name, `devDependency ${name}@${dependencies[name]}`);
  for (const [name, files] of Object.entries(configFiles) as [RunnerName, string[]][]) {
    for (const file of files) if (await exists(path.join(root, file))) add(name, `config file ${file}`);
  }
  for (const [file, marker] of [
    ['pyproject.toml', '[tool.pytest'],
    ['setup.cfg', '[tool:pytest]'],
    ['tox.ini', '[pytest]'],
  ] as const) {
    const text = await readProjectText(root, file, fileCaps.source).catch(() => '');
    if (text.includes(marker)) add('pytest', `${file} has ${marker}`);
  }
  for (const file of testFileSample) {
    const text = await readProjectText(root, file, fileCaps.source).catch(() => '');
    if (/from ['"]node:test['"]|require\(['"]node:test['"]\)/.test(text)) {
      add('node:test', `${file} imports node:test`);
      break;
    }
  }
  if (testFileSample.some((f) => /(^|\/)test_[^/]+\.py$|_test\.py$/.test(f)) && !evidence.has('pytest'))
    add('pytest', 'Python test files (test_*.py)');
  const runners: DetectedRunner[] = [];
  for (const [name, why] of evidence) {
    const installed =
      name === 'node:test' || name === 'pytest' ? true : await exists(path.join(root, 'node_modules', '.bin', name));
    runners.push({ name, evidence: why, installed });
  }
  // The runner named by the test script first, then by the amount of evidence.
  return runners.sort(
    (a, b) =>
      Number(b.evidence.some((e) => e.startsWith('scripts.test'))) -
        Number(a.evidence.some((e) => e.startsWith('scripts.test'))) || b.evidence.length - a.evidence.length,
  );
}

export interface RunCommand {
  program: string;
  args: string[];
  /** Where the machine-readable results land: stdout, or a file the runner writes. */
  resultsFile?: string;
  format: ResultFormat;
}

const shellSyntax = /[|&;<>$`()*?]/;

/** The command that runs `runner` in `root` with results in a parseable format. */
export function commandFor(
  runner: RunnerName,
  root: string,
  manifest: Manifest | undefined,
  resultsFile: string,
  namePattern?: string,
): RunCommand {
  const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
  switch (runner) {
    case 'node:test': {
      // Reuse the project's own "node ... --test ..." script when it is a plain command line
      // (it may load a TypeScript loader or name the files), with the TAP reporter added.
      const script = manifest?.scripts?.test ?? '';
      const words =
        /^\s*node\s/.test(script) && !shellSyntax.test(script)
          ? script
              .trim()
              .split(/\s+/)
              .slice(1)
              .filter((w) => !w.startsWith('--test-reporter'))
          : ['--test'];
      return {
        program: 'node',
        args: [
          ...words.filter((w) => w.startsWith('-')),
          '--test-reporter=tap',
          ...(namePattern ? [`--test-name-pattern=${namePattern}`] : []),
          ...words.filter((w) => !w.startsWith('-')),
        ],
        format: 'tap',
      };
    }
    case 'jest':
      return {
        program: bin('jest'),
        args: ['--ci', '--json', `--outputFile=${resultsFile}`, ...(namePattern ? ['-t', namePattern] : [])],
        resultsFile,
        format: 'json',
      };
    case 'vitest':
      return {
        program: bin('vitest'),
        args: ['run', '--reporter=json', `--outputFile=${resultsFile}`, ...(namePattern ? ['-t', namePattern] : [])],
        resultsFile,
        format: 'json',
      };
    case 'mocha':
      return {
        program: bin('mocha'),
        args: ['--reporter', 'json', ...(namePattern ? ['--grep', namePattern] : [])],
        format: 'json',
      };
    case 'pytest':
      return {
        program: 'python3',
        args: ['-m', 'pytest', '-q', `--junitxml=${resultsFile}`, ...(namePattern ? ['-k', namePattern] : [])],
        resultsFile,
        format: 'junit',
      };
    case 'ava':
      return { program: bin('ava'), args: ['--tap', ...(namePattern ? ['--match', namePattern] : [])], format: 'tap' };
    case 'tap':
      return { program: bin('tap'), args: ['--reporter=tap'], format: 'tap' };
  }
}
