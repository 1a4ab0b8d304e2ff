// The remediation runner against real loopback services and real allow-listed programs: a dry run
// executes nothing, a confirmed run executes and logs every step, the first failure stops the run,
// the per-server rate limit and the one-run-per-server rule refuse with reasons, and secrets never
// reach results or logs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { RemediationRateLimiter } from '../../tools/monitoring/remediation/rate-limiter.js';
import { RemediationSettings } from '../../tools/monitoring/remediation/remediation-settings.js';
import {
  planRemediation,
  runRemediation,
  type RemediationLogEntry,
} from '../../tools/monitoring/remediation/runner.js';
import type { Playbook } from '../../tools/monitoring/remediation/playbooks.js';
import { fileExists, loopbackService, scratch, touchScript } from './remediation-fixture.js';

const server = { name: 'web-01', profile: 'web_api' as const, host: '127.0.0.1' };

function playbook(steps: unknown[]): Playbook {
  return { name: 'test_playbook', profiles: ['web_api'], description: 'test', steps: steps as Playbook['steps'] };
}

function settings(raw: Record<string, unknown>): RemediationSettings {
  return RemediationSettings.parse(raw);
}

function harness(limit = { maxRuns: 5, windowMs: 60_000 }) {
  const log: RemediationLogEntry[] = [];
  let clock = Date.parse('2026-12-03T12:00:00Z');
  return {
    log,
    limiter: new RemediationRateLimiter(limit),
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    sink: (entry: RemediationLogEntry) => void log.push(entry),
  };
}

/** A web_api setup: the loopback service registered with its restart endpoint, and the touch command. */
async function webSetup(t: Parameters<typeof loopbackService>[0]) {
  const service = await loopbackService(t);
  const dir = await scratch(t);
  const touch = await touchScript(dir);
  const config = settings({
    commands: {
      touch_marker: { program: process.execPath, args: [touch.script, touch.marker, 'fixed-arg'], timeoutMs: 20_000 },
      always_fails: { program: '/bin/false', args: [] },
    },
    services: {
      'web-api': {
        healthUrl: `${service.base}/health`,
        expectBody: 'green',
        restart: { http: { url: `${service.base}/restart`, expectStatus: 202 } },
        restartWaitMs: 10_000,
        pollMs: 50,
      },
    },
  });
  return { service, touch, config };
}

test('a dry run executes nothing: the service sees no request and the command file is not touched', async (t) => {
  const { service, touch, config } = await webSetup(t);
  service.healthy = false;
  const h = harness();
  const plan = planRemediation(
    server,
    playbook([
      { kind: 'http', method: 'POST', url: 'http://{host}:' + new URL(service.base).port + '/drain', timeoutMs: 5_000 },
      { kind: 'restart', service: 'web-api' },
      { kind: 'command', command: 'touch_marker' },
    ]),
    config,
  );
  const result = await runRemediation(plan, { confirm: false, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.status, 'dry_run');
  assert.match(result.message, /nothing was executed/);
  assert.deepEqual(service.requests, []);
  assert.equal(await fileExists(touch.marker), false);
  assert.deepEqual(h.log, []);
  // The plan says exactly what would run.
  assert.match(result.steps[0]!.action, new RegExp(`^POST http://127\\.0\\.0\\.1:\\d+/drain`));
  assert.match(result.steps[1]!.action, /restart "web-api" with POST http:\/\/127\.0\.0\.1:\d+\/restart/);
  assert.ok(result.steps[2]!.action.includes(`${process.execPath} ${touch.script} ${touch.marker} fixed-arg`));
  // A dry run does not use up the rate limit: five real runs are still allowed.
  assert.equal(h.limiter.admit('web-01', h.now()).ok, true);
});

test('a confirmed run restarts the down service through its endpoint, waits for health, runs the command and logs every step', async (t) => {
  const { service, touch, config } = await webSetup(t);
  service.healthy = false;
  const h = harness();
  const plan = planRemediation(
    server,
    playbook([
      { kind: 'restart', service: 'web-api', onlyIfUnhealthy: true },
      {
        kind: 'http',
        method: 'GET',
        url: `http://{host}:${new URL(service.base).port}/status/{server}`,
        timeoutMs: 5_000,
      },
      { kind: 'command', command: 'touch_marker' },
    ]),
    config,
  );
  assert.equal(plan.ready, true);
  const result = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.status, 'succeeded', result.message);
  assert.deepEqual(
    result.steps.map((s) => s.status),
    ['succeeded', 'succeeded', 'succeeded'],
  );
  assert.equal(service.restarts, 1);
  assert.equal(service.healthy, true);
  assert.match(result.steps[0]!.detail, /restarted "web-api" .*healthy after/);
  assert.ok(service.requests.some((r) => r.path === '/status/web-01'));
  assert.equal(await readFile(touch.marker, 'utf8'), 'fixed-arg\n');
  assert.match(result.steps[2]!.output ?? '', /touched/);
  assert.deepEqual(
    h.log.map((e) => `${e.event}${e.step ?? ''}${e.status ? `:${e.status}` : ''}`),
    [
      'run_start',
      'step_start0',
      'step_end0:succeeded',
      'step_start1',
      'step_end1:succeeded',
      'step_start2',
      'step_end2:succeeded',
      'run_end:succeeded',
    ],
  );
  assert.ok(h.log.every((e) => e.runId === result.runId && e.server === 'web-01'));
});

