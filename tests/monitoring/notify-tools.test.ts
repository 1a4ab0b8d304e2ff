// The two internal tools called through their schemas: dry run by default, real sends only to
// configured receivers with confirm, a 4xx receiver as a clear input error, forwarding previews.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, ToolContext } from '../../tools/context.js';
import type { ReceiverConfig } from '../../tools/monitoring/alerts/alert-types.js';
import {
  forwardAlertsTool,
  notifyTools,
  sendNotificationTool,
} from '../../tools/monitoring/alerts/receivers/notify-tools.js';
import { definitionProblems, type AnyTool } from '../../tools/define-tool.js';
import { InputError, ToolError } from '../../tools/errors.js';

const now = Date.UTC(2026, 11, 3, 12, 0, 0);
const quietLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => quietLogger,
};

function context(alerting?: { receivers?: ReceiverConfig[]; alertmanagerUrl?: string }): ToolContext {
  return {
    logger: quietLogger,
    clock: { now: () => now },
    signal: new AbortController().signal,
    environment: { monitoring: alerting ? { alerting } : undefined },
  } as unknown as ToolContext;
}

async function run(tool: AnyTool, input: unknown, ctx: ToolContext) {
  const output = await tool.handler(tool.input.parse(input), ctx);
  return tool.output.parse(output) as Record<string, unknown>;
}

async function receiverServer(t: { after(fn: () => Promise<void>): void }, status: number, body: string) {
  const bodies: string[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      response.writeHead(status).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

test('the tools are well-formed and their examples run offline as dry runs', async () => {
  for (const tool of notifyTools as unknown as AnyTool[]) {
    assert.deepEqual(definitionProblems(tool), [], tool.name);
    for (const example of tool.examples) {
      const output = await run(tool, example, context());
      assert.equal(output.dryRun, true, tool.name);
    }
  }
});

test('send: dry run by default with the payloads shown; nothing reaches the receiver', async (t) => {
  const server = await receiverServer(t, 200, 'ok');
  const receivers: ReceiverConfig[] = [
    {
      name: 'team',
      slack: [],
      pagerduty: [],
      webhook: [{ url: `${server.base}/hook`, maxAlerts: 0, sendResolved: true }],
      email: [],
    },
  ];
  const alerts = [{ labels: { alertname: 'DiskFull', severity: 'critical' }, startsAt: '2026-12-03T11:00:00Z' }];
  const preview = await run(
    sendNotificationTool as unknown as AnyTool,
    { receiver: 'team', alerts },
    context({ receivers }),
  );
  assert.equal(server.bodies.length, 0);
  const [result] = preview.results as {
    status: string;
    payload: { version: string; alerts: { startsAt: string }[] };
  }[];
  assert.equal(result!.status, 'dry_run');
  assert.equal(result!.payload.version, '4');
  assert.equal(result!.payload.alerts[0]!.startsAt, '2026-12-03T11:00:00Z');
  // The notification is made now (the wall clock): the next repeat is repeat_interval (4 h) later.
  const notification = preview.notification as { nextRepeatAt: string };
  assert.ok(Math.abs(Date.parse(notification.nextRepeatAt) - (Date.now() + 4 * 3_600_000)) < 60_000);
  assert.match(preview.message as string, new RegExp(`next repeat at ${notification.nextRepeatAt}`));
  assert.deepEqual(preview.notification, {
    groupKey: '{}:{alertname="DiskFull"}',
    status: 'firing',
    alerts: 1,
    nextRepeatAt: notification.nextRepeatAt,
  });

  const sent = await run(
    sendNotificationTool as unknown as AnyTool,
    { receiver: 'team', alerts, confirm: true },
    context({ receivers }),
  );
  assert.equal(sent.dryRun, false);
  assert.equal(server.bodies.length, 1);
  assert.equal((JSON.parse(server.bodies[0]!) as { receiver: string }).receiver, 'team');
});

test('send: a receiver answering 4xx is an input error naming it; an inline receiver cannot really send', async (t) => {
  const server = await receiverServer(t, 400, 'invalid_blocks');
  const receivers: ReceiverConfig[] = [
    {
      name: 'slack-ops',
      slack: [{ apiUrl: `${server.base}/services/T/B/SECRETPATHXYZ`, sendResolved: true }],
      pagerduty: [],
      webhook: [],
      email: [],
    },
  ];
  const alerts = [{ labels: { alertname: 'DiskFull' } }];
  await assert.rejects(
    run(
      sendNotificationTool as unknown as AnyTool,
      { receiver: 'slack-ops', alerts, confirm: true },
      context({ receivers }),
    ),
    (error: unknown) =>
      error instanceof InputError &&
      error.field === 'receiver' &&
      /slack\[0\] http:\/\/127\.0\.0\.1:\d+ failed: HTTP 400: invalid_blocks/.test(error.message) &&
      !error.message.includes('SECRETPATHXYZ'),
  );
  await assert.rejects(
    run(sendNotificationTool as unknown as AnyTool, { receiver: 'nope', alerts }, context({ receivers })),
    /receiver: no receiver "nope"; configured: slack-ops/,
  );
  await assert.rejects(
    run(sendNotificationTool as unknown as AnyTool, { receiver: 'x', alerts }, context()),
    (error: unknown) => error instanceof ToolError && error.code === 'NOT_CONFIGURED',
  );
  await assert.rejects(
    run(
      sendNotificationTool as unknown as AnyTool,
      { receiver: 'x', alerts, confirm: true, receiverConfig: { webhook: [{ url: `${server.base}/hook` }] } },
      context(),
    ),
    /receiverConfig: an inline receiver is for dry runs only/,
  );
  assert.equal(server.bodies.length, 1);
});

test('forward: dry run shows the exact body and fingerprints; no URL anywhere is NOT_CONFIGURED', async () => {
  const output = await run(
    forwardAlertsTool as unknown as AnyTool,
    {
      alertmanagerUrl: 'http://user:pw1234@127.0.0.1:9093',
      alerts: [{ labels: { alertname: 'A', severity: 'critical' } }],
    },
    context(),
  );
  assert.equal(output.target, 'http://user:***@127.0.0.1:9093/api/v2/alerts');
  // An alert given without startsAt starts now (the wall clock).
  const body = output.body as { startsAt: string }[];
  assert.ok(Math.abs(Date.parse(body[0]!.startsAt) - Date.now()) < 60_000, body[0]!.startsAt);
  assert.deepEqual(output.body, [
    { labels: { alertname: 'A', severity: 'critical' }, annotations: {}, startsAt: body[0]!.startsAt },
  ]);
  assert.deepEqual(output.fingerprints, ['b807e636403824b5']);
  await assert.rejects(
    run(
      forwardAlertsTool as unknown as AnyTool,
      { alerts: [{ labels: { alertname: 'A' } }], confirm: true },
      context(),
    ),
    (error: unknown) => error instanceof ToolError && error.code === 'NOT_CONFIGURED',
  );
});
