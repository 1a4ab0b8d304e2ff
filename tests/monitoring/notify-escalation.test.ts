// Ack and escalation under a simulated clock: tiers fire within one tick of their due time, an ack
// stops them, an expired ack re-arms, resolve ends it, every step is logged and replayable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '../../tools/monitoring/alerts/alert-types.js';
import { EscalationEngine, type EscalationEvent } from '../../tools/monitoring/alerts/escalation/escalation.js';
import { escalationPolicySchema } from '../../tools/monitoring/alerts/escalation/escalation-config.js';
import { fingerprint as alertFingerprint } from '../../tools/monitoring/alerts/routing/fingerprint.js';
import { InputError } from '../../tools/errors.js';

const minute = 60_000;
const t0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const tickEvery = 30_000;

function alert(labels: Record<string, string>): Alert {
  return { labels, annotations: { summary: 'disk full' }, startsAt: t0, fingerprint: alertFingerprint(labels) };
}

function harness(policy: Parameters<typeof escalationPolicySchema.parse>[0] = {}) {
  let clock = t0;
  const log: EscalationEvent[] = [];
  const engine = new EscalationEngine({
    policy: policy as never,
    sink: (e) => log.push(structuredClone(e)),
    now: () => clock,
  });
  /** Ticks every 30 s until `until`, returning what was written. */
  const runUntil = (until: number) => {
    const written: EscalationEvent[] = [];
    while (clock + tickEvery <= until) {
      clock += tickEvery;
      written.push(...engine.tick(clock));
    }
    return written;
  };
  return { engine, log, runUntil, now: () => clock };
}

const policy = {
  tiers: [
    { receiver: 'pd', afterMs: 0 },
    { receiver: 'slack', afterMs: 10 * minute },
    { receiver: 'mail', afterMs: 30 * minute },
  ],
  profiles: {
    database: {
      tiers: [
        { receiver: 'pd-db', afterMs: 0 },
        { receiver: 'slack-db', afterMs: 2 * minute },
      ],
    },
  },
};

test('an unacked critical alert escalates tier by tier within one tick of each due time', () => {
  const h = harness(policy);
  const a = alert({ alertname: 'DiskFull', severity: 'critical', profile: 'web_api' });
  h.engine.observe(a);
  const written = h.runUntil(t0 + 60 * minute).filter((e) => e.step === 'escalated');
  assert.deepEqual(
    written.map((e) => [e.tier, e.receiver]),
    [
      [1, 'pd'],
      [2, 'slack'],
      [3, 'mail'],
    ],
  );
  const due = [0, 10 * minute, 30 * minute];
  written.forEach((event, i) => {
    const late = event.at - (t0 + due[i]!);
    assert.ok(late >= 0 && late <= tickEvery, `tier ${i + 1} came ${late} ms after its due time`);
  });
  assert.equal(h.engine.state(a.fingerprint)?.state, 'exhausted');
});

test('per-profile tiers replace the default; non-critical alerts do not escalate; unknown profiles are refused', () => {
  const h = harness(policy);
  h.engine.observe(alert({ alertname: 'Slow', severity: 'critical', profile: 'database' }));
  assert.equal(h.engine.observe(alert({ alertname: 'Warn', severity: 'warning', profile: 'database' })), null);
  const written = h.runUntil(t0 + 5 * minute).filter((e) => e.step === 'escalated');
  assert.deepEqual(
    written.map((e) => e.receiver),
    ['pd-db', 'slack-db'],
  );
  assert.ok(written[1]!.at - (t0 + 2 * minute) <= tickEvery);
  assert.throws(
    () => h.engine.observe(alert({ alertname: 'X', severity: 'critical', profile: 'mainframe' })),
    (error: unknown) => error instanceof InputError && /labels\.profile.*ml_compute.*generic/.test(error.message),
  );
  assert.throws(() =>
    escalationPolicySchema.parse({ profiles: { mainframe: { tiers: [{ receiver: 'x', afterMs: 0 }] } } }),
  );
});

test('an ack stops escalation; its expiry re-arms and the next tier hears at once', () => {
  const h = harness(policy);
  const a = alert({ alertname: 'DiskFull', severity: 'critical' });
  h.engine.observe(a);
  h.runUntil(t0 + 1 * minute); // tier 1 (pd) notified
  h.engine.ack(a.fingerprint, { by: 'ana', comment: 'looking', ttlMs: 20 * minute });
  const whileAcked = h.runUntil(t0 + 20 * minute);
  assert.deepEqual(whileAcked, [], 'nothing escalates while the ack holds (slack was due at 10 min)');
  const after = h.runUntil(t0 + 50 * minute);
  assert.deepEqual(
    after.map((e) => [e.step, e.tier, e.receiver]),
    [
      ['ack_expired', 1, null],
      ['escalated', 2, 'slack'],
      ['escalated', 3, 'mail'],
    ],
  );
  const expiry = t0 + 1 * minute + 20 * minute;
  assert.ok(after[0]!.at >= expiry && after[0]!.at - expiry <= tickEvery);
  assert.equal(after[1]!.at, after[0]!.at, 'the next tier is notified in the tick the ack expired');
  // Later tiers keep their gap (mail 20 min after slack), counted from the re-arm.
  assert.ok(after[2]!.at - after[1]!.at >= 20 * minute && after[2]!.at - after[1]!.at <= 20 * minute + tickEvery);
});

