// The paper trading tools: orders, signals to orders, the account, and cancelling everything.
// Actions book due fills first (settlement is lazy); the account tool only reads and shows due
// fills as unbooked, so that a read-only tool never writes the ledger.
import { z } from 'zod';
import type { ToolContext } from '../../context.js';
import { defineTool } from '../../define-tool.js';
import { InputError } from '../../errors.js';
import { createBarSource } from '../market/market-store.js';
import { PaperBroker, paperSymbol } from './paper-broker.js';
import { accountOf, orderView } from './paper-views.js';
import { balanceSchema, describeOrder, orderSchema, positionSchema, symbolSchema } from './paper-schemas.js';

export function paperBroker(context: ToolContext): PaperBroker {
  return new PaperBroker({
    dataDir: context.environment.dataDir,
    bars: createBarSource(context.environment),
    signal: context.signal,
  });
}

const actionOutput = z.object({
  orders: z.array(orderSchema).describe('orders this call placed (or rejected at placement)'),
  settled: z.array(orderSchema).describe('earlier orders this call filled or rejected at their next bar'),
  cash: z.number(),
  equity: z.number(),
});

async function balances(broker: PaperBroker) {
  const account = await broker.account();
  return { cash: account.cash, equity: account.equity };
}

function summarizeAction(output: z.output<typeof actionOutput>): string {
  const lines = [...output.settled.map(describeOrder), ...output.orders.map(describeOrder)];
  if (lines.length === 0) lines.push('no order was needed');
  lines.push(`cash ${output.cash.toFixed(2)}, equity ${output.equity.toFixed(2)}`);
  return lines.join('\n');
}

export const paperOrder = defineTool({
  name: 'trading_paper_order',
  domain: 'trading',
  tags: ['paper trading', 'buy', 'sell', 'simulated trade', 'position', 'units', 'target weight'],
  requests: [
    'buy 10 units of SPX on paper',
    'paper trade: sell my position',
    'place a simulated market order',
    'put half the paper account into SPX',
  ],
  title: 'Place a paper market order',
  description:
    'Places a simulated market order on the paper account, for units (side + quantity) or for a target weight of equity (targetWeight, converted to whole units at the last close plus slippage and commission, counting pending orders). It fills at the open of the symbol\'s next bar, moved against the order by the slippage, and pays commission on the notional (one cost model for every simulated fill). No margin: a buy that cash cannot pay for, or a sell below zero without allowShort, is rejected with its reason in the ledger. Never reaches a live broker. Example: {"symbol":"SPX","side":"buy","quantity":10}',
  kind: { effect: 'action' },
  input: z.object({
    symbol: symbolSchema.describe('Symbol with bars in the market data directory, e.g. "SPX".'),
    side: z
      .enum(['buy', 'sell'])
      .optional()
      .describe('buy or sell; required with quantity, omitted with targetWeight.'),
    quantity: z.number().positive().max(1e9).optional().describe('Units to trade, > 0. Give this or targetWeight.'),
    targetWeight: z
      .number()
      .min(-1)
      .max(1)
      .optional()
      .describe('Target position as a share of equity: 0.5 long half, 0 flat, -0.2 short (needs allowShort).'),
    allowShort: z.boolean().optional().describe('Allow a sell to take the position below zero. Default false.'),
    note: z.string().max(200).optional().describe('Free text kept with the order, e.g. the signal it came from.'),
  }),
  output: actionOutput,
  examples: [{ symbol: 'SPX', side: 'buy', quantity: 10 }],
  async handler(input, context) {
    const broker = paperBroker(context);
    if ((input.quantity === undefined) === (input.targetWeight === undefined))
      throw new InputError('quantity', 'give either quantity (with side) or targetWeight, not both or neither');
    let result;
    if (input.quantity !== undefined) {
      if (!input.side) throw new InputError('side', 'say buy or sell with a quantity');
      const request = { symbol: paperSymbol(input.symbol), side: input.side, quantity: input.quantity };
      result = await broker.submit([{ ...request, allowShort: input.allowShort, note: input.note }]);
    } else {
      if (input.side) throw new InputError('side', 'omit side with targetWeight; the side follows from the target');
      if (input.targetWeight! < 0 && !input.allowShort)
        throw new InputError('allowShort', 'a negative targetWeight is a short; pass allowShort: true');
      const target = { symbol: paperSymbol(input.symbol), weight: input.targetWeight!, allowShort: input.allowShort };
      result = await broker.submitTargets([target], input.note, 'symbol');
    }
    return { orders: result.orders, settled: result.settled, ...(await balances(broker)) };
  },
  summarize: summarizeAction,
});

