// The market store: files in the market directory, the provider over loopback HTTP with its cache
// (refetched after cacheHours by an injected clock, stale when the provider is down), symbols and
// explicit files confined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { InputError, ToolError } from '../../tools/errors.js';
import {
  checkSymbol,
  createBarSource,
  listSymbols,
  loadBarsFile,
  loadSymbol,
  marketDirectory,
} from '../../tools/trading/market/market-store.js';
import { BarsProviderPeer, weekdayBars } from '../peers/bars-provider-peer.js';
import { marketEnvironment, sp500File } from './data-fixtures.js';

const hour = 3_600_000;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e as Error,
  );
}

async function provider(t: { after(fn: () => Promise<void>): void }) {
  const peer = new BarsProviderPeer(new Map([['SPY', weekdayBars('2024-01-01', 30)]]));
  await peer.start();
  t.after(() => peer.stop());
  return peer;
}

test('SYMBOL.csv and SYMBOL.json in the market directory are found case-insensitively', async (t) => {
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir]);
  const market = marketDirectory(environment);
  assert.equal(market, path.join(dir, 'data', 'trading', 'market'));
  await mkdir(market, { recursive: true });
  await copyFile(sp500File, path.join(market, 'sp500.csv'));
  await writeFile(
    path.join(market, 'DEMO.json'),
    JSON.stringify({ symbol: 'DEMO', bars: weekdayBars('2024-01-01', 3) }),
  );
  const source = createBarSource(environment);
  const spx = await source('SP500');
  assert.equal(spx.close.length, 5105);
  assert.equal(spx.close[5104], 2874.560059);
  assert.equal(spx.source, path.join(market, 'sp500.csv'));
  assert.equal((await source('demo')).close.length, 3);
  assert.deepEqual(
    (await listSymbols(environment)).map((f) => [f.symbol, f.format]),
    [
      ['DEMO', 'json'],
      ['sp500', 'csv'],
    ],
  );
});

test('an unknown symbol names the known ones and the two ways to get bars', async (t) => {
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir]);
  await mkdir(marketDirectory(environment), { recursive: true });
  await writeFile(path.join(marketDirectory(environment), 'AAA.csv'), 'date,open,high,low,close,volume\n');
  await writeFile(path.join(marketDirectory(environment), 'BBB.csv'), 'date,open,high,low,close,volume\n');
  const error = await rejection(loadSymbol(environment, 'XYZ'));
  assert.ok(error instanceof InputError);
  assert.equal(
    error.message,
    'symbol: no bars for "XYZ"; known symbols: AAA, BBB; import a file with trading_import_bars or set trading.marketData.providerUrl',
  );
});

test('symbols that try path tricks or odd characters are refused before any file is touched', async (t) => {
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir]);
  for (const symbol of [
    '../secret',
    '..',
    '.hidden',
    'a/b',
    'a\\b',
    'A B',
    '',
    'x'.repeat(21),
    'a\0b',
    '%2e%2e',
    '^GSPC',
  ]) {
    const error = await rejection(loadSymbol(environment, symbol));
    assert.ok(error instanceof InputError, symbol);
    assert.match(error.message, /is not a symbol; use 1-20 letters/);
  }
  for (const symbol of ['SPX', 'BRK.B', 'GSPC^X', 'EURUSD=X', 'BTC-USD', 'a_1'])
    assert.equal(checkSymbol(symbol), symbol);
});

test('bars with validation errors are refused with the first problems and their lines', async (t) => {
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir]);
  await mkdir(marketDirectory(environment), { recursive: true });
  const file = path.join(marketDirectory(environment), 'BAD.csv');
  await writeFile(
    file,
    'date,open,high,low,close,volume\n2024-01-02,10,12,9,11,1\n2024-01-03,10,8,9,9,1\n2024-01-03,10,12,9,11,1\n',
  );
  const error = await rejection(loadSymbol(environment, 'BAD'));
  assert.ok(error instanceof InputError);
  assert.equal(
    error.message,
    `symbol: ${file} has 2 problems: line 3: 2024-01-03 high 8 < low 9; swap or fix them; line 4: 2024-01-03 repeats line 3; keep one bar per date; fix these rows and load it again`,
  );
});

test('an explicit file must lie inside the allowed roots, links out included', async (t) => {
  const dir = await tempDir(t);
  const root = path.join(dir, 'project');
  const outside = path.join(dir, 'outside');
  await mkdir(root, { recursive: true });
  await mkdir(outside, { recursive: true });
  await copyFile(sp500File, path.join(outside, 'sp500.csv'));
  await copyFile(sp500File, path.join(root, 'sp500.csv'));
  await symlink(path.join(outside, 'sp500.csv'), path.join(root, 'link.csv'));
  const environment = marketEnvironment(path.join(dir, 'data'), [root]);
  const loaded = await loadBarsFile('sp500.csv', 'SPX', environment);
  assert.equal(loaded.bars.close.length, 5105);
  assert.equal(loaded.validation.warningCount, 1);
  for (const file of [path.join(outside, 'sp500.csv'), '../outside/sp500.csv', 'link.csv']) {
    const error = await rejection(loadBarsFile(file, 'SPX', environment));
    assert.ok(error instanceof InputError, file);
    assert.equal(error.field, 'file');
    assert.match(error.message, /outside the allowed roots/, file);
  }
});

