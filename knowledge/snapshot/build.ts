// The snapshot build: ingest → derive → LLM stats → LLM edges → HMM → graph → snapshot → outputs.
// Every phase, and every country (or corridor) within a phase, checkpoints atomically into the
// build's directory, so a build killed at any point resumes (`resume: true`) where it stopped and
// produces the same data files as an uninterrupted build. Long loops yield to the event loop and
// honour the abort signal.
import { groupBy } from './group-by.js';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { openKuzuStore } from '../graph/kuzu-store.js';
import { countries } from './catalogue/countries.js';
import { corridors, seedContagion, tradeEdges } from './catalogue/corridors.js';
import {
  apiStatistics,
  derivedStatistics,
  llmStatistics,
  providers,
  statistics,
  type Provider,
} from './catalogue/statistics.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from './atomic-file.js';
import {
  buildsDirectory,
  cacheDirectory,
  listBuilds,
  newBuildId,
  outputsDirectory,
  ownerAlive,
  phases,
  snapshotsDirectory,
  writeBuildState,
  type BuildState,
  type Phase,
} from './build-state.js';
import { toColumnar } from './columnar.js';
import {
  CoverageError,
  defaultMinCoverage,
  ingestCoverage,
  llmCoverage,
  verdict,
  type Coverage,
  type PhaseCoverage,
} from './coverage.js';
import { dailyOutputs, type ScannerSignals } from './daily-outputs.js';
import { readRequests, sourceSummary, sumDropped } from './source-records.js';
import { deriveStatistics } from './derive.js';
import { buildGraph, contagionEdges, graphData } from './graph-build.js';
import { defaultBaseUrls, ingest, providerNotes, type CountryIngest, type ProviderSettings } from './ingest.js';
import {
  corridorRequests,
  inferCorridorEdges,
  inferCountryStats,
  type CompleteJson,
  type InferredEdge,
  type InferredStat,
} from './llm-inference.js';
import { ObservationCache } from './observation-cache.js';
import { compareObservations, type Observation } from './observation.js';
import { fitCountryRegime, type CountryRegime } from './regimes/country-regimes.js';
import {
  listSnapshots,
  nextSnapshotName,
  readSnapshot,
  snapshotSchemaVersion,
  writeSnapshot,
  type SampleLabel,
  type SnapshotManifest,
} from './snapshot-archive.js';
import { previousUsable } from './snapshot-coverage.js';
import { SourceClient, type SourceClientOptions } from './source-client.js';

export interface BuildProgress {
  phase: Phase;
  phaseIndex: number;
  phases: number;
  done: number;
  total: number;
  message: string;
}

export interface BuildOptions {
  dataDir: string;
  providers?: Partial<Record<Provider, ProviderSettings>>;
  startYear?: number;
  endYear?: number;
  resume?: boolean;
  skipLlm?: boolean;
  /** No network at all: observations and LLM answers come from the caches. */
  offline?: boolean;
  /** Observations from the cache whatever their age; the LLM phases still run. */
  skipIngestion?: boolean;
  /** The LLM; without it the LLM phases are skipped with `llmUnavailable` as the reason. */
  complete?: CompleteJson;
  llmUnavailable?: string;
  /** LLM answers younger than this are reused instead of asked again. */
  llmCacheDays?: number;
  codeVersion: string;
  now?: () => Date;
  client?: SourceClient;
  clientOptions?: SourceClientOptions;
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
  /** Called with the build id as soon as it is known (before any work). */
  onStart?: (buildId: string, directory: string) => void;
  hmmRestarts?: number;
  /** Share of each phase's tasks that must come back for the build to be `done` (default 0.5). */
  minCoverage?: number;
  /** A sample build: only the recorded tasks run, and the manifest carries the label and sources. */
  sample?: SampleLabel;
}

export interface BuildResult {
  buildId: string;
  directory: string;
  snapshot: string;
  manifest: SnapshotManifest;
  /** `partial` when a phase fell short of the minimum share; the snapshot then carries no daily outputs. */
  coverage: Coverage;
  signals?: ScannerSignals;
  outputs?: { signals: string; report: string; alerts: string };
  resumed: boolean;
  notes: string[];
}