const signalSchema = z.object({
  symbol: symbolSchema.describe('Symbol with bars in the market data directory.'),
  direction: z.enum(['LONG', 'SHORT', 'FLAT']).describe('LONG: hold it; SHORT: be short; FLAT: hold none.'),
  weight: z
    .number()
    .positive()
    .max(1)
    .optional()
    .describe('Share of equity for LONG or SHORT; default an equal share of what the given weights leave.'),
});

export const paperFollowSignals = defineTool({
  name: 'trading_paper_follow_signals',
  domain: 'trading',
  tags: ['paper trading', 'trading signals', 'committee', 'rebalance', 'target weights', 'simulated'],
  requests: [
    'trade the committee signals on paper',
    'turn these signals into paper orders',
    'rebalance the paper account to LONG SPX',
    'move the paper account to the target positions',
  ],
  title: 'Turn trading signals into simulated paper orders',
  description:
    'Turns signals (what the committee issues: symbol, LONG/SHORT/FLAT, optional weight) into the paper market orders that move each symbol to its target: weight x equity in whole units at the last close plus slippage and commission, counting the position and pending orders; a SHORT target is a negative weight. Symbols not listed are left alone. Weights add up to at most 1 (no leverage). Orders that reduce exposure are placed first. Fills come at each symbol\'s next bar, as with trading_paper_order. Example: {"signals":[{"symbol":"SPX","direction":"LONG","weight":0.5}]}',
  kind: { effect: 'action' },
  input: z.object({
    signals: z.array(signalSchema).min(1).max(50).describe('Up to 50 signals, one per symbol.'),
    note: z.string().max(200).optional().describe('Free text kept with each order, e.g. the committee run.'),
  }),
  output: actionOutput.extend({
    targets: z.array(
      z.object({
        symbol: z.string(),
        direction: z.enum(['LONG', 'SHORT', 'FLAT']),
        weight: z.number().describe('signed share of equity'),
        currentUnits: z.number().describe('position plus pending orders before this call'),
        targetUnits: z.number(),
      }),
    ),
  }),
  examples: [{ signals: [{ symbol: 'SPX', direction: 'LONG', weight: 0.5 }] }],
  async handler(input, context) {
    const signals = input.signals.map((signal) => ({ ...signal, symbol: paperSymbol(signal.symbol) }));
    const weights = targetWeights(signals);
    const targets = signals.map((signal, index) => ({
      symbol: signal.symbol,
      weight: weights[index]!,
      allowShort: signal.direction === 'SHORT',
    }));
    const broker = paperBroker(context);
    const result = await broker.submitTargets(targets, input.note);
    const sizing = new Map(result.sizing.map((s) => [s.symbol, s]));
    return {
      orders: result.orders,
      settled: result.settled,
      ...(await balances(broker)),
      targets: signals.map((signal, index) => ({
        symbol: signal.symbol,
        direction: signal.direction,
        weight: weights[index]!,
        currentUnits: sizing.get(signal.symbol)!.current,
        targetUnits: sizing.get(signal.symbol)!.target,
      })),
    };
  },
  summarize: summarizeAction,
});

/** Signed weights: given ones as they are, the rest share what is left of 1 equally; FLAT is 0. */
export function targetWeights(signals: { symbol: string; direction: string; weight?: number | undefined }[]): number[] {
  const seen = new Set<string>();
  for (const [index, signal] of signals.entries()) {
    if (seen.has(signal.symbol))
      throw new InputError(`signals.${index}.symbol`, `${signal.symbol} appears twice; give one signal per symbol`);
    seen.add(signal.symbol);
  }
  const active = signals.filter((s) => s.direction !== 'FLAT');
  const given = active.reduce((sum, s) => sum + (s.weight ?? 0), 0);
  const open = active.filter((s) => s.weight === undefined).length;
  if (given > 1 + 1e-9)
    throw new InputError(
      'signals',
      `weights add up to ${given.toFixed(4)}; at most 1, the paper account has no leverage`,
    );
  if (open > 0 && given >= 1 - 1e-9)
    throw new InputError('signals', 'the given weights use all the equity; give the other LONG/SHORT signals a weight');
  const share = open > 0 ? (1 - given) / open : 0;
  return signals.map((s) => {
    if (s.direction === 'FLAT') return 0;
    const weight = s.weight ?? share;
    return s.direction === 'SHORT' ? -weight : weight;
  });
}

