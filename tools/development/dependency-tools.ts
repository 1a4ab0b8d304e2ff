// Dependency tools over package.json and npm's lockfile: drift between them, duplicate versions,
// install scripts, licences, known vulnerabilities (npm audit) and why a package is installed.
import path from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { projectDirectory, projectPathField } from './project-directory.js';
import {
  declaredDependencies,
  linkEntries,
  readLockfile,
  readManifest,
  requirersOf,
  type LockEntry,
  type Lockfile,
} from './dependencies/lockfile.js';
import { licenceCategory } from './dependencies/licences.js';
import { confinedFileExists, Confinement, readProjectJson } from '../confined-fs.js';

const isSemverRange = (range: string) =>
  semver.validRange(range) !== null && !/^(file|link|git|github|http|https|npm|workspace):|\//.test(range);

async function lockOrExplain(root: string): Promise<{ lock?: Lockfile; note?: string }> {
  const lock = await readLockfile(root);
  return 'missing' in lock ? { note: lock.missing } : { lock };
}

async function installedManifest(
  root: string,
  installPath: string,
): Promise<{ version?: string; license?: unknown; licenses?: unknown; scripts?: Record<string, string> } | undefined> {
  try {
    return (await readProjectJson(root, path.join(installPath, 'package.json'))) as {
      version?: string;
      scripts?: Record<string, string>;
    };
  } catch {
    return undefined;
  }
}

