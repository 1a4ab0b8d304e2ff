// GraphStore over Kuzu 0.11.3, with the access discipline its crashes taught (see
// shared/reference/kuzu-hnsw-onnx-notes.md, B2.4):
// - one read-write Database per process, opened lazily so start-up without a graph pays nothing;
// - `await conn.init()` on every connection before any concurrent use (lazy init segfaults);
// - one writer connection behind a queue, because Kuzu rejects a second write transaction at once
//   instead of waiting; queued batches are group-committed in one transaction;
// - a small pool of initialised read connections, each used by one query at a time;
// - every QueryResult closed, async API only, prepared statements cached per connection.
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type kuzuTypes from 'kuzu';
import { KnowledgeError } from '../knowledge-error.js';
import type { GraphRow, GraphStore, ReadOptions, ReadResult, Statement, TableInfo } from './graph-store.js';
import { migrations as defaultMigrations, type Migration } from './schema.js';
import { describeHolder, lockHolder } from './lock-holder.js';

type Kuzu = typeof kuzuTypes;
type Connection = InstanceType<Kuzu['Connection']>;
type Database = InstanceType<Kuzu['Database']>;
type PreparedStatement = InstanceType<Kuzu['PreparedStatement']>;
type QueryResult = InstanceType<Kuzu['QueryResult']>;

export interface KuzuStoreOptions {
  /** The database file (Kuzu 0.11: one file plus a .wal), or ":memory:". */
  location: string;
  readConnections?: number;
  /**
   * Buffer pool size in bytes; Kuzu's own default takes 80% of RAM. Default 512 MiB. It is the
   * memory budget of every query: one that needs more fails with BUDGET_EXCEEDED.
   */
  bufferPoolBytes?: number;
  defaultTimeoutMs?: number;
  /** Agent reads stop reading rows once their JSON passes this many bytes. Default 1 MiB. */
  maxResultBytes?: number;
  /**
   * Past its timeout, an agent read that Kuzu has not stopped is answered as timed out after this
   * many more milliseconds; its connection rejoins the pool when the engine lets go. Default 500.
   */
  timeoutGraceMs?: number;
  /** Migrations to apply; tests pass a prefix to build an old database. */
  migrations?: readonly Migration[];
  /** Largest number of statements group-committed in one write transaction. */
  maxGroupStatements?: number;
  /** Kuzu threads per connection; small graph queries are fastest on one. Default 1. */
  threadsPerConnection?: number;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
const cacheLimit = 256;

class PooledConnection {
  private readonly prepared = new Map<string, PreparedStatement>();
  timeoutMs = 0;

  constructor(readonly conn: Connection) {}

  async prepare(cypher: string, cache: boolean): Promise<PreparedStatement> {
    const cached = this.prepared.get(cypher);
    if (cached) return cached;
    const statement = await this.conn.prepare(cypher);
    if (!statement.isSuccess()) throw rejected(statement.getErrorMessage());
    if (cache) {
      if (this.prepared.size >= cacheLimit) this.prepared.delete(this.prepared.keys().next().value!);
      this.prepared.set(cypher, statement);
    }
    return statement;
  }

  setTimeout(ms: number): void {
    if (ms !== this.timeoutMs) {
      this.conn.setQueryTimeout(ms);
      this.timeoutMs = ms;
    }
  }

