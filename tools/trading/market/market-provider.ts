// The bars provider over HTTP: GET {providerUrl}/bars/{SYMBOL} answers JSON bars (an array, {bars},
// or {symbol, bars}). Answers are validated by the caller and cached in the market directory as
// SYMBOL.json with `fetchedAt`, so a provider outage falls back to the last good answer.
import { InputError, ToolError, isAbortError } from '../../errors.js';
import { barDate, type Bars } from './bars.js';
import { barLimits } from './parse-bars.js';

export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

/** The provider URL as reported: no credentials, no query (keys travel there). */
export function providerLabel(providerUrl: string): string {
  const url = new URL(providerUrl);
  url.username = '';
  url.password = '';
  url.search = '';
  return url.toString().replace(/\/$/, '');
}

export function barsUrl(providerUrl: string, symbol: string): string {
  const url = new URL(providerUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/bars/${encodeURIComponent(symbol)}`;
  return url.toString();
}

/**
 * Fetches a symbol's bars as text. A 404 is the caller's (no such symbol there); a 5xx, a timeout or
 * a refused connection is the provider's and comes back as ToolError UNAVAILABLE, which the store
 * answers from a stale cache when it has one. The caller's own abort passes through as is.
 */
export async function fetchProviderText(
  providerUrl: string,
  symbol: string,
  settings: { timeoutMs: number; fetch?: FetchLike | undefined; signal?: AbortSignal | undefined },
): Promise<string> {
  const label = `${providerLabel(providerUrl)}/bars/${symbol}`;
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = settings.signal ? AbortSignal.any([settings.signal, timeout]) : timeout;
  const fetchImpl = settings.fetch ?? (globalThis.fetch as FetchLike);
  try {
    const response = await fetchImpl(barsUrl(providerUrl, symbol), { signal, headers: { accept: 'application/json' } });
    if (response.status === 404) {
      await response.body?.cancel();
      throw new InputError(
        'symbol',
        `the market data provider has no bars for "${symbol}" (404 from ${label}); check the symbol`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ToolError('UNAVAILABLE', `${label} answered HTTP ${response.status}`);
    }
    return await readCapped(response, label);
  } catch (error) {
    if (error instanceof InputError || error instanceof ToolError) throw error;
    if (settings.signal?.aborted) throw error;
    if (timeout.aborted || isAbortError(error))
      throw new ToolError('UNAVAILABLE', `${label} did not answer within ${settings.timeoutMs} ms`, { cause: error });
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new ToolError('UNAVAILABLE', `${label} cannot be reached (${cause})`, { cause: error });
  }
}

/** The body, refused past the file budget (a provider answer is held to the same 256 MiB). */
async function readCapped(response: Response, label: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  const tooLarge = () =>
    new ToolError('UNAVAILABLE', `${label} answered more than ${barLimits.maxBytes / 1048576} MiB, the limit for bars`);
  if (declared > barLimits.maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > barLimits.maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** The cache file: `fetchedAt` comes first so that its age can be read without parsing the bars. */
export function cacheJson(bars: Bars, fetchedAt: string, source: string): string {
  const lines: string[] = [];
  for (let i = 0; i < bars.time.length; i++) {
    const date = barDate(bars.time[i]!);
    lines.push(
      `{"date":"${date}","open":${bars.open[i]},"high":${bars.high[i]},"low":${bars.low[i]},"close":${bars.close[i]},"volume":${bars.volume[i]}}`,
    );
  }
  const head = `{"fetchedAt":${JSON.stringify(fetchedAt)},"symbol":${JSON.stringify(bars.symbol)},"source":${JSON.stringify(source)}`;
  return `${head},"bars":[\n${lines.join(',\n')}\n]}\n`;
}

/** The `fetchedAt` of a cache file, from its first bytes; undefined for a plain JSON bars file. */
export function cachedAt(head: string): string | undefined {
  return /^\s*\{\s*"fetchedAt"\s*:\s*"([^"]+)"/.exec(head)?.[1];
}
