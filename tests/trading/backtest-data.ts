// The S&P 500 daily bars of vega-datasets (2000-01-03..2020-04-17) as Bars, for the backtest tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { barsFromRows, type Bars } from '../../tools/trading/market/bars.js';

export const sp500File = path.resolve(import.meta.dirname, '../../node_modules/vega-datasets/data/sp500-2000.csv');

let cached: Bars | undefined;

export function sp500(): Bars {
  if (cached) return cached;
  const lines = readFileSync(sp500File, 'utf8').trim().split('\n').slice(1);
  const rows = lines.map((line) => {
    const [date, open, high, low, close, , volume] = line.split(',');
    return {
      time: Date.parse(`${date}T00:00:00Z`),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    };
  });
  cached = barsFromRows('SP500', sp500File, rows);
  return cached;
}