  /** Runs a statement text that needs no parameters (transaction control, DDL). */
  async run(cypher: string): Promise<void> {
    const result = await this.conn.query(cypher);
    for (const r of Array.isArray(result) ? result : [result]) r.close();
  }
}

function unavailable(location: string, error: unknown): KnowledgeError {
  const message = cleanMessage((error as Error)?.message ?? String(error));
  return new KnowledgeError('UNAVAILABLE', `could not open the knowledge graph at ${location}: ${message}`, {
    cause: error,
  });
}

function rejected(message: string): KnowledgeError {
  return new KnowledgeError('QUERY_REJECTED', cleanMessage(message));
}

function cleanMessage(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

const narrow =
  'narrow the query: a more selective MATCH, a LIMIT, bounded paths (-[*1..3]->), fewer collect()ed values';

export function timeBudgetError(timeoutMs: number, cause?: unknown): KnowledgeError {
  return new KnowledgeError(
    'TIMEOUT',
    `the query hit its time budget (${timeoutMs} ms) and was stopped; ${narrow}, or raise timeoutMs (up to 60000)`,
    { cause },
  );
}

export function memoryBudgetError(budget: string, cause?: unknown): KnowledgeError {
  return new KnowledgeError(
    'BUDGET_EXCEEDED',
    `the query hit its memory budget (${budget}) and was stopped; ${narrow}`,
    {
      cause,
    },
  );
}

function failure(error: unknown, cypher: string, timeoutMs = 0, bufferPoolBytes = 0): KnowledgeError {
  if (error instanceof KnowledgeError) return error;
  const message = cleanMessage((error as Error)?.message ?? String(error));
  if (/interrupted/i.test(message)) return timeBudgetError(timeoutMs, error);
  if (/buffer manager exception: unable to allocate|bad_alloc|out of memory/i.test(message))
    return memoryBudgetError(`buffer pool ${Math.round(bufferPoolBytes / 2 ** 20)} MiB`, error);
  if (/read-only database|read only mode/i.test(message))
    return new KnowledgeError('READ_ONLY', message, { cause: error });
  if (/binder exception|parser exception|catalog exception/i.test(message))
    return new KnowledgeError('QUERY_REJECTED', message, { cause: error });
  return new KnowledgeError('QUERY_FAILED', message, { cause: error });
}

function isNodeId(value: unknown): value is { offset: number; table: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    'offset' in value &&
    'table' in value &&
    Object.keys(value).length === 2
  );
}

/** Kuzu values to plain JSON: ids as "table:offset", big integers as numbers or strings. */
export function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') {
    if (isNodeId(value)) return `${value.table}:${value.offset}`;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[key] = plainValue(v);
    return out;
  }
  return value;
}

async function collect(
  result: QueryResult,
  maxRows: number,
  maxBytes = Infinity,
): Promise<{ columns: string[]; rows: GraphRow[]; totalRows: number; truncatedBy?: 'rows' | 'bytes' }> {
  try {
    const columns = await result.getColumnNames();
    const totalRows = result.getNumTuples();
    if (totalRows <= maxRows && maxBytes === Infinity) {
      const raw = await result.getAll();
      return { columns, rows: raw.map((row) => plainValue(row) as GraphRow), totalRows };
    }
    // Row by row, so a huge result never sits in JS memory whole.
    const rows: GraphRow[] = [];
    let bytes = 0;
    while (result.hasNext()) {
      if (rows.length >= maxRows) return { columns, rows, totalRows, truncatedBy: 'rows' };
      const row = plainValue(await result.getNext()) as GraphRow;
      bytes += JSON.stringify(row).length + 1;
      if (bytes > maxBytes) return { columns, rows, totalRows, truncatedBy: 'bytes' };
      rows.push(row);
    }
    return { columns, rows, totalRows };
  } finally {
    result.close();
  }
}

function single(result: QueryResult | QueryResult[]): QueryResult {
  if (!Array.isArray(result)) return result;
  for (const extra of result.slice(1)) extra.close();
  return result[0]!;
}

/**
 * Concurrent callers' batches, as one batch: the rows of statements with the same text (and the
 * same parameters besides $rows) are concatenated into one UNWIND, in the order the statements
 * first appear. Each Kuzu statement costs 2–5 ms however few its rows, so ten queued memory writes
 * take one statement each instead of ten. Returns undefined when merging could reorder a batch's
 * own statements (each batch's sequence must be a subsequence of the merged order) or a statement
 * is not an UNWIND over $rows.
 */
