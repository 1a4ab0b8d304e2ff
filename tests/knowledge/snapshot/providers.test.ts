// Each provider fetcher against the real recorded answers in fixtures/kb-sources (served byte for
// byte from a loopback server) and generated paging variations of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchWorldBank } from '../../../knowledge/snapshot/providers/world-bank.js';
import { fetchFred } from '../../../knowledge/snapshot/providers/fred.js';
import { fetchImf } from '../../../knowledge/snapshot/providers/imf.js';
import { fetchOecd, sdmxJsonRows } from '../../../knowledge/snapshot/providers/oecd.js';
import { fetchBis } from '../../../knowledge/snapshot/providers/bis.js';
import { fetchEia } from '../../../knowledge/snapshot/providers/eia.js';
import { ProviderError, type SeriesFetch } from '../../../knowledge/snapshot/providers/provider.js';
import { SourceClient } from '../../../knowledge/snapshot/source-client.js';
import { statisticByName, type SeriesSource } from '../../../knowledge/snapshot/catalogue/statistics.js';
import { yearOnYear } from '../../../knowledge/snapshot/observation.js';
import { fixture } from '../../peers/kb-sources-peer.js';

type Route = (url: URL) => { status?: number; type?: string; body: string | Buffer } | undefined;

async function fixtureServer(
  t: { after(fn: () => Promise<void>): void },
  route: Route,
): Promise<{ url: string; seen: URL[] }> {
  const seen: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push(url);
    const answer = route(url);
    if (!answer) return void res.writeHead(404).end('no route');
    res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const client = () => new SourceClient({ sleep: async () => undefined, timeoutMs: 2000 });
const source = (
  provider: SeriesSource['provider'],
  frequency: SeriesSource['frequency'] = 'A',
  extra: Partial<SeriesSource> = {},
): SeriesSource => ({ provider, codes: {}, frequency, nativeUnit: 'x', transform: 'level', ...extra });
const request = (
  s: SeriesSource,
  code: string,
  countries: [string, string][],
  startYear = 2018,
  endYear = 2019,
): SeriesFetch => ({
  source: s,
  code,
  countries: countries.map(([iso3, providerCode]) => ({ iso3, providerCode })),
  startYear,
  endYear,
});

test('World Bank: follows pages until `pages`, maps ISO-2 back to ISO-3 and skips null values', async (t) => {
  const page1 = fixture('world-bank/jpn-usa-NY.GDP.MKTP.CD-2018-2019-perpage2-page1-of-2.json');
  // Page 2 of the same recorded request: the recording has page 1 only, so page 2 is built from its rows.
  const [meta, rows] = JSON.parse(page1.toString()) as [Record<string, unknown>, Record<string, unknown>[]];
  const page2 = JSON.stringify([
    { ...meta, page: 2 },
    rows.map((r) => ({
      ...r,
      country: { id: 'US', value: 'United States' },
      countryiso3code: 'USA',
      value: r.date === '2018' ? null : 21433226000000,
    })),
  ]);
  const server = await fixtureServer(t, (url) =>
    url.pathname.includes('/indicator/NY.GDP.MKTP.CD')
      ? { body: url.searchParams.get('page') === '2' ? page2 : page1 }
      : undefined,
  );
  const result = await fetchWorldBank(
    { client: client(), baseUrl: server.url, pageSize: 2 },
    request(source('world_bank'), 'NY.GDP.MKTP.CD', [
      ['JPN', 'JP'],
      ['USA', 'US'],
    ]),
  );
  assert.deepEqual(
    server.seen.map((u) => u.searchParams.get('page')),
    ['1', '2'],
  );
  assert.equal(server.seen[0]!.pathname, '/v2/country/JP;US/indicator/NY.GDP.MKTP.CD');
  assert.equal(server.seen[0]!.searchParams.get('date'), '2018:2019');
  assert.deepEqual(
    result.points
      .get('JPN')
      ?.map((p) => p.date)
      .sort(),
    ['2018-01-01', '2019-01-01'],
  );
  assert.equal(result.points.get('JPN')!.find((p) => p.date === '2019-01-01')!.value, 5081769542379.77);
  assert.deepEqual(
    result.points.get('USA'),
    [{ date: '2019-01-01', value: 21433226000000 }],
    'the null 2018 value is skipped',
  );
  assert.equal(result.requests.length, 2);
});

test('World Bank: [meta, null] is no data, a message-120 HTTP 200 is an error isolated per country, an HTML 400 is an error', async (t) => {
  const server = await fixtureServer(t, (url) => {
    if (url.pathname.includes('EMPTY')) return { body: fixture('world-bank/empty-result-page0-rows-null.json') };
    if (url.pathname.includes('HTML'))
      return { status: 400, type: 'text/html', body: fixture('world-bank/http400-invalid-source-param.html') };
    // A batch with the bad code is rejected whole, as the API does; single good countries answer.
    if (url.pathname.includes(';') || url.pathname.includes('/XX/'))
      return { body: fixture('world-bank/error-invalid-country-code-message120.json') };
    return {
      body: JSON.stringify([
        { page: 1, pages: 1, per_page: 1000, total: 1 },
        [{ countryiso3code: 'JPN', country: { id: 'JP' }, date: '2019', value: 1.5 }],
      ]),
    };
  });
  const empty = await fetchWorldBank(
    { client: client(), baseUrl: server.url },
    request(source('world_bank'), 'EMPTY', [['JPN', 'JP']]),
  );
  assert.equal(empty.points.size, 0);
  const mixed = await fetchWorldBank(
    { client: client(), baseUrl: server.url },
    request(source('world_bank'), 'GOOD', [
      ['JPN', 'JP'],
      ['ZZZ', 'XX'],
    ]),
  );
  assert.deepEqual(mixed.points.get('JPN'), [{ date: '2019-01-01', value: 1.5 }]);
  assert.match(mixed.errors.get('ZZZ')!, /id 120 Invalid value/);
  assert.match(mixed.warnings[0]!, /retried country by country/);
  await assert.rejects(
    fetchWorldBank({ client: client(), baseUrl: server.url }, request(source('world_bank'), 'HTML', [['JPN', 'JP']])),
    (error: Error) =>
      error instanceof ProviderError && /HTTP 400 \(an HTML error page\): Request Error/.test(error.message),
  );
});

test('FRED: "." values are skipped and counted, metadata gives the native frequency, and the key never reaches the record', async (t) => {
  const server = await fixtureServer(t, (url) => {
    if (url.pathname === '/fred/series') return { body: fixture('fred/CPILFESL-series-metadata.json') };
    if (url.searchParams.get('series_id') === 'GDP')
      return { body: fixture('fred/GDP-observations-full-history-leading-dot-missing.json') };
    if (url.searchParams.get('series_id') === 'RIFSPPAAAD30NB')
      return { body: fixture('fred/RIFSPPAAAD30NB-observations-2024-01-daily-holiday-dots.json') };
    if (url.searchParams.get('series_id') === 'CPILFESL')
      return { body: fixture('fred/CPILFESL-observations-full-history.json') };
    return {
      status: 400,
      body: JSON.stringify({ error_code: 400, error_message: 'Bad Request.  The series does not exist.' }),
    };
  });
  const context = { client: client(), baseUrl: server.url, apiKey: 'secret-key-123' };
  const gdp = await fetchFred(context, request(source('fred', 'Q'), 'GDP', [['USA', 'GDP']], 1940, 2030));
  assert.equal(gdp.points.get('USA')!.length, 311, '315 observations, the first 4 are "."');
  assert.match(gdp.warnings.join(), /4 missing value/);
  assert.equal(gdp.metadata?.frequency, 'M');
  assert.ok(gdp.requests.every((r) => !r.url.includes('secret-key-123') && r.url.includes('api_key=***')));
  const daily = await fetchFred(
    context,
    request(source('fred', 'D'), 'RIFSPPAAAD30NB', [['USA', 'RIFSPPAAAD30NB']], 2024, 2024),
  );
  assert.equal(daily.points.get('USA')!.length, 22, '24 rows, two holiday dots');
  assert.ok(!daily.points.get('USA')!.some((p) => p.date === '2024-01-15'));
  // Core CPI is an index; its year-on-year change for December 2024 is 3.2%.
  const cpi = await fetchFred(context, request(source('fred', 'M'), 'CPILFESL', [['USA', 'CPILFESL']], 2023, 2024));
  const yoy = yearOnYear(cpi.points.get('USA')!, 'M');
  assert.equal(Math.round(yoy.find((p) => p.date === '2024-12-01')!.value * 10) / 10, 3.2);
  await assert.rejects(
    fetchFred(context, request(source('fred'), 'NOPE', [['USA', 'NOPE']])),
    /FRED NOPE: HTTP 400: Bad Request\. {2}The series does not exist\./,
  );
  await assert.rejects(
    fetchFred({ client: client(), baseUrl: server.url }, request(source('fred'), 'GDP', [['USA', 'GDP']])),
    /FRED needs an API key/,
  );
});

test('IMF DataMapper: one call for all countries by ISO-3; an answer without `values` is no data', async (t) => {
  const server = await fixtureServer(t, (url) =>
    url.pathname.endsWith('/NGDP_R')
      ? { body: fixture('imf/datamapper-unknown-indicator-no-values-key.json') }
      : {
          body: JSON.stringify({
            values: {
              GGXWDG_NGDP: {
                '': {},
                USA: { '2018': 107.5, '2019': 108.1, '2030': 140 },
                DEU: { '2019': 59.6 },
                ZAF: { '2019': 56 },
              },
            },
            api: { version: '1', 'output-method': 'json' },
          }),
        },
  );
  const result = await fetchImf(
    { client: client(), baseUrl: server.url },
    request(source('imf'), 'GGXWDG_NGDP', [
      ['USA', 'USA'],
      ['DEU', 'DEU'],
    ]),
  );
  assert.equal(server.seen.length, 1);
  assert.equal(server.seen[0]!.searchParams.get('periods'), '2018,2019');
  assert.deepEqual(result.points.get('USA'), [
    { date: '2018-01-01', value: 107.5 },
    { date: '2019-01-01', value: 108.1 },
  ]);
  assert.deepEqual(result.points.get('DEU'), [{ date: '2019-01-01', value: 59.6 }]);
  assert.equal(result.points.has('ZAF'), false);
  const none = await fetchImf(
    { client: client(), baseUrl: server.url },
    request(source('imf'), 'NGDP_R', [['USA', 'USA']]),
  );
  assert.equal(none.points.size, 0);
  assert.match(none.warnings[0]!, /no values/);
});

test('OECD: the new API key format and SDMX-CSV rows out of order; SDMX-JSON without a time dimension fails gracefully', async (t) => {
  const server = await fixtureServer(t, (url) =>
    url.pathname.includes('DSD_KEI')
      ? {
          type: 'application/vnd.sdmx.data+csv; charset=utf-8',
          body: fixture('oecd/sdmx-oecd-KEI-GBR-IRLT-monthly-2023-01-2024-01-unordered.csv'),
        }
      : undefined,
  );
  const kei = statisticByName.get('long_term_yield_10y')!.sources[0]!;
  const result = await fetchOecd(
    { client: client(), baseUrl: server.url },
    {
      source: kei,
      code: kei.codes.GBR!,
      countries: [
        { iso3: 'GBR', providerCode: 'GBR' },
        { iso3: 'USA', providerCode: 'USA' },
      ],
      startYear: 2023,
      endYear: 2024,
    },
  );
  assert.equal(server.seen[0]!.pathname, '/public/rest/data/OECD.SDD.STES,DSD_KEI@DF_KEI,4.0/GBR+USA.M.IRLT....');
  const points = result.points.get('GBR')!;
  assert.equal(points.length, 13);
  assert.deepEqual(
    points.find((p) => p.date === '2023-01-01'),
    { date: '2023-01-01', value: 3.5115 },
  );
  assert.equal(points.find((p) => p.date === '2024-01-01')!.value, 3.9319);
  const specimen = fixture('oecd/stats-oecd-sdmx-json-PART2-all-all-reduced-specimen.json').toString();
  assert.throws(
    () => sdmxJsonRows(specimen, 'PART2'),
    (error: Error) =>
      error instanceof ProviderError &&
      /no time dimension \(dimensions: LOCATION, IND, PER, GRD, FLD, MSR\)/.test(error.message),
  );
});

test('BIS: the v2 dataflow path with a FREQ.REF_AREA key, read from SDMX-ML structure-specific data', async (t) => {
  const server = await fixtureServer(t, (url) =>
    url.pathname.startsWith('/api/v2/data/dataflow/BIS/WS_CBPOL/1.0/')
      ? {
          type: 'application/xml',
          body: fixture('bis/api-v2-WS_CBPOL-M.US+JP-2024-01-to-2024-03-structure-specific.xml'),
        }
      : undefined,
  );
  const result = await fetchBis(
    { client: client(), baseUrl: server.url },
    request(
      source('bis', 'M'),
      'WS_CBPOL',
      [
        ['USA', 'US'],
        ['JPN', 'JP'],
      ],
      2024,
      2024,
    ),
  );
  assert.equal(server.seen[0]!.pathname, '/api/v2/data/dataflow/BIS/WS_CBPOL/1.0/M.US+JP');
  assert.deepEqual(result.points.get('JPN'), [
    { date: '2024-01-01', value: -0.1 },
    { date: '2024-02-01', value: -0.1 },
    { date: '2024-03-01', value: 0.05 },
  ]);
  assert.equal(result.points.get('USA')![0]!.value, 5.375);
});

test('EIA: string values and totals, all countries in one request, warnings kept', async (t) => {
  const server = await fixtureServer(t, (url) =>
    url.searchParams.get('facets[productId][]') === '57'
      ? { body: fixture('eia/international-AGO-crude-production-monthly-1973-01-single-row.json') }
      : { body: fixture('eia/petroleum-pri-fut-RCLC1-4-daily-last12rows-warning-incomplete-return.json') },
  );
  const result = await fetchEia(
    { client: client(), baseUrl: server.url, apiKey: 'k' },
    request(
      source('eia', 'M'),
      '57',
      [
        ['AGO', 'AGO'],
        ['USA', 'USA'],
      ],
      1973,
      1973,
    ),
  );
  assert.deepEqual(server.seen[0]!.searchParams.getAll('facets[countryRegionId][]'), ['AGO', 'USA']);
  assert.deepEqual(result.points.get('AGO'), [{ date: '1973-01-01', value: 162 }]);
  const warned = await fetchEia(
    { client: client(), baseUrl: server.url, apiKey: 'k', pageSize: 5000 },
    request(source('eia', 'M'), '99', [['USA', 'USA']], 2024, 2024),
  );
  assert.match(warned.warnings.join(), /incomplete return/);
  assert.equal(warned.requests.length, 1, 'a page with rows stops at total or on the first empty page');
});