export const paperAccount = defineTool({
  name: 'trading_paper_account',
  domain: 'trading',
  tags: ['paper trading', 'account', 'positions', 'pnl', 'profit and loss', 'equity', 'orders', 'ledger'],
  requests: [
    'show my paper positions',
    'paper trading profit and loss',
    'what is the paper account equity',
    'pending paper orders',
  ],
  title: 'Paper account: cash, positions, P&L, orders',
  description:
    'Reports the paper account from its append-only ledger: cash, equity, each position with units, average cost, last close, unrealised and realised P&L (average-cost method) and commissions; pending and recent orders. Orders whose next bar has arrived are shown as unbooked fills (already in the figures); the next paper action books them in the ledger, since this tool never writes. Before any order the account shows its opening cash. Example: {}',
  kind: { effect: 'readOnly' },
  input: z.object({
    recent: z.number().int().min(1).max(200).default(20).describe('How many recent closed orders to list (1-200).'),
  }),
  output: balanceSchema.extend({
    positions: z.array(positionSchema),
    pendingOrders: z.array(orderSchema),
    recentOrders: z.array(orderSchema).describe('closed orders, newest last'),
    unbookedFills: z.array(orderSchema).describe('due fills shown in the figures but not yet in the ledger'),
    costs: z.object({ commissionBps: z.number(), slippageBps: z.number() }),
    ledger: z.object({
      file: z.string(),
      events: z.number().int(),
      tornBytes: z.number().int().describe('bytes of a torn last line, ignored and cut off at the next write'),
    }),
  }),
  examples: [{}, { recent: 5 }],
  async handler(input, context) {
    const view = await paperBroker(context).view();
    const orders = [...view.state.orders.values()];
    return {
      ...accountOf(view),
      pendingOrders: orders.filter((o) => o.status === 'pending').map(orderView),
      recentOrders: orders
        .filter((o) => o.status !== 'pending')
        .slice(-input.recent)
        .map(orderView),
      unbookedFills: view.unbooked,
      costs: view.state.costs,
      ledger: view.ledger,
    };
  },
  summarize: (o) =>
    [
      `cash ${o.cash.toFixed(2)}, equity ${o.equity.toFixed(2)}, net P&L ${o.netPnl.toFixed(2)} (realised ${o.realizedPnl.toFixed(2)}, unrealised ${o.unrealizedPnl.toFixed(2)}, commissions ${o.commissions.toFixed(2)})`,
      ...o.positions.map(
        (p) =>
          `${p.symbol} ${p.quantity} @ ${p.averageCost.toFixed(4)}, last ${p.lastPrice} (${p.lastBar}), unrealised ${p.unrealizedPnl.toFixed(2)}, realised ${p.realizedPnl.toFixed(2)}`,
      ),
      ...o.pendingOrders.map(describeOrder),
      ...(o.unbookedFills.length > 0 ? [`${o.unbookedFills.length} due fill(s) not yet booked`] : []),
    ].join('\n'),
});

export const paperCancelAll = defineTool({
  name: 'trading_paper_cancel_all',
  domain: 'trading',
  tags: ['paper trading', 'cancel', 'withdraw', 'pending', 'simulated'],
  requests: ['cancel all paper orders', 'cancel pending paper orders for SPX'],
  title: 'Cancel every pending paper order',
  description:
    'Cancels every pending (simulated) paper order, of one symbol when given. Orders whose next bar has already arrived are filled first, as they would have been at that open; only those still waiting are cancelled. Positions are not closed: use trading_paper_follow_signals with FLAT for that. Destructive: needs confirm: true. Example: {}',
  kind: { effect: 'destructive' },
  input: z.object({
    symbol: symbolSchema.optional().describe('Only cancel orders for this symbol; default all.'),
  }),
  output: z.object({
    cancelled: z.array(orderSchema),
    settled: z.array(orderSchema).describe('orders filled or rejected at their next bar before cancelling'),
  }),
  examples: [{}],
  async handler(input, context) {
    return paperBroker(context).cancelPending(input.symbol && paperSymbol(input.symbol));
  },
  summarize: (o) =>
    [
      ...o.settled.map(describeOrder),
      `cancelled ${o.cancelled.length} pending order(s)`,
      ...o.cancelled.map(describeOrder),
    ].join('\n'),
});

export const paperTools = [paperOrder, paperFollowSignals, paperAccount, paperCancelAll];
