// The one way Caelum runs git. A repository under review is untrusted: its config and its
// .gitattributes can name programs (core.fsmonitor, diff.<x>.textconv, filter.<x>.clean, gpg.program,
// ...) that git would run for a read-only command, and a `.git` file, a commondir file, alternates
// or core.worktree can point git at data outside the allowed roots. So:
//
// - We keep the git CLI (exact porcelain behaviour, speed on big histories) rather than a pure-JS
//   reader, and harden every call: execFile without a shell; an allow-listed environment (no
//   inherited GIT_* variable, no system or global config, HOME at a path that does not exist, no
//   prompts, no pager, no lazy fetch); and config overrides passed through GIT_CONFIG_COUNT (they
//   win over the repository's config, like `-c`, and carry any key name without quoting issues)
//   that neutralise every key that names a program or a file outside the repository.
// - Driver keys whose names only the repository knows (filter.<x>.*, diff.<x>.textconv/command,
//   merge.<x>.driver, credential.<url>.helper, pager.<cmd>, trailer.<x>.command, gpg.<fmt>.program)
//   are read with `git config --list` under the same hardened environment (cached per repository
//   while its config files are unchanged) and each is overridden with an empty value: git then
//   runs nothing for it (a textconv or diff command would fail rather than run; we also pass
//   --no-textconv / --no-ext-diff / --no-show-signature wherever a subcommand takes them).
// - Includes (include.path, includeIf.*.path) that read a file outside the allowed roots cannot be
//   switched off from the command line, so such a repository is REFUSED, as are a work tree, git
//   dir, common dir, object store or alternate outside the roots, and a symbolic link from the git
//   directory (index, config, refs, packs, ...) to outside them. After these checks every call
//   sets GIT_DIR and GIT_WORK_TREE explicitly, so nothing in the repository can move them.
// - Discovery stops at the allowed root (GIT_CEILING_DIRECTORIES is its parent). A root that is a
//   SUBFOLDER of an outer repository is therefore "not a git repository": nothing of the outer
//   repository (its config, its other files, its history) is ever read. Tools that use git only
//   to weigh results (hotspots, churn) fall back to working without git there.
// - Output is capped in bytes (stated in the error, or reported as truncated by runCapped) and
//   every call has a time limit.
import { spawn } from 'node:child_process';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { ConfinedError, Confinement, readConfinedText } from '../confined-fs.js';
import path from 'node:path';
import { InputError, ToolError } from '../errors.js';

const DEFAULT_TIMEOUT_MS = 20_000;
/** Output cap for calls whose whole output is parsed. */
export const DEFAULT_MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;

/** Environment variables passed through to git; everything else (Caelum's secrets, GIT_*) is dropped. */
const PASSED_ENVIRONMENT = /^(PATH|LANG|LANGUAGE|LC_[A-Z_]+|TZ|TMPDIR|SYSTEMROOT|TERM)$/;

