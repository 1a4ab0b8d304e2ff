// development_audit_tsconfig: how strict the TypeScript configuration really is, after "extends"
// is resolved by the compiler's own config reader, and how much the code opts out of checking
// (@ts-ignore, @ts-nocheck, @ts-expect-error without a reason, "as any", explicit any).
import path from 'node:path';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { analysedProject, projectPathField, projectRelative } from './project-directory.js';
import { typescript } from './typescript-module.js';
import { confinedFileExistsSync, Confinement, fileCaps, readConfinedSync, readProjectText } from '../confined-fs.js';

interface Check {
  option: string;
  recommended: boolean;
  /** Implied by "strict": true when not set on its own. */
  strictFamily?: boolean;
  weight: 'high' | 'medium' | 'low';
  why: string;
}

const checks: Check[] = [
  { option: 'strict', recommended: true, weight: 'high', why: 'turns on the whole strict family below' },
  {
    option: 'noImplicitAny',
    recommended: true,
    strictFamily: true,
    weight: 'high',
    why: 'untyped parameters silently become any',
  },
  {
    option: 'strictNullChecks',
    recommended: true,
    strictFamily: true,
    weight: 'high',
    why: 'null and undefined are otherwise assignable to everything: the commonest runtime crash',
  },
  {
    option: 'strictFunctionTypes',
    recommended: true,
    strictFamily: true,
    weight: 'medium',
    why: 'callback parameters are otherwise checked bivariantly',
  },
  {
    option: 'strictBindCallApply',
    recommended: true,
    strictFamily: true,
    weight: 'low',
    why: 'bind/call/apply arguments are otherwise unchecked',
  },
  {
    option: 'strictPropertyInitialization',
    recommended: true,
    strictFamily: true,
    weight: 'medium',
    why: 'class fields may otherwise be read before they are set',
  },
  {
    option: 'noImplicitThis',
    recommended: true,
    strictFamily: true,
    weight: 'medium',
    why: '"this" of type any in functions',
  },
  {
    option: 'useUnknownInCatchVariables',
    recommended: true,
    strictFamily: true,
    weight: 'medium',
    why: 'caught errors are otherwise any',
  },
  { option: 'alwaysStrict', recommended: true, strictFamily: true, weight: 'low', why: 'emits "use strict"' },
  {
    option: 'noUncheckedIndexedAccess',
    recommended: true,
    weight: 'medium',
    why: 'array[i] and record[key] may be undefined; without it the type says otherwise',
  },
  {
    option: 'noImplicitReturns',
    recommended: true,
    weight: 'low',
    why: 'a path that falls off the end returns undefined unnoticed',
  },
  {
    option: 'noFallthroughCasesInSwitch',
    recommended: true,
    weight: 'low',
    why: 'a missing break falls into the next case',
  },
  {
    option: 'noImplicitOverride',
    recommended: true,
    weight: 'low',
    why: 'a renamed base method leaves the override orphaned',
  },
  {
    option: 'exactOptionalPropertyTypes',
    recommended: true,
    weight: 'low',
    why: 'an optional property may otherwise be set to undefined explicitly',
  },
  {
    option: 'forceConsistentCasingInFileNames',
    recommended: true,
    weight: 'low',
    why: 'imports that differ in case break on case-sensitive file systems',
  },
  {
    option: 'isolatedModules',
    recommended: true,
    weight: 'low',
    why: 'keeps files compilable one at a time (esbuild, swc, tsx)',
  },
];

