// Where a symbol's bars come from: SYMBOL.csv or SYMBOL.json in the market data directory (names
// matched case-insensitively), else the configured provider, whose answers are cached there as
// SYMBOL.json with `fetchedAt` and refetched after cacheHours. Every load is parsed and validated;
// bars with errors are refused with the first problems and their rows. Explicit files (imports) are
// confined to the allowed roots. Budgets: 256 MiB and 5,000,000 rows a file.
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { SuiteEnvironment } from '../../context.js';
import { Confinement, ConfinedError, asInputError, readConfinedText, writeConfined } from '../../confined-fs.js';
import { InputError, ToolError } from '../../errors.js';
import { resolveInsideRoots } from '../../roots.js';
import { barDate, type Bars, type BarSource } from './bars.js';
import { barLimits, parseBars, type ParsedBars } from './parse-bars.js';
import { describeErrors, validateBars, type BarValidation } from './validate-bars.js';
import { cacheJson, cachedAt, fetchProviderText, providerLabel, type FetchLike } from './market-provider.js';

export const symbolPattern = /^[A-Za-z0-9][A-Za-z0-9.^=_-]{0,19}$/;

export interface MarketStoreOptions {
  /** For the provider (tests inject one); default the global fetch. */
  fetch?: FetchLike;
  /** Epoch ms now, for cache ages; default Date.now. */
  now?: () => number;
}

export interface LoadedBars {
  bars: Bars;
  validation: BarValidation;
  /** file: a local or imported file; cache: the provider's cached answer; provider: fetched now. */
  origin: 'file' | 'cache' | 'provider';
  fetchedAt?: string;
  /** Why a cache past cacheHours was used: the provider's failure. */
  stale?: string;
}

export interface MarketFile {
  symbol: string;
  file: string;
  format: 'csv' | 'json';
}

export function marketDirectory(environment: SuiteEnvironment): string {
  return environment.trading?.marketData.directory ?? path.join(environment.dataDir, 'trading', 'market');
}

/** The symbol if it is one; path tricks (`../x`, `a/b`, `.hidden`) and odd characters are refused. */
export function checkSymbol(symbol: string, field = 'symbol'): string {
  if (!symbolPattern.test(symbol))
    throw new InputError(
      field,
      `"${symbol.slice(0, 40)}" is not a symbol; use 1-20 letters, digits and . ^ = _ - starting with a letter or digit (SPX, BRK.B, EURUSD=X)`,
    );
  return symbol;
}

export function createBarSource(environment: SuiteEnvironment, options: MarketStoreOptions = {}): BarSource {
  return async (symbol, signal) => (await loadSymbol(environment, symbol, { ...options, signal })).bars;
}

/** Bar files in the market directory, one per symbol (CSV before JSON), sorted by symbol. */
export async function listSymbols(environment: SuiteEnvironment): Promise<MarketFile[]> {
  const directory = marketDirectory(environment);
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const found = new Map<string, MarketFile>();
  for (const name of names.sort()) {
    const match = /^(.*)\.(csv|json)$/i.exec(name);
    if (!match || !symbolPattern.test(match[1]!)) continue;
    const key = match[1]!.toUpperCase();
    const format = match[2]!.toLowerCase() as 'csv' | 'json';
    if (found.get(key)?.format === 'csv') continue;
    found.set(key, { symbol: match[1]!, file: path.join(directory, name), format });
  }
  return [...found.values()].sort((a, b) => a.symbol.localeCompare(b.symbol));
}

export async function loadSymbol(
  environment: SuiteEnvironment,
  symbol: string,
  options: MarketStoreOptions & { signal?: AbortSignal | undefined } = {},
): Promise<LoadedBars> {
  checkSymbol(symbol);
  const known = await listSymbols(environment);
  const local = known.find((f) => f.symbol.toUpperCase() === symbol.toUpperCase());
  const marketData = environment.trading?.marketData;
  const now = options.now ?? Date.now;
  if (local) {
    const text = await readMarketFile(environment, local.file);
    const fetchedAt = local.format === 'json' ? cachedAt(text.slice(0, 512)) : undefined;
    if (!fetchedAt) return { ...(await loadBarsText(text, local, 'symbol', options.signal)), origin: 'file' };
    const ageHours = (now() - Date.parse(fetchedAt)) / 3_600_000;
    const expired = !(ageHours <= (marketData?.cacheHours ?? 12));
    if (!expired || !marketData?.providerUrl) {
      return { ...(await loadBarsText(text, local, 'symbol', options.signal)), origin: 'cache', fetchedAt };
    }
    try {
      return await fetchAndCache(environment, local.symbol, options);
    } catch (error) {
      if (!(error instanceof ToolError) || error.code !== 'UNAVAILABLE') throw error;
      const loaded = await loadBarsText(text, local, 'symbol', options.signal);
      const stale = `cache from ${fetchedAt} (${ageHours.toFixed(1)} h old, over cacheHours ${marketData.cacheHours}) used: ${error.message}`;
      loaded.bars.source = `${loaded.bars.source} (stale ${stale})`;
      return { ...loaded, origin: 'cache', fetchedAt, stale };
    }
  }
  if (marketData?.providerUrl) return fetchAndCache(environment, symbol.toUpperCase(), options);
  const names = known.map((f) => f.symbol).join(', ') || 'none';
  throw new InputError(
    'symbol',
    `no bars for "${symbol}"; known symbols: ${names}; import a file with trading_import_bars or set trading.marketData.providerUrl`,
  );
}

