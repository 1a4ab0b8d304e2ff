// Parses test-runner output into one summary: TAP (node:test, tape, mocha's tap), spec/console
// output (node:test, mocha, jest, vitest), JUnit XML (any runner's junit reporter, pytest
// --junitxml) and JSON (jest/vitest --json, mocha's json reporter). Counts come from the runner's
// own summary when it prints one, else from the individual results.
import { XMLParser } from 'fast-xml-parser';
import { asArray, type XmlNode } from './xml.js';

export type ResultFormat = 'tap' | 'spec' | 'junit' | 'json';

export interface TestFailure {
  name: string;
  file?: string;
  line?: number;
  message: string;
}

export interface TestSummary {
  format: ResultFormat;
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  durationMs?: number;
  failures: TestFailure[];
}

export function detectFormat(text: string): ResultFormat {
  const start = text.trimStart();
  if (start.startsWith('<')) return 'junit';
  if (start.startsWith('{')) return 'json';
  if (/^TAP version \d+|^\s*(not )?ok \d+/m.test(text)) return 'tap';
  return 'spec';
}

/** Per-field budgets: a runner can print a 50 MB line, and the summary must stay readable. */
export const maxFailureText = 500;
export const maxFailuresListed = 500;

export function parseTestResults(text: string, format: ResultFormat = detectFormat(text)): TestSummary {
  return capSummary(parseAnyFormat(text, format));
}

function parseAnyFormat(text: string, format: ResultFormat): TestSummary {
  switch (format) {
    case 'tap':
      return parseTap(text);
    case 'junit':
      return parseJunit(text);
    case 'json':
      return parseJson(text);
    default:
      return parseSpec(text);
  }
}

const cut = (text: string) =>
  text.length > maxFailureText
    ? `${text.slice(0, maxFailureText)}… [${text.length - maxFailureText} characters cut]`
    : text;

/** Long names, messages and paths are cut, and at most maxFailuresListed failures are listed (the counts stay whole). */
function capSummary(summary: TestSummary): TestSummary {
  const failures = summary.failures.slice(0, maxFailuresListed).map((failure) => ({
    ...failure,
    name: cut(failure.name),
    message: cut(failure.message),
    ...(failure.file !== undefined ? { file: cut(failure.file) } : {}),
  }));
  return { ...summary, failures };
}

const location = (text: string | undefined): { file?: string; line?: number } => {
  const match = /(?:file:\/\/)?([^\s'"()]+?\.[cm]?[jt]sx?|[^\s'"()]+?\.py):(\d+)(?::\d+)?/.exec(text ?? '');
  return match ? { file: match[1]!, line: Number(match[2]) } : {};
};

function parseTap(text: string): TestSummary {
  const lines = text.split('\n');
  const summary: TestSummary = { format: 'tap', total: 0, passed: 0, failed: 0, skipped: 0, todo: 0, failures: [] };
  const counted: Record<string, number> = {};
  let lastIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const comment = /^# (tests|pass|fail|skip|skipped|todo|duration_ms) ([\d.]+)$/.exec(line.trim());
    if (comment && !/^\s/.test(line)) counted[comment[1]!] = Number(comment[2]);
    const result = /^(\s*)(ok|not ok)\s+\d+(?:\s+-)?\s*(.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/i.exec(line);
    if (!result) continue;
    const indent = result[1]!.length;
    // node:test prints a suite's line after its children, less indented: that line is not a test.
    const isParent = lastIndent > indent;
    lastIndent = indent;
    // The YAML block under the result holds the failure's message and location.
    const block: string[] = [];
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j]!.trim() !== '...'; j++) block.push(lines[j]!);
    }
    const yaml = block.join('\n');
    if (isParent || /type: 'suite'/.test(yaml)) continue;
    const directive = result[4]?.toUpperCase();
    summary.total++;
    if (directive === 'SKIP') summary.skipped++;
    else if (directive === 'TODO') summary.todo++;
    else if (result[2] === 'ok') summary.passed++;
    else {
      summary.failed++;
      const message = /(?:error|message):\s*(?:\|-?\s*\n\s*)?['"]?([^\n'"]+)/.exec(yaml)?.[1]?.trim() ?? 'failed';
      summary.failures.push({
        name: result[3]!.trim(),
        ...location(/location:\s*'([^']+)'/.exec(yaml)?.[1] ?? /at\s.*$/m.exec(yaml)?.[0]),
        message,
      });
    }
  }
  if (counted.tests !== undefined) {
    summary.total = counted.tests;
    summary.passed = counted.pass ?? summary.passed;
    summary.failed = counted.fail ?? summary.failed;
    summary.skipped = counted.skipped ?? counted.skip ?? summary.skipped;
    summary.todo = counted.todo ?? summary.todo;
  }
  if (counted.duration_ms !== undefined) summary.durationMs = Math.round(counted.duration_ms);
  return summary;
}

