// Runs nvidia-smi (no shell, with a timeout) and turns its output into placement candidates: whole
// GPUs, or the MIG instances of a MIG-enabled GPU (whose parent cannot take a job of its own).
import os from 'node:os';
import { runProcess } from '../../development/run-process.js';
import { parseMigList, parseQueryGpu, queryFields, type GpuRow, type MigInstance } from './nvidia-smi-parse.js';

export interface Device {
  kind: 'gpu' | 'mig';
  /** How a person names it: `GPU 1` or `GPU 0 MIG device 2`. */
  label: string;
  gpuIndex: number;
  uuid: string;
  name: string;
  totalMiB: number | null;
  /** Null when nvidia-smi does not report it; such a device is never chosen. */
  freeMiB: number | null;
  /** Why the numbers are what they are, when they are not plain readings. */
  note?: string;
}

export type GpuInventory =
  { ok: true; gpus: GpuRow[]; mig: MigInstance[]; devices: Device[] } | { ok: false; reason: string };

export interface RunOptions {
  /** The nvidia-smi executable; tests pass a fake script. */
  binary?: string;
  /** Per invocation; nvidia-smi can hang on a wedged driver. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export const defaultTimeoutMs = 10_000;

type Outcome = { ok: true; stdout: string } | { ok: false; reason: string };

async function run(binary: string, args: string[], options: RunOptions): Promise<Outcome> {
  const timeout = options.timeoutMs ?? defaultTimeoutMs;
  // The process runner: no shell, own process group killed at the deadline, output capped.
  const result = await runProcess(binary, args, {
    cwd: os.tmpdir(),
    timeoutMs: timeout,
    maxOutputBytes: 1024 * 1024,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.spawnError)
    return {
      ok: false,
      reason: result.spawnError.endsWith('ENOENT') ? `${binary} not found (ENOENT)` : result.spawnError,
    };
  if (result.cancelled) return { ok: false, reason: `${binary} was cancelled` };
  if (result.timedOut) return { ok: false, reason: `${binary} did not answer within ${timeout} ms` };
  if (result.exitCode === 0) return { ok: true, stdout: result.stdout };
  // The driver failure is printed on stdout with exit status 9; keep its first line.
  const text = `${result.stdout}\n${result.stderr}`.trim().split(/\r?\n/)[0] ?? '';
  const status = result.exitCode ?? result.signal;
  return { ok: false, reason: `${binary} failed (exit ${String(status)})${text ? `: ${text}` : ''}` };
}

/** Combines the query rows and the MIG listing into placement candidates. */
export function devicesFrom(gpus: GpuRow[], mig: MigInstance[]): Device[] {
  const devices: Device[] = [];
  for (const gpu of gpus) {
    const instances = mig.filter((m) => m.gpuIndex === gpu.index);
    if (instances.length === 0) {
      devices.push({
        kind: 'gpu',
        label: `GPU ${gpu.index}`,
        gpuIndex: gpu.index,
        uuid: gpu.uuid,
        name: gpu.name,
        totalMiB: gpu.totalMiB,
        freeMiB: gpu.freeMiB,
        ...(gpu.freeMiB === null ? { note: 'nvidia-smi reports no free memory for this GPU' } : {}),
      });
      continue;
    }
    for (const m of instances)
      devices.push({
        kind: 'mig',
        label: `GPU ${gpu.index} MIG device ${m.device}`,
        gpuIndex: gpu.index,
        uuid: m.uuid,
        name: `${gpu.name} MIG ${m.profile}`,
        totalMiB: m.memoryMiB,
        // --query-gpu reports the parent only; an instance's own use is not in it.
        freeMiB: m.memoryMiB,
        note: `memory attributed from the profile name ${m.profile}; its current use is not known, assumed idle`,
      });
  }
  return devices;
}

/** Asks nvidia-smi for the GPUs and MIG instances; a machine without usable GPUs gives the reason. */
export async function readGpuInventory(options: RunOptions = {}): Promise<GpuInventory> {
  const binary = options.binary ?? 'nvidia-smi';
  const query = await run(binary, [`--query-gpu=${queryFields.join(',')}`, '--format=csv,noheader,nounits'], options);
  if (!query.ok) return { ok: false, reason: query.reason };
  let gpus: GpuRow[];
  try {
    gpus = parseQueryGpu(query.stdout);
  } catch (error) {
    return { ok: false, reason: `unreadable nvidia-smi output: ${(error as Error).message}` };
  }
  if (gpus.length === 0) return { ok: false, reason: 'nvidia-smi lists no GPU' };
  const listing = await run(binary, ['-L'], options);
  // Without the listing MIG instances are unknown; their parents (no free memory) are then not chosen.
  const mig = listing.ok ? parseMigList(listing.stdout) : [];
  return { ok: true, gpus, mig, devices: devicesFrom(gpus, mig) };
}
