// The graph store as the knowledge layer and its tools see it. Kuzu 0.11.3 implements it today
// (kuzu-store.ts); the project is archived upstream, so nothing outside this folder may depend on
// Kuzu itself, and tests/knowledge/graph-store-conformance.ts states what any engine must do.

export type GraphRow = Record<string, unknown>;

export interface ReadOptions {
  /** Interrupts the query after this many milliseconds. Default 5,000. */
  timeoutMs?: number;
  /** Rows beyond this are not returned and `truncated` is set. Default 1,000. */
  maxRows?: number;
  /**
   * Agent reads: rows are read one at a time and reading stops once their JSON passes this many
   * bytes (`truncatedBy: 'bytes'`). Default the store's maxResultBytes.
   */
  maxBytes?: number;
  /** Serve a repeated trusted read from the result cache (cleared by every committed write). Default true. */
  cache?: boolean;
}

export interface ReadResult {
  columns: string[];
  rows: GraphRow[];
  /** True when `maxRows` (or, for agent reads, `maxBytes`) cut the result. */
  truncated: boolean;
  truncatedBy?: 'rows' | 'bytes';
  /** Rows the query produced, including those cut. */
  totalRows: number;
  elapsedMs: number;
}

export interface Statement {
  cypher: string;
  params?: Record<string, unknown>;
}

export interface PropertyInfo {
  name: string;
  type: string;
  primaryKey: boolean;
}

export interface TableInfo {
  name: string;
  kind: 'node' | 'rel';
  properties: PropertyInfo[];
  /** For relationship tables: the node tables they connect. */
  connections?: { from: string; to: string }[];
}

export interface GraphStore {
  /** Engine and version, e.g. "kuzu 0.11.3". */
  readonly engine: string;
  readonly location: string;
  /**
   * read-write: this process holds the graph. read-only: another process holds it and this one
   * could only open it read-only; `write` fails with READ_ONLY.
   */
  readonly access: 'read-write' | 'read-only';
  /** The schema version the migrations brought the database to. */
  readonly schemaVersion: number;
  /** A trusted read (Caelum's own queries): prepared, cached, parameterised. */
  read(cypher: string, params?: Record<string, unknown>, options?: ReadOptions): Promise<ReadResult>;
  /**
   * An untrusted read (agent Cypher): one statement only, run inside a read-only transaction with
   * the timeout. The caller is expected to have passed the text through the Cypher guard first.
   */
  readOnly(cypher: string, params?: Record<string, unknown>, options?: ReadOptions): Promise<ReadResult>;
  /** The physical plan's operator and function names, without running the query. */
  explain(cypher: string): Promise<{ operators: string[]; functions: string[] }>;
  /**
   * Statements run in one write transaction, in order, through the single writer: concurrent
   * callers queue instead of failing. All or nothing.
   */
  write(statements: readonly Statement[]): Promise<void>;
  tables(): Promise<TableInfo[]>;
  /** Rows in a node or relationship table. */
  count(table: string): Promise<number>;
  close(): Promise<void>;
}
