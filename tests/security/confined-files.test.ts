// The confined file layer, and every development tool over a hostile project: links out of the
// root (files, directories, node_modules, reports), links to /dev/zero, a FIFO, four sparse 500 MB
// sources, a lockfile whose keys climb out, a tsconfig extending outside, a repository whose git
// config names programs. No outside byte may come back, no program may run, the process's peak
// memory must stay bounded, and an MCP ping sent meanwhile must answer within 1 s. Then the race: a
// directory swapped for a link in a loop while reads, writes and apply_fix run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../servers/config.js';
import { createSuite } from '../../servers/composition.js';
import {
  Confinement,
  ConfinedError,
  readConfinedText,
  readConfinedDirectory,
  writeConfined,
  parseJsonFile,
} from '../../tools/confined-fs.js';
import { captureLogger, connectClient, tempDir, textOf } from '../helpers.js';
import { markers, programRunningRepository } from './hostile-fixtures.js';
import { hostileProject, outsideCanary, outsideTree } from './hostile-projects.js';

const mib = 1024 * 1024;

test('the layer refuses links out, /dev/zero, FIFOs, huge files and ..; its errors never quote content', async (t) => {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  const outside = path.join(base, 'outside');
  await outsideTree(outside);
  await mkdir(project);
  await writeFile(path.join(project, 'ok.ts'), 'export const ok = 1;\n');
  await hostileProject(project, outside);
  const confinement = await Confinement.of([project]);
  const read = (relative: string) =>
    readConfinedText(path.join(project, relative), confinement, { maxBytes: 2 * mib }).then(
      (text) => ({ text }),
      (error: ConfinedError) => ({ reason: error.reason, message: error.message }),
    );
  assert.deepEqual(await read('ok.ts'), { text: 'export const ok = 1;\n' });
  const expected: Record<string, string> = {
    'src/leak.ts': 'outside',
    'linked-src/stolen.ts': 'outside',
    'src/zero.js': 'outside',
    'sub/.gitignore': 'outside',
    'src/pipe.js': 'not-a-file',
    'big/huge1.js': 'too-large',
    'src/missing.ts': 'missing',
    '../outside/secret.ts': 'outside',
    'node_modules/linked-pkg/package.json': 'outside',
    'coverage/lcov.info': 'outside',
  };
  for (const [relative, reason] of Object.entries(expected)) {
    const outcome = await read(relative);
    assert.equal('reason' in outcome && outcome.reason, reason, `${relative}: ${JSON.stringify(outcome)}`);
    assert.ok(!JSON.stringify(outcome).includes(outsideCanary), relative);
  }
  // A link whose target stays inside the root is followed (the descriptor's real path is checked).
  await mkdir(path.join(project, 'real'));
  await writeFile(path.join(project, 'real', 'inner.ts'), 'inner');
  const { symlink } = await import('node:fs/promises');
  await symlink(path.join(project, 'real'), path.join(project, 'alias'));
  assert.deepEqual(await read('alias/inner.ts'), { text: 'inner' });
  // So is a file link whose real target is inside (a config linked to a shared one).
  await symlink(path.join(project, 'real', 'inner.ts'), path.join(project, 'inner-link.ts'));
  assert.deepEqual(await read('inner-link.ts'), { text: 'inner' });
  // A root reached through a link (as /tmp is on macOS) confines by both names.
  await symlink(project, path.join(base, 'project-alias'));
  const viaAlias = await Confinement.of([path.join(base, 'project-alias')]);
  assert.equal(
    await readConfinedText(path.join(base, 'project-alias', 'ok.ts'), viaAlias, { maxBytes: mib }),
    'export const ok = 1;\n',
  );
  // Directories: a linked one is not listed.
  await assert.rejects(readConfinedDirectory(path.join(project, 'linked-src'), confinement), /symbolic link/);
  assert.ok((await readConfinedDirectory(project, confinement)).some((e) => e.name === 'ok.ts'));
  // Writes: not through a linked directory, not onto a link, not outside.
  await assert.rejects(writeConfined(path.join(project, 'linked-src', 'stolen.ts'), 'x', confinement), /link/);
  await assert.rejects(writeConfined(path.join(project, 'src', 'leak.ts'), 'x', confinement), /not a regular file/);
  await assert.rejects(writeConfined(path.join(outside, 'secret.ts'), 'x', confinement), /outside/);
  assert.match(await readFile(path.join(outside, 'secret.ts'), 'utf8'), new RegExp(outsideCanary));
  // Concurrent writes to one file (parallel apply_fix calls) each land whole.
  const writes = await Promise.allSettled(
    Array.from({ length: 20 }, (_v, i) =>
      writeConfined(path.join(project, 'ok.ts'), `export const ok = ${i};\n`, confinement),
    ),
  );
  assert.deepEqual(
    writes.filter((w) => w.status === 'rejected'),
    [],
  );
  assert.match(await readFile(path.join(project, 'ok.ts'), 'utf8'), /^export const ok = \d+;\n$/);
  await writeConfined(path.join(project, 'ok.ts'), 'export const ok = 2;\n', confinement);
  assert.equal(await readFile(path.join(project, 'ok.ts'), 'utf8'), 'export const ok = 2;\n');
  assert.deepEqual(
    (await readdir(project)).filter((n) => n.endsWith('.tmp')),
    [],
    'no temporary file is left behind',
  );
  // JSON errors name the file and the position, never the text (V8's own message quotes it).
  assert.throws(() => JSON.parse(`${outsideCanary} x`), new RegExp(outsideCanary.slice(0, 5)));
  assert.throws(
    () => parseJsonFile(`${outsideCanary} x`, 'package.json'),
    (error: Error) => /package.json is not valid JSON/.test(error.message) && !error.message.includes('OUTSIDE'),
  );
});

