// A loopback server that speaks the six data providers' wire formats as the recorded answers in
// tests/knowledge/fixtures/kb-sources show them: World Bank v2 JSON ([meta, rows], paging, message
// 120 errors as HTTP 200, the HTML 400 page, [meta, null]), FRED (series metadata, string values,
// "." for missing, limit/offset paging, 400 error_message), IMF DataMapper (values by ISO-3 and year,
// no `values` key for an unknown indicator), OECD SDMX-CSV (CRLF, rows out of order), BIS SDMX-ML
// StructureSpecificData and EIA v2 (string values and totals, offset paging, warnings). Series are
// generated deterministically per (code, country, date), with two stress episodes so regimes exist.
// It counts requests in flight per provider, and can add latency and scripted faults.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { countries, countryByIso2 } from '../../knowledge/snapshot/catalogue/countries.js';
import { statistics, type Frequency } from '../../knowledge/snapshot/catalogue/statistics.js';
import { hashSeed, normal, seededRandom } from '../../knowledge/snapshot/regimes/random.js';

export const fixtureDir = path.join(import.meta.dirname, '..', 'knowledge', 'fixtures', 'kb-sources');
export const fixture = (relative: string) => readFileSync(path.join(fixtureDir, relative));

export type ProviderName = 'world_bank' | 'fred' | 'imf' | 'oecd' | 'bis' | 'eia';

export type SourceFault = { status: number; retryAfter?: string; body?: string } | 'stall' | 'reset';

export interface SourcesPeerOptions {
  latencyMs?: number;
  /** The last date any series has data for. */
  lastDate?: string;
  /** Extra stress from this date on (drives regime changes between two builds). */
  shock?: { from: string; size: number; countries?: string[] };
  fredKey?: string;
  eiaKey?: string;
}

export interface PeerRequest {
  provider: ProviderName;
  url: string;
}

const dailyFred = new Set([
  'DFEDTARU',
  'ECBMRRFR',
  'T10Y3M',
  'T10YIE',
  'DCOILWTICO',
  'DCOILBRENTEU',
  'BAMLC0A4CBBB',
  'BAMLH0A0HYM2',
]);
const missingFred = new Set(['FBXGLOBAL', 'EUETSACALEGP']);

function fredFrequency(code: string): Frequency | undefined {
  if (missingFred.has(code)) return undefined;
  if (dailyFred.has(code)) return 'D';
  for (const stat of statistics)
    for (const source of stat.sources)
      if (source.provider === 'fred' && Object.values(source.codes).includes(code)) return source.frequency;
  return undefined;
}

const ms = (date: string) => Date.parse(`${date}T00:00:00Z`);
const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Period start dates between two dates for a frequency. */
export function datesBetween(start: string, end: string, frequency: Frequency): string[] {
  const out: string[] = [];
  const [y0, m0] = [Number(start.slice(0, 4)), Number(start.slice(5, 7))];
  const last = ms(end);
  if (frequency === 'A') for (let y = y0; ms(`${y}-01-01`) <= last; y++) out.push(`${y}-01-01`);
  else if (frequency === 'Q' || frequency === 'M') {
    const step = frequency === 'Q' ? 3 : 1;
    let month = y0 * 12 + (frequency === 'Q' ? Math.floor((m0 - 1) / 3) * 3 : m0 - 1);
    for (;;) {
      const date = `${Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}-01`;
      if (ms(date) > last) break;
      out.push(date);
      month += step;
    }
  } else {
    for (let t = ms(start); t <= last; t += 86_400_000) {
      const day = new Date(t).getUTCDay();
      if (frequency === 'W' ? day === 5 : day !== 0 && day !== 6) out.push(iso(t));
    }
  }
  return out;
}

export class SourcesPeer {
  readonly requests: PeerRequest[] = [];
  readonly inFlight: Record<ProviderName, number> = { world_bank: 0, fred: 0, imf: 0, oecd: 0, bis: 0, eia: 0 };
  readonly maxInFlight: Record<ProviderName, number> = { world_bank: 0, fred: 0, imf: 0, oecd: 0, bis: 0, eia: 0 };
  private readonly faults: { match: RegExp; fault: SourceFault; times: number }[] = [];
  private readonly sockets = new Set<Socket>();
  private server: http.Server | undefined;
  url = '';

  constructor(readonly options: SourcesPeerOptions = {}) {}

  /** The next `times` requests whose URL matches get `fault` instead of an answer. */
  fault(match: RegExp, fault: SourceFault, times = 1): void {
    this.faults.push({ match, fault, times });
  }