test('a healthy service is not restarted when the step says onlyIfUnhealthy', async (t) => {
  const { service, config } = await webSetup(t);
  const h = harness();
  const plan = planRemediation(
    server,
    playbook([{ kind: 'restart', service: 'web-api', onlyIfUnhealthy: true }]),
    config,
  );
  const result = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.status, 'succeeded');
  assert.match(result.steps[0]!.detail, /healthy .*not restarted/);
  assert.equal(service.restarts, 0);
  assert.deepEqual(
    service.requests.map((r) => r.path),
    ['/health'],
  );
});

test('the first failure stops the run: later steps are skipped and never executed', async (t) => {
  const { service, touch, config } = await webSetup(t);
  const h = harness();
  const port = new URL(service.base).port;
  const failing = planRemediation(
    server,
    playbook([
      { kind: 'command', command: 'always_fails' },
      { kind: 'http', method: 'POST', url: `http://{host}:${port}/after`, timeoutMs: 5_000 },
      { kind: 'command', command: 'touch_marker' },
    ]),
    config,
  );
  const result = await runRemediation(failing, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.status, 'failed');
  assert.deepEqual(
    result.steps.map((s) => s.status),
    ['failed', 'skipped', 'skipped'],
  );
  assert.match(result.steps[0]!.detail, /"always_fails" \(\/bin\/false\): exit code 1/);
  assert.match(result.steps[1]!.detail, /skipped: step 0 failed/);
  assert.match(result.message, /Step 0 \(command\) failed.*remaining 2 step\(s\) were skipped/);
  assert.equal(service.requests.length, 0);
  assert.equal(await fileExists(touch.marker), false);
  assert.deepEqual(
    h.log.map((e) => e.event),
    ['run_start', 'step_start', 'step_end', 'run_end'],
  );

  // An HTTP step that answers 500 fails the same way; a redirect is not followed.
  const http500 = planRemediation(
    server,
    playbook([
      { kind: 'http', method: 'GET', url: `http://{host}:${port}/fail`, timeoutMs: 5_000 },
      { kind: 'command', command: 'touch_marker' },
    ]),
    config,
  );
  const second = await runRemediation(http500, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.deepEqual(
    second.steps.map((s) => s.status),
    ['failed', 'skipped'],
  );
  assert.match(second.steps[0]!.detail, /answered 500 .*expected a 2xx status/);
  const redirect = planRemediation(
    server,
    playbook([{ kind: 'http', method: 'GET', url: `http://{host}:${port}/redirect`, timeoutMs: 5_000 }]),
    config,
  );
  const third = await runRemediation(redirect, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.match(third.steps[0]!.detail, /answered 302/);
  assert.equal(await fileExists(touch.marker), false);
});

test('a restart whose service never comes back fails after restartWaitMs', async (t) => {
  const { service, config } = await webSetup(t);
  service.healthy = false;
  service.restartBroken = true;
  config.services['web-api']!.restartWaitMs = 300;
  const h = harness();
  let clock = 0;
  const plan = planRemediation(server, playbook([{ kind: 'restart', service: 'web-api' }]), config);
  const result = await runRemediation(plan, {
    confirm: true,
    now: () => (clock += 10),
    sleep: async () => undefined,
    rateLimiter: h.limiter,
    log: h.sink,
  });
  assert.equal(result.status, 'failed');
  assert.match(result.steps[0]!.detail, /did not pass its health check within restartWaitMs \(300 ms\): status 503/);
  assert.equal(service.restarts, 1);
});

test('the rate limit refuses a run beyond maxRuns per window and says when the next is allowed', async (t) => {
  const { service, config } = await webSetup(t);
  const h = harness({ maxRuns: 2, windowMs: 60_000 });
  const plan = planRemediation(
    server,
    playbook([
      { kind: 'http', method: 'GET', url: `http://{host}:${new URL(service.base).port}/ping`, timeoutMs: 5_000 },
    ]),
    config,
  );
  const first = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  h.advance(10_000);
  const second = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  h.advance(10_000);
  const third = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(first.status, 'succeeded');
  assert.equal(second.status, 'succeeded');
  assert.equal(third.status, 'refused');
  assert.equal(third.refusal?.reason, 'rate_limited');
  const expected = Date.parse('2026-12-03T12:01:00Z');
  assert.equal(third.refusal?.nextAllowedAt, expected);
  assert.match(third.message, /next run is allowed at 2026-12-03T12:01:00.000Z/);
  assert.equal(service.requests.length, 2);
  assert.equal(h.log.at(-1)?.event, 'run_refused');
  // Another server is not affected; after the window the first is allowed again.
  const other = planRemediation(
    { ...server, name: 'web-02' },
    playbook([{ kind: 'command', command: 'touch_marker' }]),
    config,
  );
  assert.equal(
    (await runRemediation(other, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink })).status,
    'succeeded',
  );
  h.advance(40_000);
  assert.equal(
    (await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink })).status,
    'succeeded',
  );
  assert.equal(service.requests.length, 3);
});

