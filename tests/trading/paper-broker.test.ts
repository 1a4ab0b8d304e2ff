// The paper broker over real files: orders wait for the next bar, fill at its open with the
// backtests' cost model, book P&L at average cost, survive a restart, and respect the limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { commission, defaultCosts, fillPrice } from '../../tools/trading/costs.js';
import { createBarSource } from '../../tools/trading/market/market-store.js';
import { PaperBroker } from '../../tools/trading/paper/paper-broker.js';
import { paperLedgerFile } from '../../tools/trading/paper/paper-ledger.js';
import type { SuiteEnvironment } from '../../tools/context.js';
import { tempDir } from '../helpers.js';
import { appendBar, rowsOf, sp500Rows, writeBars } from './paper-fixtures.js';

function brokerOn(dataDir: string, initialCash?: number): PaperBroker {
  const bars = createBarSource({ dataDir } as SuiteEnvironment);
  let tick = Date.UTC(2026, 0, 1);
  return new PaperBroker({ dataDir, bars, clock: { now: () => (tick += 1000) }, initialCash });
}

const near = (actual: number, expected: number, what: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

test('an order placed at bar t stays pending, then fills at bar t+1 open with costs.ts slippage and commission', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 10));
  const broker = brokerOn(dataDir);
  const order = await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 10 });
  assert.equal(order.status, 'pending');
  assert.equal(order.placedBar, rows[9]!.date);
  assert.deepEqual(await broker.settle(), [], 'no newer bar: nothing fills');
  assert.equal((await broker.account()).cash, 100_000);

  await appendBar(dataDir, 'SPX', rows[10]!);
  const [filled] = await broker.settle();
  const price = fillPrice(rows[10]!.open, 10, defaultCosts);
  const fee = commission(10, price, defaultCosts);
  assert.equal(filled!.status, 'filled');
  assert.deepEqual(filled!.fill, { bar: rows[10]!.date, open: rows[10]!.open, price, commission: fee });
  near(price, rows[10]!.open * 1.0001, 'open moved up 1 bp for a buy');
  near(fee, 10 * price * 0.0001, 'commission 1 bp of notional');
  const account = await broker.account();
  assert.equal(account.cash, 100_000 - 10 * price - fee);
  assert.equal(account.positions[0]!.quantity, 10);
  assert.equal(account.positions[0]!.lastPrice, rows[10]!.close);
});

test('P&L by average cost: partial sell realises against the average, the rest is marked at the last close', async (t) => {
  const dataDir = await tempDir(t);
  const rows = rowsOf([
    [100, 100],
    [110, 120],
    [130, 125],
  ]);
  await writeBars(dataDir, 'ABC', rows.slice(0, 1));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'ABC', side: 'buy', quantity: 10 });
  await appendBar(dataDir, 'ABC', rows[1]!);
  await broker.placeOrder({ symbol: 'ABC', side: 'sell', quantity: 4 }); // settles the buy first
  let account = await broker.account();
  // Bought 10 at 110 x 1.0001 = 110.011, commission 10 x 110.011 x 0.0001 = 0.110011.
  near(account.cash, 100_000 - 1100.11 - 0.110011, 'cash after the buy');
  near(account.positions[0]!.averageCost, 110.011, 'average cost');
  near(account.unrealizedPnl, 10 * (120 - 110.011), 'unrealised at the close of 120');

  await appendBar(dataDir, 'ABC', rows[2]!);
  await broker.settle();
  account = await broker.account();
  // Sold 4 at 130 x 0.9999 = 129.987, commission 4 x 129.987 x 0.0001 = 0.0519948.
  const position = account.positions[0]!;
  assert.equal(position.quantity, 6);
  near(position.averageCost, 110.011, 'average cost of what remains is unchanged');
  near(position.realizedPnl, 4 * (129.987 - 110.011), 'realised 79.904');
  near(position.unrealizedPnl, 6 * (125 - 110.011), 'unrealised 89.934');
  near(account.commissions, 0.110011 + 0.0519948, 'commissions');
  near(account.cash, 100_000 - 1100.11 - 0.110011 + 519.948 - 0.0519948, 'cash');
  near(account.equity, account.cash + 6 * 125, 'equity');
  near(account.netPnl, 79.904 + 89.934 - 0.1620058, 'net = realised + unrealised - commissions');
});

