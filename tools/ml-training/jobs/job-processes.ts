// The processes of local jobs: starting the wrapper detached (it leads the job's process group,
// with its stdout and stderr on the job's log files), telling a live wrapper from a reused pid
// through the start time in /proc/<pid>/stat, and finding every process of a job to stop: the
// wrapper's descendants by parent pid, and whatever else carries the job's process group id.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../../errors.js';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  /** Clock ticks after boot at which the process started (field 22 of /proc/<pid>/stat). */
  startTime: number;
}

/** The wrapper script next to this module (sources, dist/) or copied beside the bundle's chunks. */
export function wrapperPath(): string {
  const file = fileURLToPath(new URL('./job-wrapper.mjs', import.meta.url));
  if (!existsSync(file))
    throw new ToolError('NOT_CONFIGURED', `the job wrapper is missing from this installation (${file})`);
  return file;
}

export interface WrapperStart {
  pid: number;
  startTime: number | undefined;
}

/** Starts `node job-wrapper.mjs <jobDirectory>` detached; it reads launch.json from that directory. */
export function startWrapper(options: {
  jobDirectory: string;
  stdoutFile: string;
  stderrFile: string;
  env: Record<string, string>;
}): Promise<WrapperStart> {
  const out = openSync(options.stdoutFile, 'a');
  const err = openSync(options.stderrFile, 'a');
  try {
    const child = spawn(process.execPath, [wrapperPath(), options.jobDirectory], {
      cwd: options.jobDirectory,
      env: options.env,
      stdio: ['ignore', out, err],
      detached: true,
      shell: false,
    });
    return new Promise((resolve, reject) => {
      child.once('error', (error) =>
        reject(new ToolError('TOOL_FAILED', 'the job wrapper did not start', { cause: error })),
      );
      child.once('spawn', () => {
        // The job outlives this service: nothing here waits for it.
        child.unref();
        const pid = child.pid!;
        void readProcess(pid).then((info) => resolve({ pid, startTime: info?.startTime }));
      });
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** This boot's id: a pid recorded in another boot names nothing of ours. Undefined where /proc lacks it. */
export async function currentBootId(): Promise<string | undefined> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function parseStat(pid: number, text: string): ProcessInfo | undefined {
  // The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(' ');
  const number = (i: number) => Number(fields[i]);
  return { pid, state: fields[0] ?? '?', ppid: number(1), pgid: number(2), startTime: number(19) };
}

export async function readProcess(pid: number): Promise<ProcessInfo | undefined> {
  try {
    return parseStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Alive and the same process: not a zombie, and started when the recorded one did. */
export async function isSameProcessAlive(pid: number, startTime: number | undefined): Promise<boolean> {
  const info = await readProcess(pid);
  if (info) return info.state !== 'Z' && (startTime === undefined || info.startTime === startTime);
  if (process.platform === 'linux') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function allProcesses(): Promise<ProcessInfo[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const found = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => readProcess(Number(n))));
  return found.filter((p): p is ProcessInfo => p !== undefined && p.state !== 'Z');
}

/** The live processes of a job: the wrapper's descendants by parent pid, plus its process group. */
export async function jobProcesses(wrapperPid: number, known: readonly ProcessInfo[] = []): Promise<ProcessInfo[]> {
  const table = await allProcesses();
  const children = new Map<number, ProcessInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = new Map<number, ProcessInfo>();
  const roots = [wrapperPid, ...known.map((p) => p.pid)];
  const alive = new Map(table.map((p) => [p.pid, p]));
  for (const root of roots) {
    const info = alive.get(root);
    const recorded = known.find((k) => k.pid === root);
    if (info && (!recorded || recorded.startTime === info.startTime)) found.set(root, info);
  }
  const queue = [...found.keys()];
  if (!found.has(wrapperPid)) queue.push(wrapperPid);
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (found.has(child.pid)) continue;
      found.set(child.pid, child);
      queue.push(child.pid);
    }
  }
  for (const p of table) if (p.pgid === wrapperPid) found.set(p.pid, p);
  found.delete(process.pid);
  return [...found.values()];
}

/** Sends `signal` to the job's group and to each process found; gone ones are skipped. */
export function signalJob(pgid: number, processes: readonly ProcessInfo[], signal: NodeJS.Signals): void {
  const send = (pid: number) => {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone (ESRCH) or never ours (EPERM): nothing to do.
    }
  };
  // The group id only while a member is known to carry it, so a reused id is never signalled.
  if (processes.some((p) => p.pgid === pgid)) send(-pgid);
  for (const p of processes) send(p.pid);
}