test('two runs on the same server never overlap: the second is refused while the first is in progress', async (t) => {
  const { service, touch, config } = await webSetup(t);
  const h = harness();
  const port = new URL(service.base).port;
  const slow = planRemediation(
    server,
    playbook([{ kind: 'http', method: 'GET', url: `http://{host}:${port}/slow`, timeoutMs: 30_000 }]),
    config,
  );
  const touching = planRemediation(server, playbook([{ kind: 'command', command: 'touch_marker' }]), config);
  const options = { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink };
  const first = runRemediation(slow, options);
  await service.slowArrived;
  const second = await runRemediation(touching, options);
  assert.equal(second.status, 'refused');
  assert.equal(second.refusal?.reason, 'in_progress');
  assert.match(second.message, /already in progress/);
  assert.equal(await fileExists(touch.marker), false);
  service.releaseSlow();
  assert.equal((await first).status, 'succeeded');
  assert.equal((await runRemediation(touching, options)).status, 'succeeded');
  assert.equal(await fileExists(touch.marker), true);
});

test('an unconfigured plan is refused with what to configure, and nothing runs', async () => {
  const h = harness();
  const plan = planRemediation(
    server,
    playbook([
      { kind: 'restart', service: 'web-api' },
      { kind: 'command', command: 'smoke' },
    ]),
    settings({}),
  );
  assert.equal(plan.ready, false);
  assert.deepEqual(
    plan.missing.map((m) => m.split(':')[0]),
    ['services.web-api', 'commands.smoke'],
  );
  const result = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.status, 'refused');
  assert.equal(result.refusal?.reason, 'not_configured');
  assert.match(result.message, /configure first: services\.web-api: add \{"healthUrl"/);
});

test('tokens in step URLs and headers are redacted in the plan, the results and the log', async (t) => {
  const { service, config } = await webSetup(t);
  const h = harness();
  const port = new URL(service.base).port;
  const token = 'tok-9f8e7d6c5b4a39281706';
  const plan = planRemediation(
    server,
    playbook([
      {
        kind: 'http',
        method: 'POST',
        url: `http://{host}:${port}/hook?token=${token}`,
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: 5_000,
      },
      { kind: 'http', method: 'GET', url: `http://user:${token}@{host}:${port}/fail`, timeoutMs: 5_000 },
    ]),
    config,
  );
  const result = await runRemediation(plan, { confirm: true, now: h.now, rateLimiter: h.limiter, log: h.sink });
  assert.equal(result.steps[0]!.status, 'succeeded');
  assert.equal(result.steps[1]!.status, 'failed');
  // The call itself carried the token.
  assert.equal(service.requests[0]!.path, `/hook?token=${token}`);
  assert.equal(service.requests[0]!.headers.authorization, `Bearer ${token}`);
  // user:password@ in a step URL travels as Basic authorization (fetch refuses credentials in URLs).
  assert.match(result.steps[1]!.detail, /answered 500/);
  const basic = Buffer.from(`user:${token}`).toString('base64');
  assert.equal(service.requests[1]!.headers.authorization, `Basic ${basic}`);
  const shown = JSON.stringify(result) + JSON.stringify(h.log);
  assert.equal(shown.includes(token), false, shown);
  assert.equal(shown.includes(basic), false, shown);
  assert.match(result.steps[0]!.action, /token=\*\*\*/);
});

test('cancelling a run stops it mid-step and skips the rest', async (t) => {
  const { service, touch, config } = await webSetup(t);
  const h = harness();
  const controller = new AbortController();
  const port = new URL(service.base).port;
  const plan = planRemediation(
    server,
    playbook([
      { kind: 'http', method: 'GET', url: `http://{host}:${port}/slow`, timeoutMs: 30_000 },
      { kind: 'command', command: 'touch_marker' },
    ]),
    config,
  );
  const running = runRemediation(plan, {
    confirm: true,
    now: h.now,
    signal: controller.signal,
    rateLimiter: h.limiter,
    log: h.sink,
  });
  await service.slowArrived;
  controller.abort();
  const result = await running;
  assert.equal(result.status, 'cancelled');
  assert.deepEqual(
    result.steps.map((s) => s.status),
    ['failed', 'skipped'],
  );
  assert.match(result.steps[0]!.detail, /cancelled/);
  assert.match(result.steps[1]!.detail, /skipped: the run was cancelled/);
  assert.equal(await fileExists(touch.marker), false);
  // The slot is released: the next run is admitted.
  assert.equal(h.limiter.admit('web-01', h.now()).ok, true);
});
