// Known-vulnerable dependency versions through `npm audit --json` (the registry's advisory
// database), degrading with the reason when the registry cannot be reached; and `npm explain`-style
// chains that say why a package is installed, computed from the lockfile without running npm.
import { z } from 'zod';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';
import { projectDirectory, projectPathField } from './project-directory.js';
import { declaredDependencies, linkEntries, readLockfile, readManifest, requirersOf } from './dependencies/lockfile.js';
import { isolatedAudit, offline, type AuditJson } from './dependencies/npm-audit.js';
import {
  checkAdvisories,
  defaultAdvisorySettings,
  fixingVersion,
  worstSeverity,
  type AdvisoryCheck,
} from './dependencies/advisories.js';
import type { ToolContext } from '../context.js';

interface AuditOutput {
  status: 'ok' | 'unavailable' | 'no-lockfile' | 'no-manifest';
  source?: string;
  reason?: string;
  counts: Record<string, number>;
  dependencies?: number;
  vulnerabilities: {
    name: string;
    severity: string;
    direct: boolean;
    range: string;
    advisories: { title: string; url?: string }[];
    fix: string;
  }[];
}

const severities = ['info', 'low', 'moderate', 'high', 'critical'] as const;

type AuditInput = { registry?: string | undefined; timeoutSeconds: number };

/** npm audit of the project's lockfile, in the tool's output shape. */
async function npmAuditOutput(root: string, input: AuditInput, context: ToolContext): Promise<AuditOutput> {
  const empty = { counts: {}, vulnerabilities: [] };
  if (!(await readManifest(root)))
    return { status: 'no-manifest' as const, reason: 'no package.json in the project', ...empty };
  const lock = await readLockfile(root);
  if ('missing' in lock) return { status: 'no-lockfile' as const, reason: lock.missing, ...empty };
  const result = await isolatedAudit(root, input.registry, input.timeoutSeconds * 1000, context);
  if (result.spawnError)
    return { status: 'unavailable' as const, reason: `npm could not run (${result.spawnError})`, ...empty };
  if (result.timedOut)
    return {
      status: 'unavailable' as const,
      reason: `npm audit did not finish within ${input.timeoutSeconds} s (is the registry reachable?)`,
      ...empty,
    };
  let report: AuditJson;
  try {
    report = JSON.parse(result.stdout) as AuditJson;
  } catch {
    const text = `${result.stderr}\n${result.stdout}`.trim();
    return {
      status: 'unavailable' as const,
      reason: offline.test(text)
        ? `the registry is unreachable: ${text
            .split('\n')
            .find((l) => offline.test(l))
            ?.slice(0, 200)}`
        : `npm audit failed: ${text.slice(0, 300)}`,
      ...empty,
    };
  }
  if (report.error || report.message) {
    const detail =
      [report.error?.code, report.error?.summary || report.message, report.error?.detail]
        .filter(Boolean)
        .join(' ')
        .trim() || `exit code ${result.exitCode}`;
    const reason = offline.test(detail)
      ? `the registry is unreachable (${detail.slice(0, 200)})`
      : /\b(40[345]|501)\b.*advisories/.test(detail)
        ? `the registry does not serve the audit endpoint (${detail.slice(0, 200)})`
        : `npm audit failed: ${detail.slice(0, 300)}`;
    return { status: 'unavailable' as const, reason, ...empty };
  }
  const vulnerabilities = Object.values(report.vulnerabilities ?? {})
    .map((v) => ({
      name: v.name,
      severity: v.severity,
      direct: v.isDirect === true,
      range: v.range ?? '',
      advisories: (v.via ?? []).map((via) =>
        typeof via === 'string'
          ? { title: `through ${via}` }
          : { title: via.title ?? 'advisory', ...(via.url ? { url: via.url } : {}) },
      ),
      fix:
        v.fixAvailable === true
          ? 'npm audit fix'
          : v.fixAvailable
            ? `upgrade ${v.fixAvailable.name} to ${v.fixAvailable.version}${v.fixAvailable.isSemVerMajor ? ' (a major version: check for breaking changes)' : ''}`
            : 'no fix available yet',
    }))
    .sort(
      (a, b) =>
        severities.indexOf(b.severity as 'low') - severities.indexOf(a.severity as 'low') ||
        a.name.localeCompare(b.name),
    );
  const counts = report.metadata?.vulnerabilities ?? {};
  return {
    status: 'ok' as const,
    counts,
    ...(report.metadata?.dependencies?.total !== undefined ? { dependencies: report.metadata.dependencies.total } : {}),
    vulnerabilities,
  };
}

