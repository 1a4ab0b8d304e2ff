// Walks a project tree the way git sees it: nested .gitignore files are honoured (through the
// `ignore` package, which implements git's matching rules) and .git itself is never entered.
// Directories are listed, and .gitignore files read, through the confined layer: a directory swapped
// for a link out of the project is not listed, and a .gitignore linked to /dev/zero is not read.
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { Confinement, readConfinedDirectory, readConfinedText } from '../confined-fs.js';

/** .gitignore files over this are not read (git itself has no limit; real ones are a few KiB). */
const maxIgnoreBytes = 1024 * 1024;

export interface WalkedFile {
  /** Path relative to the walk's root, with forward slashes. */
  relative: string;
  absolute: string;
  /** The walk's confinement: read the file through it (readConfined), never with plain fs. */
  confinement: Confinement;
  /** Set when .gitignore rules exclude the file (only yielded with `includeIgnored`). */
  ignored?: boolean;
}

export interface WalkStats {
  ignored: number;
}

interface Rules {
  base: string;
  matcher: Ignore;
}

/**
 * The `ignore` package compiles each rule to a backtracking RegExp, and a rule with several `**`
 * takes time of the order of depth^count on a deep path (4 of them on a path 200 folders deep: 25 s).
 * A .gitignore comes from the repository, so rules with more than two `**`, or over 4 KiB, are not
 * honoured (the files they would hide are walked) and the walk says so.
 */
const maxGlobstarsPerRule = 2;
const maxRuleLength = 4096;

function rulesWithinBudget(text: string): { kept: string; dropped: number } {
  let dropped = 0;
  const kept = text
    .split(/\r?\n/)
    .filter((line) => {
      const heavy = line.length > maxRuleLength || (line.match(/\*\*/g)?.length ?? 0) > maxGlobstarsPerRule;
      if (heavy) dropped++;
      return !heavy;
    })
    .join('\n');
  return { kept, dropped };
}

async function loadRules(
  directory: string,
  relativeDir: string,
  confinement: Confinement,
  onSkip?: WalkOptions['onSkip'],
): Promise<Rules | undefined> {
  try {
    const text = await readConfinedText(path.join(directory, '.gitignore'), confinement, { maxBytes: maxIgnoreBytes });
    const { kept, dropped } = rulesWithinBudget(text);
    if (dropped > 0)
      onSkip?.(
        relativeDir ? `${relativeDir}/.gitignore` : '.gitignore',
        `${dropped} rule(s) not honoured: more than ${maxGlobstarsPerRule} "**" or over ${maxRuleLength} characters (matching them can take exponential time)`,
      );
    return { base: relativeDir, matcher: ignore().add(kept) };
  } catch {
    return undefined;
  }
}

function isIgnored(rules: readonly Rules[], relative: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const rule of rules) {
    const local = rule.base ? relative.slice(rule.base.length + 1) : relative;
    const probe = isDirectory ? `${local}/` : local;
    const result = rule.matcher.test(probe);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/** Yields files in a stable (sorted) order. Checks `signal` between directories. */
export interface WalkOptions {
  signal: AbortSignal;
  stats?: WalkStats;
  /** Called for entries that are not walked: symlinks (never followed, so no loops), unreadable directories. */
  onSkip?: (relative: string, reason: string) => void;
  /** Directories (by name) never entered, e.g. node_modules. */
  skipDirectories?: ReadonlySet<string>;
  /** Where listing may go; the walk's root when not given. */
  confinement?: Confinement;
  /** Also yield files .gitignore excludes (marked `ignored`), e.g. to find what takes disk space. */
  includeIgnored?: boolean;
}

export async function* walkFiles(root: string, options: WalkOptions): AsyncGenerator<WalkedFile> {
  const confinement = options.confinement ?? (await Confinement.of([root], 'the project'));
  const rootRules = await loadRules(root, '', confinement, options.onSkip);
  const stack: { directory: string; relative: string; rules: Rules[]; ignored: boolean }[] = [
    { directory: root, relative: '', rules: rootRules ? [rootRules] : [], ignored: false },
  ];
  while (stack.length > 0) {
    options.signal.throwIfAborted();
    const { directory, relative, rules, ignored: insideIgnored } = stack.pop()!;
    let entries;
    try {
      entries = await readConfinedDirectory(directory, confinement);
    } catch (error) {
      const reason = (error as { reason?: string }).reason;
      options.onSkip?.(
        relative || '.',
        reason === 'link' || reason === 'outside'
          ? 'symbolic link, not followed'
          : `unreadable directory (${reason ?? 'error'})`,
      );
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirectories: typeof stack = [];
    for (const entry of entries) {
      const childRelative = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (options.skipDirectories?.has(entry.name)) {
          options.onSkip?.(childRelative, `${entry.name} is not analysed`);
          continue;
        }
        const ignoredDirectory = insideIgnored || isIgnored(rules, childRelative, true);
        if (entry.name === '.git' || (ignoredDirectory && !options.includeIgnored)) {
          if (options.stats) options.stats.ignored += 1;
          continue;
        }
        const absolute = path.join(directory, entry.name);
        const own = await loadRules(absolute, childRelative, confinement, options.onSkip);
        subdirectories.push({
          directory: absolute,
          relative: childRelative,
          rules: own ? [...rules, own] : rules,
          ignored: ignoredDirectory,
        });
      } else if (entry.isFile()) {
        const ignoredFile = insideIgnored || isIgnored(rules, childRelative, false);
        if (ignoredFile && !options.includeIgnored) {
          if (options.stats) options.stats.ignored += 1;
          continue;
        }
        yield {
          relative: childRelative,
          absolute: path.join(directory, entry.name),
          confinement,
          ...(ignoredFile ? { ignored: true } : {}),
        };
      } else if (entry.isSymbolicLink()) {
        if (!isIgnored(rules, childRelative, false)) options.onSkip?.(childRelative, 'symbolic link, not followed');
      }
    }
    // Reverse so the depth-first pop visits subdirectories in sorted order.
    for (let i = subdirectories.length - 1; i >= 0; i--) stack.push(subdirectories[i]!);
  }
}
