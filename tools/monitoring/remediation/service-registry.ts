// The service registry: the local services with health endpoints that the seed restarted by hand.
// Each has a health check (status and, optionally, a body substring) and, when the operator gives
// one, a restart runner: an allow-listed command (e.g. `systemctl restart x`) or an HTTP restart
// endpoint. A restart only happens with confirm, and is followed by a bounded wait for health.
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { redactText, redactUrl } from '../../redact.js';
import {
  referenceNameSchema,
  runAllowedCommand,
  type AllowedCommand,
  type CommandDependencies,
  type CommandOutcome,
} from './allowed-commands.js';
import { httpBodyCap, httpCall, type HttpDependencies } from './http-call.js';
import { httpMethods } from './playbooks.js';

const fixedUrl = z
  .string()
  .max(2048)
  .refine((value) => /^https?:\/\/[^/?#]+/i.test(value) && URL.canParse(value), 'must be an http(s) URL');

export const restartRunnerSchema = z.union([
  z
    .object({ command: referenceNameSchema.describe('Name of an allow-listed command that restarts the service.') })
    .strict(),
  z
    .object({
      http: z
        .object({
          method: z.enum(httpMethods).default('POST'),
          url: fixedUrl,
          headers: z.record(z.string(), z.string().max(4096)).optional(),
          body: z
            .string()
            .max(64 * 1024)
            .optional(),
          expectStatus: z.number().int().min(100).max(599).optional(),
          timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
        })
        .strict()
        .describe('An HTTP restart endpoint.'),
    })
    .strict(),
]);
export type RestartRunner = z.output<typeof restartRunnerSchema>;

export const serviceSchema = z
  .object({
    healthUrl: fixedUrl.describe('Health endpoint, e.g. "http://127.0.0.1:8080/health".'),
    expectStatus: z.number().int().min(100).max(599).default(200).describe('Status of a healthy answer.'),
    expectBody: z.string().min(1).max(1024).optional().describe('Substring a healthy answer body contains.'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('Deadline of one health check.'),
    restart: restartRunnerSchema.optional().describe('How to restart it; without one it can only be checked.'),
    restartWaitMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(30_000)
      .describe('How long to wait for health after a restart.'),
    pollMs: z.number().int().min(50).max(60_000).default(500).describe('Pause between health checks while waiting.'),
    description: z.string().max(500).optional(),
  })
  .strict();
export type Service = z.output<typeof serviceSchema>;

export interface ServiceHealth {
  name: string;
  status: 'up' | 'down';
  httpStatus: number | null;
  latencyMs: number;
  /** Why it counts as down; absent when up. */
  error?: string;
  checkedAt: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface ServiceDependencies extends HttpDependencies, CommandDependencies {
  signal?: AbortSignal | undefined;
  sleep?: Sleep | undefined;
}

/** An unref'd, cancellable pause: it never holds the process open and ends at once on abort. */
export const defaultSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, { ref: false, ...(signal ? { signal } : {}) }).catch(() => undefined);
};

export async function checkService(name: string, service: Service, deps: HttpDependencies): Promise<ServiceHealth> {
  const checkedAt = deps.now();
  const answer = await httpCall({ method: 'GET', url: service.healthUrl, timeoutMs: service.timeoutMs }, deps);
  const health = { name, httpStatus: answer.status, latencyMs: answer.durationMs, checkedAt };
  if (answer.error) return { ...health, status: 'down', error: answer.error };
  if (answer.status !== service.expectStatus)
    return { ...health, status: 'down', error: `status ${answer.status}, expected ${service.expectStatus}` };
  if (service.expectBody !== undefined && !answer.body.includes(service.expectBody)) {
    const where = answer.truncated ? ` in the first ${httpBodyCap} bytes (the read cap)` : '';
    return { ...health, status: 'down', error: redactText(`body does not contain "${service.expectBody}"${where}`) };
  }
  return { ...health, status: 'up' };
}

/** Every service checked at once, each within its own timeout. */
export async function checkServices(
  services: Record<string, Service>,
  deps: HttpDependencies,
): Promise<ServiceHealth[]> {
  return Promise.all(Object.entries(services).map(([name, service]) => checkService(name, service, deps)));
}

export interface HealthWait {
  healthy: boolean;
  attempts: number;
  waitedMs: number;
  last: ServiceHealth;
}

/** Polls until the service is up or restartWaitMs has passed (at least one check either way). */
export async function waitForHealthy(name: string, service: Service, deps: ServiceDependencies): Promise<HealthWait> {
  const sleep = deps.sleep ?? defaultSleep;
  const started = deps.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const last = await checkService(name, service, deps);
    const waitedMs = deps.now() - started;
    if (last.status === 'up') return { healthy: true, attempts, waitedMs, last };
    if (waitedMs + service.pollMs > service.restartWaitMs || deps.signal?.aborted)
      return { healthy: false, attempts, waitedMs, last };
    await sleep(service.pollMs, deps.signal);
  }
}

/** A readable description of a restart runner, secrets redacted. */
export function describeRunner(runner: RestartRunner, commands: Record<string, AllowedCommand>): string {
  if ('http' in runner) return `${runner.http.method} ${redactUrl(runner.http.url)}`;
  const command = commands[runner.command];
  if (!command) return `command "${runner.command}" (not in the commands allow-list)`;
  const quote = (part: string) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part));
  return redactText(`command "${runner.command}": ${[command.program, ...command.args].map(quote).join(' ')}`);
}

