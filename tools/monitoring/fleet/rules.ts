// Per-profile classification rules as data, versioned with the fleet contract: the thresholds,
// durations and time-of-day window each state is decided by. Profiles differ for real (an ML host
// runs its CPUs flat out; a database is in trouble sooner when its disk fills). The rules are checked
// against the contract when loaded, and so are a config's overrides: an unknown profile or state is
// refused with the contract's hash.
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { checkProfile, checkState, contractHash, fleetContract, type Profile, type State } from './contract.js';

const fraction = (what: string) => z.number().min(0).max(1).describe(what);
const minutes = (what: string) => z.number().min(0).max(10080).describe(what);
const clock = (what: string) =>
  z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a local time HH:MM, e.g. "07:30"')
    .describe(what);

export const profileThresholdsSchema = z.object({
  criticalCpu: fraction('CPU use above which, held criticalForMinutes, the server is critical_issue.'),
  criticalMemory: fraction('Memory use (1 − available/total) for critical_issue.'),
  criticalDisk: fraction('Fullest filesystem use (1 − avail/size) for critical_issue.'),
  criticalNetErrors: z.number().min(0).describe('Network errors per second for critical_issue.'),
  criticalForMinutes: minutes('How long a critical condition must hold, e.g. 5.'),
  heavyCpu: fraction('CPU use for heavy_load.'),
  heavyMemory: fraction('Memory use for heavy_load.'),
  heavyLoad: z.number().min(0).describe('load1 per CPU core for heavy_load, e.g. 1.5.'),
  heavyForMinutes: minutes('How long a heavy-load condition must hold, e.g. 10.'),
  idleCpu: fraction('CPU use below which, held idleForMinutes, the server is idle.'),
  idleForMinutes: minutes('How long CPU must stay below idleCpu, e.g. 30.'),
  spikeBaselineCpu: fraction("The profile's CPU baseline; above it inside the morning window is morning_spike."),
  spikeForMinutes: minutes('How long CPU must stay above the baseline in the window, e.g. 10.'),
  spikeFrom: clock('Start of the morning window, local time, e.g. "07:30".'),
  spikeTo: clock('End of the morning window (exclusive), local time, e.g. "10:00".'),
  recoveryMinutes: minutes('A server critical within this many minutes and no longer is in recovery.'),
  offlineAfterMinutes: minutes('No sample for this long (or the target down) means offline.'),
});
export type ProfileThresholds = z.infer<typeof profileThresholdsSchema>;

const generic: ProfileThresholds = {
  criticalCpu: 0.97,
  criticalMemory: 0.95,
  criticalDisk: 0.95,
  criticalNetErrors: 50,
  criticalForMinutes: 5,
  heavyCpu: 0.85,
  heavyMemory: 0.9,
  heavyLoad: 1.5,
  heavyForMinutes: 10,
  idleCpu: 0.05,
  idleForMinutes: 30,
  spikeBaselineCpu: 0.5,
  spikeForMinutes: 10,
  spikeFrom: '07:30',
  spikeTo: '10:00',
  recoveryMinutes: 30,
  offlineAfterMinutes: 10,
};

