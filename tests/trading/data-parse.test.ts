// The bar parser on the real S&P 500 file (vega-datasets, read from node_modules) and on small
// CSV and JSON inputs: header forms, time forms, the JSON shapes, and malformed input named by row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseBars, type ParsedBars } from '../../tools/trading/market/parse-bars.js';
import { parseTime, toNumber } from '../../tools/trading/market/bar-fields.js';
import { InputError } from '../../tools/errors.js';
import { sp500File } from './data-fixtures.js';

const day = (date: string) => Date.parse(`${date}T00:00:00Z`);
const csv = (text: string) => parseBars(text, { name: 'bars.csv', field: 'file' });
const json = (value: unknown) => parseBars(JSON.stringify(value), { name: 'bars.json', field: 'file' });

function row(bars: ParsedBars, i: number) {
  return [bars.time[i], bars.open[i], bars.high[i], bars.low[i], bars.close[i], bars.volume[i]];
}

test('the S&P 500 file loads every bar with its first and last values and line numbers', async (t) => {
  const text = await readFile(sp500File, 'utf8');
  const started = performance.now();
  const bars = await csv(text);
  const cold = performance.now() - started;
  await csv(text);
  const warm = performance.now() - started - cold;
  t.diagnostic(`parsed ${bars.time.length} bars in ${cold.toFixed(1)} ms cold, ${warm.toFixed(1)} ms warm`);
  // The file holds 5,105 bars (a header and 5,105 lines, the last without a newline).
  assert.equal(bars.time.length, 5105);
  assert.deepEqual(row(bars, 0), [day('2000-01-03'), 1469.25, 1478, 1438.359985, 1455.219971, 931800000]);
  assert.deepEqual(row(bars, 5104), [
    day('2020-04-17'),
    2842.429932,
    2879.219971,
    2830.879883,
    2874.560059,
    5792140000,
  ]);
  assert.equal(bars.rows[0], 2);
  assert.equal(bars.rows[5104], 5106);
  assert.equal(bars.rowLabel, 'line');
});

test('CSV headers match case-insensitively, in any order, with CRLF, blank lines and adjclose ignored', async () => {
  const bars = await csv(
    'Volume,Close,AdjClose,Low,High,Open,Date\r\n10,2,9,1,3,1.5,2024-01-02\r\n\r\n20,2.5,9,2,3,2,2024-01-03\r\n',
  );
  assert.deepEqual(row(bars, 0), [day('2024-01-02'), 1.5, 3, 1, 2, 10]);
  assert.deepEqual(row(bars, 1), [day('2024-01-03'), 2, 3, 2, 2.5, 20]);
  assert.deepEqual([...bars.rows], [2, 4]);
});

test('CSV with quoted fields goes through csv-parse and keeps line numbers', async () => {
  const bars = await csv(
    '"timestamp","open","high","low","close","volume"\n"2024-01-02T14:30:00Z","1","2","0.5","1.5","100"\n"2024-01-02T14:31:00Z","1.5","2","1","1","200"\n',
  );
  assert.equal(bars.time[0], Date.parse('2024-01-02T14:30:00Z'));
  assert.deepEqual([...bars.close], [1.5, 1]);
  assert.deepEqual([...bars.rows], [2, 3]);
});

test('times: dates, ISO times with and without zone, epoch seconds and milliseconds', () => {
  assert.equal(parseTime('2020-02-29'), day('2020-02-29'));
  assert.ok(Number.isNaN(parseTime('2021-02-29')));
  assert.ok(Number.isNaN(parseTime('2021-13-01')));
  assert.equal(parseTime('2024-01-02 09:30'), Date.parse('2024-01-02T09:30:00Z'));
  assert.equal(parseTime('2024-01-02T09:30:00+02:00'), Date.parse('2024-01-02T07:30:00Z'));
  assert.equal(parseTime('1704153600'), day('2024-01-02'));
  assert.equal(parseTime('1704153600000'), day('2024-01-02'));
  assert.ok(Number.isNaN(parseTime('yesterday')));
  assert.ok(Number.isNaN(toNumber('')));
  assert.ok(Number.isNaN(toNumber('NaN')));
  assert.equal(toNumber('0x10'), undefined);
  assert.equal(toNumber('1e3'), 1000);
});

