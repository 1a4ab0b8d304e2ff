// Agent memory shared by the instances of one PostgreSQL database (databaseUrl). The truth is an
// append-only log of remember and forget calls (caelum_memory_log): a call is one row, written before it
// answers, so nothing acknowledged is lost when a process dies. Every instance applies the log in seq
// order to its own graph through the same remember/forget code and keeps the seq it has applied in the
// graph's _Meta, in the same transaction as the change. An instance's own call applies everything up to
// its row before it answers (read-your-writes); the others catch up on NOTIFY, on a poll as a safety net,
// and before every recall (read-after-write across instances). Without a database nothing of this runs.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Statement } from './graph/graph-store.js';
import { KnowledgeError } from './knowledge-error.js';
import type { KnowledgeStore } from './knowledge-store.js';
import {
  assertSomethingToRemember,
  forget,
  remember,
  type ForgetInput,
  type ForgetResult,
  type RememberInput,
  type RememberResult,
} from './memory.js';
import type { EmbedUsage } from './vector/embedder.js';
import { budgetedPool } from './pg-pool.js';

export const memoryLogTable = 'caelum_memory_log';
/** The NOTIFY channel: its payload is the new row's seq (a hint; the log is read for the rows). */
export const memoryLogChannel = 'caelum_memory';
/** The _Meta key holding the highest seq this graph has applied. */
export const appliedKey = 'memoryLog.applied';

/** One row's operation: a call's whole input, after the tool's validation. */
export type MemoryOperation = { kind: 'remember'; input: RememberInput } | { kind: 'forget'; input: ForgetInput };

export interface MemoryLogOptions {
  url: string;
  store: KnowledgeStore;
  /** Safety-net poll for rows whose NOTIFY was missed; default 3000 ms. */
  pollMs?: number;
  /** Rows per page of a catch-up; default 500 (and at most maxPageBytes of operations). */
  pageRows?: number;
  /** Budget to open a connection; default 2000 ms. */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout (and a client-side guard just above it); default 5000 ms. */
  statementTimeoutMs?: number;
  /** After the database failed, recalls leave it alone this long (the listener retries after it too); default 5000 ms. */
  retryPauseMs?: number;
  onWarning?: (event: string, fields: Record<string, unknown>) => void;
}

/** One operation's JSON may not exceed this: the log is replayed by every instance, page by page. */
export const maxOperationBytes = 4 * 2 ** 20;
/** A catch-up page stops after this many bytes of operations (one row past it at most). */
const maxPageBytes = 8 * 2 ** 20;

// Rows commit in seq order: the advisory transaction lock is taken before the seq is drawn and held until
// the commit, so a reader that sees seq n has seen every committed row below it (a gap is a failed insert
// and stays one). clock_timestamp() is read under the lock too, so `at` grows with seq.
export const appendSql = `
with turn as (select pg_advisory_xact_lock(hashtext('${memoryLogTable}.append'))),
     added as (insert into ${memoryLogTable} (instance, op, at) select $1, $2::jsonb, clock_timestamp() from turn
               returning seq, at)
select seq, at, pg_notify('${memoryLogChannel}', seq::text) from added`;

// A page: rows after $1, at most $2 of them, ending once $3 bytes of operations were passed.
const pageSql = `
select seq, at, instance, op from (
  select seq, at, instance, op, sum(octet_length(op::text)) over (order by seq) - octet_length(op::text) as before
  from ${memoryLogTable} where seq > $1 order by seq limit $2
) page where before < $3 order by seq`;

const tableSql = `
create table if not exists ${memoryLogTable} (
  seq bigserial primary key,
  at timestamptz not null default clock_timestamp(),
  instance text not null,
  op jsonb not null
)`;

interface LogRow {
  seq: string;
  at: Date;
  instance: string;
  op: MemoryOperation;
}

interface Waiter {
  onUsage?: ((usage: EmbedUsage) => void) | undefined;
  resolve(result: RememberResult | ForgetResult): void;
  reject(error: unknown): void;
}

/** Failures that the same operation would meet again on every try here: the row is passed over, not retried. */
function permanent(error: unknown): boolean {
  return error instanceof KnowledgeError && (error.code === 'BAD_INPUT' || error.code === 'BUDGET_EXCEEDED');
}

