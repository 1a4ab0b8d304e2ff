// The receivers' payload builders keep the real limits: Slack sections ≤ 3,000 characters and
// titles ≤ 1,024 runes, PagerDuty summary ≤ 1,024 runes, dedup key ≤ 255, the severity enum and the
// 512,000-byte cap with custom_details dropped first; the webhook payload is Alertmanager's v4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notification, ReceiverConfig } from '../../tools/monitoring/alerts/alert-types.js';
import { inlineNotification, type InlineAlert } from '../../tools/monitoring/alerts/receivers/inline-notification.js';
import {
  buildSlackPayload,
  slackLimits,
  slackPayloadProblems,
} from '../../tools/monitoring/alerts/receivers/slack-payload.js';
import {
  buildPagerDutyEvent,
  dedupKey,
  pagerDutySeverity,
} from '../../tools/monitoring/alerts/receivers/pagerduty-payload.js';
import { buildWebhookPayload } from '../../tools/monitoring/alerts/receivers/webhook-payload.js';
import { buildEmailMessage, smtpTransportOptions } from '../../tools/monitoring/alerts/receivers/email-message.js';
import { runeLength, truncateRunes, truncateUnits } from '../../tools/monitoring/alerts/receivers/text-limits.js';
import { TokenBucket } from '../../tools/monitoring/alerts/receivers/rate-limiter.js';

const now = Date.UTC(2026, 11, 3, 12, 0, 0);
const slack: ReceiverConfig['slack'][number] = {
  apiUrl: 'https://hooks.slack.test/services/T/B/X',
  sendResolved: true,
};
const pagerduty: ReceiverConfig['pagerduty'][number] = {
  routingKey: 'R0UTINGKEY0123456789',
  url: 'https://events.pagerduty.test/v2/enqueue',
  sendResolved: true,
};

function notification(alerts: InlineAlert[], receiver = 'team'): Notification {
  return inlineNotification(receiver, alerts, { now, repeatIntervalMs: 3600_000 });
}

function many(count: number, summary: string): InlineAlert[] {
  return Array.from({ length: count }, (_, i) => ({
    labels: { alertname: 'DiskFull', instance: `host-${i}`, severity: 'critical' },
    annotations: { summary },
    startsAt: now - 60_000,
  }));
}

test('rune and unit truncation count code points and never split a surrogate pair', () => {
  const text = '😀'.repeat(2000); // 2,000 runes, 4,000 UTF-16 units
  const runes = truncateRunes(text, 1024);
  assert.equal(runeLength(runes.text), 1024);
  assert.ok(runes.text.endsWith('…'));
  const units = truncateUnits(text, 3000);
  assert.ok(units.text.length <= 3000);
  assert.doesNotMatch(units.text, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, 'no lone high surrogate');
});

test('Slack: every section stays within 3,000 characters and left-out alerts are counted', () => {
  const n = notification(many(400, 'x'.repeat(700)));
  const built = buildSlackPayload(n, slack);
  const sections = built.payload.blocks.filter((b) => b.type === 'section');
  for (const block of sections)
    assert.ok(block.text.text.length <= slackLimits.sectionChars, `${block.text.text.length}`);
  assert.ok(built.payload.blocks.length <= slackLimits.blocks);
  assert.ok(built.alertsLeftOut > 0);
  const last = sections.at(-1)!.text.text;
  assert.match(last, new RegExp(`… ${built.alertsLeftOut} more alerts left out`));
  const shownLines = sections.map((s) => s.text.text.match(/\[firing\]/g)?.length ?? 0).reduce((a, b) => a + b, 0);
  assert.equal(shownLines + built.alertsLeftOut, 400);
  assert.deepEqual(slackPayloadProblems(built.payload), []);
  assert.match(JSON.stringify(built.payload), /next repeat at 2026-12-03T13:00:00.000Z/);
});

