// The local executor with real processes: each lifecycle transition, the evidence a FAILED or LOST
// job keeps, a stop that leaves no process behind (checked through /proc), and a restart that
// re-attaches a live job and declares a vanished one LOST.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jobPaths } from '../../tools/ml-training/jobs/job-files.js';
import {
  busyLocalJobs,
  closeLocalJobs,
  localJobStore,
  openLocalJobs,
} from '../../tools/ml-training/jobs/local-job-store.js';
import { tempDir } from '../helpers.js';
import { fastJobs, isAlive, nodeJob, openStore, survivors, trackJobs, waitFor } from './jobs-fixture.js';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const base = await tempDir(t, 'caelum-jobs-');
  const dataDir = path.join(base, 'data');
  const output = async (name: string) => {
    const dir = path.join(base, name);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  return { base, dataDir, output, track: trackJobs(t) };
}

test('a job that exits 0 becomes SUCCEEDED, with its environment, logs and metrics file in the data dir', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const store = openStore(t, dataDir);
  const out = await output('out');
  const script = `
    const fs = require('fs');
    console.log('job', process.env.CAELUM_JOB_ID, 'writes', process.env.CAELUM_OUTPUT_DIR);
    console.error('a warning');
    fs.appendFileSync(process.env.CAELUM_METRICS_FILE, JSON.stringify({ step: 1, loss: 0.5 }) + '\\n');`;
  const spec = nodeJob(script, out);
  spec.env.CAELUM_METRICS_FILE = jobPaths(dataDir, spec.jobId).metrics;
  const started = track(await store.submit(spec));
  assert.equal(started.state, 'RUNNING');
  assert.ok(started.pid && started.startedAt);
  const done = await waitFor('SUCCEEDED', async () => {
    const r = await store.status(spec.jobId);
    return r?.state === 'SUCCEEDED' ? r : undefined;
  });
  assert.equal(done.exitCode, 0);
  assert.ok(done.endedAt);
  const paths = jobPaths(dataDir, spec.jobId);
  const onDisk = JSON.parse(await readFile(paths.record, 'utf8'));
  assert.equal(onDisk.state, 'SUCCEEDED');
  assert.match(await readFile(paths.stdout, 'utf8'), new RegExp(`job ${spec.jobId} writes ${out}`));
  assert.equal(await readFile(paths.stderr, 'utf8'), 'a warning\n');
  assert.deepEqual(JSON.parse(await readFile(paths.metrics, 'utf8')), { step: 1, loss: 0.5 });
  // The environment file is gone once the wrapper read it.
  await assert.rejects(access(paths.launch));
  const logs = await store.logs(spec.jobId, { tailLines: 10 });
  assert.equal(logs.ended, true);
  assert.deepEqual(logs.text.trimEnd().split('\n').sort(), [`[stderr] a warning`, `job ${spec.jobId} writes ${out}`]);
});

test('a crash becomes FAILED within one heartbeat, with the exit code and the last log lines', async (t) => {
  const { dataDir, output, track } = await setup(t);
  // A heartbeat long enough that the bound below is about the monitor, not about a busy machine.
  const store = openStore(t, dataDir, { ...fastJobs, heartbeatMs: 1000 });
  const spec = nodeJob(
    "console.log('epoch 1'); console.error('RuntimeError: CUDA out of memory'); setTimeout(() => process.exit(3), 300)",
    await output('crash'),
  );
  track(await store.submit(spec));
  // Only the monitor may notice: list() reports the records without checking them itself.
  const failed = await waitFor('FAILED', async () => (await store.list()).find((r) => r.state === 'FAILED'));
  const noticedAt = Date.now();
  const exit = JSON.parse(await readFile(jobPaths(dataDir, spec.jobId).exit, 'utf8'));
  assert.ok(
    // One heartbeat, plus slack for a loaded two-core machine running the suite in parallel.
    noticedAt - Date.parse(exit.endedAt) <= 1000 + 1000,
    `noticed ${noticedAt - Date.parse(exit.endedAt)} ms after the exit`,
  );
  assert.equal(failed.exitCode, 3);
  assert.equal(failed.signal, null);
  assert.match(failed.message ?? '', /exited with code 3/);
  assert.deepEqual(failed.lastLogLines, ['epoch 1', '[stderr] RuntimeError: CUDA out of memory']);
  // The evidence is in job.json too, for the run registry and for a restarted service.
  const onDisk = JSON.parse(await readFile(jobPaths(dataDir, spec.jobId).record, 'utf8'));
  assert.equal(onDisk.state, 'FAILED');
  assert.deepEqual(onDisk.lastLogLines, failed.lastLogLines);
});

test('a program that does not exist fails with 127 and says why', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const store = openStore(t, dataDir);
  const spec = { ...nodeJob('', await output('missing')), command: ['/nonexistent/train-binary', '--x'] };
  track(await store.submit(spec));
  const failed = await waitFor('FAILED', async () => {
    const r = await store.status(spec.jobId);
    return r?.state === 'FAILED' ? r : undefined;
  });
  assert.equal(failed.exitCode, 127);
  assert.match(failed.lastLogLines?.join('\n') ?? '', /cannot start \/nonexistent\/train-binary: ENOENT/);
});