function messageOf(error: unknown): string {
  return ((error as Error).message || String(error)).replace(/\s+/g, ' ').trim();
}

export class MemoryLog {
  /** Shown in the rows this instance writes: host and a per-process id. */
  readonly instance = `${hostname()}/${randomUUID().slice(0, 8)}`;
  private poolLoading: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;
  private listener: pg.Client | undefined;
  private listenTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The highest seq applied to the graph (read from _Meta once). */
  private applied: number | undefined;
  /** Catch-ups run one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  /** A catch-up to the end of the log that has not started yet: later requests join it. */
  private queuedToEnd: Promise<void> | undefined;
  private readonly waiters = new Map<number, Waiter>();
  /** Results of this instance's rows applied before their call was waiting (NOTIFY came first); few. */
  private readonly unclaimed = new Map<number, { result?: RememberResult | ForgetResult; error?: unknown }>();
  private lastError: { message: string; at: string } | undefined;
  private pausedUntil = 0;
  private closed = false;

  constructor(private readonly options: MemoryLogOptions) {}

  /** The server as it may be shown: host, port and database, never the password. */
  get target(): string {
    try {
      const url = new URL(this.options.url);
      return `${url.host}${url.pathname}`;
    } catch {
      return 'the configured database';
    }
  }

  /** Listens for new rows, polls as a safety net, and replays what this graph has not applied yet. */
  start(): void {
    if (this.closed) return;
    this.listen();
    const poll = () => {
      if (this.closed) return;
      this.pollTimer = setTimeout(() => {
        if (this.closed) return;
        void this.toEnd()
          .catch(() => undefined)
          .finally(poll);
      }, this.options.pollMs ?? 3_000);
      this.pollTimer.unref();
    };
    poll();
    void this.toEnd().catch(() => undefined);
  }

  /** Logs the call, then applies the log up to and including it here; answers with what it changed. */
  async remember(
    input: RememberInput,
    options: { onUsage?: (usage: EmbedUsage) => void } = {},
  ): Promise<RememberResult> {
    assertSomethingToRemember(input);
    return (await this.call({ kind: 'remember', input }, options.onUsage)) as RememberResult;
  }

  async forget(input: ForgetInput): Promise<ForgetResult> {
    return (await this.call({ kind: 'forget', input })) as ForgetResult;
  }

  /**
   * Applies everything logged so far (one `select max(seq)`, then the missing rows), before a recall.
   * Never throws: when the log cannot be read or applied, says so in one line, and the recall answers
   * from this graph alone.
   */
  async catchUp(): Promise<string | undefined> {
    if (this.closed) return undefined;
    if (Date.now() < this.pausedUntil && this.lastError) return this.problem(this.lastError.message, this.lastError.at);
    let end: number;
    try {
      const pool = await this.ensure();
      const { rows } = await pool.query<{ end: string }>(`select coalesce(max(seq), 0) as end from ${memoryLogTable}`);
      end = Number(rows[0]!.end);
    } catch (error) {
      this.failed(error);
      return this.problem(messageOf(error), new Date().toISOString());
    }
    try {
      await this.through(end);
      return undefined;
    } catch (error) {
      return this.problem(messageOf(error), new Date().toISOString(), 'applied here');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.listenTimer);
    await this.chain;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
    if (this.poolLoading) await (await this.poolLoading.catch(() => undefined))?.end().catch(() => undefined);
    this.poolLoading = undefined;
  }

  private problem(message: string, at: string, what = 'read'): string {
    return `the shared memory log in PostgreSQL (DATABASE_URL, ${this.target}) could not be ${what} at ${at}: ${message}; this answer comes from this instance's graph alone and may miss facts remembered through other instances`;
  }

