// A loopback Ray Jobs server speaking the REST API of a head node's dashboard (:8265), as Ray's
// job_head.py / job_agent.py / job_manager.py / job_supervisor.py do it:
// - POST /api/jobs/ validates the body like JobSubmitRequest (a Python TypeError → 400 with the
//   traceback as text/plain), refuses a duplicate submission_id (ValueError → 400), answers
//   {job_id, submission_id};
// - the entrypoint runs with /bin/sh -c in a new session (its own process group), stdout and stderr
//   into one log file, PENDING → RUNNING → SUCCEEDED (exit 0) / FAILED (exit code and the last 10
//   log lines in `message`, driver_exit_code); start_time is taken at submission, end_time at the end;
// - POST /api/jobs/{id}/stop answers {stopped: true} while a job runs, {stopped: false} once it has
//   ended; a stop sends SIGTERM, SIGKILL after the stop wait (RAY_JOB_STOP_WAIT_TIME_S, 3 s), and
//   the job becomes STOPPED when its processes are gone;
// - GET /api/jobs/{id} → JobDetails, GET /api/jobs/ → a list of them, GET /api/jobs/{id}/logs →
//   {logs} (the whole file), DELETE /api/jobs/{id} → {deleted: true} for an ended job, 500 with a
//   RuntimeError otherwise; an unknown id → 404 "Job {id} does not exist".
// `hold: true` keeps new jobs PENDING until release(id), as Ray's own tests do with a start signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

type Status = 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';

interface PeerJob {
  submissionId: string;
  driverJobId: string | null;
  entrypoint: string;
  status: Status;
  message: string | null;
  errorType: string | null;
  startTime: number;
  endTime: number | null;
  metadata: Record<string, string> | null;
  runtimeEnv: Record<string, unknown> | null;
  resources: { cpus: number; gpus: number; memory: number; custom: Record<string, number> | null };
  exitCode: number | null;
  logPath: string;
  child?: ChildProcess;
  pid?: number;
  stopRequested: boolean;
}

export interface PeerRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

const defaultMessages: Record<Status, string> = {
  PENDING:
    'Job has not started yet. It may be waiting for resources (CPUs, GPUs, memory, custom resources) to become available. It may be waiting for the runtime environment to be set up.',
  RUNNING: 'Job is currently running.',
  STOPPED: 'Job was intentionally stopped.',
  SUCCEEDED: 'Job finished successfully.',
  FAILED: 'Job failed.',
};
const terminal = new Set<Status>(['STOPPED', 'SUCCEEDED', 'FAILED']);
const submitFields = new Set([
  'entrypoint',
  'job_id',
  'submission_id',
  'runtime_env',
  'metadata',
  'entrypoint_num_cpus',
  'entrypoint_num_gpus',
  'entrypoint_memory',
  'entrypoint_resources',
  'entrypoint_label_selector',
]);

/** What a Python exception looks like in a Ray error body: a traceback ending in `Type: message`. */
function traceback(type: string, message: string): string {
  return `Traceback (most recent call last):\n  File "/ray/dashboard/modules/job/job_agent.py", line 48, in submit_job\n${type}: ${message}\n`;
}

function pyType(value: unknown): string {
  if (value === null) return "<class 'NoneType'>";
  if (Array.isArray(value)) return "<class 'list'>";
  if (typeof value === 'string') return "<class 'str'>";
  if (typeof value === 'boolean') return "<class 'bool'>";
  if (typeof value === 'number') return Number.isInteger(value) ? "<class 'int'>" : "<class 'float'>";
  return "<class 'dict'>";
}

