// Every git-using tool, through the real MCP handlers, over hostile repositories built at test time:
// no program named by a repository runs, nothing outside the allowed roots is shown, and the tools
// still give correct results on a repository whose hostile settings they neutralise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../servers/config.js';
import { createSuite } from '../../servers/composition.js';
import { findRepository, SAFE_DIFF_FLAGS } from '../../tools/development/git.js';
import { captureLogger, connectClient, tempDir, textOf } from '../helpers.js';
import {
  alternatesOutside,
  commondirOutside,
  fixtureGit,
  gitFileOutside,
  includeOutside,
  indexLinkedOutside,
  initRepository,
  markers,
  outsideRepository,
  outsideSecret,
  programRunningRepository,
  subfolderOfOuterRepository,
  workTreeChange,
  worktreeOutside,
  type Markers,
} from './hostile-fixtures.js';

type Client = Awaited<ReturnType<typeof connectClient>>;

async function clientFor(t: Parameters<typeof tempDir>[0], root: string, dataDir: string): Promise<Client> {
  const { config } = loadConfig(
    {},
    { HOME: dataDir, CAELUM_MOUNT_DEFAULTS: '0', CAELUM_DATA_DIR: dataDir, CAELUM_ALLOWED_ROOTS: root },
    root,
  );
  const suite = createSuite(config, { logger: captureLogger().logger });
  return connectClient(t, suite);
}

interface Outcome {
  name: string;
  isError: boolean;
  /** The tool's text content. */
  message: string;
  /** Text and structured content together: everything the caller sees. */
  text: string;
  result: Record<string, unknown>;
}

/** Runs every git-using tool once; internal tools through runTool, the high-level ones directly. */
async function runEveryGitTool(client: Client): Promise<Outcome[]> {
  const calls: [string, Record<string, unknown>][] = [
    ['development_git_status', {}],
    ['development_git_diff', {}],
    ['development_git_blame', { file: 'src/data.txt' }],
    ['development_git_log', {}],
    ['development_git_churn', {}],
    ['development_git_show_commit', {}],
    ['development_find_hotspots', {}],
    ['development_scan_secrets', {}],
    ['analyzeAndImproveCode', { changedSince: 'HEAD', aiReview: 0, task: 'security_scan' }],
    ['analyzeAndImproveCode', { aiReview: 0 }],
    ['reviewChanges', { aiReview: 0 }],
  ];
  const outcomes: Outcome[] = [];
  for (const [name, args] of calls) {
    const result = name.startsWith('development_')
      ? await client.callTool({ name: 'runTool', arguments: { name, arguments: args } })
      : await client.callTool({ name, arguments: args });
    const structured = (result.structuredContent ?? {}) as Record<string, unknown>;
    outcomes.push({
      name: `${name}${args.changedSince ? '+changedSince' : ''}`,
      isError: result.isError === true,
      message: textOf(result),
      text: `${textOf(result)}\n${JSON.stringify(structured)}`,
      result: name.startsWith('development_') ? ((structured.result ?? {}) as Record<string, unknown>) : structured,
    });
  }
  return outcomes;
}

function assertNothingFromOutside(outcomes: Outcome[]): void {
  for (const outcome of outcomes)
    for (const secret of [outsideSecret.file, outsideSecret.content, outsideSecret.subject])
      assert.ok(!outcome.text.includes(secret), `${outcome.name} returned "${secret}" from outside the root`);
}

async function assertNothingRan(marks: Markers): Promise<void> {
  assert.deepEqual(await marks.fired(), [], 'programs named by the repository ran');
}

const byName = (outcomes: Outcome[], name: string) => outcomes.find((o) => o.name === name)!;

