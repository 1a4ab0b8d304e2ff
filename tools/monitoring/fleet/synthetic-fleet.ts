// A synthetic fleet for tests and the bench: seeded, with daily and weekly seasonality (business
// hours, a morning bump, quieter weekends), a slow trend, AR(1) noise, and injected incidents
// (spikes that last tens of minutes, and level shifts that stay). Columnar Float64Arrays, so a
// 1,000-server week fits in memory and classifies without building objects.
import { fleetContract, type Profile } from './contract.js';

/** mulberry32: a small seeded generator, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface Incident {
  server: string;
  kind: 'spike' | 'level_shift';
  startIndex: number;
  endIndex: number;
  size: number;
}

export interface SyntheticServer {
  name: string;
  profile: Profile;
  cpu: Float64Array;
  memory: Float64Array;
  disk: Float64Array;
  load: Float64Array;
  netErrors: Float64Array;
}

export interface SyntheticFleet {
  start: number;
  stepMinutes: number;
  t: Float64Array;
  servers: SyntheticServer[];
  incidents: Incident[];
}

export interface FleetSpec {
  servers: number;
  days: number;
  stepMinutes?: number;
  seed?: number;
  /** UTC ms of the first sample; default Monday 2026-11-02 00:00 UTC. */
  start?: number;
  /** Chance per server of a spike and (separately) of a level shift; default 0.3 and 0.15. */
  spikeRate?: number;
  shiftRate?: number;
}

const baseCpu: Record<Profile, number> = {
  ml_compute: 0.55,
  database: 0.3,
  web_api: 0.25,
  conductor_mgmt: 0.12,
  data_ingest: 0.35,
  risk_analytics: 0.2,
  generic: 0.2,
};

const clamp = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Business-hours shape in [0, 1] with a morning bump around 09:00. */
function dailyShape(hour: number): number {
  const day = 0.5 * (1 - Math.cos((2 * Math.PI * (hour - 4)) / 24));
  const morning = Math.exp(-(((hour - 9) / 1.2) ** 2));
  return 0.7 * day + 0.3 * morning;
}

export function generateFleet(spec: FleetSpec): SyntheticFleet {
  const stepMinutes = spec.stepMinutes ?? 5;
  const random = seededRandom(spec.seed ?? 1);
  const start = spec.start ?? Date.UTC(2026, 10, 2);
  const n = Math.round((spec.days * 24 * 60) / stepMinutes);
  const t = new Float64Array(n);
  const hour = new Float64Array(n);
  const weekend = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    t[i] = start + i * stepMinutes * 60_000;
    const d = new Date(t[i]!);
    hour[i] = d.getUTCHours() + d.getUTCMinutes() / 60;
    weekend[i] = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 1 : 0;
  }
  const servers: SyntheticServer[] = [];
  const incidents: Incident[] = [];
  for (let s = 0; s < spec.servers; s++) {
    const profile = fleetContract.profiles[s % fleetContract.profiles.length]!;
    const name = `${profile.replace('_', '-')}-${String(s).padStart(4, '0')}`;
    const base = baseCpu[profile] * (0.8 + 0.4 * random());
    const amplitude = 0.25 * (0.6 + 0.8 * random());
    const slope = (random() - 0.5) * 0.01; // per day
    const memoryBase = 0.4 + 0.2 * random();
    const diskBase = 0.3 + 0.3 * random();
    const offsets = new Float64Array(n);
    if (random() < (spec.spikeRate ?? 0.3)) {
      const at = Math.floor(n * (0.2 + 0.75 * random()));
      const length = Math.round((20 + 70 * random()) / stepMinutes);
      const size = 0.3 + 0.2 * random();
      for (let i = at; i < Math.min(n, at + length); i++) offsets[i] = offsets[i]! + size;
      incidents.push({ server: name, kind: 'spike', startIndex: at, endIndex: Math.min(n, at + length), size });
    }
    if (random() < (spec.shiftRate ?? 0.15)) {
      const at = Math.floor(n * (0.3 + 0.5 * random()));
      const size = (random() < 0.5 ? -1 : 1) * (0.05 + 0.1 * random());
      for (let i = at; i < n; i++) offsets[i] = offsets[i]! + size;
      incidents.push({ server: name, kind: 'level_shift', startIndex: at, endIndex: n, size });
    }
    const cpu = new Float64Array(n);
    const memory = new Float64Array(n);
    const disk = new Float64Array(n);
    const load = new Float64Array(n);
    const netErrors = new Float64Array(n);
    let noise = 0;
    let memoryNoise = 0;
    for (let i = 0; i < n; i++) {
      const days = i / (n / spec.days);
      noise = 0.6 * noise + 0.03 * gaussian(random);
      memoryNoise = 0.9 * memoryNoise + 0.005 * gaussian(random);
      const seasonal = amplitude * dailyShape(hour[i]!) * (weekend[i] ? 0.4 : 1);
      cpu[i] = clamp(base + seasonal + slope * days + noise + offsets[i]!);
      memory[i] = clamp(memoryBase + 0.3 * seasonal + 0.002 * days + memoryNoise + 0.5 * offsets[i]!);
      disk[i] = clamp(diskBase + 0.004 * days + 0.002 * gaussian(random));
      load[i] = Math.max(0, cpu[i]! * 1.3 + 0.05 * gaussian(random));
      netErrors[i] = Math.max(0, 0.5 * gaussian(random) + (offsets[i]! > 0.2 ? 30 * offsets[i]! : 0));
    }
    servers.push({ name, profile, cpu, memory, disk, load, netErrors });
  }
  return { start, stepMinutes, t, servers, incidents };
}
