// Market data for the analysis tools' tests and examples, from vega-datasets (read at test time):
// the S&P 500 daily OHLCV (2000-01-03..2020-04-17) as SPX, and the CBOE VIX daily OHLC of June and
// July 2009 (ohlc.json, which has no volume: written as 0) as VIX.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../helpers.js';

export const sp500File = path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'sp500-2000.csv');
export const vixFile = path.join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'ohlc.json');

/** The VIX rows of ohlc.json as the store's CSV. */
export async function vixCsv(): Promise<string> {
  const rows = JSON.parse(await readFile(vixFile, 'utf8')) as {
    date: string;
    open: number;
    high: number;
    low: number;
    close: number;
  }[];
  const lines = rows.map((r) => `${r.date},${r.open},${r.high},${r.low},${r.close},0`);
  return `date,open,high,low,close,volume\n${lines.join('\n')}\n`;
}

/** Writes SPX.csv and VIX.csv into the data dir's market directory. */
export async function seedAnalysisExamples(dataDir: string): Promise<string> {
  const market = path.join(dataDir, 'trading', 'market');
  await mkdir(market, { recursive: true });
  await copyFile(sp500File, path.join(market, 'SPX.csv'));
  await writeFile(path.join(market, 'VIX.csv'), await vixCsv());
  return market;
}
