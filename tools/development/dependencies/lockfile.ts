// Reads npm's package-lock.json / npm-shrinkwrap.json (lockfile versions 1, 2 and 3) into one
// shape, and links every entry to the entries its dependencies resolve to, with Node's lookup rule
// (the nearest node_modules up the path). Everything the dependency tools report comes from here.
import {
  ConfinedError,
  confinedFileExists,
  Confinement,
  fileCaps,
  parseJsonFile,
  readProjectJson,
  readProjectText,
} from '../../confined-fs.js';
import path from 'node:path';

export interface LockEntry {
  /** "" for the root, else the install path ("node_modules/a/node_modules/b"). */
  path: string;
  name: string;
  version: string;
  license?: string;
  hasInstallScript: boolean;
  dev: boolean;
  optional: boolean;
  link: boolean;
  resolved?: string;
  /** Declared dependency ranges, all kinds merged (dependencies, optional, peer). */
  requires: Record<string, string>;
}

export interface Lockfile {
  file: string;
  lockfileVersion: number;
  entries: Map<string, LockEntry>;
  /** The root's declared dependencies as the lockfile recorded them (v2+). */
  rootDeclared?: Record<string, string>;
}

export interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  license?: string;
}

/**
 * The project's package.json, or undefined when there is none. One that is refused (a link out, a
 * device, too large, not JSON) is an error naming the file and why, never read as absent.
 */
export async function readManifest(root: string): Promise<Manifest | undefined> {
  try {
    return await readProjectJson<Manifest>(root, 'package.json');
  } catch (error) {
    if (error instanceof ConfinedError && error.reason === 'missing') return undefined;
    throw error;
  }
}

/** Every declared dependency with its range and kind. */
export function declaredDependencies(
  manifest: Manifest,
): { name: string; range: string; kind: 'dependencies' | 'devDependencies' | 'optionalDependencies' }[] {
  const kinds = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
  return kinds.flatMap((kind) => Object.entries(manifest[kind] ?? {}).map(([name, range]) => ({ name, range, kind })));
}

const nameFromPath = (installPath: string) =>
  installPath.slice(installPath.lastIndexOf('node_modules/') + 'node_modules/'.length);

interface RawEntry {
  name?: string;
  version?: string;
  license?: string;
  hasInstallScript?: boolean;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string | RawEntry>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  requires?: Record<string, string> | boolean;
}

