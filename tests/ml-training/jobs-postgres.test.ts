// Local job records copied to a real PostgreSQL (a schema of each test's own, through the URL's
// search_path): each transition lands as one row, a restart writes its reconciled states there, jobs
// of another data dir are listed and refused on stop, and a database that is down never holds a job
// up: the job runs to its end and the answers say that the database copy is stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import { jobTools } from '../../tools/ml-training/jobs/job-tools.js';
import { jobTable } from '../../tools/ml-training/jobs/job-mirror.js';
import { closeLocalJobs, localJobStore, openLocalJobs } from '../../tools/ml-training/jobs/local-job-store.js';
import { pgSchemaUrl, pgUrl, postgresAvailable, tempDir, testSuite } from '../helpers.js';
import { fastJobs, isAlive, nodeJob, trackJobs, waitFor } from './jobs-fixture.js';

type T = Parameters<typeof tempDir>[0] & {
  after(fn: () => Promise<void> | void): void;
  skip(reason: string): void;
};

/** A fresh schema and a URL that puts it first on the search path; undefined (skipped) without PostgreSQL. */
async function jobDatabase(t: T): Promise<{ url: string; admin: pg.Client; schema: string } | undefined> {
  const available = await postgresAvailable();
  if (!available.ok) {
    t.skip(available.reason);
    return undefined;
  }
  const driver = (await import('pg')).default;
  const schema = `caelum_jobs_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new driver.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  t.after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  // The admin client reads the test's table unqualified, like the store writes it.
  await admin.query(`SET search_path = ${schema}`);
  return { url: pgSchemaUrl(schema), admin, schema };
}

interface Row {
  job_id: string;
  data_dir: string;
  host: string;
  state: string;
  record: Record<string, any>;
}

async function row(admin: pg.Client, jobId: string): Promise<Row | undefined> {
  const found = await admin.query<Row>(`select * from ${jobTable} where job_id = $1`, [jobId]).catch(() => undefined);
  return found?.rows[0];
}

function rowIn(admin: pg.Client, jobId: string, state: string): Promise<Row> {
  return waitFor(`${jobId} ${state} in PostgreSQL`, async () => {
    const found = await row(admin, jobId);
    return found?.state === state ? found : undefined;
  });
}

/** A URL of a port nothing listens on (bound, then released). */
async function closedPortUrl(): Promise<{ url: string; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return { url: `postgres://postgres@127.0.0.1:${port}/test`, port };
}

/** A job that runs until its output dir holds a file named go, then prints and exits with `code`. */
const waitsForGo = (code: number) =>
  `const fs = require('fs'); const go = require('path').join(process.env.CAELUM_OUTPUT_DIR, 'go');
   const timer = setInterval(() => { if (fs.existsSync(go)) { clearInterval(timer);
     console.log('done'); if (${code}) console.error('RuntimeError: boom'); process.exit(${code}); } }, 20);`;

async function setup(t: T) {
  const base = await tempDir(t, 'caelum-jobs-pg-');
  const output = async (name: string) => {
    const dir = path.join(base, name);
    await mkdir(dir, { recursive: true });
    return dir;
  };
  return { base, output, track: trackJobs(t) };
}

test('each transition of a real job is one row in PostgreSQL: RUNNING, then SUCCEEDED with its exit code', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const dataDir = path.join(base, 'data');
  const store = localJobStore(dataDir, fastJobs, undefined, { url: db.url, host: 'host-a' });
  t.after(() => closeLocalJobs(dataDir));
  const out = await output('out');
  const spec = nodeJob(waitsForGo(0), out);
  const started = track(await store.submit(spec));
  assert.equal(started.database?.copy, 'current');
  const running = await row(db.admin, spec.jobId);
  assert.equal(running?.state, 'RUNNING');
  assert.equal(running?.data_dir, path.resolve(dataDir));
  assert.equal(running?.host, 'host-a');
  assert.equal(running?.record.pid, started.pid);
  await writeFile(path.join(out, 'go'), '');
  const done = await rowIn(db.admin, spec.jobId, 'SUCCEEDED');
  assert.equal(done.record.exitCode, 0);
  assert.equal(done.record.state, 'SUCCEEDED');
  const status = await store.status(spec.jobId);
  assert.equal(status?.state, 'SUCCEEDED');
  assert.equal(status?.database?.copy, 'current');
});

test('a crash becomes a FAILED row with the exit code and the last log lines', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const dataDir = path.join(base, 'data');
  const store = localJobStore(dataDir, fastJobs, undefined, { url: db.url });
  t.after(() => closeLocalJobs(dataDir));
  const out = await output('crash');
  const spec = nodeJob(waitsForGo(3), out);
  track(await store.submit(spec));
  await writeFile(path.join(out, 'go'), '');
  const failed = await rowIn(db.admin, spec.jobId, 'FAILED');
  assert.equal(failed.record.exitCode, 3);
  assert.ok(failed.record.lastLogLines.includes('[stderr] RuntimeError: boom'), failed.record.lastLogLines.join('|'));
});

