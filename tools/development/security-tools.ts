// Focused security tools: committed secrets in any text file (config, .env, keys, JSON, YAML, not
// only code), the HTTP route inventory with authentication per route, and ReDoS checks of regexes.
import path from 'node:path';
import { hasSafeStarHeight } from './security/star-height.js';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { projectDirectory, projectPathField } from './project-directory.js';
import { walkFiles } from './walk-files.js';
import { collectFiles } from './analysis/project-files.js';
import { entropy, looksLikeSecretAssignment, redactLine, tokenKind } from './security/secret-patterns.js';
import { routesOf } from './security/routes.js';
import { parseScript } from './cyclomatic.js';
import { typescript } from './typescript-module.js';
import { findRepository } from './git.js';
import { fileCaps, readConfined, readConfinedText } from '../confined-fs.js';

const skippedDirectories = new Set([
  'node_modules',
  '.git',
  'dist',
  'build',
  'coverage',
  '.next',
  '__pycache__',
  '.venv',
  'venv',
  'vendor',
]);
const textLimit = 2 * 1024 * 1024;
const assignment =
  /^\s*(?:export\s+|const\s+|let\s+|var\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(?:"([^"]*)"|'([^']*)'|([^\s"',;#]+))\s*[,;]?\s*(?:#.*)?$/;
const exampleFile =
  /(^|\/)[^/]*\.(example|sample|template|dist|defaults?)(\.[\w]+)?$|(^|\/)(examples?|fixtures?|test|tests|__tests__|spec)\//i;

