// A copy of the local job records in PostgreSQL (when databaseUrl is configured), so the jobs of every
// data dir and host that share a database can be listed in one place. The file in the data dir stays
// the source of truth: the wrapper and the monitor never wait on the database. Each transition is one
// upsert (atomic); a write that fails leaves the job's copy marked stale, logged, and retried with the
// next transition of any job. Rows of other data dirs are read-only here.
import os from 'node:os';
import type pg from 'pg';
import type { Logger } from '../../context.js';
import type { JobRecord } from './executor.js';
import { jobRecordSchema } from './job-schemas.js';

export const jobTable = 'caelum_ml_jobs';

export interface JobDatabaseOptions {
  url: string;
  /** Budget to open a connection; default 2000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Server-side statement_timeout (and a client-side guard just above it); default 2000 ms. */
  statementTimeoutMs?: number | undefined;
  /** The name this machine's rows carry; default os.hostname(). */
  host?: string | undefined;
}

/** How a local job's copy in PostgreSQL stands, as the job tools report it. */
export interface DatabaseCopy {
  copy: 'current' | 'stale';
  /** When the copy was last written, or when it went stale. */
  at: string;
  /** Why it is stale (the database's error, without credentials). */
  error?: string | undefined;
}

/** A job recorded by another data dir or host: shown here, managed only there. */
export interface ForeignJob {
  record: JobRecord;
  host: string;
  dataDir: string;
  updatedAt: string;
}

const schemaSql = `
create table if not exists ${jobTable} (
  job_id text primary key,
  data_dir text not null,
  host text not null,
  state text not null,
  record jsonb not null,
  updated_at timestamptz not null default now()
);
create index if not exists ${jobTable}_updated on ${jobTable} (updated_at desc);`;

// The owner check keeps a job id that another data dir already holds from being overwritten.
const upsertSql = `
insert into ${jobTable} (job_id, data_dir, host, state, record, updated_at)
values ($1, $2, $3, $4, $5, now())
on conflict (job_id) do update
  set state = excluded.state, record = excluded.record, updated_at = excluded.updated_at
  where ${jobTable}.data_dir = excluded.data_dir and ${jobTable}.host = excluded.host`;

/** At most this many rows of other data dirs are read for a list. */
export const foreignListLimit = 1000;

/**
 * After a failure, reads wait this long before trying the database again, so that listing jobs while it
 * is down does not pay a connect timeout each time. Writes are always tried (with the next transition).
 */
const readPauseMs = 5_000;

interface ForeignRow {
  job_id: string;
  data_dir: string;
  host: string;
  record: JobRecord;
  updated_at: Date;
}

export class JobMirror {
  readonly host: string;
  private poolLoading: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;
  /** The newest unwritten snapshot of each job (a failed write leaves it here for the next flush). */
  private readonly pending = new Map<string, JobRecord>();
  private readonly copies = new Map<string, DatabaseCopy>();
  private flushing: Promise<void> = Promise.resolve();
  private lastError: { message: string; at: string } | undefined;
  private closed = false;

