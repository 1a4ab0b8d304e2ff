// Market signals from the knowledge snapshots: the daily outputs (scanner signals, risk report,
// threshold alerts) for a snapshot against the one before it.
import { z } from 'zod';
import { listSnapshots, snapshotIndex, type SnapshotInfo } from '../../knowledge/snapshot/snapshot-archive.js';
import { dailyOutputs, scannerSignalsSchema, type ScannerSignals } from '../../knowledge/snapshot/daily-outputs.js';
import type { ToolContext } from '../context.js';
import { snapshotsDirectory } from '../../knowledge/snapshot/build-state.js';
import { defaultMinCoverage } from '../../knowledge/snapshot/coverage.js';
import { previousUsable, snapshotCoverage } from '../../knowledge/snapshot/snapshot-coverage.js';
import { defineTool } from '../define-tool.js';
import { InputError } from '../errors.js';

export const generateSignals = defineTool({
  name: 'trading_generate_signals',
  domain: 'trading',
  tags: ['signals', 'scanner', 'risk report', 'alerts', 'regime', 'snapshot', 'daily'],
  requests: [
    'market signals from the latest snapshot',
    'daily risk report',
    'regime change and crisis probability alerts',
    'trading signals for today',
    'crisis probability changes per country',
    'position size multipliers from the regimes',
    "today's market alerts",
  ],
  title: 'Daily market signals from snapshots',
  description:
    'Compares the newest knowledge snapshot with the one before it (or two named ones) and returns scanner_signals.json (regime, probabilities, position-size multiplier, crisis probability and its change per country, top movers), daily_risk_report.md, and threshold alerts: a scenario probability that moved more than 5 percentage points or a regime change. Refuses a snapshot below coverage (a partial build) and says why. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({
    snapshot: z.string().optional().describe('Default: the newest.'),
    previous: z.string().optional().describe('Compared with; default: the one before.'),
  }),
  output: z.object({
    snapshot: z.string(),
    previous: z.string().nullable(),
    signals: scannerSignalsSchema,
    report: z.string(),
    alerts: z.number().int(),
  }),
  examples: [{}],
  async handler(input, context) {
    const all = await listSnapshots(snapshotsDirectory(context.environment.dataDir));
    if (all.length === 0)
      throw new InputError(
        'snapshot',
        'there is no knowledge snapshot yet; build one with buildKnowledgeSnapshot (knowledge_base_build_snapshot)',
      );
    const find = (name: string, field: string) => {
      const index = snapshotIndex(all, name);
      if (index < 0)
        throw new InputError(field, `no snapshot "${name}"; available: ${all.map((s) => s.name).join(', ')}`);
      return index;
    };
    const currentIndex = input.snapshot ? find(input.snapshot, 'snapshot') : all.length - 1;
    const current = all[currentIndex]!;
    // Signals from a snapshot that lacks most of its data would be noise dressed up as a regime call.
    const minimum = context.environment.knowledgeBase?.minCoverage ?? defaultMinCoverage;
    await refuseBelowCoverage(current, minimum, input.snapshot ? 'snapshot' : '');
    if (input.previous) await refuseBelowCoverage(all[find(input.previous, 'previous')]!, minimum, 'previous');
    const previous = input.previous
      ? all[find(input.previous, 'previous')]
      : await previousUsable(all.slice(0, currentIndex), minimum);
    const outputs = await dailyOutputs(current.file, previous?.file, new Date().toISOString());
    return {
      snapshot: current.name,
      previous: previous?.name ?? null,
      signals: outputs.signals,
      report: outputs.report,
      alerts: outputs.signals.alerts.length,
    };
  },
  summarize: (o) => o.report,
});

/**
 * The signals the committee's macro voter reads: those of the snapshot named, else of the newest
 * usable snapshot dated on or before `asOf` (a prediction is not judged with a later regime), or
 * why there are none. Never throws for a missing or partial snapshot: the voter abstains instead.
 */
export async function latestSignals(
  environment: ToolContext['environment'],
  now: string,
  options: { snapshot?: string | undefined; asOf?: string | undefined } = {},
): Promise<{ signals: ScannerSignals } | { reason: string }> {
  const all = await listSnapshots(snapshotsDirectory(environment.dataDir));
  if (all.length === 0) return { reason: 'there is no knowledge snapshot yet (buildKnowledgeSnapshot makes one)' };
  const minimum = environment.knowledgeBase?.minCoverage ?? defaultMinCoverage;
  let current: SnapshotInfo | undefined;
  if (options.snapshot) {
    const index = snapshotIndex(all, options.snapshot);
    if (index < 0) return { reason: `no snapshot "${options.snapshot}"` };
    const coverage = await snapshotCoverage(all[index]!.file, minimum);
    if (coverage.status !== 'done') return { reason: `snapshot ${all[index]!.name} is below coverage` };
    current = all[index];
  } else {
    const day = options.asOf?.slice(0, 10);
    const candidates = day ? all.filter((s) => s.date <= day) : all;
    current = await previousUsable(candidates, minimum);
    if (!current)
      return {
        reason: day
          ? `no snapshot dated on or before ${day} meets the coverage minimum of ${(minimum * 100).toFixed(0)}%`
          : `no snapshot meets the coverage minimum of ${(minimum * 100).toFixed(0)}%`,
      };
  }
  const index = snapshotIndex(all, current!.name);
  const previous = await previousUsable(all.slice(0, index), minimum);
  const outputs = await dailyOutputs(current!.file, previous?.file, now);
  return { signals: outputs.signals };
}

async function refuseBelowCoverage(snapshot: SnapshotInfo, minimum: number, field: string): Promise<void> {
  const coverage = await snapshotCoverage(snapshot.file, minimum);
  if (coverage.status === 'done') return;
  const ingest = coverage.phases.find((p) => p.phase === 'ingest');
  const short = coverage.phases
    .filter((p) => !p.meets)
    .map((p) => `${p.phase} ${p.got}/${p.asked} (${(p.share * 100).toFixed(1)}%)`)
    .join(', ');
  throw new InputError(
    field,
    `${snapshot.name} is below coverage and gives no signals: ${short || `ingest ${ingest?.got ?? 0}/${ingest?.asked ?? 0}, no observation`}, minimum ${(minimum * 100).toFixed(0)}%${coverage.derived ? ' (computed from its tasks.json: it predates recorded coverage)' : ''}; build a complete snapshot with buildKnowledgeSnapshot, name another with snapshot, or lower knowledgeBase.minCoverage`,
  );
}