test('a new broker on the same data dir (a restart) rebuilds the same state from the ledger', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 20));
  const first = brokerOn(dataDir);
  await first.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 30 });
  await appendBar(dataDir, 'SPX', rows[20]!);
  await first.placeOrder({ symbol: 'SPX', side: 'sell', quantity: 12 });
  await appendBar(dataDir, 'SPX', rows[21]!);
  await first.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 5 });
  const before = { account: await first.account(), orders: await first.orders() };

  const second = brokerOn(dataDir);
  assert.deepEqual({ account: await second.account(), orders: await second.orders() }, before);
  assert.deepEqual(
    before.orders.map((o) => o.status),
    ['filled', 'filled', 'pending'],
  );
  const lines = (await readFile(paperLedgerFile(dataDir), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.seq),
    lines.map((_, i) => i + 1),
  );
  assert.deepEqual(
    lines.map((l) => l.type),
    ['account_opened', 'order_placed', 'order_filled', 'order_placed', 'order_filled', 'order_placed'],
  );
});

test('an order beyond the cash is rejected at placement with the reason in the ledger', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 5));
  const broker = brokerOn(dataDir);
  const order = await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1000 });
  assert.equal(order.status, 'rejected');
  assert.match(order.reason!, /needs .* cash is 100000\.00; the paper account allows no margin/);
  const lines = (await readFile(paperLedgerFile(dataDir), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).type, 'order_rejected');
  assert.equal(lines.at(-1).stage, 'placement');
  assert.equal(lines.at(-1).reason, order.reason);
  assert.equal((await broker.account()).cash, 100_000);
});

test('an order that fits at the close but not at a gapped-up open is rejected at the fill', async (t) => {
  const dataDir = await tempDir(t);
  const rows = rowsOf([
    [100, 100],
    [200, 200],
  ]);
  await writeBars(dataDir, 'GAP', rows.slice(0, 1));
  const broker = brokerOn(dataDir);
  assert.equal((await broker.placeOrder({ symbol: 'GAP', side: 'buy', quantity: 999 })).status, 'pending');
  await appendBar(dataDir, 'GAP', rows[1]!);
  const [settled] = await broker.settle();
  assert.equal(settled!.status, 'rejected');
  assert.match(settled!.reason!, /buying 999 GAP at 200\.02/);
  assert.equal((await broker.account()).positions.length, 0);
});

test('a sell below zero needs allowShort; a short books its P&L when bought back', async (t) => {
  const dataDir = await tempDir(t);
  const rows = rowsOf([
    [100, 100],
    [100, 90],
    [80, 80],
  ]);
  await writeBars(dataDir, 'SHT', rows.slice(0, 1));
  const broker = brokerOn(dataDir);
  const refused = await broker.placeOrder({ symbol: 'SHT', side: 'sell', quantity: 10 });
  assert.equal(refused.status, 'rejected');
  assert.match(refused.reason!, /pass allowShort: true/);
  await broker.placeOrder({ symbol: 'SHT', side: 'sell', quantity: 10, allowShort: true });
  await appendBar(dataDir, 'SHT', rows[1]!);
  await broker.placeOrder({ symbol: 'SHT', side: 'buy', quantity: 10 });
  await appendBar(dataDir, 'SHT', rows[2]!);
  await broker.settle();
  const account = await broker.account();
  const sold = 100 * 0.9999;
  const bought = 80 * 1.0001;
  near(account.realizedPnl, 10 * (sold - bought), 'short realised = units x (sell - buy)');
  assert.equal(account.positions[0]!.quantity, 0);
  near(account.netPnl, account.realizedPnl - account.commissions, 'flat: net = realised - commissions');
});

