// Imports a PostgreSQL table of concepts (id, text, vector, metadata…) into a vector collection.
// The table is streamed through a server-side cursor in batches (never loaded whole), inside a
// read-only repeatable-read transaction so the import sees one snapshot. Vectors may be real[] /
// float8[] or a pgvector-style text literal ("[0.1,0.2]" or "{0.1,0.2}"). Bad rows (NULL or
// non-numeric vectors, wrong dimension, duplicate ids) are counted and skipped. The index is then
// built in a worker thread and replaces the collection atomically.
import { KnowledgeError } from './knowledge-error.js';
import type { KnowledgeDocument } from './knowledge-store.js';
import type { PackedItems } from './vector/vector-index.js';

export interface PgImportSpec {
  connectionString: string;
  table: string;
  idColumn: string;
  vectorColumn: string;
  textColumn?: string;
  /** Columns copied into the document text as "key: value" lines and used for namespace/type. */
  metadataColumns?: string[];
  namespaceColumn?: string;
  typeColumn?: string;
  where?: string;
  batchSize?: number;
  /** Expected dimension; default the first good row's. */
  dimension?: number;
  /** Stop after this many rows (for sampling). */
  limit?: number;
  /** How long to wait for the connection; default 10 s. */
  connectTimeoutMs?: number;
  /**
   * The string came from an agent, not from the operator: pg gets only what the string says. Left to
   * itself pg fills an empty user, password, host or database from PGUSER, PGPASSWORD, PGHOST,
   * PGDATABASE and ~/.pgpass, which would hand the operator's credentials to a host the agent named.
   */
  agentSupplied?: boolean;
}

/** Session parameters an agent string may carry (tools/connection-string.ts allows no others). */
const sessionParameters = {
  application_name: 'application_name',
  fallback_application_name: 'fallback_application_name',
  options: 'options',
  client_encoding: 'client_encoding',
  statement_timeout: 'statement_timeout',
  query_timeout: 'query_timeout',
  lock_timeout: 'lock_timeout',
  idle_in_transaction_session_timeout: 'idle_in_transaction_session_timeout',
  keepalives: 'keepAlive',
} as const;

/**
 * An explicit pg client config built from an agent's URL alone: no connectionString (whose empty
 * fields pg would fill from the environment), and a password given as a function, so that an empty
 * one is sent as empty instead of falling back to PGPASSWORD or ~/.pgpass.
 */
