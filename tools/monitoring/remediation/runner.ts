// Runs a planned remediation for one server. Without confirm it returns the plan and executes
// nothing; with confirm it takes the server's rate-limit slot (never two runs on one server at once),
// logs each step through the injected append-only sink, and stops at the first failure, reporting
// the remaining steps as skipped. Secrets are redacted in results and logs.
import { ToolError } from '../../errors.js';
import { redactText } from '../../redact.js';
import { excerpt, runAllowedCommand, type RunCommand } from './allowed-commands.js';
import { httpCall } from './http-call.js';
import type { PlannedStep, RemediationPlan } from './plan.js';
import type { RemediationRateLimiter } from './rate-limiter.js';
import type { Profile } from '../fleet/contract.js';
import { checkService, restartService, type Sleep } from './service-registry.js';

export { planRemediation } from './plan.js';
export type { PlannedStep, RemediationPlan, RemediationServer } from './plan.js';

export interface StepResult {
  index: number;
  kind: PlannedStep['kind'];
  action: string;
  status: 'planned' | 'succeeded' | 'failed' | 'skipped';
  detail: string;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  /** Output or answer excerpt, redacted. */
  output?: string;
}

export interface RemediationResult {
  runId: string | null;
  server: string;
  profile: Profile;
  playbook: string;
  mode: 'dry_run' | 'run';
  status: 'dry_run' | 'succeeded' | 'failed' | 'refused' | 'cancelled';
  message: string;
  steps: StepResult[];
  missing: string[];
  refusal?: { reason: 'rate_limited' | 'in_progress' | 'not_configured'; nextAllowedAt: number | null };
  startedAt?: number;
  endedAt?: number;
}

/** One line of the append-only remediation log (the lead writes these as JSONL in the data dir). */
export interface RemediationLogEntry {
  at: number;
  event: 'run_start' | 'step_start' | 'step_end' | 'run_end' | 'run_refused';
  runId: string | null;
  server: string;
  playbook: string;
  step?: number;
  kind?: PlannedStep['kind'];
  action?: string;
  status?: string;
  durationMs?: number;
  detail?: string;
  output?: string;
}
export type RemediationLog = (entry: RemediationLogEntry) => void | Promise<void>;

export interface RunRemediationOptions {
  confirm: boolean;
  now: () => number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  rateLimiter: RemediationRateLimiter;
  log: RemediationLog;
  /** The allow-listed child environment for commands (tools/child-environment.ts). */
  env?: Record<string, string>;
  runCommand?: RunCommand;
  sleep?: Sleep;
}

export async function runRemediation(
  plan: RemediationPlan,
  options: RunRemediationOptions,
): Promise<RemediationResult> {
  const base = {
    server: plan.server.name,
    profile: plan.server.profile,
    playbook: plan.playbook.name,
    missing: plan.missing,
  };
  const planned = plan.steps.map((step): StepResult => ({
    index: step.index,
    kind: step.kind,
    action: step.action,
    status: 'planned',
    detail: step.missing.length > 0 ? `not configured: ${step.missing.join('; ')}` : step.action,
  }));
  if (!options.confirm) {
    const configure = plan.ready ? '' : ` It cannot run yet; configure: ${plan.missing.join('; ')}.`;
    return {
      ...base,
      runId: null,
      mode: 'dry_run',
      status: 'dry_run',
      message: `Dry run: nothing was executed. ${plan.steps.length} step(s) would run in order, stopping at the first failure.${configure} Pass confirm: true to run it.`,
      steps: planned,
    };
  }
  const refuse = async (
    reason: NonNullable<RemediationResult['refusal']>['reason'],
    message: string,
    nextAllowedAt: number | null,
  ) => {
    await writeLog(options.log, {
      at: options.now(),
      event: 'run_refused',
      runId: null,
      server: base.server,
      playbook: base.playbook,
      status: reason,
      detail: message,
    });
    return {
      ...base,
      runId: null,
      mode: 'run' as const,
      status: 'refused' as const,
      message: `Refused, nothing was executed: ${message}`,
      steps: planned,
      refusal: { reason, nextAllowedAt },
    };
  };
  if (!plan.ready) return refuse('not_configured', `configure first: ${plan.missing.join('; ')}`, null);
  const admission = options.rateLimiter.admit(plan.server.name, options.now());
  if (!admission.ok) return refuse(admission.reason, admission.message, admission.nextAllowedAt);
  try {
    return await execute(plan, options, base);
  } finally {
    admission.release();
  }
}