test('target weights size whole units from equity at the last close, counting pending orders', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 30));
  const broker = brokerOn(dataDir);
  const close = rows[29]!.close;
  const first = await broker.submitTargets([{ symbol: 'SPX', weight: 0.5 }]);
  assert.equal(first.orders.length, 1);
  assert.equal(
    first.orders[0]!.quantity,
    Math.trunc(50_000 / (close * 1.0002)),
    'sized at close + 1 bp slippage + 1 bp commission',
  );
  const again = await broker.submitTargets([{ symbol: 'SPX', weight: 0.5 }]);
  assert.equal(again.orders.length, 0, 'the pending order already reaches the target');
  const flat = await broker.submitTargets([{ symbol: 'SPX', weight: 0 }]);
  assert.equal(flat.orders[0]!.side, 'sell');
  assert.equal(flat.orders[0]!.quantity, first.orders[0]!.quantity);
  await appendBar(dataDir, 'SPX', rows[30]!);
  await broker.settle();
  const account = await broker.account();
  assert.equal(account.positions[0]!.quantity, 0);
  assert.ok(account.commissions > 0);
});

test('weights adding up to 1 (long and short) fit the cash and the 1x limit after costs', async (t) => {
  const dataDir = await tempDir(t);
  await writeBars(dataDir, 'AAA', rowsOf([[10, 10]]));
  await writeBars(dataDir, 'BBB', rowsOf([[20, 20]]));
  const broker = brokerOn(dataDir);
  const result = await broker.submitTargets([
    { symbol: 'AAA', weight: 0.7 },
    { symbol: 'BBB', weight: -0.3, allowShort: true },
  ]);
  // 70,000 / (10 x 1.0002) = 6998.6 units; at the bare close it would be 7,000 and not fit after costs.
  assert.deepEqual(
    result.orders.map((o) => [o.symbol, o.side, o.quantity, o.status]),
    [
      ['AAA', 'buy', 6998, 'pending'],
      ['BBB', 'sell', 1499, 'pending'],
    ],
  );
  const whole = await broker.submitTargets([
    { symbol: 'AAA', weight: 1 },
    { symbol: 'BBB', weight: 0 },
  ]);
  assert.deepEqual(
    whole.orders.map((o) => [o.symbol, o.side, o.status]),
    [
      ['BBB', 'buy', 'pending'],
      ['AAA', 'buy', 'pending'],
    ],
    'the reducing order goes first, and all of the equity in one symbol fits',
  );
});

test('cancelAll cancels pending orders but fills those whose next bar has arrived', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 5));
  await writeBars(dataDir, 'NDX', rows.slice(0, 5));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 1 });
  await broker.placeOrder({ symbol: 'NDX', side: 'buy', quantity: 1 });
  await appendBar(dataDir, 'SPX', rows[5]!);
  const result = await broker.cancelPending();
  assert.deepEqual(
    result.settled.map((o) => [o.symbol, o.status]),
    [['SPX', 'filled']],
  );
  assert.deepEqual(
    result.cancelled.map((o) => [o.symbol, o.status]),
    [['NDX', 'cancelled']],
  );
  assert.deepEqual(await broker.orders({ status: 'pending' }), []);
});

test('a ledger written before symbols were upper-cased replays spx and SPX as one position', async (t) => {
  const dataDir = await tempDir(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 10));
  const broker = brokerOn(dataDir);
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 2 });
  await broker.placeOrder({ symbol: 'SPX', side: 'buy', quantity: 3 });
  await appendBar(dataDir, 'SPX', rows[10]!);
  await broker.settle();
  // As the old broker wrote it: the second order (events 3 and 5) in lower case.
  const file = paperLedgerFile(dataDir);
  const lines = (await readFile(file, 'utf8')).split('\n');
  for (const index of [2, 4]) lines[index] = lines[index]!.replace('"symbol":"SPX"', '"symbol":"spx"');
  await writeFile(file, lines.join('\n'));
  assert.equal((await readFile(file, 'utf8')).match(/"spx"/g)?.length, 2);
  const positions = await brokerOn(dataDir).positions();
  assert.deepEqual(
    positions.map((p) => [p.symbol, p.quantity]),
    [['SPX', 5]],
  );
});
