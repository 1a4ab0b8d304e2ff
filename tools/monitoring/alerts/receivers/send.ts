// Sends one notification to every integration of a receiver, or (dry run) shows exactly what each
// would receive. Results name the target by scheme and host only: a Slack webhook's path and a
// PagerDuty routing key are the credentials, and they never appear in a result, an error or a
// dry-run payload ("<redacted>" there). Slack sends pass a per-URL token bucket first: a send waits
// (through the injected sleep) when a token frees within `slackMaxWaitMs`, and is otherwise
// deferred as `rate_limited` with `retryAfterMs`, never queued behind the caller's back.
import nodemailer from 'nodemailer';
import type { Notification, ReceiverConfig } from '../alert-types.js';
import { SecretSet } from '../../../secrets.js';
import { redactText } from '../../../redact.js';
import {
  buildEmailMessage,
  smtpTransportOptions,
  type EmailMessage,
  type SmtpTransportOptions,
} from './email-message.js';
import { postJson, type FetchLike, type PostOptions, type PostOutcome } from './http-post.js';
import { buildPagerDutyEvent } from './pagerduty-payload.js';
import { slackRateLimiter, type TokenBucket } from './rate-limiter.js';
import { buildSlackPayload, slackPayloadProblems } from './slack-payload.js';
import { buildWebhookPayload } from './webhook-payload.js';
import { nextRepeatLine } from './notification-text.js';
import { utf8Bytes } from './text-limits.js';

export type IntegrationKind = 'slack' | 'pagerduty' | 'webhook' | 'email';

export interface IntegrationResult {
  integration: IntegrationKind;
  /** Position within the receiver's list of that kind. */
  index: number;
  /** scheme://host[:port] only. */
  target: string;
  status: 'sent' | 'dry_run' | 'failed' | 'rate_limited' | 'skipped';
  httpStatus?: number;
  error?: string;
  attempts: number;
  payloadBytes: number;
  /** Only in a dry run, secrets replaced by "<redacted>". */
  payload?: unknown;
  retryAfterMs?: number;
  /** What the limits changed: alerts left out, fields dropped. */
  notes: string[];
}

export type Mailer = (
  transport: SmtpTransportOptions,
  message: EmailMessage,
  settings: { timeoutMs: number; signal?: AbortSignal | undefined },
) => Promise<{ response: string }>;

export interface SendOptions {
  dryRun?: boolean;
  fetch?: FetchLike;
  now?: () => number;
  /** Waits between retries and for a Slack token; injected so tests need not sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Per attempt (HTTP) or per connection stage (SMTP). Default 10 s. */
  timeoutMs?: number;
  /** Further attempts after a 5xx or network failure. Default 2. */
  retries?: number;
  backoffMs?: number;
  /** Shared across calls so the 1 msg/s holds per webhook; default one per process. */
  slackLimiter?: TokenBucket;
  /** Longest wait for a Slack token before the send is deferred as rate_limited. Default 2 s. */
  slackMaxWaitMs?: number;
  /** Alertmanager's externalURL in webhook payloads. */
  externalUrl?: string;
  mailer?: Mailer;
}

export const redactedMarker = '<redacted>';
/** A webhook body above this is refused before sending (max_alerts is how to stay below it). */
export const maxWebhookBytes = 4 * 1024 * 1024;

let processSlackLimiter: TokenBucket | undefined;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** scheme://host[:port] of a URL, never its path, query or credentials. */
export function targetOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Adds a receiver's credentials to a secret set: Slack webhook URLs and their paths, PagerDuty
 * routing keys, webhook URL credentials and SMTP passwords. The composition root should call it
 * with the process-wide `secrets` (tools/secrets.ts) for every configured receiver, so logs and
 * every other result are scrubbed of them too; send uses its own set per call as well.
 */
export function registerReceiverSecrets(receivers: ReceiverConfig[], set: SecretSet): void {
  for (const receiver of receivers) {
    for (const slack of receiver.slack) {
      set.add(slack.apiUrl);
      try {
        set.add(new URL(slack.apiUrl).pathname);
      } catch {
        // Not a URL: the whole value is registered above.
      }
    }
    for (const pagerduty of receiver.pagerduty) set.add(pagerduty.routingKey);
    for (const webhook of receiver.webhook) set.addUrl(webhook.url);
    for (const email of receiver.email) set.add(email.authPassword);
  }
}