test('stop leaves zero processes: the group, a detached grandchild and a child that ignores SIGTERM', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const store = openStore(t, dataDir);
  const out = await output('stop');
  const pidFile = path.join(out, 'pids.json');
  // The job starts a child that ignores SIGTERM; the child starts a sleep in the job's group and a
  // detached one in a group of its own (found only by walking parent pids).
  const child = `
    const { spawn } = require('child_process');
    process.on('SIGTERM', () => {});
    const a = spawn('sleep', ['60'], { stdio: 'ignore' });
    const b = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
    require('fs').writeFileSync(${JSON.stringify(pidFile)}, JSON.stringify([process.pid, a.pid, b.pid]));
    setInterval(() => {}, 1000);`;
  const script = `
    const { spawn } = require('child_process');
    spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'inherit' });
    console.log('training');
    setInterval(() => {}, 1000);`;
  const spec = nodeJob(script, out);
  const record = track(await store.submit(spec));
  const pids: number[] = await waitFor('the grandchildren', () =>
    readFile(pidFile, 'utf8').then(
      (text) => JSON.parse(text),
      () => undefined,
    ),
  );
  t.after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
  });
  const everyone = [record.pid!, ...pids];
  assert.equal((await survivors(everyone, record.pid!)).length >= 4, true);
  const stopped = await store.stop(spec.jobId);
  assert.equal(stopped.state, 'STOPPED');
  assert.ok(stopped.endedAt);
  assert.match(
    stopped.message ?? '',
    /stopped on request: SIGTERM to \d+ process\(es\), \d+ still alive after 1000 ms got SIGKILL/,
  );
  // Zero descendants, checked through /proc for up to 5 s (stop() already waited for them).
  const left = await waitFor(
    'no process of the job',
    async () => ((await survivors(everyone, record.pid!)).length === 0 ? [] : undefined),
    5_000,
  );
  assert.deepEqual(left, []);
  assert.equal((await store.status(spec.jobId))?.state, 'STOPPED');
  // The wrapper's exit record, written after the SIGTERM, does not turn it into FAILED later.
  await new Promise((resolve) => setTimeout(resolve, fastJobs.heartbeatMs * 2));
  assert.equal((await store.list()).find((r) => r.jobId === spec.jobId)?.state, 'STOPPED');
  await assert.rejects(store.stop(spec.jobId), /jobId: job .* already ended \(STOPPED at .*\); nothing to stop/);
  const logs = await store.logs(spec.jobId, {});
  assert.match(logs.text, /training/);
  assert.equal(logs.ended, true);
});

test('a restart re-attaches a live job (which then succeeds) and declares a killed one LOST with evidence', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const first = openStore(t, dataDir);
  const liveOut = await output('live');
  const go = path.join(liveOut, 'go');
  const live = nodeJob(
    `const fs = require('fs'); console.log('waiting');
     const timer = setInterval(() => { if (fs.existsSync(${JSON.stringify(go)})) { console.log('finished'); clearInterval(timer); } }, 20);`,
    liveOut,
  );
  const killed = nodeJob(
    "console.log('step 41'); console.error('about to be killed'); setInterval(() => {}, 1000)",
    await output('killed'),
  );
  const liveRecord = track(await first.submit(live));
  const killedRecord = track(await first.submit(killed));
  await waitFor('the killed job output', async () =>
    (await first.logs(killed.jobId, {})).text.includes('about to be killed') ? true : undefined,
  );
  await waitFor('a heartbeat', () =>
    readFile(jobPaths(dataDir, killed.jobId).heartbeat, 'utf8').then(
      () => true,
      () => undefined,
    ),
  );
  // The service goes away; its jobs do not.
  first.close();
  process.kill(-killedRecord.pid!, 'SIGKILL');
  await waitFor('the killed wrapper to vanish', async () => ((await isAlive(killedRecord.pid!)) ? undefined : true));
  assert.equal(await isAlive(liveRecord.pid!), true);

  const second = openStore(t, dataDir);
  await second.ready;
  const reattached = await second.status(live.jobId);
  assert.equal(reattached?.state, 'RUNNING');
  assert.equal(reattached?.pid, liveRecord.pid);
  const lost = await second.status(killed.jobId);
  assert.equal(lost?.state, 'LOST');
  assert.ok(lost?.heartbeatAt, 'the last heartbeat is kept');
  assert.ok(lost?.endedAt);
  assert.match(
    lost?.message ?? '',
    new RegExp(`wrapper process ${killedRecord.pid} is gone and left no exit record; last heartbeat 20`),
  );
  assert.deepEqual(lost?.lastLogLines, ['step 41', '[stderr] about to be killed']);
  assert.equal(JSON.parse(await readFile(jobPaths(dataDir, killed.jobId).record, 'utf8')).state, 'LOST');

  await writeFile(go, '');
  const succeeded = await waitFor('the re-attached job to succeed', async () =>
    (await second.list()).find((r) => r.jobId === live.jobId && r.state === 'SUCCEEDED'),
  );
  assert.equal(succeeded.exitCode, 0);
  assert.match((await second.logs(live.jobId, {})).text, /waiting\nfinished\n/);
});

