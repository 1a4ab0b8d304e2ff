// The Ray Jobs executor against a loopback Ray head node (ray-peer.ts) that runs real commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError, ToolError } from '../../tools/errors.js';
import type { Executor } from '../../tools/ml-training/jobs/executor.js';
import { RayClusterError, RayExecutor } from '../../tools/ml-training/jobs/ray-executor.js';
import { entrypointOf, logChunk, shellQuote } from '../../tools/ml-training/jobs/ray-wire.js';
import { tempDir } from '../helpers.js';
import { contractSpec, executorContract, until } from './executor-contract.js';
import { RayPeer, groupMembers } from './ray-peer.js';

async function peer(t: { after(fn: () => Promise<void>): void }, options = {}): Promise<RayPeer> {
  const started = await new RayPeer(options).start();
  t.after(() => started.close());
  return started;
}

function executor(url: string, extra: { token?: string; timeoutMs?: number } = {}): RayExecutor {
  return new RayExecutor(
    { address: url, timeoutMs: extra.timeoutMs ?? 5000, ...(extra.token ? { token: extra.token } : {}) },
    { hostEnvironment: { PATH: process.env.PATH ?? '' }, stopWaitMs: 8000, pollMs: 25 },
  );
}

test('RayExecutor satisfies the Executor contract end to end against a Ray head node', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject: Executor = executor(ray.url);
  assert.equal(subject.backend, 'ray');
  await executorContract(subject, dir);
});

test('submit sends the entrypoint, submission_id, job variables, metadata and resources as Ray expects', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'echo "$CAELUM_JOB_ID $EXTRA"'], {
    name: 'ridge fit',
    resources: { cpus: 2, gpus: 0.5, memoryMiB: 512 },
    runtimeEnv: { pip: ['numpy'], env_vars: { EXTRA: 'given' } },
  });
  const record = await executor(ray.url).submit(spec);
  const body = JSON.parse(ray.requests.find((r) => r.method === 'POST')!.body);
  assert.equal(body.entrypoint, `/bin/sh -c 'echo "$CAELUM_JOB_ID $EXTRA"'`);
  assert.equal(body.submission_id, spec.jobId);
  assert.deepEqual(body.runtime_env, {
    pip: ['numpy'],
    env_vars: { EXTRA: 'given', CAELUM_JOB_ID: spec.jobId, CAELUM_OUTPUT_DIR: dir },
  });
  assert.equal(body.runtime_env.env_vars.PATH, undefined, "the host's PATH is not the job's");
  assert.deepEqual(
    [body.entrypoint_num_cpus, body.entrypoint_num_gpus, body.entrypoint_memory],
    [2, 0.5, 512 * 1024 * 1024],
  );
  assert.equal(body.metadata.job_name, 'ridge fit');
  assert.equal(body.metadata.suite, 'contract');

  assert.equal(record.name, 'ridge fit');
  assert.deepEqual(record.metadata, { suite: 'contract' }, "Caelum's own keys are not the user's metadata");
  assert.deepEqual(record.resources, spec.resources);
  assert.equal(record.outputDir, dir);
  const done = await until(executor(ray.url), spec.jobId, (r) => r.state === 'SUCCEEDED');
  assert.match(done.submittedAt, /^\d{4}-\d\d-\d\dT/);
  const logs = await executor(ray.url).logs(spec.jobId, {});
  assert.equal(logs.text, `${spec.jobId} given\n`, 'runtime_env env_vars reached the driver');
});

test('arguments with spaces, quotes, $, globs and newlines reach the program exactly', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const awkward = [
    'a b',
    "it's",
    '"double"',
    '$HOME',
    '`id`',
    '*',
    '',
    'semi;colon && echo no',
    'back\\slash',
    'new\nline',
    '-n',
  ];
  const spec = contractSpec(dir, [
    process.execPath,
    '-e',
    'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
    ...awkward,
  ]);
  const ray1 = executor(ray.url);
  await ray1.submit(spec);
  const done = await until(ray1, spec.jobId, (r) => r.endedAt !== undefined);
  assert.equal(done.state, 'SUCCEEDED', done.message);
  const { text } = await ray1.logs(spec.jobId, {});
  assert.deepEqual(JSON.parse(text), awkward);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(entrypointOf(['python', 'train.py', '--lr=0.1']), 'python train.py --lr=0.1');
});

