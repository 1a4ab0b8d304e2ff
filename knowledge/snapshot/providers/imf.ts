// IMF DataMapper API v1: one call per indicator returns every country, keyed by ISO-3 and year:
// `values[indicator][ISO3][year]`. An unknown indicator answers HTTP 200 without a `values` key, and
// some answers carry an extra empty-string key; both mean "no data" for what is missing.
import { parseDate } from '../observation.js';
import {
  addPoint,
  bodySnippet,
  emptyResult,
  joinUrl,
  parseJson,
  ProviderError,
  type FetchResult,
  type ProviderContext,
  type SeriesFetch,
} from './provider.js';

export async function fetchImf(context: ProviderContext, fetch: SeriesFetch): Promise<FetchResult> {
  const result = emptyResult();
  const years = Array.from({ length: fetch.endYear - fetch.startYear + 1 }, (_, i) => fetch.startYear + i);
  const url = joinUrl(
    context.baseUrl,
    `/external/datamapper/api/v1/${encodeURIComponent(fetch.code)}?periods=${years.join(',')}`,
  );
  const response = await context.client.get('imf', url, { signal: context.signal, label: url });
  const record = { url, fetchedAt: response.fetchedAt, status: response.status, rows: 0, attempts: response.attempts };
  result.requests.push(record);
  if (response.status !== 200)
    throw new ProviderError(`IMF ${fetch.code}: HTTP ${response.status}: ${bodySnippet(response.body)}`);
  const body = parseJson(response.body, `IMF ${fetch.code}`) as {
    values?: Record<string, Record<string, Record<string, number | null>>>;
  };
  const series = body.values?.[fetch.code];
  if (!series) {
    result.warnings.push(`IMF ${fetch.code}: the answer has no values for this indicator`);
    return result;
  }
  for (const country of fetch.countries) {
    for (const [year, value] of Object.entries(series[country.providerCode] ?? {})) {
      const date = parseDate(year);
      const y = Number(year);
      if (!date || typeof value !== 'number' || y < fetch.startYear || y > fetch.endYear) continue;
      addPoint(result, country.iso3, { date, value });
      record.rows++;
    }
  }
  return result;
}
