// One small PostgreSQL pool with connect and statement budgets, pg loaded on first use: the way the
// shared stores (agent memory, training jobs, the registry) reach the database, so that a database
// that stops answering costs a call its budget, never a hang, and an idle pool never holds a
// process open.
import type pg from 'pg';

export interface BudgetedPoolOptions {
  url: string;
  /** Shown in pg_stat_activity. */
  applicationName: string;
  max: number;
  connectTimeoutMs: number;
  /** Server-side statement_timeout; the client gives up one second after it. */
  statementTimeoutMs: number;
}

export async function budgetedPool(options: BudgetedPoolOptions): Promise<pg.Pool> {
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: options.url,
    application_name: options.applicationName,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    query_timeout: options.statementTimeoutMs + 1_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle client's error (the server restarted) is the next query's to report.
  pool.on('error', () => undefined);
  return pool;
}
