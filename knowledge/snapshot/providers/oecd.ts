// OECD SDMX REST (sdmx.oecd.org): `/public/rest/data/{agency},{dataflow},{version}/{key}` where the
// key has one position per dimension, "+" joins values and an empty position is a wildcard. All the
// catalogue's OECD members go in one request (REF_AREA = "USA+GBR+..."). The answer is SDMX-CSV by
// default (rows in no particular order, CRLF line ends); SDMX-JSON (1.0 or 2.0, flat or series-keyed)
// is read too. A dataset without a time dimension is an error, not a crash. 404 means no data.
import { parse } from 'csv-parse/sync';
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

const areaIds = ['REF_AREA', 'LOCATION', 'COUNTRY'];
const timeIds = ['TIME_PERIOD', 'TIME', 'YEAR'];

export async function fetchOecd(
  context: ProviderContext,
  fetch: SeriesFetch,
  options: { format?: 'csv' | 'json' } = {},
): Promise<FetchResult> {
  const result = emptyResult();
  const dataflow = fetch.source.dataflow;
  if (!dataflow) throw new ProviderError(`OECD ${fetch.code}: the catalogue gives no dataflow`);
  const key = fetch.code.replace('{area}', fetch.countries.map((c) => c.providerCode).join('+'));
  const start = fetch.source.frequency === 'M' ? `${fetch.startYear}-01` : String(fetch.startYear);
  const end = fetch.source.frequency === 'M' ? `${fetch.endYear}-12` : String(fetch.endYear);
  const json = options.format === 'json';
  const url = joinUrl(
    context.baseUrl,
    `/public/rest/data/${dataflow}/${key}?startPeriod=${start}&endPeriod=${end}&dimensionAtObservation=AllDimensions${json ? '&format=jsondata' : ''}`,
  );
  const response = await context.client.get('oecd', url, {
    signal: context.signal,
    label: url,
    headers: {
      accept: json ? 'application/vnd.sdmx.data+json; charset=utf-8' : 'application/vnd.sdmx.data+csv; charset=utf-8',
    },
  });
  const record = { url, fetchedAt: response.fetchedAt, status: response.status, rows: 0, attempts: response.attempts };
  result.requests.push(record);
  if (response.status === 404) {
    result.warnings.push(`OECD ${dataflow}: no data for ${key} (${bodySnippet(response.body) || 'HTTP 404'})`);
    return result;
  }
  if (response.status !== 200)
    throw new ProviderError(`OECD ${dataflow}/${key}: HTTP ${response.status}: ${bodySnippet(response.body)}`);
  const wanted = new Map(fetch.countries.map((c) => [c.providerCode, c.iso3]));
  const rows =
    /json/i.test(response.contentType) || /^\s*\{/.test(response.body)
      ? sdmxJsonRows(response.body, dataflow)
      : sdmxCsvRows(response.body, dataflow);
  for (const row of rows) {
    const iso3 = wanted.get(row.area);
    const date = parseDate(row.time);
    if (!iso3 || !date || !Number.isFinite(row.value)) continue;
    addPoint(result, iso3, { date, value: row.value });
    record.rows++;
  }
  return result;
}

interface SdmxRow {
  area: string;
  time: string;
  value: number;
}

export function sdmxCsvRows(body: string, what: string): SdmxRow[] {
  const records = parse(body.replace(/^\uFEFF/, ''), {
    columns: true,
    skip_empty_lines: true,
    relax_column_count: true,
  }) as Record<string, string>[];
  if (records.length === 0) return [];
  const columns = Object.keys(records[0]!);
  const area = areaIds.find((id) => columns.includes(id));
  const time = timeIds.find((id) => columns.includes(id));
  if (!area || !time || !columns.includes('OBS_VALUE'))
    throw new ProviderError(
      `OECD ${what}: the CSV has no ${!area ? 'area' : !time ? 'time' : 'OBS_VALUE'} column (columns: ${columns.join(', ')})`,
    );
  return records
    .filter((r) => r.OBS_VALUE !== '' && r.OBS_VALUE !== undefined)
    .map((r) => ({ area: r[area]!, time: r[time]!, value: Number(r.OBS_VALUE) }));
}

interface Dimension {
  id: string;
  values: { id: string }[];
}

export function sdmxJsonRows(body: string, what: string): SdmxRow[] {
  const parsed = parseJson(body, `OECD ${what}`) as { data?: unknown } & Record<string, unknown>;
  const root = (parsed.data ?? parsed) as {
    dataSets?: {
      observations?: Record<string, unknown[]>;
      series?: Record<string, { observations?: Record<string, unknown[]> }>;
    }[];
    structure?: { dimensions?: { series?: Dimension[]; observation?: Dimension[] } };
    structures?: { dimensions?: { series?: Dimension[]; observation?: Dimension[] } }[];
  };
  const structure = root.structure ?? root.structures?.[0];
  const seriesDims = structure?.dimensions?.series ?? [];
  const observationDims = structure?.dimensions?.observation ?? [];
  const all = [...seriesDims, ...observationDims];
  const areaIndex = all.findIndex((d) => areaIds.includes(d.id));
  const timeIndex = all.findIndex((d) => timeIds.includes(d.id));
  if (timeIndex < 0)
    throw new ProviderError(
      `OECD ${what}: the SDMX-JSON dataset has no time dimension (dimensions: ${all.map((d) => d.id).join(', ')})`,
    );
  if (areaIndex < 0)
    throw new ProviderError(
      `OECD ${what}: the SDMX-JSON dataset has no area dimension (dimensions: ${all.map((d) => d.id).join(', ')})`,
    );
  const rows: SdmxRow[] = [];
  const emit = (indices: number[], observation: unknown[]) => {
    const value = observation[0];
    if (typeof value !== 'number' && typeof value !== 'string') return;
    rows.push({
      area: all[areaIndex]!.values[indices[areaIndex]!]?.id ?? '',
      time: all[timeIndex]!.values[indices[timeIndex]!]?.id ?? '',
      value: Number(value),
    });
  };
  const dataSet = root.dataSets?.[0];
  for (const [key, observation] of Object.entries(dataSet?.observations ?? {}))
    emit(key.split(':').map(Number), observation);
  for (const [seriesKey, series] of Object.entries(dataSet?.series ?? {})) {
    const prefix = seriesKey.split(':').map(Number);
    for (const [key, observation] of Object.entries(series.observations ?? {}))
      emit([...prefix, ...key.split(':').map(Number)], observation);
  }
  return rows;
}
