// The Ray Jobs REST wire format (https://docs.ray.io/en/latest/cluster/running-applications/job-submission/rest.html)
// and its mapping onto Caelum's job types: the submit body built from a JobSpec, JobDetails read
// back into a JobRecord, and a log chunk cut from the whole log text Ray returns.
import { constants } from 'node:os';
import { z } from 'zod';
import { childEnvironment } from '../../child-environment.js';
import type { JobRecord, JobResources, JobSpec, LogChunk } from './executor.js';

/** Ray's JobStatus: the same names as Caelum's states, less LOST (Ray never reports one). */
export const rayStatuses = ['PENDING', 'RUNNING', 'STOPPED', 'SUCCEEDED', 'FAILED'] as const;
const rayTerminal = new Set(['STOPPED', 'SUCCEEDED', 'FAILED']);

/** Metadata keys Caelum adds so that status() can give back what the spec said. */
const keys = {
  name: 'job_name',
  command: 'caelum_command',
  cwd: 'caelum_cwd',
  outputDir: 'caelum_output_dir',
  resources: 'caelum_resources',
} as const;
const ownKeys = new Set<string>(Object.values(keys));

/** JobDetails as Ray answers it (pydantic_models.py); fields Ray adds later pass through. */
export const jobDetailsSchema = z.looseObject({
  type: z.string().optional(),
  job_id: z.string().nullish(),
  submission_id: z.string().nullish(),
  status: z.enum(rayStatuses),
  entrypoint: z.string(),
  message: z.string().nullish(),
  error_type: z.string().nullish(),
  start_time: z.number().nullish(),
  end_time: z.number().nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  runtime_env: z.record(z.string(), z.unknown()).nullish(),
  driver_exit_code: z.number().int().nullish(),
  driver_node_id: z.string().nullish(),
});
export type JobDetails = z.output<typeof jobDetailsSchema>;

export function isTerminal(details: JobDetails): boolean {
  return rayTerminal.has(details.status);
}

/**
 * One argv word for a POSIX shell: Ray runs the entrypoint with `shell=True` (/bin/sh -c), so a
 * word with spaces, quotes, `$`, globs or `;` must reach the program exactly as given. Single
 * quotes keep everything literal; a single quote inside becomes '\''.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function entrypointOf(command: string[]): string {
  return command.map(shellQuote).join(' ');
}

/**
 * The job's own variables: the spec's environment less the host's allow-list (PATH, HOME, the
 * locale…), which describes Caelum's machine, not the cluster node the driver lands on; sending
 * it would replace the node's PATH with ours. An allow-listed name is kept when its value differs
 * from the host's, because then the job set it on purpose.
 */
export function jobVariables(
  env: Record<string, string>,
  host: Record<string, string> | undefined,
): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const allowListed = childEnvironment({ [name]: value })[name] !== undefined;
    if (allowListed && (host === undefined || host[name] === value)) continue;
    own[name] = value;
  }
  return own;
}

/** POST /api/jobs/ body. */
export function submitBody(spec: JobSpec, host: Record<string, string> | undefined): Record<string, unknown> {
  const runtimeEnv: Record<string, unknown> = { ...(spec.runtimeEnv ?? {}) };
  const given = runtimeEnv.env_vars;
  const envVars = {
    ...(given && typeof given === 'object' ? (given as Record<string, string>) : {}),
    ...jobVariables(spec.env, host),
  };
  if (Object.keys(envVars).length > 0) runtimeEnv.env_vars = envVars;
  const body: Record<string, unknown> = {
    entrypoint: entrypointOf(spec.command),
    submission_id: spec.jobId,
    runtime_env: runtimeEnv,
    metadata: {
      ...spec.metadata,
      [keys.name]: spec.name,
      [keys.command]: JSON.stringify(spec.command),
      [keys.cwd]: spec.cwd,
      [keys.outputDir]: spec.outputDir,
      [keys.resources]: JSON.stringify(spec.resources),
    },
  };
  const { cpus, gpus, memoryMiB } = spec.resources;
  if (cpus !== undefined) body.entrypoint_num_cpus = cpus;
  if (gpus !== undefined) body.entrypoint_num_gpus = gpus;
  // Ray takes bytes, as an integer.
  if (memoryMiB !== undefined) body.entrypoint_memory = Math.round(memoryMiB * 1024 * 1024);
  return body;
}

