// The market data tools: import a symbol's bars from a file (or a few inline bars) into the market
// directory, validated and normalised, and list the symbols there with their spans and origins.
import { z } from 'zod';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { barDate, type Bars } from './bars.js';
import { parseBars } from './parse-bars.js';
import { cachedAt, providerLabel } from './market-provider.js';
import {
  checkSymbol,
  listSymbols,
  loadBarsFile,
  loadBarsText,
  marketDirectory,
  readMarketFile,
  saveBars,
  symbolPattern,
} from './market-store.js';
import { validateBars } from './validate-bars.js';

/** Inline bars are for a handful pasted by an agent; files are for history. */
const maxInlineBars = 10_000;

const span = (bars: Bars) => {
  const n = bars.time.length;
  return { first: n > 0 ? barDate(bars.time[0]!) : null, last: n > 0 ? barDate(bars.time[n - 1]!) : null };
};

export const importBars = defineTool({
  name: 'trading_import_bars',
  domain: 'trading',
  tags: ['market data', 'ohlcv', 'candles', 'import', 'csv', 'ticker', 'history'],
  requests: [
    'import daily OHLCV history from a CSV file',
    'load open high low close volume data for a ticker',
    'add daily candles for SPX from a file',
    'check an OHLCV file for gaps and bad rows',
    'store my own market data under a ticker symbol',
  ],
  title: 'Import a symbol’s OHLCV history',
  description:
    'Reads a CSV or JSON file of daily (or intraday) OHLCV candles under an allowed root, or up to 10,000 inline ones, validates them (order, duplicates, missing values, open, high, low or close ≤ 0, high < low, open/close outside the range, negative volume; gaps of more than 5 calendar days are warnings) and writes them as SYMBOL.csv into the market data directory, where the trading tools find them. Refuses data with errors, naming the rows to fix. CSV needs a header with date (or time, timestamp), open, high, low, close, volume; JSON is an array of such objects, or that array under a "bars" key. Replaces an earlier import of the symbol. Example: {"symbol": "SPX", "file": "data/sp500.csv"}',
  kind: { effect: 'action', idempotent: true },
  input: z.object({
    symbol: z
      .string()
      .regex(symbolPattern, 'a symbol is 1-20 letters, digits and . ^ = _ - (SPX, BRK.B, EURUSD=X)')
      .describe(
        'Symbol to store the bars under, e.g. SPX; stored upper-case; 1-20 of A-Z a-z 0-9 . ^ = _ -, starting with a letter or digit.',
      ),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'CSV or JSON bars file, relative to the first allowed root (or absolute inside one); at most 256 MiB and 5,000,000 rows.',
      ),
    bars: z
      .array(z.record(z.string(), z.unknown()))
      .max(maxInlineBars)
      .optional()
      .describe(
        'Instead of file: bars as objects {date: "2024-01-02", open, high, low, close, volume}; at most 10,000.',
      ),
    allowGaps: z
      .boolean()
      .default(true)
      .describe('Accept gaps of more than 5 calendar days between bars (reported as warnings); false refuses them.'),
  }),
  output: z.object({
    symbol: z.string(),
    bars: z.number().int(),
    first: z.string().nullable(),
    last: z.string().nullable(),
    file: z.string().describe('the normalised CSV written in the market directory'),
    warnings: z.array(z.string()).describe('the first warnings of each kind, with their rows'),
    warningCount: z.number().int(),
    summary: z.string(),
  }),
  examples: [
    {
      symbol: 'DEMO',
      bars: [
        { date: '2024-01-02', open: 100, high: 102, low: 99, close: 101, volume: 1_200_000 },
        { date: '2024-01-03', open: 101, high: 103, low: 100.5, close: 102.5, volume: 1_100_000 },
        { date: '2024-01-04', open: 102.5, high: 102.8, low: 98.7, close: 99.2, volume: 1_900_000 },
      ],
    },
  ],
  async handler(input, context) {
    const symbol = checkSymbol(input.symbol);
    if ((input.file === undefined) === (input.bars === undefined))
      throw new InputError(
        'file',
        'pass either file (a CSV or JSON path) or bars (inline objects), not both or neither',
      );
    const loaded = input.file
      ? await loadBarsFile(input.file, symbol, context.environment, { signal: context.signal })
      : await loadBarsText(
          JSON.stringify(input.bars),
          { symbol, file: 'inline', format: 'json', shown: 'bars' },
          'bars',
          context.signal,
        );
    const { validation } = loaded;
    if (!input.allowGaps && (validation.counts.gap ?? 0) > 0)
      throw new InputError(
        'allowGaps',
        `${validation.counts.gap} gap(s) of more than 5 calendar days: ${validation.warnings
          .slice(0, 3)
          .map((w) => w.message)
          .join('; ')}; fill them, or pass allowGaps: true to accept them`,
      );
    const bars = { ...loaded.bars, symbol: symbol.toUpperCase() };
    const file = await saveBars(context.environment, bars);
    return {
      symbol: bars.symbol,
      bars: bars.time.length,
      ...span(bars),
      file,
      warnings: validation.warnings.map((w) => w.message),
      warningCount: validation.warningCount,
      summary: validation.summary,
    };
  },
  summarize: (o) =>
    `Imported ${o.bars} bars of ${o.symbol} (${o.first} to ${o.last}) into ${o.file}. ${o.summary}${o.warnings.length > 0 ? `\n${o.warnings.join('\n')}` : ''}`,
});

