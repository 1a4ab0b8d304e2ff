// The remediation tools called as the router calls them (input parsed by its schema, output checked
// against its schema), the settings schema's refusals, and the URL placeholders that must never move
// a call to another host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger, ToolContext } from '../../tools/context.js';
import type { AnyTool } from '../../tools/define-tool.js';
import { InputError, ToolError } from '../../tools/errors.js';
import { RemediationSettings } from '../../tools/monitoring/remediation/remediation-settings.js';
import { createRemediationTools } from '../../tools/monitoring/remediation/remediation-tools.js';
import type { RemediationLogEntry } from '../../tools/monitoring/remediation/runner.js';
import { planRemediation } from '../../tools/monitoring/remediation/runner.js';
import { fillUrl } from '../../tools/monitoring/remediation/url-template.js';
import { fileExists, loopbackService, scratch, touchScript } from './remediation-fixture.js';

/** A logger that keeps its lines (the helpers' suite logger would pull in the whole server to import). */
function memoryLogger(lines: unknown[] = []): Logger {
  const write = (event: string, fields?: Record<string, unknown>) => void lines.push({ event, ...fields });
  const logger: Logger = { debug: write, info: write, warn: write, error: write, child: () => logger };
  return logger;
}

function context(remediation: unknown, dataDir = `/tmp/remediation-tools-${Math.random()}`): ToolContext {
  return {
    logger: memoryLogger(),
    clock: { now: () => Date.now() },
    signal: new AbortController().signal,
    environment: { dataDir, monitoring: remediation === undefined ? undefined : { remediation } },
  } as unknown as ToolContext;
}

async function call(tool: AnyTool, args: unknown, ctx: ToolContext) {
  const output = await tool.handler(tool.input.parse(args), ctx);
  return tool.output.parse(output) as Record<string, any>;
}

function tools(log?: RemediationLogEntry[]) {
  const list = createRemediationTools(log ? { log: () => (entry) => void log.push(entry) } : {});
  const byName = Object.fromEntries(list.map((t) => [t.name, t]));
  return {
    plan: byName.monitoring_plan_remediation!,
    run: byName.monitoring_run_remediation!,
    check: byName.monitoring_check_services!,
  };
}

test('with no configuration the web_api plan is the shipped playbook and says exactly what to configure', async () => {
  const { plan, run, check } = tools();
  const output = await call(plan, plan.examples[0], context(undefined));
  assert.equal(output.playbook, 'web_api_recover');
  assert.equal(output.ready, false);
  assert.deepEqual(
    output.missing.map((m: string) => m.split(':')[0]),
    ['services.web-api', 'commands.web_api_smoke_test'],
  );
  assert.match(output.message, /Nothing was executed\. Not runnable until configured/);
  const dry = await call(run, run.examples[0], context(undefined));
  assert.equal(dry.status, 'dry_run');
  assert.match(dry.message, /Dry run: nothing was executed.*configure: services\.web-api/);
  const confirmed = await call(run, { ...run.examples[0], confirm: true }, context(undefined));
  assert.equal(confirmed.status, 'refused');
  assert.equal(confirmed.refusal.reason, 'not_configured');
  const services = await call(check, check.examples[0], context(undefined));
  assert.deepEqual(services.services, []);
  assert.match(services.message, /No services are registered/);
});

test('every profile of the contract has a shipped playbook, and an unknown profile is rejected', async () => {
  const { plan } = tools();
  for (const profile of [
    'ml_compute',
    'database',
    'web_api',
    'conductor_mgmt',
    'data_ingest',
    'risk_analytics',
    'generic',
  ]) {
    const output = await call(plan, { server: 'srv-1', profile }, context(undefined));
    assert.ok(output.steps.length > 0, profile);
    assert.equal(output.ready, false, profile);
  }
  assert.equal(plan.input.safeParse({ server: 'srv-1', profile: 'gpu_farm' }).success, false);
  await assert.rejects(
    call(plan, { server: 'srv-1', profile: 'web_api', playbook: 'database_recover' }, context(undefined)),
    (error: unknown) => error instanceof InputError && /is for database, not web_api/.test(error.message),
  );
});