const isDict = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/** JobSubmitRequest's checks (common.py); the first failing one, as Python would raise it. */
function invalid(body: unknown): string | undefined {
  if (!isDict(body))
    return traceback(
      'TypeError',
      'ray.dashboard.modules.job.common.JobSubmitRequest() argument after ** must be a mapping',
    );
  for (const key of Object.keys(body))
    if (!submitFields.has(key))
      return traceback('TypeError', `JobSubmitRequest.__init__() got an unexpected keyword argument '${key}'`);
  if (!('entrypoint' in body))
    return traceback('TypeError', "JobSubmitRequest.__init__() missing 1 required positional argument: 'entrypoint'");
  const b = body;
  if (typeof b.entrypoint !== 'string')
    return traceback('TypeError', `entrypoint must be a string, got ${pyType(b.entrypoint)}`);
  for (const key of ['submission_id', 'job_id'])
    if (b[key] !== undefined && b[key] !== null && typeof b[key] !== 'string')
      return traceback('TypeError', `${key} must be a string if provided, got ${pyType(b[key])}`);
  for (const key of ['runtime_env', 'metadata'])
    if (b[key] !== undefined && b[key] !== null && !isDict(b[key]))
      return traceback('TypeError', `${key} must be a dict, got ${pyType(b[key])}`);
  if (isDict(b.metadata))
    for (const value of Object.values(b.metadata))
      if (typeof value !== 'string')
        return traceback('TypeError', `metadata values must be strings, got ${pyType(value)}`);
  for (const key of ['entrypoint_num_cpus', 'entrypoint_num_gpus'])
    if (b[key] !== undefined && b[key] !== null && !isNumber(b[key]))
      return traceback('TypeError', `${key} must be a number, got ${pyType(b[key])}`);
  if (b.entrypoint_memory !== undefined && b.entrypoint_memory !== null && !Number.isInteger(b.entrypoint_memory))
    return traceback('TypeError', `entrypoint_memory must be an int, got ${pyType(b.entrypoint_memory)}`);
  if (b.entrypoint_resources !== undefined && b.entrypoint_resources !== null) {
    if (!isDict(b.entrypoint_resources))
      return traceback('TypeError', `entrypoint_resources must be a dict, got ${pyType(b.entrypoint_resources)}`);
    for (const value of Object.values(b.entrypoint_resources))
      if (!isNumber(value))
        return traceback('TypeError', `entrypoint_resources values must be numbers, got ${pyType(value)}`);
  }
  return undefined;
}

function generatedId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz123456789';
  let id = '';
  for (let i = 0; i < 16; i++) id += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `raysubmit_${id}`;
}

/**
 * The live (not zombie) processes of a process group, from /proc. A zombie counts as nothing: an
 * orphan's exit status waits for init to collect it, which in a container can take seconds.
 */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // It ended while we looked.
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

function groupAlive(pgid: number): boolean {
  return groupMembers(pgid).length > 0;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group has gone already.
  }
}

export class RayPeer {
  readonly requests: PeerRequest[] = [];
  readonly jobs = new Map<string, PeerJob>();
  /** Bearer token the peer demands, when set (Ray's token authentication). */
  token: string | undefined;
  url = '';
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private logDir = '';
  private workDir = '';
  private drivers = 0;
  private readonly nodeId = 'f'.repeat(8) + '0'.repeat(48);

  constructor(private readonly options: { hold?: boolean; stopWaitMs?: number; token?: string } = {}) {
    this.token = options.token;
  }