test('restart mode begins again at tier 1 when an ack expires', () => {
  const h = harness({ ...policy, onAckExpiry: 'restart' });
  const a = alert({ alertname: 'DiskFull', severity: 'critical' });
  h.engine.observe(a);
  h.runUntil(t0 + 11 * minute); // pd, slack
  h.engine.ack(a.fingerprint, { by: 'ana', ttlMs: 5 * minute });
  const after = h.runUntil(t0 + 17 * minute);
  assert.deepEqual(
    after.map((e) => [e.step, e.receiver]),
    [
      ['ack_expired', null],
      ['escalated', 'pd'],
    ],
  );
});

test('resolve ends escalation and every step was logged through the sink', () => {
  const h = harness(policy);
  const a = alert({ alertname: 'DiskFull', severity: 'critical' });
  h.engine.observe(a);
  h.runUntil(t0 + 1 * minute);
  h.engine.ack(a.fingerprint, { by: 'ana', comment: 'on it', ttlMs: 2 * minute });
  h.runUntil(t0 + 5 * minute);
  h.engine.observe({ ...a, endsAt: h.now() });
  assert.deepEqual(h.runUntil(t0 + 60 * minute), []);
  assert.equal(h.engine.state(a.fingerprint), undefined);
  assert.deepEqual(
    h.log.map((e) => e.step),
    ['started', 'escalated', 'acked', 'ack_expired', 'escalated', 'resolved'],
  );
  const acked = h.log[2]!;
  assert.equal(acked.by, 'ana');
  assert.equal(acked.comment, 'on it');
  assert.equal(acked.ackedUntil, acked.at + 2 * minute);
  for (const event of h.log) assert.equal(event.fingerprint, a.fingerprint);
});

test('the state is rebuilt from the logged events after a restart and continues identically', () => {
  const h = harness(policy);
  const a = alert({ alertname: 'DiskFull', severity: 'critical', profile: 'ml_compute' });
  const b = alert({ alertname: 'Oom', severity: 'critical', profile: 'database' });
  h.engine.observe(a);
  h.engine.observe(b);
  h.runUntil(t0 + 3 * minute);
  h.engine.ack(a.fingerprint, { by: 'ana', ttlMs: 10 * minute });
  h.runUntil(t0 + 4 * minute);
  // "Restart": a new engine from the log only (through JSON, as a file would hold it).
  const stored = JSON.parse(JSON.stringify(h.log)) as EscalationEvent[];
  const replayedLog: EscalationEvent[] = [];
  const replayed = EscalationEngine.replay(stored, { policy, sink: (e) => replayedLog.push(e), now: h.now });
  assert.deepEqual(replayed.list(), h.engine.list());
  assert.equal(replayedLog.length, 0, 'replay does not write the events again');
  const later = t0 + 40 * minute;
  const original = h.engine.tick(later);
  assert.deepEqual(replayed.tick(later), original);
  assert.ok(original.some((e) => e.step === 'ack_expired'));
});

test('a sink that fails leaves the state unchanged (write-ahead)', () => {
  let fail = false;
  const engine = new EscalationEngine({
    policy,
    now: () => t0,
    sink: () => {
      if (fail) throw new Error('disk full');
    },
  });
  const a = alert({ alertname: 'DiskFull', severity: 'critical' });
  engine.observe(a);
  fail = true;
  assert.throws(() => engine.tick(t0), /disk full/);
  assert.equal(engine.state(a.fingerprint)?.tierReached, 0);
  fail = false;
  assert.equal(engine.tick(t0).length, 1);
});

test('ack input is checked, and an escalation notification says when the next tier is due', () => {
  const h = harness(policy);
  const a = alert({ alertname: 'DiskFull', severity: 'critical' });
  assert.throws(() => h.engine.ack('nope', { by: 'ana' }), /fingerprint: no escalation/);
  h.engine.observe(a);
  assert.throws(() => h.engine.ack(a.fingerprint, { by: 'ana', ttlMs: 40 * 86_400_000 }), /ttlMs/);
  const [first] = h.engine.tick(t0);
  const n = h.engine.notificationFor(first!);
  assert.equal(n.receiver, 'pd');
  assert.equal(n.reason, 'escalation');
  assert.equal(n.nextRepeatAt, t0 + 10 * minute);
});

test('an alert whose endsAt passes is resolved at the next tick', () => {
  const h = harness(policy);
  const a = { ...alert({ alertname: 'DiskFull', severity: 'critical' }), endsAt: t0 + 5 * minute };
  h.engine.observe(a);
  const written = h.runUntil(t0 + 30 * minute);
  assert.deepEqual(
    written.map((e) => e.step),
    ['escalated', 'resolved'],
  );
  assert.ok(written[1]!.at >= t0 + 5 * minute && written[1]!.at - (t0 + 5 * minute) <= tickEvery);
  assert.equal(h.engine.list().length, 0);
});
