// Limits shared by several instances through the real PostgreSQL on this machine: each
// PgCoordinator below is one instance (its own session), as separate services would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostKey, lockKey, PgCoordinator } from '../../gpu-pool/pg-coordination.js';
import { PoolError } from '../../gpu-pool/pool-error.js';
import { createModelPool } from '../../gpu-pool/model-pool.js';
import { JsonlLedger } from '../../gpu-pool/ledger.js';
import { OllamaPeer } from '../peers/ollama-peer.js';
import { pgSchema, pgSchemaUrl, tempDir } from '../helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function instances(
  t: Parameters<typeof pgSchema>[0] & { skip(reason: string): void },
  count: number,
  retryAfterMs?: number,
) {
  const db = await pgSchema(t, `coord_${randomUUID().slice(0, 8)}`);
  if (!db.ok) {
    t.skip(db.reason);
    return undefined;
  }
  const url = pgSchemaUrl(db.schema);
  const list = Array.from(
    { length: count },
    () => new PgCoordinator({ connectionString: url, pollMs: 20, ...(retryAfterMs ? { retryAfterMs } : {}) }),
  );
  await Promise.all(list.map((c) => c.start()));
  t.after(async () => void (await Promise.all(list.map((c) => c.close()))));
  return { list, url, admin: db.admin };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a host limit holds across instances: never more than maxConcurrent held, every request served', async (t) => {
  const setup = await instances(t, 3);
  if (!setup) return;
  const host = `http://gpu-${randomUUID()}:11434`;
  const slots = setup.list.map((c) => c.slotsFor('gpu', host, 2, 64));
  let held = 0;
  let maxHeld = 0;
  let served = 0;
  await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const release = await slots[i % 3]!.acquire();
      held++;
      maxHeld = Math.max(maxHeld, held);
      await sleep(5 + (i % 4) * 3);
      held--;
      served++;
      release();
    }),
  );
  assert.equal(served, 30);
  assert.equal(maxHeld, 2, 'two slots in all, shared by the three instances');
  const ops = setup.list.map((c) => c.status().operations);
  assert.ok(
    ops.every((o) => (o.acquire ?? 0) > 0),
    'every instance asked the database',
  );
});

test('the queue is bounded across instances, and a cancelled waiter leaves it', async (t) => {
  const setup = await instances(t, 2);
  if (!setup) return;
  const host = `http://gpu-${randomUUID()}:11434`;
  const [a, b] = setup.list.map((c) => c.slotsFor('gpu', host, 1, 1));
  const release = await a!.acquire();
  const controller = new AbortController();
  const waiting = b!.acquire(controller.signal);
  await sleep(50);
  await assert.rejects(
    a!.acquire(),
    (error: PoolError) => error.code === 'QUEUE_FULL' && /queue positions/.test(error.message),
  );
  controller.abort();
  await assert.rejects(waiting, (error: PoolError) => error.code === 'CANCELLED');
  await sleep(50);
  // The cancelled waiter's position is free again: a new request may queue, and gets the slot.
  const next = a!.acquire();
  release();
  (await next)();
});

