// sendNotification against loopback receivers: HTTP servers that record the exact bodies (Slack,
// PagerDuty, webhook) and a real SMTP server (smtp-server) that receives the mail. Targets and
// errors never carry a webhook path, routing key or password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { ReceiverConfig } from '../../tools/monitoring/alerts/alert-types.js';
import { inlineNotification, type InlineAlert } from '../../tools/monitoring/alerts/receivers/inline-notification.js';
import {
  registerReceiverSecrets,
  sendNotification,
  type SendOptions,
} from '../../tools/monitoring/alerts/receivers/send.js';
import { SecretSet } from '../../tools/secrets.js';
import { buildSlackPayload } from '../../tools/monitoring/alerts/receivers/slack-payload.js';
import { buildPagerDutyEvent } from '../../tools/monitoring/alerts/receivers/pagerduty-payload.js';
import { buildWebhookPayload } from '../../tools/monitoring/alerts/receivers/webhook-payload.js';
import { TokenBucket } from '../../tools/monitoring/alerts/receivers/rate-limiter.js';

const now = Date.UTC(2026, 11, 3, 12, 0, 0);
const slackPath = '/services/T000/B000/SLACKSECRETPATH42';
const routingKey = 'PDROUTINGKEY0123456789abcdef';

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A loopback HTTP receiver answering from a script (the last answer repeats). */
async function receiver(
  t: { after(fn: () => Promise<void>): void },
  answers: Answer[] = [{ status: 200, body: 'ok' }],
) {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      received.push({
        method: request.method!,
        path: request.url!,
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      if (answer === 'hang') return;
      response.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, received };
}

function alerts(count: number, summary = 'disk almost full'): InlineAlert[] {
  return Array.from({ length: count }, (_, i) => ({
    labels: { alertname: 'DiskFull', instance: `host-${i}`, severity: 'critical' },
    annotations: { summary },
    startsAt: now - 60_000,
  }));
}

function emptyReceiver(name = 'team'): ReceiverConfig {
  return { name, slack: [], pagerduty: [], webhook: [], email: [] };
}

/** Options with a simulated clock: sleeping advances it and is recorded. */
function simulated(extra: Partial<SendOptions> = {}) {
  let clock = now;
  const sleeps: number[] = [];
  const options: SendOptions = {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    timeoutMs: 5000,
    backoffMs: 100,
    slackLimiter: new TokenBucket({ ratePerSecond: 1, burst: 3, now: () => clock }),
    ...extra,
  };
  return { options, sleeps };
}

test('Slack, PagerDuty and webhook receive exactly the built payloads; targets show scheme and host only', async (t) => {
  const server = await receiver(t, [{ status: 202, body: '{"status":"success"}' }]);
  const config: ReceiverConfig = {
    ...emptyReceiver(),
    slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }],
    pagerduty: [{ routingKey, url: `${server.base}/v2/enqueue`, sendResolved: true }],
    webhook: [{ url: `${server.base}/hook`, maxAlerts: 0, sendResolved: true }],
  };
  const n = inlineNotification('team', alerts(2), { now, repeatIntervalMs: 3600_000 });
  const results = await sendNotification(config, n, simulated({ externalUrl: 'http://am.test' }).options);
  assert.deepEqual(
    results.map((r) => [r.integration, r.status, r.httpStatus, r.target]),
    [
      ['slack', 'sent', 202, server.base],
      ['pagerduty', 'sent', 202, server.base],
      ['webhook', 'sent', 202, server.base],
    ],
  );
  const [slack, pagerduty, webhook] = server.received;
  assert.equal(slack!.path, slackPath);
  assert.deepEqual(JSON.parse(slack!.body), buildSlackPayload(n, config.slack[0]!).payload);
  assert.deepEqual(JSON.parse(pagerduty!.body), buildPagerDutyEvent(n, config.pagerduty[0]!).event);
  assert.equal(JSON.parse(pagerduty!.body).routing_key, routingKey);
  assert.deepEqual(
    JSON.parse(webhook!.body),
    buildWebhookPayload(n, config.webhook[0]!, { externalUrl: 'http://am.test' }),
  );
  assert.equal(webhook!.headers['x-caelum-next-repeat-at'], '2026-12-03T13:00:00.000Z');
  assert.equal(webhook!.headers['content-type'], 'application/json');
  const text = JSON.stringify(results);
  assert.ok(!text.includes('SLACKSECRETPATH42') && !text.includes(routingKey));
  assert.ok(
    results.every((r) => r.payload === undefined),
    'payloads only in a dry run',
  );
  assert.ok(results.every((r) => r.notes.some((note) => note.startsWith('next repeat at'))));
});

