// The job tools after submit: a job's state, its logs (tail, or follow from an offset), stop, list.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { ToolError } from '../../errors.js';
import { executorsToSearch, findJob, jobSettings, localExecutor } from './backends.js';
import { jobStates, terminalStates, type JobRecord } from './executor.js';
import { describeJob, jobIdField, jobRecordSchema, reported } from './job-schemas.js';
import { LocalExecutor, notHere } from './local-executor.js';
import { submitJob } from './job-submit-tool.js';

export const getJob = defineTool({
  name: 'ml_training_get_job',
  domain: 'ml-training',
  tags: ['training', 'job', 'status', 'state', 'exit code', 'heartbeat', 'crashed', 'finished'],
  requests: [
    'is my training job still running',
    'why did the training job fail',
    'state and exit code of a training job',
  ],
  title: 'Get a training job',
  description:
    'Returns one job\'s record as the executor sees it now: state (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED, LOST), times, exit code or signal, the last heartbeat, and for FAILED and LOST jobs the last log lines and why. Use ml_training_read_job_logs for the output itself. Example: {"jobId": "job-example"}',
  kind: { effect: 'readOnly' },
  input: z.object({ jobId: jobIdField }),
  output: z.object({ job: jobRecordSchema }),
  examples: [{ jobId: 'job-example' }],
  async handler(input, context) {
    const { record } = await findJob(context, input.jobId);
    return { job: reported(record) };
  },
  summarize: (o) =>
    [
      describeJob(o.job),
      ...(o.job.message ? [o.job.message] : []),
      ...(o.job.heartbeatAt ? [`last heartbeat ${o.job.heartbeatAt}`] : []),
      ...(o.job.lastLogLines?.length ? ['last log lines:', ...o.job.lastLogLines.map((l) => `  ${l}`)] : []),
    ].join('\n'),
});

const pollMs = 100;

export const readJobLogs = defineTool({
  name: 'ml_training_read_job_logs',
  domain: 'ml-training',
  tags: ['training', 'job', 'logs', 'output', 'tail', 'follow', 'stderr'],
  requests: [
    'show the training log',
    'tail the training job output',
    'what did the training job print since last time',
    'follow the output of a job as it is written',
  ],
  title: "Read a training job's logs",
  description:
    'Reads a job\'s output, stdout and stderr interleaved by line with stderr lines marked "[stderr] ". Without offset: the last tailLines lines. With offset (the nextOffset of an earlier call): only what was written since. followMs waits up to that long for new output or the job\'s end, returning as soon as either comes. Logs stay readable after the job ends. Example: {"jobId": "job-example", "tailLines": 20}',
  kind: { effect: 'readOnly' },
  input: z.object({
    jobId: jobIdField,
    tailLines: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe('How many of the last lines to return when no offset is given; default from the config (40).'),
    offset: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The nextOffset of an earlier call: return only output written after it.'),
    followMs: z
      .number()
      .int()
      .min(0)
      .max(30_000)
      .default(0)
      .describe('Wait up to this many ms for new output or the end of the job; 0 returns at once.'),
  }),
  output: z.object({
    jobId: z.string(),
    state: z.enum(jobStates),
    text: z.string(),
    lines: z.number().int(),
    nextOffset: z.number().int(),
    ended: z.boolean(),
    waitedMs: z.number().int(),
  }),
  examples: [{ jobId: 'job-example', tailLines: 20 }],
  async handler(input, context) {
    const { executor } = await findJob(context, input.jobId);
    const started = Date.now();
    const options = { tailLines: input.tailLines ?? jobSettings(context).logTailLines, offset: input.offset };
    let chunk = await executor.logs(input.jobId, options);
    while (chunk.text === '' && !chunk.ended && Date.now() - started < input.followMs) {
      if (context.signal.aborted) throw new ToolError('CANCELLED', 'log follow cancelled');
      context.progress(Date.now() - started, input.followMs, 'waiting for new output');
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      chunk = await executor.logs(input.jobId, options);
    }
    const state = (await executor.status(input.jobId))?.state ?? 'LOST';
    return { jobId: input.jobId, state, ...chunk, waitedMs: Date.now() - started };
  },
  summarize: (o) =>
    `${o.jobId} ${o.state}: ${o.lines} line(s), next offset ${o.nextOffset}${o.ended ? ' (ended)' : ''}\n${o.text}`,
});