export const scanSecrets = defineTool({
  name: 'development_scan_secrets',
  domain: 'development',
  tags: ['secrets', 'credentials', 'api keys', 'private keys', '.env', 'leak', 'security'],
  requests: [
    'find hard-coded secrets and API keys',
    'leaked credentials committed to the repo',
    'tokens or private keys in config files',
    'passwords or tokens committed by mistake',
    'is there a password in the code',
    'check the .env and config files for keys',
  ],
  title: 'Committed secrets',
  description:
    'Scans every text file git would see (config, .env, YAML, JSON, keys and code; .gitignored files are skipped because they are not committed) for provider tokens (AWS, GitHub, Slack, Stripe, Google, OpenAI, Anthropic), private keys, and secret-named settings holding random-looking values. Values are masked in the result. Example/fixture files are reported as low confidence. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    limit: z.number().int().min(1).max(5000).default(200).describe('Most findings returned. Default 200.'),
  }),
  output: z.object({
    findings: z.array(
      z.object({
        file: z.string(),
        line: z.number().int(),
        kind: z.string(),
        confidence: z.enum(['high', 'medium', 'low']),
        tracked: z.boolean().optional(),
        evidence: z.string(),
      }),
    ),
    filesScanned: z.number().int(),
    total: z.number().int(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    // A repository that reaches outside the roots is refused by the runner: scan without git then.
    const repo = await findRepository(root, context.environment, { signal: context.signal }).catch((error) => {
      if (error instanceof InputError) return undefined;
      throw error;
    });
    const tracked = repo
      ? new Set((await repo.run(['ls-files', '-z'], { signal: context.signal })).split('\0'))
      : undefined;
    const findings: {
      file: string;
      line: number;
      kind: string;
      confidence: 'high' | 'medium' | 'low';
      tracked?: boolean;
      evidence: string;
    }[] = [];
    let scanned = 0;
    for await (const file of walkFiles(root, { signal: context.signal, skipDirectories: skippedDirectories })) {
      const buffer = await readConfined(file.absolute, file.confinement, { maxBytes: textLimit }).catch(
        () => undefined,
      );
      if (!buffer || buffer.subarray(0, 8000).includes(0)) continue;
      const text = buffer.toString('utf8');
      scanned++;
      const example = exampleFile.test(file.relative);
      const lines = text.split('\n');
      lines.forEach((line, index) => {
        if (line.length > 2000) return;
        const push = (kind: string, confidence: 'high' | 'medium' | 'low') =>
          findings.push({
            file: file.relative,
            line: index + 1,
            kind,
            confidence: example ? 'low' : confidence,
            ...(tracked ? { tracked: tracked.has(file.relative) } : {}),
            evidence: redactLine(line.trim()).slice(0, 200),
          });
        const token = tokenKind(line);
        if (token) return push(token, 'high');
        const match = assignment.exec(line);
        const value = match ? (match[2] ?? match[3] ?? match[4] ?? '') : '';
        if (
          match &&
          looksLikeSecretAssignment(match[1]!.split('.').pop()!, value) &&
          entropy(value) >= 3 &&
          !/^(process\.env|os\.environ|\$\{|env\(|getenv)/.test(value)
        )
          push(`secret-named setting ${match[1]}`, /^\.env/.test(path.basename(file.relative)) ? 'high' : 'medium');
      });
    }
    const rank = { high: 0, medium: 1, low: 2 };
    findings.sort((a, b) => rank[a.confidence] - rank[b.confidence] || a.file.localeCompare(b.file) || a.line - b.line);
    return { findings: findings.slice(0, input.limit), filesScanned: scanned, total: findings.length };
  },
  summarize: (o) =>
    `${o.total} possible secret(s) in ${o.filesScanned} file(s)${o.total ? ' (values masked)' : ''}\n${o.findings
      .slice(0, 40)
      .map(
        (f) =>
          `  [${f.confidence}] ${f.file}:${f.line} ${f.kind}${f.tracked === false ? ' (untracked)' : ''}: ${f.evidence}`,
      )
      .join('\n')}`,
});

export const listRoutes = defineTool({
  name: 'development_list_routes',
  domain: 'development',
  tags: ['routes', 'endpoints', 'http', 'express', 'fastify', 'next.js', 'api', 'authentication', 'attack surface'],
  requests: [
    'list the HTTP routes of the app',
    'endpoints without authentication',
    'API attack surface inventory',
    'which endpoints does the server expose',
    'which routes change state without auth',
    'map the REST API of the service',
  ],
  title: 'HTTP route inventory',
  description:
    'Every HTTP route the code registers (Express, Koa router, Fastify, Next.js route handlers and pages/api), with method, path, the middleware in front of it and whether any of it looks like authentication; state-changing routes without it are listed separately. Use it to map an API\'s attack surface. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: projectPathField }),
  output: z.object({
    routes: z.array(
      z.object({
        method: z.string(),
        path: z.string(),
        file: z.string(),
        line: z.number().int(),
        middleware: z.array(z.string()),
        handler: z.string(),
        authenticated: z.boolean(),
      }),
    ),
    unauthenticatedWrites: z.array(z.string()),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const { files } = await collectFiles(root, { signal: context.signal, maxFiles: 20_000 });
    const ts = typescript();
    const routes = [];
    for (const file of files) {
      if (file.kind !== 'script') continue;
      context.signal.throwIfAborted();
      const text = await readConfinedText(file.absolute, file.confinement, { maxBytes: fileCaps.source }).catch(
        () => '',
      );
      if (
        !/\.(get|post|put|patch|delete|del|all|route)\s*\(|\/route\.[cm]?[jt]sx?$|pages\/api\//.test(
          text + file.relative,
        )
      )
        continue;
      for (const route of routesOf(ts, file.relative, text)) routes.push({ ...route, file: file.relative });
    }
    const unauthenticatedWrites = routes
      .filter((r) => /^(POST|PUT|PATCH|DELETE|ALL)$/.test(r.method) && !r.authenticated)
      .map((r) => `${r.method} ${r.path} (${r.file}:${r.line})`);
    return { routes, unauthenticatedWrites };
  },
  summarize: (o) =>
    `${o.routes.length} route(s)${o.unauthenticatedWrites.length ? `, ${o.unauthenticatedWrites.length} state-changing without authentication middleware` : ''}\n${o.routes
      .slice(0, 80)
      .map(
        (r) =>
          `  ${r.method.padEnd(6)} ${r.path}  ${r.file}:${r.line}${r.middleware.length ? ` [${r.middleware.join(', ')}]` : ''}${r.authenticated ? '' : ' (no auth)'}`,
      )
      .join('\n')}`,
});

/** The quantified group inside a quantified group that makes a regex backtrack exponentially, if any. */
function nestedQuantifier(source: string): string | undefined {
  return (
    /\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]/.exec(source)?.[0] ??
    /\((?:[^()|\\]|\\.)*\|(?:[^()\\]|\\.)*\)[+*]/.exec(source)?.[0]
  );
}

export const checkRegex = defineTool({
  name: 'development_check_regex',
  domain: 'development',
  tags: ['regex', 'redos', 'regular expression', 'denial of service', 'backtracking', 'security'],
  requests: [
    'ReDoS risk in a pattern',
    'catastrophic backtracking in regular expressions',
    'check regex patterns for denial of service',
    'exponential regex matching time',
    'is this regex vulnerable to ReDoS',
    'slow regular expression with nested quantifiers',
  ],
  title: 'ReDoS check',
  description:
    'Checks regular expressions for catastrophic backtracking (ReDoS): one pattern you give, or every regex literal and new RegExp("literal") in the project. Uses safe-regex2\'s star-height analysis and points at the nested or overlapping quantifier. The regex is never executed. Example: {"pattern": "^(a+)+$"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    pattern: z.string().max(10_000).optional().describe('One regex source to check (without slashes).'),
    path: z.string().optional().describe('Or a project directory whose regexes to check.'),
  }),
  output: z.object({
    checked: z.number().int(),
    unsafe: z.array(
      z.object({
        pattern: z.string(),
        file: z.string().optional(),
        line: z.number().int().optional(),
        culprit: z.string().optional(),
        advice: z.string(),
      }),
    ),
  }),
  examples: [{ pattern: '^([a-z0-9]+)*@example\\.com$' }],
  async handler(input, context) {
    if ((input.pattern === undefined) === (input.path === undefined))
      throw new InputError('pattern', 'pass exactly one of pattern or path');
    const judge = (pattern: string) => {
      let safe: boolean;
      try {
        new RegExp(pattern, 'u');
        safe = hasSafeStarHeight(pattern);
      } catch {
        try {
          new RegExp(pattern);
          safe = hasSafeStarHeight(pattern);
        } catch (error) {
          throw new InputError('pattern', `not a valid regular expression: ${(error as Error).message}`);
        }
      }
      const culprit = nestedQuantifier(pattern);
      return safe && !culprit
        ? undefined
        : {
            pattern,
            ...(culprit ? { culprit } : {}),
            advice: culprit
              ? `the group ${culprit} repeats something that itself repeats (or alternatives that overlap): make the inner part match one way only, or use a possessive/atomic rewrite, and bound the input length`
              : 'star height above 1: a crafted input makes it backtrack exponentially; simplify the nested repetition and bound the input length',
          };
    };
    if (input.pattern !== undefined) {
      const verdict = judge(input.pattern);
      return { checked: 1, unsafe: verdict ? [verdict] : [] };
    }
    const root = await projectDirectory(input.path!, context);
    const { files } = await collectFiles(root, { signal: context.signal, maxFiles: 20_000 });
    const ts = typescript();
    const unsafe: { pattern: string; file?: string; line?: number; culprit?: string; advice: string }[] = [];
    let checked = 0;
    for (const file of files) {
      if (file.kind !== 'script') continue;
      const text = await readConfinedText(file.absolute, file.confinement, { maxBytes: fileCaps.source }).catch(
        () => '',
      );
      const source = parseScript(ts, file.relative, text);
      const visit = (node: import('typescript').Node): void => {
        let pattern: string | undefined;
        if (ts.isRegularExpressionLiteral(node)) pattern = node.text.slice(1, node.text.lastIndexOf('/'));
        else if (
          (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
          ts.isIdentifier(node.expression) &&
          node.expression.text === 'RegExp' &&
          node.arguments?.[0] &&
          ts.isStringLiteralLike(node.arguments[0])
        )
          pattern = node.arguments[0].text;
        if (pattern !== undefined) {
          checked++;
          try {
            const verdict = judge(pattern);
            if (verdict)
              unsafe.push({
                ...verdict,
                file: file.relative,
                line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
              });
          } catch {
            // an invalid pattern in the project is a syntax problem, not ReDoS
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    return { checked, unsafe };
  },
  summarize: (o) =>
    `${o.unsafe.length} of ${o.checked} regex(es) prone to catastrophic backtracking\n${o.unsafe
      .slice(0, 40)
      .map(
        (u) =>
          `  ${u.file ? `${u.file}:${u.line} ` : ''}/${u.pattern.slice(0, 80)}/${u.culprit ? ` — ${u.culprit}` : ''}: ${u.advice}`,
      )
      .join('\n')}`,
});
