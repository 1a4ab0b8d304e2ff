// The runs and models registry in PostgreSQL, for services on several machines configured with the
// same databaseUrl: they see and change the same runs, metrics, models, versions and aliases.
//   caelum_registry_runs      one row per run (the record as jsonb); set_aside marks a run being deleted
//   caelum_registry_metrics   metric points, append-only, in the order logged (an identity column)
//   caelum_registry_models    one row per model: its versions and aliases as jsonb
//   caelum_registry_events    the append-only history (runs created, ended and deleted, versions, aliases)
// Here the database is the source of truth, so an unreachable database fails the call with a message
// naming DATABASE_URL: falling back to the data dir's files would split the registry in two. A
// read-modify-write cycle holds a session-level advisory lock on its key for its whole duration, so
// cycles on one run or model never interleave across instances; an instance that dies (kill -9
// included) loses its connection, and PostgreSQL frees the lock at once. The job records and metrics
// files stay where the local job executor writes them (the data dir), read through RegistryStore.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ToolError } from '../../errors.js';
import {
  RegistryStore,
  isMetricPoint,
  runIdPattern,
  serialisedLocally,
  type JobMetrics,
  type MetricPoint,
  type ModelRecord,
  type RegistryStorage,
  type RunRecord,
} from './registry-store.js';
import type { JobRecord } from '../jobs/executor.js';
import { budgetedPool } from '../../../knowledge/pg-pool.js';

export const registryTablePrefix = 'caelum_registry_';
const runs = `${registryTablePrefix}runs`;
const metrics = `${registryTablePrefix}metrics`;
const models = `${registryTablePrefix}models`;
const events = `${registryTablePrefix}events`;
const metricsIndex = `${metrics}_run`;
const eventsIndex = `${events}_model`;

export interface RegistryDatabaseOptions {
  url: string;
  /** Budget to open a connection; default 5000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Server-side statement_timeout (and a client-side guard just above it); default 10000 ms. */
  statementTimeoutMs?: number | undefined;
  /** How long a cycle waits for another instance's cycle on the same run or model; default 30000 ms. */
  lockWaitMs?: number | undefined;
}

/** Connections that already carry an error listener (the pool hands the same ones out again). */
const listened = new WeakSet<pg.PoolClient>();

/** Rows read per statement when a read may be long (a run's metrics, the event log, every run). */
export const registryPageRows = 1000;
/** Read-modify-write cycles on different keys that may hold a lock connection at once. */
const lockConnections = 8;

// DDL runs only for what is missing, so a role that may only read and write the tables works.
const schemaCheckSql = `
select to_regclass('${runs}') is not null and to_regclass('${metrics}') is not null
   and to_regclass('${models}') is not null and to_regclass('${events}') is not null
   and to_regclass('${metricsIndex}') is not null and to_regclass('${eventsIndex}') is not null as ready`;

const schemaSql = [
  `create table if not exists ${runs} (
     run_id text primary key,
     name text not null,
     job_id text,
     set_aside text,
     record jsonb not null,
     updated_at timestamptz not null default now()
   )`,
  `create table if not exists ${metrics} (
     id bigint generated always as identity primary key,
     run_id text not null references ${runs} (run_id) on delete cascade,
     point jsonb not null
   )`,
  `create index if not exists ${metricsIndex} on ${metrics} (run_id, id)`,
  `create table if not exists ${models} (
     name text primary key,
     record jsonb not null,
     updated_at timestamptz not null default now()
   )`,
  `create table if not exists ${events} (
     id bigint generated always as identity primary key,
     model text,
     run_id text,
     event jsonb not null
   )`,
  `create index if not exists ${eventsIndex} on ${events} (model, id)`,
];

// A run set aside by an instance that died before removing it is invisible (as a dot-directory is in
// the file store); writing a run with its id first deletes that leftover, under the run's lock.
const upsertRunSql = `
insert into ${runs} as t (run_id, name, job_id, record, updated_at) values ($1, $2, $3, $4, now())
on conflict (run_id) do update
  set name = excluded.name, job_id = excluded.job_id, record = excluded.record, updated_at = excluded.updated_at
  where t.set_aside is null`;