  count(provider: ProviderName): number {
    return this.requests.filter((r) => r.provider === provider).length;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A value of series `code` for `country` at `date`: AR(1) noise plus a shared stress factor. */
  value(code: string, country: string, date: string): number {
    const seed = hashSeed(`${code}|${country}`);
    const random = seededRandom(seed);
    const level = 1 + random() * 60;
    const scale = 0.2 + random() * 3;
    const loading = random() < 0.5 ? -1 : 1;
    const t = ms(date);
    const month = Math.floor((t - ms('2000-01-01')) / (30.44 * 86_400_000));
    const noise = seededRandom(hashSeed(`${code}|${country}|${month}`));
    let stress = 0;
    if (date >= '2020-03-01' && date < '2021-01-01') stress += 2.5;
    if (date >= '2022-06-01' && date < '2023-07-01') stress += 1.5;
    const shock = this.options.shock;
    if (shock && date >= shock.from && (!shock.countries || shock.countries.includes(country))) stress += shock.size;
    const wiggle = Math.sin(month / 7 + seed) * 0.6 + normal(noise) * 0.3;
    return Math.round((level + scale * (wiggle + loading * stress)) * 1000) / 1000;
  }

  private lastDate(): string {
    return this.options.lastDate ?? '2026-10-31';
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const provider = this.providerOf(url.pathname);
    if (!provider) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    this.requests.push({ provider, url: url.toString() });
    this.inFlight[provider]++;
    this.maxInFlight[provider] = Math.max(this.maxInFlight[provider], this.inFlight[provider]);
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.inFlight[provider]--;
      }
    };
    res.on('close', release);
    try {
      if (this.options.latencyMs) await new Promise((r) => setTimeout(r, this.options.latencyMs));
      const fault = this.faults.find((f) => f.times > 0 && f.match.test(url.toString()));
      if (fault) {
        fault.times--;
        if (fault.fault === 'stall') return; // never answers: the client's timeout must fire
        if (fault.fault === 'reset') {
          req.socket.destroy();
          return;
        }
        res
          .writeHead(fault.fault.status, {
            'content-type': 'application/json',
            ...(fault.fault.retryAfter ? { 'retry-after': fault.fault.retryAfter } : {}),
          })
          .end(fault.fault.body ?? '{"error":"injected"}');
        return;
      }
      const [status, type, body] = this.answer(provider, url);
      res.writeHead(status, { 'content-type': type }).end(body);
    } finally {
      if (res.writableEnded) release();
    }
  }

  private providerOf(pathname: string): ProviderName | undefined {
    if (pathname.startsWith('/v2/country/')) return 'world_bank';
    if (pathname.startsWith('/fred/')) return 'fred';
    if (pathname.startsWith('/external/datamapper/')) return 'imf';
    if (pathname.startsWith('/public/rest/data/')) return 'oecd';
    if (pathname.startsWith('/api/v2/data/')) return 'bis';
    if (pathname.startsWith('/v2/international/')) return 'eia';
    return undefined;
  }

  private answer(provider: ProviderName, url: URL): [number, string, string | Buffer] {
    switch (provider) {
      case 'world_bank':
        return this.worldBank(url);
      case 'fred':
        return this.fred(url);
      case 'imf':
        return this.imf(url);
      case 'oecd':
        return this.oecd(url);
      case 'bis':
        return this.bis(url);
      case 'eia':
        return this.eia(url);
    }
  }

  private worldBank(url: URL): [number, string, string | Buffer] {
    if (url.searchParams.get('source') === 'invalid_source_id')
      return [400, 'text/html', fixture('world-bank/http400-invalid-source-param.html')];
    const [, , , codes, , indicator] = url.pathname.split('/');
    const list = decodeURIComponent(codes ?? '').split(';');
    if (list.some((c) => !countryByIso2.has(c.toUpperCase())))
      return [200, 'application/json;charset=utf-8', fixture('world-bank/error-invalid-country-code-message120.json')];
    if (indicator === 'NO.DATA.IND')
      return [200, 'application/json;charset=utf-8', fixture('world-bank/empty-result-page0-rows-null.json')];
    const [from, to] = (url.searchParams.get('date') ?? '2018:2026').split(':').map(Number) as [number, number];
    const lastYear = Number(this.lastDate().slice(0, 4)) - 1;
    const rows: unknown[] = [];
    for (const code of list) {
      const country = countryByIso2.get(code.toUpperCase())!;
      for (let year = to; year >= from; year--) {
        const value = year > lastYear ? null : this.value(indicator!, country.iso3, `${year}-01-01`);
        rows.push({
          indicator: { id: indicator, value: `Indicator ${indicator}` },
          country: { id: country.iso2, value: country.name },
          countryiso3code: country.iso3,
          date: String(year),
          value,
          unit: '',
          obs_status: '',
          decimal: 1,
        });
      }
    }
    const perPage = Number(url.searchParams.get('per_page') ?? 50);
    const page = Number(url.searchParams.get('page') ?? 1);
    const pages = Math.max(1, Math.ceil(rows.length / perPage));
    const meta = {
      page,
      pages,
      per_page: perPage,
      total: rows.length,
      sourceid: '2',
      sourcename: 'World Development Indicators',
      lastupdated: '2026-10-15',
    };
    return [
      200,
      'application/json;charset=utf-8',
      JSON.stringify([meta, rows.slice((page - 1) * perPage, page * perPage)]),
    ];
  }

  private fred(url: URL): [number, string, string] {
    const key = url.searchParams.get('api_key');
    if (!key || (this.options.fredKey && key !== this.options.fredKey))
      return [
        400,
        'application/json',
        JSON.stringify({
          error_code: 400,
          error_message:
            'Bad Request.  The value for variable api_key is not registered.  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.',
        }),
      ];
    const code = url.searchParams.get('series_id') ?? '';
    const frequency = fredFrequency(code);
    if (!frequency)
      return [
        400,
        'application/json',
        JSON.stringify({ error_code: 400, error_message: 'Bad Request.  The series does not exist.' }),
      ];
    if (url.pathname === '/fred/series') {
      const base = JSON.parse(fixture('fred/CPILFESL-series-metadata.json').toString('utf8')) as {
        seriess: Record<string, unknown>[];
      };
      const names = { D: 'Daily', W: 'Weekly, Ending Friday', M: 'Monthly', Q: 'Quarterly', A: 'Annual' };
      return [
        200,
        'application/json',
        JSON.stringify({
          ...base,
          seriess: [
            {
              ...base.seriess[0],
              id: code,
              title: `Series ${code}`,
              frequency: names[frequency],
              frequency_short: frequency,
              units: 'Units',
            },
          ],
        }),
      ];
    }
    const start = url.searchParams.get('observation_start') ?? '1776-07-04';
    const end = [url.searchParams.get('observation_end') ?? '9999-12-31', this.lastDate()].sort()[0]!;
    const all = datesBetween(start, end, frequency).map((date) => ({
      realtime_start: '2026-11-01',
      realtime_end: '2026-11-01',
      date,
      value: frequency === 'D' && date.slice(5) === '01-01' ? '.' : this.value(code, 'USA', date).toFixed(3),
    }));
    const limit = Number(url.searchParams.get('limit') ?? 100_000);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    return [
      200,
      'application/json',
      JSON.stringify({
        realtime_start: '2026-11-01',
        realtime_end: '2026-11-01',
        observation_start: start,
        observation_end: end,
        units: 'lin',
        output_type: 1,
        file_type: 'json',
        order_by: 'observation_date',
        sort_order: 'asc',
        count: all.length,
        offset,
        limit,
        observations: all.slice(offset, offset + limit),
      }),
    ];
  }

  private imf(url: URL): [number, string, string | Buffer] {
    const indicator = url.pathname.split('/')[5] ?? '';
    const known = statistics.some((s) =>
      s.sources.some((src) => src.provider === 'imf' && Object.values(src.codes).includes(indicator)),
    );
    if (!known) return [200, 'application/json', fixture('imf/datamapper-unknown-indicator-no-values-key.json')];
    const years = (url.searchParams.get('periods') ?? '2018,2019,2020,2021,2022,2023,2024,2025,2026').split(',');
    const values: Record<string, Record<string, number>> = { '': {} };
    for (const iso3 of [...countries.map((c) => c.iso3), 'ARG', 'ZAF']) {
      values[iso3] = Object.fromEntries(
        years
          .filter((y) => Number(y) <= Number(this.lastDate().slice(0, 4)))
          .map((y) => [y, this.value(indicator, iso3, `${y}-01-01`)]),
      );
    }
    return [
      200,
      'application/json',
      JSON.stringify({ values: { [indicator]: values }, api: { version: '1', 'output-method': 'json' } }),
    ];
  }

  private oecd(url: URL): [number, string, string] {
    const [, , , , flow, key] = url.pathname.split('/');
    const parts = (key ?? '').split('.');
    const areas = (parts[0] ?? '').split('+').filter(Boolean);
    const monthly = parts[1] === 'M';
    const start = url.searchParams.get('startPeriod') ?? '2018';
    const end = url.searchParams.get('endPeriod') ?? '2026';
    const dates = datesBetween(
      `${start.slice(0, 4)}-${monthly ? start.slice(5, 7) || '01' : '01'}-01`,
      [`${end.slice(0, 4)}-12-31`, this.lastDate()].sort()[0]!,
      monthly ? 'M' : 'A',
    );
    if (dates.length === 0 || areas.length === 0) return [404, 'text/plain', 'NoRecordsFound'];
    const header =
      'DATAFLOW,REF_AREA,FREQ,MEASURE,UNIT_MEASURE,ACTIVITY,ADJUSTMENT,TRANSFORMATION,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MULT,DECIMALS,BASE_PER';
    const rows: string[] = [];
    const dataflow = decodeURIComponent(flow ?? '').replace(/^([^,]+),([^,]+),(.*)$/, '$1:$2($3)');
    for (const area of areas)
      for (const date of dates)
        rows.push(
          `${dataflow},${area},${parts[1]},${parts[2] ?? ''},PA,_Z,_Z,_Z,${monthly ? date.slice(0, 7) : date.slice(0, 4)},${this.value(key ?? '', area, date)},,,,`,
        );
    // SDMX-CSV rows come in no particular order (the recorded KEI answer shows it).
    const shuffled = rows
      .map((r, i) => [hashSeed(`${r}|${i}`), r] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, r]) => r);
    return [200, 'application/vnd.sdmx.data+csv; charset=utf-8', [header, ...shuffled].join('\r\n') + '\r\n'];
  }

  private bis(url: URL): [number, string, string] {
    const key = url.pathname.split('/').at(-1) ?? '';
    const [frequency, areas] = key.split('.');
    const start = url.searchParams.get('startPeriod') ?? '2018-01';
    const end = url.searchParams.get('endPeriod') ?? '2026-12';
    const dates = datesBetween(
      `${start.slice(0, 7)}-01`.slice(0, 10),
      [`${end.slice(0, 7)}-28`, this.lastDate()].sort()[0]!,
      'M',
    );
    const series = (areas ?? '')
      .split('+')
      .filter((a) => countryByIso2.has(a))
      .map(
        (area) =>
          `<Series FREQ="${frequency}" REF_AREA="${area}" TITLE_TS="Central bank policy rate">${dates.map((d) => `<Obs TIME_PERIOD="${d.slice(0, 7)}" OBS_VALUE="${Math.max(0, this.value('WS_CBPOL', area, d)) / 4}" OBS_STATUS="A" OBS_CONF="F"/>`).join('')}</Series>`,
      );
    if (series.length === 0) return [404, 'text/plain', 'NoResultsFound'];
    return [
      200,
      'application/vnd.sdmx.structurespecificdata+xml; charset=utf-8',
      `<?xml version="1.0" encoding="UTF-8"?><message:StructureSpecificData xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"><message:Header><message:ID>IDREF1</message:ID><message:Test>false</message:Test></message:Header><message:DataSet ss:dataScope="DataStructure" ss:structureRef="BIS_WS_CBPOL_1_0" UNIT_MEASURE="368">${series.join('')}</message:DataSet></message:StructureSpecificData>`,
    ];
  }

  private eia(url: URL): [number, string, string] {
    const key = url.searchParams.get('api_key');
    if (!key || (this.options.eiaKey && key !== this.options.eiaKey))
      return [
        403,
        'application/json',
        JSON.stringify({ error: { code: 'API_KEY_INVALID', message: 'An invalid api_key was supplied.' } }),
      ];
    const areas = url.searchParams.getAll('facets[countryRegionId][]');
    const product = url.searchParams.get('facets[productId][]') ?? '57';
    const start = url.searchParams.get('start') ?? '2018-01';
    const end = url.searchParams.get('end') ?? '2026-12';
    const dates = datesBetween(`${start.slice(0, 7)}-01`, [`${end.slice(0, 7)}-28`, this.lastDate()].sort()[0]!, 'M');
    const rows = dates.flatMap((d) =>
      areas.map((area) => ({
        period: d.slice(0, 7),
        productId: product,
        productName: 'Crude oil including lease condensate',
        activityId: '1',
        activityName: 'Production',
        countryRegionId: area,
        countryRegionName: area,
        countryRegionTypeId: 'c',
        countryRegionTypeName: 'Country',
        dataFlagId: null,
        dataFlagDescription: null,
        unitName: 'thousand barrels per day',
        value: String(Math.round(Math.abs(this.value(`EIA${product}`, area, d)) * 100)),
        unit: 'TBPD',
      })),
    );
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const length = Math.min(5000, Number(url.searchParams.get('length') ?? 5000));
    const page = rows.slice(offset, offset + length);
    const body: Record<string, unknown> = {
      response: {
        total: String(rows.length),
        dateFormat: 'YYYY-MM',
        frequency: 'monthly',
        data: page,
        description: 'Country level production',
      },
      request: { command: '/v2/international/data/', params: { api_key: 'MOCK_API_KEY' } },
      apiVersion: '2.1.13',
      ExcelAddInVersion: '2.1.0',
    };
    if (rows.length > offset + length)
      body.warnings = [
        {
          warning: 'incomplete return',
          description: `The API can only return ${length} rows in JSON format.  Please consider constraining your request with facet, start, or end, or using offset to paginate results.`,
        },
      ];
    return [200, 'application/json', JSON.stringify(body)];
  }
}
