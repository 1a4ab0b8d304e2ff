// Parsers for nvidia-smi text: the `--query-gpu` CSV (with or without header and units) and the
// `-L` listing, whose indented `MIG ...` lines are the only place MIG instances appear.
// nvidia-smi's output "is not guaranteed to be backwards compatible", so parsing is by column name
// when a header is present and by the fixed query order otherwise, and unknown values become null.

/** The fields placement asks for, in this order: the command line in nvidia-smi-run.ts matches it. */
export const queryFields = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'memory.free',
  'utilization.gpu',
] as const;

export interface GpuRow {
  index: number;
  uuid: string;
  name: string;
  /** MiB; null where nvidia-smi printed [N/A] or [Not Supported] (MIG-enabled parents, old boards). */
  totalMiB: number | null;
  usedMiB: number | null;
  freeMiB: number | null;
  utilizationPercent: number | null;
}

export interface MigInstance {
  /** Index of the parent GPU. */
  gpuIndex: number;
  /** Device number within the parent, as `-L` prints it. */
  device: number;
  uuid: string;
  /** e.g. `1g.10gb`, `3g.40gb`, `1g.10gb+me`. */
  profile: string;
  /** Memory attributed from the profile name; see migMemoryMiB. */
  memoryMiB: number;
}

/** `[N/A]`, `[Not Supported]`, `N/A`, `[Unknown Error]` and the like: no value. */
function numberOrNull(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const text = raw
    .trim()
    .replace(/\s*(MiB|%)$/i, '')
    .trim();
  if (text === '' || /^\[.*\]$/.test(text) || /^n\/a$/i.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Parses `--query-gpu=<queryFields> --format=csv[,noheader][,nounits]`. Throws on a malformed row. */
export function parseQueryGpu(text: string): GpuRow[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let columns: string[] = [...queryFields];
  if (lines.length > 0 && /^index\s*,/i.test(lines[0]!)) {
    // The header names carry units in brackets: `memory.total [MiB]`.
    columns = lines
      .shift()!
      .split(',')
      .map((c) => c.trim().replace(/\s*\[.*\]$/, ''));
  }
  const at = (cells: string[], field: string) => {
    const i = columns.indexOf(field);
    return i < 0 ? undefined : cells[i];
  };
  return lines.map((line, row) => {
    // GPU names contain no commas in practice; the uuid and the numbers never do.
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== columns.length)
      throw new Error(`nvidia-smi row ${row + 1} has ${cells.length} fields, expected ${columns.length}: "${line}"`);
    const index = numberOrNull(at(cells, 'index'));
    if (index === null) throw new Error(`nvidia-smi row ${row + 1} has no GPU index: "${line}"`);
    return {
      index,
      uuid: at(cells, 'uuid') ?? '',
      name: at(cells, 'name') ?? '',
      totalMiB: numberOrNull(at(cells, 'memory.total')),
      usedMiB: numberOrNull(at(cells, 'memory.used')),
      freeMiB: numberOrNull(at(cells, 'memory.free')),
      utilizationPercent: numberOrNull(at(cells, 'utilization.gpu')),
    };
  });
}

/**
 * Memory of a MIG profile from its name: `Ng.Mgb` → 0.95 × M GiB. The name is nominal; the real
 * sizes are a little smaller (A100-40GB 1g.5gb = 4864 MiB, A100-80GB 1g.10gb = 9728 MiB, both exactly
 * 0.95 × M GiB; larger profiles are somewhat above it), so 0.95 × M never over-promises.
 */
export function migMemoryMiB(profile: string): number | null {
  const match = /^\d+g\.(\d+)gb/i.exec(profile);
  return match ? Math.floor(Number(match[1]) * 1024 * 0.95) : null;
}

/** Parses `nvidia-smi -L`: the MIG instances under each `GPU n:` line. GPUs without MIG add none. */
export function parseMigList(text: string): MigInstance[] {
  const instances: MigInstance[] = [];
  let gpu: number | null = null;
  for (const line of text.split(/\r?\n/)) {
    const parent = /^\s*GPU\s+(\d+):/.exec(line);
    if (parent) {
      gpu = Number(parent[1]);
      continue;
    }
    const mig = /^\s*MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line);
    if (!mig || gpu === null) continue;
    const memory = migMemoryMiB(mig[1]!);
    if (memory === null) continue;
    instances.push({ gpuIndex: gpu, device: Number(mig[2]), uuid: mig[3]!, profile: mig[1]!, memoryMiB: memory });
  }
  return instances;
}
