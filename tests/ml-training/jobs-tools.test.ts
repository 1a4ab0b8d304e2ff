// The job tools through the router, as runTool calls them: a dry run that starts nothing, a confirmed
// job followed to its end, logs that follow only new output, stop with and without confirm, the
// output-directory rule, and the isError messages of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jobTools } from '../../tools/ml-training/jobs/job-tools.js';
import { estimateTrainingMemory } from '../../tools/ml-training/placement/memory-estimate.js';
import { planPlacement } from '../../tools/ml-training/placement/placement-tool.js';
import { closeLocalJobs } from '../../tools/ml-training/jobs/local-job-store.js';
import { testSuite } from '../helpers.js';
import { isAlive, seedJobExamples, trackJobs, waitFor } from './jobs-fixture.js';

async function jobSuite(t: Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void> | void): void }) {
  const config = { mlTraining: { jobs: { heartbeatMs: 200, stopGraceMs: 500, logTailLines: 40 } } };
  const suite = await testSuite(t, {
    files: { 'caelum.config.json': JSON.stringify(config), 'train.js': 'console.log("trained")\n' },
  });
  for (const tool of jobTools) if (!suite.registry.get(tool.name)) suite.registry.add(tool);
  const track = trackJobs(t);
  t.after(() => closeLocalJobs(suite.dataDir));
  const context = suite.dispatcher.context({});
  const call = async (name: string, args: unknown, confirm = false) => {
    const outcome = await suite.dispatcher.router.invoke(name, args, context, { confirm });
    if (!outcome.ok) return { ok: false as const, message: outcome.error.message, kind: outcome.error.kind };
    const output = outcome.output as Record<string, any>;
    if (output.job?.pid) track(output.job);
    return { ok: true as const, output, text: outcome.text };
  };
  const ok = async (name: string, args: unknown, confirm = false) => {
    const result = await call(name, args, confirm);
    assert.ok(result.ok, `${name}: ${result.ok ? '' : result.message}`);
    return result;
  };
  const fails = async (name: string, args: unknown, confirm = false) => {
    const result = await call(name, args, confirm);
    assert.equal(result.ok, false, `${name} should fail`);
    return result as { ok: false; message: string; kind: string };
  };
  const finished = (jobId: string) =>
    waitFor(`${jobId} to end`, async () => {
      const { output } = await ok('ml_training_get_job', { jobId });
      return ['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'].includes(output.job.state) ? output.job : undefined;
    });
  return { suite, call, ok, fails, finished };
}

const placement = {
  parameters: 10_000_000,
  dtype: 'fp32',
  optimizer: 'adamw',
  batchSize: 4,
  sequenceLength: 128,
  hiddenSize: 256,
  layers: 4,
  allowCpu: true,
};

