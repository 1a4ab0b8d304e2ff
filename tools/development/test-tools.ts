// Test tools: detect the runner, run it (an action: confirm: true or a configured allow-list),
// parse results in any common format, read coverage, and rank untested complex code.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { resolveInsideRoots } from '../roots.js';
import { asInputError, Confinement, fileCaps, readConfinedText } from '../confined-fs.js';
import { analysedProject, projectDirectory, projectPathField, projectRelative } from './project-directory.js';
import { readManifest } from './dependencies/lockfile.js';
import { collectFiles } from './analysis/project-files.js';
import { isTestPath } from './analysis/file-analysis.js';
import { detectRunners, commandFor, runnerNames } from './testing/test-runners.js';
import { parseTestResults, type TestSummary } from './testing/test-results.js';
import { lineRanges, percent, readCoverage } from './testing/coverage.js';
import { runProcess } from './run-process.js';

const failureSchema = z.object({
  name: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  message: z.string(),
});
const summarySchema = z.object({
  format: z.string(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  todo: z.number().int(),
  durationMs: z.number().optional(),
  failures: z.array(failureSchema),
});
const renderSummary = (s: TestSummary) =>
  `${s.total} test(s): ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${s.todo ? `, ${s.todo} todo` : ''}${s.durationMs !== undefined ? ` in ${s.durationMs} ms` : ''}${
    s.failures.length
      ? `\n${s.failures
          .slice(0, 20)
          .map((f) => `  ✖ ${f.name}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}: ${f.message}`)
          .join('\n')}`
      : ''
  }`;

async function testFiles(root: string, signal: AbortSignal): Promise<string[]> {
  const { files } = await collectFiles(root, { signal, maxFiles: 20_000 });
  return files.map((f) => f.relative).filter(isTestPath);
}

export const detectTestRunner = defineTool({
  name: 'development_detect_test_runner',
  domain: 'development',
  tags: ['tests', 'test runner', 'jest', 'vitest', 'mocha', 'node:test', 'pytest'],
  requests: [
    'which test runner does the project use',
    'jest, vitest, mocha or node:test',
    'how would the tests be run here',
    'which testing framework is configured',
    'what testing tool does this repo use',
    'command to run the tests in this project',
  ],
  title: 'Detect the test runner',
  description:
    'Which test runner(s) the project uses (node:test, jest, vitest, mocha, pytest, ava, tap), with the evidence (test script, devDependencies, config files, test-file imports), whether each is installed, and the command development_run_tests would run. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: projectPathField }),
  output: z.object({
    runners: z.array(
      z.object({ name: z.string(), evidence: z.array(z.string()), installed: z.boolean(), command: z.string() }),
    ),
    testFiles: z.number().int(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const manifest = await readManifest(root);
    const files = await testFiles(root, context.signal);
    const runners = await detectRunners(root, manifest, files.slice(0, 30));
    return {
      runners: runners.map((r) => {
        const command = commandFor(r.name, root, manifest, '<results file>');
        return {
          ...r,
          command: [
            path.isAbsolute(command.program) ? path.relative(root, command.program) : command.program,
            ...command.args,
          ].join(' '),
        };
      }),
      testFiles: files.length,
    };
  },
  summarize: (o) =>
    o.runners.length === 0
      ? `no test runner detected (${o.testFiles} test file(s))`
      : `${o.testFiles} test file(s)\n${o.runners.map((r) => `  ${r.name}${r.installed ? '' : ' (not installed: run npm ci)'}: ${r.evidence.join('; ')}\n    runs: ${r.command}`).join('\n')}`,
});

export const runTests = defineTool({
  name: 'development_run_tests',
  domain: 'development',
  tags: ['tests', 'run tests', 'test runner', 'ci', 'failures'],
  requests: [
    'run the test suite',
    'execute the tests and report failures',
    'npm test with a timeout',
    'are the tests green',
    'check that the tests pass before merging',
    'do the tests still pass after my change',
    'run the specs and show failing tests',
  ],
  title: 'Run the tests',
  description:
    'Runs the project\'s test runner (detected, or the one named) with a timeout and machine-readable output, and returns the parsed results: counts, each failure with file and line, and the output\'s tail. This executes project code, so it needs confirm: true unless the project is in the testRunsAllowed config list. A timeout or a cancel kills the whole process tree. Example: {"path": ".", "confirm": true, "timeoutSeconds": 120}',
  kind: { effect: 'action' },
  input: z.object({
    path: projectPathField,
    confirm: z
      .boolean()
      .default(false)
      .describe("Must be true: running tests executes the project's code (unless the project is in testRunsAllowed)."),
    runner: z.enum(runnerNames).optional().describe('Runner to use; default the detected one.'),
    namePattern: z
      .string()
      .max(200)
      .optional()
      .describe("Only tests whose name matches (passed to the runner's name filter)."),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(300)
      .describe('Kill the run after this long. Default 300.'),
  }),
  output: z.object({
    ran: z.boolean(),
    runner: z.string().optional(),
    command: z.string().optional(),
    exitCode: z.number().int().nullable().optional(),
    timedOut: z.boolean().optional(),
    durationMs: z.number().int().optional(),
    summary: summarySchema.optional(),
    outputTail: z.string().optional(),
    reason: z.string().optional(),
  }),
  examples: [{ path: '.', confirm: true, timeoutSeconds: 60 }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const allowed = (context.environment.testRunsAllowed ?? []).some(
      (directory) => root === directory || root.startsWith(directory + path.sep),
    );
    if (!input.confirm && !allowed)
      throw new InputError(
        'confirm',
        "running the tests executes the project's code; pass confirm: true (or add the project to testRunsAllowed in the config)",
      );
    const manifest = await readManifest(root);
    const detected = await detectRunners(root, manifest, (await testFiles(root, context.signal)).slice(0, 30));
    const runner = input.runner ?? detected.find((r) => r.installed)?.name;
    if (!runner)
      return {
        ran: false,
        reason: detected.length
          ? `detected ${detected.map((r) => r.name).join(', ')} but none is installed (run npm ci)`
          : 'no test runner detected: nothing was run',
      };
    const scratch = await mkdtemp(path.join(tmpdir(), 'caelum-tests-'));
    try {
      const command = commandFor(
        runner,
        root,
        manifest,
        path.join(scratch, runner === 'pytest' ? 'results.xml' : 'results.json'),
        input.namePattern,
      );
      context.progress(0, 1, `running ${runner}`);
      const result = await runProcess(command.program, command.args, {
        cwd: root,
        timeoutMs: input.timeoutSeconds * 1000,
        signal: context.signal,
        ...(context.environment.childEnvironment ? { env: context.environment.childEnvironment } : {}),
      });
      const display = [
        path.isAbsolute(command.program) ? path.relative(root, command.program) : command.program,
        ...command.args,
      ].join(' ');
      if (result.spawnError)
        return { ran: false, runner, command: display, reason: `the runner could not start (${result.spawnError})` };
      // The results file is in our scratch directory; a test could still replace it with a link.
      let raw = command.resultsFile
        ? await readConfinedText(command.resultsFile, await Confinement.of([scratch], 'the scratch directory'), {
            maxBytes: fileCaps.large,
          }).catch(() => '')
        : result.stdout;
      if (runner === 'mocha') raw = raw.slice(Math.max(0, raw.indexOf('{\n')));
      let summary: TestSummary | undefined;
      try {
        summary = raw.trim() ? parseTestResults(raw, command.format) : undefined;
      } catch {
        summary = undefined;
      }
      const output = `${result.stdout}\n${result.stderr}`.trim();
      return {
        ran: true,
        runner,
        command: display,
        exitCode: result.exitCode,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
        ...(summary ? { summary } : {}),
        outputTail: output.slice(-4000),
        ...(result.timedOut
          ? { reason: `killed after ${input.timeoutSeconds} s` }
          : result.cancelled
            ? { reason: 'cancelled' }
            : !summary
              ? { reason: 'the runner produced no results it could parse; see outputTail' }
              : {}),
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
  summarize: (o) =>
    !o.ran
      ? `tests not run: ${o.reason}`
      : `${o.runner}: ${o.command}\n${o.timedOut ? `TIMED OUT: ${o.reason}\n` : ''}exit ${o.exitCode} after ${o.durationMs} ms\n${o.summary ? renderSummary(o.summary as TestSummary) : `${o.reason}\n${o.outputTail?.slice(-1500)}`}`,
});

export const parseTestResultsTool = defineTool({
  name: 'development_parse_test_results',
  domain: 'development',
  tags: ['tests', 'tap', 'junit', 'test results', 'failures', 'ci logs'],
  requests: [
    'parse a JUnit XML report',
    'summarise failures from a CI log I already have',
    'read TAP or jest JSON output',
    'summarise a test report file',
    'which tests failed in this CI log',
    'extract failures from a pasted test log',
  ],
  title: 'Parse test results',
  description:
    'Parses test output you already have (a CI log, a junit.xml, jest --json) into counts and failures with file and line. Formats: TAP, spec/console output of node:test, mocha, jest and vitest, JUnit XML, and jest/vitest/mocha JSON; detected when not given. Pass the text, or a file inside the allowed roots. Example: {"text": "ok 1 - adds\\nnot ok 2 - fails\\n1..2"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    text: z.string().max(20_000_000).optional().describe('The output to parse.'),
    file: z.string().optional().describe('Or a results file inside the allowed roots (e.g. "reports/junit.xml").'),
    format: z.enum(['tap', 'spec', 'junit', 'json']).optional().describe('Default: detected from the content.'),
  }),
  output: summarySchema,
  examples: [{ text: 'TAP version 13\nok 1 - adds\nnot ok 2 - fails\n  ---\n  error: expected 3\n  ...\n1..2\n' }],
  async handler(input, context) {
    if ((input.text === undefined) === (input.file === undefined))
      throw new InputError('text', 'pass exactly one of text or file');
    let text = input.text;
    if (input.file !== undefined) {
      const target = await resolveInsideRoots(input.file, context.environment.allowedRoots, 'file');
      if (target.isDirectory) throw new InputError('file', `${input.file} is a directory; pass the results file`);
      try {
        text = await readConfinedText(target.absolute, await Confinement.of(context.environment.allowedRoots), {
          maxBytes: fileCaps.large,
        });
      } catch (error) {
        throw asInputError(error, 'file', input.file);
      }
    }
    try {
      return parseTestResults(text!, input.format);
    } catch (error) {
      throw new InputError(
        input.file !== undefined ? 'file' : 'text',
        `could not be parsed as ${input.format ?? 'any known format'}: ${(error as Error).message.slice(0, 160)}`,
      );
    }
  },
  summarize: (o) => renderSummary(o as TestSummary),
});

export const readCoverageTool = defineTool({
  name: 'development_read_coverage',
  domain: 'development',
  tags: ['coverage', 'lcov', 'istanbul', 'nyc', 'c8', 'cobertura', 'tests'],
  requests: [
    'show the coverage report',
    'lcov line coverage per file',
    'uncovered lines and functions',
    'coverage percentage of the project',
    'share of the code the tests cover',
    'test coverage percentage per file',
  ],
  title: 'Read coverage',
  description:
    'Reads the coverage report the tests left (lcov.info, istanbul coverage-final.json or coverage-summary.json, Cobertura coverage.xml; found under coverage/ or named) into total and per-file line, function and branch coverage with the uncovered lines and functions, least covered first. It does not run the tests. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    report: z
      .string()
      .optional()
      .describe(
        'Report file relative to the project; default: the first of coverage/lcov.info, coverage/coverage-final.json, coverage/coverage-summary.json, coverage.xml.',
      ),
    limit: z.number().int().min(1).max(5000).default(50).describe('Most files returned. Default 50.'),
  }),
  output: z.object({
    found: z.boolean(),
    source: z.string().optional(),
    format: z.string().optional(),
    total: z
      .object({ lines: z.number().nullable(), functions: z.number().nullable(), branches: z.number().nullable() })
      .optional(),
    files: z.array(
      z.object({
        file: z.string(),
        lines: z.number().nullable(),
        functions: z.number().nullable(),
        branches: z.number().nullable(),
        uncoveredLines: z.string(),
        uncoveredFunctions: z.array(z.string()),
      }),
    ),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    if (input.report) projectRelative(input.report, 'report');
    let report;
    try {
      report = await readCoverage(root, input.report);
    } catch (error) {
      throw new InputError(
        'report',
        `the coverage report could not be read: ${(error as Error).message.slice(0, 160)}`,
      );
    }
    if (!report) return { found: false, files: [] };
    const sum = (key: 'lines' | 'functions' | 'branches') =>
      percent(
        report.files.reduce((acc, f) => ({ found: acc.found + f[key].found, hit: acc.hit + f[key].hit }), {
          found: 0,
          hit: 0,
        }),
      );
    const files = report.files
      .map((f) => ({
        file: f.file,
        lines: percent(f.lines),
        functions: percent(f.functions),
        branches: percent(f.branches),
        uncoveredLines: lineRanges(f.uncoveredLines),
        uncoveredFunctions: f.uncoveredFunctions.map((fn) => `${fn.name}:${fn.line}`),
      }))
      .sort((a, b) => (a.lines ?? 101) - (b.lines ?? 101) || a.file.localeCompare(b.file));
    return {
      found: true,
      source: report.source,
      format: report.format,
      total: { lines: sum('lines'), functions: sum('functions'), branches: sum('branches') },
      files: files.slice(0, input.limit),
    };
  },
  summarize: (o) =>
    !o.found
      ? 'no coverage report found (run the tests with coverage first, e.g. node --test --experimental-test-coverage --test-reporter=lcov --test-reporter-destination=coverage/lcov.info)'
      : `${o.source} (${o.format}): lines ${o.total?.lines ?? '-'}%, functions ${o.total?.functions ?? '-'}%, branches ${o.total?.branches ?? '-'}%\n${o.files
          .slice(0, 30)
          .map(
            (f) =>
              `  ${f.file}: ${f.lines ?? '-'}% lines${f.uncoveredLines ? ` (uncovered ${f.uncoveredLines.slice(0, 80)})` : ''}`,
          )
          .join('\n')}`,
});

export const findCoverageGaps = defineTool({
  name: 'development_find_coverage_gaps',
  domain: 'development',
  tags: ['coverage', 'untested', 'risk', 'tests', 'gaps'],
  requests: [
    'risky functions without tests',
    'where to add tests first',
    'uncovered complex code',
    'code that tests never reach, riskiest first',
    'which important code has no tests',
  ],
  title: 'Coverage gaps by risk',
  description:
    'Joins the coverage report with per-function complexity: functions that never ran or ran only in part, ranked by cyclomatic complexity times the share of their lines not covered, plus source files no test loaded at all. Tells you where a new test buys the most. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    report: z.string().optional().describe('Coverage report relative to the project (default: found under coverage/).'),
    limit: z.number().int().min(1).max(1000).default(30).describe('Most functions returned. Default 30.'),
  }),
  output: z.object({
    found: z.boolean(),
    source: z.string().optional(),
    functions: z.array(
      z.object({
        file: z.string(),
        name: z.string(),
        line: z.number().int(),
        cyclomatic: z.number().int(),
        uncoveredShare: z.number(),
        risk: z.number(),
      }),
    ),
    filesNeverLoaded: z.array(z.string()),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    if (input.report) projectRelative(input.report, 'report');
    const analysis = await analysedProject(input.path, context);
    const report = await readCoverage(analysis.root, input.report).catch(() => undefined);
    if (!report) return { found: false, functions: [], filesNeverLoaded: [] };
    const byFile = new Map(report.files.map((f) => [f.file, f]));
    const functions = [];
    const filesNeverLoaded: string[] = [];
    for (const file of analysis.files) {
      if (file.language === 'template' || isTestPath(file.file)) continue;
      const coverage = byFile.get(file.file);
      if (!coverage) {
        if (file.functions.length > 0) filesNeverLoaded.push(file.file);
        continue;
      }
      const uncovered = new Set(coverage.uncoveredLines);
      const covered = new Set(coverage.coveredLines ?? []);
      const neverCalled = new Set(coverage.uncoveredFunctions.map((f) => f.line));
      for (const fn of file.functions) {
        let executable = 0;
        let missed = 0;
        for (let line = fn.line; line <= fn.endLine; line++) {
          if (uncovered.has(line)) {
            executable++;
            missed++;
          } else if (covered.has(line)) {
            executable++;
          }
        }
        const share = neverCalled.has(fn.line) ? 1 : executable === 0 ? 0 : missed / executable;
        if (share === 0) continue;
        functions.push({
          file: file.file,
          name: fn.name,
          line: fn.line,
          cyclomatic: fn.cyclomatic,
          uncoveredShare: Math.round(share * 100) / 100,
          risk: Math.round(fn.cyclomatic * share * 100) / 100,
        });
      }
    }
    functions.sort((a, b) => b.risk - a.risk || b.cyclomatic - a.cyclomatic);
    return {
      found: true,
      source: report.source,
      functions: functions.slice(0, input.limit),
      filesNeverLoaded: filesNeverLoaded.slice(0, 200),
    };
  },
  summarize: (o) =>
    !o.found
      ? 'no coverage report found (run the tests with coverage first)'
      : `${o.functions.length} function(s) not fully covered, by risk (complexity × uncovered share); ${o.filesNeverLoaded.length} file(s) no test loaded\n${o.functions
          .slice(0, 25)
          .map(
            (f) =>
              `  ${f.file}:${f.line} ${f.name}: cyclomatic ${f.cyclomatic}, ${Math.round(f.uncoveredShare * 100)}% uncovered`,
          )
          .join(
            '\n',
          )}${o.filesNeverLoaded.length ? `\nNever loaded: ${o.filesNeverLoaded.slice(0, 15).join(', ')}` : ''}`,
});