  private async call(operation: MemoryOperation, onUsage?: (usage: EmbedUsage) => void) {
    if (this.closed) throw new KnowledgeError('UNAVAILABLE', 'the shared memory log is closed');
    const json = JSON.stringify(operation);
    const bytes = Buffer.byteLength(json);
    if (bytes > maxOperationBytes)
      throw new KnowledgeError(
        'BAD_INPUT',
        `this call is ${(bytes / 2 ** 20).toFixed(1)} MiB of JSON; the shared memory log takes at most ${maxOperationBytes / 2 ** 20} MiB per call: split it`,
      );
    let seq: number;
    try {
      const pool = await this.ensure();
      const { rows } = await pool.query<{ seq: string }>(appendSql, [this.instance, json]);
      seq = Number(rows[0]!.seq);
    } catch (error) {
      this.failed(error);
      // Writing only to this graph would split the truth: the call is refused instead.
      throw new KnowledgeError(
        'UNAVAILABLE',
        `agent memory is shared through PostgreSQL (DATABASE_URL, ${this.target}), which could not be reached: ${messageOf(error)}; nothing was ${operation.kind === 'remember' ? 'remembered' : 'forgotten'}, try again when the database answers`,
        { cause: error },
      );
    }
    const early = this.unclaimed.get(seq);
    if (early) {
      this.unclaimed.delete(seq);
      if (early.error) throw early.error;
      return early.result!;
    }
    const outcome = new Promise<RememberResult | ForgetResult>((resolve, reject) =>
      this.waiters.set(seq, { onUsage, resolve, reject }),
    );
    outcome.catch(() => undefined);
    try {
      await this.through(seq);
    } catch (error) {
      if (this.waiters.delete(seq))
        throw new KnowledgeError(
          'UNAVAILABLE',
          `the call is in the shared memory log (#${seq}) but this instance could not apply the log up to it yet: ${messageOf(error)}; it is applied at the next catch-up`,
          { cause: error },
        );
    }
    if (this.waiters.delete(seq))
      throw new KnowledgeError('INTERNAL', `the shared memory log has no row #${seq} after writing it`);
    return outcome;
  }

