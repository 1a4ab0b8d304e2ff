// The paper ledger on real files: a torn last line is ignored and cut before the next append,
// appends in one process serialise, and writers killed with SIGKILL leave a ledger that replays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { PaperBroker } from '../../tools/trading/paper/paper-broker.js';
import { isStale, PaperLedger, paperLedgerFile, startTime } from '../../tools/trading/paper/paper-ledger.js';
import type { SuiteEnvironment } from '../../tools/context.js';
import { repoRoot, tempDir } from '../helpers.js';
import { appendBar, sp500Rows, writeBars } from './paper-fixtures.js';

function brokerOn(dataDir: string, initialCash?: number): PaperBroker {
  return new PaperBroker({ dataDir, bars: createBarSource({ dataDir } as SuiteEnvironment), initialCash });
}

async function ledgerLines(dataDir: string): Promise<string[]> {
  return (await readFile(paperLedgerFile(dataDir), 'utf8')).split('\n');
}

/** Every line but a possible torn last one parses, and the sequence runs 1..n with no gap. */
function assertConsistent(lines: string[]): { events: number; torn: boolean } {
  const torn = lines.at(-1) !== '';
  const complete = lines.slice(0, -1);
  complete.forEach((line, index) => assert.equal(JSON.parse(line).seq, index + 1, `line ${index + 1}`));
  return { events: complete.length, torn };
}

test('a torn last line is ignored on replay and cut off before the next append', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 });
  const before = await brokerOn(dataDir).account();
  const whole = JSON.stringify({
    seq: 3,
    time: 'x',
    type: 'order_placed',
    orderId: 'order-3',
    symbol: 'SPX',
    quantity: 5,
  });
  await appendFile(paperLedgerFile(dataDir), whole.slice(0, 40));

  const restarted = brokerOn(dataDir);
  assert.deepEqual(await restarted.account(), before);
  const read = await restarted.ledger.read();
  assert.equal(read.events.length, 2);
  assert.equal(read.tornBytes, 40);

  const order = await restarted.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 3 });
  assert.equal(order.id, 'order-3');
  const lines = await ledgerLines(dataDir);
  assert.deepEqual(assertConsistent(lines), { events: 3, torn: false });
  assert.equal(JSON.parse(lines[2]!).quantity, 3, 'the new event stands alone on its line, not glued to the torn one');
  assert.equal((await brokerOn(dataDir).orders({ status: 'pending' })).length, 2);
});

test('a damaged line in the middle fails closed: reads and appends name the line, nothing is written, no id is reused', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 100));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 10 });
  await appendBar(dataDir, 'SPX', rows[100]!);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 5 });
  await appendBar(dataDir, 'SPX', rows[101]!);
  await broker.settle();
  const file = paperLedgerFile(dataDir);
  const good = await readFile(file, 'utf8');
  assert.equal(good.split('\n').length - 1, 5);

  // One damaged byte in line 2; written by rename, as an editor would, so the cache sees a new file.
  const damaged = good.replace('"seq":2,', '"seq":2x,');
  await writeFile(`${file}.tmp`, damaged);
  await rename(`${file}.tmp`, file);

  const read = await new PaperLedger(file).read();
  assert.equal(read.events.length, 1, 'the events before the damage are kept');
  assert.equal(read.damage?.line, 2);
  assert.match(read.damage!.problem, /not JSON/);
  const restarted = brokerOn(dataDir);
  await assert.rejects(restarted.account(), /paper ledger .*ledger\.jsonl is damaged at line 2 \(not JSON/);
  await assert.rejects(
    restarted.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }),
    /damaged at line 2 .*nothing was written.*1 events before that line are intact.*numbered 2.*move the file aside/,
  );
  assert.equal(await readFile(file, 'utf8'), damaged, 'no append to a damaged ledger');

  // Repaired by hand: the whole history is back and numbering runs on after it.
  await writeFile(file, good);
  const after = brokerOn(dataDir);
  assert.deepEqual(
    (await after.account()).positions.map((p) => p.quantity),
    [15],
  );
  const order = await after.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
  assert.equal(order.id, 'order-6');
});

test('a complete line that breaks the sequence fails closed too', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 });
  const file = paperLedgerFile(dataDir);
  const [, second] = await ledgerLines(dataDir);
  // A valid event, but numbered 2 again (e.g. a line pasted twice).
  await appendFile(file, `${second}\n`);
  const read = await broker.ledger.read();
  assert.deepEqual(read.damage, { line: 3, problem: 'event numbered 2, expected 3' });
  await assert.rejects(broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 }), /damaged at line 3/);
  assert.equal((await ledgerLines(dataDir)).length, 4, 'nothing appended');
  // A line that is JSON but not an event names the field.
  await writeFile(file, (await ledgerLines(dataDir)).slice(0, 2).join('\n') + '\n{"seq":3,"type":"order_filled"}\n');
  const bad = await new PaperLedger(file).read();
  assert.equal(bad.damage?.line, 3);
  assert.match(bad.damage!.problem, /not a paper event/);
});

