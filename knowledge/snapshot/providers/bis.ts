// BIS statistics API v2: `/api/v2/data/dataflow/BIS/{flow}/1.0/{FREQ}.{REF_AREA+...}`; WS_CBPOL's key
// is FREQ.REF_AREA with ISO-2 areas. The answer is SDMX-ML 2.1 StructureSpecificData: <Series
// REF_AREA=...> holding <Obs TIME_PERIOD=... OBS_VALUE=...>. 404 means no data for the key.
import { XMLParser } from 'fast-xml-parser';
import { parseDate } from '../observation.js';
import {
  addPoint,
  bodySnippet,
  emptyResult,
  joinUrl,
  ProviderError,
  type FetchResult,
  type ProviderContext,
  type SeriesFetch,
} from './provider.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  isArray: (name) => name === 'Series' || name === 'Obs' || name === 'DataSet',
});

export async function fetchBis(context: ProviderContext, fetch: SeriesFetch, flow = 'WS_CBPOL'): Promise<FetchResult> {
  const result = emptyResult();
  const key = `${fetch.source.frequency}.${fetch.countries.map((c) => c.providerCode).join('+')}`;
  const from = fetch.source.frequency === 'M' ? `${fetch.startYear}-01` : String(fetch.startYear);
  const to = fetch.source.frequency === 'M' ? `${fetch.endYear}-12` : String(fetch.endYear);
  const url = joinUrl(
    context.baseUrl,
    `/api/v2/data/dataflow/BIS/${flow}/1.0/${key}?startPeriod=${from}&endPeriod=${to}`,
  );
  const response = await context.client.get('bis', url, {
    signal: context.signal,
    label: url,
    headers: { accept: 'application/vnd.sdmx.structurespecificdata+xml;version=2.1' },
  });
  const record = { url, fetchedAt: response.fetchedAt, status: response.status, rows: 0, attempts: response.attempts };
  result.requests.push(record);
  if (response.status === 404) {
    result.warnings.push(`BIS ${flow}: no data for ${key}`);
    return result;
  }
  if (response.status !== 200)
    throw new ProviderError(`BIS ${flow}/${key}: HTTP ${response.status}: ${bodySnippet(response.body)}`);
  let document: {
    StructureSpecificData?: {
      DataSet?: { Series?: { REF_AREA?: string; Obs?: { TIME_PERIOD?: string; OBS_VALUE?: string }[] }[] }[];
    };
  };
  try {
    document = parser.parse(response.body);
  } catch (error) {
    throw new ProviderError(`BIS ${flow}/${key}: the answer is not SDMX-ML (${(error as Error).message})`);
  }
  const dataSets = document.StructureSpecificData?.DataSet;
  if (!dataSets)
    throw new ProviderError(`BIS ${flow}/${key}: no DataSet in the answer (${bodySnippet(response.body)})`);
  const wanted = new Map(fetch.countries.map((c) => [c.providerCode, c.iso3]));
  for (const series of dataSets.flatMap((d) => d.Series ?? [])) {
    const iso3 = wanted.get(String(series.REF_AREA ?? ''));
    if (!iso3) continue;
    for (const obs of series.Obs ?? []) {
      const date = parseDate(String(obs.TIME_PERIOD ?? ''));
      const value = obs.OBS_VALUE === undefined || obs.OBS_VALUE === 'NaN' ? Number.NaN : Number(obs.OBS_VALUE);
      if (!date || !Number.isFinite(value)) continue;
      addPoint(result, iso3, { date, value });
      record.rows++;
    }
  }
  return result;
}