test('the provider answers an unknown symbol, the answer is cached with fetchedAt, and reused within cacheHours', async (t) => {
  const peer = await provider(t);
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir], {
    providerUrl: `${peer.url}/api`,
    cacheHours: 12,
  });
  let now = Date.parse('2026-01-05T12:00:00Z');
  const options = { now: () => now };
  const first = await loadSymbol(environment, 'spy', options);
  assert.equal(first.origin, 'provider');
  assert.equal(first.bars.close.length, 30);
  assert.equal(first.bars.source, `${peer.url}/api/bars/SPY`);
  assert.deepEqual(peer.requests, ['/api/bars/SPY']);
  const cache = JSON.parse(await readFile(path.join(marketDirectory(environment), 'SPY.json'), 'utf8'));
  assert.equal(cache.fetchedAt, '2026-01-05T12:00:00.000Z');
  assert.equal(cache.bars.length, 30);
  assert.deepEqual(cache.bars[0], weekdayBars('2024-01-01', 1)[0]);

  now += 11 * hour;
  const cached = await loadSymbol(environment, 'SPY', options);
  assert.equal(cached.origin, 'cache');
  assert.deepEqual([...cached.bars.close], [...first.bars.close]);
  assert.equal(peer.requests.length, 1, 'a fresh cache does not call the provider');

  now += 2 * hour;
  const refetched = await loadSymbol(environment, 'SPY', options);
  assert.equal(refetched.origin, 'provider');
  assert.equal(peer.requests.length, 2, 'an expired cache is refetched');
  const recached = JSON.parse(await readFile(path.join(marketDirectory(environment), 'SPY.json'), 'utf8'));
  assert.equal(recached.fetchedAt, '2026-01-06T01:00:00.000Z');
});

test('an expired cache is used, and says so, when the provider answers 500 or stalls', async (t) => {
  const peer = await provider(t);
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir], { providerUrl: peer.url, timeoutMs: 300 });
  let now = Date.parse('2026-01-05T12:00:00Z');
  await loadSymbol(environment, 'SPY', { now: () => now });
  now += 24 * hour;

  peer.mode = { status: 500 };
  const stale = await loadSymbol(environment, 'SPY', { now: () => now });
  assert.equal(stale.origin, 'cache');
  assert.equal(stale.bars.close.length, 30);
  assert.match(
    stale.stale!,
    /cache from 2026-01-05T12:00:00.000Z \(24\.0 h old, over cacheHours 12\) used: .*\/bars\/SPY answered HTTP 500/,
  );
  assert.match(stale.bars.source, /\(stale cache from/);

  peer.mode = 'stall';
  const started = performance.now();
  const stalled = await loadSymbol(environment, 'SPY', { now: () => now });
  assert.ok(performance.now() - started < 5_000);
  assert.match(stalled.stale!, /did not answer within 300 ms/);
  assert.equal(peer.requests.length, 3);
});

test('with no cache, a provider outage is ours to report and a 404 is the caller’s', async (t) => {
  const peer = await provider(t);
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir], { providerUrl: peer.url });
  const missing = await rejection(loadSymbol(environment, 'NOPE'));
  assert.ok(missing instanceof InputError);
  assert.match(
    missing.message,
    /the market data provider has no bars for "NOPE" \(404 from .*\/bars\/NOPE\); check the symbol/,
  );
  peer.mode = { status: 503 };
  const down = await rejection(loadSymbol(environment, 'SPY'));
  assert.ok(down instanceof ToolError);
  assert.equal(down.code, 'UNAVAILABLE');
  assert.match(down.message, /\/bars\/SPY answered HTTP 503/);
  await peer.stop();
  const gone = await rejection(loadSymbol(environment, 'SPY'));
  assert.ok(gone instanceof ToolError);
  assert.match(gone.message, /cannot be reached \(ECONNREFUSED\)/);
});

test('provider bars that fail validation are refused and not cached', async (t) => {
  const bars = weekdayBars('2024-01-01', 5);
  bars[3] = { ...bars[3]!, close: -1 };
  const peer = new BarsProviderPeer(new Map([['BAD', bars]]));
  await peer.start();
  t.after(() => peer.stop());
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir], { providerUrl: peer.url });
  const error = await rejection(loadSymbol(environment, 'BAD'));
  assert.ok(error instanceof ToolError);
  assert.equal(error.code, 'INCOMPLETE');
  assert.match(error.message, /index 3: 2024-01-04 close -1; prices must be > 0/);
  assert.deepEqual(await listSymbols(environment), []);
});

test('a file over the byte budget is refused naming the limit', async (t) => {
  const dir = await tempDir(t);
  const environment = marketEnvironment(path.join(dir, 'data'), [dir]);
  const file = path.join(dir, 'huge.csv');
  await writeFile(file, 'date,open,high,low,close,volume\n');
  const { truncate } = await import('node:fs/promises');
  await truncate(file, 256 * 1024 * 1024 + 1);
  const error = await rejection(loadBarsFile('huge.csv', 'HUGE', environment));
  assert.ok(error instanceof InputError);
  assert.match(error.message, /huge\.csv is 256\.0 MiB, over the 256\.0 MiB limit; it is not read/);
});
