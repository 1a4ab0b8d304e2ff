// forwardAlerts against the real Debian Alertmanager 0.25 on loopback: posted alerts show up in
// GET /api/v2/alerts with our labels and our fingerprints; its 400 message and an unreachable
// Alertmanager come back as clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardAlerts } from '../../tools/monitoring/alerts/receivers/forward.js';
import { toAlert } from '../../tools/monitoring/alerts/receivers/inline-notification.js';
import { InputError, ToolError } from '../../tools/errors.js';
import { startAlertmanager } from './alertmanager-peer.js';

const config = `route:
  receiver: blackhole
  group_by: [alertname]
receivers:
  - name: blackhole
`;

interface Listed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  generatorURL?: string;
  receivers: { name: string }[];
  status: { state: string };
}

test('alerts forwarded to a real Alertmanager are listed there with our labels and fingerprints', async (t) => {
  const am = await startAlertmanager(t, config);
  if (!am) return;
  const now = Date.now();
  const alerts = [
    toAlert(
      {
        labels: { alertname: 'DiskFull', severity: 'critical', profile: 'database', server: 'db-1' },
        annotations: { summary: 'disk 97% full' },
        startsAt: now - 60_000,
        generatorURL: 'http://caelum.local/fleet/db-1',
      },
      now,
    ),
    toAlert({ labels: { alertname: 'HighLoad', severity: 'warning', server: 'web-3' }, startsAt: now - 120_000 }, now),
  ];
  const result = await forwardAlerts(am.url, alerts, { timeoutMs: 10_000 });
  assert.deepEqual(result, { target: `${am.url}/api/v2/alerts`, posted: 2, httpStatus: 200, attempts: 1 });
  const listed = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as Listed[];
  const byName = new Map(listed.map((a) => [a.labels.alertname, a]));
  assert.equal(listed.length, 2);
  const disk = byName.get('DiskFull')!;
  assert.deepEqual(disk.labels, alerts[0]!.labels);
  assert.deepEqual(disk.annotations, { summary: 'disk 97% full' });
  assert.equal(disk.generatorURL, 'http://caelum.local/fleet/db-1');
  assert.deepEqual(disk.receivers, [{ name: 'blackhole' }]);
  assert.equal(disk.status.state, 'active');
  for (const alert of alerts) assert.equal(byName.get(alert.labels.alertname!)!.fingerprint, alert.fingerprint);

  // Resolving through endsAt: Alertmanager marks it resolved and stops listing it as active.
  await forwardAlerts(am.url, [{ ...alerts[1]!, endsAt: Date.now() - 1000 }], { timeoutMs: 10_000 });
  const active = (await (
    await fetch(`${am.url}/api/v2/alerts?active=true&silenced=false&inhibited=false`)
  ).json()) as Listed[];
  assert.deepEqual(
    active.filter((a) => a.status.state === 'active').map((a) => a.labels.alertname),
    ['DiskFull'],
  );

  // A 400 quotes Alertmanager's own message and names the field.
  await assert.rejects(
    forwardAlerts(am.url, [{ ...alerts[0]!, startsAt: now, endsAt: now - 3600_000 }], { timeoutMs: 10_000 }),
    (error: unknown) =>
      error instanceof InputError &&
      error.field === 'alerts' &&
      /HTTP 400: "start time must be before end time"/.test(error.message),
  );
  await assert.rejects(
    forwardAlerts(am.url, [{ ...alerts[0]!, labels: {} }], { timeoutMs: 10_000 }),
    /at least one label pair required/,
  );
});

test('an unreachable Alertmanager is a clear UNAVAILABLE error; bad input is refused before posting', async () => {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const alert = toAlert({ labels: { alertname: 'X' } }, Date.now());
  await assert.rejects(
    forwardAlerts(`http://127.0.0.1:${port}`, [alert], { retries: 0, timeoutMs: 2000 }),
    (error: unknown) =>
      error instanceof ToolError &&
      error.code === 'UNAVAILABLE' &&
      error.message ===
        `Alertmanager at http://127.0.0.1:${port}/api/v2/alerts: unreachable (ECONNREFUSED), after 1 attempt`,
  );
  await assert.rejects(forwardAlerts('not a url', [alert]), /alertmanagerUrl: "not a url" is not a URL/);
  await assert.rejects(forwardAlerts('http://127.0.0.1:9', []), /alerts: no alerts to forward/);
});
