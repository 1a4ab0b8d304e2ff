// Phase 1, ingestion: the 1,720 (API stat × country) tasks. Tasks are grouped into provider fetches
// (one per World Bank/IMF/OECD/BIS/EIA series for all its countries, one per FRED series id) that run
// concurrently, each HTTP request under its provider's semaphore. Every task ends in one state:
// fetched, cached (fresh in the staleness cache), empty (the provider has no data), not covered (no
// source for that country), skipped (provider disabled, e.g. no API key) or error. A country is
// handed to `onCountry` (the checkpoint) as soon as all its tasks are done.
import { countries, countryByIso3 } from './catalogue/countries.js';
import {
  apiStatistics,
  sourceFor,
  type Frequency,
  type Provider,
  type SeriesSource,
  type StatisticDefinition,
} from './catalogue/statistics.js';
import { cacheKey, entryObservations, type CacheEntry, type ObservationCache } from './observation-cache.js';
import { periodOf, yearOnYear, type Observation, type RawPoint } from './observation.js';
import { fetchBis } from './providers/bis.js';
import { fetchEia } from './providers/eia.js';
import { fetchFred } from './providers/fred.js';
import { fetchImf } from './providers/imf.js';
import { fetchOecd } from './providers/oecd.js';
import type { FetchResult, ProviderContext, RequestRecord, SeriesFetch } from './providers/provider.js';
import { fetchWorldBank } from './providers/world-bank.js';
import type { SourceClient } from './source-client.js';

export interface ProviderSettings {
  baseUrl: string;
  apiKey?: string;
  pageSize?: number;
  /** False turns the provider off (its tasks are skipped with a note). */
  enabled?: boolean;
}

export const defaultBaseUrls: Readonly<Record<Provider, string>> = {
  world_bank: 'https://api.worldbank.org',
  fred: 'https://api.stlouisfed.org',
  imf: 'https://www.imf.org',
  oecd: 'https://sdmx.oecd.org',
  bis: 'https://stats.bis.org',
  eia: 'https://api.eia.gov',
};

const needsKey: Partial<Record<Provider, string>> = { fred: 'FRED_API_KEY', eia: 'EIA_API_KEY' };

export type TaskStatus = 'fetched' | 'cached' | 'empty' | 'not_covered' | 'skipped' | 'error';

export interface TaskOutcome {
  stat: string;
  status: TaskStatus;
  provider?: Provider;
  rows: number;
  detail?: string;
}

export interface CountryIngest {
  country: string;
  tasks: TaskOutcome[];
  observations: Observation[];
}

export interface IngestOptions {
  providers: Readonly<Record<Provider, ProviderSettings>>;
  client: SourceClient;
  cache: ObservationCache;
  startYear: number;
  endYear: number;
  now: () => Date;
  /** Take everything from the cache, fresh or not; make no request. */
  cacheOnly: boolean;
  /** Countries already checkpointed: their tasks are not run again. */
  done: ReadonlySet<string>;
  /**
   * The sample build: only these tasks (`ISO3|stat`) have a source, the recordings; the others are
   * not covered, as a task whose country has no series in the catalogue is.
   */
  only?: ReadonlySet<string>;
  signal?: AbortSignal;
  onTask?: (done: number, total: number, message: string) => void;
  onCountry: (result: CountryIngest) => Promise<void>;
  onRequests?: (provider: Provider, requests: readonly RequestRecord[], warnings: readonly string[]) => void;
}

export interface IngestSummary {
  tasks: number;
  byStatus: Record<TaskStatus, number>;
  notes: string[];
}

/** Which providers can run, and why the others cannot. */
export function providerNotes(settings: Readonly<Record<Provider, ProviderSettings>>): {
  enabled: Set<Provider>;
  notes: string[];
} {
  const enabled = new Set<Provider>();
  const notes: string[] = [];
  for (const [provider, s] of Object.entries(settings) as [Provider, ProviderSettings][]) {
    if (s.enabled === false) notes.push(`${provider}: disabled by configuration; its tasks are skipped`);
    else if (needsKey[provider] && !s.apiKey)
      notes.push(
        `${provider}: no API key (set ${needsKey[provider]}); its tasks are skipped and the build continues without them`,
      );
    else enabled.add(provider);
  }
  return { enabled, notes };
}

interface PlannedFetch {
  provider: Provider;
  stat: StatisticDefinition;
  fetch: SeriesFetch;
}

