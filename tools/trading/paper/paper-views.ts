// Orders and the account as the Broker interface shows them, from the replayed ledger state and
// the last closes: the arithmetic of unrealised P&L, market value and equity lives here.
import { barDate } from '../market/bars.js';
import type { Account, Order, Position } from './broker.js';
import type { OrderState, PaperState } from './paper-state.js';

export function orderView(order: OrderState): Order {
  return {
    id: order.id,
    symbol: order.symbol,
    side: order.quantity > 0 ? 'buy' : 'sell',
    quantity: Math.abs(order.quantity),
    status: order.status,
    placedAt: order.placedAt,
    placedBar: order.placedBarTime === undefined ? undefined : barDate(order.placedBarTime),
    allowShort: order.allowShort,
    targetWeight: order.targetWeight,
    note: order.note,
    fill: order.fill && {
      bar: barDate(order.fill.barTime),
      open: order.fill.open,
      price: order.fill.price,
      commission: order.fill.commission,
    },
    reason: order.reason,
  };
}

export function accountOf(view: {
  state: PaperState;
  marks: ReadonlyMap<string, { price: number; bar: string }>;
}): Account {
  const { state, marks } = view;
  const positions: Position[] = [];
  let realizedPnl = 0;
  for (const position of state.positions.values()) {
    realizedPnl += position.realizedPnl;
    const mark = marks.get(position.symbol) ?? { price: position.averageCost, bar: 'no bars' };
    if (position.quantity === 0 && position.realizedPnl === 0) continue;
    positions.push({
      symbol: position.symbol,
      quantity: position.quantity,
      averageCost: position.averageCost,
      lastPrice: mark.price,
      lastBar: mark.bar,
      marketValue: position.quantity * mark.price,
      unrealizedPnl: position.quantity * (mark.price - position.averageCost),
      realizedPnl: position.realizedPnl,
      commissions: position.commissions,
    });
  }
  const marketValue = positions.reduce((sum, p) => sum + p.marketValue, 0);
  const unrealizedPnl = positions.reduce((sum, p) => sum + p.unrealizedPnl, 0);
  const equity = state.cash + marketValue;
  return {
    initialCash: state.initialCash,
    cash: state.cash,
    equity,
    realizedPnl,
    unrealizedPnl,
    commissions: state.commissions,
    netPnl: equity - state.initialCash,
    positions,
  };
}