/** An OSV check in the tool's output shape (npm's severity words). */
function osvOutput(check: AdvisoryCheck, npmReason: string | undefined): AuditOutput {
  const word = (severity: string) => (severity === 'medium' ? 'moderate' : severity);
  const vulnerabilities = check.vulnerable.map((dependency) => {
    const fixed = fixingVersion(dependency);
    return {
      name: dependency.name,
      severity: word(worstSeverity(dependency)),
      direct: true,
      range: `${dependency.declared} (checked ${dependency.version}, ${dependency.versionFrom})`,
      advisories: dependency.advisories.map((a) => ({
        title: `${a.id}${a.aliases.length ? ` (${a.aliases.join(', ')})` : ''}: ${a.summary}`,
        ...(a.url ? { url: a.url } : {}),
      })),
      fix: fixed ? `upgrade ${dependency.name} to ${fixed}` : 'no fix available yet',
    };
  });
  const counts: Record<string, number> = {};
  for (const v of vulnerabilities) counts[v.severity] = (counts[v.severity] ?? 0) + 1;
  return {
    status: 'ok',
    source: check.source ?? 'OSV',
    ...(npmReason ? { reason: `npm audit unavailable (${npmReason}); advisories from ${check.source}` } : {}),
    counts,
    dependencies: check.checked,
    vulnerabilities: vulnerabilities.sort(
      (a, b) =>
        severities.indexOf(b.severity as 'low') - severities.indexOf(a.severity as 'low') ||
        a.name.localeCompare(b.name),
    ),
  };
}