export function explicitClientConfig(connectionString: string): Record<string, unknown> {
  const url = new URL(connectionString);
  const decode = (text: string) => decodeURIComponent(text);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = decode(url.username);
  if (!host) throw new KnowledgeError('BAD_INPUT', 'the connection string names no host');
  if (!user) throw new KnowledgeError('BAD_INPUT', 'the connection string names no user (postgres://user@host/db)');
  const password = decode(url.password);
  const config: Record<string, unknown> = {
    host,
    port: url.port ? Number(url.port) : 5432,
    user,
    database: decode(url.pathname.replace(/^\//, '')) || user,
    password: () => Promise.resolve(password),
    ssl: false,
  };
  const params = url.searchParams;
  const sslmode = (params.get('sslmode') ?? (params.get('ssl') === 'true' ? 'require' : 'disable')).toLowerCase();
  if (sslmode === 'verify-ca' || sslmode === 'verify-full') config.ssl = true;
  else if (sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer')
    config.ssl = { rejectUnauthorized: false };
  for (const [key, option] of Object.entries(sessionParameters)) {
    const value = params.get(key);
    if (value !== null)
      config[option] = option.endsWith('timeout') ? Number(value) : option === 'keepAlive' ? value !== '0' : value;
  }
  const connectTimeout = params.get('connect_timeout');
  if (connectTimeout !== null && Number(connectTimeout) > 0)
    config.connectionTimeoutMillis = Number(connectTimeout) * 1000;
  return config;
}

export interface PgImportSkips {
  nullVector: number;
  nonNumeric: number;
  wrongDimension: number;
  duplicateId: number;
  nullId: number;
}

export interface PgImportResult {
  rowsRead: number;
  imported: number;
  skipped: PgImportSkips;
  dimension: number;
  batches: number;
  readMs: number;
  /** The first few skipped rows, with why. */
  examples: { id: string; reason: string }[];
}

const identifier = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function quoteIdentifier(name: string, field: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || !parts.every((p) => identifier.test(p)))
    throw new KnowledgeError(
      'BAD_INPUT',
      `${field} "${name}" is not a plain SQL identifier (letters, digits, _; optionally schema.table)`,
    );
  return parts.map((p) => `"${p}"`).join('.');
}

/** A vector from a real[] (already parsed), or a "[…]" / "{…}" text literal; a reason string if bad. */
export function parseVector(value: unknown): Float32Array | 'nullVector' | 'nonNumeric' {
  if (value === null || value === undefined) return 'nullVector';
  let parts: unknown[];
  if (Array.isArray(value)) {
    parts = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (!((text.startsWith('[') && text.endsWith(']')) || (text.startsWith('{') && text.endsWith('}'))))
      return 'nonNumeric';
    const inner = text.slice(1, -1).trim();
    parts = inner.length ? inner.split(',') : [];
  } else {
    return 'nonNumeric';
  }
  const out = new Float32Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === null || part === undefined) return 'nonNumeric';
    const n = typeof part === 'number' ? part : Number(String(part).trim());
    if (!Number.isFinite(n) || (typeof part === 'string' && part.trim() === '')) return 'nonNumeric';
    out[i] = n;
  }
  return out;
}

export interface PgImportSink {
  /** Packed items (shared memory) and their documents, called once at the end of the read. */
  items: PackedItems;
  documents: KnowledgeDocument[];
}

/**
 * Reads the table into packed vectors and documents. Memory: the vectors only (4 bytes a float),
 * growing by doubling; rows are never held beyond their batch.
 */