test('a repository naming programs in its config and .gitattributes: nothing runs, the tools still work', async (t) => {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  const marks = await markers(path.join(base, 'markers'));
  const keys = await programRunningRepository(project, marks);
  assert.ok(keys.includes('core.fsmonitor') && keys.includes('filter.evil.process'));
  const client = await clientFor(t, project, path.join(base, 'data'));
  const outcomes = await runEveryGitTool(client);
  await assertNothingRan(marks);
  for (const outcome of outcomes) assert.equal(outcome.isError, false, `${outcome.name}: ${outcome.text}`);
  // The control: plain git on the same fixture runs the programs, so "nothing ran" above means something.
  {
    const control = path.join(base, 'control');
    const controlMarks = await markers(path.join(base, 'control-markers'));
    await programRunningRepository(control, controlMarks);
    // Plain git may fail after running them (the marker filter does not speak the process protocol).
    for (const args of [
      ['status', '--porcelain'],
      ['diff', 'HEAD'],
      ['log', '-1'],
    ])
      try {
        fixtureGit(control, ...args);
      } catch {
        // what ran is what counts
      }
    const fired = await controlMarks.fired();
    for (const expected of ['core.fsmonitor', 'gpg.'])
      assert.ok(
        fired.some((name) => name.startsWith(expected)),
        `plain git did not run ${expected}: ${fired.join(', ')}`,
      );
    assert.ok(
      fired.some((name) => name.startsWith('filter.')),
      `plain git did not run a filter: ${fired.join(', ')}`,
    );
  }

  const status = byName(outcomes, 'development_git_status').result as {
    branch: string;
    files: { path: string; staged: string; unstaged: string }[];
  };
  assert.equal(status.branch, 'main');
  assert.deepEqual(status.files.map((f) => `${f.unstaged} ${f.path}`).sort(), [
    '? src/untracked.ts',
    'M src/data.txt',
    'M src/index.ts',
  ]);

  const diff = byName(outcomes, 'development_git_diff').result as {
    diff: string;
    files: { path: string; ranges: number[][] }[];
  };
  assert.match(diff.diff, /\+ {2}return require\('child_process'\)\.exec\(cmd\);/);
  assert.match(diff.diff, new RegExp(`\\+${workTreeChange.dataLine}`));
  assert.ok(!diff.diff.includes('\x1b['), 'colour codes forced by color.ui=always are off');
  assert.deepEqual(
    diff.files.map((f) => `${f.path}:${JSON.stringify(f.ranges)}`),
    ['src/data.txt:[[2,2]]', 'src/index.ts:[[4,6]]', `src/untracked.ts:[[1,2147483647]]`],
  );

  const blame = byName(outcomes, 'development_git_blame').result as {
    runs: { startLine: number; endLine: number; subject: string }[];
    authors: Record<string, number>;
  };
  assert.deepEqual(blame.authors, { 'Fixture Author': 2, '(not committed yet)': 1 });
  assert.deepEqual(
    blame.runs.map((r) => `${r.startLine}-${r.endLine} ${r.subject}`),
    ['1-1 initial project', '2-2 ', '3-3 attributes and data'],
  );

  const log = byName(outcomes, 'development_git_log').result as { commits: { subject: string; files: number }[] };
  assert.deepEqual(
    log.commits.map((c) => `${c.subject}:${c.files}`),
    ['attributes and data:2', 'initial project:3'],
  );

  const churn = byName(outcomes, 'development_git_churn').result as { files: { path: string; commits: number }[] };
  assert.deepEqual(churn.files[0], { path: 'src/data.txt', commits: 2 });

  const show = byName(outcomes, 'development_git_show_commit').result as {
    message: string;
    files: { path: string }[];
    patch: string;
  };
  assert.equal(show.message, 'attributes and data');
  assert.deepEqual(show.files.map((f) => f.path).sort(), ['.gitattributes', 'src/data.txt']);
  assert.match(show.patch, /\+third line/);

  assert.equal((byName(outcomes, 'development_find_hotspots').result as { gitAvailable: boolean }).gitAvailable, true);
  const changed = byName(outcomes, 'analyzeAndImproveCode+changedSince').result as { changedFiles?: string[] };
  assert.deepEqual(changed.changedFiles?.sort(), ['src/data.txt', 'src/index.ts', 'src/untracked.ts']);
  const review = byName(outcomes, 'reviewChanges').result as { changedFiles?: string[] };
  assert.deepEqual(review.changedFiles?.sort(), ['src/data.txt', 'src/index.ts', 'src/untracked.ts']);
});

