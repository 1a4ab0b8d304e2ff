// Bars for the paper trading tests: the S&P 500 file of vega-datasets, read at test time and cut to
// N rows to stand for "now"; appending the next row is a new bar arriving.
import { readFileSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

export interface Row {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function sp500Rows(): Row[] {
  const text = readFileSync(path.join(repoRoot, 'node_modules/vega-datasets/data/sp500-2000.csv'), 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const value = (name: string) => cells[names.indexOf(name)]!;
    return {
      date: value('date'),
      open: Number(value('open')),
      high: Number(value('high')),
      low: Number(value('low')),
      close: Number(value('close')),
      volume: Number(value('volume')),
    };
  });
}

export function marketDir(dataDir: string): string {
  return path.join(dataDir, 'trading', 'market');
}

const line = (r: Row) => `${r.date},${r.open},${r.high},${r.low},${r.close},${r.volume}\n`;

export async function writeBars(dataDir: string, symbol: string, rows: Row[]): Promise<void> {
  await mkdir(marketDir(dataDir), { recursive: true });
  await writeFile(
    path.join(marketDir(dataDir), `${symbol}.csv`),
    'date,open,high,low,close,volume\n' + rows.map(line).join(''),
  );
}

/** A new bar arrives. */
export async function appendBar(dataDir: string, symbol: string, row: Row): Promise<void> {
  await appendFile(path.join(marketDir(dataDir), `${symbol}.csv`), line(row));
}

/** Daily rows from 2024-01-01 with the given opens and closes (high/low around them). */
export function rowsOf(prices: [open: number, close: number][]): Row[] {
  return prices.map(([open, close], index) => ({
    date: new Date(Date.UTC(2024, 0, 1 + index)).toISOString().slice(0, 10),
    open,
    high: Math.max(open, close) + 1,
    low: Math.min(open, close) - 1,
    close,
    volume: 1000,
  }));
}
