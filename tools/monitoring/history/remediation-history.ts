// Remediation runs read back from <dataDir>/monitoring/remediation.jsonl, the journal the run tool
// writes (and fsyncs) before each step goes on: each run with its server, playbook, steps and end, and
// each refusal (rate limited, already running, not configured). A run without run_end was still going
// when the log was read, or the service stopped in the middle of it.
import type { RemediationLogEntry } from '../remediation/runner.js';
import { EventLog, monitoringLogFile } from '../state/event-log.js';

const iso = (ms: number) => new Date(ms).toISOString();

export interface RemediationRunRow {
  runId: string | null;
  server: string;
  playbook: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  steps: { step: number; kind: string; action: string; status: string; durationMs: number | null; detail: string }[];
  detail: string;
}

export async function readRemediationLog(dataDir: string) {
  return new EventLog<RemediationLogEntry>(monitoringLogFile(dataDir, 'remediation')).read();
}

/** Runs and refusals, newest first. */
export function remediationRuns(entries: readonly RemediationLogEntry[]): RemediationRunRow[] {
  const rows: (RemediationRunRow & { ms: number })[] = [];
  const byRun = new Map<string, RemediationRunRow & { ms: number }>();
  for (const entry of entries) {
    if (entry.event === 'run_refused' || entry.runId === null) {
      rows.push({
        ms: entry.at,
        runId: null,
        server: entry.server,
        playbook: entry.playbook,
        status: `refused: ${entry.status ?? 'unknown'}`,
        startedAt: iso(entry.at),
        endedAt: iso(entry.at),
        durationMs: 0,
        steps: [],
        detail: entry.detail ?? '',
      });
      continue;
    }
    let row = byRun.get(entry.runId);
    if (!row) {
      row = {
        ms: entry.at,
        runId: entry.runId,
        server: entry.server,
        playbook: entry.playbook,
        status: 'unfinished',
        startedAt: iso(entry.at),
        endedAt: null,
        durationMs: null,
        steps: [],
        detail: '',
      };
      byRun.set(entry.runId, row);
      rows.push(row);
    }
    if (entry.event === 'run_start') row.detail = entry.detail ?? '';
    else if (entry.event === 'step_end' && entry.step !== undefined)
      row.steps.push({
        step: entry.step,
        kind: entry.kind ?? '',
        action: entry.action ?? '',
        status: entry.status ?? '',
        durationMs: entry.durationMs ?? null,
        detail: (entry.detail ?? '').slice(0, 500),
      });
    else if (entry.event === 'run_end') {
      row.status = entry.status ?? 'ended';
      row.endedAt = iso(entry.at);
      row.durationMs = entry.durationMs ?? entry.at - row.ms;
    }
  }
  // A step that started and never ended is the one the run stopped in.
  for (const entry of entries)
    if (entry.event === 'step_start' && entry.runId && entry.step !== undefined) {
      const row = byRun.get(entry.runId);
      if (row && row.status === 'unfinished' && !row.steps.some((s) => s.step === entry.step))
        row.steps.push({
          step: entry.step,
          kind: entry.kind ?? '',
          action: entry.action ?? '',
          status: 'started, no end recorded',
          durationMs: null,
          detail: '',
        });
    }
  return rows.sort((a, b) => b.ms - a.ms).map(({ ms: _ms, ...row }) => row);
}
