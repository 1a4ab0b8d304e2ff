// The job executor interface: a lifecycle that mirrors Ray Jobs (PENDING → RUNNING → SUCCEEDED |
// FAILED | STOPPED), plus LOST for a job whose process vanished without leaving an exit record (the
// service finds this when it reconciles after a restart). Two implementations: `local` (the default:
// a process group per job, logs in files, a heartbeat, state in the data dir) and `ray` (the Ray Jobs
// REST API on a head node's :8265).

export const jobStates = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED', 'LOST'] as const;
export type JobState = (typeof jobStates)[number];
export const terminalStates: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'LOST']);

export type BackendName = 'local' | 'ray';

export interface JobResources {
  cpus?: number | undefined;
  gpus?: number | undefined;
  memoryMiB?: number | undefined;
}

/** What a submit carries to an executor once the plan is confirmed. */
export interface JobSpec {
  /** Caelum's id for the job (the Ray submission_id for Ray jobs). */
  jobId: string;
  name: string;
  /** argv: the program and its arguments; never run through a shell by the local executor. */
  command: string[];
  /** Working directory, inside the allowed roots (local executor). */
  cwd: string;
  /** The whole child environment (an allow-list plus the job's own variables); no Caelum secrets. */
  env: Record<string, string>;
  /** The only directory the job writes to; at most one active job per output directory. */
  outputDir: string;
  resources: JobResources;
  metadata: Record<string, string>;
  /** Ray's runtime_env (working_dir, pip, env_vars…), passed through as given. */
  runtimeEnv?: Record<string, unknown> | undefined;
}

/** A job as stored and reported. Times are ISO-8601 strings. */
export interface JobRecord {
  jobId: string;
  backend: BackendName;
  name: string;
  state: JobState;
  command: string[];
  cwd: string;
  outputDir: string;
  resources: JobResources;
  metadata: Record<string, string>;
  submittedAt: string;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  exitCode?: number | null | undefined;
  signal?: string | null | undefined;
  /** Why it ended (or why it is LOST), in words. */
  message?: string | undefined;
  /** The last log lines, kept with FAILED and LOST so the evidence survives. */
  lastLogLines?: string[] | undefined;
  /** Local: the supervisor (wrapper) process, which leads the job's process group. */
  pid?: number | undefined;
  heartbeatAt?: string | undefined;
  /** Where the local job's logs are (inside the data dir). */
  logFiles?: { stdout: string; stderr: string } | undefined;
  /** Pids of a stopped job that survived SIGKILL (stuck in the kernel); its output stays reserved while they live. */
  survivors?: number[] | undefined;
  /** The run in the registry this job reports to, if any. */
  runId?: string | undefined;
  /** The placement chosen at submit (a GPU index, a MIG instance, cpu), if any. */
  placement?: Record<string, unknown> | undefined;
  /** Local jobs when PostgreSQL is configured: whether the database copy is current or stale (and why). */
  database?: { copy: 'current' | 'stale'; at: string; error?: string | undefined } | undefined;
  /** A job recorded in PostgreSQL by another data dir or host: listed here, read-only, managed only there. */
  recordedElsewhere?: { host: string; dataDir: string; updatedAt: string } | undefined;
}

export interface LogChunk {
  /** Text of the requested lines (stdout and stderr interleaved by line where the backend allows). */
  text: string;
  lines: number;
  /** Pass back as `offset` to follow: only what was written after this chunk. */
  nextOffset: number;
  /** The job is in a terminal state and the logs will not grow. */
  ended: boolean;
}

export interface Executor {
  readonly backend: BackendName;
  submit(spec: JobSpec): Promise<JobRecord>;
  /** Undefined when the job is unknown to this backend. */
  status(jobId: string): Promise<JobRecord | undefined>;
  /** `tailLines`: the last N lines; `offset`: a nextOffset from an earlier chunk (follow). */
  logs(jobId: string, options: { tailLines?: number; offset?: number }): Promise<LogChunk>;
  stop(jobId: string): Promise<JobRecord>;
  list(): Promise<JobRecord[]>;
}
