// The files of local jobs in Caelum's data dir: <dataDir>/ml-training/jobs/<jobId>/ holds job.json
// (the record; the run registry reads it, so its path is a contract), exit.json and heartbeat.json
// (written by the wrapper), the logs, and metrics.jsonl (written by the training script). JSON is
// replaced atomically (a temporary file, then a rename), so a reader never sees half a record.
import { writeFileAtomic } from '../../../knowledge/snapshot/atomic-file.js';
import { mkdir, open, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** A job id that is safe as one path component (Caelum's ids and Ray submission ids both fit). */
export const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface JobPaths {
  directory: string;
  /** The JobRecord: a contract with the run registry. */
  record: string;
  exit: string;
  heartbeat: string;
  /** What the wrapper starts (argv, cwd, env); removed by the wrapper once read. */
  launch: string;
  /** The wrapper's pid and its start time in clock ticks, to tell it from a reused pid. */
  wrapper: string;
  stopRequested: string;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved by line, stderr lines marked. */
  output: string;
  metrics: string;
}

export function jobsDirectory(dataDir: string): string {
  return path.join(dataDir, 'ml-training', 'jobs');
}

export function jobPaths(dataDir: string, jobId: string): JobPaths {
  if (!jobIdPattern.test(jobId)) throw new Error(`not a job id: ${jobId}`);
  const directory = path.join(jobsDirectory(dataDir), jobId);
  const file = (name: string) => path.join(directory, name);
  return {
    directory,
    record: file('job.json'),
    exit: file('exit.json'),
    heartbeat: file('heartbeat.json'),
    launch: file('launch.json'),
    wrapper: file('wrapper.json'),
    stopRequested: file('stop-requested.json'),
    stdout: file('stdout.log'),
    stderr: file('stderr.log'),
    output: file('output.log'),
    metrics: file('metrics.jsonl'),
  };
}

export async function createJobDirectory(paths: JobPaths): Promise<void> {
  await mkdir(paths.directory, { recursive: true, mode: 0o700 });
}

/** Writes JSON to a temporary file in the same directory, fsyncs it and renames it over `file`. */
export async function writeJsonAtomically(file: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', mode);
}

/** The parsed file, or undefined when it does not exist or is not JSON (a crash mid-write cannot leave one). */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true }).catch(() => undefined);
}

export async function fileExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

export async function listJobIds(dataDir: string): Promise<string[]> {
  const entries = await readdir(jobsDirectory(dataDir), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && jobIdPattern.test(e.name)).map((e) => e.name);
}

export async function fileSize(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

const tailBlock = 64 * 1024;
const tailBudget = 4 * 1024 * 1024;

/** The last `count` lines of a log (at most 4 MiB is read), and the file's size as the follow offset. */
export async function tailLines(file: string, count: number): Promise<{ lines: string[]; size: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { lines: [], size: 0 };
  }
  try {
    const size = (await handle.stat()).size;
    let start = size;
    let text = '';
    while (start > 0 && size - start < tailBudget) {
      const length = Math.min(tailBlock, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, start);
      text = buffer.toString('utf8') + text;
      if (text.split('\n').length > count + 1) break;
    }
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    // Reading from the middle of the file may start mid-line: drop that fragment.
    if (start > 0) lines.shift();
    return { lines: lines.slice(-count), size };
  } finally {
    await handle.close();
  }
}

/** What a log holds after `offset`, up to `maxBytes` and ending at a line break. */
export async function readFrom(
  file: string,
  offset: number,
  maxBytes: number,
): Promise<{ text: string; nextOffset: number; size: number }> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', nextOffset: offset, size: 0 };
  }
  try {
    const size = (await handle.stat()).size;
    const start = Math.min(offset, size);
    const length = Math.min(maxBytes, size - start);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, start);
    const lastBreak = buffer.lastIndexOf(0x0a);
    const kept = lastBreak < 0 ? (length === maxBytes ? length : 0) : lastBreak + 1;
    return { text: buffer.subarray(0, kept).toString('utf8'), nextOffset: start + kept, size };
  } finally {
    await handle.close();
  }
}

/**
 * Creates a job's output directory (already checked to lie inside the allowed roots by roots.ts)
 * and returns its real path, the key of the one-job-per-output-directory rule.
 */
export async function prepareOutputDirectory(absolute: string): Promise<string> {
  await mkdir(absolute, { recursive: true });
  return realpath(absolute);
}

/** The real path of a directory when it exists, else the path as given. */
export async function realDirectory(absolute: string): Promise<string> {
  return realpath(absolute).catch(() => absolute);
}
