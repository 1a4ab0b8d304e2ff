// The dashboard's Training API against the ml-training tools over MCP: a real (tiny) job that logs
// metrics, a run linked to it and a registered model with an alias; the page's job list, log tail,
// metrics over time and aliases equal what the tools return. A fresh data dir says what is missing
// and how to fill it; bad parameters are 400s, an unknown job a 404; the `training` watcher sends
// the job list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectClient, testSuite } from '../helpers.js';
import { trainingWatcher } from '../../servers/dashboard/views/training.js';
import type { DashboardEvents } from '../../servers/dashboard/events.js';
import { api } from './api-fixture.js';

type Structured = Record<string, any>;

const script = `import { appendFileSync } from 'node:fs';
for (let step = 0; step < 5; step++) {
  appendFileSync(process.env.CAELUM_METRICS_FILE, JSON.stringify({ step, loss: 1 / (step + 1), accuracy: step / 5 }) + '\\n');
  console.log('step ' + step + ' loss ' + (1 / (step + 1)).toFixed(3));
}
console.error('done');
`;

async function setup(t: Parameters<typeof testSuite>[0]) {
  const suite = await testSuite(t, { files: { 'train.mjs': script, 'models/tiny.bin': 'weights' } });
  const client = await connectClient(t, suite);
  const runTool = async (name: string, args: Record<string, unknown>) => {
    const result = (await client.callTool({ name: 'runTool', arguments: { name, arguments: args } })) as {
      isError?: boolean;
      structuredContent?: Structured;
    };
    assert.notEqual(result.isError, true, JSON.stringify(result).slice(0, 500));
    return result.structuredContent!.result as Structured;
  };
  return { suite, runTool };
}

test('jobs, log tail, metrics over time and model aliases on the page equal the ml-training tools’ answers', async (t) => {
  const { suite, runTool } = await setup(t);
  const submitted = await runTool('ml_training_submit_job', {
    command: ['node', 'train.mjs'],
    outputDir: 'runs/tiny',
    name: 'tiny',
    confirm: true,
  });
  const jobId = submitted.job.jobId as string;
  const { run } = await runTool('ml_training_create_run', { name: 'tiny', jobId });
  const deadline = Date.now() + 20_000;
  while ((await runTool('ml_training_get_job', { jobId })).job.state !== 'SUCCEEDED') {
    assert.ok(Date.now() < deadline, 'the job did not succeed in 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await runTool('ml_training_register_model', {
    name: 'tiny-mlp',
    artifact: 'models/tiny.bin',
    runId: run.runId,
    alias: 'candidate',
  });

  const overview = await api(suite, 'training');
  assert.equal(overview.status, 200);
  assert.equal(overview.body.missing, undefined);
  assert.deepEqual(overview.body.jobs, await runTool('ml_training_list_jobs', {}));
  assert.equal(overview.body.jobs.jobs[0].state, 'SUCCEEDED');
  assert.deepEqual(overview.body.models, await runTool('ml_training_list_models', {}));
  assert.deepEqual(overview.body.models.models[0].aliases, { candidate: 1 });

  const detail = await api(suite, 'training/job', { jobId });
  assert.equal(detail.status, 200);
  assert.deepEqual(detail.body.job, (await runTool('ml_training_get_job', { jobId })).job);
  const logs = await runTool('ml_training_read_job_logs', { jobId, tailLines: 200 });
  assert.equal(detail.body.logs.text, logs.text);
  assert.match(detail.body.logs.text, /step 4 loss 0\.200/);
  assert.match(detail.body.logs.text, /\[stderr\] done/);
  const [shownRun] = detail.body.runs as Structured[];
  const fromTool = (await runTool('ml_training_get_run', { runId: run.runId })).run;
  assert.deepEqual(shownRun!.metrics, fromTool.metrics);
  assert.deepEqual(shownRun!.latestMetrics, fromTool.latestMetrics);
  assert.deepEqual(
    (shownRun!.metrics as Structured[]).map((p) => [p.step, p.values.loss]),
    [0, 1, 2, 3, 4].map((step) => [step, 1 / (step + 1)]),
  );
  assert.equal(detail.body.missing, undefined);
});

test('a fresh data dir: the Training API says what is missing and the exact calls that fill it', async (t) => {
  const { suite } = await setup(t);
  const { status, body } = await api(suite, 'training');
  assert.equal(status, 200);
  assert.deepEqual(body.jobs.jobs, []);
  assert.match(body.missing.jobs, /ml_training_submit_job.*"confirm":true.*CAELUM_METRICS_FILE/);
  assert.match(body.missing.runs, /ml_training_create_run/);
  assert.match(body.missing.models, /ml_training_register_model/);
});

test('bad parameters are 400s, an unknown job a 404, and a job without a run says how to link one', async (t) => {
  const { suite, runTool } = await setup(t);
  const bad = await api(suite, 'training/job', { jobId: '../etc' });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /^jobId: /);
  assert.equal((await api(suite, 'training/job')).status, 400);
  assert.equal((await api(suite, 'training/job', { jobId: 'job-x', tail: 'many' })).status, 400);
  assert.equal((await api(suite, 'training', { limit: '0' })).status, 400);
  const unknown = await api(suite, 'training/job', { jobId: 'job-nope' });
  assert.equal(unknown.status, 404);
  assert.match(unknown.body.error, /no job job-nope/);
  const { job } = await runTool('ml_training_submit_job', {
    command: ['node', 'train.mjs'],
    outputDir: 'runs/a',
    confirm: true,
  });
  const detail = await api(suite, 'training/job', { jobId: job.jobId });
  assert.deepEqual(detail.body.runs, []);
  assert.match(detail.body.missing, new RegExp(`ml_training_create_run.*"jobId":"${job.jobId}"`));
});

test('the training watcher computes the job list’s states from ml_training_list_jobs', async (t) => {
  const { suite, runTool } = await setup(t);
  let compute: (() => Promise<unknown>) | undefined;
  const events = {
    watch: (name: string, intervalMs: number, fn: () => Promise<unknown>) => {
      assert.equal(name, 'training');
      assert.equal(intervalMs, 5_000);
      compute = fn;
    },
  } as unknown as DashboardEvents;
  trainingWatcher(events, suite);
  assert.deepEqual(await compute!(), { total: 0, jobs: [] });
  const { job } = await runTool('ml_training_submit_job', {
    command: ['node', 'train.mjs'],
    outputDir: 'runs/w',
    confirm: true,
  });
  const value = (await compute!()) as { total: number; jobs: { jobId: string; state: string }[] };
  assert.equal(value.total, 1);
  assert.equal(value.jobs[0]!.jobId, job.jobId);
  assert.match(value.jobs[0]!.state, /^(PENDING|RUNNING|SUCCEEDED)$/);
});