export const stopJob = defineTool({
  name: 'ml_training_stop_job',
  domain: 'ml-training',
  tags: ['training', 'job', 'stop', 'kill', 'cancel', 'terminate'],
  requests: [
    'stop the training job',
    'kill my training run and everything it started',
    'cancel the running training job',
  ],
  title: 'Stop a training job',
  description:
    'Stops a running job: SIGTERM to its process group and every descendant, SIGKILL to whatever is left after the grace period, then STOPPED. Without confirm: true it only says what would be stopped (the processes). Stopping a job that already ended is refused. Example: {"jobId": "job-example", "confirm": true}',
  kind: { effect: 'destructive' },
  input: z.object({
    jobId: jobIdField,
    confirm: z.boolean().default(false).describe('Must be true to stop; false lists what would be stopped.'),
  }),
  output: z.object({
    stopped: z.boolean(),
    job: jobRecordSchema,
    processes: z.array(z.object({ pid: z.number(), ppid: z.number(), pgid: z.number() })),
    message: z.string(),
  }),
  examples: [{ jobId: 'job-example', confirm: false }],
  async handler(input, context) {
    const { executor, record } = await findJob(context, input.jobId);
    if (record.recordedElsewhere) throw notHere(record, 'it can only be stopped by the Caelum service there');
    const processes =
      executor instanceof LocalExecutor
        ? (await executor.processesOf(input.jobId)).map(({ pid, ppid, pgid }) => ({ pid, ppid, pgid }))
        : [];
    if (!input.confirm) {
      const ended = terminalStates.has(record.state);
      return {
        stopped: false,
        job: reported(record),
        processes,
        message: ended
          ? `Nothing would be stopped: job ${record.jobId} already ended (${record.state} at ${record.endedAt}).`
          : `Would stop job ${record.jobId} (${record.name}, ${record.state}) and its ${processes.length || 'remote'} process(es). Pass confirm: true to stop it.`,
      };
    }
    const stopped = await executor.stop(input.jobId);
    // A job that ended on its own just before the stop keeps that end: it was not stopped.
    return {
      stopped: stopped.state === 'STOPPED',
      job: reported(stopped),
      processes,
      message: stopped.message ?? 'stopped',
    };
  },
  summarize: (o) =>
    [
      o.message,
      describeJob(o.job),
      ...o.processes.map((p) => `  pid ${p.pid} (parent ${p.ppid}, group ${p.pgid})`),
    ].join('\n'),
});

export const listJobs = defineTool({
  name: 'ml_training_list_jobs',
  domain: 'ml-training',
  tags: ['training', 'jobs', 'list', 'running', 'history'],
  requests: ['which training jobs are running', 'list recent training jobs', 'show failed training jobs'],
  title: 'List training jobs',
  description:
    'Lists jobs, newest first, from the local executor (and the Ray cluster when configured), optionally only those in one state. Example: {"state": "RUNNING"}',
  kind: { effect: 'readOnly' },
  input: z.object({
    state: z.enum(jobStates).optional().describe('Only jobs in this state.'),
    limit: z.number().int().min(1).max(1000).default(50).describe('At most this many jobs; default 50.'),
  }),
  output: z.object({
    jobs: z.array(jobRecordSchema),
    total: z.number().int(),
    database: z
      .string()
      .optional()
      .describe('Present while the PostgreSQL job table cannot be reached: what that means.'),
    unreachable: z
      .array(z.string())
      .optional()
      .describe('backends that did not answer (a Ray cluster that is down): their jobs are not listed'),
  }),
  examples: [{}, { state: 'SUCCEEDED', limit: 10 }],
  async handler(input, context) {
    const all: JobRecord[] = [];
    const unreachable: string[] = [];
    for (const executor of executorsToSearch(context)) {
      try {
        all.push(...(await executor.list()));
      } catch (error) {
        // The local jobs are still worth listing when the Ray cluster is down.
        if (executor.backend === 'local') throw error;
        unreachable.push((error as Error).message);
      }
    }
    const matching = all
      .filter((j) => input.state === undefined || j.state === input.state)
      .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
    const problem = localExecutor(context).databaseProblem();
    return {
      jobs: matching.slice(0, input.limit).map(reported),
      total: matching.length,
      ...(problem ? { database: problem } : {}),
      ...(unreachable.length > 0 ? { unreachable } : {}),
    };
  },
  summarize: (o) =>
    [
      ...(o.database ? [`warning: ${o.database}`] : []),
      ...(o.jobs.length === 0 ? ['no jobs'] : [`${o.total} job(s)`, ...o.jobs.map((j) => describeJob(j))]),
      ...(o.unreachable ?? []).map((message) => `not listed (unreachable): ${message}`),
    ].join('\n'),
});

/** The job tools, for the ml-training tool list. */
export const jobTools = [submitJob, getJob, readJobLogs, stopJob, listJobs];