test('the status set: PENDING until the supervisor starts, then RUNNING, SUCCEEDED', async (t) => {
  const ray = await peer(t, { hold: true });
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'echo hi']);
  const pending = await subject.submit(spec);
  assert.equal(pending.state, 'PENDING');
  assert.equal(pending.startedAt, undefined);
  assert.equal((await subject.logs(spec.jobId, {})).text, '');
  ray.release(spec.jobId);
  const done = await until(subject, spec.jobId, (r) => r.state === 'SUCCEEDED');
  assert.ok(done.startedAt);
  assert.equal(done.exitCode, 0);
});

test('a failing job is FAILED with its exit code, Ray’s message and the last log lines', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'echo loading; echo "shape [8, 5] vs [7, 5]" >&2; exit 3']);
  await subject.submit(spec);
  const failed = await until(subject, spec.jobId, (r) => r.endedAt !== undefined);
  assert.equal(failed.state, 'FAILED');
  assert.equal(failed.exitCode, 3);
  assert.match(failed.message ?? '', /failed with exit code 3/);
  assert.match(failed.message ?? '', /JOB_ENTRYPOINT_COMMAND_ERROR/);
  assert.deepEqual(failed.lastLogLines, ['loading', 'shape [8, 5] vs [7, 5]'], 'stderr lands in the same log');
});

test('a driver killed by a signal is FAILED with the signal, not an exit code', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  // Ray's entrypoint shell is the driver; killing it (as an OOM killer would) ends the job.
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'kill -9 $PPID']);
  await subject.submit(spec);
  const failed = await until(subject, spec.jobId, (r) => r.endedAt !== undefined);
  assert.deepEqual([failed.state, failed.exitCode, failed.signal], ['FAILED', null, 'SIGKILL']);
});

test('stop ends the whole process group and the job is STOPPED', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  // A driver with a child of its own, as a training script with a data loader has.
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'sleep 30 & echo ready; wait']);
  await subject.submit(spec);
  await until(subject, spec.jobId, (r) => r.state === 'RUNNING');
  const pid = ray.pidOf(spec.jobId)!;
  // RUNNING comes at the spawn; the shell forks its sleep a moment later (on a loaded machine, later still).
  const deadline = Date.now() + 5_000;
  while (groupMembers(pid).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(groupMembers(pid).length >= 2, 'the driver shell and its sleep run');
  const stopped = await subject.stop(spec.jobId);
  assert.equal(stopped.state, 'STOPPED');
  assert.equal(stopped.exitCode, undefined);
  assert.ok(stopped.endedAt);
  assert.deepEqual(groupMembers(pid), [], 'no process of the job is left');
  await assert.rejects(subject.stop(spec.jobId), /already ended \(STOPPED at /);
});

test('a held (PENDING) job can be stopped before it starts', async (t) => {
  const ray = await peer(t, { hold: true });
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'echo never']);
  await subject.submit(spec);
  const stopped = await subject.stop(spec.jobId);
  assert.equal(stopped.state, 'STOPPED');
  assert.equal((await subject.logs(spec.jobId, {})).text, '');
});

test('logs: a tail of N lines, and a follow that never splits a line of a running job', () => {
  const running = logChunk('a\nb\nparti', { offset: 0 }, false);
  assert.deepEqual(running, { text: 'a\nb\n', lines: 2, nextOffset: 4, ended: false });
  const next = logChunk('a\nb\npartial\nc\n', { offset: running.nextOffset }, false);
  assert.deepEqual([next.text, next.nextOffset], ['partial\nc\n', 14]);
  const ended = logChunk('a\nb\nlast', { offset: 4 }, true);
  assert.deepEqual([ended.text, ended.lines, ended.nextOffset], ['last', 1, 8]);
  assert.equal(logChunk('1\n2\n3\n4\n', { tailLines: 2 }, true).text, '3\n4\n');
  assert.equal(logChunk('1\n2\n3', { tailLines: 2 }, true).text, '2\n3');
  assert.equal(logChunk('1\n2\n', { tailLines: 0 }, true).text, '');
  assert.equal(logChunk('1\n', { offset: 99 }, true).nextOffset, 2, 'an offset past the end is clamped');
});