test('without confirm nothing starts: a plan with the command, data, resources and "no history"', async (t) => {
  const { suite, ok } = await jobSuite(t);
  const marker = path.join(suite.project, 'started');
  await mkdir(path.join(suite.project, 'data', 'concepts'), { recursive: true });
  await writeFile(
    path.join(suite.project, 'data', 'concepts', 'manifest.json'),
    JSON.stringify({
      name: 'concepts',
      rows: 1000,
      dimension: 768,
      context: 5,
      splits: { train: 800, validation: 100, test: 100 },
      source: { kind: 'postgres', table: 'cpe_entry' },
    }),
  );
  const { output, text } = await ok('ml_training_submit_job', {
    command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`],
    outputDir: 'runs/first',
    name: 'ridge',
    dataset: 'data/concepts',
    resources: { cpus: 2, memoryMiB: 2048 },
    env: { SECRET_TOKEN: 'value-never-shown' },
    placement,
  });
  assert.equal(output.started, false);
  assert.equal(
    output.plan.estimatedMemoryBytes,
    estimateTrainingMemory(planPlacement.input.parse(placement)).totalBytes,
  );
  assert.ok(output.plan.placement.formulas.length > 0);
  assert.equal(output.job, undefined);
  assert.match(output.message, /nothing was started.*confirm: true/i);
  assert.equal(output.plan.outputDir, path.join(suite.project, 'runs', 'first'));
  assert.equal(output.plan.cwd, suite.project);
  assert.deepEqual(output.plan.data.splits, { train: 800, validation: 100, test: 100 });
  assert.equal(output.plan.data.source, 'postgres cpe_entry');
  assert.deepEqual(output.plan.resources, { cpus: 2, memoryMiB: 2048 });
  assert.match(output.plan.estimatedDuration, /^no history/);
  assert.equal(output.plan.estimatedDurationMs, null);
  assert.deepEqual(output.plan.envNames, ['SECRET_TOKEN']);
  assert.ok(!JSON.stringify(output).includes('value-never-shown') && !text.includes('value-never-shown'));
  await new Promise((resolve) => setTimeout(resolve, 400));
  await assert.rejects(access(marker), 'the command did not run');
  await assert.rejects(access(path.join(suite.project, 'runs')), 'the output directory was not created');
  assert.deepEqual(await readdir(path.join(suite.dataDir, 'ml-training', 'jobs')).catch(() => []), []);
  // A dataset prepared into the data dir is named by its name.
  const named = path.join(suite.dataDir, 'ml-training', 'datasets', 'fleet');
  await mkdir(named, { recursive: true });
  await writeFile(path.join(named, 'manifest.json'), JSON.stringify({ name: 'fleet', rows: 42, dimension: 16 }));
  const byName = await ok('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: 'runs/x',
    dataset: 'fleet',
  });
  assert.equal(byName.output.plan.data.directory, named);
  assert.equal(byName.output.plan.data.rows, 42);
});

test('with confirm the job runs to SUCCEEDED; the next plan of that name estimates from its duration', async (t) => {
  const { suite, ok, finished } = await jobSuite(t);
  const { output } = await ok('ml_training_submit_job', {
    command: [
      process.execPath,
      '-e',
      "console.log('token length:', process.env.SECRET_TOKEN.length, process.env.CAELUM_RUN_ID)",
    ],
    outputDir: 'runs/ridge',
    name: 'ridge',
    runId: 'run-7',
    env: { SECRET_TOKEN: 'value-never-shown' },
    confirm: true,
  });
  assert.equal(output.started, true);
  assert.equal(output.job.state, 'RUNNING');
  assert.equal(output.job.runId, 'run-7');
  assert.equal(output.job.outputDir, path.join(suite.project, 'runs', 'ridge'));
  assert.ok(!JSON.stringify(output).includes('value-never-shown'));
  const job = await finished(output.job.jobId);
  assert.equal(job.state, 'SUCCEEDED');
  const logs = await ok('ml_training_read_job_logs', { jobId: job.jobId });
  assert.equal(logs.output.text, 'token length: 17 run-7\n');
  const listed = await ok('ml_training_list_jobs', { state: 'SUCCEEDED' });
  assert.deepEqual(
    listed.output.jobs.map((j: any) => j.jobId),
    [job.jobId],
  );
  // A bare program name is found on the PATH of the child environment; cwd defaults to the first root.
  const plain = await ok('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: 'runs/plain',
    confirm: true,
  });
  assert.equal(plain.output.job.cwd, suite.project);
  assert.equal((await finished(plain.output.job.jobId)).state, 'SUCCEEDED');
  assert.equal((await ok('ml_training_read_job_logs', { jobId: plain.output.job.jobId })).output.text, 'trained\n');
  const plan = await ok('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: 'runs/ridge',
    name: 'ridge',
  });
  const ms = Date.parse(job.endedAt) - Date.parse(job.startedAt);
  assert.equal(plan.output.plan.estimatedDurationMs, ms);
  assert.match(plan.output.plan.estimatedDuration, /median of 1 earlier successful run\(s\) named ridge/);
});

test('logs follow returns only the new output, waiting for it, and stay readable after the end', async (t) => {
  const { suite, ok, finished } = await jobSuite(t);
  const go = path.join(suite.project, 'go');
  const script = `const fs = require('fs'); console.log('first');
    const timer = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { console.log('second'); clearInterval(timer); } }, 20);`;
  const { output } = await ok('ml_training_submit_job', {
    command: [process.execPath, '-e', script],
    outputDir: 'runs/follow',
    confirm: true,
  });
  const jobId = output.job.jobId;
  const head = await waitFor('the first line', async () => {
    const r = await ok('ml_training_read_job_logs', { jobId, tailLines: 5 });
    return r.output.text === 'first\n' ? r.output : undefined;
  });
  assert.equal(head.ended, false);
  const following = ok('ml_training_read_job_logs', { jobId, offset: head.nextOffset, followMs: 10_000 });
  setTimeout(() => void writeFile(go, ''), 300);
  const next = (await following).output;
  assert.equal(next.text, 'second\n');
  // 'second' was written only after the call began, so its text proves the wait; the time says it was no busy loop.
  assert.ok(next.waitedMs >= 50 && next.waitedMs < 10_000, `waited ${next.waitedMs} ms`);
  await finished(jobId);
  const after = await ok('ml_training_read_job_logs', { jobId });
  assert.equal(after.output.text, 'first\nsecond\n');
  assert.equal(after.output.ended, true);
  const tail = await ok('ml_training_read_job_logs', { jobId, offset: after.output.nextOffset, followMs: 5_000 });
  assert.equal(tail.output.text, '');
  assert.ok(tail.output.waitedMs < 1_000, 'an ended job is not waited on');
});

test('stop: without confirm it lists the processes; with confirm the job is STOPPED and none is left', async (t) => {
  const { ok, fails } = await jobSuite(t);
  const { output } = await ok('ml_training_submit_job', {
    command: [process.execPath, '-e', "require('child_process').spawn('sleep', ['60']); setInterval(() => {}, 1000)"],
    outputDir: 'runs/stop',
    confirm: true,
  });
  const jobId = output.job.jobId;
  const refused = await fails('ml_training_stop_job', { jobId, confirm: true });
  assert.match(refused.message, /confirm: .*destructive; pass confirm: true/);
  const preview = await waitFor('the sleep', async () => {
    const r = await ok('ml_training_stop_job', { jobId }, true);
    return r.output.processes.length >= 3 ? r.output : undefined;
  });
  assert.equal(preview.stopped, false);
  assert.equal(preview.job.state, 'RUNNING');
  assert.match(preview.message, /Would stop job .* Pass confirm: true/);
  const pids: number[] = preview.processes.map((p: any) => p.pid);
  const stopped = await ok('ml_training_stop_job', { jobId, confirm: true }, true);
  assert.equal(stopped.output.job.state, 'STOPPED');
  for (const pid of pids) assert.equal(await isAlive(pid), false, `pid ${pid} is gone`);
  const again = await fails('ml_training_stop_job', { jobId, confirm: true }, true);
  assert.equal(again.kind, 'input');
  assert.match(
    again.message,
    new RegExp(`^jobId: job ${jobId} already ended \\(STOPPED at [0-9T:.Z-]+\\); nothing to stop$`),
  );
});

test('a second submit to the same output directory is refused, naming the running job', async (t) => {
  const { ok, fails } = await jobSuite(t);
  const first = await ok('ml_training_submit_job', {
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    outputDir: 'runs/shared',
    name: 'writer',
    confirm: true,
  });
  const plan = await ok('ml_training_submit_job', { command: ['node', 'train.js'], outputDir: 'runs/./shared/' });
  assert.equal(plan.output.plan.blockedBy, first.output.job.jobId);
  const second = await fails('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: './runs/shared',
    confirm: true,
  });
  assert.equal(second.kind, 'input');
  assert.match(
    second.message,
    new RegExp(`^outputDir: .*runs/shared is the output of job ${first.output.job.jobId} \\(writer, RUNNING\\)`),
  );
  await ok('ml_training_stop_job', { jobId: first.output.job.jobId, confirm: true }, true);
});

test('bad input is a clear isError naming the field', async (t) => {
  const { suite, ok, fails } = await jobSuite(t);
  await seedJobExamples(suite.dataDir, suite.project);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['ml_training_get_job', { jobId: 'job-nope' }, /^jobId: no job job-nope; ml_training_list_jobs lists/],
    ['ml_training_read_job_logs', { jobId: 'job-nope' }, /^jobId: no job job-nope/],
    ['ml_training_stop_job', { jobId: 'job-nope', confirm: true }, /^jobId: no job job-nope/],
    [
      'ml_training_stop_job',
      { jobId: 'job-example', confirm: true },
      /^jobId: job job-example already ended \(SUCCEEDED at 2026-01-05T10:02:30.100Z\); nothing to stop$/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'runs/x', cwd: '/etc' },
      /^cwd: \/etc is outside the allowed roots/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: '/tmp/elsewhere/x' },
      /^outputDir: .* is outside the allowed roots/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'train.js' },
      /^outputDir: .*is a file; pass a directory/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'runs/x', env: { CAELUM_JOB_ID: 'x' } },
      /^env\.CAELUM_JOB_ID: CAELUM_\* variables are set by Caelum/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'runs/x', env: { 'BAD-NAME': 'x' } },
      /^env\.BAD-NAME: not a variable name/,
    ],
    ['ml_training_submit_job', { command: [], outputDir: 'runs/x' }, /command/],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'runs/x', backend: 'ray' },
      /^backend: ray needs mlTraining\.ray\.address in caelum\.config\.json$/,
    ],
    [
      'ml_training_submit_job',
      { command: ['node'], outputDir: 'runs/x', dataset: 'nowhere' },
      /^dataset: nowhere does not exist/,
    ],
    ['ml_training_read_job_logs', { jobId: 'job-example', followMs: 60_000 }, /followMs/],
  ];
  for (const [tool, args, pattern] of cases) {
    const result = await fails(tool, args, true);
    assert.equal(result.kind, 'input', `${tool} ${JSON.stringify(args)}: ${result.message}`);
    assert.match(result.message, pattern);
  }
  // The finished job's preview is not an error: it says nothing would be stopped.
  const preview = await ok('ml_training_stop_job', { jobId: 'job-example' }, true);
  assert.match(preview.output.message, /Nothing would be stopped: job job-example already ended \(SUCCEEDED/);
});

test('every job tool example succeeds on the seeded example job', async (t) => {
  const { suite, ok } = await jobSuite(t);
  await seedJobExamples(suite.dataDir, suite.project);
  for (const tool of jobTools)
    for (const example of tool.examples) {
      const result = await ok(tool.name, example, true);
      assert.ok(result.text.length > 0);
      assert.equal(result.output.started ?? false, false, 'no example starts a job');
    }
  const logs = await ok('ml_training_read_job_logs', { jobId: 'job-example', tailLines: 2 });
  assert.equal(logs.output.text, '[stderr] warning: slow disk\nepoch 2 loss 0.31\n');
});

test('a log follow reports progress and ends at once when the call is cancelled', async (t) => {
  const { suite, ok } = await jobSuite(t);
  const { output } = await ok('ml_training_submit_job', {
    command: [process.execPath, '-e', "console.log('one line'); setInterval(() => {}, 1000)"],
    outputDir: 'runs/cancel',
    confirm: true,
  });
  const jobId = output.job.jobId;
  const head = await waitFor('the line', async () => {
    const r = await ok('ml_training_read_job_logs', { jobId });
    return r.output.text === 'one line\n' ? r.output : undefined;
  });
  const controller = new AbortController();
  const progress: number[] = [];
  const context = suite.dispatcher.context({ signal: controller.signal, progress: (done) => progress.push(done) });
  setTimeout(() => controller.abort(), 300);
  const started = Date.now();
  const outcome = await suite.dispatcher.router.invoke(
    'ml_training_read_job_logs',
    { jobId, offset: head.nextOffset, followMs: 20_000 },
    context,
  );
  assert.equal(outcome.ok, false);
  assert.equal(outcome.ok ? '' : outcome.error.kind, 'cancelled');
  assert.ok(Date.now() - started < 5_000, 'the follow did not wait out its 20 s');
  assert.ok(progress.length > 0, 'the wait reported progress');
  await ok('ml_training_stop_job', { jobId, confirm: true }, true);
});
