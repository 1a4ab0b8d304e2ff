// The PostgreSQL job mirror through outages, restricted roles and restarts, against the real server (a
// schema of each test's own): an unreachable database costs a tool call one connect budget, not one per
// queued write; the copies come back without a job transition once it answers again; a role that may
// only read and write an existing table works; and a data dir restarted under a new hostname keeps its rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import type { JobRecord } from '../../tools/ml-training/jobs/executor.js';
import { instanceId, instanceIdFile, JobMirror, jobTable } from '../../tools/ml-training/jobs/job-mirror.js';
import { pgSchemaUrl, pgUrl, postgresAvailable, tempDir } from '../helpers.js';
import { waitFor } from './jobs-fixture.js';

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
  const schema = `caelum_mirror_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const admin = new driver.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  t.after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });
  await admin.query(`SET search_path = ${schema}`);
  return { url: pgSchemaUrl(schema), admin, schema };
}

function job(jobId: string, state: JobRecord['state']): JobRecord {
  return {
    jobId,
    backend: 'local',
    name: 'mirror-test',
    state,
    command: ['python', 'train.py'],
    cwd: '/tmp',
    outputDir: '/tmp/out',
    resources: {},
    metadata: {},
    submittedAt: new Date().toISOString(),
  } as JobRecord;
}

interface Row {
  job_id: string;
  data_dir: string;
  host: string;
  instance_id: string | null;
  state: string;
}

async function row(admin: pg.Client, jobId: string): Promise<Row | undefined> {
  const found = await admin.query<Row>(`select * from ${jobTable} where job_id = $1`, [jobId]).catch(() => undefined);
  return found?.rows[0];
}

/** A port nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `url` (with its search path) pointed at another port of the loopback. */
function onPort(url: string, port: number): string {
  const moved = new URL(url);
  moved.hostname = '127.0.0.1';
  moved.port = String(port);
  return moved.toString();
}

/** A loopback TCP relay to the real server, started later on `port` (down until then). */
function relayTo(t: T, port: number): { up(): Promise<void> } {
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
    return new Promise((resolve) => (relay.listening ? relay.close(() => resolve()) : resolve()));
  });
  return { up: () => new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve)) };
}

test('an unreachable database (connections hang) costs a tool call one connect budget, not one per queued write', async (t) => {
  // Accepts connections and never answers, like a host behind a dropped route.
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const blackhole = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => blackhole.close(resolve));
  });
  const port = (blackhole.address() as net.AddressInfo).port;
  const dataDir = await tempDir(t, 'caelum-mirror-down-');
  const mirror = new JobMirror(dataDir, {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    connectTimeoutMs: 500,
    statementTimeoutMs: 500,
    retryPauseMs: 60_000,
  });
  t.after(() => mirror.close());
  await mirror.instance();
  const ids = Array.from({ length: 8 }, (_, i) => `job-down-${i}`);
  const began = performance.now();
  for (const id of ids) mirror.write(job(id, 'RUNNING'));
  await mirror.settled();
  const waited = performance.now() - began;
  // One flush, one connect budget (500 ms); a chain of eight flushes paid 8 × 500 ms.
  assert.ok(waited < 2_500, `settled() waited ${Math.round(waited)} ms`);
  for (const id of ids) assert.equal(mirror.copyOf(id)?.copy, 'stale', id);
  assert.match(mirror.problem() ?? '', /could not be reached .*8 job record\(s\) are stale there/);
  // While paused after the failure, more writes stay pending and nothing waits for the database.
  for (const id of ids.slice(0, 3)) mirror.write(job(id, 'SUCCEEDED'));
  await mirror.settled();
  assert.equal(mirror.copyOf(ids[0]!)?.copy, 'stale');
  await mirror.close();
  assert.equal(connections, 1, 'eleven writes during an outage open one connection');
});

test('after a short outage the pending copies are written and the trouble clears without any job changing state', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const port = await freePort();
  const relay = relayTo(t, port);
  const dataDir = await tempDir(t, 'caelum-mirror-retry-');
  const mirror = new JobMirror(dataDir, { url: onPort(db.url, port), retryPauseMs: 200 });
  t.after(() => mirror.close());
  mirror.write(job('job-outage-1', 'RUNNING'));
  await mirror.settled();
  assert.equal(mirror.copyOf('job-outage-1')?.copy, 'stale');
  assert.match(mirror.problem() ?? '', /ECONNREFUSED/);
  await relay.up();
  const written = await waitFor('the pending copy in PostgreSQL', () => row(db.admin, 'job-outage-1'));
  assert.equal(written.state, 'RUNNING');
  await waitFor('the copy to be current', () => mirror.copyOf('job-outage-1')?.copy === 'current');
  assert.equal(mirror.problem(), undefined);
});

test('a read that succeeds after an outage clears the trouble it reported', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const port = await freePort();
  const relay = relayTo(t, port);
  const dataDir = await tempDir(t, 'caelum-mirror-read-');
  const mirror = new JobMirror(dataDir, { url: onPort(db.url, port), retryPauseMs: 200 });
  t.after(() => mirror.close());
  assert.deepEqual(await mirror.foreignJobs(), []);
  assert.match(mirror.problem() ?? '', /could not be reached/);
  await relay.up();
  await waitFor('a read to succeed', async () => {
    await mirror.foreignJobs();
    return mirror.problem() === undefined;
  });
});

test('a role with only SELECT, INSERT and UPDATE on an existing table writes and reads it (no DDL is run)', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  // The table as the owner's service created it.
  const ownerDir = await tempDir(t, 'caelum-mirror-owner-');
  const owner = new JobMirror(ownerDir, { url: db.url });
  await owner.foreignJobs();
  assert.equal(owner.problem(), undefined);
  await owner.close();
  const role = `caelum_jobs_rw_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  await db.admin.query(`CREATE ROLE ${role} LOGIN`);
  t.after(async () => {
    const driver = (await import('pg')).default;
    const cleanup = new driver.Client({ connectionString: pgUrl });
    await cleanup.connect();
    try {
      await cleanup.query(`DROP OWNED BY ${role}`);
      await cleanup.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await cleanup.end();
    }
  });
  await db.admin.query(`GRANT USAGE ON SCHEMA ${db.schema} TO ${role}`);
  await db.admin.query(`GRANT SELECT, INSERT, UPDATE ON ${jobTable} TO ${role}`);
  const url = new URL(db.url);
  url.username = role;
  url.password = '';
  const dataDir = await tempDir(t, 'caelum-mirror-role-');
  const mirror = new JobMirror(dataDir, { url: url.toString() });
  t.after(() => mirror.close());
  mirror.write(job('job-role-1', 'RUNNING'));
  await mirror.settled();
  assert.equal(mirror.copyOf('job-role-1')?.copy, 'current', mirror.copyOf('job-role-1')?.error);
  mirror.write(job('job-role-1', 'SUCCEEDED'));
  await mirror.settled();
  assert.equal((await row(db.admin, 'job-role-1'))?.state, 'SUCCEEDED');
  assert.deepEqual(await mirror.foreignJobs(), []);
  assert.equal(mirror.problem(), undefined);
});

