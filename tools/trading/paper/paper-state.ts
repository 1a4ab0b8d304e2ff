// The paper account rebuilt from its ledger: cash, positions at average cost, orders. Pure
// arithmetic, no I/O, so that replay after a restart gives exactly the state before it.
//
// P&L convention (average cost): a buy into a long (or a sell into a short) moves the position's
// average cost to the quantity-weighted mean of the old cost and the fill price; a trade against
// the position realises (fill price - average cost) x closed units x the position's sign, and leaves
// the average cost of what remains unchanged; a trade that flips the position opens the new side at
// the fill price. Commissions are kept apart (never in the average cost), so
// equity - initial cash = realised + unrealised - commissions.
import type { CostModel } from '../costs.js';
import type { PaperEvent } from './paper-events.js';

export interface PositionState {
  symbol: string;
  /** Signed units: negative is a short. */
  quantity: number;
  averageCost: number;
  realizedPnl: number;
  commissions: number;
}

export type OrderStatus = 'pending' | 'filled' | 'rejected' | 'cancelled';

export interface OrderState {
  id: string;
  seq: number;
  symbol: string;
  /** Signed units: + buy, - sell. */
  quantity: number;
  status: OrderStatus;
  placedAt: string;
  placedBarTime?: number | undefined;
  lastClose?: number | undefined;
  allowShort: boolean;
  targetWeight?: number | undefined;
  note?: string | undefined;
  fill?: { barTime: number; open: number; price: number; commission: number } | undefined;
  reason?: string | undefined;
  closedAt?: string | undefined;
}

export interface PaperState {
  opened: boolean;
  initialCash: number;
  costs: CostModel;
  cash: number;
  commissions: number;
  positions: Map<string, PositionState>;
  /** In placement order (the ledger's order). */
  orders: Map<string, OrderState>;
  lastSeq: number;
}

export function emptyState(initialCash: number, costs: CostModel): PaperState {
  return {
    opened: false,
    initialCash,
    costs,
    cash: initialCash,
    commissions: 0,
    positions: new Map(),
    orders: new Map(),
    lastSeq: 0,
  };
}

export function replay(events: readonly PaperEvent[], initialCash: number, costs: CostModel): PaperState {
  const state = emptyState(initialCash, costs);
  for (const event of events) applyEvent(state, event);
  return state;
}

export function applyEvent(state: PaperState, event: PaperEvent): void {
  state.lastSeq = event.seq;
  // Ledgers written before symbols were upper-cased may hold "spx" and "SPX": one instrument.
  if ('symbol' in event) event = { ...event, symbol: event.symbol.toUpperCase() };
  switch (event.type) {
    case 'account_opened':
      // Only the first opening counts: a second one (two writers racing before the lock existed) is ignored.
      if (state.opened) return;
      Object.assign(state, { opened: true, initialCash: event.cash, cash: event.cash, costs: event.costs });
      return;
    case 'order_placed':
      state.orders.set(event.orderId, {
        id: event.orderId,
        seq: event.seq,
        symbol: event.symbol,
        quantity: event.quantity,
        status: 'pending',
        placedAt: event.time,
        placedBarTime: event.placedBarTime,
        lastClose: event.lastClose,
        allowShort: event.allowShort,
        targetWeight: event.targetWeight,
        note: event.note,
      });
      return;
    case 'order_filled': {
      const order = state.orders.get(event.orderId);
      if (!order || order.status !== 'pending') return;
      bookFill(state, event.symbol, event.quantity, event.price, event.commission);
      order.status = 'filled';
      order.fill = { barTime: event.barTime, open: event.open, price: event.price, commission: event.commission };
      order.closedAt = event.time;
      return;
    }
    case 'order_rejected': {
      const order = state.orders.get(event.orderId) ?? {
        id: event.orderId,
        seq: event.seq,
        symbol: event.symbol,
        quantity: event.quantity,
        status: 'pending' as const,
        placedAt: event.time,
        allowShort: event.allowShort ?? false,
        targetWeight: event.targetWeight,
        note: event.note,
      };
      if (order.status !== 'pending') return;
      order.status = 'rejected';
      order.reason = event.reason;
      order.closedAt = event.time;
      state.orders.set(order.id, order);
      return;
    }
    case 'order_cancelled': {
      const order = state.orders.get(event.orderId);
      if (!order || order.status !== 'pending') return;
      order.status = 'cancelled';
      order.reason = event.reason;
      order.closedAt = event.time;
      return;
    }
  }
}

/** Books a fill of `quantity` signed units at `price`: cash, average cost, realised P&L, commission. */
export function bookFill(state: PaperState, symbol: string, quantity: number, price: number, fee: number): void {
  const position = state.positions.get(symbol) ?? {
    symbol,
    quantity: 0,
    averageCost: 0,
    realizedPnl: 0,
    commissions: 0,
  };
  const held = position.quantity;
  if (held === 0 || Math.sign(held) === Math.sign(quantity)) {
    const units = Math.abs(held) + Math.abs(quantity);
    position.averageCost = (Math.abs(held) * position.averageCost + Math.abs(quantity) * price) / units;
    position.quantity = held + quantity;
  } else {
    const closed = Math.min(Math.abs(quantity), Math.abs(held));
    position.realizedPnl += closed * (price - position.averageCost) * Math.sign(held);
    position.quantity = held + quantity;
    if (position.quantity === 0) position.averageCost = 0;
    else if (Math.sign(position.quantity) !== Math.sign(held)) position.averageCost = price;
  }
  // Fractional units can leave 1e-16 where a position was closed; that is flat, not a dust position.
  if (Math.abs(position.quantity) < 1e-9) Object.assign(position, { quantity: 0, averageCost: 0 });
  position.commissions += fee;
  state.positions.set(symbol, position);
  state.cash -= quantity * price + fee;
  state.commissions += fee;
}

/** A deep copy, for projections (pending orders applied at estimates) that must not touch the real state. */
export function cloneState(state: PaperState): PaperState {
  return {
    ...state,
    costs: { ...state.costs },
    positions: new Map([...state.positions].map(([key, value]) => [key, { ...value }])),
    orders: new Map([...state.orders].map(([key, value]) => [key, { ...value }])),
  };
}

export function realizedTotal(state: PaperState): number {
  let total = 0;
  for (const position of state.positions.values()) total += position.realizedPnl;
  return total;
}