test('a restart reconciles from the files and writes the reconciled states to PostgreSQL: LOST, re-attached RUNNING, and an exit seen at open', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const dataDir = path.join(base, 'data');
  // The first service has no database: the records are in the data dir only.
  const first = localJobStore(dataDir, fastJobs);
  const vanished = track(await first.submit(nodeJob('setInterval(() => {}, 1000)', await output('lost'))));
  const liveOut = await output('live');
  const live = track(await first.submit(nodeJob(waitsForGo(0), liveOut)));
  await closeLocalJobs(dataDir);
  process.kill(-vanished.pid!, 'SIGKILL');
  await waitFor('the wrapper to vanish', async () => !(await isAlive(vanished.pid!)));
  // The restarted service opens its store the way the composition root does, then learns the URL.
  t.after(() => closeLocalJobs(dataDir));
  await openLocalJobs(dataDir, fastJobs);
  assert.equal(await row(db.admin, vanished.jobId), undefined, 'nothing is written without a URL');
  localJobStore(dataDir, fastJobs, undefined, { url: db.url });
  const lost = await rowIn(db.admin, vanished.jobId, 'LOST');
  assert.match(lost.record.message, /left no exit record/);
  const attached = await rowIn(db.admin, live.jobId, 'RUNNING');
  assert.equal(attached.record.pid, live.pid);
  // The live job ends while no service runs; a store opened with the URL writes what it finds.
  await closeLocalJobs(dataDir);
  await writeFile(path.join(liveOut, 'go'), '');
  await waitFor('the job to exit', async () => !(await isAlive(live.pid!)));
  const reopened = await openLocalJobs(dataDir, fastJobs, undefined, { url: db.url });
  assert.deepEqual(reopened, []);
  const ended = await rowIn(db.admin, live.jobId, 'SUCCEEDED');
  assert.equal(ended.record.exitCode, 0);
});

test('jobs another data dir recorded are listed and shown read-only; stopping one is refused with where it runs', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const otherDir = path.join(base, 'other-data');
  const other = localJobStore(otherDir, fastJobs, undefined, { url: db.url, host: 'gpu-box-2' });
  t.after(() => closeLocalJobs(otherDir));
  const out = await output('elsewhere');
  const remote = track(await other.submit(nodeJob(waitsForGo(0), out, { name: 'far-away' })));

  const suite = await testSuite(t, { env: { DATABASE_URL: db.url } });
  for (const tool of jobTools) if (!suite.registry.get(tool.name)) suite.registry.add(tool);
  t.after(() => closeLocalJobs(suite.dataDir));
  const context = suite.dispatcher.context({});
  const call = (name: string, args: unknown, confirm = false) =>
    suite.dispatcher.router.invoke(name, args, context, { confirm });

  // A row of another shape (another Caelum version, a hand edit) is skipped, never fails the list.
  await db.admin.query(
    `insert into ${jobTable} (job_id, data_dir, host, state, record) values ('job-odd', '/srv/x', 'y', 'RUNNING', '{"jobId": "job-odd"}')`,
  );
  const listed = await call('ml_training_list_jobs', {});
  assert.ok(listed.ok, listed.ok ? '' : listed.error.message);
  const output_ = listed.output as { jobs: any[]; database?: string };
  const shown = output_.jobs.find((j) => j.jobId === remote.jobId);
  assert.deepEqual(
    { state: shown?.state, host: shown?.recordedElsewhere?.host, dataDir: shown?.recordedElsewhere?.dataDir },
    { state: 'RUNNING', host: 'gpu-box-2', dataDir: path.resolve(otherDir) },
  );
  assert.equal(output_.database, undefined);
  assert.equal(
    output_.jobs.find((j) => j.jobId === 'job-odd'),
    undefined,
  );
  assert.match(listed.text, /recorded by host gpu-box-2 .* read-only here/);

  const got = await call('ml_training_get_job', { jobId: remote.jobId });
  assert.ok(got.ok);
  assert.equal((got.output as any).job.recordedElsewhere.host, 'gpu-box-2');

  for (const confirm of [false, true]) {
    const stop = await call('ml_training_stop_job', { jobId: remote.jobId, confirm }, true);
    assert.equal(stop.ok, false);
    assert.match(
      stop.ok ? '' : stop.error.message,
      new RegExp(
        `recorded \\(in PostgreSQL\\) by host gpu-box-2 in data dir ${path.resolve(otherDir)}.*can only be stopped by the Caelum service there`,
      ),
    );
  }
  const logs = await call('ml_training_read_job_logs', { jobId: remote.jobId });
  assert.equal(logs.ok, false);
  assert.ok(await isAlive(remote.pid!), 'the other data dir’s job still runs');
  assert.equal((await other.status(remote.jobId))?.state, 'RUNNING');
});

