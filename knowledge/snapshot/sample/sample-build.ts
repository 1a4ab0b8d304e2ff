// The sample knowledge base as a snapshot: the ordinary build pipeline, run with the providers
// pointed at the shipped recordings (a replay, no network) and limited to the tasks those
// recordings answer, in a data dir of its own so the user's cache and snapshot history stay
// untouched. The snapshot's manifest says it is a sample, which recordings it holds, where each was
// taken from and when it was recorded.
import { providers, type Provider } from '../catalogue/statistics.js';
import { buildSnapshot, type BuildProgress, type BuildResult } from '../build.js';
import type { ProviderSettings } from '../ingest.js';
import { readSnapshot, type SampleLabel } from '../snapshot-archive.js';
import { KnowledgeError } from '../../knowledge-error.js';
import { loadRecordings } from './recordings.js';
import { ReplayClient } from './replay-client.js';

export interface SampleBuildOptions {
  /** The folder holding recordings.json and the recorded answers. */
  recordingsDirectory: string;
  /** The sample build's own data dir (its builds, cache and snapshot). */
  dataDir: string;
  codeVersion: string;
  now?: () => Date;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
}

export interface SampleBuildResult extends BuildResult {
  sample: SampleLabel;
  /** The recorded answers the build was served, by URL as the parsers asked for them. */
  served: { provider: Provider; url: string; file: string }[];
}

export async function buildSampleSnapshot(options: SampleBuildOptions): Promise<SampleBuildResult> {
  const recordings = await loadRecordings(options.recordingsDirectory);
  const client = new ReplayClient(recordings);
  const sample: SampleLabel = {
    label: recordings.label,
    tasks: recordings.recordings.flatMap((r) => r.countries.map((iso3) => `${iso3}|${r.stat}`)).sort(),
    recordings: recordings.recordings.map((r) => ({
      id: r.id,
      provider: r.provider,
      stat: r.stat,
      countries: r.countries,
      recordedAt: r.recordedAt,
      requests: r.answers.map((a) => a.request),
      files: r.answers.map((a) => ({ file: a.file, sha256: a.sha256 })),
      source: r.source,
    })),
    notShipped: recordings.notShipped,
  };
  // Keyed providers need a key to build their URLs; the replay ignores it.
  const settings = Object.fromEntries(
    providers.map((p) => [p, { enabled: true, apiKey: 'recorded-answer' } satisfies Partial<ProviderSettings>]),
  ) as Partial<Record<Provider, ProviderSettings>>;
  const result = await buildSnapshot({
    dataDir: options.dataDir,
    providers: settings,
    client,
    startYear: recordings.window.startYear,
    endYear: recordings.window.endYear,
    skipLlm: true,
    sample,
    codeVersion: options.codeVersion,
    ...(options.now ? { now: options.now } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  await requireComplete(result.snapshot, sample.tasks);
  return { ...result, sample, served: client.served };
}

/** The sample claims its tasks: each must have come out of its recording with rows, or no sample. */
async function requireComplete(snapshot: string, claimed: readonly string[]): Promise<void> {
  const tasks = JSON.parse((await readSnapshot(snapshot, ['tasks.json'])).get('tasks.json')!.toString('utf8')) as {
    country: string;
    stat: string;
    status: string;
    rows: number;
    detail?: string;
  }[];
  const outcome = new Map(tasks.map((t) => [`${t.country}|${t.stat}`, t]));
  const short = claimed.filter((key) => outcome.get(key)?.status !== 'fetched' || !(outcome.get(key)!.rows > 0));
  if (short.length)
    throw new KnowledgeError(
      'UNAVAILABLE',
      `the sample's recordings did not give ${short
        .map(
          (key) =>
            `${key} (${outcome.get(key)?.status ?? 'no task'}${outcome.get(key)?.detail ? `: ${outcome.get(key)!.detail}` : ''})`,
        )
        .join(', ')}; the sample is not loaded incomplete`,
    );
}