test('a 400 from Slack (invalid_blocks) is a clear failure, not retried, with the secret path scrubbed', async (t) => {
  const server = await receiver(t, [{ status: 400, body: `invalid_blocks (at ${slackPath}) ${'x'.repeat(400)}` }]);
  const config = { ...emptyReceiver(), slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }] };
  const [result] = await sendNotification(config, inlineNotification('team', alerts(1), { now }), simulated().options);
  assert.equal(result!.status, 'failed');
  assert.equal(result!.httpStatus, 400);
  assert.equal(result!.attempts, 1);
  assert.match(result!.error!, /^HTTP 400: invalid_blocks/);
  assert.ok(!result!.error!.includes('SLACKSECRETPATH42'), result!.error);
  assert.ok(result!.error!.length < 240, 'the body is quoted to 200 characters');
  assert.equal(server.received.length, 1);
});

test('a section over 3,000 characters never reaches Slack: the line is cut first', async (t) => {
  const server = await receiver(t);
  const config = { ...emptyReceiver(), slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }] };
  const n = inlineNotification('team', alerts(3, 'd'.repeat(5000)), { now });
  const [result] = await sendNotification(config, n, simulated().options);
  assert.equal(result!.status, 'sent');
  const body = JSON.parse(server.received[0]!.body) as { blocks: { type: string; text?: { text: string } }[] };
  const sections = body.blocks.filter((b) => b.type === 'section');
  assert.equal(sections.length, 3);
  for (const s of sections) {
    assert.ok(s.text!.text.length <= 3000, `${s.text!.text.length}`);
    assert.ok(s.text!.text.endsWith('…'));
  }
  assert.ok(result!.notes.includes('3 alert lines cut at 3000 characters'));
});

test('5xx is retried with backoff, then fails after a bounded number of attempts', async (t) => {
  const flaky = await receiver(t, [{ status: 503 }, { status: 502 }, { status: 202 }]);
  const config = {
    ...emptyReceiver(),
    pagerduty: [{ routingKey, url: `${flaky.base}/v2/enqueue`, sendResolved: true }],
  };
  const n = inlineNotification('team', alerts(1), { now });
  const first = simulated();
  const [ok] = await sendNotification(config, n, first.options);
  assert.deepEqual([ok!.status, ok!.attempts, first.sleeps], ['sent', 3, [100, 200]]);

  const down = await receiver(t, [{ status: 500, body: `{"message":"internal","key":"${routingKey}"}` }]);
  const second = simulated({ retries: 2 });
  const [failed] = await sendNotification(
    { ...emptyReceiver(), pagerduty: [{ routingKey, url: `${down.base}/v2/enqueue`, sendResolved: true }] },
    n,
    second.options,
  );
  assert.equal(failed!.status, 'failed');
  assert.equal(failed!.httpStatus, 500);
  assert.equal(down.received.length, 3);
  assert.match(failed!.error!, /HTTP 500.*after 3 attempts/);
  assert.ok(!failed!.error!.includes(routingKey), 'the routing key echoed by the server is scrubbed');
});

test('a receiver that never answers times out per attempt', async (t) => {
  const server = await receiver(t, ['hang']);
  const config = { ...emptyReceiver(), webhook: [{ url: `${server.base}/hook`, maxAlerts: 0, sendResolved: true }] };
  const started = Date.now();
  const [result] = await sendNotification(config, inlineNotification('team', alerts(1), { now }), {
    ...simulated().options,
    timeoutMs: 300,
    retries: 1,
  });
  assert.equal(result!.status, 'failed');
  assert.match(result!.error!, /no answer within 300 ms, after 2 attempts/);
  assert.ok(Date.now() - started < 10_000);
});

