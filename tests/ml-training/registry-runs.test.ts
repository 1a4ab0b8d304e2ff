// Runs in the registry: the lifecycle with metrics over time, status and metrics folded from a linked
// job (each job state), and what survives on disk: a reopened store reads the same run, and a torn
// last line in a log (a kill -9 mid-append) neither hides earlier points nor spoils later ones.
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../tools/errors.js';
import type { JobRecord } from '../../tools/ml-training/jobs/executor.js';
import {
  createRun,
  getRun,
  linkRunToJob,
  listRuns,
  logRun,
  registerModel,
  type RegistryEnvironment,
} from '../../tools/ml-training/registry/registry.js';
import { RegistryStore } from '../../tools/ml-training/registry/registry-store.js';
import { repoRoot, tempDir } from '../helpers.js';
import { writeJobFiles } from './registry-fixture.js';

async function environment(t: Parameters<typeof tempDir>[0]): Promise<RegistryEnvironment & { project: string }> {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  await mkdir(project, { recursive: true });
  return { dataDir: path.join(base, 'data'), allowedRoots: [project], codeVersion: '1.2.3-test', project };
}

test('a run records params, the dataset manifest, metrics over time, artifacts and its end', async (t) => {
  const env = await environment(t);
  const dataset = path.join(env.project, 'datasets', 'concepts');
  await mkdir(dataset, { recursive: true });
  const manifest = { name: 'concepts', rows: 3, dimension: 8, splits: { train: 2, validation: 0, test: 1 } };
  await writeFile(path.join(dataset, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(path.join(env.project, 'model.safetensors'), Buffer.from('weights'));

  const { run } = await createRun(env, {
    name: 'profile-mlp',
    params: { learning_rate: 0.01, epochs: 3, optimiser: 'adam' },
    dataset: 'datasets/concepts',
  });
  assert.match(run.runId, /^[0-9a-f]{32}$/);
  assert.equal(run.status, 'RUNNING');
  assert.equal(run.codeVersion, '1.2.3-test');
  assert.deepEqual(run.dataManifest?.manifest, manifest);
  assert.match(run.dataManifest!.sha256, /^[0-9a-f]{64}$/);

  for (let step = 0; step < 3; step += 1)
    await logRun(env, {
      runId: run.runId,
      metrics: [{ step, values: { loss: 1 / (step + 1), val_loss: 1.1 / (step + 1) } }],
    });
  const ended = await logRun(env, { runId: run.runId, artifacts: ['model.safetensors'], status: 'FINISHED' });
  assert.equal(ended.run.status, 'FINISHED');
  assert.ok(ended.run.endedAt);
  assert.deepEqual(
    ended.run.metrics.map((p) => [p.step, p.values.loss]),
    [
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ],
  );
  assert.ok(ended.run.metrics.every((p) => typeof p.timestamp === 'number'));
  assert.deepEqual(ended.run.latestMetrics.loss, { value: 1 / 3, step: 2 });
  assert.equal(ended.run.artifacts[0]!.bytes, 7);
  assert.equal(ended.run.artifacts[0]!.sha256, createHash('sha256').update('weights').digest('hex'));

  // An ended run keeps its status; logging more points is still allowed.
  await assert.rejects(logRun(env, { runId: run.runId, status: 'FAILED' }), /already FINISHED/);
  const listed = await listRuns(env, { status: 'FINISHED' });
  assert.deepEqual(
    listed.runs.map((r) => r.runId),
    [run.runId],
  );
  assert.equal((await listRuns(env, { status: 'RUNNING' })).runs.length, 0);
});

test('bad run input is refused naming the field', async (t) => {
  const env = await environment(t);
  await assert.rejects(getRun(env, 'nope-nope-nope'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.field, 'runId');
    assert.match(e.message, /no run "nope-nope-nope"/);
    return true;
  });
  await assert.rejects(
    createRun(env, { name: 'x', params: { big: 'a'.repeat(6001) } }),
    /params\.big: is 6001 characters/,
  );
  await assert.rejects(createRun(env, { name: 'x', dataset: 'missing-dir/x' }), /dataset: .*does not exist/);
  await assert.rejects(createRun(env, { name: 'x', jobId: '../etc' }), /jobId: .*not a job id/);
  const { run } = await createRun(env, { name: 'x' });
  await assert.rejects(
    logRun(env, { runId: run.runId, artifacts: ['/etc/passwd'] }),
    /artifacts\.0: .*outside the allowed roots/,
  );
  await assert.rejects(
    logRun(env, { runId: run.runId, metrics: [{ step: 0, values: { loss: Number.NaN } }] }),
    /metrics\.0\.values\.loss: must be a finite number/,
  );
});

test("a job-linked run takes each job state's status and the job's metrics, tolerating a torn last line", async (t) => {
  const env = await environment(t);
  const cases = [
    ['PENDING', 'RUNNING'],
    ['RUNNING', 'RUNNING'],
    ['SUCCEEDED', 'FINISHED'],
    ['FAILED', 'FAILED'],
    ['LOST', 'FAILED'],
    ['STOPPED', 'KILLED'],
  ] as const;
  for (const [state, status] of cases) {
    const jobId = `job-${state.toLowerCase()}`;
    const terminal = state !== 'PENDING' && state !== 'RUNNING';
    await writeJobFiles(
      env.dataDir,
      jobId,
      { state, ...(terminal ? { endedAt: '2026-12-03T11:00:00.000Z', exitCode: state === 'FAILED' ? 3 : 0 } : {}) },
      '{"step": 0, "loss": 0.9, "accuracy": 0.5}\n{"step": 1, "loss": 0.6}\n{"step": 2, "lo',
    );
    const { run: created } = await createRun(env, { name: 'linked', jobId });
    const { run } = await getRun(env, created.runId);
    assert.equal(run.status, status, state);
    assert.deepEqual(run.job && run.job.found && run.job.state, state);
    assert.deepEqual(
      run.metrics.map((p) => [p.source, p.step, p.values]),
      [
        ['job', 0, { loss: 0.9, accuracy: 0.5 }],
        ['job', 1, { loss: 0.6 }],
      ],
    );
    assert.equal(run.job?.found && run.job.skippedMetricLines, 1);
    if (terminal) assert.equal(run.endedAt, '2026-12-03T11:00:00.000Z');
    await assert.rejects(
      logRun(env, { runId: run.runId, status: status === 'FAILED' ? 'FINISHED' : 'FAILED' }),
      /reports from job/,
    );
  }
  // A run created before its job is linked afterwards; it keeps its first job.
  const { run: first } = await createRun(env, { name: 'linked-later' });
  const linked = await linkRunToJob(env, first.runId, 'job-stopped');
  assert.equal(linked.run.status, 'KILLED');
  await assert.rejects(
    linkRunToJob(env, first.runId, 'job-failed'),
    /jobId: run .* already reports from job job-stopped/,
  );

  // A job kept elsewhere (a Ray job) is read through the supervisor's lookup instead of the data dir.
  const { run: remote } = await createRun(env, { name: 'on-ray', jobId: 'raysubmit_abc' });
  const viaRay = await getRun(
    {
      ...env,
      readJob: async (jobId) =>
        jobId === 'raysubmit_abc'
          ? ({ jobId, state: 'SUCCEEDED', endedAt: '2026-12-03T13:00:00.000Z' } as JobRecord)
          : undefined,
    },
    remote.runId,
  );
  assert.equal(viaRay.run.status, 'FINISHED');
  assert.equal(viaRay.run.endedAt, '2026-12-03T13:00:00.000Z');

  // A state this registry does not know (a newer executor's) leaves the status as it was.
  await writeJobFiles(env.dataDir, 'job-new-state', { state: 'PREEMPTED' });
  const { run: odd } = await createRun(env, { name: 'odd', jobId: 'job-new-state' });
  assert.equal((await getRun(env, odd.runId)).run.status, 'RUNNING');

  // A dataset prepared into the data dir is found by its name.
  const prepared = path.join(env.dataDir, 'ml-training', 'datasets', 'concepts');
  await mkdir(prepared, { recursive: true });
  await writeFile(path.join(prepared, 'manifest.json'), '{"name":"concepts","rows":2}');
  const named = await createRun(env, { name: 'from-data-dir', dataset: 'concepts' });
  assert.deepEqual(named.run.dataManifest?.manifest, { name: 'concepts', rows: 2 });
  assert.equal(named.run.dataManifest?.path, prepared);

  // Listing folds the job state too.
  assert.equal((await listRuns(env, { status: 'KILLED' })).runs[0]!.jobId, 'job-stopped');

  // A job that has no record yet leaves the run RUNNING; once the job ends, the run follows.
  const { run: early } = await createRun(env, { name: 'early', jobId: 'job-later' });
  assert.deepEqual((await getRun(env, early.runId)).run.job, { found: false });
  assert.equal((await getRun(env, early.runId)).run.status, 'RUNNING');
  await writeJobFiles(env.dataDir, 'job-later', { state: 'STOPPED', endedAt: '2026-12-03T12:00:00.000Z' });
  assert.equal((await getRun(env, early.runId)).run.status, 'KILLED');
  // The folded status is persisted, so it survives the job's directory going away.
  const onDisk = await new RegistryStore(env.dataDir).readRun(early.runId);
  assert.equal(onDisk?.status, 'KILLED');
});

test('runs persist across a reopen, and a torn line in the metric log spoils nothing', async (t) => {
  const env = await environment(t);
  const { run } = await createRun(env, { name: 'persisted', params: { seed: 7 } });
  await logRun(env, { runId: run.runId, metrics: [{ step: 0, values: { loss: 2 } }] });
  const file = path.join(env.dataDir, 'ml-training', 'registry', 'runs', run.runId, 'metrics.jsonl');
  // What a kill -9 in the middle of an append leaves behind.
  await appendFile(file, '{"step":1,"timestamp":17,"val');
  await logRun(env, { runId: run.runId, metrics: [{ step: 2, values: { loss: 1 } }] });
  const text = await readFile(file, 'utf8');
  assert.equal(text.split('\n').filter(Boolean).length, 3, 'the next append starts on a new line');

  const reopened = new RegistryStore(env.dataDir);
  const record = await reopened.readRun(run.runId);
  assert.deepEqual(record?.params, { seed: 7 });
  assert.deepEqual(
    (await reopened.readMetrics(run.runId)).map((p) => p.step),
    [0, 2],
  );
  const events = await reopened.readEvents();
  assert.deepEqual(
    events.map((e) => e.event),
    ['run_created'],
  );
  // No temporary files are left beside the records.
  assert.deepEqual((await readdir(path.dirname(file))).sort(), ['metrics.jsonl', 'run.json']);
});

test('concurrent writers to one run or one model lose nothing', async (t) => {
  const env = await environment(t);
  for (let i = 0; i < 12; i += 1) await writeFile(path.join(env.project, `a${i}.bin`), `artifact ${i}`);
  const { run } = await createRun(env, { name: 'busy' });
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      logRun(env, { runId: run.runId, artifacts: [`a${i}.bin`], metrics: [{ step: i, values: { loss: i } }] }),
    ),
  );
  const { run: after } = await getRun(env, run.runId);
  assert.equal(after.artifacts.length, 12);
  assert.deepEqual(
    after.metrics.map((p) => p.step).sort((a, b) => a - b),
    Array.from({ length: 12 }, (_, i) => i),
  );
  const versions = await Promise.all(
    Array.from({ length: 8 }, (_, i) => registerModel(env, { name: 'busy-model', artifact: `a${i}.bin` })),
  );
  assert.deepEqual(
    versions.map((v) => v.version.version).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test('a writer killed with SIGKILL mid-stream leaves a readable run that takes further points', async (t) => {
  const env = await environment(t);
  const { run } = await createRun(env, { name: 'killed-writer' });
  const script = path.join(env.project, 'writer.mjs');
  const registryModule = pathToFileURL(path.join(repoRoot, 'tools/ml-training/registry/registry.ts')).href;
  await writeFile(
    script,
    `import { logRun } from ${JSON.stringify(registryModule)};\n` +
      `const [env, runId] = [JSON.parse(process.argv[2]), process.argv[3]];\n` +
      `for (let step = 0; ; step += 1) await logRun(env, { runId, metrics: [{ step, values: { loss: step, pad: Math.random() } }] });\n`,
  );
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, JSON.stringify({ dataDir: env.dataDir, allowedRoots: env.allowedRoots }), run.runId],
    { cwd: repoRoot, stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const store = new RegistryStore(env.dataDir);
  while ((await store.readMetrics(run.runId)).length < 40) {
    if (child.exitCode !== null) assert.fail(`the writer exited early with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  const [, signal] = await exited;
  assert.equal(signal, 'SIGKILL');

  const steps = (await store.readMetrics(run.runId)).map((p) => p.step);
  assert.ok(steps.length >= 40);
  assert.deepEqual(
    steps,
    Array.from({ length: steps.length }, (_, i) => i),
    'every whole line is a point, in order',
  );
  await logRun(env, { runId: run.runId, metrics: [{ step: 100_000, values: { loss: 0 } }] });
  const { run: after } = await getRun(env, run.runId);
  assert.equal(after.metrics.at(-1)!.step, 100_000);
  assert.equal(after.status, 'RUNNING');
});
