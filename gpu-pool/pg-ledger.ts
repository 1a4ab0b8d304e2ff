// The cost ledger in PostgreSQL, so several Caelum instances share one. The table is append-only:
// a trigger refuses UPDATE and DELETE. Summaries read rows in keyset-paged batches, never the whole
// table at once.
import type pg from 'pg';
import {
  SummaryBuilder,
  withAlso,
  type SummarizeOptions,
  countMigration,
  emptyMigrationReport,
  ledgerEntrySchema,
  migrateV1Row,
  type MigrationReport,
  type CostLedger,
  type CostSummary,
  type LedgerEntry,
} from './ledger.js';

const table = 'caelum_cost_ledger';
const batchSize = 5000;

const schemaSql = `
create table if not exists ${table} (
  id bigserial primary key,
  ts timestamptz not null,
  entry jsonb not null
);
create index if not exists ${table}_ts on ${table} (ts);
create or replace function ${table}_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'the cost ledger is append-only';
end $$;
do $$ begin
  -- the trigger of this schema's table: another schema's ledger must not count
  if not exists (select 1 from pg_trigger where tgname = '${table}_no_rewrite' and tgrelid = '${table}'::regclass) then
    create trigger ${table}_no_rewrite before update or delete on ${table}
      for each row execute function ${table}_append_only();
  end if;
end $$;`;

export class PgLedger implements CostLedger {
  private poolLoading: Promise<pg.Pool> | undefined;
  private ready: Promise<void> | undefined;

  constructor(readonly connectionString: string) {}

  /** pg loads on first use, so a server that never books a call pays nothing at start-up. */
  private connection(): Promise<pg.Pool> {
    this.poolLoading ??= import('pg').then(({ default: driver }) => {
      const pool = new driver.Pool({ connectionString: this.connectionString, max: 4, connectionTimeoutMillis: 5000 });
      pool.on('error', () => undefined);
      return pool;
    });
    return this.poolLoading;
  }

  /** Creates the table once; an advisory lock keeps instances starting together from racing. */
  private ensure(): Promise<void> {
    this.ready ??= (async () => {
      const client = await (await this.connection()).connect();
      try {
        await client.query(`select pg_advisory_lock(hashtext('${table}'))`);
        try {
          await client.query(schemaSql);
        } finally {
          await client.query(`select pg_advisory_unlock(hashtext('${table}'))`);
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

  append(entry: LedgerEntry): Promise<void> {
    return this.appendAll([entry]);
  }

  /** One call's rows in one insert, so they land together or not at all. */
  async appendAll(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((entry) => ledgerEntrySchema.parse(entry));
    await this.ensure();
    const values = rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
    await (
      await this.connection()
    ).query(
      `insert into ${table} (ts, entry) values ${values}`,
      rows.flatMap((row) => [row.ts, JSON.stringify(row)]),
    );
  }

  /**
   * Rewrites v1 rows as v2 in one transaction. The table refuses UPDATE through its trigger; an
   * explicit migration is the one writer allowed past it: the trigger is disabled inside the
   * transaction, so no other writer ever sees it off, and a failure rolls everything back.
   */
  async migrate(options: { threshold: number; dryRun: boolean; signal?: AbortSignal }): Promise<MigrationReport> {
    await this.ensure();
    const report = emptyMigrationReport(options.dryRun, options.threshold);
    const client = await (await this.connection()).connect();
    try {
      await client.query('begin');
      if (!options.dryRun) await client.query(`alter table ${table} disable trigger ${table}_no_rewrite`);
      let lastId = 0;
      for (;;) {
        options.signal?.throwIfAborted();
        const { rows } = await client.query<{ id: string; entry: unknown }>(
          `select id, entry from ${table} where id > $1 and not (entry ? 'v') order by id limit ${batchSize}`,
          [lastId],
        );
        for (const row of rows) {
          const parsed = ledgerEntrySchema.safeParse(row.entry);
          if (!parsed.success || parsed.data.v === 2) continue;
          const migrated = migrateV1Row(parsed.data, options.threshold);
          countMigration(report, parsed.data, migrated);
          if (!options.dryRun)
            await client.query(`update ${table} set entry = $2 where id = $1`, [row.id, JSON.stringify(migrated)]);
        }
        if (rows.length < batchSize) break;
        lastId = Number(rows.at(-1)!.id);
      }
      if (!options.dryRun) await client.query(`alter table ${table} enable trigger ${table}_no_rewrite`);
      await client.query(options.dryRun ? 'rollback' : 'commit');
      if (!options.dryRun && report.rows > 0) report.files.push(table);
      return report;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async summarize(options: SummarizeOptions): Promise<CostSummary> {
    await this.ensure();
    const builder = new SummaryBuilder(options.groupBy);
    const also = (options.alsoGroupBy ?? []).map((groupBy) => new SummaryBuilder(groupBy));
    let skipped = 0;
    let lastId = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      const { rows } = await (
        await this.connection()
      ).query<{ id: string; entry: unknown }>(
        `select id, entry from ${table} where id > $1 and ($2::timestamptz is null or ts >= $2) order by id limit ${batchSize}`,
        [lastId, options.since?.toISOString() ?? null],
      );
      for (const row of rows) {
        const parsed = ledgerEntrySchema.safeParse(row.entry);
        if (parsed.success) {
          builder.add(parsed.data);
          for (const other of also) other.add(parsed.data);
        } else skipped++;
      }
      if (rows.length < batchSize) break;
      lastId = Number(rows.at(-1)!.id);
    }
    const url = new URL(this.connectionString);
    if (url.password) url.password = '***';
    return withAlso(
      builder.build({
        since: options.since?.toISOString(),
        skippedLines: skipped,
        source: `postgresql ${url.host}${url.pathname} table ${table}`,
      }),
      also,
    );
  }

  async close(): Promise<void> {
    if (this.poolLoading) await (await this.poolLoading).end();
  }
}