/** The declared rules, version 1.0.0 for contract 1.0.0. */
export const defaultFleetRules = {
  version: '1.0.0',
  contractVersion: fleetContract.version,
  contractHash,
  /** Which state wins when several apply, first first. */
  precedence: [
    'maintenance',
    'offline',
    'critical_issue',
    'recovery',
    'morning_spike',
    'heavy_load',
    'idle',
    'healthy',
  ] as State[],
  profiles: {
    generic,
    // Training and inference hosts run their CPUs flat out by design; only sustained saturation counts.
    ml_compute: {
      ...generic,
      criticalCpu: 0.995,
      heavyCpu: 0.95,
      criticalMemory: 0.97,
      idleCpu: 0.02,
      spikeBaselineCpu: 0.7,
    },
    // A database caches in memory (high use is normal) but a filling disk is an incident early.
    database: {
      ...generic,
      criticalDisk: 0.85,
      criticalMemory: 0.98,
      heavyMemory: 0.95,
      heavyCpu: 0.75,
      heavyLoad: 1.2,
    },
    // Front ends: latency suffers early, and network errors matter sooner.
    web_api: { ...generic, criticalCpu: 0.95, heavyCpu: 0.8, criticalNetErrors: 20, spikeBaselineCpu: 0.4 },
    // Control plane: small, should stay calm.
    conductor_mgmt: { ...generic, criticalCpu: 0.9, heavyCpu: 0.7, idleCpu: 0.03, criticalForMinutes: 3 },
    // Ingest bursts on the network and writes to disk constantly.
    data_ingest: { ...generic, criticalDisk: 0.9, criticalNetErrors: 100, heavyLoad: 2, idleForMinutes: 60 },
    // Risk batches run before the market opens.
    risk_analytics: { ...generic, criticalCpu: 0.98, spikeBaselineCpu: 0.6, spikeFrom: '07:00', spikeTo: '09:30' },
  } as Record<Profile, ProfileThresholds>,
};
export type FleetRules = typeof defaultFleetRules;

const rulesSchema = z.object({
  version: z.string(),
  contractVersion: z.string(),
  contractHash: z.string(),
  precedence: z.array(z.string()),
  profiles: z.record(z.string(), profileThresholdsSchema),
});

/** Checks a rules document against the contract: every profile and state known, all of each present. */
export function validateRules(value: unknown, field = 'rules'): FleetRules {
  const parsed = rulesSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError([field, ...issue.path].join('.'), `${issue.message}; see profileThresholdsSchema`);
  }
  const rules = parsed.data;
  if (rules.contractHash !== contractHash)
    throw new InputError(
      `${field}.contractHash`,
      `the rules were declared for contract v${rules.contractVersion} (hash ${rules.contractHash.slice(0, 12)}) but this is contract v${fleetContract.version} (hash ${contractHash.slice(0, 12)}); redeclare them for this contract`,
    );
  for (const profile of Object.keys(rules.profiles)) checkProfile(profile, `${field}.profiles.${profile}`);
  const missing = fleetContract.profiles.filter((p) => !(p in rules.profiles));
  if (missing.length > 0)
    throw new InputError(`${field}.profiles`, `no rules for ${missing.join(', ')}; every contract profile needs rules`);
  rules.precedence.forEach((s, i) => checkState(s, `${field}.precedence.${i}`));
  const absent = fleetContract.states.filter((s) => !rules.precedence.includes(s));
  if (absent.length > 0 || rules.precedence.length !== fleetContract.states.length)
    throw new InputError(
      `${field}.precedence`,
      `must list each of the 8 states once; missing ${absent.join(', ') || 'none'}`,
    );
  return rules as FleetRules;
}

/** Config overrides: per profile, any subset of the thresholds. */
export const fleetRulesOverrideSchema = z
  .record(z.string(), profileThresholdsSchema.partial())
  .describe('Threshold overrides per contract profile, e.g. {"database": {"criticalDisk": 0.8}}.');
export type FleetRulesOverride = z.infer<typeof fleetRulesOverrideSchema>;

/** The declared rules with overrides applied; an override for an unknown profile is refused with the hash. */
export function rulesWithOverrides(
  overrides: FleetRulesOverride | undefined,
  field = 'monitoring.fleet.thresholds',
  base: FleetRules = defaultFleetRules,
): FleetRules {
  if (!overrides || Object.keys(overrides).length === 0) return base;
  const profiles = { ...base.profiles };
  for (const [profile, values] of Object.entries(overrides)) {
    const known = checkProfile(profile, `${field}.${profile}`);
    const merged = profileThresholdsSchema.safeParse({ ...profiles[known], ...values });
    if (!merged.success) {
      const issue = merged.error.issues[0]!;
      throw new InputError([field, profile, ...issue.path].join('.'), issue.message);
    }
    profiles[known] = merged.data;
  }
  return validateRules({ ...base, profiles }, field);
}

validateRules(defaultFleetRules, 'defaultFleetRules');
