// The parts of a submit that are checked and shown before anything starts: where the job runs and
// writes (inside the allowed roots), the dataset it reads (its manifest, summarised), and how long
// earlier runs of the same name took. Nothing here starts a process or writes a file.
import path from 'node:path';
import { InputError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import type { JobRecord } from './executor.js';
import { resolveDataset } from '../datasets/dataset-ref.js';

/**
 * An output directory inside the roots; it need not exist yet. Its nearest existing ancestor is
 * resolved (links included) and must lie inside a root; the rest is appended as given.
 */
export async function resolveOutputDirectory(requested: string, roots: readonly string[]): Promise<string> {
  const base = roots[0];
  if (!base) throw new InputError('outputDir', 'no allowed roots are configured; set CAELUM_ALLOWED_ROOTS');
  const wanted = path.resolve(base, requested);
  const missing: string[] = [];
  let current = wanted;
  for (;;) {
    try {
      const resolved = await resolveInsideRoots(current, roots, 'outputDir');
      if (!resolved.isDirectory)
        throw new InputError('outputDir', `${requested}: ${current} is a file; pass a directory`);
      return path.join(resolved.absolute, ...missing.reverse());
    } catch (error) {
      const parent = path.dirname(current);
      const absent = error instanceof InputError && error.message.includes('does not exist');
      if (!absent || parent === current) throw error;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}

export async function resolveWorkingDirectory(
  requested: string | undefined,
  roots: readonly string[],
): Promise<string> {
  const resolved = await resolveInsideRoots(requested ?? '.', roots, 'cwd');
  if (!resolved.isDirectory) throw new InputError('cwd', `${requested} is a file; pass a directory`);
  return resolved.absolute;
}

export interface DatasetSummary {
  directory: string;
  name?: string | undefined;
  rows?: number | undefined;
  dimension?: number | undefined;
  codeDimension?: number | undefined;
  context?: number | undefined;
  splits?: Record<string, number> | undefined;
  source?: string | undefined;
  createdAt?: string | undefined;
}

interface Manifest {
  name?: string;
  rows?: number;
  dimension?: number;
  codeDimension?: number;
  context?: number;
  splits?: Record<string, number>;
  source?: { kind?: string; table?: string };
  createdAt?: string;
}

/**
 * The manifest of a dataset, summarised: a bare name (prepared into <dataDir>/ml-training/datasets,
 * else a directory in the first root), a directory inside the roots, or the absolute directory
 * prepareDataset returned (see resolveDataset).
 */
export async function datasetSummary(
  requested: string,
  roots: readonly string[],
  dataDir: string,
): Promise<DatasetSummary> {
  const found = await resolveDataset(requested, { allowedRoots: roots, dataDir });
  const directory = found.directory;
  const manifest = found.manifest as Manifest;
  return {
    directory,
    name: manifest.name,
    rows: manifest.rows,
    dimension: manifest.dimension,
    codeDimension: manifest.codeDimension,
    context: manifest.context,
    splits: manifest.splits,
    source: manifest.source?.kind
      ? `${manifest.source.kind}${manifest.source.table ? ` ${manifest.source.table}` : ''}`
      : undefined,
    createdAt: manifest.createdAt,
  };
}

/** The median duration of earlier SUCCEEDED jobs of this name; undefined with no history. */
export function durationFromHistory(
  jobs: readonly JobRecord[],
  name: string,
): { medianMs: number; runs: number } | undefined {
  const durations = jobs
    .filter((j) => j.name === name && j.state === 'SUCCEEDED' && j.startedAt && j.endedAt)
    .map((j) => Date.parse(j.endedAt!) - Date.parse(j.startedAt!))
    .filter((ms) => Number.isFinite(ms) && ms >= 0)
    .sort((a, b) => a - b);
  if (durations.length === 0) return undefined;
  const middle = Math.floor(durations.length / 2);
  const medianMs =
    durations.length % 2 === 1 ? durations[middle]! : Math.round((durations[middle - 1]! + durations[middle]!) / 2);
  return { medianMs, runs: durations.length };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}