  constructor(
    readonly dataDir: string,
    readonly options: JobDatabaseOptions,
    private readonly logger?: Logger,
  ) {
    this.host = options.host ?? os.hostname();
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

  /** Queues the record's current state and starts a flush; never throws, never waits for the database. */
  write(record: JobRecord): void {
    if (this.closed) return;
    this.pending.set(record.jobId, structuredClone(record));
    this.flushing = this.flushing.then(() => this.flush());
  }

  /** Resolves when every write queued so far has been tried (bounded by the connect and statement budgets). */
  settled(): Promise<void> {
    return this.flushing;
  }

  copyOf(jobId: string): DatabaseCopy | undefined {
    const copy = this.copies.get(jobId);
    return copy && { ...copy };
  }

  /** One line on the database's trouble, while the last attempt failed. */
  problem(): string | undefined {
    if (!this.lastError) return undefined;
    const stale = [...this.copies.values()].filter((c) => c.copy === 'stale').length;
    return (
      `the PostgreSQL job table (${this.target}) could not be reached at ${this.lastError.at}: ${this.lastError.message}; ` +
      `${stale} job record(s) are stale there (the data dir copy is current; retried with the next job transition), ` +
      'and jobs of other data dirs may be missing from this answer'
    );
  }

  /** Jobs in the table that belong to other data dirs or hosts, newest first; [] when it cannot be read. */
  async foreignJobs(): Promise<ForeignJob[]> {
    const rows = await this.read<ForeignRow>(
      `select job_id, data_dir, host, record, updated_at from ${jobTable}
       where not (data_dir = $1 and host = $2) order by updated_at desc limit ${foreignListLimit}`,
      [this.dataDir, this.host],
    );
    return rows.flatMap((row) => this.foreign(row));
  }

  /** One job of another data dir or host, if the table has it. */
  async foreignJob(jobId: string): Promise<ForeignJob | undefined> {
    const rows = await this.read<ForeignRow>(
      `select job_id, data_dir, host, record, updated_at from ${jobTable}
       where job_id = $1 and not (data_dir = $2 and host = $3)`,
      [jobId, this.dataDir, this.host],
    );
    return rows.flatMap((row) => this.foreign(row))[0];
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    if (this.poolLoading) await (await this.poolLoading).end().catch(() => undefined);
    this.poolLoading = undefined;
  }

  /** pg loads on first use; one small pool per data dir, with connect and statement budgets. */
  private connection(): Promise<pg.Pool> {
    const statementMs = this.options.statementTimeoutMs ?? 2_000;
    this.poolLoading ??= import('pg').then(({ default: driver }) => {
      const pool = new driver.Pool({
        connectionString: this.options.url,
        application_name: 'caelum-jobs',
        max: 2,
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 2_000,
        statement_timeout: statementMs,
        query_timeout: statementMs + 1_000,
        idleTimeoutMillis: 10_000,
        allowExitOnIdle: true,
      });
      pool.on('error', () => undefined);
      return pool;
    });
    return this.poolLoading;
  }

  /** Creates the table once (idempotent); an advisory lock keeps services starting together from racing. */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      const client = await (await this.connection()).connect();
      try {
        await client.query(`select pg_advisory_lock(hashtext('${jobTable}'))`);
        try {
          await client.query(schemaSql);
        } finally {
          await client.query(`select pg_advisory_unlock(hashtext('${jobTable}'))`);
        }
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async read<Row extends pg.QueryResultRow>(sql: string, parameters: unknown[]): Promise<Row[]> {
    if (this.closed) return [];
    if (this.lastError && Date.now() - Date.parse(this.lastError.at) < readPauseMs) return [];
    try {
      await this.ensure();
      const result = await (await this.connection()).query<Row>(sql, parameters);
      return result.rows;
    } catch (error) {
      this.failed(error);
      return [];
    }
  }

  /** Writes the pending records one upsert each; the first failure leaves the rest pending. */
  private async flush(): Promise<void> {
    for (const [jobId, record] of [...this.pending]) {
      if (this.pending.get(jobId) !== record) continue;
      try {
        await this.ensure();
        const result = await (
          await this.connection()
        ).query(upsertSql, [jobId, this.dataDir, this.host, record.state, JSON.stringify(record)]);
        // The newest snapshot may have been queued while this one was written.
        if (this.pending.get(jobId) === record) this.pending.delete(jobId);
        if (result.rowCount === 0) {
          const message = `job id ${jobId} is already recorded in ${jobTable} by another data dir or host`;
          this.copies.set(jobId, { copy: 'stale', at: new Date().toISOString(), error: message });
          this.logger?.warn('job_database_conflict', { jobId, table: jobTable });
          continue;
        }
        this.copies.set(jobId, { copy: 'current', at: new Date().toISOString() });
        this.lastError = undefined;
      } catch (error) {
        const message = this.failed(error);
        for (const id of this.pending.keys())
          this.copies.set(id, { copy: 'stale', at: new Date().toISOString(), error: message });
        return;
      }
    }
  }

  /** A row of another data dir, if its record has a job's shape (another Caelum version may write others). */
  private foreign(row: ForeignRow): ForeignJob[] {
    const parsed = jobRecordSchema.safeParse(row.record);
    if (!parsed.success || parsed.data.jobId !== row.job_id) {
      this.logger?.warn('job_database_row_skipped', { jobId: row.job_id, host: row.host, dataDir: row.data_dir });
      return [];
    }
    const { database: _database, recordedElsewhere: _elsewhere, ...record } = parsed.data;
    return [
      { record: record as JobRecord, host: row.host, dataDir: row.data_dir, updatedAt: row.updated_at.toISOString() },
    ];
  }

  private failed(error: unknown): string {
    const message = (error as Error).message || String(error);
    this.lastError = { message, at: new Date().toISOString() };
    this.logger?.warn('job_database_unavailable', { target: this.target, error: message, pending: this.pending.size });
    return message;
  }
}