export function coalesce(batches: readonly (readonly Statement[])[]): Statement[] | undefined {
  const order: string[] = [];
  const merged = new Map<string, Statement & { params: { rows: unknown[] } }>();
  for (const batch of batches) {
    let position = -1;
    const seen = new Set<string>();
    for (const statement of batch) {
      const rows = statement.params?.rows;
      if (!statement.cypher.startsWith('UNWIND $rows') || !Array.isArray(rows)) return undefined;
      const { rows: _rows, ...rest } = statement.params!;
      const key = `${statement.cypher}\u0000${JSON.stringify(rest)}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      let at = order.indexOf(key);
      if (at < 0) {
        order.push(key);
        at = order.length - 1;
        merged.set(key, { cypher: statement.cypher, params: { ...rest, rows: [] } });
      }
      if (at < position) return undefined;
      position = at;
      merged.get(key)!.params.rows.push(...rows);
    }
  }
  return order.map((key) => merged.get(key)!);
}

interface PendingWrite {
  statements: readonly Statement[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

type StoreSettings = Required<
  Pick<
    KuzuStoreOptions,
    'defaultTimeoutMs' | 'maxGroupStatements' | 'maxResultBytes' | 'timeoutGraceMs' | 'bufferPoolBytes'
  >
>;

export class KuzuGraphStore implements GraphStore {
  readonly engine: string;
  schemaVersion = 0;
  private readonly idle: PooledConnection[] = [];
  private readonly waiting: ((conn: PooledConnection) => void)[] = [];
  private readonly pending: PendingWrite[] = [];
  private writing = false;
  private closed = false;
  /** Bumped by every committed write; a read that straddles a bump is not cached. */
  private generation = 0;
  private tablesCache: Promise<TableInfo[]> | undefined;
  /**
   * Results of trusted reads, keyed by statement, parameters and row cap. This process is the
   * graph's only writer (Kuzu locks the file), and every committed write clears the cache, so a
   * hit is always what the query would return now. Rows are shared: callers must not mutate them.
   */
  private readonly results = new Map<string, ReadResult>();
  private static readonly resultCacheSize = 1_000;

  private constructor(
    kuzu: Kuzu,
    private readonly db: Database,
    private readonly writer: PooledConnection,
    private readonly readers: PooledConnection[],
    readonly location: string,
    private readonly options: StoreSettings,
    readonly access: 'read-write' | 'read-only',
    /** Why the store is read-only, for status reports and the READ_ONLY message. */
    readonly accessReason?: string,
  ) {
    this.engine = `kuzu ${(kuzu as unknown as { VERSION: string }).VERSION}`;
    this.idle.push(...readers);
  }

  static async open(options: KuzuStoreOptions): Promise<KuzuGraphStore> {
    const kuzu = (await import('kuzu')).default as Kuzu;
    if (options.location !== ':memory:') await mkdir(path.dirname(options.location), { recursive: true });
    const bufferPoolBytes = options.bufferPoolBytes ?? 512 * 1024 * 1024;
    const { db, access, reason } = await KuzuGraphStore.openDatabase(kuzu, options.location, bufferPoolBytes);
    const connect = async () => {
      const conn = new kuzu.Connection(db, options.threadsPerConnection ?? 1);
      await conn.init(); // before any concurrent use: lazy init under concurrency segfaults
      return new PooledConnection(conn);
    };
    const writer = await connect();
    const readers = await Promise.all(Array.from({ length: Math.max(1, options.readConnections ?? 2) }, connect));
    const settings: StoreSettings = {
      defaultTimeoutMs: options.defaultTimeoutMs ?? 5_000,
      maxGroupStatements: options.maxGroupStatements ?? 5_000,
      maxResultBytes: options.maxResultBytes ?? 1024 * 1024,
      timeoutGraceMs: options.timeoutGraceMs ?? 500,
      bufferPoolBytes,
    };
    const store = new KuzuGraphStore(kuzu, db, writer, readers, options.location, settings, access, reason);
    try {
      if (access === 'read-only') await store.readSchemaVersion();
      else await store.migrate(options.migrations ?? defaultMigrations);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /**
   * Read-write if this process can lock the file; read-only if another process holds it read-only
   * (Kuzu 0.11.3 lets readers share); otherwise LOCKED, naming the holder. Kuzu refuses a
   * read-only open while another process holds the file read-write, so a second Caelum next to a
   * running one gets LOCKED, not a read-only graph.
   */
  private static async openDatabase(
    kuzu: Kuzu,
    location: string,
    bufferPoolBytes: number,
  ): Promise<{ db: Database; access: 'read-write' | 'read-only'; reason?: string }> {
    const attempt = async (readOnly: boolean) => {
      const db = new kuzu.Database(location, bufferPoolBytes, true, readOnly);
      await db.init();
      return db;
    };
    let lockError: unknown;
    try {
      return { db: await attempt(false), access: 'read-write' };
    } catch (error) {
      if (!/lock/i.test((error as Error).message)) throw unavailable(location, error);
      lockError = error;
    }
    const holder = describeHolder(await lockHolder(location));
    const exists =
      location !== ':memory:' &&
      (await access(location).then(
        () => true,
        () => false,
      ));
    if (exists) {
      try {
        const reason = `${holder} holds the knowledge graph at ${location}, so this process opened it read-only`;
        return { db: await attempt(true), access: 'read-only', reason };
      } catch (error) {
        if (!/lock/i.test((error as Error).message)) throw unavailable(location, error);
      }
    }
    throw new KnowledgeError(
      'LOCKED',
      `the knowledge graph at ${location} is held by ${holder}; use that Caelum (caelum service status), stop it, or give this one another data dir (CAELUM_DATA_DIR)`,
      { cause: lockError },
    );
  }

  private async readSchemaVersion(): Promise<void> {
    const found = await this.read("MATCH (m:_Meta {key: 'schemaVersion'}) RETURN m.value AS v").catch(() => undefined);
    this.schemaVersion = found?.rows.length ? Number(found.rows[0]!.v) : 0;
  }

  private async migrate(list: readonly Migration[]): Promise<void> {
    await this.enqueue(
      [{ cypher: 'CREATE NODE TABLE IF NOT EXISTS _Meta(key STRING PRIMARY KEY, value STRING)' }],
      true,
    );
    const found = await this.read("MATCH (m:_Meta {key: 'schemaVersion'}) RETURN m.value AS v");
    this.schemaVersion = found.rows.length ? Number(found.rows[0]!.v) : 0;
    for (const migration of list) {
      if (migration.version <= this.schemaVersion) continue;
      // DDL runs in autocommit; each statement is idempotent, so a crash mid-way is safe to redo.
      for (const cypher of migration.statements) await this.enqueue([{ cypher }], true);
      await this.enqueue([
        { cypher: "MERGE (m:_Meta {key: 'schemaVersion'}) SET m.value = $v", params: { v: String(migration.version) } },
      ]);
      this.schemaVersion = migration.version;
    }
    this.tablesCache = undefined;
  }

  private acquire(): Promise<PooledConnection> {
    if (this.closed) return Promise.reject(new KnowledgeError('UNAVAILABLE', 'the knowledge graph is closed'));
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(conn: PooledConnection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  async read(cypher: string, params: Record<string, unknown> = {}, options: ReadOptions = {}): Promise<ReadResult> {
    const started = performance.now();
    const key =
      options.cache === false ? undefined : `${options.maxRows ?? 1_000}\u0000${cypher}\u0000${JSON.stringify(params)}`;
    const cached = key === undefined ? undefined : this.results.get(key);
    if (cached) {
      this.results.delete(key!); // most recently used last
      this.results.set(key!, cached);
      return { ...cached, elapsedMs: performance.now() - started };
    }
    const generation = this.generation;
    const conn = await this.acquire();
    try {
      conn.setTimeout(options.timeoutMs ?? this.options.defaultTimeoutMs);
      const statement = await conn.prepare(cypher, true);
      const result = single(await conn.conn.execute(statement, params as never));
      const { columns, rows, totalRows } = await collect(result, options.maxRows ?? 1_000);
      const read = {
        columns,
        rows,
        totalRows,
        truncated: totalRows > rows.length,
        elapsedMs: performance.now() - started,
      };
      // Only if no write committed while the query ran: otherwise it may predate that write.
      if (key !== undefined && generation === this.generation && rows.length <= 1_000) {
        if (this.results.size >= KuzuGraphStore.resultCacheSize) this.results.delete(this.results.keys().next().value!);
        this.results.set(key, read);
      }
      return read;
    } catch (error) {
      throw failure(error, cypher);
    } finally {
      this.release(conn);
    }
  }

  /**
   * An agent read, under three budgets: Kuzu's own timeout interrupts the engine; should it not
   * (the engine only checks between batches), the caller is answered anyway at timeout + grace and
   * the connection rejoins the pool once the engine lets go. The buffer pool bounds its memory,
   * and rows are read one at a time up to maxRows and maxBytes.
   */
  async readOnly(cypher: string, params: Record<string, unknown> = {}, options: ReadOptions = {}): Promise<ReadResult> {
    const started = performance.now();
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true;
        reject(timeBudgetError(timeoutMs));
      }, timeoutMs + this.options.timeoutGraceMs);
    });
    const work = this.acquire().then(async (conn) => {
      if (expired) return (this.release(conn), undefined);
      try {
        return await this.runReadOnly(conn, cypher, params, options, timeoutMs, started);
      } finally {
        this.release(conn);
      }
    });
    work.catch(() => undefined); // past the deadline nobody awaits it
    try {
      return (await Promise.race([work, deadline]))!;
    } finally {
      clearTimeout(timer);
    }
  }

  private async runReadOnly(
    conn: PooledConnection,
    cypher: string,
    params: Record<string, unknown>,
    options: ReadOptions,
    timeoutMs: number,
    started: number,
  ): Promise<ReadResult> {
    let open = false;
    try {
      conn.setTimeout(timeoutMs);
      await conn.run('BEGIN TRANSACTION READ ONLY');
      open = true;
      // prepare() refuses more than one statement: no "RETURN 1; COMMIT; CREATE ..." escape.
      const statement = await conn.prepare(cypher, false);
      const result = single(await conn.conn.execute(statement, params as never));
      const maxBytes = options.maxBytes ?? this.options.maxResultBytes;
      const { columns, rows, totalRows, truncatedBy } = await collect(result, options.maxRows ?? 1_000, maxBytes);
      await conn.run('COMMIT');
      open = false;
      return {
        columns,
        rows,
        totalRows,
        truncated: truncatedBy !== undefined,
        ...(truncatedBy ? { truncatedBy } : {}),
        elapsedMs: performance.now() - started,
      };
    } catch (error) {
      throw failure(error, cypher, timeoutMs, this.options.bufferPoolBytes);
    } finally {
      if (open) await conn.run('ROLLBACK').catch(() => undefined); // an interrupted query already aborted it
    }
  }

  async explain(cypher: string): Promise<{ operators: string[]; functions: string[] }> {
    const conn = await this.acquire();
    try {
      conn.setTimeout(this.options.defaultTimeoutMs);
      const statement = await conn.prepare(`EXPLAIN ${cypher}`, false);
      const { rows } = await collect(single(await conn.conn.execute(statement, {})), 10);
      const plan = rows.map((row) => Object.values(row).join('\n')).join('\n');
      const operators = [...new Set([...plan.matchAll(/│\s*([A-Z][A-Z0-9_]*)\[\d+\]\s*│/g)].map((m) => m[1]!))];
      const functions = [
        ...new Set([...plan.matchAll(/Function:\s*([A-Za-z0-9_]+)/g)].map((m) => m[1]!.toUpperCase())),
      ];
      if (operators.length === 0)
        throw new KnowledgeError('QUERY_REJECTED', 'the query plan could not be read, so the query is not run');
      return { operators, functions };
    } catch (error) {
      throw failure(error, cypher);
    } finally {
      this.release(conn);
    }
  }

  write(statements: readonly Statement[]): Promise<void> {
    return this.enqueue(statements);
  }

  /** Queues a write. `autocommit` runs it alone, outside an explicit transaction (DDL). */
  private enqueue(statements: readonly Statement[], autocommit = false): Promise<void> {
    if (this.closed) return Promise.reject(new KnowledgeError('UNAVAILABLE', 'the knowledge graph is closed'));
    if (this.access === 'read-only')
      return Promise.reject(
        new KnowledgeError(
          'READ_ONLY',
          `the knowledge graph is read-only here: ${this.accessReason ?? 'another process holds it'}; make changes through that Caelum (caelum service status), or stop it and retry`,
        ),
      );
    if (statements.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ statements, resolve, reject, ...(autocommit ? { autocommit } : {}) } as PendingWrite);
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.length > 0) {
        const first = this.pending[0] as PendingWrite & { autocommit?: boolean };
        if (first.autocommit) {
          this.pending.shift();
          await this.settle([first], () => this.runAutocommit(first.statements));
          continue;
        }
        // Group commit: every queued batch that fits goes into one transaction.
        const group: PendingWrite[] = [];
        let size = 0;
        while (
          this.pending.length > 0 &&
          !(this.pending[0] as { autocommit?: boolean }).autocommit &&
          (group.length === 0 || size + this.pending[0]!.statements.length <= this.options.maxGroupStatements)
        ) {
          const next = this.pending.shift()!;
          group.push(next);
          size += next.statements.length;
        }
        try {
          await this.transaction(
            group.length > 1
              ? (coalesce(group.map((w) => w.statements)) ?? group.flatMap((w) => w.statements))
              : group[0]!.statements,
          );
          for (const w of group) w.resolve();
        } catch (error) {
          if (group.length === 1) {
            group[0]!.reject(failure(error, group[0]!.statements[0]?.cypher ?? ''));
            continue;
          }
          // One batch failed the group: run each alone, so only the bad one fails.
          for (const w of group) await this.settle([w], () => this.transaction(w.statements));
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async settle(group: PendingWrite[], work: () => Promise<void>): Promise<void> {
    try {
      await work();
      for (const w of group) w.resolve();
    } catch (error) {
      for (const w of group) w.reject(failure(error, w.statements[0]?.cypher ?? ''));
    }
  }

  private async runAutocommit(statements: readonly Statement[]): Promise<void> {
    try {
      for (const s of statements) await this.execute(s);
    } finally {
      this.changed();
      this.tablesCache = undefined;
    }
  }

  private changed(): void {
    this.generation++;
    this.results.clear();
  }

  private async execute(s: Statement): Promise<void> {
    const statement = await this.writer.prepare(s.cypher, true);
    const result = await this.writer.conn.execute(statement, (s.params ?? {}) as never);
    for (const r of Array.isArray(result) ? result : [result]) r.close();
  }

  private async transaction(statements: readonly Statement[]): Promise<void> {
    this.writer.setTimeout(600_000);
    await this.writer.run('BEGIN TRANSACTION');
    try {
      for (const s of statements) await this.execute(s);
      await this.writer.run('COMMIT');
      this.changed();
    } catch (error) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  tables(): Promise<TableInfo[]> {
    this.tablesCache ??= this.loadTables().catch((error) => {
      this.tablesCache = undefined;
      throw error;
    });
    return this.tablesCache;
  }

  private async loadTables(): Promise<TableInfo[]> {
    const listed = await this.read('CALL show_tables() RETURN *');
    const tables: TableInfo[] = [];
    for (const row of listed.rows) {
      const name = String(row.name);
      const kind = String(row.type).toUpperCase() === 'REL' ? 'rel' : 'node';
      if (String(row.type).toUpperCase() !== 'NODE' && kind !== 'rel') continue;
      const info = await this.read(`CALL table_info('${name}') RETURN *`);
      const properties = info.rows.map((p) => ({
        name: String(p.name),
        type: String(p.type),
        primaryKey: p['primary key'] === true,
      }));
      const table: TableInfo = { name, kind, properties };
      if (kind === 'rel') {
        const connections = await this.read(`CALL show_connection('${name}') RETURN *`);
        table.connections = connections.rows.map((c) => ({
          from: String(c['source table name']),
          to: String(c['destination table name']),
        }));
      }
      tables.push(table);
    }
    return tables.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'node' ? -1 : 1));
  }

  async count(table: string): Promise<number> {
    const known = (await this.tables()).find((t) => t.name === table);
    if (!known || !identifier.test(table)) throw new KnowledgeError('NOT_FOUND', `no table named "${table}"`);
    const cypher =
      known.kind === 'node'
        ? `MATCH (n:${table}) RETURN count(n) AS c`
        : `MATCH ()-[r:${table}]->() RETURN count(r) AS c`;
    return Number((await this.read(cypher)).rows[0]!.c);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writes finish: an acknowledged write is never dropped by shutdown.
    while (this.writing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    while (this.idle.length < this.readers.length) await new Promise((r) => setTimeout(r, 5));
    for (const c of [this.writer, ...this.readers]) await c.conn.close();
    await this.db.close();
  }
}

export function openKuzuStore(options: KuzuStoreOptions): Promise<KuzuGraphStore> {
  return KuzuGraphStore.open(options);
}