export const auditTsconfig = defineTool({
  name: 'development_audit_tsconfig',
  domain: 'development',
  tags: ['tsconfig', 'typescript', 'strict', 'type safety', 'compiler options', 'any'],
  requests: [
    'how strict is the TypeScript config',
    'count ts-ignore and any usages',
    'effective compiler options after extends',
    'type checking escape hatches like any and ts-ignore',
    'is strict mode enabled in tsconfig',
  ],
  title: 'tsconfig strictness audit',
  description:
    'Reads tsconfig.json the way tsc does (extends chains resolved) and reports each strictness option as effective, with why it matters, a strictness score, and how often the code opts out of checking: @ts-ignore, @ts-nocheck, bare @ts-expect-error, "as any" and explicit any. Example: {"path": ".", "config": "tsconfig.json"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    config: z.string().default('tsconfig.json').describe('Config file relative to the project. Default tsconfig.json.'),
  }),
  output: z.object({
    found: z.boolean(),
    config: z.string(),
    extends: z.array(z.string()),
    score: z.number().describe('share of recommended options in effect, weighted (0-100)'),
    options: z.array(
      z.object({
        option: z.string(),
        effective: z.boolean(),
        recommended: z.boolean(),
        source: z.enum(['set', 'strict', 'default']),
        weight: z.string(),
        why: z.string(),
      }),
    ),
    optOuts: z.object({
      tsIgnore: z.number().int(),
      tsNocheck: z.number().int(),
      tsExpectErrorWithoutReason: z.number().int(),
      asAny: z.number().int(),
      explicitAny: z.number().int(),
      worstFiles: z.array(z.object({ file: z.string(), count: z.number().int() })),
    }),
    errors: z.array(z.string()),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    projectRelative(input.config, 'config');
    const ts = typescript();
    const analysis = await analysedProject(input.path, context);
    const file = path.join(analysis.root, input.config);
    // The config and every file it extends are read through the confined layer: an `extends` that
    // climbs out of the project, or a link out, is refused and reported, never read. Directory
    // listing is not needed for the options, so include/files globs are never expanded.
    // Confined to the allowed roots, not the project: a package of a monorepo extends the root's base.
    const confinement = await Confinement.of(context.environment.allowedRoots);
    const refused: string[] = [];
    const readConfig = (name: string): string | undefined => {
      try {
        return readConfinedSync(path.resolve(name), confinement, { maxBytes: fileCaps.config }).toString('utf8');
      } catch (error) {
        const reason = (error as { reason?: string }).reason;
        if (reason && reason !== 'missing')
          refused.push(
            `${path.relative(analysis.root, path.resolve(name)) || name} ${(error as { detail: string }).detail}`,
          );
        return undefined;
      }
    };
    const host: import('typescript').ParseConfigHost = {
      useCaseSensitiveFileNames: true,
      readFile: readConfig,
      fileExists: (name) => confinedFileExistsSync(path.resolve(name), confinement),
      readDirectory: () => [],
    };
    const read = ts.readConfigFile(file, readConfig);
    const emptyOptOuts = {
      tsIgnore: 0,
      tsNocheck: 0,
      tsExpectErrorWithoutReason: 0,
      asAny: 0,
      explicitAny: 0,
      worstFiles: [],
    };
    if (read.error && !read.config)
      return {
        found: false,
        config: input.config,
        extends: [],
        score: 0,
        options: [],
        optOuts: emptyOptOuts,
        errors: refused.length ? refused : [ts.flattenDiagnosticMessageText(read.error.messageText, '\n')],
      };
    const parsed = ts.parseJsonConfigFileContent(read.config, host, path.dirname(file), undefined, file);
    const options = parsed.options as Record<string, unknown>;
    // The bases named by this file; the compiler has already merged the whole chain into `options`.
    const named: unknown = (read.config as { extends?: unknown }).extends;
    const chain = named === undefined ? [] : Array.isArray(named) ? named.map(String) : [String(named)];
    const strict = options.strict === true;
    const results = checks.map((check) => {
      const value = options[check.option];
      const effective = typeof value === 'boolean' ? value : check.strictFamily ? strict : false;
      return {
        option: check.option,
        effective,
        recommended: check.recommended,
        source: (typeof value === 'boolean' ? 'set' : check.strictFamily && strict ? 'strict' : 'default') as
          'set' | 'strict' | 'default',
        weight: check.weight,
        why: check.why,
      };
    });
    const points = { high: 3, medium: 2, low: 1 };
    const total = checks.reduce((sum, c) => sum + points[c.weight], 0);
    const earned = results.reduce(
      (sum, r) => sum + (r.effective === r.recommended ? points[r.weight as 'high'] : 0),
      0,
    );
    const optOuts = { tsIgnore: 0, tsNocheck: 0, tsExpectErrorWithoutReason: 0, asAny: 0, explicitAny: 0 };
    const perFile = new Map<string, number>();
    for (const entry of analysis.files) {
      if (entry.language !== 'typescript') continue;
      const text = await readProjectText(analysis.root, entry.file, fileCaps.source).catch(() => '');
      const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
      const found = {
        tsIgnore: count(/@ts-ignore\b/g),
        tsNocheck: count(/@ts-nocheck\b/g),
        tsExpectErrorWithoutReason: count(/@ts-expect-error\s*$/gm),
        asAny: count(/\bas\s+any\b/g),
        explicitAny: count(/:\s*any\b(?!\w)|<any>|any\[\]/g),
      };
      let sum = 0;
      for (const [key, value] of Object.entries(found)) {
        optOuts[key as keyof typeof optOuts] += value;
        sum += value;
      }
      if (sum > 0) perFile.set(entry.file, sum);
    }
    const errors = [
      ...refused,
      ...parsed.errors.filter((e) => e.code !== 18003).map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')),
    ];
    return {
      found: true,
      config: input.config,
      extends: chain,
      score: Math.round((earned / total) * 100),
      options: results,
      optOuts: {
        ...optOuts,
        worstFiles: [...perFile.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 10)
          .map(([f, c]) => ({ file: f, count: c })),
      },
      errors,
    };
  },
  summarize: (o) =>
    !o.found
      ? `no ${o.config}: ${o.errors.join('; ')}`
      : `${o.config}${o.extends.length ? ` (extends ${o.extends.join(', ')})` : ''}: strictness ${o.score}/100\n${
          o.options
            .filter((x) => x.effective !== x.recommended)
            .map((x) => `  off: ${x.option} [${x.weight}] — ${x.why}`)
            .join('\n') || '  every recommended option is on'
        }\nOpt-outs: ${o.optOuts.tsIgnore} @ts-ignore, ${o.optOuts.tsNocheck} @ts-nocheck, ${o.optOuts.tsExpectErrorWithoutReason} bare @ts-expect-error, ${o.optOuts.asAny} "as any", ${o.optOuts.explicitAny} explicit any${o.errors.length ? `\nConfig errors: ${o.errors.join('; ')}` : ''}`,
});
