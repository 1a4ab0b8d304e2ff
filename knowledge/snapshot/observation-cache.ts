// The staleness cache: what each (country, stat) task last fetched, per provider, in an append-only
// JSONL file (`<dataDir>/kb/cache/<provider>.jsonl`). The last line for a key wins; a torn last line
// (a crash mid-append) is ignored. A task re-fetches when its entry is older than the provider's
// staleness limit (World Bank 30 d, FRED 1 d, IMF 30 d, OECD 30 d, BIS 1 d, EIA 30 d); offline and
// --skip-ingestion builds take whatever is cached. Errors are not cached, so they are retried.
import { groupBy } from './group-by.js';
import { writeFileAtomic } from './atomic-file.js';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Frequency, Provider } from './catalogue/statistics.js';
import type { Observation } from './observation.js';

export const stalenessDays: Readonly<Record<Provider, number>> = {
  world_bank: 30,
  fred: 1,
  imf: 30,
  oecd: 30,
  bis: 1,
  eia: 30,
};

export interface CacheEntry {
  key: string;
  provider: Provider;
  fetchedAt: string;
  status: 'ok' | 'empty';
  series: string;
  url: string;
  unit: string;
  frequency: Frequency;
  /** [date, period, value] triples. */
  points: [string, string, number][];
}

export const cacheKey = (iso3: string, stat: string) => `${iso3}|${stat}`;

export function entryObservations(entry: CacheEntry): Observation[] {
  const [country, stat] = entry.key.split('|') as [string, string];
  return entry.points.map(([date, period, value]) => ({
    country,
    stat,
    date,
    period,
    value,
    unit: entry.unit,
    frequency: entry.frequency,
    provider: entry.provider,
    series: entry.series,
    url: entry.url,
    fetchedAt: entry.fetchedAt,
  }));
}

export class ObservationCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly lines = new Map<Provider, number>();
  private readonly writes = new Map<Provider, Promise<void>>();
  private loaded = false;

  constructor(readonly directory: string) {}

  async load(): Promise<void> {
    if (this.loaded) return;
    await mkdir(this.directory, { recursive: true });
    for (const provider of Object.keys(stalenessDays) as Provider[]) {
      let count = 0;
      try {
        const lines = createInterface({ input: createReadStream(this.file(provider)), crlfDelay: Infinity });
        for await (const line of lines) {
          if (!line.trim()) continue;
          try {
            const entry = JSON.parse(line) as CacheEntry;
            this.entries.set(entry.key, entry);
            count++;
          } catch {
            // a torn line from a crash mid-append: the entry before it stands
          }
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      this.lines.set(provider, count);
    }
    this.loaded = true;
  }

  get(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  get size(): number {
    return this.entries.size;
  }

  isFresh(entry: CacheEntry, now: Date): boolean {
    return now.getTime() - Date.parse(entry.fetchedAt) < stalenessDays[entry.provider] * 86_400_000;
  }

  /** Appends entries for one provider; writes to a provider's file are serialised. */
  async put(entries: readonly CacheEntry[]): Promise<void> {
    for (const entry of entries) this.entries.set(entry.key, entry);
    const byProvider = groupBy(entries, (e) => e.provider) as Map<Provider, CacheEntry[]>;
    await Promise.all(
      [...byProvider].map(([provider, list]) =>
        this.serial(provider, async () => {
          await appendFile(this.file(provider), list.map((e) => JSON.stringify(e)).join('\n') + '\n');
          this.lines.set(provider, (this.lines.get(provider) ?? 0) + list.length);
        }),
      ),
    );
  }

  /** Rewrites a provider's file with only its live entries once it holds twice as many lines. */
  async compact(): Promise<void> {
    for (const provider of Object.keys(stalenessDays) as Provider[]) {
      const live = [...this.entries.values()].filter((e) => e.provider === provider);
      if ((this.lines.get(provider) ?? 0) <= Math.max(64, live.length * 2)) continue;
      await this.serial(provider, async () => {
        await writeFileAtomic(
          this.file(provider),
          live.map((e) => JSON.stringify(e)).join('\n') + (live.length ? '\n' : ''),
        );
        this.lines.set(provider, live.length);
      });
    }
  }

  private serial(provider: Provider, work: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(provider) ?? Promise.resolve()).then(work);
    this.writes.set(
      provider,
      next.catch(() => undefined),
    );
    return next;
  }

  private file(provider: Provider): string {
    return path.join(this.directory, `${provider}.jsonl`);
  }
}
