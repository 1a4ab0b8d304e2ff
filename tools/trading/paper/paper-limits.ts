// What the paper account allows, checked when an order is placed (at the last close, with every
// pending order counted) and again when it fills (at the real fill price):
// - no margin: cash may not go below zero after a trade's price and commission;
// - a sell may take a position below zero only when the order allows a short;
// - gross exposure (the sum of |units| x price over positions) may not exceed equity (1x);
// - at a fill, the other positions are marked at their last close (what is known at settlement);
// - a trade that only reduces a position (sell part of a long, buy back part of a short, close it)
//   is always allowed: refusing to cut risk would be worse than the breach it avoids.
import { commission, fillPrice } from '../costs.js';
import { bookFill, cloneState, type PaperState } from './paper-state.js';

/** Why a trade of `quantity` signed units at `price` breaks a limit, or undefined when it does not. */
export function limitProblem(
  state: PaperState,
  trade: { symbol: string; quantity: number; price: number; commission: number; allowShort: boolean },
  marks: ReadonlyMap<string, number>,
): string | undefined {
  const held = state.positions.get(trade.symbol)?.quantity ?? 0;
  const after = held + trade.quantity;
  const reduces =
    Math.abs(after) <= Math.abs(held) + 1e-9 && (Math.abs(after) < 1e-9 || Math.sign(after) === Math.sign(held));
  if (reduces) return undefined;
  if (after < -1e-9 && trade.quantity < 0 && !trade.allowShort)
    return `selling ${units(-trade.quantity)} ${trade.symbol} while holding ${units(held)} would leave a short of ${units(-after)}; pass allowShort: true to sell short`;
  const cost = trade.quantity * trade.price + trade.commission;
  const cashAfter = state.cash - cost;
  if (cashAfter < -1e-9)
    return `buying ${units(trade.quantity)} ${trade.symbol} at ${money(trade.price)} needs ${money(cost)} with commission, but cash is ${money(state.cash)}; the paper account allows no margin`;
  let equity = cashAfter;
  let gross = 0;
  for (const position of state.positions.values()) {
    if (position.symbol === trade.symbol) continue;
    const mark = marks.get(position.symbol) ?? position.averageCost;
    equity += position.quantity * mark;
    gross += Math.abs(position.quantity) * mark;
  }
  equity += after * trade.price;
  gross += Math.abs(after) * trade.price;
  if (gross > equity * (1 + 1e-9))
    return `gross exposure would be ${money(gross)}, over the account's equity of ${money(equity)}; the paper account allows at most 1x`;
  return undefined;
}

/** The state as if every pending order filled at `marks` (the last closes), with slippage and commission. */
export function projectPending(state: PaperState, marks: ReadonlyMap<string, number>): PaperState {
  const projected = cloneState(state);
  for (const order of state.orders.values()) {
    if (order.status !== 'pending') continue;
    const mark = marks.get(order.symbol) ?? order.lastClose ?? 0;
    const price = fillPrice(mark, order.quantity, state.costs);
    bookFill(projected, order.symbol, order.quantity, price, commission(order.quantity, price, state.costs));
  }
  return projected;
}

/** Cash plus every position at its mark. */
export function equityAt(state: PaperState, marks: ReadonlyMap<string, number>): number {
  let equity = state.cash;
  for (const position of state.positions.values())
    equity += position.quantity * (marks.get(position.symbol) ?? position.averageCost);
  return equity;
}

function units(value: number): string {
  return String(Number(value.toFixed(6)));
}

function money(value: number): string {
  return value.toFixed(2);
}
