// PagerDuty Events API v2: trigger or resolve, deduplicated by a hash of the group key so that a
// resolve closes its trigger. The summary is cut to 1,024 runes, and an event over 512,000 bytes
// loses custom_details first, then has its summary and source cut further until it fits.
import { createHash } from 'node:crypto';
import type { Notification, ReceiverConfig } from '../alert-types.js';
import { alertLine, firingCount, nextRepeatLine, notificationTitle } from './notification-text.js';
import { truncateRunes, utf8Bytes } from './text-limits.js';

export const pagerDutyLimits = { summaryRunes: 1024, dedupKeyChars: 255, eventBytes: 512_000 } as const;

export const pagerDutySeverities = ['critical', 'error', 'warning', 'info'] as const;
export type PagerDutySeverity = (typeof pagerDutySeverities)[number];

const severityWords: Record<string, PagerDutySeverity> = {
  critical: 'critical',
  crit: 'critical',
  fatal: 'critical',
  emergency: 'critical',
  page: 'critical',
  error: 'error',
  err: 'error',
  high: 'error',
  major: 'error',
  warning: 'warning',
  warn: 'warning',
  medium: 'warning',
  minor: 'warning',
  info: 'info',
  informational: 'info',
  notice: 'info',
  low: 'info',
  none: 'info',
};

/**
 * PagerDuty's severity for a label value (case-insensitive, common synonyms mapped). A missing or
 * unknown value maps to `error`, Alertmanager's default for pagerduty_configs: PagerDuty rejects
 * anything outside the enum, and an alert of unknown weight should still reach someone.
 */
export function pagerDutySeverity(value: string | undefined): PagerDutySeverity {
  if (value === undefined) return 'error';
  return severityWords[value.trim().toLowerCase()] ?? 'error';
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    custom_details?: Record<string, unknown>;
  };
  client?: string;
}

export interface PagerDutyBuild {
  event: PagerDutyEvent;
  bytes: number;
  /** What was given up to stay under the byte cap. */
  dropped: ('custom_details' | 'summary' | 'source')[];
}

/** SHA-256 of the group key, hex: 64 characters, within PagerDuty's 255. */
export function dedupKey(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}

function size(event: PagerDutyEvent): number {
  return utf8Bytes(JSON.stringify(event));
}

export function buildPagerDutyEvent(
  n: Notification,
  config: ReceiverConfig['pagerduty'][number],
  options: { maxBytes?: number } = {},
): PagerDutyBuild {
  const maxBytes = options.maxBytes ?? pagerDutyLimits.eventBytes;
  const base = { routing_key: config.routingKey, dedup_key: dedupKey(n.groupKey), client: 'Caelum' };
  if (n.status === 'resolved') {
    const event: PagerDutyEvent = { ...base, event_action: 'resolve' };
    return { event, bytes: size(event), dropped: [] };
  }
  const labels = n.commonLabels;
  const source = labels.instance ?? labels.server ?? labels.job ?? 'caelum';
  const event: PagerDutyEvent = {
    ...base,
    event_action: 'trigger',
    payload: {
      summary: truncateRunes(`${notificationTitle(n)} (${nextRepeatLine(n)})`, pagerDutyLimits.summaryRunes).text,
      source: truncateRunes(source, pagerDutyLimits.summaryRunes).text,
      severity: config.severity ? pagerDutySeverity(config.severity) : pagerDutySeverity(labels.severity),
      timestamp: new Date(n.at).toISOString(),
      custom_details: {
        firing: n.alerts.filter((a) => a.status === 'firing').map((a) => alertLine('firing', a.alert)),
        resolved: n.alerts.filter((a) => a.status === 'resolved').map((a) => alertLine('resolved', a.alert)),
        num_firing: firingCount(n),
        num_resolved: n.alerts.length - firingCount(n),
        group_labels: n.groupLabels,
        reason: n.reason,
        next_repeat: nextRepeatLine(n),
      },
    },
  };
  const dropped: PagerDutyBuild['dropped'] = [];
  if (size(event) > maxBytes) {
    delete event.payload!.custom_details;
    dropped.push('custom_details');
  }
  // Still too big (a huge summary or source under a small cap): halve both until it fits.
  for (
    let runes: number = pagerDutyLimits.summaryRunes;
    size(event) > maxBytes && runes > 1;
    runes = Math.floor(runes / 2)
  ) {
    event.payload!.summary = truncateRunes(event.payload!.summary, runes).text;
    event.payload!.source = truncateRunes(event.payload!.source, runes).text;
    if (!dropped.includes('summary')) dropped.push('summary', 'source');
  }
  return { event, bytes: size(event), dropped };
}
