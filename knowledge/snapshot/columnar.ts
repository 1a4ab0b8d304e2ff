// Observations as a columnar, dictionary-encoded JSON document: one array per field, and the
// repetitive text fields (country, stat, unit, frequency, provider, series, url) stored once in a
// dictionary with integer codes. About a tenth of row-wise JSON before gzip, and it compresses
// better. Fetch times are not per row: they live in the snapshot's source records, so the same data
// fetched at another time gives the same bytes.
import { compareObservations, type Observation } from './observation.js';

const encoded = ['country', 'stat', 'unit', 'frequency', 'provider', 'series', 'url'] as const;
type EncodedField = (typeof encoded)[number];

export interface ColumnarObservations {
  format: 'caelum-columnar-observations';
  version: 1;
  rows: number;
  dictionaries: Record<EncodedField, string[]>;
  columns: Record<EncodedField, number[]> & { period: string[]; date: string[]; value: number[] };
}

export function toColumnar(observations: readonly Observation[]): ColumnarObservations {
  const sorted = [...observations].sort(compareObservations);
  const dictionaries = Object.fromEntries(encoded.map((f) => [f, [] as string[]])) as Record<EncodedField, string[]>;
  const lookup = Object.fromEntries(encoded.map((f) => [f, new Map<string, number>()])) as Record<
    EncodedField,
    Map<string, number>
  >;
  const columns = {
    ...Object.fromEntries(encoded.map((f) => [f, [] as number[]])),
    period: [] as string[],
    date: [] as string[],
    value: [] as number[],
  } as ColumnarObservations['columns'];
  for (const o of sorted) {
    for (const field of encoded) {
      const text = String(o[field]);
      let code = lookup[field].get(text);
      if (code === undefined) {
        code = dictionaries[field].length;
        dictionaries[field].push(text);
        lookup[field].set(text, code);
      }
      columns[field].push(code);
    }
    columns.period.push(o.period);
    columns.date.push(o.date);
    columns.value.push(o.value);
  }
  return { format: 'caelum-columnar-observations', version: 1, rows: sorted.length, dictionaries, columns };
}

export function fromColumnar(
  data: ColumnarObservations,
  fetchedAt: (provider: string, country: string, stat: string) => string = () => '',
): Observation[] {
  if (data.format !== 'caelum-columnar-observations')
    throw new Error(`not a columnar observations file (format ${String(data.format)})`);
  const out: Observation[] = [];
  for (let i = 0; i < data.rows; i++) {
    const get = (field: EncodedField) => data.dictionaries[field][data.columns[field][i]!]!;
    const provider = get('provider') as Observation['provider'];
    const country = get('country');
    const stat = get('stat');
    out.push({
      country,
      stat,
      period: data.columns.period[i]!,
      date: data.columns.date[i]!,
      value: data.columns.value[i]!,
      unit: get('unit'),
      frequency: get('frequency') as Observation['frequency'],
      provider,
      series: get('series'),
      url: get('url'),
      fetchedAt: fetchedAt(provider, country, stat),
    });
  }
  return out;
}