function providerCode(source: SeriesSource, iso3: string): string {
  if (source.provider === 'world_bank') return countryByIso3.get(iso3)!.iso2;
  if (source.provider === 'bis') return source.codes[iso3]!;
  return iso3;
}

/** The series code a country's task fetches; countries sharing it share one fetch. */
function seriesCode(source: SeriesSource, iso3: string): string {
  return source.provider === 'fred' ? source.codes[iso3]! : Object.values(source.codes)[0]!;
}

const frequencies = new Set(['D', 'W', 'M', 'Q', 'A']);

/** FRED metadata says BW, SA and the like too; anything the catalogue cannot store keeps the catalogue's. */
function nativeFrequency(source: SeriesSource, metadata: FetchResult['metadata']): Frequency {
  const stated = metadata?.frequency?.toUpperCase();
  return stated && frequencies.has(stated) ? (stated as Frequency) : source.frequency;
}

export function toObservations(
  iso3: string,
  stat: StatisticDefinition,
  source: SeriesSource,
  series: string,
  points: readonly RawPoint[],
  frequency: Frequency,
  url: string,
  fetchedAt: string,
  window: { startYear: number; endYear: number },
): Observation[] {
  const transformed =
    source.transform === 'yoy'
      ? yearOnYear(points, frequency)
      : [...points].sort((a, b) => a.date.localeCompare(b.date));
  const start = `${window.startYear}`;
  return transformed
    .filter((p) => p.date.slice(0, 4) >= start && Number(p.date.slice(0, 4)) <= window.endYear)
    .map((p) => ({
      country: iso3,
      stat: stat.name,
      period: periodOf(p.date, frequency),
      date: p.date,
      value: p.value,
      unit: stat.unit,
      frequency,
      provider: source.provider,
      series: source.minus ? `${series}-${source.minus}` : series,
      url,
      fetchedAt,
    }));
}

