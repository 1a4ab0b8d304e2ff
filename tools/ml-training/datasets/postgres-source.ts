// Reads a dataset's rows from PostgreSQL: the table and its columns are checked in the catalogue
// first (a missing table, a missing column or a column that holds no vectors is the caller's fault,
// named by field), the query is built from structured input only (identifiers quoted by pg's
// escapeIdentifier, values always bound as $n parameters), and it runs in a READ ONLY repeatable-read
// transaction with a statement timeout, read through pg-cursor a batch at a time.
import type { Client } from 'pg';
import { InputError, ToolError } from '../../errors.js';
import type { DatasetWriter } from './dataset-writer.js';
import { parseVectorText } from './vector-text.js';

export const whereOperators = ['=', '!=', '<', '<=', '>', '>=', 'like', 'in', 'is_null', 'not_null'] as const;
export type WhereOperator = (typeof whereOperators)[number];

export interface WhereCondition {
  column: string;
  op: WhereOperator;
  value?: string | number | boolean | (string | number)[] | undefined;
}

export interface PostgresDatasetQuery {
  table: string;
  idColumn: string;
  vectorColumn: string;
  codeColumn?: string | undefined;
  labelColumn?: string | undefined;
  textColumn?: string | undefined;
  where: WhereCondition[];
  orderBy?: { column: string; direction: 'asc' | 'desc' } | undefined;
  limit?: number | undefined;
}

export interface BuiltQuery {
  text: string;
  parameters: unknown[];
}

interface ColumnInfo {
  name: string;
  type: string;
  typname: string;
  category: string;
  elementCategory: string | null;
}

/** `schema.table` or `table`; each part is quoted as it is (case and all). */
function tableParts(table: string): string[] {
  const parts = table.split('.');
  if (parts.length > 2 || parts.some((p) => p.length === 0))
    throw new InputError('table', `"${table}" is not a table name; pass table or schema.table`);
  return parts;
}

/** The SELECT for `query`, with every value as a parameter. Needs the columns already checked. */
export function buildQuery(query: PostgresDatasetQuery, escape: (name: string) => string): BuiltQuery {
  const table = tableParts(query.table).map(escape).join('.');
  // Columns are qualified by the table's alias: ORDER BY "id" would otherwise mean the output column id.
  const quote = (name: string) => `src.${escape(name)}`;
  const parameters: unknown[] = [];
  const bind = (value: unknown) => {
    parameters.push(value);
    return `$${parameters.length}`;
  };
  const columns = [`${quote(query.idColumn)}::text AS id`, `${quote(query.vectorColumn)}::text AS vec`];
  if (query.codeColumn) columns.push(`${quote(query.codeColumn)}::text AS code`);
  if (query.labelColumn) columns.push(`${quote(query.labelColumn)}::text AS label`);
  if (query.textColumn) columns.push(`${quote(query.textColumn)}::text AS text`);
  const conditions = query.where.map((condition, i) => {
    const column = quote(condition.column);
    const needsValue = condition.op !== 'is_null' && condition.op !== 'not_null';
    if (needsValue && (condition.value === undefined || condition.value === null))
      throw new InputError(`where.${i}.value`, `operator "${condition.op}" needs a value`);
    switch (condition.op) {
      case 'is_null':
        return `${column} IS NULL`;
      case 'not_null':
        return `${column} IS NOT NULL`;
      case 'in':
        if (!Array.isArray(condition.value) || condition.value.length === 0)
          throw new InputError(`where.${i}.value`, 'operator "in" needs a non-empty list of values');
        return `${column} = ANY(${bind(condition.value)})`;
      case 'like':
        return `${column}::text LIKE ${bind(String(condition.value))}`;
      default:
        if (Array.isArray(condition.value))
          throw new InputError(`where.${i}.value`, `operator "${condition.op}" takes one value; use "in" for a list`);
        return `${column} ${condition.op === '!=' ? '<>' : condition.op} ${bind(condition.value)}`;
    }
  });
  const order = query.orderBy ?? { column: query.idColumn, direction: 'asc' as const };
  const orderSql = [`${quote(order.column)} ${order.direction === 'desc' ? 'DESC' : 'ASC'}`];
  if (order.column !== query.idColumn) orderSql.push(`${quote(query.idColumn)} ASC`);
  let text = `SELECT ${columns.join(', ')} FROM ${table} AS src`;
  if (conditions.length) text += ` WHERE ${conditions.join(' AND ')}`;
  text += ` ORDER BY ${orderSql.join(', ')}`;
  if (query.limit !== undefined) text += ` LIMIT ${bind(query.limit)}`;
  return { text, parameters };
}

