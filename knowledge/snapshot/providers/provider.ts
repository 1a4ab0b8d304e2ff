// What every provider fetcher takes and returns. One fetch covers one series for a set of countries:
// a World Bank indicator, IMF indicator, OECD key, BIS key or EIA product for all the countries the
// catalogue maps to it, or one FRED series (shared by the countries that map to the same id).
import type { RawPoint } from '../observation.js';
import type { SeriesSource } from '../catalogue/statistics.js';
import type { SourceClient } from '../source-client.js';

export interface SeriesFetch {
  source: SeriesSource;
  /** The series code the countries share (FRED id, WB indicator, OECD key template...). */
  code: string;
  /** ISO-3 with the provider's own code for the country (ISO-2 for the World Bank and BIS). */
  countries: readonly { iso3: string; providerCode: string }[];
  startYear: number;
  endYear: number;
}

export interface RequestRecord {
  url: string;
  fetchedAt: string;
  status: number;
  rows: number;
  attempts: number;
}

export interface FetchResult {
  points: Map<string, RawPoint[]>;
  /** Errors that concern one country (others may still have data). */
  errors: Map<string, string>;
  requests: RequestRecord[];
  warnings: string[];
  /** Frequency and unit as the provider's metadata states them, when it does. */
  metadata?: { frequency?: string; units?: string; title?: string };
}

export interface ProviderContext {
  client: SourceClient;
  baseUrl: string;
  apiKey?: string;
  signal?: AbortSignal;
  /** Rows per page where the API pages (World Bank per_page, EIA length, FRED limit). */
  pageSize?: number;
}

/** A provider's answer that is an error for the whole fetch: every country gets the message. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
}

export function emptyResult(): FetchResult {
  return { points: new Map(), errors: new Map(), requests: [], warnings: [] };
}

export function addPoint(result: FetchResult, iso3: string, point: RawPoint): void {
  const list = result.points.get(iso3);
  if (list) list.push(point);
  else result.points.set(iso3, [point]);
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** The URL as it may be stored and logged: API keys replaced. */
export function redactKey(url: string): string {
  return url.replace(/([?&]api_key=)[^&]*/gi, '$1***');
}

/** A short, safe description of a non-JSON or error body. */
export function bodySnippet(body: string): string {
  const text = body
    .replace(/^\uFEFF/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, 160);
}

export function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body.replace(/^\uFEFF/, ''));
  } catch {
    throw new ProviderError(`${what}: the answer is not JSON (${bodySnippet(body) || 'empty body'})`);
  }
}