/** The lockfile in `root`, or a reason there is none that this reader understands. */
export async function readLockfile(root: string): Promise<Lockfile | { missing: string }> {
  for (const file of ['npm-shrinkwrap.json', 'package-lock.json']) {
    let text: string;
    try {
      text = await readProjectText(root, file, fileCaps.large);
    } catch (error) {
      if (error instanceof ConfinedError && error.reason !== 'missing') return { missing: `${file} ${error.detail}` };
      continue;
    }
    let raw: { lockfileVersion?: number; packages?: Record<string, RawEntry>; dependencies?: Record<string, RawEntry> };
    try {
      raw = parseJsonFile<typeof raw>(text, file);
    } catch (error) {
      return { missing: (error as Error).message };
    }
    const entries = new Map<string, LockEntry>();
    const version = raw.lockfileVersion ?? 1;
    if (raw.packages) {
      for (const [installPath, entry] of Object.entries(raw.packages)) {
        entries.set(installPath, {
          path: installPath,
          name: installPath === '' ? (entry.name ?? '') : (entry.name ?? nameFromPath(installPath)),
          version: entry.version ?? '',
          ...(typeof entry.license === 'string' ? { license: entry.license } : {}),
          hasInstallScript: entry.hasInstallScript === true,
          dev: entry.dev === true || entry.devOptional === true,
          optional: entry.optional === true,
          link: entry.link === true,
          ...(entry.resolved ? { resolved: entry.resolved } : {}),
          requires: {
            ...(entry.peerDependencies ?? {}),
            ...(entry.optionalDependencies ?? {}),
            ...((entry.dependencies ?? {}) as Record<string, string>),
            ...(installPath === '' ? (entry.devDependencies ?? {}) : {}),
          },
        });
      }
      const rootEntry = raw.packages[''];
      return {
        file,
        lockfileVersion: version,
        entries,
        ...(rootEntry
          ? {
              rootDeclared: {
                ...(rootEntry.dependencies as Record<string, string> | undefined),
                ...rootEntry.devDependencies,
                ...rootEntry.optionalDependencies,
              },
            }
          : {}),
      };
    }
    // Version 1: a nested "dependencies" tree.
    const walk = (tree: Record<string, RawEntry>, prefix: string) => {
      for (const [name, entry] of Object.entries(tree)) {
        const installPath = `${prefix}node_modules/${name}`;
        entries.set(installPath, {
          path: installPath,
          name,
          version: entry.version ?? '',
          hasInstallScript: false,
          dev: entry.dev === true,
          optional: entry.optional === true,
          link: false,
          ...(entry.resolved ? { resolved: entry.resolved } : {}),
          requires: typeof entry.requires === 'object' ? entry.requires : {},
        });
        if (entry.dependencies) walk(entry.dependencies as Record<string, RawEntry>, `${installPath}/`);
      }
    };
    walk(raw.dependencies ?? {}, '');
    entries.set('', {
      path: '',
      name: '',
      version: '',
      hasInstallScript: false,
      dev: false,
      optional: false,
      link: false,
      requires: {},
    });
    return { file, lockfileVersion: version, entries };
  }
  // confinedFileExists never throws: a link out or a device counts as absent.
  for (const other of ['yarn.lock', 'pnpm-lock.yaml', 'bun.lockb'])
    if (await confinedFileExists(path.join(root, other), Confinement.ofReal([root])))
      return { missing: `${other} found: only npm lockfiles (package-lock.json, npm-shrinkwrap.json) are read` };
  return { missing: 'no package-lock.json or npm-shrinkwrap.json (run npm install to create one)' };
}

/** Where `name`, required from `from`, resolves: the nearest node_modules up the install path. */
export function resolveFrom(lock: Lockfile, from: string, name: string): LockEntry | undefined {
  let base = from;
  for (;;) {
    const candidate = lock.entries.get(base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`);
    // A workspace link points at the folder that holds the real entry.
    if (candidate)
      return candidate.link && candidate.resolved ? (lock.entries.get(candidate.resolved) ?? candidate) : candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

export interface DependencyEdge {
  from: string;
  to: string;
  name: string;
  range: string;
}

/** For each install path, the entries that require it and with which range. */
export function requirersOf(edges: readonly DependencyEdge[]): Map<string, { from: string; range: string }[]> {
  const incoming = new Map<string, { from: string; range: string }[]>();
  for (const edge of edges) {
    const list = incoming.get(edge.to);
    if (list) list.push({ from: edge.from, range: edge.range });
    else incoming.set(edge.to, [{ from: edge.from, range: edge.range }]);
  }
  return incoming;
}

/** Edges from every entry to the entries its requirements resolve to, plus unresolved requirements. */
export function linkEntries(
  lock: Lockfile,
  rootRequires: Record<string, string>,
): { edges: DependencyEdge[]; unresolved: DependencyEdge[] } {
  const edges: DependencyEdge[] = [];
  const unresolved: DependencyEdge[] = [];
  for (const entry of lock.entries.values()) {
    const requires = entry.path === '' ? { ...entry.requires, ...rootRequires } : entry.requires;
    for (const [name, range] of Object.entries(requires)) {
      const target = resolveFrom(lock, entry.path, name);
      if (target) edges.push({ from: entry.path, to: target.path, name, range });
      else unresolved.push({ from: entry.path, to: '', name, range });
    }
  }
  return { edges, unresolved };
}