export interface RestartOutcome {
  ok: boolean;
  /** False when nothing ran: no confirm (the gate), or no usable runner. */
  executed: boolean;
  runner: string;
  runnerOutput: string;
  /** Absent when the runner itself failed (no wait follows). */
  health?: HealthWait;
  error?: string;
  durationMs: number;
}

/**
 * Runs the service's restart runner, then waits (bounded) for its health check to pass. Gated:
 * without confirm: true nothing runs and the outcome says what would have.
 */
export async function restartService(
  name: string,
  service: Service,
  commands: Record<string, AllowedCommand>,
  deps: ServiceDependencies & { confirm: boolean },
): Promise<RestartOutcome> {
  const started = deps.now();
  const elapsed = () => deps.now() - started;
  if (!service.restart) return fail(`service "${name}" has no restart runner; add services.${name}.restart`, '');
  const runner = describeRunner(service.restart, commands);
  if (deps.confirm !== true)
    return fail(`not confirmed: would run ${runner} and wait up to ${service.restartWaitMs} ms for health`, runner);
  let runnerOutput = '';
  if ('http' in service.restart) {
    const http = service.restart.http;
    const answer = await httpCall(http, deps);
    runnerOutput = redactText(answer.body.slice(0, 500));
    const expected = http.expectStatus;
    const good = answer.status !== null && (expected ? answer.status === expected : answer.status < 300);
    if (!good) return fail(answer.error ?? `restart endpoint answered ${answer.status}`, runner, runnerOutput, true);
  } else {
    const command = commands[service.restart.command];
    if (!command) return fail(`command "${service.restart.command}" is not in the commands allow-list`, runner);
    const outcome: CommandOutcome = await runAllowedCommand(service.restart.command, command, deps);
    runnerOutput = outcome.output;
    if (!outcome.ok) return fail(outcome.error ?? 'restart command failed', runner, runnerOutput, true);
  }
  const health = await waitForHealthy(name, service, deps);
  const outcome: RestartOutcome = {
    ok: health.healthy,
    executed: true,
    runner,
    runnerOutput,
    health,
    durationMs: elapsed(),
  };
  if (!health.healthy)
    outcome.error = `service "${name}" did not pass its health check within restartWaitMs (${service.restartWaitMs} ms): ${health.last.error}`;
  return outcome;

  function fail(error: string, runnerText: string, output = '', executed = false): RestartOutcome {
    return { ok: false, executed, runner: runnerText, runnerOutput: output, error, durationMs: elapsed() };
  }
}