test('an instance killed with kill -9 frees its slots at once: PostgreSQL ends its session', async (t) => {
  const setup = await instances(t, 1);
  if (!setup) return;
  const host = `http://gpu-${randomUUID()}:11434`;
  const script = [
    `import { PgCoordinator } from ${JSON.stringify(path.join(root, 'gpu-pool/pg-coordination.ts'))};`,
    `const c = new PgCoordinator({ connectionString: ${JSON.stringify(setup.url)} });`,
    `await c.slotsFor('gpu', ${JSON.stringify(host)}, 1, 4).acquire();`,
    `process.stdout.write('held\\n');`,
    `setInterval(() => {}, 1000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => void child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
  });
  const slots = setup.list[0]!.slotsFor('gpu', host, 1, 4);
  const waiting = slots.acquire();
  await sleep(100);
  let got = false;
  void waiting.then(() => (got = true));
  await sleep(50);
  assert.equal(got, false, 'the other instance holds the only slot');
  const killedAt = performance.now();
  child.kill('SIGKILL');
  const release = await waiting;
  const ms = performance.now() - killedAt;
  release();
  assert.ok(ms < 2_000, `the slot came free ${ms.toFixed(0)} ms after the kill`);
});

test('a host one instance sees die is down for the others within 2 s', async (t) => {
  const setup = await instances(t, 3);
  if (!setup) return;
  const url = `http://gpu-${randomUUID()}:11434`;
  const seen = setup.list
    .slice(1)
    .map(
      (c) =>
        new Promise<number>((resolve) => c.onHostDown((notice) => notice.url === url && resolve(performance.now()))),
    );
  const sent = performance.now();
  setup.list[0]!.announceDown('gpu', url, 'connect ECONNREFUSED');
  const times = await Promise.all(seen);
  for (const at of times) assert.ok(at - sent < 2_000, `notice took ${(at - sent).toFixed(0)} ms`);
});

test('the Claude budget across instances is passed by at most one call, and an unsettled reservation counts', async (t) => {
  const setup = await instances(t, 3);
  if (!setup) return;
  const budgets = setup.list.map((c) => c.budget(() => Promise.resolve(0)));
  const budgetUsd = 1;
  const bound = 0.3;
  let spent = 0;
  const results = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      const grant = await budgets[i % 3]!.reserve(bound, budgetUsd, 60_000);
      if (!grant.granted) return false;
      await sleep(10);
      const actual = 0.25; // under the bound, as a real call's cost is
      spent += actual;
      await budgets[i % 3]!.settle(grant, actual);
      return true;
    }),
  );
  const granted = results.filter(Boolean).length;
  assert.ok(granted >= 3, `${granted} calls granted`);
  assert.ok(spent <= budgetUsd + bound, `spent ${spent} against a budget of ${budgetUsd}`);
  // Every refusal saw at least four calls' worth committed (4 × 0.25 ≥ 1), so the budget is used up.
  assert.ok(spent >= budgetUsd, `spent ${spent}`);
  const after = await budgets[0]!.reserve(bound, budgetUsd, 60_000);
  assert.equal(after.granted, false);
  // A reservation whose instance vanished (never settled) counts as spent at its bound once it expires.
  const db = await pgSchema(t, `coord_${randomUUID().slice(0, 8)}`);
  if (!db.ok) return;
  const fresh = new PgCoordinator({ connectionString: pgSchemaUrl(db.schema) });
  t.after(() => fresh.close());
  const budget = fresh.budget(() => Promise.resolve(0));
  const orphan = await budget.reserve(0.6, 1, 1);
  assert.equal(orphan.granted, true);
  await sleep(20);
  const second = await budget.reserve(0.6, 1, 60_000);
  assert.equal(second.granted, true, 'spent 0.6 (expired) + 0 reserved is under 1');
  const third = await budget.reserve(0.1, 1, 60_000);
  assert.deepEqual(
    third.granted ? 'granted' : Number((third as { committedUsd: number }).committedUsd.toFixed(2)),
    1.2,
  );
});

test('with the database gone, limits fall back to this instance and say so', async (t) => {
  const warnings: string[] = [];
  const coordinator = new PgCoordinator({
    connectionString: 'postgres://postgres@127.0.0.1:1/none',
    onWarning: (event) => warnings.push(event),
  });
  t.after(() => coordinator.close());
  const slots = coordinator.slotsFor('gpu', 'http://gpu:11434', 1, 1);
  const release = await slots.acquire();
  const second = slots.acquire();
  await assert.rejects(slots.acquire(), (e: PoolError) => e.code === 'QUEUE_FULL');
  release();
  (await second)();
  assert.equal(coordinator.status().mode, 'local-fallback');
  assert.ok(coordinator.status().fallbacks >= 1);
  assert.deepEqual(warnings, ['coordination_unavailable']);
});