test('a recorded pid that now belongs to another process (another start time) is LOST, and that process is left alone', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const first = openStore(t, dataDir);
  const spec = nodeJob('setInterval(() => {}, 1000)', await output('reused'));
  const record = track(await first.submit(spec));
  first.close();
  const wrapperFile = jobPaths(dataDir, spec.jobId).wrapper;
  const wrapper = JSON.parse(await readFile(wrapperFile, 'utf8'));
  await writeFile(wrapperFile, JSON.stringify({ ...wrapper, startTime: wrapper.startTime - 1 }));
  const second = openStore(t, dataDir);
  assert.equal((await second.status(spec.jobId))?.state, 'LOST');
  assert.equal(await isAlive(record.pid!), true, 'a process that merely reuses the pid is not killed');
});

test('at most one active job per output directory (by real path); another directory is fine', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const store = openStore(t, dataDir);
  const out = await output('shared');
  const first = nodeJob('setInterval(() => {}, 1000)', out);
  track(await store.submit(first));
  const second = nodeJob('setInterval(() => {}, 1000)', out);
  await assert.rejects(
    store.submit(second),
    new RegExp(`outputDir: ${out} is the output of job ${first.jobId} \\(test, RUNNING\\)`),
  );
  await assert.rejects(access(jobPaths(dataDir, second.jobId).record), 'the refused job leaves no record');
  track(await store.submit(nodeJob('setInterval(() => {}, 1000)', await output('other'))));
  await store.stop(first.jobId);
  const third = track(await store.submit(nodeJob('console.log(1)', out)));
  assert.equal(third.state, 'RUNNING');
});

test('a process the job left in its group when it exited is terminated, so an ended job writes nothing more', async (t) => {
  const { dataDir, output, track } = await setup(t);
  const store = openStore(t, dataDir);
  const out = await output('straggler');
  const pidFile = path.join(out, 'sleep.pid');
  const script = `
    const child = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
    require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
    child.unref();`;
  const spec = nodeJob(script, out);
  const record = track(await store.submit(spec));
  const done = await waitFor('SUCCEEDED', async () => {
    const r = await store.status(spec.jobId);
    return r?.state === 'SUCCEEDED' ? r : undefined;
  });
  assert.equal(done.exitCode, 0);
  const sleepPid = Number(await readFile(pidFile, 'utf8'));
  await waitFor('the sleep to be gone', async () => ((await isAlive(sleepPid)) ? undefined : true), 5_000);
  assert.deepEqual(await survivors([sleepPid], record.pid!), []);
});

test('the composition root opens a data dir once, lists its busy jobs, and closing leaves the jobs running', async (t) => {
  const { dataDir, output, track } = await setup(t);
  t.after(() => closeLocalJobs(dataDir));
  const store = localJobStore(dataDir, fastJobs);
  assert.equal(localJobStore(dataDir, fastJobs), store, 'one store per data dir');
  const spec = nodeJob('setInterval(() => {}, 1000)', await output('busy'));
  const record = track(await store.submit(spec));
  assert.deepEqual(
    busyLocalJobs(dataDir).map((r) => r.jobId),
    [spec.jobId],
  );
  closeLocalJobs(dataDir);
  assert.deepEqual(busyLocalJobs(dataDir), [], 'a closed store reports nothing');
  assert.equal(await isAlive(record.pid!), true, 'closing the store does not stop its jobs');
  const reopened = await openLocalJobs(dataDir, fastJobs);
  assert.deepEqual(
    reopened.map((r) => [r.jobId, r.state]),
    [[spec.jobId, 'RUNNING']],
  );
  assert.notEqual(localJobStore(dataDir, fastJobs), store);
  await localJobStore(dataDir, fastJobs).stop(spec.jobId);
  assert.deepEqual(busyLocalJobs(dataDir), []);
});

test('a job recorded but never started (the service died during the submit) is LOST with that reason', async (t) => {
  const { dataDir, output } = await setup(t);
  const spec = nodeJob('console.log(1)', await output('never'));
  const paths = jobPaths(dataDir, spec.jobId);
  await mkdir(paths.directory, { recursive: true });
  const pending = {
    jobId: spec.jobId,
    backend: 'local',
    name: 'test',
    state: 'PENDING',
    command: spec.command,
    cwd: spec.cwd,
    outputDir: spec.outputDir,
    resources: {},
    metadata: {},
    submittedAt: new Date().toISOString(),
  };
  await writeFile(paths.record, JSON.stringify(pending));
  const store = openStore(t, dataDir);
  const lost = await store.status(spec.jobId);
  assert.equal(lost?.state, 'LOST');
  assert.match(lost?.message ?? '', /never started: the service stopped between recording it and starting its wrapper/);
});
