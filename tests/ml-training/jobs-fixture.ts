// Local jobs for the tests: a store with a fast heartbeat, job specs running `node -e` scripts, waits
// that poll real files and /proc, and cleanup that kills whatever a test's jobs left. Also the
// finished job the conformance suite's job-tool examples name (job-example).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { JobRecord, JobSpec } from '../../tools/ml-training/jobs/executor.js';
import { jobPaths } from '../../tools/ml-training/jobs/job-files.js';
import { LocalExecutor, type LocalJobSettings } from '../../tools/ml-training/jobs/local-executor.js';

export const fastJobs: LocalJobSettings = { heartbeatMs: 200, stopGraceMs: 1000, logTailLines: 40 };

type After = { after(fn: () => Promise<void> | void): void };

/** Wrapper pids of every job a test started, killed (whole group) when the test ends. */
export function trackJobs(t: After): (record: JobRecord) => JobRecord {
  const pids: number[] = [];
  t.after(() => {
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
  return (record) => {
    if (record.pid) pids.push(record.pid);
    return record;
  };
}

export function openStore(t: After, dataDir: string, settings = fastJobs): LocalExecutor {
  const store = new LocalExecutor(dataDir, settings);
  t.after(() => store.close());
  return store;
}

let counter = 0;

export function nodeJob(script: string, outputDir: string, extra: Partial<JobSpec> = {}): JobSpec {
  const jobId = `job-test-${process.pid}-${Date.now()}-${counter++}`;
  return {
    jobId,
    name: 'test',
    command: [process.execPath, '-e', script],
    cwd: outputDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CAELUM_JOB_ID: jobId, CAELUM_OUTPUT_DIR: outputDir },
    outputDir,
    resources: {},
    metadata: {},
    ...extra,
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Live (non-zombie) processes that are one of `pids` or belong to process group `pgid`. */
export async function survivors(pids: readonly number[], pgid: number): Promise<number[]> {
  const left: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') continue;
    const pid = Number(name);
    if (pids.includes(pid) || Number(fields[2]) === pgid) left.push(pid);
  }
  return left;
}

export function isAlive(pid: number): Promise<boolean> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z',
    () => false,
  );
}

/** A finished job named job-example, with logs, as the job tools' examples expect. */
export async function seedJobExamples(dataDir: string, project: string): Promise<void> {
  const paths = jobPaths(dataDir, 'job-example');
  await mkdir(paths.directory, { recursive: true });
  const record: JobRecord = {
    jobId: 'job-example',
    backend: 'local',
    name: 'example',
    state: 'SUCCEEDED',
    command: ['node', 'train.mjs'],
    cwd: project,
    outputDir: path.join(project, 'runs', 'example'),
    resources: {},
    metadata: {},
    submittedAt: '2026-01-05T10:00:00.000Z',
    startedAt: '2026-01-05T10:00:00.100Z',
    endedAt: '2026-01-05T10:02:30.100Z',
    exitCode: 0,
    signal: null,
    message: 'the job exited with code 0',
    pid: 999_999,
    logFiles: { stdout: paths.stdout, stderr: paths.stderr },
  };
  await writeFile(paths.record, JSON.stringify(record));
  await writeFile(paths.output, 'epoch 1 loss 0.52\n[stderr] warning: slow disk\nepoch 2 loss 0.31\n');
  await writeFile(paths.stdout, 'epoch 1 loss 0.52\nepoch 2 loss 0.31\n');
  await writeFile(paths.stderr, 'warning: slow disk\n');
}
