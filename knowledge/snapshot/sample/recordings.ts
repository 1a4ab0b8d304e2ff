// The recorded provider answers the sample knowledge base is built from: a manifest
// (recordings.json) naming, for each recording, the catalogue statistic and countries it answers,
// the requests it answers (path and the query parameters that identify the series), when it was
// recorded and where it was taken from. Every file is checked against its SHA-256 before use, so a
// damaged or edited recording fails the sample build instead of entering the graph.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256 } from '../snapshot-archive.js';
import type { Provider } from '../catalogue/statistics.js';
import { KnowledgeError } from '../../knowledge-error.js';

export interface RecordedAnswer {
  /** The URL path the answer is for, e.g. /fred/series/observations. */
  path: string;
  /** Query parameters that identify the series; others (window, paging, key) may differ. */
  query: Record<string, string>;
  file: string;
  contentType: string;
  sha256: string;
  /** The request as it was recorded. */
  request: string;
}

export interface Recording {
  id: string;
  provider: Provider;
  stat: string;
  countries: string[];
  recordedAt: string;
  answers: RecordedAnswer[];
  source: Record<string, string>;
}

export interface SampleRecordings {
  label: string;
  window: { startYear: number; endYear: number };
  recordings: Recording[];
  notShipped: { file: string; would: string; reason: string }[];
}

export interface LoadedRecordings extends SampleRecordings {
  directory: string;
  bodies: Map<RecordedAnswer, string>;
}

export const recordingsManifest = 'recordings.json';

export async function loadRecordings(directory: string): Promise<LoadedRecordings> {
  let manifest: SampleRecordings;
  try {
    manifest = JSON.parse(await readFile(path.join(directory, recordingsManifest), 'utf8')) as SampleRecordings;
  } catch (error) {
    throw new KnowledgeError(
      'UNAVAILABLE',
      `the sample's ${recordingsManifest} in ${directory} cannot be read: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const bodies = new Map<RecordedAnswer, string>();
  for (const recording of manifest.recordings) {
    for (const answer of recording.answers) {
      const bytes = await readFile(path.join(directory, answer.file));
      if (sha256(bytes) !== answer.sha256)
        throw new KnowledgeError(
          'UNAVAILABLE',
          `the sample recording ${answer.file} does not match its SHA-256 in ${recordingsManifest}`,
        );
      bodies.set(answer, bytes.toString('utf8'));
    }
  }
  return { ...manifest, directory, bodies };
}
