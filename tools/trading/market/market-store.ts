// Where a symbol's bars come from: SYMBOL.csv or SYMBOL.json in the market data directory.
// (Being extended: provider over HTTP with a local cache, validation; the signatures stay.)
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { SuiteEnvironment } from '../../context.js';
import { InputError } from '../../errors.js';
import { barsFromRows, type BarSource } from './bars.js';

export function marketDirectory(environment: SuiteEnvironment): string {
  return environment.trading?.marketData.directory ?? path.join(environment.dataDir, 'trading', 'market');
}

export function createBarSource(environment: SuiteEnvironment): BarSource {
  const directory = marketDirectory(environment);
  return async (symbol) => {
    const file = path.join(directory, `${symbol}.csv`);
    const text = await readFile(file, 'utf8').catch(() => {
      throw new InputError('symbol', `no bars for "${symbol}"; import a CSV first`);
    });
    const records = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    const rows = records.map((r) => ({
      time: Date.parse(`${r.date}T00:00:00Z`),
      open: Number(r.open),
      high: Number(r.high),
      low: Number(r.low),
      close: Number(r.close),
      volume: Number(r.volume),
    }));
    return barsFromRows(symbol, file, rows);
  };
}
