// Hostile git repositories, built at test time with the real git, for tests that check that
// Caelum never runs a program a repository names and never shows anything outside the allowed
// roots. Every program the fixtures name is a marker script: when it runs it creates a file in
// the markers directory (outside the project), so `fired()` lists what git executed.
//
// Setup itself runs git with the caller's plain environment but with the hostile settings written
// last, so building a fixture fires nothing; `fired()` is cleared at the end of each builder.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

const author = {
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Fixture Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Plain git for building fixtures (never the code under test). */
export function fixtureGit(cwd: string, ...args: string[]): string {
  return fixtureGitWithInput(cwd, undefined, ...args);
}

function fixtureGitWithInput(cwd: string, input: string | undefined, ...args: string[]): string {
  const env: Record<string, string> = { ...author, HOME: '/nonexistent' };
  for (const key of ['PATH', 'LANG', 'TZ']) if (process.env[key]) env[key] = process.env[key]!;
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', ...(input === undefined ? {} : { input }) });
}

export interface Markers {
  dir: string;
  /**
   * A marker script for `name`: it records its run; as a filter it then copies stdin to stdout, as a
   * textconv it prints the file it is given, otherwise it reads nothing.
   */
  script(name: string, mode?: 'filter' | 'file' | 'none'): Promise<string>;
  /** Names of the marker scripts that have run. */
  fired(): Promise<string[]>;
  clear(): Promise<void>;
}

export async function markers(dir: string): Promise<Markers> {
  const fired = path.join(dir, 'fired');
  const bin = path.join(dir, 'bin');
  await mkdir(fired, { recursive: true });
  await mkdir(bin, { recursive: true });
  return {
    dir,
    async script(name, mode = 'none') {
      const safe = name.replace(/[^\w.-]/g, '_');
      const file = path.join(bin, `${safe}.sh`);
      const tail = mode === 'filter' ? 'cat\n' : mode === 'file' ? 'cat "$1"\n' : 'exit 0\n';
      await writeFile(file, `#!/bin/sh\ntouch '${path.join(fired, safe)}'\n${tail}`);
      await chmod(file, 0o755);
      return file;
    },
    fired: async () => (await readdir(fired)).sort(),
    async clear() {
      await rm(fired, { recursive: true, force: true });
      await mkdir(fired, { recursive: true });
    },
  };
}

/** Source files of the projects: one with a command injection that a review finds on changed lines. */
export const projectFiles: Record<string, string> = {
  'src/index.ts': 'export function add(a: number, b: number) {\n  return a > 0 ? a + b : b;\n}\n',
  'src/data.txt': 'first line\nsecond line\n',
  'package.json': '{"name":"fixture","version":"1.0.0"}\n',
};

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
}

/** A commit of `dir` (made a repository if needed) with every file in it. */
export async function commitAll(dir: string, message: string): Promise<string> {
  fixtureGit(dir, 'add', '-A');
  fixtureGit(dir, 'commit', '-q', '--no-verify', '-m', message);
  return fixtureGit(dir, 'rev-parse', 'HEAD').trim();
}

export async function initRepository(dir: string, files: Record<string, string> = projectFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFiles(dir, files);
  fixtureGit(dir, 'init', '-q', '-b', 'main');
  await commitAll(dir, 'initial project');
}

/** Changes in the work tree that status, diff and reviews must see (a new injection, a changed file). */
export const workTreeChange = {
  file: 'src/index.ts',
  added: "export function run(cmd: string) {\n  return require('child_process').exec(cmd);\n}\n",
  dataLine: 'changed data line',
};

/**
 * A repository whose config and .gitattributes name a marker program for every key that makes git
 * run a program: core.fsmonitor, filter clean/smudge/process (required), diff textconv and command,
 * diff.external, merge driver, log.showSignature + gpg.program (the HEAD commit carries a
 * signature so that verification would run), core.pager and pager.*, hooks through core.hooksPath,
 * core.sshCommand, credential.helper, core.askPass, editors, core.alternateRefsCommand, trailers.
 * The work tree is left with uncommitted changes. Returns the config keys set.
 */
