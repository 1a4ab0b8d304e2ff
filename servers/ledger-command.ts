// `caelum ledger migrate [--confirm] [--json]`: reclassifies cost ledger rows written before call
// outcomes were tracked (v1) into v2 calls, explicitly. Without --confirm it only counts what it
// would do. A JSONL ledger is rewritten file by file beside a .v1-backup copy, so it refuses while
// the data dir's service runs (its appends would race the rename); the PostgreSQL ledger migrates in
// one transaction and may run at any time.
import path from 'node:path';
import type { LoadedConfig } from './config.js';
import type { ParsedArgs } from './arguments.js';
import { JsonlLedger, type MigrationReport } from '../gpu-pool/ledger.js';
import { PgLedger } from '../gpu-pool/pg-ledger.js';
import { print, printError, printJson } from './printer.js';
import { servicePaths } from './service-paths.js';
import { control } from './service-client.js';

function describe(report: MigrationReport): string {
  const usd = (n: number) => `$${n.toFixed(4)}`;
  if (report.rows === 0) return 'caelum ledger migrate: no rows from before outcome tracking; nothing to do.';
  return [
    `caelum ledger migrate: ${report.dryRun ? 'would reclassify' : 'reclassified'} ${report.rows} row(s) from before outcome tracking, at threshold ${report.threshold}:`,
    `  ${report.acceptedLocal} accepted locally, ${report.escalated} answered by Claude, ${report.failed} failed, ${report.embeddings} embedding requests`,
    `  saving: ${usd(report.claimedSavingUsd)} as booked then, ${usd(report.bookedSavingUsd)} after migration`,
    '  each old row becomes a call of its own: v1 rows cannot be joined to the other attempts of their call',
    report.dryRun
      ? '  nothing was changed; run `caelum ledger migrate --confirm` to apply'
      : `  rewritten: ${report.files.join(', ')}${report.files.some((f) => f.endsWith('.jsonl')) ? ' (originals kept as <file>.v1-backup)' : ''}`,
  ].join('\n');
}

export async function ledgerCommand(loaded: LoadedConfig, args: ParsedArgs): Promise<number> {
  const [sub] = args.positionals;
  if (sub !== 'migrate') {
    printError('caelum ledger: name a subcommand: migrate [--confirm] [--json]');
    return 2;
  }
  const { config } = loaded;
  const dryRun = !args.switches.has('confirm');
  let ledger: JsonlLedger | PgLedger;
  if (config.databaseUrl) ledger = new PgLedger(config.databaseUrl);
  else {
    if (!dryRun && (await control(servicePaths(config.dataDir), { op: 'status' }).catch(() => 'unknown'))) {
      printError(
        'caelum ledger migrate: the Caelum service of this data dir is running and appends to the ledger; stop it first (caelum service stop), then migrate',
      );
      return 1;
    }
    ledger = new JsonlLedger(path.join(config.dataDir, 'ledger'));
  }
  try {
    const report = await ledger.migrate({ threshold: config.confidenceThreshold, dryRun });
    if (args.json) printJson(report);
    else print(describe(report));
    return 0;
  } catch (error) {
    printError(`caelum ledger migrate: ${(error as Error).message}`);
    return 1;
  } finally {
    if (ledger instanceof PgLedger) await ledger.close();
  }
}
