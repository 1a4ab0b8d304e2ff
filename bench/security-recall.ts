// analyzeAndImproveCode's recall and precision on vulnerable applications, side by side with the
// ESLint peers in the same run (issue 16). A corpus is a directory whose vulnerable lines carry a
// `vuln: CWE-<n>` comment; every other line is meant to be clean.
//   - tests/development/fixtures/vulnerable-app: the exact-set test's fixture (the analysis is
//     tuned to it, so Caelum's figures there are by construction; it is shown for the peers).
//   - bench/blind-apps/*: applications written from a vulnerability list by someone who did not
//     read the analyser's source (held out: no rule was tuned to them).
// Scoring:
//   - Caelum, strict: a marked line counts as found when a finding sits on it with its CWE.
//   - everyone, lenient: a marked line counts as found when any finding sits on it (the peers have
//     no CWEs, so this is the only fair comparison). Precision = findings on marked lines / all
//     security findings, each line counted once per tool.
// Peers: ESLint + eslint-plugin-security (recommended), and the same plus eslint-plugin-no-unsanitized
// and eslint-plugin-sonarjs's security rules. Templates and Python count in the denominator for
// everyone (the peers cannot read them); the "JS/TS only" columns leave them out.
import { readFile, readdir, mkdir, writeFile, rename, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { ESLint } from 'eslint';
import security from 'eslint-plugin-security';
import noUnsanitized from 'eslint-plugin-no-unsanitized';
import sonarjs from 'eslint-plugin-sonarjs';
import tseslint from 'typescript-eslint';
import { analyzeProject } from '../tools/development/analysis/project-analysis.js';
import { securityFindings } from '../tools/development/analysis/findings.js';
import { collectFiles } from '../tools/development/analysis/project-files.js';
import { table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const sonarSecurityRules = [
  'code-eval',
  'no-hardcoded-passwords',
  'no-hardcoded-secrets',
  'hardcoded-secret-signatures',
  'sql-queries',
  'insecure-cookie',
  'cookie-no-httponly',
  'pseudo-random',
  'file-uploads',
  'file-permissions',
  'xml-parser-xxe',
  'post-message',
  'no-os-command-from-path',
  'os-command',
  'weak-ssl',
  'no-weak-keys',
  'no-weak-cipher',
  'csrf',
  'production-debug',
  'hashing',
  'unverified-certificate',
  'unverified-hostname',
  'no-unsafe-unzip',
  'cors',
  'disabled-auto-escaping',
  'no-clear-text-protocols',
  'publicly-writable-directories',
  'encryption-secure-mode',
  'insecure-jwt-token',
  'x-powered-by',
  'hidden-files',
  'content-length',
  'content-security-policy',
  'no-mixed-content',
  'frame-ancestors',
  'no-mime-sniff',
  'no-referrer-policy',
  'strict-transport-security',
  'confidential-information-logging',
  'no-ip-forward',
  'slow-regex',
  'session-regeneration',
  'no-angular-bypass-sanitization',
  'dynamically-constructed-templates',
  'dompurify-unsafe-config',
].filter((rule) => rule in sonarjs.rules);

interface Marked {
  key: string; // file:line
  cwes: string[];
  js: boolean;
}

const scriptFile = /\.[cm]?[jt]sx?$/;

async function markers(dir: string): Promise<Marked[]> {
  const out: Marked[] = [];
  const { files } = await collectFiles(dir, { signal: new AbortController().signal, maxFiles: 5000 });
  for (const file of files) {
    const lines = (await readFile(file.absolute, 'utf8')).split('\n');
    lines.forEach((line, index) => {
      const marker = /vuln:\s*((?:CWE-\d+\s*)+)/.exec(line);
      if (marker)
        out.push({
          key: `${file.relative}:${index + 1}`,
          cwes: marker[1]!.trim().split(/\s+/),
          js: scriptFile.test(file.relative),
        });
    });
  }
  return out;
}

interface Reported {
  key: string;
  cwe?: string;
  rule: string;
}

async function caelum(dir: string): Promise<{ reported: Reported[]; ms: number; parseErrors?: number }> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-recall-'));
  const started = performance.now();
  try {
    const project = await analyzeProject(ts, {
      root: dir,
      dataDir: path.join(work, 'data'),
      signal: new AbortController().signal,
    });
    const majors = new Map<string, number>();
    try {
      const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
        majors.set(dep, Number(/\d+/.exec(range)?.[0] ?? 0));
    } catch {
      // no manifest
    }
    const findings = securityFindings(project, { dependencyMajors: majors });
    return {
      reported: findings.map((f) => ({ key: `${f.file}:${f.line}`, ...(f.cwe ? { cwe: f.cwe } : {}), rule: f.rule })),
      ms: performance.now() - started,
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function eslintPeer(
  dir: string,
  full: boolean,
): Promise<{ reported: Reported[]; ms: number; parseErrors: number }> {
  const started = performance.now();
  // .js is CommonJS unless the app's package.json says "type": "module" (as Node reads it).
  const esm = await readFile(path.join(dir, 'package.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { type?: string }).type === 'module')
    .catch(() => false);
  const plugins = full
    ? [
        security.configs.recommended,
        noUnsanitized.configs.recommended,
        {
          plugins: { sonarjs },
          rules: Object.fromEntries(sonarSecurityRules.map((rule) => [`sonarjs/${rule}`, 'error'])),
        },
      ]
    : [security.configs.recommended];
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.js', '**/*.cjs', '**/*.mjs', '**/*.jsx', '**/*.ts', '**/*.tsx'] },
      ...plugins,
      {
        languageOptions: {
          ecmaVersion: 'latest',
          sourceType: 'module',
          parserOptions: { ecmaFeatures: { jsx: true } },
        },
      },
      { files: esm ? ['**/*.cjs'] : ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
      { files: ['**/*.ts', '**/*.tsx'], languageOptions: { parser: tseslint.parser } },
    ] as ConstructorParameters<typeof ESLint>[0] extends infer O
      ? O extends { overrideConfig?: infer C }
        ? C
        : never
      : never,
  });
  const results = await eslint.lintFiles(['.']);
  const reported: Reported[] = [];
  let parseErrors = 0;
  for (const result of results)
    for (const message of result.messages)
      if (message.ruleId)
        reported.push({ key: `${path.relative(dir, result.filePath)}:${message.line}`, rule: message.ruleId });
      else if (message.fatal) parseErrors++;
  return { reported, ms: performance.now() - started, parseErrors };
}

// slack: a finding within this many lines of a marker, in the same file, counts as on it (a
// statement spanning lines may be reported at its first line and marked at another); applied the
// same way to every tool.
function score(marked: Marked[], reported: Reported[], strict: boolean, jsOnly: boolean, slack = 0) {
  const pool = jsOnly ? marked.filter((m) => m.js) : marked;
  const split = (key: string) => {
    const at = key.lastIndexOf(':');
    return { file: key.slice(0, at), line: Number(key.slice(at + 1)) };
  };
  const near = (a: string, b: string) => {
    const x = split(a);
    const y = split(b);
    return x.file === y.file && Math.abs(x.line - y.line) <= slack;
  };
  let found = 0;
  let total = 0;
  for (const m of pool)
    for (const cwe of m.cwes) {
      total++;
      const here = reported.filter((r) => near(r.key, m.key));
      if (strict ? here.some((r) => r.cwe === cwe) : here.length > 0) found++;
    }
  const lines = new Set(reported.filter((r) => !jsOnly || scriptFile.test(split(r.key).file)).map((r) => r.key));
  const hits = [...lines].filter((key) =>
    marked.some(
      (m) =>
        near(key, m.key) &&
        (!strict || reported.some((r) => r.key === key && r.cwe !== undefined && m.cwes.includes(r.cwe))),
    ),
  ).length;
  return {
    recall: total === 0 ? 0 : found / total,
    found,
    total,
    precision: lines.size === 0 ? 0 : hits / lines.size,
    hits,
    reportedLines: lines.size,
  };
}

const corpora: { name: string; dir: string; tuned: boolean }[] = [
  {
    name: 'vulnerable-app (test fixture)',
    dir: path.join(root, 'tests/development/fixtures/vulnerable-app'),
    tuned: true,
  },
];
const blindRoot = path.join(root, 'bench', 'blind-apps');
for (const entry of await readdir(blindRoot, { withFileTypes: true }).catch(() => []))
  if (entry.isDirectory())
    corpora.push({ name: `${entry.name} (held out)`, dir: path.join(blindRoot, entry.name), tuned: false });

const rows: Record<string, string | number>[] = [];
type Score = ReturnType<typeof score>;
const heldOut: Record<string, { exact: Score[]; near: Score[]; strictExact: Score[]; strictNear: Score[] }> = {};
const json: unknown[] = [];
const misses: Record<string, string[]> = {};
const extras: Record<string, string[]> = {};
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
for (const corpus of corpora) {
  // Copied out of the repository so ESLint does not read the repository's own config or ignores.
  const work = await mkdtemp(path.join(os.tmpdir(), 'caelum-recall-corpus-'));
  const dir = path.join(work, 'app');
  await cp(corpus.dir, dir, { recursive: true });
  const marked = await markers(dir);
  const tools = [
    { tool: 'Caelum', run: await caelum(dir), cwe: true },
    { tool: 'ESLint + security', run: await eslintPeer(dir, false), cwe: false },
    { tool: 'ESLint + security + no-unsanitized + sonarjs', run: await eslintPeer(dir, true), cwe: false },
  ];
  for (const { tool, run, cwe } of tools) {
    const lenient = score(marked, run.reported, false, false);
    const lenientJs = score(marked, run.reported, false, true);
    const strict = cwe ? score(marked, run.reported, true, false) : undefined;
    rows.push({
      corpus: corpus.name,
      tool,
      marked: lenient.total,
      'recall (CWE)': strict ? pct(strict.recall) : '—',
      'precision (CWE)': strict ? pct(strict.precision) : '—',
      recall: pct(lenient.recall),
      precision: pct(lenient.precision),
      'recall JS/TS': pct(lenientJs.recall),
      'reported lines': lenient.reportedLines,
      'parse errors': run.parseErrors ?? 0,
      ms: run.ms.toFixed(0),
    });
    json.push({ corpus: corpus.name, tuned: corpus.tuned, tool, strict, lenient, lenientJs, ms: run.ms });
    if (!corpus.tuned) {
      const sum = (heldOut[tool] ??= { exact: [], near: [], strictExact: [], strictNear: [] });
      sum.exact.push(lenient);
      sum.near.push(score(marked, run.reported, false, false, 2));
      if (cwe) {
        sum.strictExact.push(strict!);
        sum.strictNear.push(score(marked, run.reported, true, false, 2));
      }
    }
    if (tool === 'Caelum') {
      const at = new Map<string, Reported[]>();
      for (const r of run.reported) at.set(r.key, [...(at.get(r.key) ?? []), r]);
      misses[corpus.name] = marked.flatMap((m) =>
        m.cwes
          .filter((c) => !(at.get(m.key) ?? []).some((r) => r.cwe === c))
          .map(
            (c) =>
              `${m.key} ${c} (reported: ${(at.get(m.key) ?? []).map((r) => r.cwe ?? r.rule).join(', ') || 'nothing'})`,
          ),
      );
      const wanted = new Map(marked.map((m) => [m.key, m.cwes]));
      extras[corpus.name] = run.reported
        .filter((r) => !(wanted.get(r.key) ?? []).includes(r.cwe ?? ''))
        .map((r) => `${r.key} ${r.cwe ?? ''} ${r.rule}`);
    }
  }
  await rm(work, { recursive: true, force: true });
}
console.log(table('Security recall and precision on vulnerable applications (same run)', rows));
const pooled = (list: Score[]) => {
  const found = list.reduce((a, x) => a + x.found, 0);
  const total = list.reduce((a, x) => a + x.total, 0);
  const hits = list.reduce((a, x) => a + x.hits, 0);
  const lines = list.reduce((a, x) => a + x.reportedLines, 0);
  return { recall: total ? found / total : 0, precision: lines ? hits / lines : 0, found, total, hits, lines };
};
const heldRows = Object.entries(heldOut).map(([tool, sums]) => {
  const exact = pooled(sums.exact);
  const near = pooled(sums.near);
  const strictExact = sums.strictExact.length ? pooled(sums.strictExact) : undefined;
  const strictNear = sums.strictNear.length ? pooled(sums.strictNear) : undefined;
  return {
    tool,
    marked: exact.total,
    'recall (CWE)': strictExact ? `${pct(strictExact.recall)} (${strictExact.found})` : '—',
    'precision (CWE)': strictExact ? `${pct(strictExact.precision)} (${strictExact.hits}/${strictExact.lines})` : '—',
    'recall (CWE, ±2 lines)': strictNear ? pct(strictNear.recall) : '—',
    'precision (CWE, ±2 lines)': strictNear ? pct(strictNear.precision) : '—',
    recall: `${pct(exact.recall)} (${exact.found})`,
    precision: `${pct(exact.precision)} (${exact.hits}/${exact.lines})`,
    'recall ±2': pct(near.recall),
    'precision ±2': pct(near.precision),
  };
});
if (heldRows.length > 0) console.log(table('Held-out apps pooled (no rule was tuned to them)', heldRows));
for (const [name, list] of Object.entries(misses)) {
  if (list.length === 0) continue;
  console.log(`Caelum missed on ${name} (${list.length}):\n  ${list.join('\n  ')}\n`);
}
for (const [name, list] of Object.entries(extras)) {
  if (list.length === 0) continue;
  console.log(`Caelum reported, not marked, on ${name} (${list.length}):\n  ${list.join('\n  ')}\n`);
}
await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', 'security-recall.json');
await writeFile(
  `${file}.tmp`,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, sonarSecurityRules, results: json, heldOut: heldRows, misses, extras }, null, 2)}\n`,
);
await rename(`${file}.tmp`, file);
