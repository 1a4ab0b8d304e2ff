// Host choice for one request. Only hosts that are usable and have the model qualify. A host where
// the model is already resident and that is idle wins outright (no load time, no queue). Otherwise
// the least loaded host wins, load being outstanding requests over capacity (weight × cap),
// scaled by its EWMA latency; ties go to the injected `random`, so tests are deterministic.

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

export function selectHost(hosts: readonly HostView[], model: string, random: () => number, exclude?: ReadonlySet<string>): Selection | undefined {
  let idleResident: HostView[] | undefined;
  let best: HostView | undefined;
  let bestScore = Infinity;
  let ties = 0;
  for (const host of hosts) {
    if (!host.usable || exclude?.has(host.name) || !host.hasModel(model)) continue;
    const outstanding = host.inFlight + host.queued;
    if (outstanding === 0 && host.isResident(model)) {
      (idleResident ??= []).push(host);
      continue;
    }
    const latency = host.ewmaLatencyMs ?? 1;
    // Residency counts for a lot: a cold model costs a load of seconds.
    const residency = host.isResident(model) ? 1 : 4;
    const score = ((outstanding + 1) / (host.weight * host.maxConcurrent)) * Math.max(1, latency) * residency;
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