/** Keys that name a program, a file to read or an automatic action; the value we force. */
const FIXED_OVERRIDES: [string, string][] = [
  ['core.fsmonitor', 'false'],
  ['core.useBuiltinFSMonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['core.pager', 'cat'],
  ['core.editor', ':'],
  ['sequence.editor', ':'],
  ['core.askPass', ''],
  ['core.sshCommand', ''],
  ['core.gitProxy', ''],
  ['core.alternateRefsCommand', ''],
  ['core.alternateRefsPrefixes', ''],
  ['core.attributesFile', '/dev/null'],
  ['core.excludesFile', '/dev/null'],
  ['core.untrackedCache', 'false'],
  ['diff.external', ''],
  ['diff.orderFile', '/dev/null'],
  ['diff.ignoreSubmodules', 'all'],
  ['diff.noprefix', 'false'],
  ['diff.mnemonicPrefix', 'false'],
  ['log.showSignature', 'false'],
  ['gpg.program', ''],
  ['gpg.openpgp.program', ''],
  ['gpg.x509.program', ''],
  ['gpg.ssh.program', ''],
  ['gpg.ssh.defaultKeyCommand', ''],
  ['gpg.ssh.allowedSignersFile', '/dev/null'],
  ['credential.helper', ''],
  ['mailmap.file', '/dev/null'],
  ['mailmap.blob', ''],
  ['blame.ignoreRevsFile', ''],
  ['gc.auto', '0'],
  ['gc.autoDetach', 'false'],
  ['maintenance.auto', 'false'],
  ['fetch.recurseSubmodules', 'false'],
  ['submodule.recurse', 'false'],
  ['status.submoduleSummary', 'false'],
  ['protocol.allow', 'never'],
  ['color.ui', 'never'],
  ['color.diff', 'never'],
  ['color.status', 'never'],
  ['color.blame', 'never'],
];

/**
 * Repository-named keys that run a program; each one found is overridden with an empty value
 * (pager.<cmd> with false, filter.<x>.required with false so that a filter without its program
 * does not fail the command).
 */
const DRIVER_KEY =
  /^(filter\..+\.(clean|smudge|process|required)|diff\..+\.(textconv|command)|merge\..+\.driver|credential\..+\.helper|trailer\..+\.(command|cmd)|gpg\..+\.program|remote\..+\.(uploadpack|receivepack)|pager\..+)$/i;

export class GitError extends Error {
  override readonly name = 'GitError';
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Cap on stdout; a call that writes more fails with a GitError naming the cap. */
  maxBytes?: number;
}

export interface CappedOutput {
  text: string;
  truncated: boolean;
  /** Bytes git wrote before we stopped reading (at least maxBytes + 1 when truncated). */
  bytes: number;
}

/** A repository checked against the allowed roots, with the hardened runner bound to it. */
export interface GitRepository {
  /** The directory git runs in (the one the caller asked about). */
  readonly cwd: string;
  readonly topLevel: string;
  readonly gitDir: string;
  readonly commonDir: string;
  run(args: string[], options?: RunOptions): Promise<string>;
  /** Like run, but stops reading after maxBytes and reports the output as truncated. */
  runCapped(args: string[], maxBytes: number, options?: RunOptions): Promise<CappedOutput>;
}

function inside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((root) => realpath(root).catch(() => path.resolve(root))));
}

/** The hardened environment: nothing inherited but locale and PATH; no config outside the repository. */
export function gitEnvironment(
  base: Record<string, string | undefined>,
  extra: Record<string, string>,
  overrides: readonly [string, string][],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base))
    if (value !== undefined && PASSED_ENVIRONMENT.test(key)) env[key] = value;
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  Object.assign(env, {
    HOME: '/nonexistent/caelum-git-home',
    XDG_CONFIG_HOME: '/nonexistent/caelum-git-home',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_SYSTEM: '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_PAGER: 'cat',
    PAGER: 'cat',
    GIT_EDITOR: ':',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_ALLOW_PROTOCOL: '',
    GIT_NO_REPLACE_OBJECTS: '1',
    ...extra,
  });
  env.GIT_CONFIG_COUNT = String(overrides.length);
  overrides.forEach(([key, value], index) => {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  });
  return env;
}

function exec(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  options: RunOptions & { capped?: boolean },
): Promise<CappedOutput> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let kept = 0;
    let stderr = '';
    let overflow = false;
    let timedOut = false;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (overflow) return;
      const room = maxBytes - kept;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        kept = maxBytes;
        overflow = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
      kept += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_STDERR_BYTES) stderr += chunk.toString('utf8').slice(0, MAX_STDERR_BYTES);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          error.code === 'ENOENT'
            ? new ToolError('UNAVAILABLE', 'git is not installed on this machine')
            : new GitError(error.message),
        ),
      ),
    );
    child.on('close', (code) =>
      finish(() => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (options.signal?.aborted) reject(new ToolError('CANCELLED', `git ${args[0]} was cancelled`));
        else if (timedOut)
          reject(new ToolError('TIMEOUT', `git ${args[0]} took longer than ${Math.round(timeoutMs / 1000)} s`));
        else if (overflow && options.capped) resolve({ text, truncated: true, bytes });
        else if (overflow)
          reject(
            // The caller can fix this one (a path, a limit), so it is an input error, not Caelum's fault.
            new InputError(
              '',
              `git ${args[0]} wrote more than ${maxBytes} bytes; narrow the request (a path, a limit)`,
            ),
          );
        else if (code !== 0) reject(new GitError(stderr.trim() || `git ${args[0]} exited with code ${code}`));
        else resolve({ text, truncated: false, bytes });
      }),
    );
  });
}

interface ConfigScan {
  overrides: [string, string][];
  /** Config files read, with the stamp they had; a change in any of them invalidates the scan. */
  stamps: [string, string][];
}

const configScans = new Map<string, ConfigScan>();