test('two pools on one database: the peer never sees more than maxConcurrent, and a dead host is down in both within 2 s', async (t) => {
  const db = await pgSchema(t, `coord_${randomUUID().slice(0, 8)}`);
  if (!db.ok) return t.skip(db.reason);
  const url = pgSchemaUrl(db.schema);
  const peer = new OllamaPeer({ latencyMs: 15 });
  const peerUrl = await peer.start();
  t.after(() => peer.stop());
  const dir = await tempDir(t);
  const pools = [0, 1].map((i) =>
    createModelPool({
      hosts: [{ name: `gpu${i}`, url: peerUrl, weight: 1, maxConcurrent: 2, tags: [], access: 'network' }],
      baselineModel: 'claude-sonnet-4-5',
      ledger: new JsonlLedger(path.join(dir, `ledger${i}`)),
      defaultThreshold: 0,
      coordination: new PgCoordinator({ connectionString: url, pollMs: 20 }),
    }),
  );
  t.after(async () => void (await Promise.all(pools.map((p) => p.close()))));
  await Promise.all(pools.map((p) => p.start()));
  peer.maxInFlight = 0;
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      pools[i % 2]!.complete({ prompt: `question ${i}`, tier: 'small', deadlineMs: 20_000 }),
    ),
  );
  assert.equal(answers.length, 16);
  assert.equal(peer.maxInFlight, 2, 'counted at the peer: two in flight at most across both pools');
  assert.equal(pools[0]!.status().coordination?.mode, 'postgresql');
  const down = new Promise<void>((resolve) => pools[1]!.on('host-down', () => resolve()));
  const started = performance.now();
  await peer.stop();
  await down;
  assert.ok(performance.now() - started < 2_000);
  assert.equal(pools[1]!.status().hosts[0]!.health, 'down');
});

/** The advisory locks PostgreSQL holds now for a host's slots and queue, by any session. */
async function locksOf(admin: import('pg').Client, url: string): Promise<number> {
  const keys = [lockKey(`caelum:slot:${hostKey(url)}`), lockKey(`caelum:queue:${hostKey(url)}`)];
  const { rows } = await admin.query<{ n: string }>(
    `select count(*) as n from pg_locks where locktype = 'advisory' and objsubid = 2 and granted and classid::int = any($1)`,
    [keys],
  );
  return Number(rows[0]!.n);
}

test('a coordination session ended under load (a restart, pg_terminate_backend) leaks no lock, and each instance stays within the limit', async (t) => {
  const setup = await instances(t, 2, 50);
  if (!setup) return;
  let overlaps = 0;
  for (let trial = 0; trial < 3; trial++) {
    // After the last trial's kill, A opens a new session once its 50 ms pause is over.
    for (let tries = 0; ; tries++) {
      try {
        await setup.list[0]!.ready();
        break;
      } catch (error) {
        if (tries > 50) throw error;
        await sleep(20);
      }
    }
    const url = `http://gpu-${randomUUID()}:11434`;
    const [a, b] = setup.list.map((c) => c.slotsFor('gpu', url, 2, 500));
    let running = 0;
    let most = 0;
    const one = async (slots: typeof a) => {
      const release = await slots!.acquire();
      running++;
      most = Math.max(most, running);
      await sleep(3);
      running--;
      release();
    };
    const work = Array.from({ length: 120 }, (_, i) => one(i % 2 ? a : b));
    await sleep(5 + trial * 10);
    const admin: import('pg').Client = setup.admin;
    const terminated: import('pg').QueryResult = await admin.query(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1`,
      [`caelum-coordination ${setup.list[0]!.instanceId.slice(0, 8)}`],
    );
    assert.equal(terminated.rowCount, 1, 'instance A had one coordination session');
    await Promise.all(work);
    // A cut frees A's locks while its requests still run; A opens a new session at once and takes
    // them back, but B's waiters may take a freed slot first. Each instance alone stays within the
    // limit, so the most at once is the limit plus A's requests caught by the cut.
    assert.ok(most <= 4, `${most} at once across two instances of limit 2 while A's session was cut`);
    overlaps += most > 2 ? 1 : 0;
    await sleep(100);
    assert.equal(await locksOf(setup.admin, url), 0, 'every slot and queue position is free once idle');
  }
  t.diagnostic(`${overlaps} of 3 cuts let B take a slot before A took it back`);
});

test('host keys: one host however its URL is spelled', () => {
  assert.equal(hostKey('http://GPU1:8000/v1/'), hostKey('http://gpu1:8000'));
  assert.equal(hostKey('http://user:secret@gpu1:80/'), 'http://gpu1');
  assert.notEqual(hostKey('http://gpu1:8000'), hostKey('http://gpu1:8001'));
});