  /** Applies the log up to `seq` (queued behind the catch-ups already running). */
  private through(seq: number): Promise<void> {
    if (this.applied !== undefined && this.applied >= seq) return Promise.resolve();
    const run = this.chain.then(() => this.drain(seq));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Applies the log to its end; a request made while one is still queued joins it. */
  private toEnd(): Promise<void> {
    if (this.queuedToEnd) return this.queuedToEnd;
    const run = this.chain.then(() => {
      this.queuedToEnd = undefined;
      return this.drain(Number.POSITIVE_INFINITY);
    });
    this.queuedToEnd = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async drain(target: number): Promise<void> {
    if (this.closed) return;
    const pool = await this.ensure();
    const graph = await this.options.store.graph();
    if (this.applied === undefined) {
      const { rows } = await graph.read('MATCH (m:_Meta {key: $k}) RETURN m.value AS v', { k: appliedKey });
      this.applied = rows.length ? Number(rows[0]!.v) : 0;
      // A log that ends below what this graph applied is another log (a new database or table): replayed whole.
      const { rows: end } = await pool.query<{ end: string }>(
        `select coalesce(max(seq), 0) as end from ${memoryLogTable}`,
      );
      if (Number(end[0]!.end) < this.applied) {
        this.options.onWarning?.('memory_log_restarted', { applied: this.applied, end: Number(end[0]!.end) });
        this.applied = 0;
      }
    }
    while (!this.closed && this.applied < target) {
      const { rows } = await pool.query<LogRow>(pageSql, [this.applied, this.options.pageRows ?? 500, maxPageBytes]);
      // A page cut short by its bytes is not the end: the log ends where a page comes back empty.
      if (rows.length === 0) break;
      for (const row of rows) await this.apply(row);
    }
  }

  /** One row through remember/forget, with the applied mark in the same graph transaction. */
  private async apply(row: LogRow): Promise<void> {
    const seq = Number(row.seq);
    const mark: Statement = {
      cypher: 'MERGE (m:_Meta {key: $k}) SET m.value = $v',
      params: { k: appliedKey, v: String(seq) },
    };
    const waiter = this.waiters.get(seq);
    const store = this.options.store;
    let result: RememberResult | ForgetResult;
    try {
      if (row.op.kind !== 'remember' && row.op.kind !== 'forget')
        throw new KnowledgeError(
          'BAD_INPUT',
          `a log row of kind ${JSON.stringify((row.op as { kind?: unknown }).kind)} is not one this version knows`,
        );
      result =
        row.op.kind === 'remember'
          ? await remember(store, row.op.input, {
              now: row.at.toISOString(),
              statements: [mark],
              ...(waiter?.onUsage ? { onUsage: waiter.onUsage } : {}),
            })
          : await forget(store, row.op.input, { statements: [mark] });
    } catch (error) {
      if (!permanent(error)) throw error;
      // The same row would fail here every time (bad input, a full quota): passed over so that the rows
      // after it, a forget that frees the quota among them, still apply.
      this.options.onWarning?.('memory_log_row_skipped', { seq, instance: row.instance, error: messageOf(error) });
      await (await store.graph()).write([mark]);
      this.applied = seq;
      this.settle(seq, row, { error });
      return;
    }
    this.applied = seq;
    this.settle(seq, row, { result });
  }

  private settle(seq: number, row: LogRow, outcome: { result?: RememberResult | ForgetResult; error?: unknown }) {
    const waiter = this.waiters.get(seq);
    if (waiter) {
      this.waiters.delete(seq);
      if (outcome.error) waiter.reject(outcome.error);
      else waiter.resolve(outcome.result!);
    } else if (row.instance === this.instance) {
      // This instance's call has its seq only once the insert answers; its row may be applied before.
      this.unclaimed.set(seq, outcome);
      if (this.unclaimed.size > 1_000) this.unclaimed.delete(this.unclaimed.keys().next().value!);
    }
  }

  /** LISTEN on a connection of its own; reconnected after a pause when it drops. */
  private listen(): void {
    if (this.closed || this.listener) return;
    const retry = () => {
      if (this.closed) return;
      clearTimeout(this.listenTimer);
      this.listenTimer = setTimeout(() => this.listen(), this.options.retryPauseMs ?? 5_000);
      this.listenTimer.unref();
    };
    void import('pg').then(async ({ default: driver }) => {
      let client: pg.Client;
      try {
        client = new driver.Client({
          connectionString: this.options.url,
          application_name: 'caelum-memory-listen',
          connectionTimeoutMillis: this.options.connectTimeoutMs ?? 2_000,
        });
      } catch (error) {
        // pg reads files the URL names (sslrootcert=…) as it builds the client, and throws if they are missing.
        this.failed(error);
        retry();
        return;
      }
      this.listener = client;
      const dropped = () => {
        if (this.listener !== client) return;
        this.listener = undefined;
        void client.end().catch(() => undefined);
        retry();
      };
      client.on('error', dropped);
      client.on('end', dropped);
      client.on('notification', () => {
        if (!this.closed) void this.toEnd().catch(() => undefined);
      });
      try {
        await client.connect();
        await client.query(`listen ${memoryLogChannel}`);
        // Rows written while the listener was away are read now.
        void this.toEnd().catch(() => undefined);
      } catch {
        dropped();
      }
      if (this.closed) await client.end().catch(() => undefined);
    });
  }

  /** pg loads on first use; one small pool, with connect and statement budgets. */
  private connection(): Promise<pg.Pool> {
    this.poolLoading ??= budgetedPool({
      url: this.options.url,
      applicationName: 'caelum-memory',
      max: 3,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 2_000,
      statementTimeoutMs: this.options.statementTimeoutMs ?? 5_000,
    });
    return this.poolLoading;
  }

  /** Creates the table once; an advisory lock keeps instances starting together from racing. */
  private async ensure(): Promise<pg.Pool> {
    const pool = await this.connection();
    this.ready ??= (async () => {
      const client = await pool.connect();
      try {
        const { rows } = await client.query<{ found: boolean }>('select to_regclass($1::text) is not null as found', [
          memoryLogTable,
        ]);
        if (rows[0]!.found) return;
        await client.query(`select pg_advisory_lock(hashtext('${memoryLogTable}'))`);
        try {
          await client.query(tableSql);
        } finally {
          await client.query(`select pg_advisory_unlock(hashtext('${memoryLogTable}'))`);
        }
      } finally {
        client.release();
      }
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    this.lastError = undefined;
    this.pausedUntil = 0;
    return pool;
  }

  private failed(error: unknown): void {
    const message = messageOf(error);
    // Logged when the trouble starts or changes, not at every call during an outage.
    if (this.lastError?.message !== message)
      this.options.onWarning?.('memory_log_unavailable', { target: this.target, error: message });
    this.lastError = { message, at: new Date().toISOString() };
    this.pausedUntil = Date.now() + (this.options.retryPauseMs ?? 5_000);
  }
}