test('unreachable receivers fail clearly', async () => {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const config = {
    ...emptyReceiver(),
    webhook: [{ url: `http://127.0.0.1:${port}/hook`, maxAlerts: 0, sendResolved: true }],
  };
  const [result] = await sendNotification(config, inlineNotification('team', alerts(1), { now }), {
    ...simulated().options,
    retries: 0,
  });
  assert.equal(result!.status, 'failed');
  assert.match(result!.error!, /unreachable \(ECONNREFUSED\)/);
});

test('dry run sends nothing and shows payloads with secrets as <redacted>', async (t) => {
  const server = await receiver(t);
  const config: ReceiverConfig = {
    ...emptyReceiver(),
    slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }],
    pagerduty: [{ routingKey, url: `${server.base}/v2/enqueue`, sendResolved: true }],
    email: [
      {
        to: 'ops@example.test',
        from: 'am@example.test',
        smarthost: '127.0.0.1:2525',
        authUsername: 'mailer',
        authPassword: 'SMTPPASSWORD99',
        requireTls: true,
        sendResolved: true,
      },
    ],
  };
  const results = await sendNotification(config, inlineNotification('team', alerts(2), { now }), {
    ...simulated().options,
    dryRun: true,
  });
  assert.equal(server.received.length, 0);
  assert.deepEqual(
    results.map((r) => r.status),
    ['dry_run', 'dry_run', 'dry_run'],
  );
  assert.equal((results[1]!.payload as { routing_key: string }).routing_key, '<redacted>');
  assert.deepEqual((results[2]!.payload as { auth: unknown }).auth, { user: 'mailer', pass: '<redacted>' });
  const text = JSON.stringify(results);
  for (const secret of ['SLACKSECRETPATH42', routingKey, 'SMTPPASSWORD99']) assert.ok(!text.includes(secret), secret);
  assert.ok(results.every((r) => r.payloadBytes > 0));
});

test('Slack sends pass a per-webhook token bucket: a send waits for a token or is deferred', async (t) => {
  const server = await receiver(t);
  const config = { ...emptyReceiver(), slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }] };
  const n = inlineNotification('team', alerts(1), { now });
  let clock = now;
  const sleeps: number[] = [];
  const options: SendOptions = {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    slackLimiter: new TokenBucket({ ratePerSecond: 1, burst: 1, now: () => clock }),
    slackMaxWaitMs: 1000,
  };
  await sendNotification(config, n, options);
  const [waited] = await sendNotification(config, n, options);
  assert.equal(waited!.status, 'sent');
  assert.deepEqual(sleeps, [1000], 'the second send waited one second for its token');
  const [deferred] = await sendNotification(config, n, { ...options, slackMaxWaitMs: 0 });
  assert.equal(deferred!.status, 'rate_limited');
  assert.equal(deferred!.retryAfterMs, 1000);
  assert.equal(server.received.length, 2, 'the deferred message was not posted');
});

test('a 429 from Slack is reported as rate limited with its Retry-After', async (t) => {
  const server = await receiver(t, [{ status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } }]);
  const config = { ...emptyReceiver(), slack: [{ apiUrl: `${server.base}${slackPath}`, sendResolved: true }] };
  const [result] = await sendNotification(config, inlineNotification('team', alerts(1), { now }), simulated().options);
  assert.deepEqual(
    [result!.status, result!.httpStatus, result!.retryAfterMs, server.received.length],
    ['rate_limited', 429, 30_000, 1],
  );
});

test('send_resolved false drops resolved alerts and skips an all-resolved notification', async (t) => {
  const server = await receiver(t);
  const config = { ...emptyReceiver(), webhook: [{ url: `${server.base}/hook`, maxAlerts: 0, sendResolved: false }] };
  const mixed = alerts(2);
  mixed[1]!.endsAt = now - 1;
  await sendNotification(config, inlineNotification('team', mixed, { now }), simulated().options);
  assert.deepEqual(
    (JSON.parse(server.received[0]!.body) as { alerts: { status: string }[] }).alerts.map((a) => a.status),
    ['firing'],
  );
  const allResolved = alerts(1).map((a) => ({ ...a, endsAt: now - 1 }));
  const [skipped] = await sendNotification(
    config,
    inlineNotification('team', allResolved, { now }),
    simulated().options,
  );
  assert.equal(skipped!.status, 'skipped');
  assert.equal(server.received.length, 1);
});