const redirections: [string, RegExp, (project: string, outside: string, marks: Markers) => Promise<void>][] = [
  [
    'a .git file naming an outside git directory',
    /has its git directory at .*outside the allowed roots/,
    (project, outside) => gitFileOutside(project, outside),
  ],
  [
    'a commondir file naming an outside git directory',
    /has its common git directory at .*outside the allowed roots/,
    (project, outside) => commondirOutside(project, outside),
  ],
  [
    'alternates naming an outside object store',
    /has its alternate object store at .*outside the allowed roots/,
    (project, outside) => alternatesOutside(project, outside),
  ],
  [
    'core.worktree naming a directory above the root',
    /has its work tree at .*outside the allowed roots/,
    (project) => worktreeOutside(project),
  ],
  [
    'an index linked to the outside repository',
    /has its git data linked at .*index -> .*outside the allowed roots/,
    (project, outside) => indexLinkedOutside(project, outside),
  ],
  [
    'include.path naming an outside config file',
    /includes .*included\.gitconfig, outside the allowed roots/,
    (project, outside, marks) => includeOutside(project, path.join(outside, 'config-dir'), marks),
  ],
];

for (const [title, refusal, build] of redirections) {
  test(`${title}: git tools refuse the repository and show nothing from outside`, async (t) => {
    const base = await tempDir(t);
    const project = path.join(base, 'project');
    const outside = await outsideRepository(path.join(base, 'outside'));
    const marks = await markers(path.join(base, 'markers'));
    await build(project, outside, marks);
    const client = await clientFor(t, project, path.join(base, 'data'));
    const outcomes = await runEveryGitTool(client);
    await assertNothingRan(marks);
    assertNothingFromOutside(outcomes);
    for (const name of [
      'development_git_status',
      'development_git_diff',
      'development_git_blame',
      'development_git_log',
      'development_git_churn',
      'development_git_show_commit',
      'analyzeAndImproveCode+changedSince',
    ]) {
      const outcome = byName(outcomes, name);
      assert.equal(outcome.isError, true, `${name} should refuse: ${outcome.text}`);
      assert.match(outcome.text, refusal);
      assert.ok(!outcome.message.includes('\n'), `${name}: the refusal is one line: ${outcome.message}`);
    }
    // Tools that only weigh results by git keep working without it.
    assert.equal(byName(outcomes, 'development_scan_secrets').isError, false);
    const hotspots = byName(outcomes, 'development_find_hotspots');
    assert.equal(hotspots.isError, false, hotspots.text);
    assert.equal((hotspots.result as { gitAvailable: boolean }).gitAvailable, false);
    assert.equal(byName(outcomes, 'analyzeAndImproveCode').isError, false);
  });
}

test('a root that is a subfolder of an outer repository: git stops at the root, nothing outside is shown', async (t) => {
  const base = await tempDir(t);
  const root = await subfolderOfOuterRepository(path.join(base, 'outer'));
  const client = await clientFor(t, root, path.join(base, 'data'));
  const outcomes = await runEveryGitTool(client);
  assertNothingFromOutside(outcomes);
  for (const name of ['development_git_status', 'development_git_diff', 'development_git_log'])
    assert.match(byName(outcomes, name).text, /not inside a git repository/);
  // reviewChanges falls back to reviewing every file in the root as new; hotspots go without churn.
  const review = byName(outcomes, 'reviewChanges');
  assert.equal(review.isError, false, review.text);
  assert.match(review.text, /not a git repository: every file was reviewed as new/);
  assert.equal((byName(outcomes, 'development_find_hotspots').result as { gitAvailable: boolean }).gitAvailable, false);
});

