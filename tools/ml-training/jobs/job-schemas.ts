// The zod shapes of job records as the job tools report them, and the one-line rendering of a job.
import { z } from 'zod';
import { jobStates, type JobRecord } from './executor.js';

export const jobIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a job id: letters, digits, ".", "_" and "-"')
  .describe('The job id returned by ml_training_submit_job or listed by ml_training_list_jobs, e.g. "job-example".');

export const resourcesSchema = z.object({
  cpus: z.number().min(0).max(4096).optional().describe('CPU cores the job needs.'),
  gpus: z.number().min(0).max(64).optional().describe('GPUs the job needs.'),
  memoryMiB: z.number().int().min(0).max(16_777_216).optional().describe('Host memory the job needs, in MiB.'),
});

export const jobRecordSchema = z.object({
  jobId: z.string(),
  backend: z.enum(['local', 'ray']),
  name: z.string(),
  state: z.enum(jobStates),
  command: z.array(z.string()),
  cwd: z.string(),
  outputDir: z.string(),
  resources: z.object({
    cpus: z.number().optional(),
    gpus: z.number().optional(),
    memoryMiB: z.number().optional(),
  }),
  metadata: z.record(z.string(), z.string()),
  submittedAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  exitCode: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  message: z.string().optional(),
  lastLogLines: z.array(z.string()).optional(),
  survivors: z.array(z.number().int()).optional().describe('pids that survived SIGKILL after a stop'),
  pid: z.number().optional(),
  heartbeatAt: z.string().optional(),
  logFiles: z.object({ stdout: z.string(), stderr: z.string() }).optional(),
  runId: z.string().optional(),
  placement: z.record(z.string(), z.unknown()).optional(),
  database: z.object({ copy: z.enum(['current', 'stale']), at: z.string(), error: z.string().optional() }).optional(),
  recordedElsewhere: z.object({ host: z.string(), dataDir: z.string(), updatedAt: z.string() }).optional(),
});

/** A record without undefined-valued keys (JSON drops them anyway; the schema wants them absent). */
export function reported(record: JobRecord): z.input<typeof jobRecordSchema> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as z.input<
    typeof jobRecordSchema
  >;
}

export function describeJob(job: z.output<typeof jobRecordSchema>): string {
  const when = job.endedAt
    ? `ended ${job.endedAt}`
    : job.startedAt
      ? `started ${job.startedAt}`
      : `submitted ${job.submittedAt}`;
  const exit =
    job.exitCode !== undefined && job.exitCode !== null
      ? `, exit code ${job.exitCode}`
      : job.signal
        ? `, signal ${job.signal}`
        : '';
  const where = job.recordedElsewhere
    ? ` [recorded by host ${job.recordedElsewhere.host} in ${job.recordedElsewhere.dataDir}; read-only here]`
    : '';
  const copy =
    job.database?.copy === 'stale'
      ? ` [database copy stale since ${job.database.at}: ${job.database.error ?? 'not written'}]`
      : '';
  return `${job.jobId} ${job.state} (${job.backend}) ${job.name}: ${when}${exit}${where}${copy}`;
}