function parseSpec(text: string): TestSummary {
  const summary: TestSummary = { format: 'spec', total: 0, passed: 0, failed: 0, skipped: 0, todo: 0, failures: [] };
  // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes being stripped
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n');
  const number = (pattern: RegExp) => {
    const match = pattern.exec(plain);
    return match ? Number(match[1]) : undefined;
  };
  // node:test: "ℹ tests 4" ... ; mocha: "3 passing", "1 failing", "2 pending"; jest: "Tests: 1 failed, 2 passed, 3 total"; vitest: "Tests  1 failed | 2 passed (3)".
  const nodeTotal = number(/^ℹ tests (\d+)/m);
  const jest = /^Tests:\s+(.*)$/m.exec(plain)?.[1];
  const vitest = /^\s*Tests\s+(.*\(\d+\))\s*$/m.exec(plain)?.[1];
  if (nodeTotal !== undefined) {
    Object.assign(summary, {
      total: nodeTotal,
      passed: number(/^ℹ pass (\d+)/m) ?? 0,
      failed: (number(/^ℹ fail (\d+)/m) ?? 0) + (number(/^ℹ cancelled (\d+)/m) ?? 0),
      skipped: number(/^ℹ skipped (\d+)/m) ?? 0,
      todo: number(/^ℹ todo (\d+)/m) ?? 0,
    });
    const duration = number(/^ℹ duration_ms ([\d.]+)/m);
    if (duration !== undefined) summary.durationMs = Math.round(duration);
  } else if (jest || vitest) {
    const counts = jest ?? vitest!;
    const get = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(counts)?.[1] ?? 0);
    Object.assign(summary, {
      failed: get('failed'),
      passed: get('passed'),
      skipped: get('skipped'),
      todo: get('todo'),
      total: Number(/(\d+) total/.exec(counts)?.[1] ?? /\((\d+)\)/.exec(counts)?.[1] ?? 0),
    });
  } else if (/^\s*\d+ (passing|failing|pending)/m.test(plain)) {
    Object.assign(summary, {
      passed: number(/^\s*(\d+) passing/m) ?? 0,
      failed: number(/^\s*(\d+) failing/m) ?? 0,
      skipped: number(/^\s*(\d+) pending/m) ?? 0,
    });
    summary.total = summary.passed + summary.failed + summary.skipped;
  }
  // Failures: node's "✖ failing tests:" section, mocha's numbered "1) name" blocks, jest's "● name" headers.
  const failingSection = plain.indexOf('✖ failing tests:');
  if (failingSection !== -1) {
    const section = plain.slice(failingSection).split('\n');
    for (let i = 0; i < section.length; i++) {
      const at = /^test at (.+?):(\d+):\d+$/.exec(section[i]!);
      const name = at ? /^✖ (.*?)(?: \([\d.]+m?s\))?$/.exec(section[i + 1] ?? '')?.[1] : undefined;
      if (at && name)
        summary.failures.push({
          name,
          file: at[1]!,
          line: Number(at[2]),
          message: (section[i + 2] ?? '').trim().slice(0, 300),
        });
    }
  } else {
    for (let i = 0; i < lines.length; i++) {
      const mocha = /^\s{2}(\d+)\) (.+)$/.exec(lines[i]!);
      const jestHeader = /^\s*● (.+?)$/.exec(lines[i]!);
      const header = mocha?.[2] ?? jestHeader?.[1];
      if (!header || /Console$/.test(header)) continue;
      let message = '';
      let where: { file?: string; line?: number } = {};
      for (let j = i + 1; j < Math.min(lines.length, i + 40); j++) {
        const body = lines[j]!.trim();
        if (!message && body && !/^\d+\) /.test(body) && !body.startsWith('at ')) message = body;
        if (!where.file && /\bat\b|[(]/.test(body)) where = location(body);
        if (where.file && message) break;
      }
      if (!summary.failures.some((f) => f.name === header.trim()))
        summary.failures.push({ name: header.trim(), ...where, message: message.slice(0, 300) || 'failed' });
    }
  }
  if (summary.total === 0) {
    // No summary line: count the marks.
    for (const line of lines) {
      if (/^\s*[✔✓√]\s/.test(line)) summary.passed++;
      else if (/^\s*[✖✕×]\s/.test(line)) summary.failed++;
      else if (/^\s*[﹣○-]\s.*(# SKIP|skipped)/i.test(line)) summary.skipped++;
    }
    summary.total = summary.passed + summary.failed + summary.skipped;
  }
  return summary;
}

function parseJunit(text: string): TestSummary {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    processEntities: true,
    allowBooleanAttributes: true,
  });
  const document = parser.parse(text) as XmlNode;
  const summary: TestSummary = { format: 'junit', total: 0, passed: 0, failed: 0, skipped: 0, todo: 0, failures: [] };
  let seconds = 0;
  const visitSuite = (suite: XmlNode, file: string | undefined) => {
    const suiteFile = (suite['@file'] as string | undefined) ?? file;
    if (suite['@time'] && !file) seconds += Number(suite['@time']) || 0;
    for (const testcase of asArray(suite.testcase as XmlNode | XmlNode[])) {
      summary.total++;
      const failure = (asArray(testcase.failure as XmlNode | string | undefined)[0] ??
        asArray(testcase.error as XmlNode | string | undefined)[0] ??
        testcase['@failure']) as XmlNode | string | undefined;
      if (failure !== undefined) {
        summary.failed++;
        const detail =
          typeof failure === 'string'
            ? failure
            : `${(failure['@message'] as string | undefined) ?? ''}\n${(failure['#text'] as string | undefined) ?? ''}`;
        const caseFile = (testcase['@file'] as string | undefined) ?? suiteFile;
        summary.failures.push({
          name: `${testcase['@classname'] && !caseFile ? `${testcase['@classname'] as string} › ` : ''}${testcase['@name'] as string}`,
          ...(caseFile ? { file: caseFile } : location(detail)),
          ...(testcase['@line'] ? { line: Number(testcase['@line']) } : {}),
          message: detail.trim().split('\n')[0]!.slice(0, 300) || 'failed',
        });
      } else if (testcase.skipped !== undefined) {
        if ((testcase.skipped as XmlNode)['@type'] === 'todo') summary.todo++;
        else summary.skipped++;
      } else {
        summary.passed++;
      }
    }
    for (const nested of asArray(suite.testsuite as XmlNode | XmlNode[])) visitSuite(nested, suiteFile);
  };
  // The root may hold suites and also bare test cases (node:test's top-level tests).
  const root = (document.testsuites as XmlNode | undefined) ?? document;
  visitSuite({ testcase: root.testcase, testsuite: root.testsuite }, undefined);
  if (root['@time']) seconds = Number(root['@time']) || seconds;
  if (seconds > 0) summary.durationMs = Math.round(seconds * 1000);
  return summary;
}