async function stampOf(file: string): Promise<string> {
  try {
    const info = await stat(file);
    return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Reads the repository's effective config (with includes) under the hardened environment, refuses
 * includes outside the roots, and returns an empty override for every program-running driver key.
 */
async function scanConfig(
  host: Record<string, string>,
  base: { cwd: string; gitDir: string; commonDir: string; topLevel: string },
  roots: string[],
  field: string,
  options: RunOptions,
): Promise<[string, string][]> {
  // The roots are part of the key: a scan done for a session with wider roots must not skip another
  // session's refusal of an include outside its own.
  const key = `${base.gitDir}\0${base.commonDir}\0${roots.join('\0')}`;
  const defaultFiles = [path.join(base.commonDir, 'config'), path.join(base.gitDir, 'config.worktree')];
  const cached = configScans.get(key);
  if (cached) {
    const now = await Promise.all(cached.stamps.map(([file]) => stampOf(file)));
    if (now.every((stamp, i) => stamp === cached.stamps[i]![1])) return cached.overrides;
  }
  const env = gitEnvironment(host, { GIT_DIR: base.gitDir, GIT_WORK_TREE: base.topLevel }, FIXED_OVERRIDES);
  const { text } = await exec(['config', '--list', '--show-origin', '--includes', '-z'], base.cwd, env, {
    ...options,
    maxBytes: 4 * 1024 * 1024,
  });
  const files = new Set(defaultFiles);
  const overrides: [string, string][] = [];
  const seen = new Set<string>();
  // includeIf conditions (onbranch:, gitdir:, hasconfig:) can turn an include on without any config
  // file changing (a branch switch moves HEAD), so a config with one is scanned on every call.
  let conditional = false;
  const parts = text.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const origin = parts[i]!;
    const entry = parts[i + 1]!;
    const newline = entry.indexOf('\n');
    const name = newline === -1 ? entry : entry.slice(0, newline);
    const value = newline === -1 ? '' : entry.slice(newline + 1);
    if (!origin.startsWith('file:')) continue;
    const file = path.resolve(base.cwd, origin.slice(5));
    const real = await realpath(file).catch(() => file);
    if (!roots.some((root) => inside(real, root)))
      throw new InputError(
        field,
        `the git config of ${base.topLevel} includes ${file}, outside the allowed roots; git tools refuse this repository (remove the include, or add its directory to CAELUM_ALLOWED_ROOTS)`,
      );
    files.add(file);
    if (/^includeif\./i.test(name)) conditional = true;
    if (/^include(if\..*)?\.path$/i.test(name) && value) {
      // A file named by an include, even a missing one, is stamped too: creating it changes the config.
      const target = value.startsWith('~') ? value : path.resolve(path.dirname(file), value);
      files.add(target);
    }
    const lower = name.toLowerCase();
    if (DRIVER_KEY.test(name) && !seen.has(lower)) {
      seen.add(lower);
      overrides.push([name, /^pager\.|^filter\..+\.required$/i.test(name) ? 'false' : '']);
      const filter = /^(filter\..+)\.(clean|smudge|process)$/i.exec(name);
      if (filter && !seen.has(`${filter[1]!.toLowerCase()}.required`)) {
        seen.add(`${filter[1]!.toLowerCase()}.required`);
        overrides.push([`${filter[1]!}.required`, 'false']);
      }
    }
  }
  if (conditional) {
    configScans.delete(key);
    return overrides;
  }
  const stamps = await Promise.all([...files].map(async (file) => [file, await stampOf(file)] as [string, string]));
  if (configScans.size >= 256) configScans.delete(configScans.keys().next().value!);
  configScans.set(key, { overrides, stamps });
  return overrides;
}

/** Object directories git would read: the store itself and its alternates, recursively (git's depth limit is 5). */
async function objectStores(objects: string, depth = 0): Promise<string[]> {
  const stores = [objects];
  if (depth > 5) return stores;
  // Read through the confined layer: an alternates file linked to /dev/zero or out of the store is
  // refused (git would follow it), and a missing one means no alternates.
  let list = '';
  try {
    list = await readConfinedText(path.join(objects, 'info', 'alternates'), Confinement.ofReal([objects]), {
      maxBytes: 64 * 1024,
    });
  } catch (error) {
    if (!(error instanceof ConfinedError) || error.reason !== 'missing')
      throw new GitError(`the object store's alternates file cannot be checked (${(error as Error).message})`);
  }
  for (const raw of list.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let unquoted = line;
    if (line.startsWith('"'))
      try {
        unquoted = JSON.parse(line) as string;
      } catch {
        unquoted = line.slice(1, -1);
      }
    const target = path.resolve(objects, unquoted);
    stores.push(...(await objectStores(await realpath(target).catch(() => target), depth + 1)));
  }
  return stores;
}

/**
 * Files and folders of the git directories that git reads, and everything directly in the object
 * store and its pack folder: a symbolic link among them must stay inside the roots (a linked index
 * or pack would show another repository's names and contents). Returns the first one that leaves.
 */
async function linkOutside(
  gitDir: string,
  commonDir: string,
  within: (p: string) => boolean,
): Promise<string | undefined> {
  const candidates = new Set<string>();
  for (const dir of new Set([gitDir, commonDir]))
    for (const name of ['HEAD', 'index', 'config', 'config.worktree', 'packed-refs', 'shallow', 'refs', 'info', 'logs'])
      candidates.add(path.join(dir, name));
  for (const dir of ['objects', 'objects/pack', 'objects/info']) {
    const full = path.join(commonDir, dir);
    for (const entry of await readdir(full, { withFileTypes: true }).catch(() => []))
      if (entry.isSymbolicLink()) candidates.add(path.join(full, entry.name));
  }
  for (const candidate of candidates) {
    const info = await lstat(candidate).catch(() => undefined);
    if (!info?.isSymbolicLink()) continue;
    const target = await realpath(candidate).catch(() => undefined);
    if (target && !within(target)) return `${candidate} -> ${target}`;
  }
  return undefined;
}

const notARepository = Symbol('not a repository');

/** What the runner needs from the suite: the allowed roots, and the environment to take PATH and locale from. */
export interface GitAccess {
  allowedRoots: readonly string[];
  childEnvironment?: Record<string, string>;
}

async function discover(
  dir: string,
  access: GitAccess,
  field: string,
  options: RunOptions,
): Promise<GitRepository | typeof notARepository> {
  const host = access.childEnvironment ?? {};
  const real = await realRoots(access.allowedRoots);
  const cwd = await realpath(dir);
  const containing = real.filter((root) => inside(cwd, root)).sort((a, b) => a.length - b.length);
  if (containing.length === 0) throw new InputError(field, `${dir} is outside the allowed roots`);
  const outermost = containing[0]!;
  const ceiling = path.dirname(outermost);
  const discoverEnv = gitEnvironment(
    host,
    ceiling !== outermost ? { GIT_CEILING_DIRECTORIES: ceiling } : {},
    FIXED_OVERRIDES,
  );
  let located: string;
  try {
    ({ text: located } = await exec(
      ['rev-parse', '--path-format=absolute', '--show-toplevel', '--absolute-git-dir', '--git-common-dir'],
      cwd,
      discoverEnv,
      { ...options, maxBytes: 64 * 1024 },
    ));
  } catch (error) {
    if (error instanceof GitError) return notARepository;
    throw error;
  }
  const [topLevel, gitDir, commonDir] = await Promise.all(
    located
      .split('\n')
      .slice(0, 3)
      .map((p) => realpath(p).catch(() => p)),
  );
  if (!topLevel || !gitDir || !commonDir) return notARepository;
  const outsideRoots = (p: string) => !real.some((root) => inside(p, root));
  const refuse = (what: string, where: string) =>
    new InputError(
      field,
      `the git repository at ${cwd} has its ${what} at ${where}, outside the allowed roots; git tools refuse it (add that directory to CAELUM_ALLOWED_ROOTS if it is trusted)`,
    );
  if (outsideRoots(topLevel)) throw refuse('work tree', topLevel);
  if (outsideRoots(gitDir)) throw refuse('git directory', gitDir);
  if (outsideRoots(commonDir)) throw refuse('common git directory', commonDir);
  const objects = await realpath(path.join(commonDir, 'objects')).catch(() => path.join(commonDir, 'objects'));
  let stores: string[];
  try {
    stores = await objectStores(objects);
  } catch (error) {
    throw new InputError(field, `the git repository at ${cwd}: ${(error as Error).message}; git tools refuse it`);
  }
  for (const store of stores)
    if (outsideRoots(store)) throw refuse(store === objects ? 'object store' : 'alternate object store', store);
  const linked = await linkOutside(gitDir, commonDir, (p) => !outsideRoots(p));
  if (linked) throw refuse('git data linked', linked);
  const base = { cwd, gitDir, commonDir, topLevel };
  const drivers = await scanConfig(host, base, real, field, options);
  const env = gitEnvironment(host, { GIT_DIR: gitDir, GIT_WORK_TREE: topLevel }, [...FIXED_OVERRIDES, ...drivers]);
  return {
    ...base,
    run: async (args, runOptions = {}) => (await exec(args, cwd, env, runOptions)).text,
    runCapped: (args, maxBytes, runOptions = {}) => exec(args, cwd, env, { ...runOptions, maxBytes, capped: true }),
  };
}

/**
 * The repository that `dir` belongs to, checked against the allowed roots; undefined when `dir` is
 * not in a git work tree (below its allowed root). Throws InputError naming `field` when the
 * repository reaches outside the roots.
 */
export async function findRepository(
  dir: string,
  access: GitAccess,
  options: RunOptions & { field?: string } = {},
): Promise<GitRepository | undefined> {
  const found = await discover(dir, access, options.field ?? 'path', options);
  return found === notARepository ? undefined : found;
}

/** Like findRepository, but a directory outside any git work tree is an InputError too. */
export async function openRepository(
  dir: string,
  access: GitAccess,
  options: RunOptions & { field?: string } = {},
): Promise<GitRepository> {
  const field = options.field ?? 'path';
  const found = await findRepository(dir, access, { ...options, field });
  if (!found)
    throw new InputError(
      field,
      `${dir} is not inside a git repository (git tools look no higher than the allowed root that holds it)`,
    );
  return found;
}

export async function checkRef(ref: string, repo: GitRepository, field: string): Promise<string> {
  if (ref.startsWith('-') || !/^[\w./@{}~^-]+$/.test(ref))
    throw new InputError(field, `"${ref}" is not a valid git ref`);
  try {
    return (await repo.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch {
    throw new InputError(
      field,
      `"${ref}" is not a commit in this repository; pass a branch, tag or commit (e.g. "main" or "HEAD~3")`,
    );
  }
}

export interface ChangedFile {
  path: string;
  status: string;
  /** Changed line ranges in the new version, [start, end] inclusive. */
  ranges: [number, number][];
}

/** Arguments every diff-producing call gets: no external diff, no textconv, no colour, no submodules. */
export const SAFE_DIFF_FLAGS = ['--no-color', '--no-ext-diff', '--no-textconv', '--ignore-submodules=all'];

/** Files (and line ranges) changed against `ref`, or staged when `ref` is "staged", plus untracked files. */
export async function changedFiles(
  repo: GitRepository,
  ref: string | 'staged',
  signal?: AbortSignal,
): Promise<ChangedFile[]> {
  const diffArgs = ref === 'staged' ? ['diff', '--cached'] : ['diff', ref];
  const options = signal ? { signal } : {};
  const [names, hunks, untracked] = await Promise.all([
    repo.run([...diffArgs, ...SAFE_DIFF_FLAGS, '--name-status', '--no-renames', '--relative'], options),
    repo.run([...diffArgs, ...SAFE_DIFF_FLAGS, '-U0', '--relative'], options),
    ref === 'staged' ? Promise.resolve('') : repo.run(['ls-files', '--others', '--exclude-standard'], options),
  ]);
  const files = new Map<string, ChangedFile>();
  for (const line of names.split('\n')) {
    const [status, file] = line.split('\t');
    if (status && file) files.set(file, { path: file, status: status[0]!, ranges: [] });
  }
  let current: ChangedFile | undefined;
  for (const line of hunks.split('\n')) {
    if (line.startsWith('+++ ')) {
      const file = line.slice(4).replace(/^b\//, '');
      current = files.get(file);
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && current) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count > 0) current.ranges.push([start, start + count - 1]);
    }
  }
  for (const file of untracked.split('\n')) {
    if (file && !files.has(file)) files.set(file, { path: file, status: '?', ranges: [[1, Number.MAX_SAFE_INTEGER]] });
  }
  return [...files.values()].filter((f) => f.status !== 'D');
}

/** Commits touching each file in the last `days` days (or `maxCommits` commits). */
export async function churn(
  repo: GitRepository,
  options: { days?: number; maxCommits?: number; signal?: AbortSignal } = {},
): Promise<Map<string, number>> {
  const args = [
    'log',
    '--no-merges',
    '--no-show-signature',
    '--format=',
    '--name-only',
    '--relative',
    `--max-count=${options.maxCommits ?? 2000}`,
  ];
  if (options.days) args.push(`--since=${options.days}.days`);
  const output = await repo.run(args, options.signal ? { signal: options.signal } : {});
  const counts = new Map<string, number>();
  for (const line of output.split('\n')) if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}
