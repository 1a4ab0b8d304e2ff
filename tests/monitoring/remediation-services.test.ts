// The service registry against real services: parallel health checks with status, body, latency and
// timeouts; a gated restart of a real child-process service by a real allow-listed program, followed
// by the bounded wait for health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemediationRateLimiter } from '../../tools/monitoring/remediation/rate-limiter.js';
import { RemediationSettings } from '../../tools/monitoring/remediation/remediation-settings.js';
import { planRemediation, runRemediation } from '../../tools/monitoring/remediation/runner.js';
import { checkServices, restartService } from '../../tools/monitoring/remediation/service-registry.js';
import { freePort, loopbackService, processService, waitFor } from './remediation-fixture.js';

const deps = { fetch, now: () => Date.now() };

test('checkServices checks every service at once: up, wrong status, wrong body, refused and timed out', async (t) => {
  const service = await loopbackService(t);
  const stalled = http.createServer(() => undefined); // never answers
  stalled.listen(0, '127.0.0.1');
  await once(stalled, 'listening');
  t.after(() => {
    stalled.closeAllConnections();
    stalled.close();
  });
  const stalledUrl = `http://127.0.0.1:${(stalled.address() as AddressInfo).port}/health`;
  const closedPort = await freePort();
  const { services } = RemediationSettings.parse({
    services: {
      api: { healthUrl: `${service.base}/health`, expectBody: 'green' },
      broken: { healthUrl: `${service.base}/fail` },
      wrongbody: { healthUrl: `${service.base}/health`, expectBody: 'purple' },
      refused: { healthUrl: `http://127.0.0.1:${closedPort}/health` },
      slow1: { healthUrl: stalledUrl, timeoutMs: 1_500 },
      slow2: { healthUrl: stalledUrl, timeoutMs: 1_500 },
    },
  });
  const started = Date.now();
  const health = await checkServices(services, deps);
  const elapsed = Date.now() - started;
  const byName = Object.fromEntries(health.map((h) => [h.name, h]));
  assert.equal(byName.api!.status, 'up');
  assert.equal(byName.api!.httpStatus, 200);
  assert.ok(byName.api!.latencyMs >= 0);
  assert.equal(byName.broken!.status, 'down');
  assert.match(byName.broken!.error!, /status 500, expected 200/);
  assert.equal(byName.wrongbody!.status, 'down');
  assert.match(byName.wrongbody!.error!, /does not contain "purple"/);
  assert.equal(byName.refused!.status, 'down');
  assert.equal(byName.refused!.httpStatus, null);
  assert.match(byName.refused!.error!, /ECONNREFUSED/);
  for (const name of ['slow1', 'slow2']) {
    assert.equal(byName[name]!.status, 'down');
    assert.match(byName[name]!.error!, /no answer within 1500 ms/);
  }
  // Two 1.5 s timeouts in parallel, not in series.
  assert.ok(elapsed < 2_900, `took ${elapsed} ms`);
});

test('a real service process is restarted by an allow-listed program and reported healthy again', async (t) => {
  const svc = await processService(t);
  svc.start();
  const firstPid = await waitFor('the service to start', async () => (await svc.pid()) || undefined);
  const config = RemediationSettings.parse({
    commands: {
      restart_service: {
        program: process.execPath,
        args: [svc.restartScript, svc.serverScript, String(svc.port), svc.pidFile],
      },
    },
    services: {
      worker: {
        healthUrl: svc.healthUrl,
        expectBody: 'alive',
        restart: { command: 'restart_service' },
        restartWaitMs: 20_000,
        pollMs: 100,
      },
    },
  });
  await waitFor('health', async () =>
    (await checkServices(config.services, deps))[0]!.status === 'up' ? true : undefined,
  );

  // Gated: without confirm nothing runs.
  const gated = await restartService('worker', config.services.worker!, config.commands, { ...deps, confirm: false });
  assert.equal(gated.executed, false);
  assert.match(gated.error!, /not confirmed: would run command "restart_service"/);
  assert.equal(await svc.pid(), firstPid);

  // The service dies; the playbook sees it down and restarts it.
  await svc.stop();
  await waitFor('the service to be down', async () =>
    (await checkServices(config.services, deps))[0]!.status === 'down' ? true : undefined,
  );
  const plan = planRemediation(
    { name: 'ingest-03', profile: 'data_ingest' },
    {
      name: 'p',
      profiles: ['data_ingest'],
      description: 'd',
      steps: [{ kind: 'restart', service: 'worker', onlyIfUnhealthy: true }],
    },
    config,
  );
  const result = await runRemediation(plan, {
    confirm: true,
    now: () => Date.now(),
    rateLimiter: new RemediationRateLimiter(config.rateLimit),
    log: () => undefined,
    // The default pause is unref'd (it must never hold a server open); this test has nothing else
    // keeping its event loop alive while the service comes back, so it waits with a ref'd timer.
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  assert.equal(result.status, 'succeeded', result.message);
  assert.match(result.steps[0]!.detail, /restarted "worker" with command "restart_service"/);
  assert.match(result.steps[0]!.output ?? '', /restarted service/);
  const secondPid = await svc.pid();
  assert.notEqual(secondPid, firstPid);
  const [after] = await checkServices(config.services, deps);
  assert.equal(after!.status, 'up');
});