test('Slack: one alert longer than a section is cut with an ellipsis; titles are cut at 1,024 runes', () => {
  const built = buildSlackPayload(notification(many(1, 'y'.repeat(5000))), { ...slack, title: '🔥'.repeat(1500) });
  const section = built.payload.blocks.find((b) => b.type === 'section')!;
  assert.equal(section.type === 'section' && section.text.text.length <= 3000, true);
  assert.equal(built.linesTruncated, 1);
  assert.ok(runeLength(built.payload.text) <= 1024);
  assert.ok(built.payload.text.length > 1024, 'counted in runes, not UTF-16 units');
  const header = built.payload.blocks[0]!;
  assert.ok(header.type === 'header' && header.text.text.length <= 150);
  assert.deepEqual(
    slackPayloadProblems({
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'z'.repeat(3001) } }],
    }),
    ['block 0: section text of 3001 characters; the limit is 3000'],
  );
});

test('Slack token bucket: a burst of 3, then one a second per webhook, on an injected clock', () => {
  let clock = 0;
  const bucket = new TokenBucket({ ratePerSecond: 1, burst: 3, now: () => clock });
  assert.deepEqual(
    [1, 2, 3].map(() => bucket.take('a')),
    [1, 2, 3].map(() => ({ ok: true, waitMs: 0 })),
  );
  assert.deepEqual(bucket.take('a'), { ok: false, retryAfterMs: 1000 });
  assert.deepEqual(bucket.take('b'), { ok: true, waitMs: 0 }, 'another webhook has its own bucket');
  assert.deepEqual(bucket.take('a', 1000), { ok: true, waitMs: 1000 }, 'a wait within the limit reserves the token');
  assert.deepEqual(bucket.take('a', 1000), { ok: false, retryAfterMs: 2000 });
  clock = 2000;
  assert.deepEqual(bucket.take('a'), { ok: true, waitMs: 0 });
});

test('PagerDuty: trigger with summary ≤ 1,024 runes, dedup key a hash of the group key, mapped severity', () => {
  const n = notification(many(2, 'z'));
  n.groupLabels = { alertname: '💥'.repeat(3000) };
  const { event } = buildPagerDutyEvent(n, pagerduty);
  assert.equal(event.event_action, 'trigger');
  assert.equal(event.dedup_key, dedupKey(n.groupKey));
  assert.match(event.dedup_key, /^[0-9a-f]{64}$/);
  assert.ok(event.dedup_key.length <= 255);
  assert.equal(runeLength(event.payload!.summary), 1024);
  assert.equal(event.payload!.severity, 'critical');
  assert.equal(event.payload!.timestamp, new Date(now).toISOString());
  assert.equal((event.payload!.custom_details as { num_firing: number }).num_firing, 2);
  assert.match(String((event.payload!.custom_details as { next_repeat: string }).next_repeat), /next repeat at/);
  const resolved = buildPagerDutyEvent({ ...n, status: 'resolved' }, pagerduty).event;
  assert.deepEqual(
    { action: resolved.event_action, key: resolved.dedup_key, payload: resolved.payload },
    { action: 'resolve', key: event.dedup_key, payload: undefined },
  );
});

test('PagerDuty severity: synonyms map into the enum; missing or unknown is error (Alertmanager’s default)', () => {
  assert.deepEqual(['CRITICAL', 'page', 'err', 'warn', 'info', 'low', undefined, 'banana'].map(pagerDutySeverity), [
    'critical',
    'critical',
    'error',
    'warning',
    'info',
    'info',
    'error',
    'error',
  ]);
  assert.equal(
    buildPagerDutyEvent(notification(many(1, 'a')), { ...pagerduty, severity: 'warning' }).event.payload!.severity,
    'warning',
  );
});

