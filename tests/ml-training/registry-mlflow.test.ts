// The registry mirrored to MLflow through its REST API, against a loopback peer that follows the
// documented endpoints and limits: the exact requests of a run's life, metrics chunked at 1000 per
// log-batch, a re-sync that sends nothing already sent, status updates (FINISHED, and KILLED from a
// stopped job), model versions and aliases, and MLflow down or failing part-way with local data kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import {
  createRun,
  getRun,
  logRun,
  registerModel,
  removeModelAlias,
  setModelAlias,
  type RegistryEnvironment,
} from '../../tools/ml-training/registry/registry.js';
import { RegistryStore } from '../../tools/ml-training/registry/registry-store.js';
import { tempDir } from '../helpers.js';
import { MlflowPeer } from './mlflow-peer.js';
import { writeJobFiles } from './registry-fixture.js';

const token = 'tok-3f9a8c1d-secret';

async function setUp(t: Parameters<typeof tempDir>[0] & { after(fn: () => Promise<void>): void }) {
  const base = await tempDir(t);
  const project = path.join(base, 'project');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, 'model.safetensors'), 'weights');
  const peer = new MlflowPeer({ token });
  await peer.start();
  t.after(() => peer.stop());
  const env: RegistryEnvironment = {
    dataDir: path.join(base, 'data'),
    allowedRoots: [project],
    codeVersion: '0.9.0',
    mlflow: { trackingUri: peer.url, experiment: 'caelum-tests', timeoutMs: 3000, token },
  };
  return { env, peer, project };
}

test('a run is mirrored with the exact documented requests; metrics chunk at 1000; a re-sync sends nothing', async (t) => {
  const { env, peer } = await setUp(t);
  const created = await createRun(env, { name: 'profile-mlp', params: { learning_rate: 0.01, epochs: 3, adam: true } });
  assert.equal(created.mlflow?.synced, true, created.mlflow?.error);
  assert.deepEqual(
    peer.requests.map((r) => `${r.method} ${r.endpoint}`),
    ['GET experiments/get-by-name', 'POST experiments/create', 'POST runs/create', 'POST runs/log-batch'],
  );
  assert.ok(peer.requests.every((r) => r.authorization === `Bearer ${token}`));
  assert.deepEqual(peer.requests[0]!.query, { experiment_name: 'caelum-tests' });
  assert.deepEqual(peer.requests[1]!.body, { name: 'caelum-tests' });
  const experimentId = peer.experiments.get('caelum-tests')!.experiment_id;
  assert.deepEqual(peer.requests[2]!.body, {
    experiment_id: experimentId,
    run_name: 'profile-mlp',
    start_time: Date.parse(created.run.createdAt),
    tags: [],
  });
  const mlflowRunId = created.mlflow!.runId!;
  assert.deepEqual(peer.requests[3]!.body, {
    run_id: mlflowRunId,
    metrics: [],
    params: [
      { key: 'learning_rate', value: '0.01' },
      { key: 'epochs', value: '3' },
      { key: 'adam', value: 'true' },
    ],
    tags: [
      { key: 'caelum.run_id', value: created.run.runId },
      { key: 'caelum.code_version', value: '0.9.0' },
    ],
  });
  assert.equal(created.run.mlflowRunId, mlflowRunId);

  // 1250 points of two metrics: 2500 entries, sent as 1000 + 1000 + 500.
  const metrics = Array.from({ length: 1250 }, (_, step) => ({
    step,
    timestamp: 1_700_000_000_000 + step,
    values: { loss: 1 / (step + 1), val_loss: 2 / (step + 1) },
  }));
  const before = peer.requests.length;
  const logged = await logRun(env, { runId: created.run.runId, metrics });
  assert.equal(logged.mlflow?.synced, true, logged.mlflow?.error);
  const batches = peer.requests.slice(before);
  assert.deepEqual(
    batches.map((r) => [r.endpoint, (r.body.metrics as unknown[]).length]),
    [
      ['runs/log-batch', 1000],
      ['runs/log-batch', 1000],
      ['runs/log-batch', 500],
    ],
  );
  assert.deepEqual(batches[0]!.body.metrics[0], { key: 'loss', value: 1, step: 0, timestamp: 1_700_000_000_000 });
  assert.deepEqual(batches[2]!.body.metrics.at(-1), {
    key: 'val_loss',
    value: 2 / 1250,
    step: 1249,
    timestamp: 1_700_000_001_249,
  });
  assert.equal(logged.mlflow?.sent.metrics, 2500);

  // Nothing new: no request at all.
  const again = await getRun(env, created.run.runId);
  assert.equal(again.mlflow?.synced, true);
  assert.equal(again.mlflow?.requests, 0);
  assert.equal(peer.requests.length, before + 3);

  // The end: one runs/update with the status and end time.
  const ended = await logRun(env, { runId: created.run.runId, status: 'FINISHED' });
  const update = peer.requests.at(-1)!;
  assert.equal(update.endpoint, 'runs/update');
  assert.deepEqual(update.body, { run_id: mlflowRunId, status: 'FINISHED', end_time: Date.parse(ended.run.endedAt!) });
  const mirrored = peer.runs.get(mlflowRunId)!;
  assert.equal(mirrored.info.status, 'FINISHED');
  assert.equal(mirrored.data.metrics.length, 2500);
  assert.equal(mirrored.data.params.length, 3);
  assert.equal((await getRun(env, created.run.runId)).mlflow?.requests, 0);

  // A second run reuses the experiment: get-by-name finds it, nothing is created.
  const mark = peer.requests.length;
  await createRun(env, { name: 'profile-mlp' });
  assert.deepEqual(
    peer.requests.slice(mark).map((r) => r.endpoint),
    ['experiments/get-by-name', 'runs/create', 'runs/log-batch'],
  );
});

