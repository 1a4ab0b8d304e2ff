// A build's directory and its state file. Every build lives in <dataDir>/kb/builds/<buildId>/ with
// state.json (phases done, options, config hash) and one checkpoint file per country, corridor or
// phase. `--resume` picks the newest unfinished build with the same config hash.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readJson, writeJsonAtomic } from './atomic-file.js';
import type { Coverage } from './coverage.js';

export const phases = ['ingest', 'derive', 'llm_stats', 'llm_edges', 'hmm', 'graph', 'snapshot', 'outputs'] as const;
export type Phase = (typeof phases)[number];

export interface BuildState {
  buildId: string;
  configHash: string;
  /** `partial`: finished, but a phase fell short of the minimum coverage (see `coverage`). */
  status: 'running' | 'done' | 'partial' | 'failed' | 'cancelled';
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  pid: number;
  mode: { offline: boolean; skipIngestion: boolean; skipLlm: boolean };
  window: { startYear: number; endYear: number };
  phases: Partial<Record<Phase, { status: 'done' | 'skipped'; ms: number; note?: string }>>;
  /** Time spent in each phase across every run of this build (a resumed phase adds up). */
  timingsMs: Partial<Record<Phase, number>>;
  current?: { phase: Phase; done: number; total: number; message: string };
  snapshotName?: string;
  error?: string;
  coverage?: Coverage;
  resumedFrom?: number;
  notes: string[];
}

export const kbDirectory = (dataDir: string) => path.join(dataDir, 'kb');
export const buildsDirectory = (dataDir: string) => path.join(kbDirectory(dataDir), 'builds');
export const snapshotsDirectory = (dataDir: string) => path.join(kbDirectory(dataDir), 'snapshots');
export const outputsDirectory = (dataDir: string) => path.join(kbDirectory(dataDir), 'outputs');
export const cacheDirectory = (dataDir: string) => path.join(kbDirectory(dataDir), 'cache');

export function newBuildId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

export async function readBuildState(directory: string): Promise<BuildState | undefined> {
  return readJson<BuildState>(path.join(directory, 'state.json'));
}

export async function writeBuildState(directory: string, state: BuildState): Promise<void> {
  await writeJsonAtomic(path.join(directory, 'state.json'), state);
}

/** Every build with its state, newest first. */
export async function listBuilds(dataDir: string): Promise<{ directory: string; state: BuildState }[]> {
  let names: string[];
  try {
    names = await readdir(buildsDirectory(dataDir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const builds: { directory: string; state: BuildState }[] = [];
  for (const name of names.sort().reverse()) {
    const directory = path.join(buildsDirectory(dataDir), name);
    const state = await readBuildState(directory).catch(() => undefined);
    if (state) builds.push({ directory, state });
  }
  return builds;
}

/** Is the process that owns a running build still alive? A killed build shows as resumable. */
export function ownerAlive(state: BuildState): boolean {
  if (state.pid === process.pid) return true;
  try {
    process.kill(state.pid, 0);
    return true;
  } catch {
    return false;
  }
}
