// Forwards alerts to a real Alertmanager: POST {url}/api/v2/alerts with Alertmanager's postable
// alerts (labels, annotations, startsAt, endsAt, generatorURL). A 400 is the caller's (the alerts
// are malformed) and quotes Alertmanager's message; unreachable, timeouts and 5xx are Alertmanager's.
import type { Alert } from '../alert-types.js';
import { InputError, ToolError } from '../../../errors.js';
import { redactUrl } from '../../../redact.js';
import { postJson, type FetchLike } from './http-post.js';
import { defaultSleep } from './send.js';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface ForwardOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ForwardResult {
  target: string;
  posted: number;
  httpStatus: number;
  attempts: number;
}

/** Alerts posted in one call at most; Alertmanager takes more, but an agent's batch should not. */
export const maxForwardAlerts = 1000;

export function postableAlert(alert: Alert): PostableAlert {
  const out: PostableAlert = {
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: new Date(alert.startsAt).toISOString(),
  };
  if (alert.endsAt !== undefined) out.endsAt = new Date(alert.endsAt).toISOString();
  if (alert.generatorURL) out.generatorURL = alert.generatorURL;
  return out;
}

/** `{base}/api/v2/alerts`, keeping a path prefix (Alertmanager behind --web.route-prefix). */
export function alertsEndpoint(alertmanagerUrl: string): string {
  const url = new URL(alertmanagerUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}/api/v2/alerts`;
  return url.toString();
}

export async function forwardAlerts(
  alertmanagerUrl: string,
  alerts: Alert[],
  options: ForwardOptions = {},
): Promise<ForwardResult> {
  if (alerts.length === 0) throw new InputError('alerts', 'no alerts to forward; pass at least one');
  if (alerts.length > maxForwardAlerts)
    throw new InputError(
      'alerts',
      `${alerts.length} alerts; the cap is ${maxForwardAlerts} a call; send them in batches`,
    );
  let endpoint: string;
  try {
    endpoint = alertsEndpoint(alertmanagerUrl);
  } catch {
    throw new InputError('alertmanagerUrl', `"${redactUrl(alertmanagerUrl)}" is not a URL; pass http://host:9093`);
  }
  const target = redactUrl(endpoint);
  const outcome = await postJson(
    endpoint,
    JSON.stringify(alerts.map(postableAlert)),
    {},
    {
      fetch: options.fetch,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 1,
      backoffMs: 300,
      sleep: options.sleep ?? defaultSleep,
    },
  );
  if (outcome.ok) return { target, posted: alerts.length, httpStatus: outcome.httpStatus, attempts: outcome.attempts };
  if (outcome.httpStatus === 400)
    throw new InputError(
      'alerts',
      `Alertmanager at ${target} rejected the alerts (${outcome.error}); fix the alerts it names`,
    );
  throw new ToolError('UNAVAILABLE', `Alertmanager at ${target}: ${outcome.error}`);
}