test('an unknown job id: status is undefined, logs, stop and delete say which id and where', async (t) => {
  const ray = await peer(t);
  const subject = executor(ray.url);
  assert.equal(await subject.status('ghost'), undefined);
  for (const call of [
    () => subject.logs('ghost', { tailLines: 5 }),
    () => subject.stop('ghost'),
    () => subject.delete('ghost'),
  ])
    await assert.rejects(call, (error: Error) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.field, 'jobId');
      assert.ok(error.message.includes('"ghost"') && error.message.includes(ray.url));
      return true;
    });
});

test('a second submit under the same job id is refused as Ray refuses it', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'true']);
  await subject.submit(spec);
  await assert.rejects(subject.submit(spec), (error: Error) => {
    assert.ok(error instanceof InputError);
    assert.equal(error.field, 'jobId');
    assert.match(error.message, /already has a job/);
    return true;
  });
});

test('delete forgets an ended job and refuses a running one', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'sleep 30']);
  await subject.submit(spec);
  await until(subject, spec.jobId, (r) => r.state === 'RUNNING');
  await assert.rejects(subject.delete(spec.jobId), /is RUNNING; stop it before deleting it/);
  await subject.stop(spec.jobId);
  assert.equal(await subject.delete(spec.jobId), true);
  assert.equal(await subject.status(spec.jobId), undefined);
});

test('the peer validates a submit body like Ray: 400 with the Python error', async (t) => {
  const ray = await peer(t);
  const post = async (body: unknown) => {
    const response = await fetch(`${ray.url}/api/jobs/`, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, text: await response.text() };
  };
  const missing = await post({ runtime_env: {} });
  assert.equal(missing.status, 400);
  assert.match(missing.text, /missing 1 required positional argument: 'entrypoint'/);
  assert.match((await post({ entrypoint: 3 })).text, /TypeError: entrypoint must be a string/);
  assert.match((await post({ entrypoint: 'true', metadata: { a: 1 } })).text, /metadata values must be strings/);
  assert.match((await post({ entrypoint: 'true', bogus: 1 })).text, /unexpected keyword argument 'bogus'/);
  const generated = await post({ entrypoint: 'true' });
  assert.match(JSON.parse(generated.text).submission_id, /^raysubmit_[A-Za-z0-9]{16}$/);
});

test('an unreachable head node fails fast, naming the address and that the cluster may be down', async (t) => {
  // A port that was just free: nothing listens on it.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const token = 'sekret-token-do-not-leak';
  const subject = new RayExecutor({ address: `127.0.0.1:${port}`, timeoutMs: 5000, token });
  const dir = await tempDir(t);
  const started = performance.now();
  for (const call of [
    () => subject.status('x'),
    () => subject.submit(contractSpec(dir, ['true'])),
    () => subject.list(),
  ])
    await assert.rejects(call, (error: Error) => {
      assert.ok(error instanceof RayClusterError, `${error.name}: ${error.message}`);
      assert.equal(error.code, 'UNAVAILABLE');
      assert.equal(error.address, `http://127.0.0.1:${port}`);
      assert.match(error.message, new RegExp(`http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED.*may be down`));
      assert.ok(!error.message.includes(token));
      return true;
    });
  assert.ok(performance.now() - started < 3000, 'no long retries against a closed port');
});

test('a head node that never answers times out within timeoutMs', async (t) => {
  const stall = http.createServer(() => {});
  await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => (stall.closeAllConnections(), stall.close(() => resolve()))));
  const url = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
  const subject = new RayExecutor({ address: url, timeoutMs: 300 }, { retries: 0 });
  await assert.rejects(subject.status('x'), /did not answer GET \/api\/jobs\/x within 300 ms.*may be down/);
});

test('the token is sent as a Bearer header and never appears in errors or records', async (t) => {
  const token = 'sekret-token-do-not-leak';
  const ray = await peer(t, { token });
  const dir = await tempDir(t);
  const subject = executor(ray.url, { token });
  const spec = contractSpec(dir, ['/bin/sh', '-c', 'echo ok']);
  const record = await subject.submit(spec);
  await until(subject, spec.jobId, (r) => r.state === 'SUCCEEDED');
  assert.ok(ray.requests.length > 2);
  assert.ok(ray.requests.every((r) => r.authorization === `Bearer ${token}`));
  assert.ok(!JSON.stringify(record).includes(token));
  assert.ok(!JSON.stringify(ray.requests.map((r) => r.body)).includes(token), 'the token is not in any body');

  const wrong = executor(ray.url, { token: 'wrong-token-also-secret' });
  await assert.rejects(wrong.status(spec.jobId), (error: Error) => {
    assert.ok(error instanceof ToolError);
    assert.equal(error.code, 'NOT_CONFIGURED');
    assert.match(error.message, /HTTP 401.*mlTraining\.ray\.token/);
    assert.ok(!error.message.includes('wrong-token-also-secret') && !error.message.includes(token));
    return true;
  });
});

