// A copy of the local job records in PostgreSQL (when databaseUrl is configured), so the jobs of every
// data dir and host that share a database can be listed in one place. The file in the data dir stays
// the source of truth: the wrapper and the monitor never wait on the database. Each transition is one
// upsert (atomic); one flush at a time writes every pending record. A write that fails leaves the
// copies marked stale and pending, and the database is left alone for a pause (then retried by a timer),
// so an outage costs a tool call at most one connect budget. Rows are owned by the data dir's instance
// id (a file in the data dir, so a container's new hostname keeps its rows); other owners' rows are
// read-only here.
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from '../../context.js';
import type { JobRecord } from './executor.js';
import { jobRecordSchema } from './job-schemas.js';
import { budgetedPool } from '../../../knowledge/pg-pool.js';

export const jobTable = 'caelum_ml_jobs';

export interface JobDatabaseOptions {
  url: string;
  /** Budget to open a connection; default 2000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Server-side statement_timeout (and a client-side guard just above it); default 2000 ms. */
  statementTimeoutMs?: number | undefined;
  /** The host name this data dir's rows show (display only; the owner is the instance id); default os.hostname(). */
  host?: string | undefined;
  /** After a failed statement, the database is left alone this long, then pending writes are retried; default 5000 ms. */
  retryPauseMs?: number | undefined;
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

const indexName = `${jobTable}_updated`;

// What exists already: a role that may only read and write the table (no CREATE, not its owner) never
// runs DDL, which PostgreSQL refuses on permissions before it looks at IF NOT EXISTS.
const schemaCheckSql = `
select to_regclass($1::text) is not null as has_table,
       to_regclass($2::text) is not null as has_index,
       exists (select 1 from pg_attribute
               where attrelid = to_regclass($1::text) and attname = 'instance_id' and not attisdropped) as has_owner`;

const tableSql = `
create table if not exists ${jobTable} (
  job_id text primary key,
  data_dir text not null,
  host text not null,
  instance_id text,
  state text not null,
  record jsonb not null,
  updated_at timestamptz not null default now()
)`;
// A table created before the instance id existed gets the column (rows without one are owned by data dir and host).
const ownerColumnSql = `alter table ${jobTable} add column if not exists instance_id text`;
const indexSql = `create index if not exists ${indexName} on ${jobTable} (updated_at desc)`;

/** Rows of this data dir's instance ($1 data dir, $2 instance id, $3 host for rows written before instance ids). */
const mine = `(data_dir = $1 and coalesce(instance_id = $2, host = $3))`;

// The owner check keeps a job id that another data dir or instance already holds from being overwritten;
// the host is refreshed (a container restarted under a new hostname keeps its rows).
const upsertSql = `
insert into ${jobTable} as t (job_id, data_dir, host, instance_id, state, record, updated_at)
values ($4, $1, $3, $2, $5, $6, now())
on conflict (job_id) do update
  set host = excluded.host, instance_id = excluded.instance_id, state = excluded.state,
      record = excluded.record, updated_at = excluded.updated_at
  where t.data_dir = excluded.data_dir and coalesce(t.instance_id = excluded.instance_id, t.host = excluded.host)`;

/** At most this many rows of other data dirs are read for a list. */
export const foreignListLimit = 1000;

/**
 * After a failure, reads and writes wait this long before trying the database again, so that tool calls
 * while it is down do not pay a connect timeout each; a timer then retries the pending writes.
 */
const retryPauseDefaultMs = 5_000;

/** The file in the data dir that names this data dir's instance, the owner of its rows. */
export function instanceIdFile(dataDir: string): string {
  return path.join(dataDir, 'ml-training', 'instance-id');
}

/** The data dir's instance id, created once (written to a temporary file, then linked: never half a file, never two ids). */
export async function instanceId(dataDir: string): Promise<string> {
  const file = instanceIdFile(dataDir);
  const existing = await readId(file);
  if (existing) return existing;
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${randomUUID()}\n`, { mode: 0o644 });
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  const id = await readId(file);
  if (!id) throw new Error(`${file} does not hold an instance id`);
  return id;
}

async function readId(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

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
  /** The flush in flight (with its reruns), if any. */
  private flushing: Promise<void> | undefined;
  /** Records were queued while a flush ran: it runs once more. */
  private dirty = false;
  private lastError: { message: string; at: string } | undefined;
  /** Date.now() before which the database is not tried (after a failure). */
  private pausedUntil = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private owner: Promise<string> | undefined;
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

  /** The owner of this data dir's rows (the instance id in the data dir). */
  instance(): Promise<string> {
    this.owner ??= instanceId(this.dataDir).catch((error: unknown) => {
      this.owner = undefined;
      throw error;
    });
    return this.owner;
  }

  /**
   * Queues the record's current state and starts a flush unless one runs (it then runs once more) or
   * the database is paused after a failure (the copy is stale until the retry); never throws, never waits.
   */
  write(record: JobRecord): void {
    if (this.closed) return;
    this.pending.set(record.jobId, structuredClone(record));
    if (this.paused() && this.lastError) {
      this.copies.set(record.jobId, { copy: 'stale', at: new Date().toISOString(), error: this.lastError.message });
      return;
    }
    this.schedule();
  }

  /**
   * Resolves when the writes queued so far have been tried, or after one connect/statement budget,
   * whichever is first: a caller waits for one attempt, never for a chain of them (the copy then shows stale).
   */
  async settled(): Promise<void> {
    const flushing = this.flushing;
    if (!flushing) return;
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.waitBudgetMs());
      timer.unref();
    });
    await Promise.race([flushing, budget]);
    clearTimeout(timer);
  }

  copyOf(jobId: string): DatabaseCopy | undefined {
    const copy = this.copies.get(jobId);
    // A snapshot still waiting for its write: the row lags the record whatever the last write said.
    if (this.pending.has(jobId) && copy?.copy !== 'stale')
      return {
        copy: 'stale',
        at: new Date().toISOString(),
        error: this.lastError?.message ?? 'its write to the database has not finished yet',
      };
    return copy && { ...copy };
  }

  /** One line on the database's trouble, while the last attempt failed. */
  problem(): string | undefined {
    if (!this.lastError) return undefined;
    const staleIds = [...this.copies].filter(([, c]) => c.copy === 'stale').map(([id]) => id);
    const stale = new Set([...staleIds, ...this.pending.keys()]).size;
    return (
      `the PostgreSQL job table (${this.target}) could not be reached at ${this.lastError.at}: ${this.lastError.message}; ` +
      `${stale} job record(s) are stale there (the data dir copy is current; retried every ${this.pauseMs / 1000} s), ` +
      'and jobs of other data dirs may be missing from this answer'
    );
  }

  /** Jobs in the table that belong to other data dirs or hosts, newest first; [] when it cannot be read. */
  async foreignJobs(): Promise<ForeignJob[]> {
    const rows = await this.read<ForeignRow>(
      `select job_id, data_dir, host, record, updated_at from ${jobTable}
       where not ${mine} order by updated_at desc limit ${foreignListLimit}`,
    );
    return rows.flatMap((row) => this.foreign(row));
  }

  /** One job of another data dir or host, if the table has it. */
  async foreignJob(jobId: string): Promise<ForeignJob | undefined> {
    const rows = await this.read<ForeignRow>(
      `select job_id, data_dir, host, record, updated_at from ${jobTable} where job_id = $4 and not ${mine}`,
      [jobId],
    );
    return rows.flatMap((row) => this.foreign(row))[0];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.flushing;
    if (this.poolLoading) await (await this.poolLoading).end().catch(() => undefined);
    this.poolLoading = undefined;
  }

  /** pg loads on first use; one small pool per data dir, with connect and statement budgets. */
  private connection(): Promise<pg.Pool> {
    this.poolLoading ??= budgetedPool({
      url: this.options.url,
      applicationName: 'caelum-jobs',
      max: 2,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 2_000,
      statementTimeoutMs: this.options.statementTimeoutMs ?? 2_000,
    });
    return this.poolLoading;
  }

  private get pauseMs(): number {
    return this.options.retryPauseMs ?? retryPauseDefaultMs;
  }

  private paused(): boolean {
    return Date.now() < this.pausedUntil;
  }

  /** How long a tool call waits for a flush: one connect or one statement, whichever budget is longer. */
  private waitBudgetMs(): number {
    return Math.max(this.options.connectTimeoutMs ?? 2_000, this.options.statementTimeoutMs ?? 2_000) + 250;
  }

  /** At most one flush in flight; writes queued meanwhile make it run once more (a flush drains them all). */
  private schedule(): void {
    if (this.flushing) {
      this.dirty = true;
      return;
    }
    this.flushing = (async () => {
      do {
        this.dirty = false;
        await this.flush();
      } while (this.dirty && !this.closed && !this.paused());
    })().finally(() => {
      this.flushing = undefined;
    });
  }

  /** After a failure: the database is left alone for a pause, then the pending writes are retried. */
  private pause(): void {
    this.pausedUntil = Date.now() + this.pauseMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pausedUntil = 0; // a timer may fire a millisecond before Date.now() reaches the end of the pause
      if (!this.closed && this.pending.size > 0) this.schedule();
    }, this.pauseMs);
    this.retryTimer.unref();
  }

  /**
   * Creates what is missing of the table and its index once; an advisory lock keeps services starting
   * together from racing. When everything exists no DDL runs (a role with only SELECT/INSERT/UPDATE works).
   */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      const client = await (await this.connection()).connect();
      try {
        const exists = async () =>
          (
            await client.query<{ has_table: boolean; has_index: boolean; has_owner: boolean }>(schemaCheckSql, [
              jobTable,
              indexName,
            ])
          ).rows[0]!;
        if (Object.values(await exists()).every(Boolean)) return;
        await client.query(`select pg_advisory_lock(hashtext('${jobTable}'))`);
        try {
          const found = await exists();
          if (!found.has_table) await client.query(tableSql);
          else if (!found.has_owner) await client.query(ownerColumnSql);
          if (!found.has_index) await client.query(indexSql);
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

  /** A read of rows with $1 data dir, $2 instance id, $3 host, then `parameters`; [] while paused or failing. */
  private async read<Row extends pg.QueryResultRow>(sql: string, parameters: unknown[] = []): Promise<Row[]> {
    if (this.closed || this.paused()) return [];
    try {
      const owner = await this.instance();
      await this.ensure();
      const result = await (await this.connection()).query<Row>(sql, [this.dataDir, owner, this.host, ...parameters]);
      // The database answers again: the trouble is over, and what an outage left pending is written now.
      this.lastError = undefined;
      if (this.pending.size > 0) this.schedule();
      return result.rows;
    } catch (error) {
      this.failed(error);
      return [];
    }
  }

  /** Writes the pending records one upsert each; the first failure leaves the rest pending. */
  private async flush(): Promise<void> {
    if (this.paused()) return;
    for (const [jobId, record] of [...this.pending]) {
      if (this.pending.get(jobId) !== record) continue;
      try {
        const owner = await this.instance();
        await this.ensure();
        const result = await (
          await this.connection()
        ).query(upsertSql, [this.dataDir, owner, this.host, jobId, record.state, JSON.stringify(record)]);
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
    // Logged when the trouble starts or changes, not at every retry of an outage.
    if (this.lastError?.message !== message)
      this.logger?.warn('job_database_unavailable', {
        target: this.target,
        error: message,
        pending: this.pending.size,
      });
    this.lastError = { message, at: new Date().toISOString() };
    this.pause();
    return message;
  }
}
