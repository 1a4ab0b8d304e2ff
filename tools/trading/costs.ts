// One cost model for backtests and paper fills, so that a strategy's paper P&L is booked the way
// its backtest was: an order fills at a bar's open moved against the trader by the slippage, and
// pays a commission on the traded notional.

export interface CostModel {
  /** Commission on traded notional, in basis points (1 bp = 0.01%). */
  commissionBps: number;
  /** Price moved against the order, in basis points of the fill price. */
  slippageBps: number;
}

export const defaultCosts: CostModel = { commissionBps: 1, slippageBps: 1 };

/** The price a buy (quantity > 0) or sell (quantity < 0) fills at, from the bar's open. */
export function fillPrice(open: number, quantity: number, costs: CostModel): number {
  const slip = costs.slippageBps / 10_000;
  return quantity > 0 ? open * (1 + slip) : open * (1 - slip);
}

/** Commission for trading `quantity` units at `price`. */
export function commission(quantity: number, price: number, costs: CostModel): number {
  return Math.abs(quantity * price) * (costs.commissionBps / 10_000);
}