test('the run tool executes a configured playbook only with confirm, logs it, and the limiter follows the data dir', async (t) => {
  const service = await loopbackService(t);
  const dir = await scratch(t);
  const touch = await touchScript(dir);
  service.healthy = false;
  const settings = {
    playbooks: [
      {
        name: 'web_api_recover',
        profiles: ['web_api'],
        description: 'replaces the shipped one',
        steps: [
          { kind: 'restart', service: 'web-api', onlyIfUnhealthy: true },
          { kind: 'command', command: 'smoke' },
        ],
      },
    ],
    commands: { smoke: { program: process.execPath, args: [touch.script, touch.marker, 'smoke'] } },
    services: {
      'web-api': {
        healthUrl: `${service.base}/health`,
        restart: { http: { url: `${service.base}/restart` } },
        pollMs: 50,
      },
    },
    rateLimit: { maxRuns: 1, windowMs: 600_000 },
  };
  const log: RemediationLogEntry[] = [];
  const { plan, run, check } = tools(log);
  const ctx = context(settings);
  const planned = await call(plan, { server: 'web-01', profile: 'web_api' }, ctx);
  assert.equal(planned.ready, true);
  assert.equal(planned.steps[0].service, 'web-api');
  assert.equal(planned.steps[0].healthUrl, `${service.base}/health`);
  assert.equal(planned.steps[0].runner, `POST ${service.base}/restart`);
  assert.equal(planned.steps[1].program, process.execPath);
  assert.deepEqual(planned.steps[1].args, [touch.script, touch.marker, 'smoke']);
  const dry = await call(run, { server: 'web-01', profile: 'web_api' }, ctx);
  assert.equal(dry.status, 'dry_run');
  assert.deepEqual(service.requests, []);
  assert.equal(await fileExists(touch.marker), false);
  const real = await call(run, { server: 'web-01', profile: 'web_api', confirm: true }, ctx);
  assert.equal(real.status, 'succeeded', real.message);
  assert.equal(service.restarts, 1);
  assert.equal(await fileExists(touch.marker), true);
  assert.equal(log.filter((e) => e.event === 'step_end').length, 2);
  const again = await call(run, { server: 'web-01', profile: 'web_api', confirm: true }, ctx);
  assert.equal(again.status, 'refused');
  assert.equal(again.refusal.reason, 'rate_limited');
  assert.ok(again.refusal.nextAllowedAt > Date.now());
  const health = await call(check, {}, ctx);
  assert.deepEqual(
    health.services.map((s: { name: string; status: string }) => [s.name, s.status]),
    [['web-api', 'up']],
  );
  await assert.rejects(
    call(check, { services: ['nope'] }, ctx),
    /services: no service named "nope"; registered: web-api/,
  );
});

test('a bad configuration is a NOT_CONFIGURED error naming the field', async () => {
  const { plan } = tools();
  const bad = { commands: { restart: { program: 'systemctl', args: ['restart', 'x'] } } };
  await assert.rejects(
    call(plan, { server: 'srv-1', profile: 'web_api' }, context(bad)),
    (error: unknown) =>
      error instanceof ToolError &&
      error.code === 'NOT_CONFIGURED' &&
      /commands\.restart\.program: program must be an absolute path/.test(error.message),
  );
});

test('the settings schema refuses agent-style arguments, unknown placeholders and unknown profiles', () => {
  const refused = (raw: unknown) => RemediationSettings.safeParse(raw).success === false;
  const playbook = (step: unknown, profiles = ['web_api']) => ({
    playbooks: [{ name: 'p', profiles, description: 'd', steps: [step] }],
  });
  assert.ok(refused(playbook({ kind: 'command', command: 'restart', args: ['--force'] })));
  assert.ok(refused(playbook({ kind: 'http', method: 'GET', url: 'http://{server}/{path}' })));
  assert.ok(refused(playbook({ kind: 'http', method: 'GET', url: 'file:///etc/passwd' })));
  assert.ok(refused(playbook({ kind: 'http', method: 'GET', url: 'http://{server' })));
  assert.ok(refused(playbook({ kind: 'restart', service: 'Web API' })));
  assert.ok(refused(playbook({ kind: 'restart', service: 'web-api' }, ['gpu_farm'])));
  assert.ok(refused({ services: { x: { healthUrl: 'ftp://host/health' } } }));
  assert.ok(refused(playbook({ kind: 'http', method: 'GET', url: 'http://{host}/x', body: 'data' })));
  assert.ok(!refused(playbook({ kind: 'http', method: 'GET', url: 'https://{host}:8443/status/{server}' })));
});

test('a server name or host cannot move a step URL to another host, port, user or path', async (t) => {
  const service = await loopbackService(t);
  const port = new URL(service.base).port;
  const config = RemediationSettings.parse({});
  const playbook = {
    name: 'p',
    profiles: ['web_api' as const],
    description: 'd',
    steps: [
      {
        kind: 'http' as const,
        method: 'POST' as const,
        url: `http://{host}:${port}/restart/{server}`,
        timeoutMs: 1_000,
      },
    ],
  };
  const abusive = [
    'evil.example/x',
    'a@evil.example',
    'evil.example:80',
    'a b',
    '..',
    'x?y=1',
    'x#frag',
    'a%2fb',
    '-leading',
    'x\\y',
    '',
  ];
  for (const name of abusive) {
    assert.throws(
      () => planRemediation({ name, profile: 'web_api', host: '127.0.0.1' }, playbook, config),
      (error: unknown) => error instanceof InputError && error.field === 'server',
      JSON.stringify(name),
    );
    assert.throws(
      () => planRemediation({ name: 'web-01', profile: 'web_api', host: name || ' ' }, playbook, config),
      (error: unknown) => error instanceof InputError && error.field === 'host',
      JSON.stringify(name),
    );
  }
  const fine = planRemediation({ name: 'web-01.prod', profile: 'web_api', host: '127.0.0.1' }, playbook, config);
  assert.equal(
    fine.steps[0]!.kind === 'http' && fine.steps[0]!.request.url,
    `http://127.0.0.1:${port}/restart/web-01.prod`,
  );
  assert.equal(fillUrl('https://{server}.internal/x', { server: 'db-2', host: 'db-2' }), 'https://db-2.internal/x');
  // Through the tool too: the agent's server name is refused before anything runs.
  const { run } = tools();
  await assert.rejects(
    call(run, { server: 'evil.example/x', profile: 'web_api', confirm: true }, context(undefined)),
    /server: "evil\.example\/x" is not a plain host name/,
  );
  assert.deepEqual(service.requests, []);
});
