// Known-vulnerable dependencies as report findings, at the dependency's line in package.json
// (CWE-1395, dependency on a vulnerable third-party component).
import { findingId, type Finding } from '../security/finding.js';
import { fixingVersion, worstSeverity, type AdvisoryCheck } from './advisories.js';

export const vulnerableDependencyRule = 'vulnerable-dependency';

export function advisoryFindings(check: AdvisoryCheck, manifestText: string | undefined): Finding[] {
  const rows = manifestText?.split('\n') ?? [];
  return check.vulnerable.map((dependency) => {
    const evidence = rows[dependency.line - 1]?.trim() || `"${dependency.name}": "${dependency.declared}"`;
    const fixed = fixingVersion(dependency);
    const listed = dependency.advisories
      .slice(0, 5)
      .map(
        (a) =>
          `${a.id}${a.aliases.length ? ` (${a.aliases.slice(0, 2).join(', ')})` : ''} ${a.summary} [${a.severity}${a.fixed ? `, fixed in ${a.fixed}` : ', no fix yet'}]`,
      )
      .join('; ');
    const where = dependency.via
      ? `${dependency.version} (locked), installed through ${dependency.via.join(' → ')},`
      : dependency.versionFrom === 'lockfile'
        ? `${dependency.version} (locked)`
        : `${dependency.version} (the lowest version "${dependency.declared}" allows; no lockfile pins it)`;
    const top = dependency.via?.[0];
    const count = dependency.advisories.length;
    const dev = dependency.kind === 'devDependencies' ? ' [dev dependency]' : '';
    return {
      id: findingId(
        vulnerableDependencyRule,
        'package.json',
        dependency.line,
        `${dependency.name}@${dependency.version}`,
      ),
      file: 'package.json',
      line: dependency.line,
      endLine: dependency.line,
      severity: worstSeverity(dependency),
      category: 'security' as const,
      cwe: 'CWE-1395',
      rule: vulnerableDependencyRule,
      message: `${dependency.name}${dev} ${where} has ${count} known vulnerabilit${count === 1 ? 'y' : 'ies'}: ${listed}${count > 5 ? ` and ${count - 5} more` : ''} (source: ${check.source})`,
      evidence,
      confidence: dependency.versionFrom === 'lockfile' ? ('high' as const) : ('medium' as const),
      fix: {
        description:
          fixed && top
            ? `Move ${dependency.name} to ${fixed} or later: update ${top} to a release that requires it (npm update ${top}, npm audit fix), or pin it with "overrides": { "${dependency.name}": "^${fixed}" }; then run the tests.`
            : fixed
              ? `Upgrade ${dependency.name} to ${fixed} or later (npm install ${dependency.name}@^${fixed}), then run the tests.`
              : `No released version of ${dependency.name} fixes every advisory: replace ${top ?? 'the package'}, or confirm the vulnerable code is not reachable.`,
      },
    };
  });
}
