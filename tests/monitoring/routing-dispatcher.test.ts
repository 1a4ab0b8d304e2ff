// Alertmanager's timing under a simulated clock, derived from the doc text (domain-facts §3.1):
// group_wait before the first flush, group_interval between flushes, repeat_interval checked only at
// group_interval ticks (rounded up to a multiple), nothing sent for an alert resolved during
// group_wait, resolved alerts sent once, continue sending to two receivers, silences and inhibition.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlertmanagerConfig } from '../../tools/monitoring/alerts/routing/am-config.js';
import { AlertEngine } from '../../tools/monitoring/alerts/routing/alert-engine.js';
import type { Notification } from '../../tools/monitoring/alerts/alert-types.js';

const s = 1000;
const m = 60 * s;
const t0 = Date.UTC(2026, 11, 3, 12, 0, 0);

const yaml = `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 7m
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      continue: true
    - matchers: ['team="db"']
      receiver: mail
inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']
    target_matchers: ['severity="warning"']
    equal: [instance]
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:9/hook'}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:9/pager'}]
  - name: mail
    email_configs: [{to: db@example.org, from: am@example.org, smarthost: '127.0.0.1:25'}]
`;

function setup() {
  const clock = { now: t0 };
  const engine = new AlertEngine({ config: parseAlertmanagerConfig(yaml), now: () => clock.now, newId: () => 's1' });
  /** Ticks every second from the current time to `until`, collecting what is sent. */
  const advance = (until: number): Notification[] => {
    const sent: Notification[] = [];
    while (clock.now < until) {
      clock.now += s;
      sent.push(...engine.tick(clock.now));
    }
    return sent;
  };
  return { clock, engine, advance };
}

test('group_wait holds the first notification; it says when the repeat is due (the next group_interval flush after it)', () => {
  const { engine, advance } = setup();
  engine.fire({ labels: { alertname: 'HighCpu', instance: 'a' } });
  assert.deepEqual(advance(t0 + 29 * s), []);
  const [first, ...rest] = advance(t0 + 30 * s);
  assert.equal(rest.length, 0);
  assert.equal(first!.reason, 'group_wait');
  assert.equal(first!.at, t0 + 30 * s);
  assert.equal(first!.groupKey, '{}:{alertname="HighCpu"}');
  assert.equal(first!.receiver, 'hook');
  // repeat_interval 7m with group_interval 5m: the repeat comes at the second tick, 10m later.
  assert.equal(first!.nextRepeatAt, t0 + 30 * s + 10 * m);
  assert.deepEqual(advance(t0 + 30 * s + 10 * m - s), [], 'no repeat at 5m nor at 7m');
  const [repeat] = advance(t0 + 30 * s + 10 * m);
  assert.equal(repeat!.reason, 'repeat_interval');
  assert.equal(repeat!.nextRepeatAt, t0 + 30 * s + 20 * m);
});

test('a repeat_interval that divides group_interval exactly repeats one group_interval later, as Alertmanager does', () => {
  const clock = { now: t0 };
  const exact = yaml.replace('repeat_interval: 7m', 'repeat_interval: 10m');
  const engine = new AlertEngine({ config: parseAlertmanagerConfig(exact), now: () => clock.now });
  engine.fire({ labels: { alertname: 'HighCpu', instance: 'a' } });
  const sent: Notification[] = [];
  for (; clock.now < t0 + 40 * m; clock.now += s) sent.push(...engine.tick(clock.now));
  // Sent at 30s; flushes every 5m; `last < now − 10m` first holds at 15m30s, then at 30m30s.
  assert.deepEqual(
    sent.map((n) => [(n.at - t0) / s, n.reason]),
    [
      [30, 'group_wait'],
      [930, 'repeat_interval'],
      [1830, 'repeat_interval'],
    ],
  );
  assert.equal(sent[0]!.nextRepeatAt, sent[1]!.at);
});

test('a new alert joining a group waits for the next group_interval tick, not a new group_wait', () => {
  const { engine, advance, clock } = setup();
  engine.fire({ labels: { alertname: 'HighCpu', instance: 'a' } });
  assert.equal(advance(t0 + 30 * s).length, 1);
  advance(t0 + 60 * s);
  engine.fire({ labels: { alertname: 'HighCpu', instance: 'b' } });
  assert.deepEqual(advance(t0 + 30 * s + 5 * m - s), []);
  const [update] = advance(t0 + 30 * s + 5 * m);
  assert.equal(update!.reason, 'group_interval');
  assert.deepEqual(
    update!.alerts.map((a) => a.alert.labels.instance),
    ['a', 'b'],
  );
  assert.deepEqual(update!.commonLabels, { alertname: 'HighCpu' });
  assert.equal(clock.now, t0 + 30 * s + 5 * m);
});

test('an alert resolved during group_wait sends nothing, ever', () => {
  const { engine, advance } = setup();
  const alert = engine.fire({ labels: { alertname: 'Flap', instance: 'a' } });
  advance(t0 + 10 * s);
  engine.resolve(alert.fingerprint);
  assert.deepEqual(advance(t0 + 30 * m), []);
  assert.equal(engine.groups().length, 0);
  assert.equal(engine.listAlerts().length, 0);
});

