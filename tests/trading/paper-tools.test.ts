// The paper tools through the router, as runTool calls them: confirm for cancelling, clean input
// errors, signals to orders, and a read-only account that never writes the ledger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { paperLedgerFile } from '../../tools/trading/paper/paper-ledger.js';
import { targetWeights } from '../../tools/trading/paper/paper-tools.js';
import { testSuite } from '../helpers.js';
import { appendBar, sp500Rows, writeBars } from './paper-fixtures.js';

async function paperSuite(t: Parameters<typeof testSuite>[0] & { after(fn: () => Promise<void>): void }) {
  const suite = await testSuite(t);
  t.after(() => suite.close());
  const context = suite.dispatcher.context({});
  const call = async (name: string, args: unknown, confirm = false) => {
    const outcome = await suite.dispatcher.router.invoke(name, args, context, { confirm });
    if (!outcome.ok) return { ok: false as const, message: outcome.error.message, kind: outcome.error.kind };
    return { ok: true as const, output: outcome.output as Record<string, any>, text: outcome.text };
  };
  return { suite, call, dataDir: suite.dataDir };
}

test('the paper tools are registered with their kinds', async (t) => {
  const { suite } = await paperSuite(t);
  const kinds = Object.fromEntries(
    ['trading_paper_order', 'trading_paper_follow_signals', 'trading_paper_account', 'trading_paper_cancel_all'].map(
      (name) => [name, suite.registry.get(name)?.kind.effect],
    ),
  );
  assert.deepEqual(kinds, {
    trading_paper_order: 'action',
    trading_paper_follow_signals: 'action',
    trading_paper_account: 'readOnly',
    trading_paper_cancel_all: 'destructive',
  });
});

test('every paper tool example runs once SPX has bars, and fails cleanly without them', async (t) => {
  const { suite, call, dataDir } = await paperSuite(t);
  const names = [
    'trading_paper_order',
    'trading_paper_follow_signals',
    'trading_paper_account',
    'trading_paper_cancel_all',
  ];
  for (const name of ['trading_paper_order', 'trading_paper_follow_signals']) {
    const failed = await call(name, suite.registry.get(name)!.examples[0], true);
    assert.equal(failed.ok, false);
    assert.equal(failed.ok ? '' : failed.kind, 'input');
    assert.match(failed.ok ? '' : failed.message, /SPX/);
  }
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 50));
  for (const name of names)
    for (const example of suite.registry.get(name)!.examples) {
      const outcome = await call(name, example, true);
      assert.ok(outcome.ok, `${name}: ${outcome.ok ? '' : outcome.message}`);
    }
});

test('cancel_all without confirm is refused; with confirm it cancels the pending orders', async (t) => {
  const { call, dataDir } = await paperSuite(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 50));
  const placed = await call('trading_paper_order', { symbol: 'SPX', side: 'buy', quantity: 5 });
  assert.ok(placed.ok);
  assert.equal(placed.output.orders[0].status, 'pending');
  const refused = await call('trading_paper_cancel_all', {});
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.message, /confirm: true/);
  assert.equal(
    (await call('trading_paper_account', {})).ok &&
      (await call('trading_paper_account', {})).output?.pendingOrders.length,
    1,
  );
  const cancelled = await call('trading_paper_cancel_all', {}, true);
  assert.ok(cancelled.ok);
  assert.deepEqual(
    cancelled.output.cancelled.map((o: { status: string }) => o.status),
    ['cancelled'],
  );
  const lines = (await readFile(paperLedgerFile(dataDir), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).type, 'order_cancelled');
});

