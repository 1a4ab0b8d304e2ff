// Validation names each problem with its source row: CSV lines (header = line 1) and JSON indexes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { parseBars } from '../../tools/trading/market/parse-bars.js';
import { describeErrors, validateBars } from '../../tools/trading/market/validate-bars.js';
import { sp500File } from './data-fixtures.js';

const header = 'date,open,high,low,close,volume';
const good = (date: string) => `${date},10,12,9,11,100`;

async function check(lines: string[]) {
  return validateBars(await parseBars([header, ...lines].join('\n'), { name: 'bars.csv', field: 'file' }));
}

test('clean bars give no issue', async () => {
  const result = await check([good('2024-01-02'), good('2024-01-03'), good('2024-01-04')]);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  assert.equal(result.summary, '3 bars 2024-01-02 to 2024-01-04: 0 errors, 0 warnings');
});

test('each problem is reported at its CSV line', async () => {
  const result = await check([
    good('2024-01-02'), // line 2
    good('2024-01-03'), // line 3
    good('2024-01-03'), // line 4: duplicate
    good('2024-01-01'), // line 5: out of order
    '2024-01-08,10,12,,11,100', // line 6: missing low
    '2024-01-09,0,12,-1,11,100', // line 7: non-positive open and low
    '2024-01-10,10,8,9,8.5,100', // line 8: high < low
    '2024-01-11,13,12,9,8,100', // line 9: open above high, close below low
    '2024-01-12,10,12,9,11,-5', // line 10: negative volume
    good('2024-01-15'), // line 11: fine
  ]);
  const at = (kind: string) => result.errors.filter((e) => e.kind === kind).map((e) => [e.row, e.message]);
  assert.deepEqual(at('duplicate'), [[4, 'line 4: 2024-01-03 repeats line 3; keep one bar per date']]);
  assert.deepEqual(at('out-of-order'), [
    [5, 'line 5: 2024-01-01 comes after 2024-01-03 (line 4); sort the bars by date'],
  ]);
  assert.deepEqual(at('missing'), [[6, 'line 6: 2024-01-08 has no low; fill the value or drop the bar']]);
  assert.deepEqual(at('non-positive-price'), [[7, 'line 7: 2024-01-09 open 0, low -1; prices must be > 0']]);
  assert.deepEqual(at('high-below-low'), [[8, 'line 8: 2024-01-10 high 8 < low 9; swap or fix them']]);
  assert.deepEqual(at('outside-range'), [[9, 'line 9: 2024-01-11 open 13, close 8 outside [low 9, high 12]']]);
  assert.deepEqual(at('negative-volume'), [[10, 'line 10: 2024-01-12 volume -5 < 0; volume must be ≥ 0']]);
  assert.equal(result.errorCount, 7);
  // From 2024-01-01 back to the sorted run: a real gap of 7 days.
  assert.deepEqual(
    result.warnings.map((w) => w.message),
    ['line 6: 7 calendar days between 2024-01-01 (line 5) and 2024-01-08'],
  );
  assert.match(result.summary, /^10 bars 2024-01-02 to 2024-01-15: 7 errors, 1 warning \(/);
  assert.match(describeErrors(result, 2), /^line 4: .*; line 5: .*; and 5 more$/);
});

test('a gap of more than 5 calendar days between daily bars is a warning naming both dates', async () => {
  const result = await check([
    good('2024-01-02'),
    good('2024-01-03'),
    good('2024-01-04'),
    good('2024-01-05'),
    good('2024-01-08'), // a weekend: 3 days, fine
    good('2024-01-13'), // 5 days: fine
    good('2024-01-19'), // 6 days: a gap, line 8
  ]);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, [
    { kind: 'gap', row: 8, message: 'line 8: 6 calendar days between 2024-01-13 (line 7) and 2024-01-19' },
  ]);
});

test('duplicates far apart in unsorted bars are found too', async () => {
  const result = await check([good('2024-01-03'), good('2024-01-02'), good('2024-01-04'), good('2024-01-03')]);
  assert.deepEqual(
    result.errors.filter((e) => e.kind === 'duplicate').map((e) => e.message),
    ['line 5: 2024-01-03 repeats line 2; keep one bar per date'],
  );
});

test('JSON issues name the array index', async () => {
  const bars = [
    { date: '2024-01-02', open: 10, high: 12, low: 9, close: 11, volume: 1 },
    { date: '2024-01-03', open: 10, high: 12, low: 9, close: null, volume: 1 },
  ];
  const result = await validateBars(await parseBars(JSON.stringify(bars), { name: 'b.json', field: 'file' }));
  assert.deepEqual(
    result.errors.map((e) => [e.row, e.message]),
    [[1, 'index 1: 2024-01-03 has no close; fill the value or drop the bar']],
  );
});

test('issues are listed up to the cap per kind and all counted', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 50; i++)
    lines.push(`${new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10)},10,8,9,9,1`);
  const result = await check(lines);
  assert.equal(result.errors.length, 20);
  assert.equal(result.errors[19]!.row, 21);
  assert.equal(result.counts['high-below-low'], 50);
  assert.equal(result.errorCount, 50);
});

test('the S&P 500 file is clean but for one gap: the market closed after 11 September 2001', async () => {
  const bars = await parseBars(await readFile(sp500File, 'utf8'), { name: 'sp500-2000.csv', field: 'file' });
  const result = await validateBars(bars);
  assert.equal(result.errorCount, 0);
  assert.deepEqual(result.warnings, [
    { kind: 'gap', row: 428, message: 'line 428: 7 calendar days between 2001-09-10 (line 427) and 2001-09-17' },
  ]);
});