export class PgRegistryStore implements RegistryStorage {
  /** The job executor's files stay in the data dir; only they are read from there. */
  private readonly jobFiles: RegistryStore;
  private readonly queues = new Map<string, Promise<unknown>>();
  private statementsLoading: Promise<pg.Pool> | undefined;
  private locksLoading: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;
  private lockSlots = lockConnections;
  private readonly lockWaiters: (() => void)[] = [];

  constructor(
    readonly dataDir: string,
    readonly options: RegistryDatabaseOptions,
  ) {
    this.jobFiles = new RegistryStore(dataDir);
  }

  /** The server as it may be shown: host, port and database, never the password. */
  get target(): string {
    try {
      const url = new URL(this.options.url);
      return `${url.host}${url.pathname}`;
    } catch {
      return 'the configured databaseUrl';
    }
  }

  /**
   * Runs `work` after every earlier piece of work on `key` in this process (a local queue), holding
   * the key's advisory lock so that no other instance's work on it runs meanwhile. The lock is taken
   * on its own connection, released in `finally`; a connection that cannot release it is destroyed,
   * which ends its session and frees the lock.
   */
  serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    return serialisedLocally(this.queues, key, async () => {
      await this.ensure();
      await this.takeLockSlot();
      try {
        const client = await this.lockClient();
        try {
          await client.query(`select pg_advisory_lock(hashtext('caelum_registry'), hashtext($1))`, [key]);
        } catch (error) {
          client.release(true);
          throw this.lockFailure(error, key);
        }
        try {
          return await work();
        } finally {
          try {
            await client.query(`select pg_advisory_unlock(hashtext('caelum_registry'), hashtext($1))`, [key]);
            client.release();
          } catch (error) {
            client.release(error instanceof Error ? error : true);
          }
        }
      } finally {
        this.giveLockSlot();
      }
    });
  }

  async readRun(runId: string): Promise<RunRecord | undefined> {
    if (!runIdPattern.test(runId)) return undefined;
    const rows = await this.query<{ record: RunRecord }>(
      `select record from ${runs} where run_id = $1 and set_aside is null`,
      [runId],
    );
    return rows[0]?.record;
  }

  async writeRun(run: RunRecord): Promise<void> {
    if (!runIdPattern.test(run.runId)) throw new Error(`invalid run id ${JSON.stringify(run.runId)}`);
    const parameters = [run.runId, run.name, run.jobId ?? null, JSON.stringify(run)];
    const written = await this.statement(upsertRunSql, parameters);
    if (written.rowCount !== 0) return;
    // The id is held by a leftover set-aside row: it goes, with its metrics, and the run is written.
    await this.transaction(async (client) => {
      await client.query(`delete from ${runs} where run_id = $1 and set_aside is not null`, [run.runId]);
      await client.query(upsertRunSql, parameters);
    });
  }

  async listRunIds(limit?: number): Promise<string[]> {
    const rows = await this.query<{ run_id: string }>(
      `select run_id from ${runs} where set_aside is null order by run_id limit $1`,
      [limit ?? null],
    );
    return rows.map((row) => row.run_id);
  }

  async readRuns(filter: { name?: string | undefined; jobId?: string | undefined } = {}): Promise<RunRecord[]> {
    const found: RunRecord[] = [];
    let after = '';
    for (;;) {
      const rows = await this.query<{ run_id: string; record: RunRecord }>(
        `select run_id, record from ${runs}
         where set_aside is null and run_id > $1 and ($2::text is null or name = $2) and ($3::text is null or job_id = $3)
         order by run_id limit ${registryPageRows}`,
        [after, filter.name ?? null, filter.jobId ?? null],
      );
      found.push(...rows.map((row) => row.record));
      if (rows.length < registryPageRows) return found;
      after = rows.at(-1)!.run_id;
    }
  }

  /**
   * Marks the run set aside in one statement: from then on no reader sees its record or its metrics.
   * `restore` clears the mark; `remove` deletes the row, and its metrics with it, in one statement.
   */
  async setRunAside(runId: string): Promise<{ restore(): Promise<void>; remove(): Promise<void> }> {
    const token = randomUUID();
    const marked = await this.statement(
      `update ${runs} set set_aside = $2, updated_at = now() where run_id = $1 and set_aside is null`,
      [runId, token],
    );
    if (marked.rowCount === 0) throw new Error(`no run ${runId} to set aside`);
    return {
      restore: async () => {
        await this.statement(`update ${runs} set set_aside = null where run_id = $1 and set_aside = $2`, [
          runId,
          token,
        ]);
      },
      remove: async () => {
        await this.statement(`delete from ${runs} where run_id = $1 and set_aside = $2`, [runId, token]);
      },
    };
  }

  async appendMetrics(runId: string, points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    // One statement: the points land together, numbered in the order given.
    await this.statement(
      `insert into ${metrics} (run_id, point)
       select $1, value from jsonb_array_elements($2::jsonb) with ordinality as p(value, n) order by n`,
      [runId, JSON.stringify(points)],
    );
  }

  async readMetrics(runId: string): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.query<{ id: string; point: unknown }>(
        `select m.id, m.point from ${metrics} m
         where m.run_id = $1 and m.id > $2
           and exists (select 1 from ${runs} r where r.run_id = $1 and r.set_aside is null)
         order by m.id limit ${registryPageRows}`,
        [runId, after],
      );
      for (const row of rows) if (isMetricPoint(row.point)) points.push(row.point);
      if (rows.length < registryPageRows) return points;
      after = Number(rows.at(-1)!.id);
    }
  }

  async readModel(name: string): Promise<ModelRecord | undefined> {
    const rows = await this.query<{ record: ModelRecord }>(`select record from ${models} where name = $1`, [name]);
    return rows[0]?.record;
  }

  async writeModel(model: ModelRecord): Promise<void> {
    await this.statement(
      `insert into ${models} (name, record, updated_at) values ($1, $2, now())
       on conflict (name) do update set record = excluded.record, updated_at = excluded.updated_at`,
      [model.name, JSON.stringify(model)],
    );
  }

  async listModelNames(): Promise<string[]> {
    // Byte order, as the file store's sort gives.
    const rows = await this.query<{ name: string }>(`select name from ${models} order by name collate "C"`);
    return rows.map((row) => row.name);
  }

  async appendEvent(event: Record<string, unknown>): Promise<void> {
    const record = { at: new Date().toISOString(), ...event };
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    await this.statement(`insert into ${events} (model, run_id, event) values ($1, $2, $3)`, [
      text(event.model),
      text(event.runId),
      JSON.stringify(record),
    ]);
  }

  async readEvents(filter: { model?: string | undefined } = {}): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.query<{ id: string; event: Record<string, unknown> }>(
        `select id, event from ${events} where id > $1 and ($2::text is null or model = $2)
         order by id limit ${registryPageRows}`,
        [after, filter.model ?? null],
      );
      found.push(...rows.map((row) => row.event));
      if (rows.length < registryPageRows) return found;
      after = Number(rows.at(-1)!.id);
    }
  }

  readJob(jobId: string): Promise<JobRecord | undefined> {
    return this.jobFiles.readJob(jobId);
  }

  readJobMetrics(jobId: string): Promise<JobMetrics> {
    return this.jobFiles.readJobMetrics(jobId);
  }

  async close(): Promise<void> {
    const pools = [this.statementsLoading, this.locksLoading];
    this.statementsLoading = undefined;
    this.locksLoading = undefined;
    this.ready = undefined;
    for (const pool of pools) if (pool) await (await pool).end().catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------- connections

  /** Short statements; never held across a cycle, so the lock connections can never starve them. */
  private statements(): Promise<pg.Pool> {
    const statementMs = this.options.statementTimeoutMs ?? 10_000;
    this.statementsLoading ??= this.pool('caelum-registry', 4, statementMs);
    return this.statementsLoading;
  }

  /** One connection per cycle in progress, holding its lock; its only statements take and free the lock. */
  private lockClient(): Promise<pg.PoolClient> {
    this.locksLoading ??= this.pool('caelum-registry-locks', lockConnections, this.options.lockWaitMs ?? 30_000);
    return this.locksLoading.then(async (pool) => {
      const client = await pool.connect().catch((error: unknown) => {
        throw this.unavailable(error);
      });
      // The pool listens for errors only on idle connections; one that dies while it holds a lock
      // (the server restarted, the session was terminated) must not crash the process. Its next
      // statement fails, and the connection is destroyed when the cycle ends.
      if (!listened.has(client)) {
        listened.add(client);
        client.on('error', () => undefined);
      }
      return client;
    });
  }

  /** pg loads on first use. */
  private pool(name: string, max: number, statementMs: number): Promise<pg.Pool> {
    return budgetedPool({
      url: this.options.url,
      applicationName: name,
      max,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 5_000,
      statementTimeoutMs: statementMs,
    });
  }

  /** A cycle waits here for a lock connection rather than in the pool, whose wait ends at the connect budget. */
  private async takeLockSlot(): Promise<void> {
    if (this.lockSlots > 0) {
      this.lockSlots -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.lockWaiters.push(resolve));
  }

  private giveLockSlot(): void {
    const next = this.lockWaiters.shift();
    if (next) next();
    else this.lockSlots += 1;
  }

  /** Creates what is missing of the tables once; an advisory lock keeps instances starting together from racing. */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      const pool = await this.statements();
      const client = await pool.connect();
      try {
        const ready = async () => (await client.query<{ ready: boolean }>(schemaCheckSql)).rows[0]!.ready;
        if (await ready()) return;
        await client.query(`select pg_advisory_lock(hashtext('${runs}'))`);
        try {
          if (!(await ready())) for (const sql of schemaSql) await client.query(sql);
        } finally {
          await client.query(`select pg_advisory_unlock(hashtext('${runs}'))`);
        }
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw this.unavailable(error);
    });
    return this.ready;
  }

  private async query<Row extends pg.QueryResultRow>(sql: string, parameters: unknown[] = []): Promise<Row[]> {
    return (await this.statement<Row>(sql, parameters)).rows;
  }

  private async statement<Row extends pg.QueryResultRow>(
    sql: string,
    parameters: unknown[] = [],
  ): Promise<pg.QueryResult<Row>> {
    await this.ensure();
    try {
      return await (await this.statements()).query<Row>(sql, parameters);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    await this.ensure();
    let client: pg.PoolClient;
    try {
      client = await (await this.statements()).connect();
    } catch (error) {
      throw this.unavailable(error);
    }
    if (!listened.has(client)) {
      listened.add(client);
      client.on('error', () => undefined);
    }
    try {
      await client.query('begin');
      await work(client);
      await client.query('commit');
      client.release();
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      client.release(true);
      throw this.unavailable(error);
    }
  }

  /** The call fails with one line naming DATABASE_URL; the data dir is never used in its place. */
  private unavailable(error: unknown): ToolError {
    if (error instanceof ToolError) return error;
    const message = ((error as Error).message || String(error)).split('\n')[0];
    return new ToolError(
      'UNAVAILABLE',
      `the run and model registry is kept in PostgreSQL (DATABASE_URL, ${this.target}) and it failed: ${message}; nothing was read from or written to the data dir instead`,
      { cause: error },
    );
  }

  private lockFailure(error: unknown, key: string): ToolError {
    if ((error as { code?: string }).code === '57014' || /timeout/i.test((error as Error).message ?? ''))
      return new ToolError(
        'TIMEOUT',
        `${key} in the registry (PostgreSQL, DATABASE_URL ${this.target}) stayed locked by another Caelum instance's change for more than ${(this.options.lockWaitMs ?? 30_000) / 1000} s; try again`,
        { cause: error },
      );
    return this.unavailable(error);
  }
}