test('follow_signals turns LONG / SHORT / FLAT into the orders that reach the targets', async (t) => {
  const { call, dataDir } = await paperSuite(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 50));
  await writeBars(dataDir, 'NDX', rows.slice(100, 150));
  const first = await call('trading_paper_follow_signals', {
    signals: [
      { symbol: 'SPX', direction: 'LONG', weight: 0.6 },
      { symbol: 'NDX', direction: 'SHORT' },
    ],
    note: 'committee run 1',
  });
  assert.ok(first.ok, first.ok ? '' : first.message);
  const spxUnits = Math.trunc((0.6 * 100_000) / (rows[49]!.close * 1.0002));
  const ndxUnits = Math.trunc((-0.4 * 100_000) / (rows[149]!.close * 1.0002));
  assert.deepEqual(
    first.output.targets.map((x: Record<string, unknown>) => [x.symbol, x.weight, x.currentUnits, x.targetUnits]),
    [
      ['SPX', 0.6, 0, spxUnits],
      ['NDX', -0.4, 0, ndxUnits],
    ],
  );
  assert.deepEqual(
    first.output.orders.map((o: Record<string, unknown>) => [o.symbol, o.side, o.quantity, o.allowShort, o.note]),
    [
      ['SPX', 'buy', spxUnits, false, 'committee run 1'],
      ['NDX', 'sell', -ndxUnits, true, 'committee run 1'],
    ],
  );
  await appendBar(dataDir, 'SPX', rows[50]!);
  await appendBar(dataDir, 'NDX', rows[150]!);
  const flat = await call('trading_paper_follow_signals', { signals: [{ symbol: 'SPX', direction: 'FLAT' }] });
  assert.ok(flat.ok);
  assert.deepEqual(
    flat.output.settled.map((o: Record<string, unknown>) => [o.symbol, o.status]),
    [
      ['SPX', 'filled'],
      ['NDX', 'filled'],
    ],
  );
  assert.deepEqual(
    flat.output.orders.map((o: Record<string, unknown>) => [o.symbol, o.side, o.quantity]),
    [['SPX', 'sell', spxUnits]],
  );
});

test('signal weights: the unweighted share what is left; too much weight or a repeated symbol is an input error', () => {
  assert.deepEqual(
    targetWeights([
      { symbol: 'A', direction: 'LONG', weight: 0.5 },
      { symbol: 'B', direction: 'LONG' },
      { symbol: 'C', direction: 'SHORT' },
      { symbol: 'D', direction: 'FLAT', weight: 0.9 },
    ]),
    [0.5, 0.25, -0.25, 0],
  );
  assert.throws(
    () =>
      targetWeights([
        { symbol: 'A', direction: 'LONG', weight: 0.7 },
        { symbol: 'B', direction: 'SHORT', weight: 0.7 },
      ]),
    /weights add up to 1\.4000; at most 1/,
  );
  assert.throws(
    () =>
      targetWeights([
        { symbol: 'A', direction: 'LONG' },
        { symbol: 'A', direction: 'FLAT' },
      ]),
    /signals\.1\.symbol: A appears twice/,
  );
});

test('bad input gets a clear error naming the field', async (t) => {
  const { call, dataDir } = await paperSuite(t);
  await writeBars(dataDir, 'SPX', sp500Rows().slice(0, 50));
  const cases: [string, unknown, RegExp][] = [
    ['trading_paper_order', { symbol: 'NOPE', side: 'buy', quantity: 1 }, /symbol: no bars for "NOPE"/],
    ['trading_paper_order', { symbol: 'SPX', side: 'buy', quantity: -3 }, /quantity/],
    ['trading_paper_order', { symbol: '../etc/passwd', side: 'buy', quantity: 1 }, /symbol/],
    ['trading_paper_order', { symbol: 'SPX', quantity: 1 }, /side: say buy or sell/],
    [
      'trading_paper_order',
      { symbol: 'SPX', side: 'buy', quantity: 1, targetWeight: 0.1 },
      /either quantity .* or targetWeight/,
    ],
    ['trading_paper_order', { symbol: 'SPX', targetWeight: -0.1 }, /allowShort: a negative targetWeight/],
    [
      'trading_paper_follow_signals',
      { signals: [{ symbol: 'NOPE', direction: 'LONG' }] },
      /signals\.0\.symbol: no bars/,
    ],
    ['trading_paper_follow_signals', { signals: [] }, /signals/],
  ];
  for (const [name, args, pattern] of cases) {
    const outcome = await call(name, args);
    assert.equal(outcome.ok, false, JSON.stringify(args));
    assert.equal(outcome.ok ? '' : outcome.kind, 'input', JSON.stringify(args));
    assert.match(outcome.ok ? '' : outcome.message, pattern);
  }
});