test('PagerDuty: an event over 512,000 bytes drops custom_details first, then cuts the summary', () => {
  const big = buildPagerDutyEvent(notification(many(900, 'w'.repeat(1000))), pagerduty);
  assert.deepEqual(big.dropped, ['custom_details']);
  assert.ok(big.bytes <= 512_000);
  assert.equal(big.event.payload!.custom_details, undefined);
  assert.ok(big.event.payload!.summary.length > 0, 'the summary survives');
  const long = notification(many(3, 'v'));
  long.groupLabels = { alertname: 'q'.repeat(2000) };
  const small = buildPagerDutyEvent(long, pagerduty, { maxBytes: 600 });
  assert.deepEqual(small.dropped, ['custom_details', 'summary', 'source']);
  assert.ok(small.bytes <= 600);
  assert.ok(small.event.payload!.summary.endsWith('…'));
});

test('webhook: Alertmanager version 4 exactly, endsAt zero time when unset, max_alerts truncates', () => {
  const alerts: InlineAlert[] = [
    {
      labels: { alertname: 'A', severity: 'critical' },
      annotations: { summary: 's' },
      startsAt: now - 1500,
      generatorURL: 'http://prom/graph',
    },
    { labels: { alertname: 'A', severity: 'critical', x: '1' }, startsAt: now - 5000, endsAt: now - 1000 },
    { labels: { alertname: 'A', severity: 'critical', x: '2' }, startsAt: now },
  ];
  const n = notification(alerts, 'hook');
  const payload = buildWebhookPayload(
    n,
    { url: 'http://x', maxAlerts: 2, sendResolved: true },
    { externalUrl: 'http://am:9093' },
  );
  assert.deepEqual(Object.keys(payload), [
    'receiver',
    'status',
    'alerts',
    'groupLabels',
    'commonLabels',
    'commonAnnotations',
    'externalURL',
    'version',
    'groupKey',
    'truncatedAlerts',
  ]);
  assert.equal(payload.version, '4');
  assert.equal(payload.truncatedAlerts, 1);
  assert.equal(payload.alerts.length, 2);
  assert.deepEqual(payload.alerts[0], {
    status: 'firing',
    labels: { alertname: 'A', severity: 'critical' },
    annotations: { summary: 's' },
    startsAt: '2026-12-03T11:59:58.5Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prom/graph',
    fingerprint: n.alerts[0]!.alert.fingerprint,
  });
  assert.equal(payload.alerts[1]!.status, 'resolved');
  assert.equal(payload.alerts[1]!.endsAt, '2026-12-03T11:59:59Z');
  assert.deepEqual(payload.commonLabels, { alertname: 'A', severity: 'critical' });
  assert.equal(payload.groupKey, '{}:{alertname="A"}');
  assert.equal(buildWebhookPayload(n, { url: 'http://x', maxAlerts: 0, sendResolved: true }).truncatedAlerts, 0);
});

test('email: subject is the title, the body lists every alert and the next repeat; smarthost parsed', () => {
  const n = notification(many(3, '<b>disk</b> full'));
  const config = {
    to: 'ops@example.test',
    from: 'caelum@example.test',
    smarthost: 'mail.example.test:587',
    requireTls: true,
    sendResolved: true,
  };
  const message = buildEmailMessage(n, config);
  assert.equal(message.subject, '[FIRING:3] DiskFull');
  for (let i = 0; i < 3; i++) assert.match(message.text, new RegExp(`instance="host-${i}"`));
  assert.match(message.text, /next repeat at 2026-12-03T13:00:00.000Z/);
  assert.match(message.html, /&lt;b&gt;disk&lt;\/b&gt;/);
  assert.deepEqual(smtpTransportOptions(config), {
    host: 'mail.example.test',
    port: 587,
    secure: false,
    requireTLS: true,
    ignoreTLS: false,
  });
  assert.deepEqual(
    smtpTransportOptions({
      ...config,
      smarthost: 'localhost:25',
      requireTls: false,
      authUsername: 'u',
      authPassword: 'p',
    }),
    {
      host: 'localhost',
      port: 25,
      secure: false,
      requireTLS: false,
      ignoreTLS: true,
      auth: { user: 'u', pass: 'p' },
    },
  );
  assert.throws(() => smtpTransportOptions({ ...config, smarthost: 'nohost' }), /not host:port/);
});