test('concurrent orders in one process serialise: distinct ids, one sequence, cash checked in turn', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows().slice(0, 5);
  await writeBars(dataDir, 'SPX', rows);
  const broker = brokerOn(dataDir, 10_000);
  // Each buy of 2 units is about 2,800; only three fit in 10,000 of cash.
  const orders = await Promise.all(
    Array.from({ length: 8 }, () => brokerOn(dataDir, 10_000).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 })),
  );
  assert.equal(new Set(orders.map((o) => o.id)).size, 8);
  assert.equal(
    orders.filter((o) => o.status === 'pending').length,
    Math.floor(10_000 / (2 * rows[4]!.close * 1.0001 * 1.0001)),
  );
  assert.deepEqual(assertConsistent(await ledgerLines(dataDir)), { events: 9, torn: false });
  assert.equal((await broker.orders()).length, 8);
});

/** Starts a child that places orders in a loop; resolves once it has placed one. */
function startWriter(dataDir: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'tests/trading/paper-append-child.ts'), dataDir],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => resolve());
    child.on('exit', (code) => reject(new Error(`writer exited ${code}: ${stderr}`)));
  });
  return { child, exited, started };
}

test('writers killed with SIGKILL while appending leave a ledger that replays and takes new appends', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const file = paperLedgerFile(dataDir);
  // Two processes at once, so the lock file is what keeps their sequence numbers apart.
  const writers = [startWriter(dataDir), startWriter(dataDir)];
  t.after(() => writers.forEach((w) => w.child.kill('SIGKILL')));
  await Promise.all(writers.map((w) => w.started));
  const deadline = Date.now() + 20_000;
  while ((await stat(file)).size < 30_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const writer of writers) writer.child.kill('SIGKILL');
  await Promise.all(writers.map((w) => w.exited));

  const { events } = assertConsistent(await ledgerLines(dataDir));
  assert.ok(events > 40, `only ${events} events were written`);
  const notes = (await ledgerLines(dataDir)).slice(0, events).map((l) => JSON.parse(l).note as string | undefined);
  const pids = new Set(notes.filter(Boolean).map((n) => n!.split(' ')[1]));
  assert.equal(pids.size, 2, 'both writers appended');
  const read = await new PaperLedger(file).read();
  assert.equal(read.damage, undefined);
  assert.equal(read.events.length, events);

  // A writer may have died holding the lock; its pid is dead, so the lock is taken over.
  const order = await brokerOn(dataDir, 1e12).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
  assert.equal(order.id, `order-${events + 1}`);
  assert.deepEqual(assertConsistent(await ledgerLines(dataDir)), { events: events + 1, torn: false });
});

test('a lock file left by a dead process is taken over', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  await mkdir(path.dirname(paperLedgerFile(dataDir)), { recursive: true });
  await writeFile(`${paperLedgerFile(dataDir)}.lock`, String(dead.pid));
  const started = Date.now();
  const order = await brokerOn(dataDir).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
  assert.equal(order.status, 'pending');
  assert.ok(Date.now() - started < 5_000);
  await assert.rejects(stat(`${paperLedgerFile(dataDir)}.lock`), /ENOENT/, 'released after the append');
});

test('a lock holding our own pid that this process does not hold is taken over (a restarted container as pid 1)', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const lock = `${paperLedgerFile(dataDir)}.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  for (const content of [String(process.pid), `${process.pid} 1 0123456789abcdef`]) {
    await writeFile(lock, content);
    const started = Date.now();
    const order = await brokerOn(dataDir).placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
    assert.equal(order.status, 'pending');
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  }
});

test('a live pid holds the lock only with the start time it recorded (where /proc tells)', async (t) => {
  const dataDir = await tempDir(t);
  const lock = path.join(dataDir, 'ledger.jsonl.lock');
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  t.after(() => live.kill('SIGKILL'));
  await new Promise((resolve) => live.on('spawn', resolve));
  const start = await startTime(live.pid!);
  await writeFile(lock, `${live.pid} - token`);
  assert.equal(await isStale(lock), false, 'a live pid with no start time holds it');
  if (start === undefined) return t.skip('no /proc here: a live pid always counts as the holder');
  await writeFile(lock, `${live.pid} ${start} token`);
  assert.equal(await isStale(lock), false, 'the same process still holds it');
  await writeFile(lock, `${live.pid} ${Number(start) - 1} token`);
  assert.equal(await isStale(lock), true, 'the pid now belongs to a process started later: reused');
});
