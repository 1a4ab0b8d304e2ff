// Who wrote a SARIF log: Caelum's version, and the page that documents it. Constants, kept equal
// to package.json by a test (as servers/version.ts is), because the bundle cannot rely on finding
// package.json at run time. A log names no page unless package.json configures one.

export const sarifToolVersion = '0.1.0';

/** The README on the repository that package.json names; undefined while it names none. */
export const sarifInformationUri: string | undefined = undefined;

interface PackageLinks {
  homepage?: unknown;
  repository?: unknown;
}

/** The web page a package.json points people to: `homepage`, else the repository's README. */
export function informationUriFrom(pkg: PackageLinks): string | undefined {
  if (typeof pkg.homepage === 'string' && /^https?:\/\//.test(pkg.homepage)) return pkg.homepage;
  const repository =
    typeof pkg.repository === 'string'
      ? pkg.repository
      : typeof pkg.repository === 'object' && pkg.repository !== null
        ? (pkg.repository as { url?: unknown }).url
        : undefined;
  if (typeof repository !== 'string') return undefined;
  const shorthand = repository.match(/^(?:(github|gitlab|bitbucket):)?([\w.-]+)\/([\w.-]+)$/);
  if (shorthand) {
    const host = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' }[shorthand[1] ?? 'github']!;
    return `https://${host}/${shorthand[2]}/${shorthand[3]!.replace(/\.git$/, '')}#readme`;
  }
  const url = repository
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/^ssh:\/\/git@/, 'https://')
    .replace(/^git@([^:]+):/, 'https://$1/')
    .replace(/\.git$/, '');
  return /^https?:\/\/[^/]+\/.+/.test(url) ? `${url}#readme` : undefined;
}