export async function readConceptsFromPostgres(
  spec: PgImportSpec,
  options: { collection: string; signal?: AbortSignal; onProgress?: (rows: number, total?: number) => void },
): Promise<PgImportResult & PgImportSink> {
  const pg = (await import('pg')).default;
  const table = quoteIdentifier(spec.table, 'table');
  const id = quoteIdentifier(spec.idColumn, 'idColumn');
  const vector = quoteIdentifier(spec.vectorColumn, 'vectorColumn');
  const text = spec.textColumn ? quoteIdentifier(spec.textColumn, 'textColumn') : undefined;
  const metadata = (spec.metadataColumns ?? []).map((c) => ({ name: c, sql: quoteIdentifier(c, 'metadataColumns') }));
  const namespaceColumn = spec.namespaceColumn ? quoteIdentifier(spec.namespaceColumn, 'namespaceColumn') : undefined;
  const typeColumn = spec.typeColumn ? quoteIdentifier(spec.typeColumn, 'typeColumn') : undefined;
  if (spec.where && /;|--|\/\*/.test(spec.where))
    throw new KnowledgeError('BAD_INPUT', 'where must be a single boolean expression without ";" or comments');
  const columns = [
    `${id}::text AS id`,
    `${vector} AS vec`,
    text ? `${text}::text AS text` : `NULL::text AS text`,
    namespaceColumn ? `${namespaceColumn}::text AS ns` : `NULL::text AS ns`,
    typeColumn ? `${typeColumn}::text AS ty` : `NULL::text AS ty`,
    ...metadata.map((m, i) => `${m.sql}::text AS m${i}`),
  ];
  const client = new pg.Client({
    application_name: 'caelum-import',
    connectionTimeoutMillis: spec.connectTimeoutMs ?? 10_000,
    ...(spec.agentSupplied ? explicitClientConfig(spec.connectionString) : { connectionString: spec.connectionString }),
  });
  // real[] and float8[] arrive as text and are parsed here, faster than per-element type parsing.
  const raw = (v: string) => v;
  client.setTypeParser(1021 as never, raw);
  client.setTypeParser(1022 as never, raw);
  const started = performance.now();
  try {
    await client.connect();
  } catch (error) {
    // A server the agent named that does not answer is the agent's to fix; the configured one is ours.
    throw new KnowledgeError(
      spec.agentSupplied ? 'BAD_INPUT' : 'UNAVAILABLE',
      `cannot connect to PostgreSQL${spec.agentSupplied ? ' at the connection string given' : ''}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const skipped: PgImportSkips = { nullVector: 0, nonNumeric: 0, wrongDimension: 0, duplicateId: 0, nullId: 0 };
  const examples: { id: string; reason: string }[] = [];
  const skip = (rowId: string, reason: keyof PgImportSkips) => {
    skipped[reason]++;
    if (examples.length < 10) examples.push({ id: rowId, reason });
  };
  const ids: string[] = [];
  const namespaces: string[] = [];
  const types: string[] = [];
  const documents: KnowledgeDocument[] = [];
  const seen = new Set<string>();
  let dimension = spec.dimension ?? 0;
  let buffer: Float32Array<ArrayBufferLike> = new Float32Array(0);
  let rowsRead = 0;
  let batches = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let total: number | undefined;
    try {
      const estimate = await client.query(
        `SELECT count(*)::bigint AS n FROM ${table}${spec.where ? ` WHERE ${spec.where}` : ''}`,
      );
      total = Number(estimate.rows[0].n);
    } catch (error) {
      throw new KnowledgeError('BAD_INPUT', `cannot read ${spec.table}: ${(error as Error).message}`, { cause: error });
    }
    await client.query(
      `DECLARE caelum_import NO SCROLL CURSOR FOR SELECT ${columns.join(', ')} FROM ${table}${spec.where ? ` WHERE ${spec.where}` : ''}${spec.limit ? ` LIMIT ${Math.floor(spec.limit)}` : ''}`,
    );
    const batchSize = spec.batchSize ?? 2_000;
    for (;;) {
      options.signal?.throwIfAborted();
      const result = await client.query(`FETCH ${batchSize} FROM caelum_import`);
      if (result.rows.length === 0) break;
      batches++;
      for (const row of result.rows as Record<string, string | null>[]) {
        rowsRead++;
        const rowId = row.id;
        if (rowId === null || rowId === undefined) {
          skip('(null)', 'nullId');
          continue;
        }
        const parsed = parseVector(row.vec);
        if (typeof parsed === 'string') {
          skip(rowId, parsed);
          continue;
        }
        if (dimension === 0) dimension = parsed.length;
        if (buffer.length === 0 && dimension > 0)
          buffer = new Float32Array(new SharedArrayBuffer(Math.max(1, total ?? 1024) * dimension * 4));
        if (parsed.length !== dimension || dimension === 0) {
          skip(rowId, 'wrongDimension');
          continue;
        }
        if (seen.has(rowId)) {
          skip(rowId, 'duplicateId');
          continue;
        }
        seen.add(rowId);
        const at = ids.length;
        if ((at + 1) * dimension > buffer.length) {
          const grown = new Float32Array(new SharedArrayBuffer(Math.max(1024, (at + 1) * 2) * dimension * 4));
          grown.set(buffer);
          buffer = grown;
        }
        buffer.set(parsed, at * dimension);
        const itemId = `${options.collection}:${rowId}`;
        ids.push(itemId);
        const namespace = row.ns ?? options.collection;
        const type = row.ty ?? 'concept';
        namespaces.push(namespace);
        types.push(type);
        const lines = [
          row.text ?? '',
          ...metadata.map((m, i) => (row[`m${i}`] === null ? '' : `${m.name}: ${row[`m${i}`]}`)),
        ].filter(Boolean);
        documents.push({ id: itemId, namespace, type, text: lines.join('\n'), ref: `${spec.table}:${rowId}` });
      }
      options.onProgress?.(rowsRead, total);
    }
    await client.query('CLOSE caelum_import');
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof KnowledgeError) throw error;
    if ((error as Error).name === 'AbortError') throw error;
    throw new KnowledgeError('QUERY_FAILED', `reading ${spec.table} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
  // The buffer was sized from count(*): usually it is exactly full and handed over without a copy.
  let shared = buffer;
  if (buffer.length !== ids.length * dimension) {
    shared = new Float32Array(new SharedArrayBuffer(ids.length * dimension * 4));
    shared.set(buffer.subarray(0, ids.length * dimension));
  }
  return {
    rowsRead,
    imported: ids.length,
    skipped,
    dimension,
    batches,
    readMs: performance.now() - started,
    examples,
    items: { ids, namespaces, types, vectors: shared },
    documents,
  };
}

export interface ConceptImportOptions {
  collection: string;
  /** Names the model that made the vectors, so queries from another embedder are refused. */
  embedder?: string;
  space?: 'cosine' | 'ip' | 'l2';
  m?: number;
  efConstruction?: number;
  /** Store each row's text and metadata as a document (for search results). Default true. */
  documents?: boolean;
  signal?: AbortSignal;
  onProgress?: (phase: 'read' | 'documents' | 'build', done: number, total?: number) => void;
}

/** Reads the table, writes documents to the graph, builds the collection in a worker, swaps it in. */
export async function importConcepts(
  store: import('./knowledge-store.js').KnowledgeStore,
  spec: PgImportSpec,
  options: ConceptImportOptions,
): Promise<
  PgImportResult & { collection: string; embedder: string; buildMs: number; documentsMs: number; totalMs: number }
> {
  const started = performance.now();
  const read = await readConceptsFromPostgres(spec, {
    collection: options.collection,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (rows, total) => options.onProgress?.('read', rows, total),
  });
  if (read.imported === 0)
    throw new KnowledgeError(
      'BAD_INPUT',
      `no usable rows in ${spec.table}: ${read.rowsRead} read, skipped ${JSON.stringify(read.skipped)}`,
    );
  const embedder = options.embedder ?? `pg:${spec.table}.${spec.vectorColumn}/${read.dimension}`;
  let documentsMs = 0;
  if (options.documents !== false) {
    const documentsStarted = performance.now();
    const graph = await store.graph();
    const at = new Date().toISOString();
    const statements: import('./graph/graph-store.js').Statement[] = [
      { cypher: 'MATCH (d:Document) WHERE d.collection = $c DELETE d', params: { c: options.collection } },
    ];
    for (let i = 0; i < read.documents.length; i += 10_000) {
      statements.push({
        cypher:
          'UNWIND $rows AS r CREATE (:Document {id: r.id, collection: $c, namespace: r.namespace, type: r.type, text: r.text, ref: r.ref, updatedAt: $at})',
        params: {
          c: options.collection,
          at,
          rows: read.documents.slice(i, i + 10_000).map((d) => ({ ...d, ref: d.ref ?? '' })),
        },
      });
    }
    await graph.write(statements);
    documentsMs = performance.now() - documentsStarted;
    options.onProgress?.('documents', read.documents.length, read.documents.length);
  }
  const buildStarted = performance.now();
  await store.replaceCollection(
    options.collection,
    {
      space: options.space ?? 'cosine',
      dimension: read.dimension,
      embedder,
      m: options.m ?? 16,
      efConstruction: options.efConstruction ?? 64,
      ef: 64,
      capacity: Math.max(1024, read.imported),
    },
    read.items,
    {
      onProgress: (done, total) => options.onProgress?.('build', done, total),
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  const { items: _items, documents: _documents, ...summary } = read;
  return {
    ...summary,
    collection: options.collection,
    embedder,
    buildMs: performance.now() - buildStarted,
    documentsMs,
    totalMs: performance.now() - started,
  };
}
