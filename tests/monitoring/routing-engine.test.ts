// The alert engine: replaying its event log gives the same state and the same later notifications;
// route tests show the path, group key and effective timings; fingerprints are stable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { AlertEngine, memoryEventLog } from '../../tools/monitoring/alerts/routing/alert-engine.js';
import { fingerprint } from '../../tools/monitoring/alerts/routing/dispatcher.js';
import { InputError } from '../../tools/errors.js';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EventLog } from '../../tools/monitoring/state/event-log.js';
import type { EngineEvent } from '../../tools/monitoring/alerts/routing/alert-engine.js';

const s = 1000;
const m = 60 * s;
const t0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const yaml = `route:
  receiver: hook
  group_by: [alertname]
  routes:
    - matchers: ['severity=~"crit.*"', 'env!="dev"']
      receiver: pager
      group_by: ['...']
      repeat_interval: 1h
      continue: true
      routes:
        - match: {team: db}
          receiver: db
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/pager'}]
  - name: db
    webhook_configs: [{url: 'http://127.0.0.1:9/db'}]
`;

test('replaying the event log restores alerts, silences, groups and what is sent next', () => {
  const config = parseAlertmanagerConfig(yaml);
  const clock = { now: t0 };
  const log = memoryEventLog();
  let ids = 0;
  const open = () => new AlertEngine({ config, now: () => clock.now, events: log, newId: () => `s${++ids}` });
  const first = open();
  const a = first.fire({
    labels: { alertname: 'Down', severity: 'critical', team: 'db' },
    annotations: { summary: 'x' },
  });
  first.fire({ labels: { alertname: 'Slow', severity: 'warning' } });
  first.addSilence({
    matchers: [{ name: 'alertname', value: 'Slow', isRegex: false, isEqual: true }],
    endsAt: t0 + 20 * m,
    createdBy: 'me',
    comment: 'known',
  });
  clock.now = t0 + 30 * s;
  assert.equal(first.tick().length, 1, 'only the db route is notified (Slow is silenced)');
  clock.now = t0 + 2 * m;
  const b = first.fire({ labels: { alertname: 'Down', severity: 'critical', team: 'web' } });
  first.resolve(a.fingerprint);
  const second = open();
  assert.deepEqual(second.listAlerts(), first.listAlerts());
  assert.deepEqual(second.listSilences(), first.listSilences());
  assert.deepEqual(second.groups(), first.groups());
  for (const when of [t0 + 5 * m + 30 * s, t0 + 10 * m + 30 * s, t0 + 70 * m]) {
    clock.now = when;
    assert.deepEqual(second.tick(), first.tick());
  }
  assert.ok(log.events.some((e) => e.type === 'tick'));
  assert.equal(second.listAlerts().find((v) => v.alert.fingerprint === b.fingerprint)?.state, 'active');
});

test('testRoute gives receivers, the matching path, the group key and effective timings', () => {
  const engine = new AlertEngine({ config: parseAlertmanagerConfig(yaml), now: () => t0 });
  const result = engine.testRoute({ alertname: 'Down', severity: 'critical', team: 'db', env: 'prod' });
  // continue on the only child: the root does not handle an alert a child took (amtool says `db`).
  assert.deepEqual(result.receivers, ['db']);
  const [db] = result.matches;
  assert.deepEqual(db!.path, ['default-route', '{env!="dev",severity=~"crit.*"}', '{team="db"}']);
  assert.equal(
    db!.groupKey,
    '{}/{env!="dev",severity=~"crit.*"}/{team="db"}:{alertname="Down", env="prod", severity="critical", team="db"}',
  );
  assert.equal(db!.groupBy, '...');
  assert.deepEqual([db!.repeatIntervalMs, db!.effectiveRepeatMs], [3_600_000, 3_900_000]);
  const [hook] = engine.testRoute({ alertname: 'Down', severity: 'warning' }).matches;
  assert.deepEqual(hook!.path, ['default-route']);
  assert.equal(hook!.groupKey, '{}:{alertname="Down"}');
  assert.equal(hook!.effectiveRepeatMs, 4 * 3_600_000 + 5 * m, 'Alertmanager repeats 4h/5m at 4h05m');
  assert.deepEqual(engine.testRoute({ severity: 'critical', env: 'dev' }).receivers, ['hook']);
});

test('fingerprints are stable over label order and differ by value; bad alerts and silences are refused', () => {
  assert.equal(fingerprint({ a: '1', b: '2' }), fingerprint({ b: '2', a: '1' }));
  assert.notEqual(fingerprint({ a: '1' }), fingerprint({ a: '2' }));
  assert.match(fingerprint({}), /^[0-9a-f]{16}$/);
  const engine = new AlertEngine({ config: parseAlertmanagerConfig(yaml), now: () => t0 });
  assert.throws(() => engine.fire({ labels: { 'bad-name': 'x' } }), InputError);
  assert.throws(() => engine.fire({ labels: { a: '' } }), /at least one non-empty label/);
  assert.throws(() => engine.resolve('0000000000000000'), /no firing alert/);
  const matchAll = [{ name: 'a', value: '.*', isRegex: true, isEqual: true }];
  assert.throws(
    () => engine.addSilence({ matchers: matchAll, endsAt: t0 + m, createdBy: 'x', comment: '' }),
    /empty label set/,
  );
  const lookahead = [{ name: 'a', value: '(?=x)', isRegex: true, isEqual: true }];
  assert.throws(() => engine.addSilence({ matchers: lookahead, endsAt: t0 + m, createdBy: 'x', comment: '' }), /RE2/);
});

test('the event log round-trips through the data dir JSONL; a cut-off last line is skipped, then cut before the next append', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caelum-engine-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = new EventLog<EngineEvent>(path.join(dir, 'monitoring', 'alerts.jsonl'));
  const config = parseAlertmanagerConfig(yaml);
  const clock = { now: t0 };
  const log = memoryEventLog();
  const engine = new AlertEngine({ config, now: () => clock.now, events: log, newId: () => 'sil' });
  engine.fire({ labels: { alertname: 'Down', severity: 'critical' } });
  engine.addSilence({
    matchers: [{ name: 'alertname', value: 'Down', isRegex: false, isEqual: true }],
    endsAt: t0 + m,
    createdBy: 'me',
    comment: 'x',
  });
  await file.append(...log.events);
  await appendFile(file.file, '{"type":"fire","at":1,"ale');
  const read = await file.read();
  assert.ok(read.tornBytes > 0);
  assert.deepEqual(read.damagedLines, []);
  const json = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
  assert.deepEqual(read.events, json(log.events));
  const restored = new AlertEngine({ config, now: () => clock.now, events: memoryEventLog(read.events) });
  assert.deepEqual(json(restored.listAlerts()), json(engine.listAlerts()));
  assert.equal(restored.listAlerts()[0]!.state, 'suppressed');
  // The next append cuts the torn line first, so no event is glued to it.
  await file.append({ type: 'tick', at: t0 + 1 });
  const again = await file.read();
  assert.equal(again.tornBytes, 0);
  assert.deepEqual(again.damagedLines, []);
  assert.equal(again.events.length, log.events.length + 1);
});
