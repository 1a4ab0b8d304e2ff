// The local executor: each job runs under a wrapper that leads its own process group (see
// job-wrapper.mjs); the records live in the data dir (job-files.ts). A monitor in the service checks
// the running jobs every heartbeat: an exit record ends the job as SUCCEEDED or FAILED, a wrapper that
// vanished without one makes it LOST with the evidence. Opening a store reconciles what an earlier
// service left: live wrappers (same pid and start time) are re-attached, vanished ones are LOST.
// Jobs outlive the service: closing a store stops its monitor, never its jobs. With a JobMirror
// (databaseUrl configured) every saved record is also upserted in PostgreSQL, and the jobs other data
// dirs recorded there are listed and shown, read-only.
import type { Logger } from '../../context.js';
import { InputError } from '../../errors.js';
import type { ForeignJob, JobMirror } from './job-mirror.js';
import { terminalStates, type Executor, type JobRecord, type JobSpec, type LogChunk } from './executor.js';
import {
  createJobDirectory,
  fileExists,
  jobIdPattern,
  jobPaths,
  listJobIds,
  readFrom,
  readJson,
  removeFile,
  tailLines,
  writeJsonAtomically,
  type JobPaths,
} from './job-files.js';
import {
  currentBootId,
  isSameProcessAlive,
  jobProcesses,
  readProcess,
  signalJob,
  startWrapper,
  type ProcessInfo,
  type WrapperStart,
} from './job-processes.js';

export interface LocalJobSettings {
  heartbeatMs: number;
  stopGraceMs: number;
  logTailLines: number;
}

interface ExitRecord {
  exitCode: number | null;
  signal: string | null;
  startedAt?: string;
  endedAt: string;
}

const evidenceLines = 20;
const followChunkBytes = 1024 * 1024;
const killWaitMs = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function isActive(record: JobRecord): boolean {
  return !terminalStates.has(record.state);
}

export class LocalExecutor implements Executor {
  readonly backend = 'local' as const;
  private readonly records = new Map<string, JobRecord>();
  private readonly wrappers = new Map<string, WrapperStart>();
  private readonly stopping = new Set<string>();
  /** Jobs between their record and their RUNNING state: the monitor leaves them to submit(). */
  private readonly starting = new Set<string>();
  /** A submit's start in flight, so that a stop arriving meanwhile waits for it instead of racing it. */
  private readonly starts = new Map<string, Promise<unknown>>();
  private readonly checks = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  readonly ready: Promise<void>;

  constructor(
    readonly dataDir: string,
    readonly settings: LocalJobSettings,
    private readonly logger?: Logger,
    private mirror?: JobMirror,
  ) {
    this.ready = this.reconcile();
    this.timer = setInterval(() => void this.tick(), settings.heartbeatMs);
    this.timer.unref();
  }

  /** Stops the monitor and closes the database pool; the jobs keep running and a later store re-attaches them. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.mirror?.close();
  }

  /** The PostgreSQL copy in use, if any. */
  get database(): JobMirror | undefined {
    return this.mirror;
  }

  /**
   * Copies the records to PostgreSQL from now on (a store opened before the configuration was read
   * gets it late): once the reconcile is done, every record is written, the reconciled states included.
   */
  async attachMirror(mirror: JobMirror): Promise<void> {
    const previous = this.mirror;
    this.mirror = mirror;
    if (previous && previous !== mirror) await previous.close();
    await this.ready;
    for (const record of this.records.values()) mirror.write(record);
  }

  /** One line on the database's trouble (stale copies, other data dirs unreadable), while there is any. */
  databaseProblem(): string | undefined {
    return this.mirror?.problem();
  }

  paths(jobId: string): JobPaths {
    return jobPaths(this.dataDir, jobId);
  }

  /** The jobs that have not ended (PENDING or RUNNING), as last checked. */
  active(): JobRecord[] {
    return [...this.records.values()].filter(isActive);
  }