const symbolEntry = z.object({
  symbol: z.string(),
  bars: z.number().int(),
  first: z.string().nullable(),
  last: z.string().nullable(),
  source: z.enum(['file', 'provider cache']).describe('an imported or placed file, or a cached provider answer'),
  file: z.string(),
  fetchedAt: z.string().nullable().describe('when a provider cache was fetched'),
  ageHours: z.number().nullable().describe('how old a provider cache is, in hours'),
  problem: z.string().nullable().describe('why the file cannot be used as it is, if it cannot'),
});

/** Symbols listed per call; each is read whole, so the listing has a budget too. */
const maxListed = 200;

export const listSymbolsTool = defineTool({
  name: 'trading_list_symbols',
  domain: 'trading',
  tags: ['market data', 'symbols', 'ohlcv', 'tickers', 'list', 'cache', 'inventory'],
  requests: [
    'which ticker symbols have OHLCV data',
    'list the market data we hold',
    'what date range of candles do we have for SPX',
    'is the cached market data provider answer stale',
  ],
  title: 'List symbols with market data',
  description:
    'Lists the symbols in the market data directory (imported files and cached provider answers) with their row count, first and last date, origin, and for a provider cache when it was fetched and how old it is; a file that fails to parse or validate is listed with the problem. Reads local files only: it never calls the provider. Use it to see which symbols and date ranges the trading tools can use. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({}),
  output: z.object({
    directory: z.string(),
    provider: z.string().nullable().describe('the configured provider, if any, without credentials'),
    symbols: z.array(symbolEntry),
    total: z.number().int().describe(`symbols in the directory; at most ${maxListed} are listed`),
  }),
  examples: [{}],
  async handler(_input, context) {
    const environment = context.environment;
    const files = await listSymbols(environment);
    const now = Date.now();
    const symbols: z.input<typeof symbolEntry>[] = [];
    for (const entry of files.slice(0, maxListed)) {
      context.signal.throwIfAborted();
      const row: z.input<typeof symbolEntry> = {
        symbol: entry.symbol,
        bars: 0,
        first: null,
        last: null,
        source: 'file',
        file: entry.file,
        fetchedAt: null,
        ageHours: null,
        problem: null,
      };
      try {
        const text = await readMarketFile(environment, entry.file);
        const fetchedAt = entry.format === 'json' ? cachedAt(text.slice(0, 512)) : undefined;
        if (fetchedAt) {
          row.source = 'provider cache';
          row.fetchedAt = fetchedAt;
          row.ageHours = Math.round(((now - Date.parse(fetchedAt)) / 3_600_000) * 10) / 10;
        }
        const parsed = await parseBars(text, {
          name: entry.file,
          field: 'symbol',
          format: entry.format,
          signal: context.signal,
        });
        row.bars = parsed.time.length;
        Object.assign(row, span({ ...parsed, symbol: entry.symbol, source: entry.file }));
        const validation = await validateBars(parsed, { listed: 1, signal: context.signal });
        if (validation.errorCount > 0) row.problem = `${validation.summary}; first: ${validation.errors[0]!.message}`;
      } catch (error) {
        if (context.signal.aborted) throw error;
        row.problem = (error as Error).message;
      }
      symbols.push(row);
    }
    const providerUrl = environment.trading?.marketData.providerUrl;
    return {
      directory: marketDirectory(environment),
      provider: providerUrl ? providerLabel(providerUrl) : null,
      symbols,
      total: files.length,
    };
  },
  summarize: (o) =>
    o.symbols.length === 0
      ? `No market data in ${o.directory}; import bars with trading_import_bars${o.provider ? ` or ask for a symbol the provider (${o.provider}) has` : ''}.`
      : o.symbols
          .map(
            (s) =>
              `${s.symbol}: ${s.bars} bars ${s.first ?? ''} to ${s.last ?? ''} (${s.source}${s.ageHours !== null ? `, ${s.ageHours} h old` : ''})${s.problem ? ` PROBLEM: ${s.problem}` : ''}`,
          )
          .join('\n') + (o.total > o.symbols.length ? `\n(${o.total - o.symbols.length} more not listed)` : ''),
});