test('list maps every submission job and leaves out DRIVER jobs', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const subject = executor(ray.url);
  const a = contractSpec(dir, ['/bin/sh', '-c', 'true'], { name: 'first' });
  const b = contractSpec(dir, ['/bin/sh', '-c', 'exit 1'], { name: 'second' });
  await subject.submit(a);
  await subject.submit(b);
  await until(subject, b.jobId, (r) => r.endedAt !== undefined);
  const fake = new RayExecutor(
    { address: 'http://ray.test:8265', timeoutMs: 1000 },
    {
      fetch: async () =>
        new Response(
          JSON.stringify([
            { type: 'DRIVER', job_id: '01000000', status: 'RUNNING', entrypoint: '' },
            ...((await (await fetch(`${ray.url}/api/jobs/`)).json()) as object[]),
          ]),
        ),
    },
  );
  for (const listed of [await subject.list(), await fake.list()]) {
    assert.deepEqual(listed.map((r) => r.name).sort(), ['first', 'second']);
    assert.ok(listed.every((r) => r.backend === 'ray'));
  }
});

test('an answer over the byte budget is refused with the budget named, not read whole', async (t) => {
  const ray = await peer(t);
  const dir = await tempDir(t);
  const spec = contractSpec(dir, [
    '/bin/sh',
    '-c',
    'i=0; while [ $i -lt 2000 ]; do echo "row $i of a long log"; i=$((i+1)); done',
  ]);
  const small = new RayExecutor({ address: ray.url, timeoutMs: 5000 }, { maxAnswerBytes: 16 * 1024 });
  await small.submit(spec);
  await until(small, spec.jobId, (r) => r.state === 'SUCCEEDED');
  await assert.rejects(small.logs(spec.jobId, { tailLines: 5 }), (error: Error) => {
    assert.ok(error instanceof RayClusterError);
    assert.match(error.message, /answered GET \/api\/jobs\/.*\/logs with more than 16384 bytes \(the answer budget\)/);
    return true;
  });
  const tail = await executor(ray.url).logs(spec.jobId, { tailLines: 1 });
  assert.equal(tail.text, 'row 1999 of a long log\n');
});

test('a bad address or an empty command is refused before anything is sent', async (t) => {
  assert.throws(
    () => new RayExecutor({ address: 'http://user:pw@[::bad', timeoutMs: 1000 }),
    (error: Error) => {
      assert.ok(error instanceof ToolError && error.code === 'NOT_CONFIGURED');
      assert.match(error.message, /mlTraining\.ray\.address/);
      assert.ok(!error.message.includes('pw'), 'credentials in the address are not echoed');
      return true;
    },
  );
  const ray = await peer(t);
  const dir = await tempDir(t);
  await assert.rejects(executor(ray.url).submit(contractSpec(dir, [])), { name: 'InputError', field: 'command' });
  assert.equal(ray.requests.length, 0);
});

test("a driver job's id is the caller's mistake (HTTP 400), a 500 is the cluster's", async () => {
  const answers = [
    new Response('Can only stop submission type jobs', { status: 400 }),
    new Response('Traceback (most recent call last):\nRuntimeError: GCS unavailable\n', { status: 500 }),
  ];
  const subject = new RayExecutor(
    { address: 'http://ray.test:8265', timeoutMs: 1000 },
    { fetch: async () => answers.shift()! },
  );
  await assert.rejects(subject.stop('01000000'), { name: 'InputError', field: 'jobId' });
  await assert.rejects(subject.stop('01000000'), (error: Error) => {
    assert.ok(error instanceof RayClusterError);
    assert.equal(error.status, 500);
    assert.match(error.message, /HTTP 500: RuntimeError: GCS unavailable/);
    return true;
  });
});