  async submit(spec: JobSpec): Promise<JobRecord> {
    await this.ready;
    if (!jobIdPattern.test(spec.jobId)) throw new InputError('jobId', `${spec.jobId} is not a valid job id`);
    if (this.records.has(spec.jobId)) throw new InputError('jobId', `a job ${spec.jobId} already exists`);
    // A stopped job whose processes survived SIGKILL still holds its output directory while they live.
    for (const r of this.records.values())
      if (r.survivors && r.outputDir === spec.outputDir) {
        const alive = (await Promise.all(r.survivors.map((pid) => readProcess(pid)))).filter(
          (p) => p !== undefined && p.state !== 'Z' && p.pgid === r.pid,
        );
        if (alive.length > 0) throw outputInUse(spec.outputDir, r);
      }
    // Checked and reserved with no await in between, so two submits cannot both pass.
    const holder = this.active().find((r) => r.outputDir === spec.outputDir);
    if (holder) throw outputInUse(spec.outputDir, holder);
    const paths = this.paths(spec.jobId);
    const record: JobRecord = {
      jobId: spec.jobId,
      backend: 'local',
      name: spec.name,
      state: 'PENDING',
      command: spec.command,
      cwd: spec.cwd,
      outputDir: spec.outputDir,
      resources: spec.resources,
      metadata: spec.metadata,
      submittedAt: new Date().toISOString(),
      logFiles: { stdout: paths.stdout, stderr: paths.stderr },
      ...(spec.metadata.runId ? { runId: spec.metadata.runId } : {}),
    };
    this.records.set(spec.jobId, record);
    this.starting.add(spec.jobId);
    const started = this.start(spec, record, paths);
    this.starts.set(spec.jobId, started);
    try {
      return await started;
    } finally {
      this.starts.delete(spec.jobId);
    }
  }

  private async start(spec: JobSpec, record: JobRecord, paths: JobPaths): Promise<JobRecord> {
    let wrapper: WrapperStart | undefined;
    try {
      await createJobDirectory(paths);
      await this.save(record);
      // The environment travels in a file the wrapper removes once read, never on a command line.
      const launch = {
        command: spec.command,
        cwd: spec.cwd,
        env: spec.env,
        heartbeatMs: this.settings.heartbeatMs,
        stopGraceMs: this.settings.stopGraceMs,
      };
      await writeJsonAtomically(paths.launch, launch, 0o600);
      wrapper = await startWrapper({
        jobDirectory: paths.directory,
        stdoutFile: paths.stdout,
        stderrFile: paths.stderr,
        env: wrapperEnvironment(spec.env),
      });
      this.wrappers.set(spec.jobId, wrapper);
      await writeJsonAtomically(paths.wrapper, { ...wrapper, bootId: await currentBootId() });
      await this.update(record, { state: 'RUNNING', pid: wrapper.pid, startedAt: new Date().toISOString() });
      this.logger?.info('job_started', { jobId: spec.jobId, pid: wrapper.pid, name: spec.name });
      this.starting.delete(spec.jobId); // the monitor takes the job over now, not once the database answered
      return await this.view(record);
    } catch (error) {
      // A wrapper that did start must not run on unsupervised once its job is recorded as FAILED.
      if (wrapper) signalJob(wrapper.pid, await jobProcesses(wrapper.pid), 'SIGKILL');
      Object.assign(record, {
        state: 'FAILED',
        endedAt: new Date().toISOString(),
        message: `the job could not be started: ${(error as Error).message}`,
      });
      await this.save(record).catch(() => undefined);
      // The launch file holds the job's environment: it must not outlive a wrapper that never read it.
      await removeFile(paths.launch);
      throw error;
    } finally {
      this.starting.delete(spec.jobId);
    }
  }