test('the account tool reports due fills without writing the ledger; the next action books them', async (t) => {
  const { call, dataDir } = await paperSuite(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 50));
  const empty = await call('trading_paper_account', {});
  assert.ok(empty.ok);
  assert.equal(empty.output.equity, 100_000);
  await assert.rejects(stat(paperLedgerFile(dataDir)), /ENOENT/, 'reading opens no account');

  await call('trading_paper_order', { symbol: 'SPX', targetWeight: 0.5, note: 'half' });
  await appendBar(dataDir, 'SPX', rows[50]!);
  const ledgerBefore = await readFile(paperLedgerFile(dataDir), 'utf8');
  const view = await call('trading_paper_account', {});
  assert.ok(view.ok);
  assert.equal(view.output.unbookedFills.length, 1);
  assert.equal(view.output.positions[0].quantity, Math.trunc(50_000 / (rows[49]!.close * 1.0002)));
  assert.equal(view.output.positions[0].lastPrice, rows[50]!.close);
  assert.equal(await readFile(paperLedgerFile(dataDir), 'utf8'), ledgerBefore, 'the read-only tool wrote nothing');
  assert.match(view.text, /1 due fill\(s\) not yet booked/);

  const settledBy = await call('trading_paper_cancel_all', {}, true);
  assert.ok(settledBy.ok);
  assert.equal(settledBy.output.settled[0].status, 'filled');
  const after = await call('trading_paper_account', {});
  assert.ok(after.ok);
  assert.equal(after.output.unbookedFills.length, 0);
  assert.deepEqual(after.output.positions, view.output.positions);
  assert.equal(after.output.cash, view.output.cash);
});

test('symbols are one instrument whatever their case: spx and SPX share a position, orders and a cancel', async (t) => {
  const { call, dataDir } = await paperSuite(t);
  const rows = sp500Rows();
  await writeBars(dataDir, 'SPX', rows.slice(0, 10));
  const lower = await call('trading_paper_order', { symbol: 'spx', side: 'buy', quantity: 2 });
  assert.equal(lower.ok && lower.output.orders[0].symbol, 'SPX');
  await call('trading_paper_order', { symbol: 'SPX', side: 'buy', quantity: 3 });
  const cancelled = await call('trading_paper_cancel_all', { symbol: 'Spx' }, true);
  assert.equal(cancelled.ok && cancelled.output.cancelled.length, 2);

  await call('trading_paper_order', { symbol: 'spx', side: 'buy', quantity: 2 });
  await call('trading_paper_order', { symbol: 'SPX', side: 'buy', quantity: 3 });
  await appendBar(dataDir, 'SPX', rows[10]!);
  const account = await call('trading_paper_account', {});
  assert.deepEqual(
    account.ok && account.output.positions.map((p: { symbol: string; quantity: number }) => [p.symbol, p.quantity]),
    [['SPX', 5]],
  );
  const twice = await call('trading_paper_follow_signals', {
    signals: [
      { symbol: 'spx', direction: 'LONG', weight: 0.2 },
      { symbol: 'SPX', direction: 'FLAT' },
    ],
  });
  assert.equal(twice.ok, false);
  assert.match(twice.ok ? '' : twice.message, /signals\.1\.symbol: SPX appears twice/);
  const follow = await call('trading_paper_follow_signals', { signals: [{ symbol: 'spx', direction: 'FLAT' }] });
  assert.equal(follow.ok && follow.output.targets[0].symbol, 'SPX');
  assert.equal(follow.ok && follow.output.orders[0].quantity, 5, 'FLAT sells the whole merged position');
});
