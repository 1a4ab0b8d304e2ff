// What the snapshot records about its sources: the request log every fetch appends to (one JSON
// line per request or warning), summarised per provider with fetch times, and the LLM phases'
// dropped-answer counts.
import { readFile } from 'node:fs/promises';
import { providers, type Provider } from './catalogue/statistics.js';
import { providerNotes, type ProviderSettings } from './ingest.js';
import type { Observation } from './observation.js';
import type { SnapshotManifest } from './snapshot-archive.js';

export function sumDropped(list: readonly { unknown: number; duplicates: number; missing: number }[]) {
  return list.reduce(
    (s, d) => ({
      unknown: s.unknown + d.unknown,
      duplicates: s.duplicates + d.duplicates,
      missing: s.missing + d.missing,
    }),
    { unknown: 0, duplicates: 0, missing: 0 },
  );
}

export interface RequestLine {
  provider: Provider;
  url?: string;
  fetchedAt?: string;
  status?: number;
  rows?: number;
  attempts?: number;
  warning?: string;
}

export async function readRequests(file: string): Promise<RequestLine[]> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as RequestLine] : [];
      } catch {
        return [];
      }
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function sourceSummary(
  settings: Record<Provider, ProviderSettings>,
  requests: readonly RequestLine[],
  observations: readonly Observation[],
): SnapshotManifest['sources'] {
  const { enabled, notes } = providerNotes(settings);
  return Object.fromEntries(
    providers.map((p) => {
      const rows = observations.filter((o) => o.provider === p);
      const times = rows
        .map((o) => o.fetchedAt)
        .filter(Boolean)
        .sort();
      const note = notes.find((n) => n.startsWith(p));
      return [
        p,
        {
          enabled: enabled.has(p),
          ...(note ? { note } : {}),
          requests: requests.filter((r) => r.provider === p && r.url).length,
          rows: rows.length,
          ...(times.length ? { firstFetchedAt: times[0]!, lastFetchedAt: times.at(-1)! } : {}),
        },
      ];
    }),
  );
}