test('the runner: repositories nested in a root work; edits to the config are picked up; output is capped', async (t) => {
  const base = await tempDir(t);
  const repo = path.join(base, 'repos', 'one');
  await initRepository(repo);
  const marks = await markers(path.join(base, 'markers'));
  const access = { allowedRoots: [path.join(base, 'repos')] };
  const found = await findRepository(path.join(repo, 'src'), access);
  assert.ok(found);
  assert.equal(found.topLevel, repo);
  assert.equal(await findRepository(path.join(base, 'repos'), access), undefined, 'the root itself is no repository');
  assert.match(await found.run(['log', '--format=%s']), /initial project/);
  // A textconv driver added after a first scan is neutralised too (the scan is keyed by config stamps).
  await writeFile(path.join(repo, '.gitattributes'), '*.txt diff=late\n');
  fixtureGit(repo, 'config', 'diff.late.textconv', await marks.script('late.textconv', 'file'));
  await writeFile(path.join(repo, 'src', 'data.txt'), 'first line\nlate change\n');
  const again = (await findRepository(repo, access))!;
  // Without --no-textconv/--no-ext-diff git fails closed (the override is an empty command) ...
  await assert.rejects(again.run(['diff', 'HEAD']), /cannot run/);
  // ... and with them it gives the plain diff.
  assert.match(await again.run(['diff', 'HEAD', ...SAFE_DIFF_FLAGS]), /\+late change/);
  await assertNothingRan(marks);
  // Output caps: a capped read stops and says so; an uncapped overflow fails naming the cap.
  await mkdir(path.join(repo, 'big'), { recursive: true });
  await writeFile(path.join(repo, 'big', 'file.txt'), 'x'.repeat(200_000));
  const capped = await again.runCapped(['diff', 'HEAD', ...SAFE_DIFF_FLAGS], 10_000);
  assert.equal(capped.truncated, false, 'untracked files are not in the diff');
  fixtureGit(repo, 'add', 'big');
  const big = await again.runCapped(['diff', '--cached', ...SAFE_DIFF_FLAGS], 10_000);
  assert.equal(big.truncated, true);
  assert.equal(Buffer.byteLength(big.text), 10_000);
  await assert.rejects(
    again.run(['diff', '--cached', ...SAFE_DIFF_FLAGS], { maxBytes: 10_000 }),
    /more than 10000 bytes/,
  );
});

test('an includeIf "onbranch:" that a branch switch turns on is neutralised too (no stale config scan)', async (t) => {
  const base = await tempDir(t);
  const repo = path.join(base, 'repos', 'one');
  await initRepository(repo);
  const marks = await markers(path.join(base, 'markers'));
  const access = { allowedRoots: [path.join(base, 'repos')] };
  // Scan while on main, where the include is off.
  fixtureGit(repo, 'config', 'includeIf.onbranch:evil.path', 'evil.inc');
  const script = await marks.script('onbranch.filter', 'filter');
  await writeFile(
    path.join(repo, '.git', 'evil.inc'),
    `[filter "evil"]\n\tclean = ${script}\n\tsmudge = ${script}\n\trequired = true\n`,
  );
  await writeFile(path.join(repo, '.gitattributes'), '* filter=evil\n');
  const first = (await findRepository(repo, access))!;
  assert.match(await first.run(['status', '--porcelain']), /gitattributes/);
  // A branch switch (as the repository's owner would do) turns the include on; no config file changed.
  fixtureGit(repo, 'symbolic-ref', 'HEAD', 'refs/heads/evil');
  fixtureGit(repo, 'update-ref', 'refs/heads/evil', 'refs/heads/main');
  await writeFile(path.join(repo, 'src', 'data.txt'), 'changed after the switch\n');
  const again = (await findRepository(repo, access))!;
  await again.run(['status', '--porcelain']);
  await again.run(['diff', 'HEAD', ...SAFE_DIFF_FLAGS]);
  await assertNothingRan(marks);
  // The control: plain git on the same repository does run the included filter.
  fixtureGit(repo, 'status', '--porcelain');
  assert.ok((await marks.fired()).length > 0, 'the fixture must make plain git run the filter');
});