test('a data dir restarted under a new hostname keeps owning its rows; the same path with another instance id does not', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const dataDir = await tempDir(t, 'caelum-mirror-owner-');
  // Created once, whoever asks first: concurrent callers get one id.
  const ids = await Promise.all(Array.from({ length: 5 }, () => instanceId(dataDir)));
  assert.equal(new Set(ids).size, 1);
  assert.equal((await readFile(instanceIdFile(dataDir), 'utf8')).trim(), ids[0]);

  const before = new JobMirror(dataDir, { url: db.url, host: 'container-a1' });
  before.write(job('job-restart-1', 'RUNNING'));
  await before.settled();
  await before.close();
  assert.equal((await row(db.admin, 'job-restart-1'))?.instance_id, ids[0]);

  const after = new JobMirror(dataDir, { url: db.url, host: 'container-b7' });
  t.after(() => after.close());
  after.write(job('job-restart-1', 'SUCCEEDED'));
  await after.settled();
  assert.equal(after.copyOf('job-restart-1')?.copy, 'current', after.copyOf('job-restart-1')?.error);
  const moved = await row(db.admin, 'job-restart-1');
  assert.deepEqual([moved?.state, moved?.host], ['SUCCEEDED', 'container-b7']);
  assert.deepEqual(await after.foreignJobs(), [], 'its own rows are not listed as another data dir’s');

  // The same data dir path on another machine (another instance id) cannot overwrite the row.
  const twin = new JobMirror(path.resolve(dataDir), { url: db.url, host: 'container-b7' });
  t.after(() => twin.close());
  await writeFile(instanceIdFile(dataDir), 'another-machine\n');
  twin.write(job('job-restart-1', 'FAILED'));
  await twin.settled();
  assert.equal(twin.copyOf('job-restart-1')?.copy, 'stale');
  assert.equal((await row(db.admin, 'job-restart-1'))?.state, 'SUCCEEDED');
  assert.deepEqual(
    (await twin.foreignJobs()).map((f) => [f.record.jobId, f.host]),
    [['job-restart-1', 'container-b7']],
  );
});

test('a table created before instance ids gets the column, and its rows of this data dir and host stay writable', async (t) => {
  const db = await jobDatabase(t);
  if (!db) return;
  const dataDir = await tempDir(t, 'caelum-mirror-legacy-');
  await db.admin.query(`create table ${jobTable} (job_id text primary key, data_dir text not null, host text not null,
    state text not null, record jsonb not null, updated_at timestamptz not null default now())`);
  await db.admin.query(
    `insert into ${jobTable} (job_id, data_dir, host, state, record) values ('job-legacy-1', $1, 'old-host', 'RUNNING', $2)`,
    [path.resolve(dataDir), JSON.stringify(job('job-legacy-1', 'RUNNING'))],
  );
  const mirror = new JobMirror(path.resolve(dataDir), { url: db.url, host: 'old-host' });
  t.after(() => mirror.close());
  assert.deepEqual(await mirror.foreignJobs(), [], 'the legacy row is this data dir’s');
  mirror.write(job('job-legacy-1', 'SUCCEEDED'));
  await mirror.settled();
  assert.equal(mirror.copyOf('job-legacy-1')?.copy, 'current', mirror.copyOf('job-legacy-1')?.error);
  const claimed = await row(db.admin, 'job-legacy-1');
  assert.deepEqual([claimed?.state, claimed?.instance_id], ['SUCCEEDED', await instanceId(dataDir)]);
});