async function execute(
  plan: RemediationPlan,
  options: RunRemediationOptions,
  base: Pick<RemediationResult, 'server' | 'profile' | 'playbook' | 'missing'>,
): Promise<RemediationResult> {
  const startedAt = options.now();
  const runId = `${plan.server.name}@${new Date(startedAt).toISOString()}`;
  const entry = { runId, server: plan.server.name, playbook: plan.playbook.name };
  await writeLog(options.log, { ...entry, at: startedAt, event: 'run_start', detail: `${plan.steps.length} step(s)` });
  const results: StepResult[] = [];
  let stoppedBy: { status: 'failed' | 'cancelled'; index: number } | undefined;
  for (const step of plan.steps) {
    if (stoppedBy) {
      const why = stoppedBy.status === 'cancelled' ? 'the run was cancelled' : `step ${stoppedBy.index} failed`;
      results.push({
        index: step.index,
        kind: step.kind,
        action: step.action,
        status: 'skipped',
        detail: `skipped: ${why}`,
      });
      continue;
    }
    if (options.signal?.aborted) {
      stoppedBy = { status: 'cancelled', index: step.index };
      results.push({
        index: step.index,
        kind: step.kind,
        action: step.action,
        status: 'skipped',
        detail: 'skipped: the run was cancelled',
      });
      continue;
    }
    const stepStart = options.now();
    await writeLog(options.log, {
      ...entry,
      at: stepStart,
      event: 'step_start',
      step: step.index,
      kind: step.kind,
      action: step.action,
    });
    const outcome = await executeStep(step, plan, options);
    const endedAt = options.now();
    const result: StepResult = {
      index: step.index,
      kind: step.kind,
      action: step.action,
      status: outcome.ok ? 'succeeded' : 'failed',
      detail: redactText(outcome.detail),
      startedAt: stepStart,
      endedAt,
      durationMs: endedAt - stepStart,
      ...(outcome.output ? { output: outcome.output } : {}),
    };
    results.push(result);
    await writeLog(options.log, {
      ...entry,
      at: endedAt,
      event: 'step_end',
      step: step.index,
      kind: step.kind,
      action: step.action,
      status: result.status,
      durationMs: result.durationMs!,
      detail: result.detail,
      ...(result.output ? { output: result.output } : {}),
    });
    if (!outcome.ok) stoppedBy = { status: options.signal?.aborted ? 'cancelled' : 'failed', index: step.index };
  }
  const endedAt = options.now();
  const status = stoppedBy ? stoppedBy.status : 'succeeded';
  await writeLog(options.log, { ...entry, at: endedAt, event: 'run_end', status, durationMs: endedAt - startedAt });
  const failedStep = stoppedBy ? results[stoppedBy.index] : undefined;
  const message =
    status === 'succeeded'
      ? `All ${results.length} step(s) of ${plan.playbook.name} succeeded on ${plan.server.name}.`
      : status === 'cancelled'
        ? `Cancelled at step ${stoppedBy!.index}; the remaining steps were skipped.`
        : `Step ${stoppedBy!.index} (${failedStep?.kind}) failed: ${failedStep?.detail}. The remaining ${results.length - stoppedBy!.index - 1} step(s) were skipped.`;
  return { ...base, runId, mode: 'run', status, message, steps: results, startedAt, endedAt };
}

interface StepOutcome {
  ok: boolean;
  detail: string;
  output?: string;
}

async function executeStep(
  step: PlannedStep,
  plan: RemediationPlan,
  options: RunRemediationOptions,
): Promise<StepOutcome> {
  const http = { fetch: options.fetch ?? fetch, now: options.now, signal: options.signal };
  if (step.kind === 'http') {
    const answer = await httpCall(step.request, http);
    if (answer.status === null) return { ok: false, detail: answer.error ?? 'no answer' };
    const ok =
      step.expectStatus === null ? answer.status >= 200 && answer.status < 300 : answer.status === step.expectStatus;
    const expected = step.expectStatus === null ? 'a 2xx status' : `${step.expectStatus}`;
    const detail = `answered ${answer.status} in ${answer.durationMs} ms${ok ? '' : `, expected ${expected}`}`;
    return { ok, detail, output: excerpt(answer.body.slice(0, 2_000)) };
  }
  const processDeps = { signal: options.signal, env: options.env, runCommand: options.runCommand };
  if (step.kind === 'command') {
    const outcome = await runAllowedCommand(step.name, step.command!, processDeps);
    const detail = outcome.ok ? `exit code 0 in ${outcome.durationMs} ms` : outcome.error!;
    return { ok: outcome.ok, detail, output: outcome.output };
  }
  const service = step.config!;
  const deps = { ...http, ...processDeps, sleep: options.sleep };
  if (step.onlyIfUnhealthy) {
    const before = await checkService(step.service, service, deps);
    if (before.status === 'up')
      return {
        ok: true,
        detail: `"${step.service}" is healthy (${before.httpStatus} in ${before.latencyMs} ms); not restarted`,
      };
    if (options.signal?.aborted) return { ok: false, detail: 'cancelled' };
  }
  const outcome = await restartService(step.service, service, plan.commands, { ...deps, confirm: true });
  if (!outcome.ok) return { ok: false, detail: outcome.error ?? 'restart failed', output: outcome.runnerOutput };
  const health = outcome.health!;
  return {
    ok: true,
    detail: `restarted "${step.service}" with ${outcome.runner}; healthy after ${health.waitedMs} ms (${health.attempts} check(s), ${health.last.httpStatus} in ${health.last.latencyMs} ms)`,
    output: outcome.runnerOutput,
  };
}

async function writeLog(log: RemediationLog, entry: RemediationLogEntry): Promise<void> {
  try {
    await log(entry);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ToolError(
      'TOOL_FAILED',
      `the remediation log could not be written (${redactText(reason)}); the run stopped there`,
      { cause: error },
    );
  }
}