export async function programRunningRepository(project: string, marks: Markers): Promise<string[]> {
  await initRepository(project);
  await writeFile(path.join(project, '.gitattributes'), '* filter=evil diff=evil merge=evil\n');
  await writeFile(path.join(project, 'src', 'data.txt'), 'first line\nsecond line\nthird line\n');
  await commitAll(project, 'attributes and data');
  // A signed-looking HEAD: log.showSignature would hand the signature to gpg.program.
  const raw = fixtureGit(project, 'cat-file', 'commit', 'HEAD');
  const [headers, ...body] = raw.split('\n\n');
  const signature = 'gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----';
  const signed = `${headers}\n${signature}\n\n${body.join('\n\n')}`;
  const hash = fixtureGitWithInput(project, signed, 'hash-object', '-t', 'commit', '-w', '--stdin').trim();
  fixtureGit(project, 'update-ref', 'refs/heads/main', hash);
  const hooks = path.join(marks.dir, 'hooks');
  await mkdir(hooks, { recursive: true });
  for (const hook of [
    'post-index-change',
    'reference-transaction',
    'post-checkout',
    'pre-commit',
    'post-commit',
    'pre-auto-gc',
    'fsmonitor-watchman',
  ]) {
    const script = await marks.script(`hook-${hook}`);
    await writeFile(path.join(hooks, hook), `#!/bin/sh\nexec '${script}' "$@" </dev/null\n`);
    await chmod(path.join(hooks, hook), 0o755);
  }
  const settings: [string, string][] = [
    ['core.fsmonitor', await marks.script('core.fsmonitor')],
    ['filter.evil.clean', await marks.script('filter.clean', 'filter')],
    ['filter.evil.smudge', await marks.script('filter.smudge', 'filter')],
    ['filter.evil.process', await marks.script('filter.process', 'filter')],
    ['filter.evil.required', 'true'],
    ['diff.evil.textconv', await marks.script('diff.textconv', 'file')],
    ['diff.evil.command', await marks.script('diff.command')],
    ['diff.external', await marks.script('diff.external')],
    ['merge.evil.driver', `${await marks.script('merge.driver')} %O %A %B`],
    ['log.showSignature', 'true'],
    ['gpg.program', await marks.script('gpg.program')],
    ['gpg.openpgp.program', await marks.script('gpg.openpgp.program')],
    ['core.pager', await marks.script('core.pager', 'filter')],
    ['pager.log', await marks.script('pager.log')],
    ['pager.diff', await marks.script('pager.diff')],
    ['pager.show', await marks.script('pager.show')],
    ['pager.blame', await marks.script('pager.blame')],
    ['pager.status', await marks.script('pager.status')],
    ['core.hooksPath', hooks],
    ['core.sshCommand', await marks.script('core.sshCommand')],
    ['credential.helper', `!${await marks.script('credential.helper')}`],
    ['core.askPass', await marks.script('core.askPass')],
    ['core.editor', await marks.script('core.editor')],
    ['sequence.editor', await marks.script('sequence.editor')],
    ['core.alternateRefsCommand', await marks.script('core.alternateRefsCommand')],
    ['trailer.evil.command', await marks.script('trailer.command')],
    ['gc.auto', '1'],
    ['color.ui', 'always'],
  ];
  for (const [key, value] of settings) fixtureGit(project, 'config', key, value);
  // Uncommitted work: a modified tracked file, a modified filtered data file, an untracked file.
  await writeFile(path.join(project, workTreeChange.file), projectFiles['src/index.ts'] + workTreeChange.added);
  await writeFile(path.join(project, 'src', 'data.txt'), `first line\n${workTreeChange.dataLine}\nthird line\n`);
  await writeFile(path.join(project, 'src', 'untracked.ts'), 'export const untracked = 1;\n');
  await marks.clear();
  return settings.map(([key]) => key);
}

/** Text that lives only outside the allowed roots: no tool output may contain it. */
export const outsideSecret = {
  file: 'outside-only-secret.txt',
  content: 'OUTSIDE-CONTENT-7f3a9c',
  subject: 'outside-commit-subject-51be',
};

