// Placement: the device (GPU or MIG instance) with the most free memory, if the estimate plus a
// safety margin fits there; otherwise a refusal that shows the arithmetic; with no GPU, the CPU if
// the request allows it.
import { gib, type MemoryEstimate } from './memory-estimate.js';
import type { Device, GpuInventory } from './nvidia-smi-run.js';

/** Fraction added to the estimate for fragmentation and temporaries the estimate leaves out. */
export const defaultSafetyMargin = 0.1;

export type Placement =
  | { decision: 'gpu'; device: Device; needBytes: number; message: string }
  | { decision: 'refused'; needBytes: number; message: string }
  | { decision: 'cpu'; needBytes: number; message: string };

const MiB = 1024 * 1024;

function arithmetic(estimate: MemoryEstimate, margin: number, needBytes: number): string {
  return (
    `need ${gib(needBytes)} GiB = (weights ${gib(estimate.weightsBytes)} + gradients ${gib(estimate.gradientsBytes)}` +
    ` + optimiser ${gib(estimate.optimizerBytes)} + activations ${gib(estimate.activationsBytes)}` +
    ` + overhead ${gib(estimate.overheadBytes)} = ${gib(estimate.totalBytes)} GiB) × ${(1 + margin).toFixed(2)} safety margin`
  );
}

export function placeTraining(
  inventory: GpuInventory,
  estimate: MemoryEstimate,
  options: { safetyMargin?: number; allowCpu?: boolean } = {},
): Placement {
  const margin = options.safetyMargin ?? defaultSafetyMargin;
  const needBytes = Math.ceil(estimate.totalBytes * (1 + margin));
  const need = arithmetic(estimate, margin, needBytes);
  if (!inventory.ok) {
    const cpu = `no GPU: ${inventory.reason}; the job would run on CPU`;
    return options.allowCpu
      ? { decision: 'cpu', needBytes, message: `${cpu}, which the request allows; on a GPU it would ${need}` }
      : {
          decision: 'refused',
          needBytes,
          message: `${cpu}, which the request does not allow (set allowCpu to accept it); ${need}`,
        };
  }
  const known = inventory.devices.filter((d) => d.freeMiB !== null);
  if (known.length === 0)
    return {
      decision: 'refused',
      needBytes,
      message: `${need}; no device reports its free memory (${inventory.devices.map((d) => d.label).join(', ')})`,
    };
  // Most free first; ties go to the lower index so the choice is stable.
  const best = [...known].sort((a, b) => b.freeMiB! - a.freeMiB! || a.gpuIndex - b.gpuIndex)[0]!;
  const freeBytes = best.freeMiB! * MiB;
  const where = `${best.label} (${best.name})`;
  if (freeBytes >= needBytes)
    return {
      decision: 'gpu',
      device: best,
      needBytes,
      message: `place on ${where}: ${need}; it has ${gib(freeBytes)} GiB free, the most of ${known.length} device(s)`,
    };
  return {
    decision: 'refused',
    needBytes,
    message: `does not fit: ${need}; the largest free is ${gib(freeBytes)} GiB on ${where}`,
  };
}