type Client = Awaited<ReturnType<typeof connectClient>>;

/** Pings the server every 100 ms while `work` runs; returns the slowest answer. */
async function whilePinging<T>(client: Client, work: () => Promise<T>): Promise<{ value: T; slowestPingMs: number }> {
  let slowest = 0;
  let running = true;
  const pinger = (async () => {
    while (running) {
      const started = performance.now();
      await client.ping();
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    return { value: await work(), slowestPingMs: slowest };
  } finally {
    running = false;
    await pinger;
  }
}

test('every development tool over a hostile project: no outside byte, no program, bounded memory, ping within 1 s', async (t) => {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  const outside = path.join(base, 'outside');
  const marks = await markers(path.join(base, 'markers'));
  await programRunningRepository(project, marks);
  await outsideTree(outside);
  await hostileProject(project, outside);
  const dataDir = path.join(base, 'data');
  const { config } = loadConfig(
    {},
    { HOME: base, CAELUM_MOUNT_DEFAULTS: '0', CAELUM_DATA_DIR: dataDir, CAELUM_ALLOWED_ROOTS: project },
    project,
  );
  const suite = createSuite(config, { logger: captureLogger().logger });
  t.after(() => suite.close());
  const client = await connectClient(t, suite);

  // Every read-only development tool on each of its examples (they name ".", the hostile project),
  // plus calls aimed straight at the hostile paths.
  const calls: [string, Record<string, unknown>][] = [];
  for (const tool of suite.registry.all()) {
    if (!tool.name.startsWith('development_') || tool.kind.effect !== 'readOnly') continue;
    for (const example of tool.examples)
      calls.push([
        tool.name,
        tool.name === 'development_audit_vulnerabilities' ? { ...example, timeoutSeconds: 5 } : example,
      ]);
  }
  calls.push(
    ['development_outline_file', { path: '.', file: 'src/leak.ts' }],
    ['development_outline_file', { path: '.', file: 'src/zero.js' }],
    ['development_outline_file', { path: '.', file: 'linked-src/stolen.ts' }],
    ['development_analyze_complexity', { path: 'linked-src' }],
    ['development_analyze_complexity', { path: 'big' }],
    ['development_list_symbols', { path: 'src/leak.ts' }],
    ['development_list_symbols', { path: 'src/pipe.js' }],
    ['development_read_coverage', { path: '.', report: 'coverage/lcov.info' }],
    ['development_parse_test_results', { file: 'reports/results.xml' }],
    ['development_parse_test_results', { file: 'src/pipe.js' }],
    ['development_audit_tsconfig', { path: '.', config: 'tsconfig.strict.json' }],
    ['development_scan_security', { path: '.', paths: ['linked-src/**', 'src/**'] }],
    ['development_git_blame', { path: '.', file: 'src/leak.ts' }],
    ['knowledge_base_import_graph', { path: 'graph.json' }],
  );
  const before = process.resourceUsage().maxRSS * 1024;
  const seen: string[] = [];
  const { slowestPingMs } = await whilePinging(client, async () => {
    for (const [name, args] of calls) {
      const result = await client.callTool({ name: 'runTool', arguments: { name, arguments: args, confirm: true } });
      const everything = `${textOf(result)}\n${JSON.stringify(result.structuredContent ?? {})}`;
      assert.ok(!everything.includes(outsideCanary), `${name} ${JSON.stringify(args)} returned outside content`);
      seen.push(`${name}${result.isError ? ' (error)' : ''}`);
    }
  });
  const peakGrowth = process.resourceUsage().maxRSS * 1024 - before;
  t.diagnostic(
    `${calls.length} calls; peak RSS growth ${(peakGrowth / mib).toFixed(0)} MiB; slowest ping ${slowestPingMs.toFixed(0)} ms`,
  );
  assert.ok(calls.length >= 40, `only ${calls.length} calls`);
  assert.deepEqual(await marks.fired(), [], 'a program named by the repository ran');
  assert.ok(peakGrowth < 512 * mib, `peak memory grew by ${(peakGrowth / mib).toFixed(0)} MiB`);
  assert.ok(slowestPingMs < 1000, `a ping took ${slowestPingMs.toFixed(0)} ms`);
  // The tools still did their work on the real files inside.
  const scan = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_scan_security', arguments: { path: '.' } },
  });
  assert.match(textOf(scan), /app\.js/, 'the TLS finding inside the project is still reported');
  const tsconfig = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_audit_tsconfig', arguments: { path: '.' } },
  });
  assert.match(textOf(tsconfig), /resolves outside the allowed roots; it is not read/, textOf(tsconfig));
  const scripts = await client.callTool({
    name: 'runTool',
    arguments: { name: 'development_list_install_scripts', arguments: { path: '.' } },
  });
  assert.ok(!textOf(scripts).includes(outsideCanary));
});

