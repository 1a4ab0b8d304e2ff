// EIA API v2, international route: one request for all countries (facets[countryRegionId][] per
// ISO-3 code), paged with offset/length until `total`. `total` and `value` are strings; a top-level
// `warnings` array (e.g. "incomplete return") is kept as a build warning.
import { parseDate } from '../observation.js';
import {
  addPoint,
  bodySnippet,
  emptyResult,
  joinUrl,
  parseJson,
  ProviderError,
  redactKey,
  type FetchResult,
  type ProviderContext,
  type SeriesFetch,
} from './provider.js';

interface EiaBody {
  response?: {
    total?: string | number;
    data?: { period?: string; countryRegionId?: string; value?: string | number | null; unit?: string }[];
  };
  warnings?: { warning?: string; description?: string }[];
  error?: string | { message?: string };
}

const frequencyName = { A: 'annual', M: 'monthly', Q: 'quarterly', W: 'weekly', D: 'daily' } as const;

export async function fetchEia(
  context: ProviderContext,
  fetch: SeriesFetch,
  facets: { activityId: string; unit: string } = { activityId: '1', unit: 'TBPD' },
): Promise<FetchResult> {
  if (!context.apiKey) throw new ProviderError('EIA needs an API key (EIA_API_KEY)');
  const result = emptyResult();
  const wanted = new Map(fetch.countries.map((c) => [c.providerCode, c.iso3]));
  const length = context.pageSize ?? 5000;
  const monthly = fetch.source.frequency === 'M';
  let offset = 0;
  for (;;) {
    const query = [
      `api_key=${encodeURIComponent(context.apiKey)}`,
      `frequency=${frequencyName[fetch.source.frequency]}`,
      'data[0]=value',
      `facets[productId][]=${encodeURIComponent(fetch.code)}`,
      `facets[activityId][]=${facets.activityId}`,
      ...fetch.countries.map((c) => `facets[countryRegionId][]=${c.providerCode}`),
      'facets[countryRegionTypeId][]=c',
      `facets[unit][]=${facets.unit}`,
      `start=${monthly ? `${fetch.startYear}-01` : fetch.startYear}`,
      `end=${monthly ? `${fetch.endYear}-12` : fetch.endYear}`,
      'sort[0][column]=period',
      'sort[0][direction]=asc',
      `offset=${offset}`,
      `length=${length}`,
    ].join('&');
    const url = joinUrl(context.baseUrl, `/v2/international/data/?${query}`);
    const response = await context.client.get('eia', url, { signal: context.signal, label: redactKey(url) });
    const record = {
      url: redactKey(url),
      fetchedAt: response.fetchedAt,
      status: response.status,
      rows: 0,
      attempts: response.attempts,
    };
    result.requests.push(record);
    const body = response.status === 200 ? (parseJson(response.body, `EIA ${fetch.code}`) as EiaBody) : undefined;
    if (!body || body.error) {
      const message = body?.error
        ? typeof body.error === 'string'
          ? body.error
          : body.error.message
        : bodySnippet(response.body);
      throw new ProviderError(`EIA product ${fetch.code}: HTTP ${response.status}: ${message}`);
    }
    for (const warning of body.warnings ?? [])
      result.warnings.push(`EIA: ${warning.warning ?? 'warning'}: ${warning.description ?? ''}`.trim());
    const rows = body.response?.data ?? [];
    for (const row of rows) {
      const iso3 = wanted.get(String(row.countryRegionId ?? ''));
      const date = parseDate(String(row.period ?? ''));
      const value = row.value === null || row.value === undefined || row.value === '' ? Number.NaN : Number(row.value);
      if (!iso3 || !date || !Number.isFinite(value)) continue;
      addPoint(result, iso3, { date, value });
      record.rows++;
    }
    offset += rows.length;
    const total = Number(body.response?.total ?? 0);
    if (rows.length === 0 || offset >= total) break;
    // A short page before `total` means the API cut the answer (its "incomplete return"): asking on
    // would repeat it, so stop with what came and say so.
    if (rows.length < length) {
      result.warnings.push(`EIA product ${fetch.code}: ${offset} of ${total} rows returned; the rest was not served`);
      break;
    }
  }
  return result;
}