interface JestJson {
  numTotalTests?: number;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  startTime?: number;
  testResults?: {
    name?: string;
    endTime?: number;
    assertionResults?: {
      fullName?: string;
      title?: string;
      status?: string;
      failureMessages?: string[];
      location?: { line?: number };
    }[];
  }[];
  stats?: { tests?: number; passes?: number; failures?: number; pending?: number; duration?: number };
  failures?: { fullTitle?: string; title?: string; file?: string; err?: { message?: string; stack?: string } }[];
}

function parseJson(text: string): TestSummary {
  const json = JSON.parse(text) as JestJson;
  if (json.stats) {
    // mocha --reporter json
    return {
      format: 'json',
      total: json.stats.tests ?? 0,
      passed: json.stats.passes ?? 0,
      failed: json.stats.failures ?? 0,
      skipped: json.stats.pending ?? 0,
      todo: 0,
      ...(json.stats.duration !== undefined ? { durationMs: json.stats.duration } : {}),
      failures: (json.failures ?? []).map((f) => ({
        name: f.fullTitle ?? f.title ?? '?',
        ...(f.file
          ? { file: f.file, ...(location(f.err?.stack).line ? { line: location(f.err?.stack).line! } : {}) }
          : location(f.err?.stack)),
        message: (f.err?.message ?? 'failed').split('\n')[0]!.slice(0, 300),
      })),
    };
  }
  // jest --json, vitest --reporter=json
  const failures: TestFailure[] = [];
  let end = 0;
  for (const file of json.testResults ?? []) {
    end = Math.max(end, file.endTime ?? 0);
    for (const assertion of file.assertionResults ?? []) {
      if (assertion.status !== 'failed') continue;
      // eslint-disable-next-line no-control-regex -- ESC starts the ANSI colour codes being stripped
      const message = (assertion.failureMessages ?? []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
      failures.push({
        name: assertion.fullName ?? assertion.title ?? '?',
        ...(file.name ? { file: file.name } : {}),
        ...(assertion.location?.line ? { line: assertion.location.line } : {}),
        message: message.split('\n')[0]!.slice(0, 300) || 'failed',
      });
    }
  }
  return {
    format: 'json',
    total: json.numTotalTests ?? 0,
    passed: json.numPassedTests ?? 0,
    failed: json.numFailedTests ?? 0,
    skipped: json.numPendingTests ?? 0,
    todo: json.numTodoTests ?? 0,
    ...(json.startTime && end ? { durationMs: end - json.startTime } : {}),
    failures,
  };
}