function parsed<T>(text: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isArgv = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((word) => typeof word === 'string');
const isResources = (value: unknown): value is JobResources =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function iso(ms: number | null | undefined): string | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A negative driver_exit_code is Python's returncode for a driver killed by a signal. */
function signalName(code: number): string | null {
  const found = Object.entries(constants.signals).find(([, number]) => number === -code);
  return found ? found[0] : null;
}

export function toRecord(details: JobDetails): JobRecord {
  const metadata = details.metadata ?? {};
  const jobId = details.submission_id ?? details.job_id ?? '';
  const user: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) if (!ownKeys.has(key)) user[key] = value;
  const exit = details.driver_exit_code;
  const message = [details.message, details.error_type ? `(${details.error_type})` : undefined]
    .filter((part) => part)
    .join(' ');
  return {
    jobId,
    backend: 'ray',
    name: metadata[keys.name] ?? jobId,
    state: details.status,
    // A job submitted by someone else has no argv: what Ray runs is the entrypoint, in a shell.
    command: parsed(metadata[keys.command], isArgv) ?? ['/bin/sh', '-c', details.entrypoint],
    cwd: metadata[keys.cwd] ?? '',
    outputDir: metadata[keys.outputDir] ?? '',
    resources: parsed(metadata[keys.resources], isResources) ?? {},
    metadata: user,
    // Ray keeps one start time, taken when the job is accepted (still PENDING); it is also the
    // best there is for when it began to run.
    submittedAt: iso(details.start_time) ?? new Date(0).toISOString(),
    startedAt: details.status === 'PENDING' ? undefined : iso(details.start_time),
    endedAt: iso(details.end_time),
    exitCode: exit === null || exit === undefined ? undefined : exit >= 0 ? exit : null,
    signal: exit !== null && exit !== undefined && exit < 0 ? signalName(exit) : undefined,
    message: message || undefined,
  };
}

/** Line breaks a follow may stop at: a newline, or a carriage return (progress bars redraw with it). */
function lastBreak(text: string): number {
  return Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
}

function countLines(text: string): number {
  if (text === '') return 0;
  const breaks = text.match(/\n/g)?.length ?? 0;
  return text.endsWith('\n') ? breaks : breaks + 1;
}

/**
 * A chunk of the whole log: from `offset` (a nextOffset from an earlier chunk, in UTF-16 code
 * units of the text Ray returned), the last `tailLines` lines of it. While the job runs, a chunk
 * ends at the last line break, so a follow never splits a line; once it has ended, all is given.
 */
export function logChunk(logs: string, options: { tailLines?: number; offset?: number }, ended: boolean): LogChunk {
  const start = Math.min(Math.max(0, Math.floor(options.offset ?? 0)), logs.length);
  let fresh = logs.slice(start);
  if (!ended) fresh = fresh.slice(0, lastBreak(fresh) + 1);
  const nextOffset = start + fresh.length;
  let text = fresh;
  if (options.tailLines !== undefined) {
    const lines = text.split('\n');
    const trailing = text.endsWith('\n') ? 1 : 0;
    const keep = Math.max(0, Math.floor(options.tailLines));
    text = keep === 0 ? '' : lines.slice(-(keep + trailing)).join('\n');
  }
  return { text, lines: countLines(text), nextOffset, ended };
}

/** The last meaningful line of an error body: Ray answers 4xx and 5xx with a Python traceback. */
export function lastLine(body: string): string {
  const lines = body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line);
  return (lines.at(-1) ?? '').slice(0, 300);
}