/** Bars from an explicit file, which must lie inside the allowed roots. */
export async function loadBarsFile(
  file: string,
  symbol: string,
  environment: SuiteEnvironment,
  options: { signal?: AbortSignal | undefined; field?: string } = {},
): Promise<LoadedBars> {
  const field = options.field ?? 'file';
  checkSymbol(symbol);
  const absolute = (await resolveInsideRoots(file, environment.allowedRoots, field)).absolute;
  let text: string;
  try {
    text = await readConfinedText(absolute, await Confinement.of(environment.allowedRoots), barLimits);
  } catch (error) {
    throw asInputError(error, field, file);
  }
  const format = /\.json$/i.test(file) ? 'json' : /\.(csv|txt)$/i.test(file) ? 'csv' : undefined;
  const loaded = await loadBarsText(text, { symbol, file: absolute, format, shown: file }, field, options.signal);
  return { ...loaded, origin: 'file' };
}

/** Parses and validates; bars with errors are refused, naming the first problems and their rows. */
export async function loadBarsText(
  text: string,
  from: { symbol: string; file: string; format?: 'csv' | 'json' | undefined; shown?: string },
  field: string,
  signal: AbortSignal | undefined,
): Promise<{ bars: Bars; validation: BarValidation }> {
  const name = from.shown ?? from.file;
  const parsed = await parseBars(text, { name, field, format: from.format, signal });
  const validation = await validateBars(parsed, { signal });
  if (validation.errorCount > 0)
    throw new InputError(
      field,
      `${name} has ${validation.errorCount} problem${validation.errorCount === 1 ? '' : 's'}: ${describeErrors(validation)}; fix these rows and load it again`,
    );
  return { bars: toBars(parsed, from.symbol, from.file), validation };
}

export function toBars(parsed: ParsedBars, symbol: string, source: string): Bars {
  const { time, open, high, low, close, volume } = parsed;
  return { symbol, source, time, open, high, low, close, volume };
}

async function fetchAndCache(
  environment: SuiteEnvironment,
  symbol: string,
  options: MarketStoreOptions & { signal?: AbortSignal | undefined },
): Promise<LoadedBars> {
  const marketData = environment.trading!.marketData;
  const providerUrl = marketData.providerUrl!;
  const text = await fetchProviderText(providerUrl, symbol, {
    timeoutMs: marketData.timeoutMs,
    fetch: options.fetch,
    signal: options.signal,
  });
  const source = `${providerLabel(providerUrl)}/bars/${symbol}`;
  let loaded: { bars: Bars; validation: BarValidation };
  try {
    loaded = await loadBarsText(text, { symbol, file: source, format: 'json' }, 'symbol', options.signal);
  } catch (error) {
    // Bad bars from the provider are not the caller's fault, and not ours either.
    if (error instanceof InputError)
      throw new ToolError('INCOMPLETE', `the provider's answer was refused: ${error.message}`);
    throw error;
  }
  const fetchedAt = new Date((options.now ?? Date.now)()).toISOString();
  await writeMarketFile(environment, `${symbol}.json`, cacheJson(loaded.bars, fetchedAt, source));
  return { ...loaded, origin: 'provider', fetchedAt };
}

/** A symbol's bars as the store's CSV (date,open,high,low,close,volume), written atomically; returns the file. */
export async function saveBars(environment: SuiteEnvironment, bars: Bars): Promise<string> {
  // An existing file of the symbol in another case keeps its name, so that one symbol has one file.
  const existing = (await listSymbols(environment)).find((f) => f.symbol.toUpperCase() === bars.symbol.toUpperCase());
  const name = existing?.format === 'csv' ? existing.symbol : bars.symbol.toUpperCase();
  const lines = ['date,open,high,low,close,volume'];
  for (let i = 0; i < bars.time.length; i++)
    lines.push(
      `${barDate(bars.time[i]!)},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}`,
    );
  return writeMarketFile(environment, `${name}.csv`, `${lines.join('\n')}\n`);
}

/** Reads a file of the market directory; a link out of it, or a file over the budget, is refused. */
export async function readMarketFile(environment: SuiteEnvironment, file: string): Promise<string> {
  try {
    return await readConfinedText(file, await Confinement.of([marketDirectory(environment)]), barLimits);
  } catch (error) {
    if (error instanceof ConfinedError) throw new InputError('symbol', error.message);
    throw error;
  }
}

/** Writes `name` into the market directory atomically (temp file + rename). */
export async function writeMarketFile(environment: SuiteEnvironment, name: string, data: string): Promise<string> {
  const directory = marketDirectory(environment);
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, name);
  await writeConfined(file, data, await Confinement.of([directory]), { create: true });
  return file;
}