test('a resolved alert is sent once with send_resolved, then the group is gone; not at all without it', () => {
  const { engine, advance } = setup();
  const hook = engine.fire({ labels: { alertname: 'DiskFull', instance: 'a' } });
  const mail = engine.fire({ labels: { alertname: 'DbSlow', team: 'db' } });
  assert.deepEqual(
    advance(t0 + 30 * s)
      .map((n) => n.receiver)
      .sort(),
    ['hook', 'mail'],
  );
  advance(t0 + 2 * m);
  engine.resolve(hook.fingerprint);
  engine.resolve(mail.fingerprint);
  const sent = advance(t0 + 30 * m);
  assert.equal(sent.length, 1, 'the email receiver has send_resolved false');
  assert.equal(sent[0]!.receiver, 'hook');
  assert.equal(sent[0]!.status, 'resolved');
  assert.equal(sent[0]!.reason, 'group_interval');
  assert.equal(sent[0]!.at, t0 + 30 * s + 5 * m);
  assert.equal(sent[0]!.nextRepeatAt, null);
  assert.equal(engine.groups().length, 0);
});

test('an alert that started longer than group_wait ago is flushed at the next tick', () => {
  const { engine, advance } = setup();
  engine.fire({ labels: { alertname: 'Old', instance: 'a' }, startsAt: t0 - 10 * m });
  const [sent] = advance(t0 + s);
  assert.equal(sent!.reason, 'group_wait');
  assert.equal(sent!.at, t0 + s);
});

test('continue sends to two receivers with their own group keys', () => {
  const { engine, advance } = setup();
  engine.fire({ labels: { alertname: 'NodeDown', severity: 'critical', team: 'db', instance: 'x' } });
  const sent = advance(t0 + 30 * s);
  assert.deepEqual(sent.map((n) => [n.receiver, n.groupKey]).sort(), [
    ['mail', '{}/{team="db"}:{alertname="NodeDown"}'],
    ['pager', '{}/{severity="critical"}:{alertname="NodeDown"}'],
  ]);
  assert.deepEqual(engine.testRoute({ severity: 'critical', team: 'db' }).receivers, ['pager', 'mail']);
});

test('a silence mutes while active; the alert is sent once it expires', () => {
  const { engine, advance } = setup();
  engine.addSilence({
    matchers: [{ name: 'alertname', value: 'High.*', isRegex: true, isEqual: true }],
    endsAt: t0 + 12 * m,
    createdBy: 'test',
    comment: 'maintenance',
  });
  engine.fire({ labels: { alertname: 'HighCpu', instance: 'a' } });
  engine.fire({ labels: { alertname: 'LowDisk', instance: 'a' } });
  const during = advance(t0 + 11 * m);
  assert.deepEqual(
    during.map((n) => [n.groupLabels.alertname, n.reason]),
    [
      ['LowDisk', 'group_wait'],
      ['LowDisk', 'repeat_interval'],
    ],
  );
  const views = engine.listAlerts();
  assert.deepEqual(
    views.map((v) => [v.alert.labels.alertname, v.state, v.silencedBy.join()]),
    [
      ['HighCpu', 'suppressed', 's1'],
      ['LowDisk', 'active', ''],
    ],
  );
  const after = advance(t0 + 16 * m);
  assert.deepEqual(
    after.map((n) => [n.groupLabels.alertname, n.reason]),
    [['HighCpu', 'group_interval']],
  );
  assert.equal(after[0]!.at, t0 + 30 * s + 15 * m);
});

test('inhibition mutes targets with equal labels (missing equals empty); a source cannot inhibit itself', () => {
  const { engine, advance } = setup();
  const down = engine.fire({ labels: { alertname: 'NodeDown', instance: 'a' } });
  engine.fire({ labels: { alertname: 'HighCpu', severity: 'warning', instance: 'a' } });
  engine.fire({ labels: { alertname: 'HighCpu', severity: 'warning', instance: 'b' } });
  // Matches both sides: it is not inhibited by itself.
  engine.fire({ labels: { alertname: 'NodeDown', severity: 'warning', instance: 'c' } });
  const sent = advance(t0 + 30 * s);
  const instances = sent
    .flatMap((n) => n.alerts.map((a) => `${a.alert.labels.alertname}/${a.alert.labels.instance}`))
    .sort();
  assert.deepEqual(instances, ['HighCpu/b', 'NodeDown/a', 'NodeDown/c']);
  const inhibited = engine.listAlerts().find((v) => v.alert.labels.instance === 'a' && v.alert.labels.severity);
  assert.deepEqual([inhibited!.state, inhibited!.inhibitedBy], ['suppressed', [down.fingerprint]]);
  engine.resolve(down.fingerprint);
  const later = advance(t0 + 30 * s + 5 * m);
  assert.ok(later.some((n) => n.alerts.some((a) => a.alert.labels.instance === 'a' && a.status === 'firing')));
});
