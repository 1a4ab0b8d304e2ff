// World Bank Indicators API v2. One request per indicator for all countries (ISO-2 codes joined by
// ";"), paged until `pages`; `mrv` instead of a date range when asked for the latest values only.
// Its quirks: errors come back as HTTP 200 with `[{"message":[{"id":"120",...}]}]`; a bad parameter
// can give an HTML 400 page even for format=json; "no data" is `[meta, null]`; values may be null.
// One invalid code fails a multi-country call, so a 120 error on a batch is retried per country to
// isolate it.
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
import { parseDate } from '../observation.js';

interface Meta {
  page: number;
  pages: number;
  total: number;
}
interface Row {
  countryiso3code?: string;
  country?: { id?: string };
  date?: string;
  value?: number | null;
}

export async function fetchWorldBank(
  context: ProviderContext,
  fetch: SeriesFetch,
  options: { mrv?: number } = {},
): Promise<FetchResult> {
  const result = emptyResult();
  try {
    await fetchBatch(context, fetch, fetch.countries, result, options);
  } catch (error) {
    if (!(error instanceof ProviderError) || !/\bid 120\b/.test(error.message) || fetch.countries.length === 1)
      throw error;
    result.warnings.push(`${fetch.code}: the batched call was rejected (${error.message}); retried country by country`);
    for (const country of fetch.countries) {
      try {
        await fetchBatch(context, fetch, [country], result, options);
      } catch (inner) {
        if (!(inner instanceof ProviderError)) throw inner;
        result.errors.set(country.iso3, inner.message);
      }
    }
  }
  return result;
}

async function fetchBatch(
  context: ProviderContext,
  fetch: SeriesFetch,
  countries: SeriesFetch['countries'],
  result: FetchResult,
  options: { mrv?: number },
): Promise<void> {
  const byCode = new Map(countries.map((c) => [c.providerCode.toUpperCase(), c.iso3]));
  const iso3s = new Set(countries.map((c) => c.iso3));
  const perPage = context.pageSize ?? 1000;
  let page = 1;
  let pages = 1;
  do {
    const range = options.mrv ? `mrv=${options.mrv}` : `date=${fetch.startYear}:${fetch.endYear}`;
    const url = joinUrl(
      context.baseUrl,
      `/v2/country/${countries.map((c) => c.providerCode).join(';')}/indicator/${encodeURIComponent(fetch.code)}?format=json&${range}&per_page=${perPage}&page=${page}`,
    );
    const response = await context.client.get('world_bank', url, { signal: context.signal, label: url });
    const record = {
      url,
      fetchedAt: response.fetchedAt,
      status: response.status,
      rows: 0,
      attempts: response.attempts,
    };
    result.requests.push(record);
    if (response.status !== 200)
      throw new ProviderError(
        `World Bank ${fetch.code}: HTTP ${response.status}${/html/i.test(response.contentType) || /^\uFEFF?\s*</.test(response.body) ? ' (an HTML error page)' : ''}: ${bodySnippet(response.body)}`,
      );
    const body = parseJson(response.body, `World Bank ${fetch.code}`);
    if (!Array.isArray(body) || body.length === 0)
      throw new ProviderError(`World Bank ${fetch.code}: unexpected answer ${bodySnippet(response.body)}`);
    const first = body[0] as { message?: { id?: string; key?: string; value?: string }[] } & Partial<Meta>;
    if (first.message) {
      throw new ProviderError(
        `World Bank ${fetch.code}: ${first.message.map((m) => `id ${m.id} ${m.key ?? ''}: ${m.value ?? ''}`.trim()).join('; ')}`,
      );
    }
    // A hostile or broken `pages` must not keep a build paging forever.
    pages = Math.min(Number(first.pages ?? 0), 500);
    const rows = body[1] as Row[] | null | undefined;
    if (!rows) return;
    for (const row of rows) {
      if (row.value === null || row.value === undefined || typeof row.value !== 'number') continue;
      const iso3 =
        row.countryiso3code && iso3s.has(row.countryiso3code)
          ? row.countryiso3code
          : byCode.get(String(row.country?.id ?? '').toUpperCase());
      const date = row.date ? parseDate(row.date) : undefined;
      if (!iso3 || !date) continue;
      addPoint(result, iso3, { date, value: row.value });
      record.rows++;
    }
    page++;
  } while (page <= pages);
}