export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  await options.cache.load();
  const { enabled, notes } = providerNotes(options.providers);
  const now = options.now();
  const byCountry = new Map<string, CountryIngest>();
  const pending = new Map<string, number>();
  const total = apiStatistics.length * countries.length;
  let doneTasks = 0;
  const byStatus: Record<TaskStatus, number> = {
    fetched: 0,
    cached: 0,
    empty: 0,
    not_covered: 0,
    skipped: 0,
    error: 0,
  };
  const groups = new Map<string, PlannedFetch>();

  for (const country of countries) {
    if (options.done.has(country.iso3)) {
      doneTasks += apiStatistics.length;
      continue;
    }
    byCountry.set(country.iso3, { country: country.iso3, tasks: [], observations: [] });
    pending.set(country.iso3, apiStatistics.length);
  }

  const finishCountry = async (iso3: string) => {
    const result = byCountry.get(iso3)!;
    result.tasks.sort((a, b) => a.stat.localeCompare(b.stat));
    await options.onCountry(result);
    byCountry.delete(iso3);
  };
  const settle = async (iso3: string, outcome: TaskOutcome, observations: readonly Observation[] = []) => {
    const result = byCountry.get(iso3)!;
    result.tasks.push(outcome);
    for (const o of observations) result.observations.push(o);
    byStatus[outcome.status]++;
    doneTasks++;
    options.onTask?.(doneTasks, total, `${iso3} ${outcome.stat}: ${outcome.status}`);
    const left = pending.get(iso3)! - 1;
    pending.set(iso3, left);
    if (left === 0) await finishCountry(iso3);
  };

  // Plan: settle what needs no request, group the rest into fetches.
  const immediate: [string, TaskOutcome, Observation[]][] = [];
  for (const iso3 of byCountry.keys()) {
    for (const stat of apiStatistics) {
      const source = sourceFor(stat, iso3);
      if (!source) {
        immediate.push([
          iso3,
          {
            stat: stat.name,
            status: 'not_covered',
            rows: 0,
            detail: `no ${stat.sources.map((s) => s.provider).join('/')} series for ${iso3} in the catalogue`,
          },
          [],
        ]);
        continue;
      }
      if (options.only && !options.only.has(`${iso3}|${stat.name}`)) {
        immediate.push([
          iso3,
          { stat: stat.name, status: 'not_covered', rows: 0, detail: "not among the sample's recorded answers" },
          [],
        ]);
        continue;
      }
      const cached = options.cache.get(cacheKey(iso3, stat.name));
      if (cached && (options.cacheOnly || options.cache.isFresh(cached, now))) {
        const observations = entryObservations(cached);
        immediate.push([
          iso3,
          {
            stat: stat.name,
            status: 'cached',
            provider: source.provider,
            rows: observations.length,
            detail: `fetched ${cached.fetchedAt}`,
          },
          observations,
        ]);
        continue;
      }
      if (options.cacheOnly) {
        immediate.push([
          iso3,
          {
            stat: stat.name,
            status: 'skipped',
            provider: source.provider,
            rows: 0,
            detail: 'offline build and nothing cached for this task',
          },
          [],
        ]);
        continue;
      }
      if (!enabled.has(source.provider)) {
        immediate.push([
          iso3,
          {
            stat: stat.name,
            status: 'skipped',
            provider: source.provider,
            rows: 0,
            detail: notes.find((n) => n.startsWith(source.provider)) ?? `${source.provider} is disabled`,
          },
          [],
        ]);
        continue;
      }
      const code = seriesCode(source, iso3);
      const key = `${source.provider}|${stat.name}|${code}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          provider: source.provider,
          stat,
          fetch: {
            source,
            code,
            countries: [],
            startYear: options.startYear - (source.transform === 'yoy' ? 1 : 0),
            endYear: options.endYear,
          },
        };
        groups.set(key, group);
      }
      (group.fetch.countries as { iso3: string; providerCode: string }[]).push({
        iso3,
        providerCode: providerCode(source, iso3),
      });
    }
  }
  for (const [iso3, outcome, observations] of immediate) await settle(iso3, outcome, observations);

  const window = { startYear: options.startYear, endYear: options.endYear };
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const settings = options.providers[group.provider];
      const context: ProviderContext = {
        client: options.client,
        baseUrl: settings.baseUrl,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        ...(settings.pageSize ? { pageSize: settings.pageSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      };
      let result: FetchResult | undefined;
      let failure: string | undefined;
      try {
        result = await runFetch(group.provider, context, group.fetch);
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failure = (error as Error).message;
      }
      if (result) options.onRequests?.(group.provider, result.requests, result.warnings);
      const entries: CacheEntry[] = [];
      const settled: [string, TaskOutcome, Observation[]][] = [];
      for (const { iso3 } of group.fetch.countries) {
        const error = failure ?? result?.errors.get(iso3);
        if (error || !result) {
          settled.push([
            iso3,
            { stat: group.stat.name, status: 'error', provider: group.provider, rows: 0, detail: error ?? 'no result' },
            [],
          ]);
          continue;
        }
        // Provenance is the data request (FRED's first request is the series metadata).
        const request = result.requests.find((r) => r.rows > 0) ?? result.requests.at(-1);
        const url = request?.url ?? '';
        const fetchedAt = request?.fetchedAt ?? now.toISOString();
        const frequency = nativeFrequency(group.fetch.source, result.metadata);
        const observations = toObservations(
          iso3,
          group.stat,
          group.fetch.source,
          group.fetch.code,
          result.points.get(iso3) ?? [],
          frequency,
          url,
          fetchedAt,
          window,
        );
        entries.push({
          key: cacheKey(iso3, group.stat.name),
          provider: group.provider,
          fetchedAt,
          status: observations.length ? 'ok' : 'empty',
          series: observations[0]?.series ?? group.fetch.code,
          url,
          unit: group.stat.unit,
          frequency,
          points: observations.map((o) => [o.date, o.period, o.value]),
        });
        settled.push([
          iso3,
          {
            stat: group.stat.name,
            status: observations.length ? 'fetched' : 'empty',
            provider: group.provider,
            rows: observations.length,
            ...(observations.length
              ? {}
              : {
                  detail:
                    result.warnings[0] ??
                    `${group.provider} returned no rows in ${options.startYear}-${options.endYear}`,
                }),
          },
          observations,
        ]);
      }
      // Cache first, then checkpoint: a crash in between re-reads the cache instead of re-fetching.
      if (entries.length) await options.cache.put(entries);
      for (const [iso3, outcome, observations] of settled) await settle(iso3, outcome, observations);
    }),
  );
  await options.cache.compact();
  return { tasks: total, byStatus, notes };
}

function runFetch(provider: Provider, context: ProviderContext, fetch: SeriesFetch): Promise<FetchResult> {
  switch (provider) {
    case 'world_bank':
      return fetchWorldBank(context, fetch);
    case 'fred':
      return fetchFred(context, fetch);
    case 'imf':
      return fetchImf(context, fetch);
    case 'oecd':
      return fetchOecd(context, fetch);
    case 'bis':
      return fetchBis(context, fetch);
    case 'eia':
      return fetchEia(context, fetch);
  }
}