test('a stopped job becomes KILLED in MLflow; only new job metric lines and tags are sent', async (t) => {
  const { env, peer, project } = await setUp(t);
  await writeJobFiles(env.dataDir, 'job-1', { state: 'RUNNING' }, '{"step":0,"loss":0.9}\n{"step":1,"loss":0.7}\n');
  const { run, mlflow } = await createRun(env, { name: 'linked', jobId: 'job-1' });
  assert.equal(mlflow?.sent.metrics, 2);
  const tags = peer.calls('runs/log-batch')[0]!.body.tags as { key: string; value: string }[];
  assert.deepEqual(
    tags.find((t) => t.key === 'caelum.job_id'),
    { key: 'caelum.job_id', value: 'job-1' },
  );
  await appendFile(
    path.join(env.dataDir, 'ml-training', 'jobs', 'job-1', 'metrics.jsonl'),
    '{"step":2,"loss":0.5,"timestamp":1700000000}\n',
  );
  // The job's record now names a working directory inside the roots with a git checkout (packed refs).
  const commit = 'a'.repeat(40);
  await mkdir(path.join(project, '.git'), { recursive: true });
  await writeFile(path.join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(path.join(project, '.git', 'packed-refs'), `# pack-refs with: peeled\n${commit} refs/heads/main\n`);
  await writeJobFiles(env.dataDir, 'job-1', { state: 'STOPPED', endedAt: '2026-12-03T12:00:00.000Z', cwd: project });
  const mark = peer.requests.length;
  const got = await getRun(env, run.runId);
  assert.equal(got.run.status, 'KILLED');
  assert.equal(got.run.gitCommit, commit);
  const sent = peer.requests.slice(mark);
  assert.deepEqual(
    sent.map((r) => r.endpoint),
    ['runs/log-batch', 'runs/log-batch', 'runs/update'],
  );
  // Only the new tag, then only the new metric line.
  assert.deepEqual(sent[0]!.body, {
    run_id: mlflow!.runId,
    metrics: [],
    params: [],
    tags: [{ key: 'mlflow.source.git.commit', value: commit }],
  });
  assert.deepEqual(sent[1]!.body.metrics, [{ key: 'loss', value: 0.5, step: 2, timestamp: 1_700_000_000_000 }]);
  assert.deepEqual(sent[2]!.body, {
    run_id: mlflow!.runId,
    status: 'KILLED',
    end_time: Date.parse('2026-12-03T12:00:00.000Z'),
  });
  assert.equal(peer.runs.get(mlflow!.runId!)!.info.status, 'KILLED');
});

test('a model version and its aliases are registered in MLflow, linked to the run', async (t) => {
  const { env, peer, project } = await setUp(t);
  const { run, mlflow } = await createRun(env, { name: 'profile-mlp' });
  const mark = peer.requests.length;
  const registered = await registerModel(env, {
    name: 'profile-mlp',
    artifact: 'model.safetensors',
    runId: run.runId,
    alias: 'candidate',
  });
  assert.equal(registered.mlflow?.synced, true, registered.mlflow?.error);
  const sent = peer.requests.slice(mark);
  assert.deepEqual(
    sent.map((r) => `${r.method} ${r.endpoint}`),
    ['POST registered-models/create', 'POST model-versions/create', 'POST registered-models/alias'],
  );
  assert.deepEqual(sent[0]!.body, { name: 'profile-mlp' });
  assert.equal(sent[1]!.body.run_id, mlflow!.runId);
  assert.equal(sent[1]!.body.source, `file://${registered.version.source.path}`);
  assert.ok(sent[1]!.body.source.startsWith('file://') && registered.version.source.path.endsWith('model.safetensors'));
  assert.deepEqual(sent[1]!.body.tags, [
    { key: 'caelum.version', value: '1' },
    { key: 'caelum.sha256', value: registered.version.source.sha256 },
  ]);
  assert.deepEqual(sent[2]!.body, { name: 'profile-mlp', alias: 'candidate', version: '1' });

  await writeFile(path.join(project, 'model-2.safetensors'), 'weights 2');
  await registerModel(env, { name: 'profile-mlp', artifact: 'model-2.safetensors', alias: 'candidate' });
  await setModelAlias(env, { name: 'profile-mlp', alias: 'production', version: 1 });
  const model = peer.models.get('profile-mlp')!;
  assert.equal(model.versions.length, 2);
  assert.deepEqual(Object.fromEntries(model.aliases), { candidate: '2', production: '1' });
  // registered-models/create was sent once; the alias endpoint answers by alias as documented.
  assert.equal(peer.calls('registered-models/create').length, 1);
  const byAlias = await fetch(`${peer.url}/api/2.0/mlflow/registered-models/alias?name=profile-mlp&alias=production`, {
    headers: { authorization: `Bearer ${token}` },
  }).then((r) => r.json() as Promise<{ model_version: { version: string; aliases: string[] } }>);
  assert.equal(byAlias.model_version.version, '1');
  assert.deepEqual(byAlias.model_version.aliases, ['production']);
  // Nothing moved: no request.
  const quiet = peer.requests.length;
  await setModelAlias(env, { name: 'profile-mlp', alias: 'production', version: 1 });
  assert.equal(peer.requests.length, quiet);

  // Removing an alias deletes it in MLflow (DELETE with a JSON body, as MLflow's client sends it).
  await assert.rejects(
    removeModelAlias(env, { name: 'profile-mlp', alias: 'production' }),
    /confirm: removing production/,
  );
  const removed = await removeModelAlias(env, { name: 'profile-mlp', alias: 'candidate' });
  assert.equal(removed.previous, 2);
  assert.deepEqual(removed.model.aliases, { production: 1 });
  const deletion = peer.requests.at(-1)!;
  assert.equal(deletion.method, 'DELETE');
  assert.equal(deletion.endpoint, 'registered-models/alias');
  assert.deepEqual(deletion.body, { name: 'profile-mlp', alias: 'candidate' });
  assert.deepEqual(Object.fromEntries(model.aliases), { production: '1' });
});

test('MLflow down: the run is saved locally, the result says why, and a later sync catches up', async (t) => {
  const { env, peer } = await setUp(t);
  const url = peer.url;
  await peer.stop();
  const created = await createRun(env, { name: 'offline', params: { seed: 1 } });
  assert.equal(created.mlflow?.synced, false);
  assert.match(created.mlflow!.error!, /MLflow at http:\/\/127\.0\.0\.1:\d+\/ is unreachable .*saved locally/);
  assert.ok(!created.mlflow!.error!.includes(token));
  const local = await new RegistryStore(env.dataDir).readRun(created.run.runId);
  assert.equal(local?.name, 'offline');
  assert.equal(local?.mlflow, undefined);
  await logRun(env, { runId: created.run.runId, metrics: [{ step: 0, values: { loss: 1 } }], status: 'FAILED' });

  // The server comes back (on another port: a new tracking URI starts the mirror afresh).
  const back = new MlflowPeer({ token });
  await back.start();
  t.after(() => back.stop());
  const synced = await getRun({ ...env, mlflow: { ...env.mlflow!, trackingUri: back.url } }, created.run.runId);
  assert.equal(synced.mlflow?.synced, true, synced.mlflow?.error);
  const mirrored = back.runs.get(synced.mlflow!.runId!)!;
  assert.equal(mirrored.info.status, 'FAILED');
  assert.equal(mirrored.data.metrics.length, 1);
  assert.notEqual(url, back.url);
});

test('a failure part-way resends nothing already accepted; a rejected token is named without the token', async (t) => {
  const { env, peer } = await setUp(t);
  const { run } = await createRun(env, { name: 'partial' });
  peer.failNext('runs/log-batch', { skip: 1, status: 503, code: 'TEMPORARILY_UNAVAILABLE', message: 'overloaded' });
  const metrics = Array.from({ length: 2500 }, (_, step) => ({ step, values: { loss: step } }));
  const failed = await logRun(env, { runId: run.runId, metrics });
  assert.equal(failed.mlflow?.synced, false);
  assert.match(failed.mlflow!.error!, /runs\/log-batch answered 503 TEMPORARILY_UNAVAILABLE: overloaded/);
  assert.equal(failed.mlflow?.sent.metrics, 1000);
  const retried = await getRun(env, run.runId);
  assert.equal(retried.mlflow?.synced, true);
  assert.equal(retried.mlflow?.sent.metrics, 1500);
  const mirrored = peer.runs.get(retried.mlflow!.runId!)!;
  assert.deepEqual(
    mirrored.data.metrics.map((m) => m.step),
    Array.from({ length: 2500 }, (_, i) => i),
  );

  const wrong = await createRun({ ...env, mlflow: { ...env.mlflow!, token: 'not-the-token-xyz' } }, { name: 'denied' });
  assert.equal(wrong.mlflow?.synced, false);
  assert.match(wrong.mlflow!.error!, /answered 401 UNAUTHENTICATED/);
  assert.ok(!wrong.mlflow!.error!.includes('not-the-token-xyz'));
});

test('credentials in the tracking URI become Basic auth and never reach a result or the data dir', async (t) => {
  const { env } = await setUp(t);
  const peer = new MlflowPeer({ basic: 'alice:s3cret-pw' });
  await peer.start();
  t.after(() => peer.stop());
  const withUser = {
    ...env,
    mlflow: { trackingUri: peer.url.replace('http://', 'http://alice:s3cret-pw@'), experiment: 'e', timeoutMs: 3000 },
  };
  const { run, mlflow } = await createRun(withUser, { name: 'basic-auth' });
  assert.equal(mlflow?.synced, true, mlflow?.error);
  assert.equal(peer.requests[0]!.authorization, `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}`);
  assert.ok(!JSON.stringify(mlflow).includes('s3cret-pw'));
  const stored = await readFile(
    path.join(env.dataDir, 'ml-training', 'registry', 'runs', run.runId, 'run.json'),
    'utf8',
  );
  assert.ok(!stored.includes('s3cret-pw'));
  // The same server again: the stored (redacted) URI still matches, so nothing is created twice.
  assert.equal((await getRun(withUser, run.runId)).mlflow?.requests, 0);
  await peer.stop();
  const down = await getRun(withUser, run.runId);
  assert.equal(down.mlflow?.synced, true, 'nothing new to send needs no request');
  const offline = await logRun(withUser, { runId: run.runId, metrics: [{ step: 0, values: { loss: 1 } }] });
  assert.equal(offline.mlflow?.synced, false);
  assert.ok(!offline.mlflow!.error!.includes('s3cret-pw'), offline.mlflow!.error);
});

test('an MLflow server that never answers is given up after timeoutMs; the run is kept', async (t) => {
  const { env } = await setUp(t);
  const sockets = new Set<import('node:net').Socket>();
  const silent = http.createServer(() => undefined);
  silent.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const port = (silent.address() as import('node:net').AddressInfo).port;
  const hanging = { ...env, mlflow: { trackingUri: `http://127.0.0.1:${port}`, experiment: 'e', timeoutMs: 300 } };
  const { run, mlflow } = await createRun(hanging, { name: 'patient' });
  assert.equal(mlflow?.synced, false);
  assert.match(mlflow!.error!, /unreachable \(GET experiments\/get-by-name: no answer within 300 ms\)/);
  assert.equal((await new RegistryStore(env.dataDir).readRun(run.runId))?.name, 'patient');
});
