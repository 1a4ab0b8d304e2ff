// The broker seam: what the trading supervisor asks of any broker. The paper broker implements it
// over its ledger; a live broker adapter (none is wired up) would implement the same interface, so
// the tools that turn signals into orders do not change when one is.

export type OrderSide = 'buy' | 'sell';
export type OrderStatus = 'pending' | 'filled' | 'rejected' | 'cancelled';

/** A market order for a number of units. */
export interface OrderRequest {
  symbol: string;
  side: OrderSide;
  /** Units, > 0. */
  quantity: number;
  /** A sell may take the position below zero only when this is true. */
  allowShort?: boolean | undefined;
  note?: string | undefined;
}

export interface Fill {
  /** The bar the order filled on (YYYY-MM-DD). */
  bar: string;
  /** That bar's open, before slippage. */
  open: number;
  /** The open moved against the order by the slippage. */
  price: number;
  commission: number;
}

export interface Order {
  id: string;
  symbol: string;
  side: OrderSide;
  /** Units, > 0. */
  quantity: number;
  status: OrderStatus;
  /** When the order was placed (ISO time). */
  placedAt: string;
  /** The symbol's last bar at placement; a market order fills at the next bar's open. */
  placedBar?: string | undefined;
  allowShort: boolean;
  targetWeight?: number | undefined;
  note?: string | undefined;
  fill?: Fill | undefined;
  /** Why it was rejected or cancelled. */
  reason?: string | undefined;
}

export interface Position {
  symbol: string;
  /** Signed units: negative is a short. */
  quantity: number;
  averageCost: number;
  lastPrice: number;
  lastBar: string;
  marketValue: number;
  unrealizedPnl: number;
  realizedPnl: number;
  commissions: number;
}

export interface Account {
  initialCash: number;
  cash: number;
  /** Cash plus the positions marked at their last close. */
  equity: number;
  realizedPnl: number;
  unrealizedPnl: number;
  commissions: number;
  /** equity - initialCash = realizedPnl + unrealizedPnl - commissions. */
  netPnl: number;
  positions: Position[];
}

export interface Broker {
  placeOrder(request: OrderRequest): Promise<Order>;
  cancelOrder(id: string): Promise<Order>;
  /** Cancels every pending order (of one symbol when given); returns those cancelled. */
  cancelAll(symbol?: string): Promise<Order[]>;
  orders(filter?: { status?: OrderStatus; limit?: number }): Promise<Order[]>;
  positions(): Promise<Position[]>;
  account(): Promise<Account>;
}
