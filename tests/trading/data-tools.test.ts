// trading_import_bars and trading_list_symbols through the router, in a suite over temp dirs: the
// S&P 500 file imported and listed, refusals as clean input errors, a provider cache listed by age.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { testSuite } from '../helpers.js';
import { createBarSource, marketDirectory } from '../../tools/trading/market/market-store.js';
import { BarsProviderPeer, weekdayBars } from '../peers/bars-provider-peer.js';
import { sp500File } from './data-fixtures.js';

async function suiteWithFiles(t: Parameters<typeof testSuite>[0], env: Record<string, string> = {}) {
  const suite = await testSuite(t, {
    env,
    files: {
      'data/short.csv': 'date,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n',
      'data/bad.csv': 'date,open,high,low,close,volume\n2024-01-02,10,12,9,11,1\n2024-01-03,10,12,9,abc,1\n',
    },
  });
  await copyFile(sp500File, path.join(suite.project, 'data', 'sp500.csv'));
  const context = suite.dispatcher.context({});
  const invoke = (name: string, input: unknown) => suite.dispatcher.router.invoke(name, input, context);
  return { suite, context, invoke };
}

test('the S&P 500 file imports as SPX, is written normalised, listed, and read back by the bar source', async (t) => {
  const { context, invoke } = await suiteWithFiles(t);
  const imported = await invoke('trading_import_bars', { symbol: 'spx', file: 'data/sp500.csv' });
  assert.ok(imported.ok, imported.ok ? '' : imported.error.message);
  assert.equal(imported.output.symbol, 'SPX');
  assert.equal(imported.output.bars, 5105);
  assert.equal(imported.output.first, '2000-01-03');
  assert.equal(imported.output.last, '2020-04-17');
  assert.deepEqual(imported.output.warnings, [
    'line 428: 7 calendar days between 2001-09-10 (line 427) and 2001-09-17',
  ]);
  const file = path.join(marketDirectory(context.environment), 'SPX.csv');
  assert.equal(imported.output.file, file);
  assert.deepEqual(await readdir(marketDirectory(context.environment)), ['SPX.csv'], 'no temporary file is left');
  const written = (await readFile(file, 'utf8')).split('\n');
  assert.equal(written[0], 'date,open,high,low,close,volume');
  assert.equal(written[1], '2000-01-03,1469.25,1478,1438.359985,1455.219971,931800000');
  assert.equal(written.length, 5107);

  const listed = await invoke('trading_list_symbols', {});
  assert.ok(listed.ok);
  assert.deepEqual(listed.output.symbols, [
    {
      symbol: 'SPX',
      bars: 5105,
      first: '2000-01-03',
      last: '2020-04-17',
      source: 'file',
      file,
      fetchedAt: null,
      ageHours: null,
      problem: null,
    },
  ]);
  assert.match(listed.text, /SPX: 5105 bars 2000-01-03 to 2020-04-17 \(file\)/);
  const bars = await createBarSource(context.environment)('SPX');
  assert.equal(bars.close[5104], 2874.560059);
});

test('bad input comes back as a clean input error naming the field, the row and the fix', async (t) => {
  const { invoke } = await suiteWithFiles(t);
  const cases: [unknown, RegExp][] = [
    [
      { symbol: 'SPX', file: 'data/sp500.csv', allowGaps: false },
      /^allowGaps: 1 gap\(s\) .*2001-09-10 \(line 427\) and 2001-09-17; fill them, or pass allowGaps: true/,
    ],
    [{ symbol: 'X', file: 'data/short.csv' }, /^file: data\/short\.csv line 1: the header has no volume column/],
    [{ symbol: 'X', file: 'data/bad.csv' }, /^file: data\/bad\.csv line 3: close "abc" is not a number/],
    [{ symbol: 'X', file: '../../etc/passwd' }, /^file: .* (is outside the allowed roots|does not exist)/],
    [{ symbol: 'X' }, /^file: pass either file .* or bars/],
    [{ symbol: '../X', file: 'data/sp500.csv' }, /symbol/],
    [
      { symbol: 'X', bars: [{ date: '2024-01-02', open: 1, high: 0.5, low: 1, close: 1, volume: 1 }] },
      /^bars: bars has 1 problem: index 0: 2024-01-02 high 0.5 < low 1/,
    ],
  ];
  for (const [input, expected] of cases) {
    const outcome = await invoke('trading_import_bars', input);
    assert.equal(outcome.ok, false, JSON.stringify(input));
    if (outcome.ok) continue;
    assert.equal(outcome.error.kind, 'input', outcome.error.message);
    assert.match(outcome.error.message, expected);
  }
});

test('a provider answer is listed as a provider cache with its age, without calling the provider', async (t) => {
  const peer = new BarsProviderPeer(new Map([['SPY', weekdayBars('2024-01-01', 10)]]));
  await peer.start();
  t.after(() => peer.stop());
  const { context, invoke } = await suiteWithFiles(t, { CAELUM_MARKET_DATA_URL: peer.url });
  const fetchedAt = Date.now() - 3 * 3_600_000;
  await createBarSource(context.environment, { now: () => fetchedAt })('SPY');
  assert.equal(peer.requests.length, 1);
  const listed = await invoke('trading_list_symbols', {});
  assert.ok(listed.ok);
  const [entry] = listed.output.symbols as Record<string, unknown>[];
  assert.equal(entry!.symbol, 'SPY');
  assert.equal(entry!.bars, 10);
  assert.equal(entry!.source, 'provider cache');
  assert.equal(entry!.fetchedAt, new Date(fetchedAt).toISOString());
  assert.equal(entry!.ageHours, 3);
  assert.equal(listed.output.provider, peer.url);
  assert.equal(peer.requests.length, 1);
});

test('a broken file in the market directory is listed with its problem', async (t) => {
  const { context, invoke } = await suiteWithFiles(t);
  const market = marketDirectory(context.environment);
  await mkdir(market, { recursive: true });
  await copyFile(path.join(path.dirname(sp500File), 'sp500-2000.csv'), path.join(market, 'OK.csv'));
  await writeFile(path.join(market, 'BROKEN.csv'), 'date,open,high,low,close,volume\n2024-01-02,10,8,9,9,1\n');
  const listed = await invoke('trading_list_symbols', {});
  assert.ok(listed.ok);
  const symbols = listed.output.symbols as { symbol: string; problem: string | null }[];
  assert.deepEqual(
    symbols.map((s) => s.symbol),
    ['BROKEN', 'OK'],
  );
  assert.match(symbols[0]!.problem!, /1 error.*line 2: 2024-01-02 high 8 < low 9/);
  assert.equal(symbols[1]!.problem, null);
});