  async status(jobId: string): Promise<JobRecord | undefined> {
    await this.ready;
    if (!this.records.has(jobId) && jobIdPattern.test(jobId)) await this.adopt(jobId);
    const record = this.records.get(jobId);
    if (!record) return this.foreign(jobId);
    if (isActive(record) && !this.stopping.has(jobId)) await this.check(record);
    if (isActive(record)) {
      const beat = await readJson<{ at?: string }>(this.paths(jobId).heartbeat);
      if (beat?.at) record.heartbeatAt = beat.at;
      // A live wrapper whose heartbeat stopped (SIGSTOP, a hung disk) is still RUNNING, but not silently.
      const since = Date.parse(record.heartbeatAt ?? record.startedAt ?? record.submittedAt);
      const silentMs = Date.now() - since;
      if (record.state === 'RUNNING' && silentMs > 3 * this.settings.heartbeatMs + 2_000)
        return {
          ...(await this.view(record)),
          message: `no heartbeat for ${Math.round(silentMs / 1000)} s (last ${record.heartbeatAt ?? 'never'}): its wrapper is alive but not progressing (stopped or hung?)`,
        };
    }
    return this.view(record);
  }

  /** This data dir's jobs, then (with PostgreSQL) those other data dirs recorded there; newest first. */
  async list(): Promise<JobRecord[]> {
    await this.ready;
    await this.adopt();
    await this.mirror?.settled();
    const local = [...this.records.values()].map((r) => this.decorate(r));
    const elsewhere = (await this.mirror?.foreignJobs()) ?? [];
    const foreign = elsewhere.filter((f) => !this.records.has(f.record.jobId)).map(asForeign);
    return [...local, ...foreign].sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  }

  async logs(jobId: string, options: { tailLines?: number; offset?: number }): Promise<LogChunk> {
    const record = await this.status(jobId);
    if (!record) throw unknownJob(jobId);
    if (record.recordedElsewhere) throw notHere(record, 'its logs are in that data dir');
    const file = this.paths(jobId).output;
    const ended = !isActive(record);
    if (options.offset !== undefined) {
      const chunk = await readFrom(file, options.offset, followChunkBytes);
      const lines = chunk.text === '' ? 0 : chunk.text.split('\n').length - 1;
      return { text: chunk.text, lines, nextOffset: chunk.nextOffset, ended: ended && chunk.nextOffset >= chunk.size };
    }
    const tail = await tailLines(file, options.tailLines ?? this.settings.logTailLines);
    return {
      text: tail.lines.map((l) => l + '\n').join(''),
      lines: tail.lines.length,
      nextOffset: tail.size,
      ended,
    };
  }

  async stop(jobId: string): Promise<JobRecord> {
    await this.ready;
    if (!this.records.has(jobId) && jobIdPattern.test(jobId)) await this.adopt(jobId);
    await this.starts.get(jobId)?.catch(() => undefined);
    const record = this.records.get(jobId);
    if (!record) {
      const elsewhere = await this.foreign(jobId);
      if (elsewhere) throw notHere(elsewhere, 'it can only be stopped by the Caelum service there');
      throw unknownJob(jobId);
    }
    if (!isActive(record) || this.stopping.has(jobId)) {
      if (isActive(record)) throw new InputError('jobId', `job ${jobId} is already being stopped`);
      throw alreadyEnded(record);
    }
    await this.check(record);
    if (!isActive(record)) throw alreadyEnded(record);
    this.stopping.add(jobId);
    try {
      const paths = this.paths(jobId);
      const requestedAt = new Date().toISOString();
      await writeJsonAtomically(paths.stopRequested, { at: requestedAt });
      const outcome =
        record.pid === undefined ? { processes: 0, killed: 0, left: [] } : await this.terminate(record.pid);
      const exit = await readJson<ExitRecord>(paths.exit);
      if (exit && exit.endedAt < requestedAt && outcome.left.length === 0) {
        // It ended on its own before the stop reached it: that end is what it did.
        await this.finish(record, exit);
        return await this.view(record);
      }
      const tail = await tailLines(paths.output, evidenceLines);
      await this.update(record, {
        state: 'STOPPED',
        endedAt: new Date().toISOString(),
        exitCode: exit?.exitCode ?? null,
        signal: exit?.signal ?? (outcome.killed > 0 ? 'SIGKILL' : 'SIGTERM'),
        message:
          `stopped on request: SIGTERM to ${outcome.processes} process(es)` +
          (outcome.killed > 0
            ? `, ${outcome.killed} still alive after ${this.settings.stopGraceMs} ms got SIGKILL`
            : '') +
          (outcome.left.length > 0
            ? `; ${outcome.left.length} process(es) survived SIGKILL (pids ${outcome.left.join(', ')}, e.g. stuck in the kernel); the output directory stays reserved until they are gone`
            : ''),
        survivors: outcome.left.length > 0 ? outcome.left : undefined,
        lastLogLines: tail.lines,
      });
      this.logger?.info('job_stopped', { jobId, ...outcome });
      return await this.view(record);
    } finally {
      this.stopping.delete(jobId);
    }
  }