  async start(): Promise<this> {
    this.logDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-ray-peer-logs-'));
    this.workDir = await mkdtemp(path.join(os.tmpdir(), 'caelum-ray-peer-work-'));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Kills every job's process group, stops listening and removes the peer's files. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const job of this.jobs.values()) {
      if (job.pid !== undefined && groupAlive(job.pid)) signalGroup(job.pid, 'SIGKILL');
    }
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.logDir, { recursive: true, force: true });
    await rm(this.workDir, { recursive: true, force: true });
  }

  /** Lets a held job leave PENDING (Ray's tests use a start-signal actor for this). */
  release(submissionId: string): void {
    const job = this.jobs.get(submissionId);
    if (job && job.status === 'PENDING') this.run(job);
  }

  /** The process group of a job's driver, for tests that check nothing is left. */
  pidOf(submissionId: string): number | undefined {
    return this.jobs.get(submissionId)?.pid;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://peer');
      const method = req.method ?? 'GET';
      this.requests.push({ method, path: url.pathname, authorization: req.headers.authorization, body });
      void this.route(method, url.pathname, body, req.headers.authorization)
        .then(({ status, body: out, json }) => {
          res.writeHead(status, { 'content-type': json ? 'application/json' : 'text/plain; charset=utf-8' });
          res.end(out);
        })
        .catch((error: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(traceback('RuntimeError', error.message));
        });
    });
  }

  private async route(
    method: string,
    pathname: string,
    body: string,
    authorization: string | undefined,
  ): Promise<{ status: number; body: string; json: boolean }> {
    const json = (value: unknown, status = 200) => ({ status, body: JSON.stringify(value), json: true });
    const text = (status: number, value: string) => ({ status, body: value, json: false });
    if (this.token !== undefined && authorization !== `Bearer ${this.token}`)
      return text(401, 'Unauthorized: missing or invalid authentication token');
    if (method === 'GET' && pathname === '/api/version')
      return json({ version: '2', ray_version: '2.40.0', ray_commit: '0'.repeat(40) });
    if (pathname === '/api/jobs/' || pathname === '/api/jobs') {
      if (method === 'POST') return this.submit(body);
      if (method === 'GET') return json([...this.jobs.values()].map((job) => this.details(job)));
    }
    const match = /^\/api\/jobs\/([^/]+)(\/logs|\/stop)?$/.exec(pathname);
    if (!match) return text(404, '404: Not Found');
    const id = decodeURIComponent(match[1]!);
    const job = this.jobs.get(id);
    if (!job) return text(404, `Job ${id} does not exist`);
    const action = match[2];
    if (method === 'GET' && action === undefined) return json(this.details(job));
    if (method === 'GET' && action === '/logs') return json({ logs: await this.logs(job) });
    if (method === 'POST' && action === '/stop') return json({ stopped: this.stop(job) });
    if (method === 'DELETE' && action === undefined) {
      if (!terminal.has(job.status))
        return text(
          500,
          traceback(
            'RuntimeError',
            `Attempted to delete job '${id}', but it is in a non-terminal state ${job.status}.`,
          ),
        );
      this.jobs.delete(id);
      await rm(job.logPath, { force: true });
      return json({ deleted: true });
    }
    return text(405, '405: Method Not Allowed');
  }

  private submit(raw: string): { status: number; body: string; json: boolean } {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      return { status: 400, body: traceback('json.decoder.JSONDecodeError', (error as Error).message), json: false };
    }
    const problem = invalid(body);
    if (problem) return { status: 400, body: problem, json: false };
    const b = body as Record<string, unknown>;
    const submissionId =
      (b.submission_id as string | null | undefined) ?? (b.job_id as string | null | undefined) ?? generatedId();
    if (this.jobs.has(submissionId))
      return {
        status: 400,
        body: traceback(
          'ValueError',
          `Job with submission_id ${submissionId} already exists. Please use a different submission_id.`,
        ),
        json: false,
      };
    const job: PeerJob = {
      submissionId,
      driverJobId: null,
      entrypoint: b.entrypoint as string,
      status: 'PENDING',
      message: defaultMessages.PENDING,
      errorType: null,
      startTime: Date.now(),
      endTime: null,
      metadata: (b.metadata as Record<string, string> | null | undefined) ?? null,
      runtimeEnv: (b.runtime_env as Record<string, unknown> | null | undefined) ?? null,
      resources: {
        cpus: (b.entrypoint_num_cpus as number | null | undefined) ?? 0,
        gpus: (b.entrypoint_num_gpus as number | null | undefined) ?? 0,
        memory: (b.entrypoint_memory as number | null | undefined) ?? 0,
        custom: (b.entrypoint_resources as Record<string, number> | null | undefined) ?? null,
      },
      exitCode: null,
      logPath: path.join(this.logDir, `job-driver-${submissionId.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`),
      stopRequested: false,
    };
    this.jobs.set(submissionId, job);
    // The supervisor starts asynchronously: the submit answers while the job is PENDING.
    if (!this.options.hold) {
      const timer = setTimeout(() => (this.timers.delete(timer), this.run(job)), 20);
      this.timers.add(timer);
    }
    return { status: 200, body: JSON.stringify({ job_id: submissionId, submission_id: submissionId }), json: true };
  }

  private run(job: PeerJob): void {
    if (job.status !== 'PENDING') return;
    const envVars = isDict(job.runtimeEnv?.env_vars) ? (job.runtimeEnv!.env_vars as Record<string, string>) : {};
    const { NODE_TEST_CONTEXT: _context, ...inherited } = process.env;
    const log = openSync(job.logPath, 'w');
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', job.entrypoint], {
        cwd: this.workDir,
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          ...inherited,
          ...envVars,
          RAY_ADDRESS: '127.0.0.1:6379',
          PYTHONUNBUFFERED: '1',
          RAY_JOB_CONFIG_JSON_ENV_VAR: JSON.stringify({
            runtime_env: job.runtimeEnv ?? {},
            metadata: job.metadata ?? {},
          }),
        },
      });
    } finally {
      closeSync(log);
    }
    job.child = child;
    job.pid = child.pid;
    this.drivers += 1;
    job.driverJobId = this.drivers.toString(16).padStart(2, '0').padEnd(8, '0');
    job.status = 'RUNNING';
    job.message = defaultMessages.RUNNING;
    child.on('exit', (code, signal) => void this.exited(job, code ?? -(os.constants.signals[signal!] ?? 1)));
    child.on('error', (error) =>
      this.finish(job, 'FAILED', `Job entrypoint command could not start: ${error.message}`, -1),
    );
  }

  private async exited(job: PeerJob, returnCode: number): Promise<void> {
    if (job.stopRequested) return; // The stop sequence decides when the job is STOPPED.
    if (returnCode === 0) {
      this.finish(job, 'SUCCEEDED', defaultMessages.SUCCEEDED, 0);
      return;
    }
    const logs = await this.logs(job);
    const tail = logs
      .split(/(?<=\n)/)
      .slice(-10)
      .join('')
      .slice(-20_000);
    const message = tail
      ? `Job entrypoint command failed with exit code ${returnCode}, last available logs (truncated to 20,000 chars):\n${tail}`
      : `Job entrypoint command failed with exit code ${returnCode}. No logs available.`;
    job.errorType = 'JOB_ENTRYPOINT_COMMAND_ERROR';
    this.finish(job, 'FAILED', message, returnCode);
  }

  private finish(job: PeerJob, status: Status, message: string, exitCode: number | null): void {
    job.status = status;
    job.message = message;
    job.exitCode = exitCode;
    job.endTime = Date.now();
  }

  /** JobManager.stop_job: true while a supervisor is alive to stop, false once the job has ended. */
  private stop(job: PeerJob): boolean {
    if (terminal.has(job.status) || job.stopRequested) return !terminal.has(job.status);
    job.stopRequested = true;
    if (job.status === 'PENDING' || job.pid === undefined) {
      this.finish(job, 'STOPPED', defaultMessages.STOPPED, null);
      return true;
    }
    const pid = job.pid;
    signalGroup(pid, 'SIGTERM');
    const deadline = Date.now() + (this.options.stopWaitMs ?? 3000);
    const poll = () => {
      if (!groupAlive(pid)) return this.finish(job, 'STOPPED', defaultMessages.STOPPED, null);
      if (Date.now() >= deadline) signalGroup(pid, 'SIGKILL');
      const timer = setTimeout(() => (this.timers.delete(timer), poll()), 50);
      this.timers.add(timer);
    };
    poll();
    return true;
  }

  private async logs(job: PeerJob): Promise<string> {
    try {
      return await readFile(job.logPath, 'utf8');
    } catch {
      return '';
    }
  }

  private details(job: PeerJob): Record<string, unknown> {
    const running = job.pid !== undefined;
    return {
      type: 'SUBMISSION',
      job_id: job.driverJobId,
      submission_id: job.submissionId,
      driver_info: running ? { id: job.driverJobId, node_ip_address: '127.0.0.1', pid: String(job.pid) } : null,
      status: job.status,
      entrypoint: job.entrypoint,
      message: job.message,
      error_type: job.errorType,
      start_time: job.startTime,
      end_time: job.endTime,
      metadata: job.metadata,
      runtime_env: job.runtimeEnv,
      driver_agent_http_address: running ? this.url : null,
      driver_node_id: running ? this.nodeId : null,
      driver_exit_code: job.exitCode,
    };
  }
}