/**
 * A child process that swaps `dir` for a link to `target` and back until killed: the real directory
 * for 1–12 ms, then the link for 0.2–3 ms, at random, so operations of every length meet both.
 */
function startSwapper(dir: string, target: string) {
  const script = `
    const fs = require('node:fs');
    const [dir, target] = process.argv.slice(-2);
    const aside = dir + '.aside';
    const cell = new Int32Array(new SharedArrayBuffer(4));
    const sleep = (min, max) => Atomics.wait(cell, 0, 0, min + Math.random() * (max - min));
    process.send('ready');
    for (;;) {
      sleep(1, 12);
      try { fs.renameSync(dir, aside); fs.symlinkSync(target, dir); } catch {}
      sleep(0.2, 3);
      try { fs.unlinkSync(dir); fs.renameSync(aside, dir); } catch {}
    }`;
  const child = spawn(process.execPath, ['-e', script, dir, target], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return {
    ready: new Promise((resolve) => child.once('message', resolve)),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

test(
  'race: a directory swapped for a link in a loop; 1,000 reads, 1,000 writes and apply_fix never escape',
  { timeout: 180_000 },
  async (t) => {
    const base = await realpath(await tempDir(t));
    const project = path.join(base, 'project');
    const outside = path.join(base, 'outside');
    const vulnerable =
      "const https = require('https');\nfunction get(url) {\n  return https.get(url, { rejectUnauthorized: false });\n}\nmodule.exports = { get };\n";
    await mkdir(path.join(project, 'sub'), { recursive: true });
    await mkdir(path.join(outside, 'sub'), { recursive: true });
    await writeFile(path.join(project, 'sub', 'a.txt'), 'inside');
    await writeFile(path.join(outside, 'sub', 'a.txt'), outsideCanary);
    // The same vulnerable file on both sides: a fix that escaped would change the outside copy.
    await writeFile(path.join(project, 'sub', 'client.js'), vulnerable);
    await writeFile(path.join(outside, 'sub', 'client.js'), vulnerable);
    const swapper = startSwapper(path.join(project, 'sub'), path.join(outside, 'sub'));
    // Stopped in finally, before the temporary directory is removed: a swap in flight would break rm.
    try {
      await swapper.ready;
      await raceAgainst(t, base, project, outside, vulnerable);
    } finally {
      await swapper.stop();
    }
  },
);

async function raceAgainst(
  t: { after(fn: () => Promise<void> | void): void; diagnostic(message: string): void },
  base: string,
  project: string,
  outside: string,
  vulnerable: string,
): Promise<void> {
  const confinement = await Confinement.of([project]);

  let naiveEscapes = 0;
  const counts = { read: 0, refused: 0, written: 0, writeRefused: 0 };
  for (let i = 0; i < 1000; i++) {
    // The check-then-use that the layer replaces: realpath, check, then open by name.
    try {
      const real = await realpath(path.join(project, 'sub', 'a.txt'));
      if (real.startsWith(project + path.sep) && (await readFile(real, 'utf8').catch(() => '')) === outsideCanary)
        naiveEscapes++;
      else if (real.startsWith(project + path.sep)) {
        const again = await readFile(path.join(project, 'sub', 'a.txt'), 'utf8').catch(() => '');
        if (again === outsideCanary) naiveEscapes++;
      }
    } catch {
      // Mid-swap: nothing there.
    }
    try {
      const text = await readConfinedText(path.join(project, 'sub', 'a.txt'), confinement, { maxBytes: mib });
      assert.equal(text, 'inside', `read ${i} escaped`);
      counts.read++;
    } catch (error) {
      if (!(error instanceof ConfinedError)) throw error;
      counts.refused++;
    }
    try {
      await writeConfined(path.join(project, 'sub', 'a.txt'), 'inside', confinement);
      counts.written++;
    } catch (error) {
      if (!(error instanceof ConfinedError)) throw error;
      counts.writeRefused++;
    }
  }
  assert.equal(await readFile(path.join(outside, 'sub', 'a.txt'), 'utf8'), outsideCanary, 'a write escaped');
  t.diagnostic(`layer: ${JSON.stringify(counts)}; the naive check-then-read escaped ${naiveEscapes} times in 1,000`);
  assert.ok(counts.read > 0 && counts.refused > 0, 'the swap must both succeed and fail for the test to mean anything');
  assert.ok(counts.written > 0, 'some writes must land inside');
  assert.ok(naiveEscapes > 0, 'the naive check-then-read never escaped: the swap is not exercising the race');

  // apply_fix through the real tool, with the same swapping going on.
  const dataDir = path.join(base, 'data');
  const { config } = loadConfig(
    {},
    { HOME: base, CAELUM_MOUNT_DEFAULTS: '0', CAELUM_DATA_DIR: dataDir, CAELUM_ALLOWED_ROOTS: project },
    project,
  );
  const suite = createSuite(config, { logger: captureLogger().logger });
  t.after(() => suite.close());
  const context = suite.dispatcher.context({});
  let applied = 0;
  for (let i = 0; i < 100; i++) {
    const listed = await suite.dispatcher.router.invoke(
      'development_apply_fix',
      { path: '.', file: 'sub/client.js' },
      context,
      { confirm: true },
    );
    const fix = listed.ok
      ? (listed.output as { fixable: { id: string; rule: string }[] }).fixable.find(
          (f) => f.rule === 'tls-verification-disabled',
        )
      : undefined;
    if (fix) {
      const outcome = await suite.dispatcher.router.invoke(
        'development_apply_fix',
        { path: '.', file: 'sub/client.js', findingId: fix.id },
        context,
        { confirm: true },
      );
      if (outcome.ok && (outcome.output as { applied: boolean }).applied) applied++;
    }
    // Put the vulnerable text back on whichever side is real now (the outside copy is identical).
    for (const candidate of [path.join(project, 'sub.aside', 'client.js'), path.join(project, 'sub', 'client.js')]) {
      const real = await realpath(candidate).catch(() => undefined);
      if (real?.startsWith(project + path.sep)) await writeFile(real, vulnerable).catch(() => undefined);
    }
  }
  assert.equal(await readFile(path.join(outside, 'sub', 'client.js'), 'utf8'), vulnerable, 'apply_fix wrote outside');
  assert.deepEqual(
    (await readdir(path.join(outside, 'sub'))).sort(),
    ['a.txt', 'client.js'],
    'nothing created outside',
  );
  t.diagnostic(`apply_fix applied ${applied} of 100 tries inside; none escaped`);
  assert.ok(applied > 0, 'apply_fix never applied: the race did not exercise its write');
}

test('inside the roots, links and monorepo bases are followed: a package extends the root tsconfig', async (t) => {
  const base = await tempDir(t);
  const mono = path.join(base, 'mono');
  await mkdir(path.join(mono, 'packages', 'app', 'src'), { recursive: true });
  await writeFile(
    path.join(mono, 'tsconfig.base.json'),
    JSON.stringify({ compilerOptions: { strict: true, noUncheckedIndexedAccess: true } }),
  );
  await writeFile(path.join(mono, 'packages', 'app', 'src', 'index.ts'), 'export const a = 1;\n');
  await writeFile(
    path.join(mono, 'packages', 'app', 'tsconfig.json'),
    JSON.stringify({ extends: '../../tsconfig.base.json' }),
  );
  const { symlink } = await import('node:fs/promises');
  await symlink(
    path.join(mono, 'packages', 'app', 'tsconfig.json'),
    path.join(mono, 'packages', 'app', 'tsconfig.link.json'),
  );
  const { config } = loadConfig(
    {},
    { HOME: base, CAELUM_MOUNT_DEFAULTS: '0', CAELUM_DATA_DIR: path.join(base, 'data'), CAELUM_ALLOWED_ROOTS: mono },
    mono,
  );
  const suite = createSuite(config, { logger: captureLogger().logger });
  t.after(() => suite.close());
  const context = suite.dispatcher.context({});
  for (const name of ['tsconfig.json', 'tsconfig.link.json']) {
    const outcome = await suite.dispatcher.router.invoke(
      'development_audit_tsconfig',
      { path: 'packages/app', config: name },
      context,
    );
    assert.ok(outcome.ok, JSON.stringify(outcome));
    const output = outcome.output as {
      found: boolean;
      errors: string[];
      options: { option: string; effective: boolean }[];
    };
    assert.equal(output.found, true, name);
    assert.deepEqual(output.errors, [], name);
    assert.equal(
      output.options.find((o) => o.option === 'strict')?.effective,
      true,
      `${name}: the base's strict is seen`,
    );
  }
});