  /** The live processes a stop would signal (empty for an ended job). */
  async processesOf(jobId: string): Promise<ProcessInfo[]> {
    const record = await this.status(jobId);
    // A pid recorded on another host means nothing here.
    if (!record || record.recordedElsewhere || !isActive(record) || record.pid === undefined) return [];
    return jobProcesses(record.pid);
  }

  /** SIGTERM to the whole tree, SIGKILL to what is left after the grace, and wait until none is left. */
  private async terminate(wrapperPid: number): Promise<{ processes: number; killed: number; left: number[] }> {
    let known: ProcessInfo[] = await jobProcesses(wrapperPid);
    const processes = known.length;
    signalJob(wrapperPid, known, 'SIGTERM');
    const graceEnds = Date.now() + this.settings.stopGraceMs;
    while (known.length > 0 && Date.now() < graceEnds) {
      await sleep(50);
      known = await jobProcesses(wrapperPid, known);
    }
    const killed = known.length;
    const killEnds = Date.now() + killWaitMs;
    while (known.length > 0 && Date.now() < killEnds) {
      signalJob(wrapperPid, known, 'SIGKILL');
      await sleep(50);
      known = await jobProcesses(wrapperPid, known);
    }
    if (known.length > 0) this.logger?.warn('job_processes_left', { pids: known.map((p) => p.pid) });
    return { processes, killed, left: known.map((p) => p.pid) };
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.ready;
      for (const record of this.active()) {
        if (!this.stopping.has(record.jobId)) await this.check(record);
      }
    } catch (error) {
      this.logger?.warn('job_monitor_failed', { error: (error as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Brings one active record up to date with its files and its wrapper process. The monitor and a
   * status call may both ask at once: they share one check, so a job ends (and is written) once.
   */
  private check(record: JobRecord): Promise<void> {
    let running = this.checks.get(record.jobId);
    if (!running) {
      running = this.checkNow(record).finally(() => this.checks.delete(record.jobId));
      this.checks.set(record.jobId, running);
    }
    return running;
  }

  private async checkNow(record: JobRecord): Promise<void> {
    if (this.starting.has(record.jobId)) return;
    const paths = this.paths(record.jobId);
    const exit = await readJson<ExitRecord>(paths.exit);
    const wrapper = this.wrappers.get(record.jobId) ?? (await readJson<WrapperStart>(paths.wrapper));
    if (exit) {
      // The wrapper exits once the job's group is empty (stragglers get SIGKILL after the grace), so
      // while it lives the job still has processes: it has not ended yet. Normally that is milliseconds.
      if (record.pid !== undefined) {
        const waitEnds = Date.now() + 300;
        while ((await isSameProcessAlive(record.pid, wrapper?.startTime)) && Date.now() < waitEnds) await sleep(25);
        const sweeping = await isSameProcessAlive(record.pid, wrapper?.startTime);
        if (sweeping && Date.now() - Date.parse(exit.endedAt) < this.settings.stopGraceMs + 5_000) return;
        // Past the wrapper's SIGKILL wait and still not empty: what is left survived SIGKILL.
        if (sweeping)
          return this.finish(
            record,
            exit,
            (await jobProcesses(record.pid)).filter((p) => p.pid !== record.pid).map((p) => p.pid),
          );
      }
      return this.finish(record, exit);
    }
    if (record.pid === undefined) return;
    if (await isSameProcessAlive(record.pid, wrapper?.startTime)) return;
    // The wrapper may have written its exit record and exited between the two reads.
    const late = await readJson<ExitRecord>(paths.exit);
    if (late) return this.finish(record, late);
    await this.lose(record, paths);
  }

  private async finish(record: JobRecord, exit: ExitRecord, survivors: number[] = []): Promise<void> {
    const paths = this.paths(record.jobId);
    // A stop that came after the job had already ended does not make it STOPPED.
    const request = await readJson<{ at?: string }>(paths.stopRequested);
    const stopped = request !== undefined && (request.at === undefined || request.at <= exit.endedAt);
    const succeeded = exit.exitCode === 0 && !stopped;
    const tail = await tailLines(paths.output, evidenceLines);
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
    const beat = await readJson<{ at?: string }>(paths.heartbeat);
    await this.update(record, {
      state: stopped ? 'STOPPED' : succeeded ? 'SUCCEEDED' : 'FAILED',
      exitCode: exit.exitCode,
      signal: exit.signal,
      endedAt: exit.endedAt,
      message:
        (stopped ? `stopped on request; the job ${how}` : `the job ${how}`) +
        (survivors.length > 0
          ? `; ${survivors.length} process(es) of its group survived SIGKILL (pids ${survivors.join(', ')}); the output directory stays reserved until they are gone`
          : ''),
      ...(survivors.length > 0 ? { survivors } : {}),
      ...(succeeded ? {} : { lastLogLines: tail.lines }),
      ...(beat?.at ? { heartbeatAt: beat.at } : {}),
    });
    this.logger?.info('job_ended', { jobId: record.jobId, state: record.state, exitCode: exit.exitCode });
  }

  private async lose(record: JobRecord, paths: JobPaths): Promise<void> {
    const beat = await readJson<{ at?: string }>(paths.heartbeat);
    // Whatever is left of its group (a child orphaned by a killed wrapper) would keep writing to the output.
    // A live process with the wrapper's pid (a different start time) means the pid was reused; the
    // kernel never reuses a pid while a group of that id has members, so then there is nothing left.
    // After a reboot the recorded pid means nothing: never signal anything then.
    const started = await readJson<{ bootId?: string }>(paths.wrapper);
    const rebooted = started?.bootId !== undefined && started.bootId !== (await currentBootId());
    const reused = rebooted || (record.pid !== undefined && ((await readProcess(record.pid))?.state ?? 'Z') !== 'Z');
    const leftovers = record.pid === undefined || reused ? [] : await jobProcesses(record.pid);
    const stray = leftovers.filter((p) => p.pgid === record.pid);
    if (stray.length > 0) signalJob(record.pid!, stray, 'SIGKILL');
    const tail = await tailLines(paths.output, evidenceLines);
    await this.update(record, {
      state: 'LOST',
      endedAt: new Date().toISOString(),
      heartbeatAt: beat?.at,
      lastLogLines: tail.lines,
      message:
        (record.pid === undefined
          ? 'the job never started: the service stopped between recording it and starting its wrapper'
          : `the job's wrapper process ${record.pid} is gone and left no exit record; last heartbeat ${beat?.at ?? 'never'}` +
            ' (killed with SIGKILL, by the OOM killer, or the machine restarted)') +
        (stray.length > 0 ? `; ${stray.length} leftover process(es) of its group were killed` : ''),
    });
    this.logger?.warn('job_lost', { jobId: record.jobId, pid: record.pid, heartbeatAt: beat?.at });
  }

  /**
   * A transition: the file is replaced first, and only then does the record in memory change, so that
   * whoever sees the new state (a list, a status) finds it in job.json too.
   */
  private async update(record: JobRecord, changes: Partial<JobRecord>): Promise<void> {
    await this.save({ ...record, ...changes });
    Object.assign(record, changes);
  }

  /** The file first (the source of truth), then the database copy, which never holds the job up. */
  private async save(record: JobRecord): Promise<void> {
    await writeJsonAtomically(this.paths(record.jobId).record, record);
    this.mirror?.write(record);
  }

  /** A copy of the record as reported, once its database write (if any) has been tried. */
  private async view(record: JobRecord): Promise<JobRecord> {
    await this.mirror?.settled();
    return this.decorate(record);
  }

  private decorate(record: JobRecord): JobRecord {
    const copy = this.mirror?.copyOf(record.jobId);
    return copy ? { ...record, database: copy } : { ...record };
  }

  /** A job another data dir or host recorded in PostgreSQL, marked as such. */
  private async foreign(jobId: string): Promise<JobRecord | undefined> {
    if (!this.mirror || !jobIdPattern.test(jobId)) return undefined;
    const found = await this.mirror.foreignJob(jobId);
    return found && asForeign(found);
  }

  /** Loads and reconciles the files; with PostgreSQL, every reconciled record is then written there. */
  private async reconcile(): Promise<void> {
    for (const jobId of await listJobIds(this.dataDir)) await this.load(jobId);
    for (const record of this.records.values()) this.mirror?.write(record);
  }

  /**
   * Jobs this store has not seen: written by another process on the same data dir (a CLI that ran
   * in-process, an earlier service), read from disk and reconciled like those found at open.
   */
  private async adopt(jobId?: string): Promise<void> {
    const ids = jobId === undefined ? await listJobIds(this.dataDir) : [jobId];
    for (const id of ids) if (!this.records.has(id) && !this.starting.has(id)) await this.load(id);
  }

  private async load(jobId: string): Promise<void> {
    {
      const record = await readJson<JobRecord>(this.paths(jobId).record);
      if (!record || record.jobId !== jobId) return;
      this.records.set(jobId, record);
      if (!isActive(record)) return;
      const wrapper = await readJson<WrapperStart>(this.paths(jobId).wrapper);
      if (wrapper) this.wrappers.set(jobId, wrapper);
      if (record.pid === undefined) {
        // The service died during the submit: the wrapper's heartbeat, if any, names its pid.
        const beat = await readJson<{ pid?: number }>(this.paths(jobId).heartbeat);
        const started = beat?.pid !== undefined && (await isSameProcessAlive(beat.pid, undefined));
        if (!started && !(await fileExists(this.paths(jobId).exit))) {
          await this.lose(record, this.paths(jobId));
          return;
        }
        await this.update(record, { state: 'RUNNING', pid: beat?.pid, startedAt: record.submittedAt });
      }
      await this.check(record);
      if (isActive(record)) this.logger?.info('job_reattached', { jobId, pid: record.pid });
    }
  }
}

/** The wrapper itself needs nothing of the job's environment but the basics. */
function wrapperEnvironment(env: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) if (env[name] !== undefined) kept[name] = env[name];
  return kept;
}

function asForeign(found: ForeignJob): JobRecord {
  return {
    ...found.record,
    recordedElsewhere: { host: found.host, dataDir: found.dataDir, updatedAt: found.updatedAt },
  };
}

/** The refusal for a job of another data dir or host. */
export function notHere(record: JobRecord, what: string): InputError {
  const where = record.recordedElsewhere;
  return new InputError(
    'jobId',
    `job ${record.jobId} was recorded (in PostgreSQL) by host ${where?.host} in data dir ${where?.dataDir}, not by this service: it is read-only here, and ${what}`,
  );
}

export function unknownJob(jobId: string): InputError {
  return new InputError('jobId', `no job ${jobId}; ml_training_list_jobs lists the jobs there are`);
}

function alreadyEnded(record: JobRecord): InputError {
  return new InputError(
    'jobId',
    `job ${record.jobId} already ended (${record.state} at ${record.endedAt ?? 'an unknown time'}); nothing to stop`,
  );
}

function outputInUse(outputDir: string, holder: JobRecord): InputError {
  return new InputError(
    'outputDir',
    `${outputDir} is the output of job ${holder.jobId} (${holder.name}, ${holder.state}); at most one job writes to an output directory: wait for it to end, stop it, or choose another outputDir`,
  );
}
