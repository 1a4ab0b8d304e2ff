// The fleet data contract of the seed system (v1.0.0) as data: 7 server profiles, 8 health states,
// and the features a fleet model reads. Every boundary (config, classifier, model input and output,
// tool results) checks values against it; a refusal names the contract's version and hash, so a
// component built for another contract says so instead of failing later (the seed's [8, 5] vs [7, 5]).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../../errors.js';

export const fleetContract = {
  version: '1.0.0',
  profiles: ['ml_compute', 'database', 'web_api', 'conductor_mgmt', 'data_ingest', 'risk_analytics', 'generic'],
  states: ['critical_issue', 'healthy', 'heavy_load', 'idle', 'maintenance', 'morning_spike', 'offline', 'recovery'],
  /** The per-server features a fleet model reads, in this order (fractions 0..1, load per core, errors/s). */
  modelFeatures: ['cpu', 'memory', 'disk', 'load', 'netErrors'],
} as const;

export type Profile = (typeof fleetContract.profiles)[number];
export type State = (typeof fleetContract.states)[number];
export type Metric = (typeof fleetContract.modelFeatures)[number];
export const metrics: readonly Metric[] = fleetContract.modelFeatures;

/** JSON with object keys sorted at every level, so the hash does not depend on declaration order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** SHA-256 (hex) of the contract's canonical JSON. */
export const contractHash = sha256(canonicalJson(fleetContract));
/** How messages name the contract: `contract v1.0.0 (hash 3f2a…, first 12 hex)`. */
export const contractLabel = `contract v${fleetContract.version} (hash ${contractHash.slice(0, 12)})`;

/** A server's stable id, as the seed encoded it: SHA-256 hex of its name. */
export function serverId(name: string): string {
  return sha256(name);
}

const profileSet = new Set<string>(fleetContract.profiles);
const stateSet = new Set<string>(fleetContract.states);

export const isProfile = (value: unknown): value is Profile => typeof value === 'string' && profileSet.has(value);
export const isState = (value: unknown): value is State => typeof value === 'string' && stateSet.has(value);

const shown = (value: unknown) => (typeof value === 'string' ? `"${value.slice(0, 60)}"` : String(value).slice(0, 60));

function refusal(kind: 'profile' | 'state', value: unknown): string {
  const valid = kind === 'profile' ? fleetContract.profiles : fleetContract.states;
  return `${shown(value)} is not a ${kind} of the fleet ${contractLabel}; use one of ${valid.join(', ')}`;
}

export function checkProfile(value: unknown, field: string): Profile {
  if (!isProfile(value)) throw new InputError(field, refusal('profile', value));
  return value;
}

export function checkState(value: unknown, field: string): State {
  if (!isState(value)) throw new InputError(field, refusal('state', value));
  return value;
}

/** Zod schemas for tool boundaries; their messages carry the contract hash as checkProfile's do. */
export const profileSchema = z.enum(fleetContract.profiles, {
  error: (issue) => refusal('profile', issue.input),
});
export const stateSchema = z.enum(fleetContract.states, {
  error: (issue) => refusal('state', issue.input),
});

/** The contract as tools report it. */
export const contractSummarySchema = z.object({
  version: z.string(),
  hash: z.string().describe('SHA-256 of the contract canonical JSON'),
  profiles: z.array(z.string()),
  states: z.array(z.string()),
});
export function contractSummary(): z.infer<typeof contractSummarySchema> {
  return {
    version: fleetContract.version,
    hash: contractHash,
    profiles: [...fleetContract.profiles],
    states: [...fleetContract.states],
  };
}
