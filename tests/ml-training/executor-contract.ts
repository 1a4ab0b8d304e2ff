// The Executor contract, run against any implementation (Hono's runTest({ newRouter }) pattern):
// submit a real short command, watch it end, read its logs by tail and by follow, stop a long one,
// refuse a stop of an ended one, find both in list(), and know nothing of an unknown id.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InputError } from '../../tools/errors.js';
import {
  jobStates,
  terminalStates,
  type Executor,
  type JobRecord,
  type JobSpec,
} from '../../tools/ml-training/jobs/executor.js';

export function contractSpec(dir: string, command: string[], overrides: Partial<JobSpec> = {}): JobSpec {
  const jobId = `contract-${randomUUID().slice(0, 8)}`;
  return {
    jobId,
    name: 'contract job',
    command,
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CAELUM_JOB_ID: jobId, CAELUM_OUTPUT_DIR: dir },
    outputDir: dir,
    resources: {},
    metadata: { suite: 'contract' },
    ...overrides,
  };
}

export async function until(
  executor: Executor,
  jobId: string,
  done: (record: JobRecord) => boolean,
  timeoutMs = 10_000,
): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await executor.status(jobId);
    assert.ok(record, `job ${jobId} vanished`);
    if (done(record)) return record;
    if (Date.now() > deadline) assert.fail(`job ${jobId} still ${record.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Runs the whole lifecycle against `executor`; `dir` is a scratch directory the jobs may use. */
export async function executorContract(executor: Executor, dir: string): Promise<void> {
  // A job that writes three lines and ends well.
  const script = 'for i in 1 2 3; do echo "line $i"; sleep 0.05; done';
  const ok = contractSpec(dir, ['/bin/sh', '-c', script]);
  const submitted = await executor.submit(ok);
  assert.equal(submitted.jobId, ok.jobId);
  assert.equal(submitted.backend, executor.backend);
  assert.ok((jobStates as readonly string[]).includes(submitted.state));
  assert.deepEqual(submitted.command, ok.command);

  // Follow by offset until the job ends: the pieces add up to the whole log.
  let followed = '';
  let offset = 0;
  for (let round = 0; ; round++) {
    const chunk = await executor.logs(ok.jobId, { offset });
    assert.ok(chunk.nextOffset >= offset, 'a follow never goes back');
    followed += chunk.text;
    offset = chunk.nextOffset;
    if (chunk.ended) break;
    assert.ok(round < 400, 'the job never ended');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.equal(followed, 'line 1\nline 2\nline 3\n');
  const ended = await executor.status(ok.jobId);
  assert.equal(ended?.state, 'SUCCEEDED');
  assert.equal(ended?.exitCode, 0);
  assert.ok(ended?.endedAt && Date.parse(ended.endedAt) >= Date.parse(ended.submittedAt));

  const tail = await executor.logs(ok.jobId, { tailLines: 2 });
  assert.deepEqual([tail.text, tail.lines, tail.ended], ['line 2\nline 3\n', 2, true]);
  const after = await executor.logs(ok.jobId, { offset });
  assert.deepEqual([after.text, after.nextOffset], ['', offset], 'nothing new after the end');

  // A stop of an ended job is the caller's mistake, and says so.
  await assert.rejects(executor.stop(ok.jobId), (error: Error) => {
    assert.ok(error instanceof InputError, `expected InputError, got ${error.name}: ${error.message}`);
    assert.match(error.message, /already ended \(SUCCEEDED/);
    return true;
  });

  // A long job is stopped.
  const long = contractSpec(dir, ['/bin/sh', '-c', 'echo started; sleep 30']);
  await executor.submit(long);
  await until(executor, long.jobId, (record) => record.state === 'RUNNING');
  const stopped = await executor.stop(long.jobId);
  assert.equal(stopped.state, 'STOPPED');
  assert.ok(terminalStates.has(stopped.state));

  const listed = await executor.list();
  const ids = new Set(listed.map((record) => record.jobId));
  assert.ok(ids.has(ok.jobId) && ids.has(long.jobId), 'list() holds both jobs');

  assert.equal(await executor.status('no-such-job'), undefined);
  await assert.rejects(executor.logs('no-such-job', {}), InputError);
  await assert.rejects(executor.stop('no-such-job'), InputError);
}