async function columnsOf(client: Client, table: string, quote: (name: string) => string): Promise<ColumnInfo[]> {
  const qualified = tableParts(table).map(quote).join('.');
  const found = await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid AS oid', [qualified]);
  const oid = found.rows[0]?.oid;
  if (oid === null || oid === undefined)
    throw new InputError(
      'table',
      `${table} does not exist; pass an existing table or view as table or schema.table (names are case-sensitive)`,
    );
  const result = await client.query<ColumnInfo>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, t.typname AS typname,
            t.typcategory AS category, e.typcategory AS "elementCategory"
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
      WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [oid],
  );
  return result.rows;
}

/** Checks that every named column exists and that the vector and code columns hold vectors. */
async function checkColumns(
  client: Client,
  query: PostgresDatasetQuery,
  quote: (name: string) => string,
): Promise<void> {
  const columns = await columnsOf(client, query.table, quote);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const listed = columns.map((c) => c.name).join(', ');
  const need = (field: string, name: string | undefined): ColumnInfo | undefined => {
    if (name === undefined) return undefined;
    const column = byName.get(name);
    if (!column) throw new InputError(field, `column "${name}" is not in ${query.table}; its columns are: ${listed}`);
    return column;
  };
  need('idColumn', query.idColumn);
  need('labelColumn', query.labelColumn);
  need('textColumn', query.textColumn);
  query.where.forEach((condition, i) => need(`where.${i}.column`, condition.column));
  if (query.orderBy) need('orderBy.column', query.orderBy.column);
  for (const field of ['vectorColumn', 'codeColumn'] as const) {
    const column = need(field, query[field]);
    if (!column) continue;
    if (column.category === 'A' && column.elementCategory === 'N') continue;
    if (column.typname === 'vector' || column.typname === 'halfvec') continue;
    if (column.category === 'S') {
      const table = tableParts(query.table).map(quote).join('.');
      const sample = await client.query<{ v: string }>(
        `SELECT ${quote(column.name)}::text AS v FROM ${table} WHERE ${quote(column.name)} IS NOT NULL LIMIT 1`,
      );
      const value = sample.rows[0]?.v;
      if (value === undefined || parseVectorText(value) !== 'unparseable') continue;
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      throw new InputError(
        field,
        `${column.name} is ${column.type} holding '${shown}', not a vector; pass a real[] or vector-text column ('{0.1,0.2}' or '[0.1,0.2]')`,
      );
    }
    throw new InputError(
      field,
      `${column.name} is ${column.type}, not a vector; pass a real[], double precision[], numeric[], pgvector or vector-text column`,
    );
  }
}

/** SQLSTATE classes that mean the filter's values or types do not fit the columns. */
function isFilterFault(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code === '42883' || code === '42804');
}

export interface PostgresReadOptions {
  databaseUrl: string;
  batchSize: number;
  statementTimeoutMs: number;
  signal: AbortSignal;
  progress: (rows: number, total: number | undefined) => void;
}

/** Streams the query's rows into `writer`. Returns the SQL text and parameters that ran. */
export async function readPostgresRows(
  query: PostgresDatasetQuery,
  writer: DatasetWriter,
  options: PostgresReadOptions,
): Promise<BuiltQuery & { total: number }> {
  const pg = (await import('pg')).default;
  const Cursor = (await import('pg-cursor')).default;
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    application_name: 'caelum-dataset',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new ToolError('UNAVAILABLE', `cannot connect to PostgreSQL (databaseUrl): ${(error as Error).message}`, {
      cause: error,
    });
  }
  // A cancel ends the connection, so a fetch in flight returns at once.
  const onAbort = () => void client.end().catch(() => undefined);
  options.signal.addEventListener('abort', onAbort, { once: true });
  const quote = (name: string) => client.escapeIdentifier(name);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.floor(options.statementTimeoutMs)}`);
    await checkColumns(client, query, quote);
    const built = buildQuery(query, quote);
    let total: number;
    try {
      const counted = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM (${built.text}) AS q`,
        built.parameters,
      );
      total = Number(counted.rows[0]!.n);
    } catch (error) {
      if (isFilterFault(error)) throw new InputError('where', (error as Error).message);
      throw error;
    }
    options.progress(0, total);
    const cursor = client.query(new Cursor<Record<string, string | null>>(built.text, built.parameters));
    for (;;) {
      options.signal.throwIfAborted();
      const rows = await cursor.read(options.batchSize);
      if (rows.length === 0) break;
      for (const row of rows)
        writer.add({
          id: row.id ?? null,
          vector: row.vec ?? null,
          ...(query.codeColumn ? { code: row.code ?? null } : {}),
          ...(query.labelColumn ? { label: row.label ?? null } : {}),
          ...(query.textColumn ? { text: row.text ?? null } : {}),
        });
      await writer.flush();
      options.progress(writer.rowsRead, total);
    }
    await cursor.close();
    await client.query('COMMIT');
    return { ...built, total };
  } catch (error) {
    options.signal.throwIfAborted();
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof InputError || error instanceof ToolError) throw error;
    if (isFilterFault(error)) throw new InputError('where', (error as Error).message);
    throw new ToolError('INCOMPLETE', `reading ${query.table} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await client.end().catch(() => undefined);
  }
}