test('JSON: an array, {bars}, and {symbol, bars}; keys case-insensitive; epoch and ISO times; row = index', async () => {
  const bar = { Date: '2024-01-02', Open: 1, High: 2, Low: 0.5, Close: 1.5, Volume: 10 };
  const fromArray = await json([bar, { ...bar, Date: '2024-01-03' }]);
  assert.deepEqual([...fromArray.rows], [0, 1]);
  assert.equal(fromArray.rowLabel, 'index');
  const fromBars = await json({ bars: [{ time: 1704153600, open: '1', high: 2, low: 0.5, close: 1.5, volume: 10 }] });
  assert.equal(fromBars.time[0], day('2024-01-02'));
  assert.equal(fromBars.open[0], 1);
  const named = await json({
    symbol: 'SPX',
    bars: [{ timestamp: '2024-01-02T00:00:00Z', open: 1, high: 2, low: 0.5, close: 1.5, volume: null }],
  });
  assert.equal(named.symbol, 'SPX');
  assert.ok(Number.isNaN(named.volume[0]!), 'a null value is a missing value for validation');
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError, String(error));
  assert.equal(error.field, 'file');
  return error.message;
}

test('malformed CSV names the file, the line and the fix', async () => {
  const header = 'date,open,high,low,close,volume\n';
  assert.match(
    await refusal(csv('date,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n')),
    /bars\.csv line 1: the header has no volume column; expected date .*volume 0 when unknown/,
  );
  assert.match(await refusal(csv('day,open,high,low,close,volume\n')), /no date column/);
  assert.match(
    await refusal(csv(`${header}2024-01-02,1,2,0.5,1.5,10\n2024-01-03,1,2,0.5\n`)),
    /bars\.csv line 3 has 4 fields, the header 6 or more; fix the row/,
  );
  assert.match(
    await refusal(csv(`${header}2024-01-02,1,2,abc,1.5,10\n`)),
    /bars\.csv line 2: low "abc" is not a number; write a plain number/,
  );
  assert.match(
    await refusal(csv(`${header}2024-01-02,1,2,0.5,1.5,10\n\n02/01/2024,1,2,0.5,1.5,10\n`)),
    /line 4: date "02\/01\/2024" is not a date; use YYYY-MM-DD/,
  );
  assert.match(
    await refusal(csv(`${header}"2024-01-02,1,2,0.5,1.5,10\n`)),
    /bars\.csv line \d+ is not valid CSV .*close every quote/,
  );
  assert.match(await refusal(csv('')), /bars\.csv is empty/);
});

test('malformed JSON names the file, the index and the fix', async () => {
  assert.match(
    await refusal(parseBars('[{"date": "2024-01-02",', { name: 'bars.json', field: 'file' })),
    /bars\.json is not valid JSON \(at character \d+\); write an array of bars/,
  );
  assert.match(await refusal(json({ rows: [] })), /holds no bars array; expected/);
  const bar = { date: '2024-01-02', open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 };
  assert.match(
    await refusal(json([bar, { ...bar, date: undefined }])),
    /bars\.json bars\[1\]: no date field; give "date"/,
  );
  assert.match(await refusal(json([bar, bar, { ...bar, high: 'tall' }])), /bars\[2\]: high "tall" is not a number/);
  assert.match(await refusal(json([bar, 7])), /bars\[1\] is not an object/);
});

test('the row budget is named when hit', async () => {
  const lines = ['date,open,high,low,close,volume'];
  for (let i = 1; i <= 11; i++) lines.push(`2024-01-${String(i).padStart(2, '0')},1,2,0.5,1.5,10`);
  const error = await parseBars(lines.join('\n'), { name: 'big.csv', field: 'file', maxRows: 10 }).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof InputError);
  assert.match(error.message, /big\.csv has more than 10 rows, the limit/);
});

test('a long parse yields to the event loop and stops when its signal is aborted', async () => {
  const lines = ['date,open,high,low,close,volume'];
  for (let i = 0; i < 250_000; i++)
    lines.push(`${new Date(Date.UTC(1900, 0, 1 + i)).toISOString().slice(0, 10)},1,2,0.5,1.5,10`);
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => {
    ticks++;
    controller.abort();
  }, 0);
  const error = await parseBars(lines.join('\n'), { name: 'long.csv', field: 'file', signal: controller.signal }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  clearInterval(timer);
  assert.ok(ticks > 0, 'a timer ran during the parse');
  assert.equal(error?.name, 'AbortError');
});