function secretsOf(receiver: ReceiverConfig): SecretSet {
  const set = new SecretSet();
  registerReceiverSecrets([receiver], set);
  return set;
}

/** The notification as this integration sees it: resolved alerts dropped when send_resolved is false. */
function forIntegration(n: Notification, sendResolved: boolean): Notification | undefined {
  if (sendResolved) return n;
  const alerts = n.alerts.filter((a) => a.status === 'firing');
  return alerts.length === 0 ? undefined : { ...n, status: 'firing', alerts };
}

function fromOutcome(
  outcome: PostOutcome,
): Pick<IntegrationResult, 'status' | 'httpStatus' | 'error' | 'attempts' | 'retryAfterMs'> {
  if (outcome.ok) return { status: 'sent', httpStatus: outcome.httpStatus, attempts: outcome.attempts };
  return {
    status: outcome.rateLimited ? 'rate_limited' : 'failed',
    ...(outcome.httpStatus === undefined ? {} : { httpStatus: outcome.httpStatus }),
    error: outcome.error,
    attempts: outcome.attempts,
    ...(outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs }),
  };
}

export const nodemailerMailer: Mailer = async (transport, message, settings) => {
  const mailer = nodemailer.createTransport({
    ...transport,
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  try {
    const sending = mailer.sendMail(message);
    if (!settings.signal) return { response: (await sending).response };
    const signal = settings.signal;
    const aborted = new Promise<never>((_resolve, reject) => {
      if (signal.aborted) reject(new Error('cancelled by the caller'));
      signal.addEventListener('abort', () => reject(new Error('cancelled by the caller')), { once: true });
    });
    return { response: (await Promise.race([sending, aborted])).response };
  } finally {
    mailer.close();
  }
};

export async function sendNotification(
  receiver: ReceiverConfig,
  n: Notification,
  options: SendOptions = {},
): Promise<IntegrationResult[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const post: PostOptions = {
    fetch: options.fetch,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 10_000,
    retries: options.retries ?? 2,
    backoffMs: options.backoffMs ?? 500,
    sleep,
  };
  const limiter = options.slackLimiter ?? (processSlackLimiter ??= slackRateLimiter(now));
  const secrets = secretsOf(receiver);
  const clean = (text: string) => redactText(secrets.scrub(text));
  const results: IntegrationResult[] = [];
  const skipped = (integration: IntegrationKind, index: number, target: string): IntegrationResult => ({
    integration,
    index,
    target,
    status: 'skipped',
    attempts: 0,
    payloadBytes: 0,
    notes: ['every alert is resolved and send_resolved is false'],
  });

  for (const [index, config] of receiver.slack.entries()) {
    const target = targetOf(config.apiUrl);
    const view = forIntegration(n, config.sendResolved);
    if (!view) {
      results.push(skipped('slack', index, target));
      continue;
    }
    const built = buildSlackPayload(view, config);
    const body = JSON.stringify(built.payload);
    const notes = [
      ...(built.alertsLeftOut ? [`${built.alertsLeftOut} alerts left out of the message (block limit)`] : []),
      ...(built.linesTruncated ? [`${built.linesTruncated} alert lines cut at 3000 characters`] : []),
      nextRepeatLine(n),
    ];
    const base = { integration: 'slack' as const, index, target, payloadBytes: utf8Bytes(body), notes };
    if (options.dryRun) {
      results.push({ ...base, status: 'dry_run', attempts: 0, payload: built.payload });
      continue;
    }
    const problems = slackPayloadProblems(built.payload);
    if (problems.length > 0) {
      results.push({ ...base, status: 'failed', attempts: 0, error: `not sent: ${problems.join('; ')}` });
      continue;
    }
    const token = limiter.take(config.apiUrl, options.slackMaxWaitMs ?? 2000);
    if (!token.ok) {
      results.push({
        ...base,
        status: 'rate_limited',
        attempts: 0,
        retryAfterMs: token.retryAfterMs,
        error: `deferred: Slack allows about 1 message a second per webhook; retry in ${token.retryAfterMs} ms`,
      });
      continue;
    }
    if (token.waitMs > 0) await sleep(token.waitMs, options.signal).catch(() => undefined);
    const outcome = await postJson(config.apiUrl, body, {}, post);
    const result = { ...base, ...fromOutcome(outcome) };
    if (result.error) result.error = clean(result.error);
    results.push(result);
  }

  for (const [index, config] of receiver.pagerduty.entries()) {
    const target = targetOf(config.url);
    const view = forIntegration(n, config.sendResolved);
    if (!view) {
      results.push(skipped('pagerduty', index, target));
      continue;
    }
    const built = buildPagerDutyEvent(view, config);
    const body = JSON.stringify(built.event);
    const notes = [
      ...built.dropped.map((field) => `${field} dropped or cut to stay under 512,000 bytes`),
      nextRepeatLine(n),
    ];
    const base = { integration: 'pagerduty' as const, index, target, payloadBytes: built.bytes, notes };
    if (options.dryRun) {
      results.push({
        ...base,
        status: 'dry_run',
        attempts: 0,
        payload: { ...built.event, routing_key: redactedMarker },
      });
      continue;
    }
    const result = { ...base, ...fromOutcome(await postJson(config.url, body, {}, post)) };
    if (result.error) result.error = clean(result.error);
    results.push(result);
  }

  for (const [index, config] of receiver.webhook.entries()) {
    const target = targetOf(config.url);
    const view = forIntegration(n, config.sendResolved);
    if (!view) {
      results.push(skipped('webhook', index, target));
      continue;
    }
    const payload = buildWebhookPayload(view, config, options);
    const body = JSON.stringify(payload);
    const notes = [
      ...(payload.truncatedAlerts ? [`${payload.truncatedAlerts} alerts over max_alerts left out`] : []),
      nextRepeatLine(n),
    ];
    const base = { integration: 'webhook' as const, index, target, payloadBytes: utf8Bytes(body), notes };
    if (options.dryRun) {
      results.push({ ...base, status: 'dry_run', attempts: 0, payload });
      continue;
    }
    if (base.payloadBytes > maxWebhookBytes) {
      results.push({
        ...base,
        status: 'failed',
        attempts: 0,
        error: `not sent: the payload is ${base.payloadBytes} bytes, over the ${maxWebhookBytes}-byte cap; set max_alerts`,
      });
      continue;
    }
    const headers: Record<string, string> =
      n.nextRepeatAt === null ? {} : { 'x-caelum-next-repeat-at': new Date(n.nextRepeatAt).toISOString() };
    const result = { ...base, ...fromOutcome(await postJson(config.url, body, headers, post)) };
    if (result.error) result.error = clean(result.error);
    results.push(result);
  }

  for (const [index, config] of receiver.email.entries()) {
    let transport: SmtpTransportOptions;
    try {
      transport = smtpTransportOptions(config);
    } catch (error) {
      results.push({
        integration: 'email',
        index,
        target: '(invalid smarthost)',
        status: 'failed',
        attempts: 0,
        payloadBytes: 0,
        error: (error as Error).message,
        notes: [],
      });
      continue;
    }
    const target = `smtp://${transport.host}:${transport.port}`;
    const view = forIntegration(n, config.sendResolved);
    if (!view) {
      results.push(skipped('email', index, target));
      continue;
    }
    const message = buildEmailMessage(view, config);
    const payloadBytes = utf8Bytes(message.subject) + utf8Bytes(message.text) + utf8Bytes(message.html);
    const base = { integration: 'email' as const, index, target, payloadBytes, notes: [nextRepeatLine(n)] };
    if (options.dryRun) {
      const auth = transport.auth ? { user: transport.auth.user, pass: redactedMarker } : undefined;
      const shown = { ...message, smarthost: config.smarthost, requireTls: config.requireTls, auth };
      results.push({ ...base, status: 'dry_run', attempts: 0, payload: shown });
      continue;
    }
    try {
      await (options.mailer ?? nodemailerMailer)(transport, message, {
        timeoutMs: post.timeoutMs,
        signal: options.signal,
      });
      results.push({ ...base, status: 'sent', attempts: 1 });
    } catch (error) {
      const code = (error as { code?: string }).code;
      const text = `${code ? `${code}: ` : ''}${(error as Error).message}`;
      results.push({ ...base, status: 'failed', attempts: 1, error: clean(text).slice(0, 300) });
    }
  }
  return results;
}