test('with PostgreSQL unreachable a job still runs and succeeds; its record and the list say the database copy is stale', async (t) => {
  const { url } = await closedPortUrl();
  const suite = await testSuite(t, {
    env: { DATABASE_URL: url },
    files: { 'caelum.config.json': JSON.stringify({ mlTraining: { jobs: fastJobs } }) },
  });
  for (const tool of jobTools) if (!suite.registry.get(tool.name)) suite.registry.add(tool);
  const track = trackJobs(t);
  t.after(() => closeLocalJobs(suite.dataDir));
  const context = suite.dispatcher.context({});
  const call = async (name: string, args: unknown) => {
    const outcome = await suite.dispatcher.router.invoke(name, args, context, {});
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return { output: outcome.output as Record<string, any>, text: outcome.text };
  };
  const submitted = await call('ml_training_submit_job', {
    command: [process.execPath, '-e', "console.log('trained')"],
    outputDir: 'runs/offline',
    confirm: true,
  });
  track(submitted.output.job);
  assert.equal(submitted.output.job.database.copy, 'stale');
  assert.match(submitted.output.job.database.error, /ECONNREFUSED/);
  const done = await waitFor('SUCCEEDED', async () => {
    const { output } = await call('ml_training_get_job', { jobId: submitted.output.job.jobId });
    return output.job.state === 'SUCCEEDED' ? output : undefined;
  });
  assert.equal(done.job.exitCode, 0);
  assert.equal(done.job.database.copy, 'stale');
  const listed = await call('ml_training_list_jobs', {});
  assert.match(listed.output.database, /could not be reached .*job record\(s\) are stale there/);
  assert.match(listed.text, /^warning: the PostgreSQL job table/);
  assert.match(listed.text, /database copy stale since/);
});

test('a copy left stale by an outage is written once PostgreSQL is back (by the retry after the pause)', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const { url: closed, port } = await closedPortUrl();
  // A loopback TCP relay to the real server on the closed port: down first, then up.
  const target = new URL(pgUrl);
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((socket) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(socket).add(upstream);
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => relay.close(resolve));
  });
  const url = new URL(closed);
  url.search = new URL(db.url).search;
  const dataDir = path.join(base, 'data');
  const store = localJobStore(dataDir, fastJobs, undefined, { url: url.toString(), retryPauseMs: 300 });
  t.after(() => closeLocalJobs(dataDir));
  const out = await output('retry');
  const spec = nodeJob(waitsForGo(0), out);
  const started = track(await store.submit(spec));
  assert.equal(started.database?.copy, 'stale');
  await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
  await writeFile(path.join(out, 'go'), '');
  const done = await rowIn(db.admin, spec.jobId, 'SUCCEEDED');
  assert.equal(done.record.exitCode, 0);
  assert.equal((await store.status(spec.jobId))?.database?.copy, 'current');
  assert.equal(store.databaseProblem(), undefined);
});

test('a job id another data dir already holds in PostgreSQL is never overwritten there; the local copy says why it is stale', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const { base, output, track } = await setup(t);
  const dataDir = path.join(base, 'data');
  const store = localJobStore(dataDir, fastJobs, undefined, { url: db.url });
  t.after(() => closeLocalJobs(dataDir));
  await store.list(); // creates the table
  const spec = nodeJob("console.log('mine')", await output('clash'));
  const theirs = { jobId: spec.jobId, state: 'RUNNING', name: 'theirs', submittedAt: new Date().toISOString() };
  await db.admin.query(
    `insert into ${jobTable} (job_id, data_dir, host, state, record) values ($1, '/srv/other', 'elsewhere', 'RUNNING', $2)`,
    [spec.jobId, JSON.stringify(theirs)],
  );
  const started = track(await store.submit(spec));
  assert.equal(started.database?.copy, 'stale');
  assert.match(started.database?.error ?? '', /already recorded in caelum_ml_jobs by another data dir or host/);
  const kept = await row(db.admin, spec.jobId);
  assert.deepEqual([kept?.data_dir, kept?.record.name], ['/srv/other', 'theirs']);
  // The list shows the local job once: this data dir's record wins over the row.
  const listed = (await store.list()).filter((j) => j.jobId === spec.jobId);
  assert.deepEqual(
    listed.map((j) => [j.name, j.recordedElsewhere]),
    [['test', undefined]],
  );
});
