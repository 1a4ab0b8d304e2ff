// Checks on a whole Express app (security headers, X-Powered-By, CSRF), judged per program: the
// files an entry point reaches through its imports. An app is often assembled across files (routes
// in routers, helmet in a config module), but a repository can hold several apps (examples, a
// monorepo), and helmet in one must not vouch for another, nor its routes be counted for it.
import type { FileAnalysis } from './file-analysis.js';
import { findingId, type Finding } from '../security/finding.js';

interface ProjectShape {
  files: readonly FileAnalysis[];
  resolvedImports: ReadonlyMap<string, readonly string[]>;
}

function closure(starts: Iterable<string>, imports: ReadonlyMap<string, readonly string[]>): Set<string> {
  const seen = new Set(starts);
  const queue = [...seen];
  while (queue.length > 0) {
    for (const next of imports.get(queue.pop()!) ?? [])
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
  }
  return seen;
}

/**
 * The files that run with this app: every program (an entry point's import closure) that holds it.
 * The entry points are found from the app backwards, so only the programs that hold it are walked:
 * the closures of all entry points at once (every script of a repository importing one large
 * library) grew with entry points × library files.
 */
function scopeOf(
  file: string,
  imports: ReadonlyMap<string, readonly string[]>,
  importers: ReadonlyMap<string, readonly string[]>,
  isFile: (file: string) => boolean,
): Set<string> {
  const entries = [...closure([file], importers)].filter((f) => isFile(f) && !importers.has(f));
  return closure(entries.length > 0 ? entries : [file], imports);
}

export function appFindings(
  project: ProjectShape,
  lineText?: (file: string, line: number) => string | undefined,
): Finding[] {
  const creators = project.files.filter((f) => (f.app?.expressApps.length ?? 0) > 0);
  if (creators.length === 0) return [];
  const importers = new Map<string, string[]>();
  for (const [from, targets] of project.resolvedImports)
    for (const to of targets) {
      const list = importers.get(to) ?? [];
      list.push(from);
      importers.set(to, list);
    }
  const byFile = new Map(project.files.map((f) => [f.file, f]));
  const findings: Finding[] = [];
  const covered = new Set<string>();
  // An app that listens is the anchor of its program; an app mounted into it is not reported again.
  const ordered = [...creators].sort((a, b) => Number(b.app!.listens) - Number(a.app!.listens));
  for (const anchor of ordered) {
    if (covered.has(anchor.file)) continue;
    const scope = scopeOf(anchor.file, project.resolvedImports, importers, (f) => byFile.has(f));
    for (const f of scope) covered.add(f);
    const facts = [...scope].flatMap((f) => (byFile.get(f)?.app ? [byFile.get(f)!.app!] : []));
    const any = (key: 'usesHelmet' | 'usesCsrf' | 'disablesPoweredBy' | 'usesSession') => facts.some((f) => f[key]);
    const routeFiles = [...scope].filter((f) => (byFile.get(f)?.app?.stateChangingRoutes ?? 0) > 0);
    const routes = routeFiles.reduce((sum, f) => sum + byFile.get(f)!.app!.stateChangingRoutes, 0);
    const line = anchor.app!.expressApps[0]!;
    const evidence = lineText?.(anchor.file, line) ?? 'const app = express()';
    const finding = (
      rule: string,
      f: Omit<Finding, 'id' | 'file' | 'line' | 'endLine' | 'rule' | 'evidence' | 'category'>,
    ) =>
      findings.push({
        id: findingId(rule, anchor.file, line, evidence),
        file: anchor.file,
        line,
        endLine: line,
        category: 'security',
        rule,
        evidence,
        ...f,
      });
    if (!any('usesHelmet'))
      finding('missing-security-headers', {
        severity: 'medium',
        cwe: 'CWE-693',
        message:
          'this Express app sets no security headers (no helmet or equivalent): no CSP, HSTS, X-Frame-Options or nosniff',
        confidence: 'medium',
        fix: { description: 'npm install helmet, then app.use(helmet()) before the routes.' },
      });
    if (!any('usesHelmet') && !any('disablesPoweredBy'))
      finding('x-powered-by', {
        severity: 'low',
        cwe: 'CWE-200',
        message: 'the X-Powered-By: Express header advertises the framework to attackers',
        confidence: 'high',
        fix: { description: "Call app.disable('x-powered-by') (helmet does it too)." },
      });
    if (!any('usesCsrf') && routes > 0 && any('usesSession'))
      finding('missing-csrf', {
        severity: 'medium',
        cwe: 'CWE-352',
        message: `this app keeps a session cookie and serves ${routes} state-changing route${routes === 1 ? '' : 's'} (${routeFiles.length === 1 ? routeFiles[0] : `in ${routeFiles.length} files`}), but checks no CSRF token`,
        confidence: 'medium',
        fix: {
          description:
            'Add CSRF tokens (csrf-csrf or csrf-sync) to state-changing routes, and set sameSite on the session cookie.',
        },
      });
  }
  return findings;
}
