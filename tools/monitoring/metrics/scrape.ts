// Reads a Prometheus text exposition endpoint (node_exporter's /metrics and the like) into metric
// families: asks for text format 0.0.4 (gzip accepted), checks the Content-Type loosely (text/plain,
// OpenMetrics text, or none; never HTML or JSON), and parses within the same byte cap.
import { ToolError } from '../../errors.js';
import { ExpositionError, parseExposition, type MetricFamily } from './exposition.js';
import { httpGet, type FetchFunction } from './http-source.js';

export interface ScrapeOptions {
  fetch?: FetchFunction;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Largest body accepted (after gzip), default 16 MiB. */
  maxBytes?: number;
  signal?: AbortSignal;
  bearerToken?: string;
  /** Wall-clock ms, for `at`. */
  now?: () => number;
}

export interface Scrape {
  url: string;
  /** When the answer was complete, wall ms. */
  at: number;
  bytes: number;
  contentType: string;
  families: MetricFamily[];
}

export const defaultScrapeTimeoutMs = 10_000;
export const defaultScrapeMaxBytes = 16 * 1024 * 1024;
const acceptExposition = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

function isExpositionType(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === '' || type === 'text/plain' || type === 'application/openmetrics-text';
}

export async function scrapeExposition(url: string, options: ScrapeOptions = {}): Promise<Scrape> {
  const maxBytes = options.maxBytes ?? defaultScrapeMaxBytes;
  const answer = await httpGet(url, {
    timeoutMs: options.timeoutMs ?? defaultScrapeTimeoutMs,
    maxBytes,
    accept: acceptExposition,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.bearerToken ? { bearerToken: options.bearerToken } : {}),
  });
  const at = (options.now ?? Date.now)();
  if (!isExpositionType(answer.contentType))
    throw new ToolError(
      'UNAVAILABLE',
      `${answer.shownUrl} answered Content-Type ${answer.contentType}, not a Prometheus exposition (text/plain; version=0.0.4); point at the /metrics endpoint`,
    );
  try {
    const families = parseExposition(answer.body, { maxBytes });
    return { url: answer.shownUrl, at, bytes: answer.bytes, contentType: answer.contentType, families };
  } catch (error) {
    if (error instanceof ExpositionError)
      throw new ToolError('TOOL_FAILED', `${answer.shownUrl}: ${error.message}`, { cause: error });
    throw error;
  }
}