/** A repository outside the roots with a file, a commit subject and an uncommitted change of its own. */
export async function outsideRepository(dir: string): Promise<string> {
  await initRepository(dir, {
    ...projectFiles,
    [outsideSecret.file]: `${outsideSecret.content}\n`,
    'src/index.ts': `// ${outsideSecret.content}\nexport const outside = true;\n`,
  });
  await writeFile(path.join(dir, outsideSecret.file), `${outsideSecret.content}\nchanged ${outsideSecret.content}\n`);
  fixtureGit(dir, 'commit', '-q', '--allow-empty', '-m', outsideSecret.subject);
  return dir;
}

/** The project's `.git` is a FILE naming the git directory of a repository outside the roots. */
export async function gitFileOutside(project: string, outside: string): Promise<void> {
  await writeFiles(project, projectFiles);
  await writeFile(path.join(project, '.git'), `gitdir: ${path.join(outside, '.git')}\n`);
}

/** The project's `.git` directory holds a `commondir` file naming a git directory outside the roots. */
export async function commondirOutside(project: string, outside: string): Promise<void> {
  await writeFiles(project, projectFiles);
  await mkdir(path.join(project, '.git'), { recursive: true });
  await writeFile(path.join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(path.join(project, '.git', 'commondir'), `${path.join(outside, '.git')}\n`);
}

/**
 * The project's objects/info/alternates names the outside object store, and its branch points at
 * the outside commit (whose objects only that store holds).
 */
export async function alternatesOutside(project: string, outside: string): Promise<void> {
  await initRepository(project);
  await writeFile(
    path.join(project, '.git', 'objects', 'info', 'alternates'),
    `${path.join(outside, '.git', 'objects')}\n`,
  );
  fixtureGit(project, 'update-ref', 'refs/heads/main', fixtureGit(outside, 'rev-parse', 'HEAD').trim());
}

/**
 * The project is a repository whose core.worktree is the project's PARENT, a directory outside the
 * roots that holds the outside repository too: its files would show up as untracked.
 */
export async function worktreeOutside(project: string): Promise<void> {
  await initRepository(project);
  fixtureGit(project, 'config', 'core.worktree', path.dirname(project));
}

/** The project's `.git/index` is a symbolic link to the outside repository's index. */
export async function indexLinkedOutside(project: string, outside: string): Promise<void> {
  await initRepository(project);
  await rm(path.join(project, '.git', 'index'));
  await symlink(path.join(outside, '.git', 'index'), path.join(project, '.git', 'index'));
}

/** The project's git config includes a config file outside the roots (which names a marker program). */
export async function includeOutside(project: string, outsideDir: string, marks: Markers): Promise<void> {
  await initRepository(project);
  await mkdir(outsideDir, { recursive: true });
  const included = path.join(outsideDir, 'included.gitconfig');
  await writeFile(included, `[core]\n\tfsmonitor = ${await marks.script('included.fsmonitor')}\n`);
  fixtureGit(project, 'config', 'include.path', included);
  await writeFile(path.join(project, workTreeChange.file), projectFiles['src/index.ts'] + workTreeChange.added);
  await marks.clear();
}

/**
 * An outer repository with the allowed root as a subfolder (`<outer>/root`): the outer repository
 * has a committed and an uncommitted file outside the root, and a change inside it. Returns the root.
 */
export async function subfolderOfOuterRepository(outer: string): Promise<string> {
  const root = path.join(outer, 'root');
  await initRepository(outer, {
    [outsideSecret.file]: `${outsideSecret.content}\n`,
    ...Object.fromEntries(Object.entries(projectFiles).map(([file, text]) => [`root/${file}`, text])),
  });
  fixtureGit(outer, 'commit', '-q', '--allow-empty', '-m', outsideSecret.subject);
  await writeFile(path.join(outer, outsideSecret.file), `${outsideSecret.content}\nchanged ${outsideSecret.content}\n`);
  await writeFile(path.join(root, workTreeChange.file), projectFiles['src/index.ts'] + workTreeChange.added);
  return root;
}
