// Host choice for one request. Only hosts that are usable and have the model qualify. A host where
// the model is already resident and that is idle wins outright (no load time, no queue). Otherwise
// the host with the lowest expected completion time wins: outstanding requests over capacity
// (weight × cap) times its EWMA latency, plus the load time of a model that is not resident.
// A host with no latency history is assumed as fast as the average known host. Ties go to the
// injected `random`, so tests are deterministic.

export interface HostView {
  name: string;
  usable: boolean;
  hasModel: (model: string) => boolean;
  isResident: (model: string) => boolean;
  inFlight: number;
  queued: number;
  weight: number;
  maxConcurrent: number;
  /** Exponentially weighted moving average of call latency, ms; undefined before any call. */
  ewmaLatencyMs: number | undefined;
}

export interface Selection {
  host: HostView;
  reason: 'resident-idle' | 'least-loaded';
}

/** What loading a model that is not resident costs, in ms: Ollama loads take seconds. */
export const coldLoadMs = 3000;
const unknownLatencyMs = 500;

export function selectHost(
  hosts: readonly HostView[],
  model: string,
  random: () => number,
  exclude?: ReadonlySet<string>,
): Selection | undefined {
  let idleResident: HostView[] | undefined;
  let best: HostView | undefined;
  let bestScore = Infinity;
  let ties = 0;
  let known = 0;
  let knownSum = 0;
  for (const host of hosts) {
    if (host.ewmaLatencyMs !== undefined) {
      known++;
      knownSum += host.ewmaLatencyMs;
    }
  }
  const fallbackLatency = known ? knownSum / known : unknownLatencyMs;
  for (const host of hosts) {
    if (!host.usable || exclude?.has(host.name) || !host.hasModel(model)) continue;
    const outstanding = host.inFlight + host.queued;
    const resident = host.isResident(model);
    if (outstanding === 0 && resident) {
      (idleResident ??= []).push(host);
      continue;
    }
    const latency = Math.max(1, host.ewmaLatencyMs ?? fallbackLatency);
    const score = ((outstanding + 1) / (host.weight * host.maxConcurrent)) * latency + (resident ? 0 : coldLoadMs);
    if (score < bestScore) {
      best = host;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore) {
      ties++;
      if (random() * ties < 1) best = host; // reservoir choice among equals
    }
  }
  if (idleResident) return { host: idleResident[Math.floor(random() * idleResident.length)]!, reason: 'resident-idle' };
  return best ? { host: best, reason: 'least-loaded' } : undefined;
}

/** Updates an EWMA with a new sample. */
export function ewma(previous: number | undefined, sample: number, alpha = 0.2): number {
  return previous === undefined ? sample : previous + alpha * (sample - previous);
}
