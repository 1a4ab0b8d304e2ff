// The job tools with a Ray cluster configured beside the local executor: one active job per output
// directory across both backends, runtimeEnv passed to Ray (refused for local), a Ray cluster that is
// down neither hides the local jobs nor blocks a local submit, and local training jobs get the host's
// GPU selection (CUDA_VISIBLE_DEVICES…) that project test runs do not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { childEnvironment } from '../../tools/child-environment.js';
import { jobTools } from '../../tools/ml-training/jobs/job-tools.js';
import { closeLocalJobs } from '../../tools/ml-training/jobs/local-job-store.js';
import { testSuite } from '../helpers.js';
import { trackJobs, waitFor } from './jobs-fixture.js';
import { RayPeer } from './ray-peer.js';

type After = { after(fn: () => Promise<void> | void): void };

async function jobSuite(t: Parameters<typeof testSuite>[0] & After, rayAddress: string) {
  const config = {
    mlTraining: {
      jobs: { heartbeatMs: 200, stopGraceMs: 500, logTailLines: 40 },
      ray: { address: rayAddress, timeoutMs: 1500 },
    },
  };
  const suite = await testSuite(t, { files: { 'caelum.config.json': JSON.stringify(config) } });
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
  return { suite, ok, fails };
}

/** A loopback address nothing listens on. */
async function closedAddress(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test('an active Ray job holds its output directory against a local submit; runtimeEnv reaches Ray', async (t) => {
  const ray = await new RayPeer({ hold: true }).start();
  t.after(() => ray.close());
  const { suite, ok, fails } = await jobSuite(t, ray.url);
  suite.environment.jobEnvironment = { CUDA_VISIBLE_DEVICES: '3' };
  const remote = await ok('ml_training_submit_job', {
    command: ['python3', 'train.py'],
    outputDir: 'runs/shared',
    name: 'remote',
    backend: 'ray',
    runtimeEnv: { env_vars: { GIVEN: '1' }, pip: ['numpy'] },
    confirm: true,
  });
  const jobId = remote.output.job.jobId as string;
  assert.equal(remote.output.job.state, 'PENDING');
  const body = JSON.parse(ray.requests.find((r) => r.method === 'POST')!.body);
  assert.deepEqual(body.runtime_env.pip, ['numpy']);
  assert.equal(body.runtime_env.env_vars.GIVEN, '1');
  // The host's GPU selection is for local jobs: a cluster node has its own.
  assert.equal(body.runtime_env.env_vars.CUDA_VISIBLE_DEVICES, undefined);

  const plan = await ok('ml_training_submit_job', { command: ['node', 'train.js'], outputDir: './runs/shared/' });
  assert.equal(plan.output.plan.blockedBy, jobId);
  const refused = await fails(
    'ml_training_submit_job',
    { command: ['node', 'train.js'], outputDir: 'runs/./shared', confirm: true },
    true,
  );
  assert.equal(refused.kind, 'input');
  assert.match(
    refused.message,
    new RegExp(`^outputDir: .*runs/shared is the output of job ${jobId} \\(remote, PENDING\\) on the ray backend`),
  );
  // Once the Ray job has ended, the directory is free again.
  await ok('ml_training_stop_job', { jobId, confirm: true }, true);
  const started = await ok(
    'ml_training_submit_job',
    { command: [process.execPath, '-e', '0'], outputDir: 'runs/shared', confirm: true },
    true,
  );
  assert.equal(started.output.job.backend, 'local');
});

test('two confirmed Ray submits to one output directory at once: one starts, the other is refused', async (t) => {
  const ray = await new RayPeer({ hold: true }).start();
  t.after(() => ray.close());
  const { suite } = await jobSuite(t, ray.url);
  const context = suite.dispatcher.context({});
  const submit = () =>
    suite.dispatcher.router.invoke(
      'ml_training_submit_job',
      { command: ['sleep', '30'], outputDir: 'runs/shared', backend: 'ray', confirm: true },
      context,
    );
  const outcomes = await Promise.all([submit(), submit(), submit()]);
  assert.equal(
    outcomes.filter((o) => o.ok).length,
    1,
    JSON.stringify(outcomes.map((o) => (o.ok ? 'ok' : o.error.message))),
  );
  for (const refused of outcomes.filter((o) => !o.ok))
    assert.match(refused.ok ? '' : refused.error.message, /^outputDir: .* is the output of job /);
});

test('runtimeEnv is refused for a local job, naming the field and the fix', async (t) => {
  const ray = await new RayPeer({ hold: true }).start();
  t.after(() => ray.close());
  const { fails } = await jobSuite(t, ray.url);
  const refused = await fails('ml_training_submit_job', {
    command: ['node', 'train.js'],
    outputDir: 'runs/x',
    runtimeEnv: { pip: ['numpy'] },
  });
  assert.equal(refused.kind, 'input');
  assert.match(refused.message, /^runtimeEnv: is for backend "ray".*pass variables in env, or set backend: "ray"$/);
});

test('with Ray down, list_jobs still lists the local jobs and names the cluster; a local submit goes ahead', async (t) => {
  const { suite, ok } = await jobSuite(t, await closedAddress());
  suite.environment.jobEnvironment = { CUDA_VISIBLE_DEVICES: '3', LD_LIBRARY_PATH: '/opt/cuda/lib64' };
  const seen = path.join(suite.project, 'seen.json');
  const script = `require('fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ cuda: process.env.CUDA_VISIBLE_DEVICES, ld: process.env.LD_LIBRARY_PATH }))`;
  const submitted = await ok(
    'ml_training_submit_job',
    { command: [process.execPath, '-e', script], outputDir: 'runs/local', confirm: true },
    true,
  );
  assert.match(submitted.output.message, /Not checked: ray jobs writing to the output directory \(cannot reach/);
  const jobId = submitted.output.job.jobId as string;
  const listed = await ok('ml_training_list_jobs', {});
  assert.deepEqual(
    listed.output.jobs.map((j: { jobId: string }) => j.jobId),
    [jobId],
  );
  assert.equal(listed.output.unreachable.length, 1);
  assert.match(listed.output.unreachable[0], /cannot reach the Ray head node at http:\/\/127\.0\.0\.1:\d+/);
  assert.match(listed.text, /not listed \(unreachable\): cannot reach the Ray head node/);
  // The local job saw the host's GPU selection and library path.
  const env = await waitFor('the job to write its environment', async () => {
    const text = await readFile(seen, 'utf8').catch(() => undefined);
    return text ? JSON.parse(text) : undefined;
  });
  assert.deepEqual(env, { cuda: '3', ld: '/opt/cuda/lib64' });
  // Project test runs (the child environment) do not get them.
  assert.deepEqual(childEnvironment({ CUDA_VISIBLE_DEVICES: '3', LD_LIBRARY_PATH: '/x' }), {});
});