type CompactObservation = [string, string, string, string, number, string, string, string, string, string, string];
const compact = (o: Observation): CompactObservation => [
  o.country,
  o.stat,
  o.period,
  o.date,
  o.value,
  o.unit,
  o.frequency,
  o.provider,
  o.series,
  o.url,
  o.fetchedAt,
];
const expand = (c: CompactObservation): Observation => ({
  country: c[0],
  stat: c[1],
  period: c[2],
  date: c[3],
  value: c[4],
  unit: c[5],
  frequency: c[6] as Observation['frequency'],
  provider: c[7] as Observation['provider'],
  series: c[8],
  url: c[9],
  fetchedAt: c[10],
});

export const catalogueHash = createHash('sha256')
  .update(JSON.stringify({ countries, statistics, corridors }))
  .digest('hex');

function settingsFor(options: BuildOptions): Record<Provider, ProviderSettings> {
  return Object.fromEntries(
    providers.map((p) => [p, { baseUrl: defaultBaseUrls[p], ...options.providers?.[p] }]),
  ) as Record<Provider, ProviderSettings>;
}

function configHashOf(
  options: BuildOptions,
  window: { startYear: number; endYear: number },
  settings: Record<Provider, ProviderSettings>,
): string {
  const sources = Object.fromEntries(
    Object.entries(settings).map(([p, s]) => [
      p,
      { baseUrl: s.baseUrl, enabled: s.enabled !== false, keyed: Boolean(s.apiKey) },
    ]),
  );
  return createHash('sha256')
    .update(
      JSON.stringify({
        catalogueHash,
        window,
        offline: Boolean(options.offline),
        skipIngestion: Boolean(options.skipIngestion),
        skipLlm: Boolean(options.skipLlm),
        sources,
        ...(options.sample ? { sample: options.sample.tasks } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 16);
}

class Checkpoints {
  constructor(readonly directory: string) {}

  file(...parts: string[]): string {
    return path.join(this.directory, ...parts);
  }

  async names(folder: string): Promise<Set<string>> {
    try {
      return new Set((await readdir(this.file(folder))).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
  }

  async readAll<T>(folder: string): Promise<T[]> {
    const names = [...(await this.names(folder))].sort();
    return Promise.all(names.map(async (n) => JSON.parse(await readFile(this.file(folder, `${n}.json`), 'utf8')) as T));
  }
}

interface LlmCache<T> {
  savedAt: string;
  items: Record<string, T & { at: string }>;
}

/**
 * Merges a phase's answers into the cross-build LLM cache. An answer keeps its cached time when it
 * came from a fresh cache entry with the same content; a new answer is stamped `at`.
 */
async function saveLlmCache<T extends object>(
  file: string,
  cache: LlmCache<T>,
  items: readonly T[],
  keyOf: (item: T) => string,
  at: string,
  fresh: (at: string) => boolean,
): Promise<void> {
  for (const item of items) {
    const key = keyOf(item);
    const cached = cache.items[key];
    const same =
      cached !== undefined &&
      fresh(cached.at) &&
      JSON.stringify({ ...cached, at: '' }) === JSON.stringify({ ...item, at: '' });
    cache.items[key] = { ...item, at: same ? cached!.at : at };
  }
  await writeJsonAtomic(file, { savedAt: at, items: cache.items });
}

export async function buildSnapshot(options: BuildOptions): Promise<BuildResult> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const window = {
    startYear: options.startYear ?? started.getUTCFullYear() - 8,
    endYear: options.endYear ?? started.getUTCFullYear(),
  };
  const settings = settingsFor(options);
  const configHash = configHashOf(options, window, settings);
  const mode = {
    offline: Boolean(options.offline),
    skipIngestion: Boolean(options.skipIngestion),
    skipLlm: Boolean(options.skipLlm),
  };
  const signal = options.signal;

  // Find or start the build.
  let directory: string | undefined;
  let state: BuildState | undefined;
  const notes: string[] = [];
  if (options.resume) {
    const candidate = (await listBuilds(options.dataDir)).find(
      (b) =>
        b.state.status !== 'done' &&
        b.state.status !== 'partial' &&
        b.state.configHash === configHash &&
        !(b.state.status === 'running' && b.state.pid !== process.pid && ownerAlive(b.state)),
    );
    if (candidate) {
      directory = candidate.directory;
      state = {
        ...candidate.state,
        status: 'running',
        pid: process.pid,
        resumedFrom: (candidate.state.resumedFrom ?? 0) + 1,
        error: undefined,
      } as BuildState;
      delete state.error;
      notes.push(
        `resumed build ${state.buildId}: phases done before: ${Object.keys(state.phases).join(', ') || 'none'}`,
      );
    } else {
      notes.push('--resume: no unfinished build with this configuration; started a new one');
    }
  }
  if (!directory || !state) {
    const buildId = newBuildId(started);
    directory = path.join(buildsDirectory(options.dataDir), buildId);
    state = {
      buildId,
      configHash,
      status: 'running',
      startedAt: started.toISOString(),
      updatedAt: started.toISOString(),
      pid: process.pid,
      mode,
      window,
      phases: {},
      timingsMs: {},
      notes: [],
    };
  }
  await mkdir(directory, { recursive: true });
  const checkpoints = new Checkpoints(directory);
  const resumed = Boolean(state.resumedFrom);
  options.onStart?.(state.buildId, directory);
  await writeBuildState(directory, state);
  const buildState = state;
  const buildDirectory = directory;

  let lastStateWrite = 0;
  const progress = (phase: Phase, done: number, total: number, message: string) => {
    buildState.current = { phase, done, total, message };
    options.onProgress?.({ phase, phaseIndex: phases.indexOf(phase) + 1, phases: phases.length, done, total, message });
    const t = Date.now();
    if (t - lastStateWrite > 500) {
      lastStateWrite = t;
      buildState.updatedAt = now().toISOString();
      void writeBuildState(buildDirectory, buildState).catch(() => undefined);
    }
  };
  const runPhase = async (phase: Phase, work: () => Promise<{ skipped?: string } | void>) => {
    if (buildState.phases[phase]) return;
    signal?.throwIfAborted();
    const t0 = performance.now();
    progress(phase, 0, 1, `${phase}: starting`);
    const outcome = await work();
    progress(phase, 1, 1, `${phase}: ${outcome?.skipped ? `skipped (${outcome.skipped})` : 'done'}`);
    const ms = Math.round(performance.now() - t0);
    buildState.timingsMs[phase] = (buildState.timingsMs[phase] ?? 0) + ms;
    buildState.phases[phase] = {
      status: outcome?.skipped ? 'skipped' : 'done',
      ms,
      ...(outcome?.skipped ? { note: outcome.skipped } : {}),
    };
    buildState.updatedAt = now().toISOString();
    await writeBuildState(buildDirectory, buildState);
  };

  const client = options.client ?? new SourceClient(options.clientOptions);
  const cache = new ObservationCache(cacheDirectory(options.dataDir));
  const phaseNotes: string[] = [];

  try {
    // 1. Ingestion: one checkpoint per country.
    await runPhase('ingest', async () => {
      const done = await checkpoints.names('ingest');
      const requestsFile = checkpoints.file('requests.jsonl');
      const summary = await ingest({
        providers: settings,
        client,
        cache,
        startYear: window.startYear,
        endYear: window.endYear,
        now,
        cacheOnly: mode.offline || mode.skipIngestion,
        done,
        ...(options.sample ? { only: new Set(options.sample.tasks) } : {}),
        ...(signal ? { signal } : {}),
        onTask: (d, total, message) => progress('ingest', d, total, message),
        onCountry: async (result) => {
          await writeJsonAtomic(checkpoints.file('ingest', `${result.country}.json`), {
            country: result.country,
            tasks: result.tasks,
            observations: result.observations.sort(compareObservations).map(compact),
          });
        },
        onRequests: (provider, requests, warnings) => {
          if (requests.length || warnings.length)
            void appendFile(
              requestsFile,
              [
                ...requests.map((r) => JSON.stringify({ provider, ...r })),
                ...warnings.map((w) => JSON.stringify({ provider, warning: w })),
              ].join('\n') + '\n',
            ).catch(() => undefined);
        },
      });
      await writeJsonAtomic(checkpoints.file('ingest-summary.json'), summary);
    });

    const ingested = await checkpoints.readAll<{
      country: string;
      tasks: CountryIngest['tasks'];
      observations: CompactObservation[];
    }>('ingest');
    const apiObservations = ingested.flatMap((c) => c.observations.map(expand));
    const byCountry = groupBy(apiObservations, (o) => o.country);
    const minimum = options.minCoverage ?? defaultMinCoverage;
    const coveragePhases: PhaseCoverage[] = [
      ingestCoverage(
        ingested.flatMap((c) => c.tasks),
        minimum,
      ),
    ];
    if (apiObservations.length === 0) {
      // Nothing usable: no snapshot, and no ingest checkpoint that a resume would take as done.
      const failed = verdict(coveragePhases, 0, minimum);
      buildState.coverage = failed;
      delete buildState.phases.ingest;
      await rm(checkpoints.file('ingest'), { recursive: true, force: true });
      await rm(checkpoints.file('ingest-summary.json'), { force: true });
      await rm(checkpoints.file('requests.jsonl'), { force: true });
      throw new CoverageError(buildState.buildId, failed);
    }

    // 2. Derived statistics (cheap: one checkpoint for the phase).
    await runPhase('derive', async () => {
      const derived = countries.map((c) => ({
        country: c.iso3,
        ...deriveStatistics(c.iso3, byCountry.get(c.iso3) ?? []),
      }));
      await writeJsonAtomic(
        checkpoints.file('derived.json'),
        derived.map((d) => ({
          country: d.country,
          observations: d.observations.map(compact),
          notComputed: d.notComputed,
        })),
      );
    });
    const derivedFile =
      (await readJson<
        { country: string; observations: CompactObservation[]; notComputed: { stat: string; reason: string }[] }[]
      >(checkpoints.file('derived.json'))) ?? [];
    const observations = [...apiObservations, ...derivedFile.flatMap((d) => d.observations.map(expand))].sort(
      compareObservations,
    );
    groupBy(
      derivedFile.flatMap((d) => d.observations.map(expand)),
      (o) => o.country,
      byCountry,
    );

    // 3–4. LLM phases, with a cross-build cache so offline builds and resumes reuse answers.
    const llmReason = mode.skipLlm
      ? 'skip-llm: built from API data alone'
      : !options.complete && !mode.offline
        ? (options.llmUnavailable ?? 'no LLM backend is configured')
        : undefined;
    const cacheDays = options.llmCacheDays ?? 30;
    const llmStatsCacheFile = path.join(cacheDirectory(options.dataDir), 'llm-stats.json');
    const llmEdgesCacheFile = path.join(cacheDirectory(options.dataDir), 'llm-edges.json');
    // Offline with an empty LLM cache is like having no LLM: the phase is skipped, not failed.
    const offlineNoLlmCache = 'offline, and no earlier build left LLM answers in the cache';
    const fresh = (at: string) => mode.offline || now().getTime() - Date.parse(at) < cacheDays * 86_400_000;

    await runPhase('llm_stats', async () => {
      if (llmReason) return { skipped: llmReason };
      const llmCache = (await readJson<LlmCache<InferredStat>>(llmStatsCacheFile)) ?? { savedAt: '', items: {} };
      if (mode.offline && Object.keys(llmCache.items).length === 0) {
        phaseNotes.push(`LLM phases skipped: ${offlineNoLlmCache}`);
        return { skipped: offlineNoLlmCache };
      }
      const done = await checkpoints.names('llm-stats');
      let index = 0;
      let unanswered = 0;
      for (const country of countries) {
        index++;
        if (done.has(country.iso3)) continue;
        signal?.throwIfAborted();
        const cached = llmStatistics
          .map((s) => llmCache.items[`${country.iso3}|${s.name}`])
          .filter((x): x is InferredStat & { at: string } => Boolean(x) && fresh(x!.at));
        let items: InferredStat[];
        let failures: string[] = [];
        let calls = 0;
        let dropped = { unknown: 0, duplicates: 0, missing: 0 };
        if (cached.length === llmStatistics.length || mode.offline || !options.complete) {
          items = cached.map(({ at: _at, ...item }) => item);
          if (items.length < llmStatistics.length) unanswered += llmStatistics.length - items.length;
        } else {
          const report = await inferCountryStats(options.complete, country.iso3, byCountry.get(country.iso3) ?? [], {
            ...(signal ? { signal } : {}),
            onCall: (d, t) =>
              progress('llm_stats', (index - 1) * t + d, countries.length * t, `${country.iso3}: stat batch ${d}/${t}`),
          });
          items = report.items;
          failures = report.failures;
          calls = report.calls;
          dropped = report.dropped;
        }
        await writeJsonAtomic(checkpoints.file('llm-stats', `${country.iso3}.json`), {
          country: country.iso3,
          items,
          failures,
          calls,
          dropped,
        });
        progress('llm_stats', index, countries.length, `${country.iso3}: ${items.length} stats inferred`);
      }
      if (!mode.offline)
        await saveLlmCache(
          llmStatsCacheFile,
          llmCache,
          (await checkpoints.readAll<{ items: InferredStat[] }>('llm-stats')).flatMap((c) => c.items),
          (item) => `${item.country}|${item.stat}`,
          now().toISOString(),
          fresh,
        );
      if (mode.offline && unanswered)
        phaseNotes.push(`offline: ${unanswered} LLM stat values were not in the LLM cache`);
    });

    await runPhase('llm_edges', async () => {
      if (llmReason) return { skipped: llmReason };
      const llmCache = (await readJson<LlmCache<InferredEdge>>(llmEdgesCacheFile)) ?? { savedAt: '', items: {} };
      if (mode.offline && Object.keys(llmCache.items).length === 0) return { skipped: offlineNoLlmCache };
      const done = await checkpoints.names('llm-edges');
      for (const [index, corridor] of corridors.entries()) {
        const name = `${corridor.a}-${corridor.b}`;
        if (done.has(name)) continue;
        signal?.throwIfAborted();
        const keys = corridorRequests(corridor).map(
          (r) => `${r.sourceCountry}_${r.sourceStat}->${r.targetCountry}_${r.targetStat}`,
        );
        const cached = keys
          .map((k) => llmCache.items[k])
          .filter((x): x is InferredEdge & { at: string } => Boolean(x) && fresh(x!.at));
        let record: {
          corridor: string;
          items: InferredEdge[];
          failures: string[];
          dropped: { unknown: number; duplicates: number; missing: number };
        };
        if (cached.length === keys.length || mode.offline || !options.complete) {
          record = {
            corridor: name,
            items: cached.map(({ at: _at, ...item }) => item),
            failures: [],
            dropped: { unknown: 0, duplicates: 0, missing: keys.length - cached.length },
          };
        } else {
          const report = await inferCorridorEdges(options.complete, corridor, signal ? { signal } : {});
          record = { corridor: name, items: report.items, failures: report.failures, dropped: report.dropped };
        }
        await writeJsonAtomic(checkpoints.file('llm-edges', `${name}.json`), record);
        progress('llm_edges', index + 1, corridors.length, `${name}: ${record.items.length} edge weights`);
      }
      if (!mode.offline)
        await saveLlmCache(
          llmEdgesCacheFile,
          llmCache,
          (await checkpoints.readAll<{ items: InferredEdge[] }>('llm-edges')).flatMap((c) => c.items),
          (item) => item.key,
          now().toISOString(),
          fresh,
        );
    });
    const llmStatRecords = await checkpoints.readAll<{
      country: string;
      items: InferredStat[];
      failures: string[];
      calls: number;
      dropped: { unknown: number; duplicates: number; missing: number };
    }>('llm-stats');
    const llmEdgeRecords = await checkpoints.readAll<{
      corridor: string;
      items: InferredEdge[];
      failures: string[];
      dropped: { unknown: number; duplicates: number; missing: number };
    }>('llm-edges');
    const llmStats = llmStatRecords
      .flatMap((r) => r.items)
      .sort((a, b) => a.country.localeCompare(b.country) || a.stat.localeCompare(b.stat));
    const llmEdges = llmEdgeRecords.flatMap((r) => r.items).sort((a, b) => a.key.localeCompare(b.key));
    // A skipped LLM phase (skip-llm, no backend) asked nothing; one that ran is measured like ingestion.
    const notCached = mode.offline ? ['offline build: not in the LLM cache'] : [];
    if (buildState.phases.llm_stats?.status === 'done')
      coveragePhases.push(
        llmCoverage(
          'llm_stats',
          countries.length * llmStatistics.length,
          llmStats.length,
          [...llmStatRecords.flatMap((r) => r.failures), ...notCached],
          minimum,
        ),
      );
    if (buildState.phases.llm_edges?.status === 'done')
      coveragePhases.push(
        llmCoverage(
          'llm_edges',
          corridors.reduce((s, c) => s + corridorRequests(c).length, 0),
          llmEdges.length,
          [...llmEdgeRecords.flatMap((r) => r.failures), ...notCached],
          minimum,
        ),
      );
    const coverage = verdict(coveragePhases, apiObservations.length, minimum);
    buildState.coverage = coverage;

    // 5. Regimes: one checkpoint per country.
    await runPhase('hmm', async () => {
      const done = await checkpoints.names('hmm');
      for (const [index, country] of countries.entries()) {
        if (done.has(country.iso3)) continue;
        signal?.throwIfAborted();
        const regime = fitCountryRegime(country.iso3, byCountry.get(country.iso3) ?? [], {
          startYear: window.startYear,
          ...(options.hmmRestarts ? { restarts: options.hmmRestarts } : {}),
        });
        await writeJsonAtomic(checkpoints.file('hmm', `${country.iso3}.json`), regime);
        progress(
          'hmm',
          index + 1,
          countries.length,
          `${country.iso3}: ${regime.status === 'fitted' ? regime.state : regime.reason}`,
        );
        await yieldToLoop();
      }
    });
    const regimes = (await checkpoints.readAll<CountryRegime>('hmm')).sort(
      (a, b) => countries.findIndex((c) => c.iso3 === a.country) - countries.findIndex((c) => c.iso3 === b.country),
    );

    // 6. Graph: a fresh Kuzu database per build, rebuilt whole if the phase is re-run.
    await runPhase('graph', async () => {
      const location = checkpoints.file('graph.kuzu');
      await rm(location, { force: true, recursive: true });
      await rm(`${location}.wal`, { force: true });
      const graph = await openKuzuStore({ location, bufferPoolBytes: 256 * 1024 * 1024 });
      try {
        progress(
          'graph',
          0,
          1,
          `graph: writing ${observations.length} series points and ${countries.length * statistics.length} statistics`,
        );
        const built = await buildGraph(graph, graphData({ observations, llmStats, llmEdges, regimes }));
        await writeJsonAtomic(checkpoints.file('graph.json'), built.export);
        await writeJsonAtomic(checkpoints.file('graph-counts.json'), {
          nodes: built.nodes,
          edges: built.edges,
          elapsedMs: Math.round(built.elapsedMs),
        });
      } finally {
        await graph.close();
      }
    });

    // 7. Snapshot.
    const snapshotsDir = snapshotsDirectory(options.dataDir);
    await mkdir(snapshotsDir, { recursive: true });
    const previousSnapshots = (await listSnapshots(snapshotsDir)).filter((s) => s.name !== buildState.snapshotName);
    if (!buildState.snapshotName) {
      buildState.snapshotName = await nextSnapshotName(snapshotsDir, started);
      await writeBuildState(buildDirectory, buildState);
    }
    const snapshotFile = path.join(snapshotsDir, buildState.snapshotName);
    let manifest: SnapshotManifest | undefined;
    await runPhase('snapshot', async () => {
      const graphJson = await readFile(checkpoints.file('graph.json'), 'utf8');
      const graphCounts = (await readJson<{ nodes: number; edges: number }>(checkpoints.file('graph-counts.json')))!;
      const requests = await readRequests(checkpoints.file('requests.jsonl'));
      const sources = sourceSummary(settings, requests, observations);
      const tasks = ingested.flatMap((c) => c.tasks.map((t) => ({ country: c.country, ...t })));
      const byStatus: Record<string, number> = {};
      for (const t of tasks) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
      const blend = contagionEdges(llmEdges);
      const files: Record<string, string> = {
        'observations.columnar.json': JSON.stringify(toColumnar(observations)),
        'tasks.json': JSON.stringify(
          tasks.sort((a, b) => a.country.localeCompare(b.country) || a.stat.localeCompare(b.stat)),
        ),
        'graph.json': graphJson,
        'hmm_params.json': JSON.stringify(
          Object.fromEntries(
            regimes.map((r) => [
              r.country,
              {
                status: r.status,
                ...(r.reason ? { reason: r.reason } : {}),
                features: r.features,
                dropped: r.dropped,
                start: r.start ?? null,
                transition: r.transition ?? null,
                means: r.means ?? null,
                variances: r.variances ?? null,
                stress: r.stress ?? null,
                logLikelihood: r.logLikelihood ?? null,
                iterations: r.iterations ?? null,
                converged: r.converged ?? null,
                restarts: r.restarts ?? null,
              },
            ]),
          ),
        ),
        'hmm_states.json': JSON.stringify(
          Object.fromEntries(
            regimes.map((r) => [
              r.country,
              {
                status: r.status,
                state: r.state ?? null,
                probabilities: r.probabilities ?? null,
                asOf: r.asOf ?? null,
                scenarios: r.scenarios ?? null,
                months: r.months,
                viterbi: r.viterbi ?? [],
                posteriors: r.posteriors ?? [],
              },
            ]),
          ),
        ),
        'regimes.json': JSON.stringify(regimes),
        'edge_weights.json': JSON.stringify({
          inferred: llmEdges,
          blended: blend.blended,
          added: blend.added,
          droppedBelowMinimum: blend.droppedLight,
          failures: llmEdgeRecords.flatMap((r) => r.failures),
          dropped: sumDropped(llmEdgeRecords.map((r) => r.dropped)),
        }),
        'llm_stats.json': JSON.stringify({
          inferred: llmStats,
          failures: llmStatRecords.flatMap((r) => r.failures),
          dropped: sumDropped(llmStatRecords.map((r) => r.dropped)),
          calls: llmStatRecords.reduce((s, r) => s + (r.calls ?? 0), 0),
        }),
        'catalogue.json': JSON.stringify({
          hash: catalogueHash,
          countries,
          statistics,
          corridors,
          notes: statistics
            .filter((s) => s.note || s.notComputable)
            .map((s) => ({ stat: s.name, note: s.note ?? s.notComputable })),
        }),
        'sources.json': JSON.stringify({ providers: sources, requests }),
      };
      const fitted = regimes.filter((r) => r.status === 'fitted').length;
      const notComputed = derivedFile[0]?.notComputed ?? [];
      manifest = await writeSnapshot(snapshotFile, files, {
        schemaVersion: snapshotSchemaVersion,
        name: buildState.snapshotName!,
        buildId: buildState.buildId,
        createdAt: now().toISOString(),
        codeVersion: options.codeVersion,
        configHash,
        catalogueHash,
        window,
        mode,
        coverage,
        counts: {
          countries: countries.length,
          statistics: statistics.length,
          apiStatistics: apiStatistics.length,
          llmStatisticsDefined: llmStatistics.length,
          derivedStatistics: derivedStatistics.length,
          tasks: tasks.length,
          ...Object.fromEntries(Object.entries(byStatus).map(([k, v]) => [`tasks_${k}`, v])),
          observations: observations.length,
          derivedObservations: observations.filter((o) => o.provider === 'derived').length,
          llmStats: llmStats.length,
          llmEdgeWeights: llmEdges.length,
          tradeEdges: tradeEdges().length,
          seedContagionEdges: seedContagion().length,
          contagionEdges: blend.edges.length,
          graphNodes: graphCounts.nodes,
          graphEdges: graphCounts.edges,
          hmmFitted: fitted,
          hmmConverged: regimes.filter((r) => r.converged).length,
        },
        sources,
        ...(options.sample ? { sample: options.sample } : {}),
        timingsMs: { ...buildState.timingsMs } as Record<string, number>,
        notes: [
          `ingestion: ${tasks.length} tasks: ${['fetched', 'cached', 'empty', 'not_covered', 'skipped', 'error'].map((k) => `${byStatus[k] ?? 0} ${k.replace('_', ' ')}`).join(', ')}${observations.length === 0 ? '; no observations at all, so the graph holds placeholders and no regime could be fitted' : ''}`,
          ...tasks
            .filter((t) => t.status === 'error')
            .slice(0, 10)
            .map((t) => `error ${t.country} ${t.stat}: ${t.detail ?? ''}`),
          ...providerNotes(settings).notes,
          ...(llmReason ? [`LLM phases skipped: ${llmReason}`] : []),
          ...phaseNotes,
          ...notComputed.map((n) => `derived ${n.stat} not computed: ${n.reason}`),
          ...regimes.filter((r) => r.status !== 'fitted').map((r) => `regime ${r.country}: ${r.reason}`),
        ],
      });
    });
    manifest ??= JSON.parse(
      (await readSnapshot(snapshotFile, ['manifest.json'])).get('manifest.json')!.toString('utf8'),
    ) as SnapshotManifest;

    // 8. Daily outputs against the previous snapshot.
    const outputDir = path.join(outputsDirectory(options.dataDir), buildState.snapshotName!.replace(/\.tar\.gz$/, ''));
    let signals: ScannerSignals | undefined;
    await runPhase('outputs', async () => {
      if (coverage.status !== 'done') return { skipped: 'coverage below the minimum: no signals from this snapshot' };
      const previous = await previousUsable(previousSnapshots, minimum);
      const produced = await dailyOutputs(snapshotFile, previous?.file, now().toISOString());
      signals = produced.signals;
      await writeFileAtomic(path.join(outputDir, 'scanner_signals.json'), JSON.stringify(produced.signals, null, 2));
      await writeFileAtomic(path.join(outputDir, 'daily_risk_report.md'), produced.report);
      await writeFileAtomic(path.join(outputDir, 'alerts.json'), JSON.stringify(produced.signals.alerts, null, 2));
    });
    if (coverage.status === 'done')
      signals ??= JSON.parse(await readFile(path.join(outputDir, 'scanner_signals.json'), 'utf8')) as ScannerSignals;

    buildState.status = coverage.status === 'done' ? 'done' : 'partial';
    buildState.finishedAt = now().toISOString();
    delete buildState.current;
    buildState.notes = [...notes, ...manifest.notes];
    await writeBuildState(buildDirectory, buildState);
    await rm(checkpoints.file('graph.kuzu'), { force: true, recursive: true });
    await rm(`${checkpoints.file('graph.kuzu')}.wal`, { force: true });
    return {
      buildId: buildState.buildId,
      directory: buildDirectory,
      snapshot: snapshotFile,
      manifest,
      coverage,
      ...(signals
        ? {
            signals,
            outputs: {
              signals: path.join(outputDir, 'scanner_signals.json'),
              report: path.join(outputDir, 'daily_risk_report.md'),
              alerts: path.join(outputDir, 'alerts.json'),
            },
          }
        : {}),
      resumed,
      notes: buildState.notes,
    };
  } catch (error) {
    buildState.status = signal?.aborted ? 'cancelled' : 'failed';
    buildState.error = signal?.aborted ? 'cancelled; resume with resume: true' : (error as Error).message;
    buildState.updatedAt = now().toISOString();
    await writeBuildState(buildDirectory, buildState).catch(() => undefined);
    throw error;
  }
}
