// The operator's allow-list of commands a playbook or a restart runner may run: a name, an absolute
// program and FIXED arguments. Nothing an agent sends reaches argv; a step only names an entry. The
// program runs through runProcess (never a shell) with a deadline, an allow-listed environment and
// captured, capped output.
import { z } from 'zod';
import { runProcess, type ProcessResult, type RunOptions } from '../../development/run-process.js';
import { redactText } from '../../redact.js';

export const namePattern = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const referenceNameSchema = z
  .string()
  .regex(namePattern, 'a name of lower-case letters, digits, "_", "." or "-" (at most 64), e.g. "restart_web_api"');

/** Most bytes of stdout+stderr kept from one command; the rest is dropped and the result says so. */
export const commandOutputCap = 256 * 1024;
/** Characters of output kept in a step result or log line (the end of the output, redacted). */
export const outputExcerptChars = 2_000;

export const allowedCommandSchema = z
  .object({
    program: z
      .string()
      .min(2)
      .max(4096)
      .refine((value) => value.startsWith('/') && !value.includes('\0'), 'program must be an absolute path')
      .describe('Absolute path of the program, e.g. "/usr/bin/systemctl".'),
    args: z.array(z.string().max(4096)).max(64).default([]).describe('Fixed arguments, e.g. ["restart", "web-api"].'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(60_000)
      .describe('Deadline; the process group is killed after it.'),
    cwd: z
      .string()
      .refine((value) => value.startsWith('/'), 'cwd must be an absolute path')
      .default('/')
      .describe('Working directory; default "/".'),
    description: z.string().max(500).optional().describe('What the command does, shown in plans.'),
  })
  .strict();
export type AllowedCommand = z.output<typeof allowedCommandSchema>;

export type RunCommand = (program: string, args: readonly string[], options: RunOptions) => Promise<ProcessResult>;

export interface CommandDependencies {
  signal?: AbortSignal | undefined;
  /** The allow-listed child environment (tools/child-environment.ts); default: empty. */
  env?: Record<string, string> | undefined;
  runCommand?: RunCommand | undefined;
}

export interface CommandOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  truncated: boolean;
  durationMs: number;
  /** The last outputExcerptChars characters of stdout then stderr, secrets redacted. */
  output: string;
  /** Why it did not succeed; absent when it did. */
  error?: string;
}

export async function runAllowedCommand(
  name: string,
  command: AllowedCommand,
  deps: CommandDependencies,
): Promise<CommandOutcome> {
  const run = deps.runCommand ?? runProcess;
  const result = await run(command.program, command.args, {
    cwd: command.cwd,
    timeoutMs: command.timeoutMs,
    env: deps.env ?? {},
    maxOutputBytes: commandOutputCap,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  const ok = result.exitCode === 0 && !result.timedOut && !result.cancelled && !result.spawnError;
  const outcome: CommandOutcome = {
    ok,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    cancelled: result.cancelled,
    truncated: result.truncated,
    durationMs: result.durationMs,
    output: excerpt([result.stdout, result.stderr].filter(Boolean).join('\n')),
  };
  if (result.truncated) outcome.output += `\n[output beyond the ${commandOutputCap}-byte cap was dropped]`;
  if (!ok) outcome.error = `command "${name}" (${command.program}): ${failure(result, command)}`;
  return outcome;
}

function failure(result: ProcessResult, command: AllowedCommand): string {
  if (result.spawnError) return `could not start (${result.spawnError})`;
  if (result.cancelled) return 'cancelled';
  if (result.timedOut) return `killed after its timeoutMs of ${command.timeoutMs} ms`;
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.exitCode}`;
}

export function excerpt(text: string): string {
  const tail = text.length > outputExcerptChars ? `…${text.slice(-outputExcerptChars)}` : text;
  return redactText(tail);
}