/** A loopback SMTP server (no TLS offered) that keeps every message it receives. */
async function smtp(t: { after(fn: () => Promise<void>): void }, auth?: { user: string; pass: string }) {
  const messages: { from: string; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !auth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(login, _session, callback) {
      if (auth && login.username === auth.user && login.password === auth.pass)
        callback(null, { user: login.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: (session.envelope.mailFrom as { address: string }).address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, messages };
}

/** Quoted-printable soft breaks and escapes undone, enough to read the text part. */
function unquote(raw: string): string {
  return raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function emailReceiver(port: number, extra: Partial<ReceiverConfig['email'][number]> = {}): ReceiverConfig {
  return {
    ...emptyReceiver('mail'),
    email: [
      {
        to: 'ops@example.test',
        from: 'caelum@example.test',
        smarthost: `127.0.0.1:${port}`,
        requireTls: false,
        sendResolved: true,
        ...extra,
      },
    ],
  };
}

test('email reaches a loopback SMTP server with the alerts and the next repeat', async (t) => {
  const server = await smtp(t);
  const n = inlineNotification('mail', alerts(2), { now, repeatIntervalMs: 3600_000 });
  const [result] = await sendNotification(emailReceiver(server.port), n, { timeoutMs: 10_000 });
  assert.equal(result!.status, 'sent', result!.error);
  assert.equal(result!.target, `smtp://127.0.0.1:${server.port}`);
  assert.equal(server.messages.length, 1);
  const message = server.messages[0]!;
  assert.equal(message.from, 'caelum@example.test');
  assert.deepEqual(message.to, ['ops@example.test']);
  const text = unquote(message.raw);
  assert.match(text, /^Subject: \[FIRING:2\] DiskFull\r?$/m);
  assert.match(text, /instance="host-0"/);
  assert.match(text, /instance="host-1"/);
  assert.match(text, /next repeat at 2026-12-03T13:00:00.000Z/);
  assert.match(text, /Content-Type: text\/html/);
});

test('SMTP with auth: the right password sends; a wrong one fails without showing it; require_tls needs STARTTLS', async (t) => {
  const server = await smtp(t, { user: 'mailer', pass: 'RIGHTPASSWORD1' });
  const n = inlineNotification('mail', alerts(1), { now });
  const [ok] = await sendNotification(
    emailReceiver(server.port, { authUsername: 'mailer', authPassword: 'RIGHTPASSWORD1' }),
    n,
    {
      timeoutMs: 10_000,
    },
  );
  assert.equal(ok!.status, 'sent', ok!.error);
  const [wrong] = await sendNotification(
    emailReceiver(server.port, { authUsername: 'mailer', authPassword: 'WRONGPASSWORD1' }),
    n,
    {
      timeoutMs: 10_000,
    },
  );
  assert.equal(wrong!.status, 'failed');
  assert.match(wrong!.error!, /EAUTH/);
  assert.ok(!wrong!.error!.includes('WRONGPASSWORD1'));
  const [noTls] = await sendNotification(emailReceiver(server.port, { requireTls: true }), n, { timeoutMs: 10_000 });
  assert.equal(noTls!.status, 'failed');
  assert.match(noTls!.error!, /STARTTLS/i);
  assert.equal(server.messages.length, 1);
});

test('registerReceiverSecrets puts webhook paths, routing keys and SMTP passwords into a secret set', () => {
  const set = new SecretSet();
  registerReceiverSecrets(
    [
      {
        ...emptyReceiver(),
        slack: [{ apiUrl: `https://hooks.slack.test${slackPath}`, sendResolved: true }],
        pagerduty: [{ routingKey, url: 'https://events.pagerduty.test/v2/enqueue', sendResolved: true }],
        email: [
          {
            to: 'a@b',
            from: 'c@d',
            smarthost: 'h:25',
            authPassword: 'SMTPPASSWORD99',
            requireTls: true,
            sendResolved: true,
          },
        ],
      },
    ],
    set,
  );
  assert.equal(
    set.scrub(`posting to ${slackPath} with ${routingKey} and SMTPPASSWORD99`),
    'posting to *** with *** and ***',
  );
});
