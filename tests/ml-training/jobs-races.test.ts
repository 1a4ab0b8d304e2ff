// Races and leftovers of the local executor, each found in review: a stop that arrives while the job
// is still being started, a stop that arrives after the job ended on its own, and a process that
// ignores SIGTERM after the job's main process exited (it is killed before the job counts as ended).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jobPaths } from '../../tools/ml-training/jobs/job-files.js';
import { tempDir } from '../helpers.js';
import { nodeJob, openStore, survivors, trackJobs, waitFor } from './jobs-fixture.js';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const base = await tempDir(t, 'caelum-jobs-races-');
  const out = path.join(base, 'out');
  await mkdir(out, { recursive: true });
  return { dataDir: path.join(base, 'data'), out, track: trackJobs(t) };
}

test('a stop that arrives while the job is being started waits for the start, then stops it for real', async (t) => {
  const { dataDir, out, track } = await setup(t);
  const store = openStore(t, dataDir);
  const spec = nodeJob('setInterval(() => {}, 1000)', out);
  const submitted = store.submit(spec);
  // The stop is issued before the submit has finished starting the wrapper.
  const stopped = store.stop(spec.jobId);
  const started = track(await submitted);
  const record = await stopped;
  assert.equal(record.state, 'STOPPED');
  assert.ok(started.pid);
  await waitFor('no process left', async () =>
    (await survivors([started.pid!], started.pid!)).length === 0 ? true : undefined,
  );
  const after = await store.status(spec.jobId);
  assert.equal(after?.state, 'STOPPED', 'the start did not overwrite the stop');
});

test('a stop request that reached the job after it had ended on its own leaves it SUCCEEDED', async (t) => {
  const { dataDir, out, track } = await setup(t);
  // A slow monitor, so that the exit is only read when asked.
  const store = openStore(t, dataDir, { heartbeatMs: 60_000, stopGraceMs: 500, logTailLines: 40 });
  const spec = nodeJob('console.log("done")', out);
  track(await store.submit(spec));
  const paths = jobPaths(dataDir, spec.jobId);
  const exit = await waitFor(
    'the exit record',
    async () => JSON.parse(await readFile(paths.exit, 'utf8').catch(() => 'null')) ?? undefined,
  );
  // The stop's request is recorded after the exit (the stop raced the job's own end).
  await writeFile(paths.stopRequested, JSON.stringify({ at: new Date(Date.parse(exit.endedAt) + 5).toISOString() }));
  const record = await store.status(spec.jobId);
  assert.equal(record?.state, 'SUCCEEDED', record?.message);
  assert.equal(record?.exitCode, 0);
});

test('a process that ignores SIGTERM after the main one exited is killed before the job counts as ended', async (t) => {
  const { dataDir, out, track } = await setup(t);
  const store = openStore(t, dataDir, { heartbeatMs: 200, stopGraceMs: 600, logTailLines: 40 });
  // The main process starts a worker in its group that ignores SIGTERM, then exits 0.
  const script = `
    const { spawn } = require('child_process');
    const worker = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    console.log('worker', worker.pid);
    setTimeout(() => process.exit(0), 200);`;
  const spec = nodeJob(script, out);
  const started = track(await store.submit(spec));
  const done = await waitFor('the job to end', async () => {
    const r = await store.status(spec.jobId);
    return r && r.state !== 'RUNNING' ? r : undefined;
  });
  assert.equal(done.state, 'SUCCEEDED', done.message);
  // Nothing of its group is alive once it is reported ended.
  assert.deepEqual(await survivors([started.pid!], started.pid!), []);
});

test('a live job whose heartbeat stopped stays RUNNING, and its status says so', async (t) => {
  const { dataDir, out, track } = await setup(t);
  const store = openStore(t, dataDir, { heartbeatMs: 200, stopGraceMs: 500, logTailLines: 40 });
  const spec = nodeJob('setInterval(() => {}, 1000)', out);
  const started = track(await store.submit(spec));
  await waitFor('a first heartbeat', async () => ((await store.status(spec.jobId))?.heartbeatAt ? true : undefined));
  // The wrapper is frozen: alive, but it no longer beats.
  process.kill(started.pid!, 'SIGSTOP');
  t.after(() => {
    try {
      process.kill(started.pid!, 'SIGCONT');
    } catch {
      // Gone.
    }
  });
  const silent = await waitFor(
    'the stale heartbeat to show',
    async () => {
      const r = await store.status(spec.jobId);
      return r?.message?.startsWith('no heartbeat') ? r : undefined;
    },
    10_000,
  );
  assert.equal(silent.state, 'RUNNING');
  assert.match(silent.message!, /alive but not progressing/);
  process.kill(started.pid!, 'SIGCONT');
  await waitFor('the heartbeat back', async () => {
    const r = await store.status(spec.jobId);
    return r && !r.message ? r : undefined;
  });
});