export const checkLockfile = defineTool({
  name: 'development_check_lockfile',
  domain: 'development',
  tags: ['lockfile', 'package-lock', 'drift', 'npm ci', 'dependencies', 'extraneous', 'out of sync'],
  requests: [
    'package-lock.json out of sync with package.json',
    'will npm ci fail',
    'installed versions differ from the lockfile',
    'lockfile drift after editing package.json',
    'lock file disagrees with package.json',
    'node_modules does not match the lock',
  ],
  title: 'Lockfile drift',
  description:
    'Compares package.json with package-lock.json (v1–v3) and node_modules: dependencies missing from the lock, ranges changed since the lock was written, locked versions outside the declared range, lock entries nothing needs, and installed versions that differ from the lock. Use before "npm ci" fails in CI. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: projectPathField }),
  output: z.object({
    manifestFound: z.boolean(),
    lockfile: z.string().optional(),
    lockfileVersion: z.number().int().optional(),
    inSync: z.boolean(),
    problems: z.array(
      z.object({
        name: z.string(),
        problem: z.string(),
        declared: z.string().optional(),
        locked: z.string().optional(),
        installed: z.string().optional(),
      }),
    ),
    extraneous: z.array(z.string()).describe('lock entries no declared dependency leads to'),
    note: z.string().optional(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const manifest = await readManifest(root);
    if (!manifest)
      return {
        manifestFound: false,
        inSync: true,
        problems: [],
        extraneous: [],
        note: 'no package.json: nothing to compare',
      };
    const { lock, note } = await lockOrExplain(root);
    const declared = declaredDependencies(manifest);
    if (!lock)
      return {
        manifestFound: true,
        inSync: declared.length === 0,
        problems: declared.map((d) => ({
          name: d.name,
          problem: 'no lockfile entry (there is no lockfile)',
          declared: d.range,
        })),
        extraneous: [],
        ...(note ? { note } : {}),
      };
    const problems: { name: string; problem: string; declared?: string; locked?: string; installed?: string }[] = [];
    for (const dependency of declared) {
      const entry = lock.entries.get(`node_modules/${dependency.name}`);
      const recorded = lock.rootDeclared?.[dependency.name];
      if (!entry) {
        problems.push({
          name: dependency.name,
          problem: 'declared in package.json but not in the lockfile (run npm install)',
          declared: dependency.range,
        });
        continue;
      }
      if (recorded !== undefined && recorded !== dependency.range)
        problems.push({
          name: dependency.name,
          problem: `the range changed since the lockfile was written (lock has "${recorded}")`,
          declared: dependency.range,
          locked: entry.version,
        });
      else if (
        isSemverRange(dependency.range) &&
        semver.valid(entry.version) &&
        !semver.satisfies(entry.version, dependency.range, { includePrerelease: true })
      )
        problems.push({
          name: dependency.name,
          problem: 'the locked version is outside the declared range',
          declared: dependency.range,
          locked: entry.version,
        });
      const installed = await installedManifest(root, `node_modules/${dependency.name}`);
      if (installed?.version && entry.version && installed.version !== entry.version && !entry.link)
        problems.push({
          name: dependency.name,
          problem: 'node_modules holds a different version than the lockfile (run npm ci)',
          declared: dependency.range,
          locked: entry.version,
          installed: installed.version,
        });
    }
    const declaredNames = new Set(declared.map((d) => d.name));
    for (const name of Object.keys(lock.rootDeclared ?? {}))
      if (!declaredNames.has(name))
        problems.push({
          name,
          problem: 'recorded in the lockfile root but no longer declared in package.json (run npm install)',
          locked: lock.entries.get(`node_modules/${name}`)?.version ?? '',
        });
    const rootRequires = Object.fromEntries(declared.map((d) => [d.name, d.range]));
    const { edges } = linkEntries(lock, rootRequires);
    const reachable = new Set<string>(['']);
    const outgoing = new Map<string, string[]>();
    for (const edge of edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to]);
    const queue = [''];
    while (queue.length > 0) {
      for (const next of outgoing.get(queue.pop()!) ?? []) {
        if (reachable.has(next)) continue;
        reachable.add(next);
        queue.push(next);
      }
    }
    const linkTargets = new Set([...lock.entries.values()].filter((e) => e.link && e.resolved).map((e) => e.resolved!));
    const extraneous = [...lock.entries.values()]
      .filter((e) => !reachable.has(e.path) && !e.link && !linkTargets.has(e.path) && e.path.includes('node_modules/'))
      .map((e) => `${e.path}@${e.version}`);
    return {
      manifestFound: true,
      lockfile: lock.file,
      lockfileVersion: lock.lockfileVersion,
      inSync: problems.length === 0,
      problems,
      extraneous: extraneous.slice(0, 500),
    };
  },
  summarize: (o) =>
    !o.manifestFound
      ? (o.note ?? 'no package.json')
      : `${o.lockfile ?? 'no lockfile'}${o.lockfileVersion ? ` (v${o.lockfileVersion})` : ''}: ${o.inSync ? 'in sync with package.json' : `${o.problems.length} problem(s)`}${o.note ? ` — ${o.note}` : ''}\n${o.problems
          .slice(0, 40)
          .map((p) => `  ${p.name}: ${p.problem}`)
          .join(
            '\n',
          )}${o.extraneous.length ? `\n${o.extraneous.length} extraneous lock entr${o.extraneous.length === 1 ? 'y' : 'ies'}: ${o.extraneous.slice(0, 10).join(', ')}` : ''}`,
});

export const findDuplicatePackages = defineTool({
  name: 'development_find_duplicate_packages',
  domain: 'development',
  tags: ['duplicates', 'dedupe', 'versions', 'bundle size', 'lockfile', 'dependencies'],
  requests: [
    'same package installed in multiple versions',
    'should I run npm dedupe',
    'reduce node_modules size caused by duplicate copies',
    'multiple versions of one dependency in the lockfile',
    'why is node_modules so big',
    'one library pulled in at several versions',
  ],
  title: 'Duplicate package versions',
  description:
    'Packages installed at more than one version (from the lockfile), who requires each copy, and whether one of the present versions satisfies every requirer (then "npm dedupe" or a version bump removes the extra copies). Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    limit: z
      .number()
      .int()
      .min(1)
      .max(5000)
      .default(100)
      .describe('Most packages returned, most copies first. Default 100.'),
  }),
  output: z.object({
    lockfile: z.string().optional(),
    duplicated: z.number().int(),
    extraCopies: z.number().int(),
    packages: z.array(
      z.object({
        name: z.string(),
        versions: z.array(z.object({ version: z.string(), copies: z.number().int(), requiredBy: z.array(z.string()) })),
        dedupableTo: z.string().optional(),
      }),
    ),
    note: z.string().optional(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const { lock, note } = await lockOrExplain(root);
    if (!lock) return { duplicated: 0, extraCopies: 0, packages: [], ...(note ? { note } : {}) };
    const manifest = await readManifest(root);
    const { edges } = linkEntries(
      lock,
      Object.fromEntries(declaredDependencies(manifest ?? {}).map((d) => [d.name, d.range])),
    );
    const incoming = requirersOf(edges);
    const byName = new Map<string, LockEntry[]>();
    for (const entry of lock.entries.values())
      if (entry.path !== '' && !entry.link && entry.path.includes('node_modules/'))
        byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
    const label = (installPath: string) =>
      installPath === ''
        ? '(project)'
        : `${lock.entries.get(installPath)?.name}@${lock.entries.get(installPath)?.version}`;
    const packages = [...byName.entries()]
      .filter(([, copies]) => new Set(copies.map((c) => c.version)).size > 1)
      .map(([name, copies]) => {
        const versions = [...new Set(copies.map((c) => c.version))]
          .map((version) => {
            const these = copies.filter((c) => c.version === version);
            return {
              version,
              copies: these.length,
              requiredBy: [
                ...new Set(
                  these.flatMap((c) => (incoming.get(c.path) ?? []).map((i) => `${label(i.from)} (${i.range})`)),
                ),
              ].slice(0, 20),
            };
          })
          .sort((a, b) => semver.rcompare(semver.valid(a.version) ?? '0.0.0', semver.valid(b.version) ?? '0.0.0'));
        const ranges = copies.flatMap((c) => (incoming.get(c.path) ?? []).map((i) => i.range));
        const dedupableTo = versions
          .map((v) => v.version)
          .find(
            (version) =>
              semver.valid(version) &&
              ranges.every((range) => !isSemverRange(range) || semver.satisfies(version, range)),
          );
        return { name, versions, ...(dedupableTo ? { dedupableTo } : {}) };
      })
      .sort((a, b) => b.versions.length - a.versions.length || a.name.localeCompare(b.name));
    const extraCopies = packages.reduce((sum, p) => sum + p.versions.reduce((n, v) => n + v.copies, 0) - 1, 0);
    return { lockfile: lock.file, duplicated: packages.length, extraCopies, packages: packages.slice(0, input.limit) };
  },
  summarize: (o) =>
    o.note
      ? o.note
      : `${o.duplicated} package(s) at more than one version, ${o.extraCopies} extra cop${o.extraCopies === 1 ? 'y' : 'ies'}\n${o.packages
          .slice(0, 30)
          .map(
            (p) =>
              `  ${p.name}: ${p.versions.map((v) => v.version).join(', ')}${p.dedupableTo ? ` (all requirers accept ${p.dedupableTo})` : ''}`,
          )
          .join('\n')}`,
});

const riskPatterns: { pattern: RegExp; risk: 'high' | 'medium'; reason: string }[] = [
  { pattern: /\b(curl|wget|Invoke-WebRequest|iwr)\b|https?:\/\//i, risk: 'high', reason: 'downloads from the network' },
  {
    pattern: /\|\s*(ba|z)?sh\b|\beval\b|base64|\bnode\s+-e\b|\bpython[0-9.]*\s+-c\b|\bbash\s+-c\b/i,
    risk: 'high',
    reason: 'runs generated or encoded code',
  },
  {
    pattern: /(process\.env|printenv|\benv\b.*\||\$\{?(HOME|USER|AWS_|NPM_TOKEN|GITHUB_TOKEN))/i,
    risk: 'high',
    reason: 'reads environment secrets',
  },
  { pattern: /\brm\s+-rf\b|~\/|\/etc\/|\.ssh|\.npmrc/i, risk: 'high', reason: 'touches files outside the package' },
  {
    pattern: /\bnode\s+[\w./-]+\.(c|m)?js\b/i,
    risk: 'medium',
    reason: 'runs a script shipped in the package (read it)',
  },
];
const nativeBuild = /node-gyp|prebuild-install|node-gyp-build|cmake-js|node-pre-gyp|napi|esbuild|install\.js/i;

export const listInstallScripts = defineTool({
  name: 'development_list_install_scripts',
  domain: 'development',
  tags: ['install scripts', 'postinstall', 'supply chain', 'security', 'preinstall', 'dependencies'],
  requests: [
    'which packages have postinstall scripts',
    'dangerous install hooks in dependencies',
    'npm packages that run code on install',
    'preinstall and install scripts in node_modules',
    'supply chain risk from install hooks',
    'packages that execute code during npm install',
  ],
  title: 'Install scripts',
  description:
    'Dependencies that run code when installed (preinstall, install, postinstall), from the lockfile\'s hasInstallScript flags and the scripts in node_modules, each rated: high when the script downloads, decodes or evaluates code, reads secrets or touches files outside the package; low for a native build. Example: {"path": "."}',
  kind: { effect: 'readOnly' },
  input: z.object({ path: projectPathField }),
  output: z.object({
    lockfile: z.string().optional(),
    packages: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        path: z.string(),
        dev: z.boolean(),
        scripts: z.record(z.string(), z.string()),
        risk: z.enum(['high', 'medium', 'low', 'unknown']),
        reasons: z.array(z.string()),
      }),
    ),
    note: z.string().optional(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const { lock, note } = await lockOrExplain(root);
    if (!lock) return { packages: [], ...(note ? { note } : {}) };
    const packages = [];
    let unread = 0;
    for (const entry of lock.entries.values()) {
      if (entry.path === '' || entry.link) continue;
      const installed =
        entry.hasInstallScript || lock.lockfileVersion < 2 ? await installedManifest(root, entry.path) : undefined;
      const scripts: Record<string, string> = Object.fromEntries(
        Object.entries(installed?.scripts ?? {}).filter(([name]) =>
          ['preinstall', 'install', 'postinstall'].includes(name),
        ),
      );
      // npm runs "node-gyp rebuild" for a package with a binding.gyp and no install script of its own.
      if (
        installed &&
        !scripts.install &&
        !scripts.preinstall &&
        (await confinedFileExists(path.join(root, entry.path, 'binding.gyp'), Confinement.ofReal([root])))
      )
        scripts.install = 'node-gyp rebuild (implicit: the package has a binding.gyp)';
      if (!entry.hasInstallScript && Object.keys(scripts).length === 0) continue;
      const reasons: string[] = [];
      let risk: 'high' | 'medium' | 'low' | 'unknown' = 'unknown';
      if (Object.keys(scripts).length === 0) {
        unread++;
        reasons.push('the lockfile says it has an install script, but the package is not in node_modules to read it');
      } else {
        const body = Object.values(scripts).join('\n');
        const matched = riskPatterns.filter((p) => p.pattern.test(body));
        for (const match of matched) reasons.push(match.reason);
        risk = matched.some((m) => m.risk === 'high') ? 'high' : matched.length > 0 ? 'medium' : 'low';
        if (risk === 'medium' && nativeBuild.test(body) && matched.length === 1) risk = 'low';
        if (risk === 'low')
          reasons.push(
            nativeBuild.test(body)
              ? 'native build or binary fetch by a known tool'
              : 'no risky pattern in the script text',
          );
      }
      packages.push({
        name: entry.name,
        version: entry.version,
        path: entry.path,
        dev: entry.dev,
        scripts,
        risk,
        reasons,
      });
    }
    const rank = { high: 0, medium: 1, unknown: 2, low: 3 };
    packages.sort((a, b) => rank[a.risk] - rank[b.risk] || a.name.localeCompare(b.name));
    return {
      lockfile: lock.file,
      packages,
      ...(unread > 0
        ? {
            note: `${unread} package(s) not installed: their scripts could not be read (run npm ci --ignore-scripts, then this tool)`,
          }
        : {}),
    };
  },
  summarize: (o) =>
    o.packages.length === 0
      ? (o.note ?? 'no dependency runs an install script')
      : `${o.packages.length} package(s) run install scripts${o.note ? ` (${o.note})` : ''}\n${o.packages
          .slice(0, 40)
          .map(
            (p) =>
              `  [${p.risk}] ${p.name}@${p.version}: ${
                Object.entries(p.scripts)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join('; ') || '(script not readable)'
              }${p.reasons.length ? ` — ${p.reasons.join(', ')}` : ''}`,
          )
          .join('\n')}`,
});

export const listLicences = defineTool({
  name: 'development_list_licenses',
  domain: 'development',
  tags: ['licenses', 'licences', 'legal', 'compliance', 'gpl', 'copyleft', 'spdx', 'dependencies'],
  requests: [
    'what licenses do our dependencies have',
    'any copyleft packages',
    'SPDX licence summary of node_modules',
    'license audit for legal',
    'are we allowed to use these packages commercially',
    'GPL dependencies in production',
  ],
  title: 'Licence inventory',
  description:
    'Every installed dependency\'s licence (lockfile, else node_modules), counted by SPDX id and category (permissive, weak copyleft, strong copyleft, proprietary, unknown), with the packages that need a look: copyleft, unlicensed, missing or non-SPDX licences. Example: {"path": ".", "includeDev": false}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    includeDev: z.boolean().default(false).describe('Include devDependencies (they do not ship). Default false.'),
  }),
  output: z.object({
    projectLicence: z.string().optional(),
    packages: z.number().int(),
    byCategory: z.record(z.string(), z.number().int()),
    byLicence: z.record(z.string(), z.number().int()),
    flagged: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        licence: z.string(),
        category: z.string(),
        reason: z.string(),
      }),
    ),
    note: z.string().optional(),
  }),
  examples: [{ path: '.' }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const manifest = await readManifest(root);
    const { lock, note } = await lockOrExplain(root);
    if (!lock)
      return {
        ...(manifest?.license ? { projectLicence: manifest.license } : {}),
        packages: 0,
        byCategory: {},
        byLicence: {},
        flagged: [],
        ...(note ? { note } : {}),
      };
    const byCategory: Record<string, number> = {};
    const byLicence: Record<string, number> = {};
    const flagged = [];
    let count = 0;
    for (const entry of lock.entries.values()) {
      if (entry.path === '' || entry.link || (entry.dev && !input.includeDev)) continue;
      let licence = entry.license;
      if (!licence) {
        const installed = await installedManifest(root, entry.path);
        const raw = installed?.license ?? installed?.licenses;
        licence =
          typeof raw === 'string'
            ? raw
            : Array.isArray(raw)
              ? raw
                  .map((l: { type?: string }) => l.type ?? '')
                  .filter(Boolean)
                  .join(' OR ')
              : (raw as { type?: string } | undefined)?.type;
      }
      count++;
      const judged = licenceCategory(licence);
      byCategory[judged.category] = (byCategory[judged.category] ?? 0) + 1;
      byLicence[licence ?? '(none)'] = (byLicence[licence ?? '(none)'] ?? 0) + 1;
      if (judged.category !== 'permissive')
        flagged.push({
          name: entry.name,
          version: entry.version,
          licence: licence ?? '(none)',
          category: judged.category,
          reason:
            judged.reason ??
            (judged.category === 'strong-copyleft'
              ? 'copyleft: distributing the product may oblige you to publish its source'
              : 'weak copyleft: changes to this package must be shared'),
        });
    }
    const rank: Record<string, number> = { 'strong-copyleft': 0, proprietary: 1, unknown: 2, 'weak-copyleft': 3 };
    flagged.sort((a, b) => (rank[a.category] ?? 9) - (rank[b.category] ?? 9) || a.name.localeCompare(b.name));
    return {
      ...(manifest?.license ? { projectLicence: manifest.license } : {}),
      packages: count,
      byCategory,
      byLicence,
      flagged,
    };
  },
  summarize: (o) =>
    o.note
      ? o.note
      : `${o.packages} package(s): ${Object.entries(o.byCategory)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}${o.projectLicence ? ` (project: ${o.projectLicence})` : ''}\n${o.flagged
          .slice(0, 40)
          .map((f) => `  [${f.category}] ${f.name}@${f.version}: ${f.licence} — ${f.reason}`)
          .join('\n')}`,
});
