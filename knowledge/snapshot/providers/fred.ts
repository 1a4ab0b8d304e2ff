// FRED: /fred/series for the series' own frequency and units, then /fred/series/observations paged
// with limit/offset until `count`. Values are strings and "." marks a missing one (a holiday, a
// quarter not yet published); those are skipped and counted. A 400 carries FRED's error_message.
// A `minus` series makes a spread: the first series minus the second on the dates both have.
import type { RawPoint } from '../observation.js';
import {
  bodySnippet,
  emptyResult,
  joinUrl,
  parseJson,
  ProviderError,
  redactKey,
  type FetchResult,
  type ProviderContext,
  type RequestRecord,
  type SeriesFetch,
} from './provider.js';

interface ObservationsPage {
  count?: number;
  offset?: number;
  limit?: number;
  observations?: { date: string; value: string }[];
  error_message?: string;
}

export async function fetchFred(context: ProviderContext, fetch: SeriesFetch): Promise<FetchResult> {
  if (!context.apiKey) throw new ProviderError('FRED needs an API key (FRED_API_KEY)');
  const result = emptyResult();
  const metadata = await seriesMetadata(context, fetch.code, result.requests);
  if (metadata) result.metadata = metadata;
  let points = await observations(context, fetch, fetch.code, result);
  if (fetch.source.minus) {
    const other = new Map(
      (await observations(context, fetch, fetch.source.minus, result)).map((p) => [p.date, p.value]),
    );
    points = points.flatMap((p) =>
      other.has(p.date) ? [{ date: p.date, value: Math.round((p.value - other.get(p.date)!) * 1e6) / 1e6 }] : [],
    );
  }
  for (const country of fetch.countries) result.points.set(country.iso3, points);
  return result;
}

function fredError(code: string, status: number, body: string): ProviderError {
  let message = bodySnippet(body);
  try {
    message = (JSON.parse(body) as ObservationsPage).error_message ?? message;
  } catch {
    // not JSON: keep the snippet
  }
  return new ProviderError(`FRED ${code}: HTTP ${status}: ${message}`);
}

async function seriesMetadata(
  context: ProviderContext,
  code: string,
  requests: RequestRecord[],
): Promise<FetchResult['metadata']> {
  const url = joinUrl(
    context.baseUrl,
    `/fred/series?series_id=${encodeURIComponent(code)}&api_key=${encodeURIComponent(context.apiKey!)}&file_type=json`,
  );
  const response = await context.client.get('fred', url, { signal: context.signal, label: redactKey(url) });
  requests.push({
    url: redactKey(url),
    fetchedAt: response.fetchedAt,
    status: response.status,
    rows: 0,
    attempts: response.attempts,
  });
  if (response.status !== 200) throw fredError(code, response.status, response.body);
  const body = parseJson(response.body, `FRED ${code} metadata`) as {
    seriess?: { frequency_short?: string; units?: string; title?: string }[];
  };
  const series = body.seriess?.[0];
  return series
    ? {
        ...(series.frequency_short ? { frequency: series.frequency_short } : {}),
        ...(series.units ? { units: series.units } : {}),
        ...(series.title ? { title: series.title } : {}),
      }
    : undefined;
}

async function observations(
  context: ProviderContext,
  fetch: SeriesFetch,
  code: string,
  result: FetchResult,
): Promise<RawPoint[]> {
  const points: RawPoint[] = [];
  const limit = context.pageSize ?? 100_000;
  let offset = 0;
  let missing = 0;
  for (;;) {
    const url = joinUrl(
      context.baseUrl,
      `/fred/series/observations?series_id=${encodeURIComponent(code)}&api_key=${encodeURIComponent(context.apiKey!)}&file_type=json&observation_start=${fetch.startYear}-01-01&observation_end=${fetch.endYear}-12-31&sort_order=asc&limit=${limit}&offset=${offset}`,
    );
    const response = await context.client.get('fred', url, { signal: context.signal, label: redactKey(url) });
    const record = {
      url: redactKey(url),
      fetchedAt: response.fetchedAt,
      status: response.status,
      rows: 0,
      attempts: response.attempts,
    };
    result.requests.push(record);
    if (response.status !== 200) throw fredError(code, response.status, response.body);
    const page = parseJson(response.body, `FRED ${code}`) as ObservationsPage;
    const rows = page.observations ?? [];
    for (const row of rows) {
      const value = row.value === '.' ? Number.NaN : Number(row.value);
      if (!Number.isFinite(value) || !/^\d{4}-\d{2}-\d{2}$/.test(row.date)) {
        missing++;
        continue;
      }
      points.push({ date: row.date, value });
      record.rows++;
    }
    offset += rows.length;
    if (rows.length === 0 || offset >= Number(page.count ?? 0)) break;
    if (rows.length < limit) {
      result.warnings.push(`FRED ${code}: ${offset} of ${page.count} observations returned; the rest was not served`);
      break;
    }
  }
  if (missing > 0) result.warnings.push(`FRED ${code}: ${missing} missing value(s) (".") skipped`);
  return points;
}