export const auditVulnerabilities = defineTool({
  name: 'development_audit_vulnerabilities',
  domain: 'development',
  tags: ['npm audit', 'vulnerabilities', 'cve', 'advisories', 'security', 'dependencies', 'supply chain'],
  requests: [
    'npm audit',
    'dependencies with known vulnerabilities',
    'security advisories for installed packages',
    'CVE check of npm dependencies',
    'are our dependencies safe to ship',
    'known security holes in packages we depend on',
  ],
  title: 'Known-vulnerable dependencies (npm audit, OSV)',
  description:
    'Runs "npm audit --json --package-lock-only" on the project\'s lockfile and returns each vulnerable package with severity, affected range, advisories and whether a fix is available. Where the registry does not answer, uses the OSV file or server configured (development.advisories, CAELUM_OSV_FILE / CAELUM_OSV_URL). When no source answers the result says "unavailable" and why, and nothing else is guessed. Example: {"path": "."}',
  kind: { effect: 'readOnly', openWorld: true },
  input: z.object({
    path: projectPathField,
    registry: z
      .string()
      .url()
      .refine((url) => /^https?:\/\//.test(url), 'must be an http(s) URL')
      .optional()
      .describe('Registry to audit against (default: the public npm registry). No credential is ever sent to it.'),
    timeoutSeconds: z.number().int().min(5).max(300).default(60).describe('Give up after this long. Default 60.'),
  }),
  output: z.object({
    status: z.enum(['ok', 'unavailable', 'no-lockfile', 'no-manifest']),
    source: z.string().optional().describe('npm audit, or the OSV file or server that answered'),
    reason: z.string().optional(),
    counts: z.record(z.string(), z.number().int()),
    dependencies: z.number().int().optional(),
    vulnerabilities: z.array(
      z.object({
        name: z.string(),
        severity: z.string(),
        direct: z.boolean(),
        range: z.string(),
        advisories: z.array(z.object({ title: z.string(), url: z.string().optional() })),
        fix: z.string(),
      }),
    ),
  }),
  examples: [{ path: '.', timeoutSeconds: 20 }],
  async handler(input, context) {
    const root = await projectDirectory(input.path, context);
    const settings = context.environment.advisories ?? defaultAdvisorySettings;
    const osvConfigured = Boolean(settings.osvFile || settings.osvUrl);
    // source "osv" skips npm; otherwise npm audit first, and the configured OSV source when npm cannot answer.
    const npm =
      settings.source === 'osv' && osvConfigured
        ? undefined
        : await npmAuditOutput(
            root,
            { registry: input.registry ?? settings.registry, timeoutSeconds: input.timeoutSeconds },
            context,
          );
    if (npm && (npm.status === 'ok' || npm.status === 'no-manifest' || !osvConfigured || settings.source === 'npm'))
      return npm.status === 'ok' ? { ...npm, source: 'npm audit' } : npm;
    const check = await checkAdvisories(root, { ...settings, source: 'osv' }, context);
    if (check.status !== 'checked')
      return {
        status: 'unavailable' as const,
        reason: [npm?.reason, check.reason].filter(Boolean).join('; '),
        counts: {},
        vulnerabilities: [],
      };
    return osvOutput(check, npm?.reason);
  },
  summarize: (o) =>
    o.status !== 'ok'
      ? `npm audit ${o.status}: ${o.reason}`
      : `${o.source ? `${o.source}: ` : ''}${o.vulnerabilities.length} vulnerable package(s)${o.dependencies !== undefined ? ` of ${o.dependencies}` : ''}: ${
          severities
            .filter((s) => o.counts[s])
            .map((s) => `${o.counts[s]} ${s}`)
            .join(', ') || 'none'
        }\n${o.vulnerabilities
          .slice(0, 40)
          .map(
            (v) =>
              `  [${v.severity}] ${v.name} ${v.range}${v.direct ? ' (direct)' : ''}: ${v.advisories.map((a) => a.title).join('; ')} — ${v.fix}`,
          )
          .join('\n')}`,
});

/** Requirement edges looked at, per copy, before the chain search stops. */
const maxChainWork = 2_000_000;

export const explainDependency = defineTool({
  name: 'development_explain_dependency',
  domain: 'development',
  tags: ['why', 'npm explain', 'dependency chain', 'transitive', 'lockfile', 'dependencies'],
  requests: [
    'why is this package installed',
    'who requires this transitive dependency',
    'dependency chain leading to a package',
    'what brings this package into node_modules',
    'which dependency pulls in this package',
    'why does this old version appear in the lockfile',
    'why is a package in node_modules',
  ],
  title: 'Why is a package installed',
  description:
    'For every installed copy of a package: its version, whether it is dev-only, and the chains of requirements from the project that lead to it (shortest first), like "npm explain" but from the lockfile alone. Example: {"path": ".", "name": "debug"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    path: projectPathField,
    name: z.string().min(1).describe('Package name, e.g. "ms" or "@types/node".'),
    limit: z.number().int().min(1).max(50).default(5).describe('Most chains per copy. Default 5.'),
  }),
  output: z.object({
    name: z.string(),
    found: z.boolean(),
    copies: z.array(
      z.object({ path: z.string(), version: z.string(), dev: z.boolean(), chains: z.array(z.array(z.string())) }),
    ),
    note: z.string().optional(),
  }),
  examples: [{ path: '.', name: 'zod' }],
  async handler(input, context) {
    if (!/^(@[\w.-]+\/)?[\w.-]+$/.test(input.name))
      throw new InputError('name', `"${input.name}" is not a package name; pass e.g. "debug" or "@types/node"`);
    const root = await projectDirectory(input.path, context);
    const lock = await readLockfile(root);
    if ('missing' in lock) return { name: input.name, found: false, copies: [], note: lock.missing };
    const manifest = await readManifest(root);
    const { edges } = linkEntries(
      lock,
      Object.fromEntries(declaredDependencies(manifest ?? {}).map((d) => [d.name, d.range])),
    );
    const incoming = requirersOf(edges);
    // Each package's distance from the project: chains only step to requirers strictly closer to it,
    // so they cannot loop and every one of them ends at the project.
    const distance = new Map<string, number>([['', 0]]);
    const outgoing = new Map<string, string[]>();
    for (const edge of edges) outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge.to]);
    for (const frontier = ['']; frontier.length > 0;) {
      const node = frontier.shift()!;
      for (const next of outgoing.get(node) ?? [])
        if (!distance.has(next)) {
          distance.set(next, distance.get(node)! + 1);
          frontier.push(next);
        }
    }
    const label = (installPath: string) =>
      installPath === ''
        ? (manifest?.name ?? '(project)')
        : `${lock.entries.get(installPath)!.name}@${lock.entries.get(installPath)!.version}`;
    let budgetHit = false;
    const copies = [...lock.entries.values()]
      .filter((e) => e.name === input.name && e.path !== '' && !e.link)
      .map((entry) => {
        // Breadth-first from the copy back to the project, so the shortest chains come first. Each
        // partial chain holds install paths (the copy first) and the range each was required with.
        // A lockfile is repository content: a layered graph has exponentially many chains, so each
        // package is extended from at most `limit` partial chains (enough for `limit` shortest
        // chains through it), and the search stops at a work budget.
        const chains: string[][] = [];
        const expanded = new Map<string, number>();
        let work = 0;
        // Partial chains share their tails: each step points at the one it extends.
        interface Step {
          node: string;
          /** The range `node` was required with by the next step toward the project. */
          range?: string;
          next?: Step;
        }
        const queue: Step[] = [{ node: entry.path }];
        for (let head = 0; head < queue.length && chains.length < input.limit; head++) {
          const step = queue[head]!;
          const times = expanded.get(step.node) ?? 0;
          if (times >= input.limit) continue;
          expanded.set(step.node, times + 1);
          for (const parent of incoming.get(step.node) ?? []) {
            if (++work > maxChainWork) {
              budgetHit = true;
              break;
            }
            if (parent.from === '') {
              // Walk from the copy to the project: the copy first, each with the range it was required with.
              const path: string[] = [];
              let range = parent.range;
              const order: Step[] = [];
              for (let s: Step | undefined = step; s; s = s.next) order.push(s);
              // `order` runs from the outermost requirer back to the copy; ranges shift one along.
              for (let i = 0; i < order.length; i++) {
                path.push(`${label(order[i]!.node)} (${range})`);
                range = order[i]!.range ?? '';
              }
              chains.push([label(''), ...path]);
              if (chains.length >= input.limit) break;
            } else if (
              (distance.get(parent.from) ?? Infinity) < (distance.get(step.node) ?? Infinity) &&
              (expanded.get(parent.from) ?? 0) < input.limit
            ) {
              queue.push({ node: parent.from, range: parent.range, next: step });
            }
          }
          if (budgetHit) break;
        }
        return { path: entry.path, version: entry.version, dev: entry.dev, chains };
      });
    return {
      name: input.name,
      found: copies.length > 0,
      copies,
      ...(copies.length === 0
        ? { note: `${input.name} is not in ${lock.file}` }
        : budgetHit
          ? {
              note: `the lockfile's requirement graph is too large to search fully; the chains shown may not be all the shortest`,
            }
          : {}),
    };
  },
  summarize: (o) =>
    !o.found
      ? (o.note ?? `${o.name} is not installed`)
      : o.copies
          .map(
            (c) =>
              `${o.name}@${c.version} (${c.path}${c.dev ? ', dev' : ''})\n${c.chains.map((chain) => `  ${chain.join(' → ')}`).join('\n') || '  (nothing requires it: extraneous)'}`,
          )
          .join('\n'),
});
