// The monitoring event logs in PostgreSQL, for instances that share a database (databaseUrl): the
// alert service's three logs (alerts, escalation, notifications) are rows of one table, so one seq
// orders them all, as the order of a fire and the escalation it starts matters on replay.
// - Every write is one transaction that first takes a transaction-level advisory lock, so writers
//   from every instance are serialised: commits happen in seq order, and a reader that asks for the
//   rows past the last seq it applied always gets a gap-free continuation (a rolled-back write leaves
//   a hole in the sequence, never a row that shows up late).
// - Inside that lock a writer first applies the rows it has not seen, then decides and appends, so a
//   change is always made on the state every other instance already wrote.
// - A commit notifies the channel; instances LISTEN to it on their leader connection and also poll.
// - Leadership (which instance runs the timers and sends the notifications) is a session-level
//   advisory lock held on a dedicated connection: when that instance dies its session ends, the lock
//   frees, and the next poll of another instance takes it.
// - Advisory locks belong to the whole database, so both lock keys include the schema the table lives
//   in (current_schema(), where the unqualified table is created): deployments that keep their tables
//   in different schemas of one database never wait on each other or share a leader.
import type pg from 'pg';

export const monitoringEventsTable = 'caelum_monitoring_events';
export const monitoringEventsChannel = 'caelum_monitoring_events';
/** hashtext(<schema>.<this>) is the session lock that makes an instance the alert leader. */
export const alertLeaderLockName = 'caelum_alert_leader';
const writeLockName = 'caelum_monitoring_write';
const lockKey = (name: string) => `hashtext(current_schema() || '.${name}')`;

export type SharedLogName = 'alerts' | 'escalation' | 'notifications';

export interface SharedEventRow {
  seq: number;
  log: SharedLogName;
  event: object;
}

export interface SharedEventStoreOptions {
  url: string;
  /** Budget to open a connection; default 3000 ms. */
  connectTimeoutMs?: number | undefined;
  /** Server-side statement_timeout, which also bounds the wait for the write lock; default 10000 ms. */
  statementTimeoutMs?: number | undefined;
}

type Queryable = Pick<pg.ClientBase, 'query'>;

/** A write transaction: the rows past a seq (under the lock) and the append. */
export interface SharedWrite {
  since(seq: number): Promise<SharedEventRow[]>;
  /** Appends in order; returns the last seq written (null for none). */
  append(rows: { log: SharedLogName; event: object }[]): Promise<number | null>;
}

const tableSql = `
create table if not exists ${monitoringEventsTable} (
  seq bigserial primary key,
  log text not null,
  at timestamptz not null default now(),
  event jsonb not null
)`;

export class SharedEventStore {
  private pool: pg.Pool | undefined;
  private driver: typeof pg | undefined;

  constructor(readonly options: SharedEventStoreOptions) {}

  /** Loads pg, opens the pool and creates the table once (two instances starting together take turns). */
  async open(): Promise<void> {
    const { default: driver } = await import('pg');
    this.driver = driver;
    this.pool = new driver.Pool({
      ...this.clientConfig('caelum-alerts'),
      max: 3,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    this.pool.on('error', () => undefined);
    await this.transaction(undefined, async (client) => {
      await client.query(`select pg_advisory_xact_lock(${lockKey(writeLockName)})`);
      await client.query(tableSql);
    });
  }

  /** A dedicated connection (leadership, LISTEN); keepalive so a vanished peer is noticed. */
  async connect(): Promise<pg.Client> {
    const client = new this.driver!.Client({ ...this.clientConfig('caelum-alert-leader'), keepAlive: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(`listen ${monitoringEventsChannel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  /** Takes the leader lock if free; true when this connection holds it (again). */
  async tryLead(client: pg.Client): Promise<boolean> {
    const { rows } = await client.query<{ ok: boolean }>(
      `select pg_try_advisory_lock(${lockKey(alertLeaderLockName)}) as ok`,
    );
    return rows[0]!.ok;
  }

  /** Every row, in seq order (a replay at start or takeover). */
  all(): Promise<SharedEventRow[]> {
    return since(this.pool!, 0);
  }

  /** The rows past `seq` without the lock: a gap-free continuation, as writers commit in seq order. */
  since(seq: number): Promise<SharedEventRow[]> {
    return since(this.pool!, seq);
  }

  /**
   * Runs `body` as one write transaction under the write lock, on `client` (the leader's connection,
   * so that its writes fail once its session, and with it the leadership, is gone) or a pooled one.
   */
  async write<T>(client: pg.Client | undefined, body: (write: SharedWrite) => Promise<T>): Promise<T> {
    return this.transaction(client, async (db) => {
      await db.query(`select pg_advisory_xact_lock(${lockKey(writeLockName)})`);
      return body({
        since: (seq) => since(db, seq),
        append: async (rows) => {
          if (rows.length === 0) return null;
          const { rows: written } = await db.query<{ last: string }>(
            `with written as (
               insert into ${monitoringEventsTable} (log, event)
               select log, event from unnest($1::text[], $2::jsonb[]) with ordinality as t(log, event, n) order by n
               returning seq)
             select max(seq)::text as last from written`,
            [rows.map((row) => row.log), rows.map((row) => JSON.stringify(row.event))],
          );
          const last = Number(written[0]!.last);
          await db.query('select pg_notify($1, $2)', [monitoringEventsChannel, String(last)]);
          return last;
        },
      });
    });
  }

  async close(): Promise<void> {
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }

  private clientConfig(name: string): pg.ClientConfig {
    const statementMs = this.options.statementTimeoutMs ?? 10_000;
    return {
      connectionString: this.options.url,
      application_name: name,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 3_000,
      statement_timeout: statementMs,
      query_timeout: statementMs + 1_000,
    };
  }

  private async transaction<T>(client: pg.Client | undefined, body: (db: Queryable) => Promise<T>): Promise<T> {
    const pooled = client ? undefined : await this.pool!.connect();
    const db = client ?? pooled!;
    let broken = false;
    try {
      await db.query('begin');
      const result = await body(db);
      await db.query('commit');
      return result;
    } catch (error) {
      await db.query('rollback').catch(() => (broken = true));
      throw error;
    } finally {
      pooled?.release(broken);
    }
  }
}

async function since(db: Queryable, seq: number): Promise<SharedEventRow[]> {
  const { rows } = await db.query<{ seq: string; log: SharedLogName; event: object }>(
    `select seq::text, log, event from ${monitoringEventsTable} where seq > $1 order by seq`,
    [seq],
  );
  return rows.map((row) => ({ seq: Number(row.seq), log: row.log, event: row.event }));
}
