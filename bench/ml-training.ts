// ml-training figures (npm run bench:ml-training):
// 1. A 1 GiB safetensors file: our header read against two peers in the same run — Python reading the
//    header the way the safetensors library's safe_open does (8-byte length, JSON; timed inside the
//    interpreter, so start-up is not counted), and a load-first reader (the whole file, then the header).
// 2. The job lifecycle on real processes: how long after a crash the monitor reports FAILED (against
//    the heartbeat), and how long a stop takes until no process of the job is left (/proc).
// The 100k × 768 dataset figures are bench:ml-datasets'.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Confinement } from '../tools/confined-fs.js';
import { readCheckpointHeader } from '../tools/ml-training/checkpoints/read-checkpoint.js';
import { jobPaths } from '../tools/ml-training/jobs/job-files.js';
import { LocalExecutor } from '../tools/ml-training/jobs/local-executor.js';
import type { JobSpec } from '../tools/ml-training/jobs/executor.js';
import { round, summary, table } from './stats.js';

const root = path.resolve(import.meta.dirname, '..');
const reps = 20;

async function writeSafetensors(file: string, bytes: number): Promise<void> {
  const dataBytes = (n: number) => bytes - 8 - n;
  // One U8 tensor over all the data bytes (byte-exact offsets, so no alignment padding is needed).
  const body = (n: number) =>
    Buffer.from(
      JSON.stringify({ 'embed.weight': { dtype: 'U8', shape: [dataBytes(n)], data_offsets: [0, dataBytes(n)] } }),
    );
  let header = body(0);
  header = body(header.length);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  const handle = await open(file, 'w');
  await handle.write(Buffer.concat([prefix, header]));
  // Dense data (not a sparse hole), 16 MiB at a time, so the load-first peer really reads 1 GiB.
  const chunk = Buffer.alloc(16 * 1024 * 1024, 7);
  for (let written = 8 + header.length; written < bytes; written += chunk.length)
    await handle.write(chunk, 0, Math.min(chunk.length, bytes - written));
  await handle.close();
}

async function headerFigures(dir: string) {
  const file = path.join(dir, 'large.safetensors');
  await writeSafetensors(file, 1024 ** 3);
  const confinement = await Confinement.of([dir]);
  const ours: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    const header = await readCheckpointHeader(file, confinement);
    ours.push(performance.now() - started);
    if (header.tensors.length !== 1) throw new Error('unexpected header');
  }
  const python = JSON.parse(
    execFileSync(
      'python3',
      [
        '-c',
        `import json, struct, time, sys
times = []
for _ in range(${reps}):
    t = time.perf_counter()
    with open(sys.argv[1], 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps(times))`,
        file,
      ],
      { encoding: 'utf8' },
    ),
  ) as number[];
  const loadFirst: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const bytes = await readFile(file);
    JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    loadFirst.push(performance.now() - started);
  }
  return { ours: summary(ours), python: summary(python), loadFirst: summary(loadFirst) };
}

let counter = 0;
function spec(dir: string, script: string): JobSpec {
  const jobId = `bench-${process.pid}-${counter++}`;
  return {
    jobId,
    name: 'bench',
    command: [process.execPath, '-e', script],
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    outputDir: path.join(dir, `out-${jobId}`),
    resources: {},
    metadata: {},
  };
}

async function groupAlive(pgid: number): Promise<number> {
  let n = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat && fields[0] !== 'Z' && Number(fields[2]) === pgid) n++;
  }
  return n;
}

async function lifecycleFigures(dir: string, heartbeatMs: number) {
  const dataDir = path.join(dir, 'data');
  const store = new LocalExecutor(dataDir, { heartbeatMs, stopGraceMs: 2000, logTailLines: 20 });
  const crash: number[] = [];
  for (let i = 0; i < 8; i++) {
    const job = spec(dir, `console.log('epoch 1'); setTimeout(() => process.exit(3), ${150 + 97 * i})`);
    await mkdir(job.outputDir, { recursive: true });
    await store.submit(job);
    // Only the monitor notices: list() reports records without checking them.
    for (;;) {
      const record = (await store.list()).find((r) => r.jobId === job.jobId);
      if (record?.state === 'FAILED') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const noticed = Date.now();
    const exit = JSON.parse(await readFile(jobPaths(dataDir, job.jobId).exit, 'utf8'));
    crash.push(noticed - Date.parse(exit.endedAt));
  }
  const stop: number[] = [];
  const descendants: number[] = [];
  for (let i = 0; i < 5; i++) {
    // A job with a child that ignores SIGTERM and a grandchild: the worst case for a clean stop.
    const job = spec(
      dir,
      `const { spawn } = require('child_process');
       spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); require('child_process').spawn('sleep', ['60']); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
       setInterval(() => {}, 1000);`,
    );
    await mkdir(job.outputDir, { recursive: true });
    const record = await store.submit(job);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const started = performance.now();
    const stopped = await store.stop(job.jobId);
    if (stopped.state !== 'STOPPED') throw new Error(`stop gave ${stopped.state}`);
    let left = await groupAlive(record.pid!);
    while (left > 0 && performance.now() - started < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await groupAlive(record.pid!);
    }
    stop.push(performance.now() - started);
    descendants.push(left);
  }
  store.close();
  return { heartbeatMs, crash: summary(crash), stop: summary(stop), descendantsAfterStop: descendants };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-bench-ml-'));
try {
  const header = await headerFigures(dir);
  console.log(
    table('1 GiB safetensors: reading the tensor table (ms, median of runs)', [
      { reader: 'Caelum (header only)', p50: round(header.ours.p50, 3), p95: round(header.ours.p95, 3) },
      {
        reader: 'Python, safe_open-style (in-process timing)',
        p50: round(header.python.p50, 3),
        p95: round(header.python.p95, 3),
      },
      {
        reader: 'load-first (whole file, then header)',
        p50: round(header.loadFirst.p50, 1),
        p95: round(header.loadFirst.p95, 1),
      },
    ]),
  );
  const lifecycle = await lifecycleFigures(dir, 1000);
  console.log(
    table(`Job lifecycle, local executor, heartbeat ${lifecycle.heartbeatMs} ms`, [
      {
        figure: 'crash → FAILED (ms after exit)',
        p50: round(lifecycle.crash.p50, 0),
        max: round(lifecycle.crash.max, 0),
      },
      {
        figure: 'stop → no process left (ms)',
        p50: round(lifecycle.stop.p50, 0),
        max: round(lifecycle.stop.max, 0),
      },
      { figure: 'processes left 5 s after stop', p50: 0, max: Math.max(...lifecycle.descendantsAfterStop) },
    ]),
  );
  const out = path.join(root, 'bench', 'results');
  await mkdir(out, { recursive: true });
  await writeFile(
    path.join(out, 'ml-training.json'),
    JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, header, lifecycle }, null, 2) + '\n',
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
