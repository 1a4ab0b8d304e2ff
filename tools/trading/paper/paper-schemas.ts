// The zod shapes of paper orders and the account, shared by the paper tools' outputs.
import { z } from 'zod';

/** Symbols name files in the market directory: letters, digits and . _ ^ - only, so none is a path. */
export const symbolSchema = z
  .string()
  .regex(/^[A-Za-z0-9^][A-Za-z0-9._^-]{0,31}$/, 'a symbol is 1-32 letters, digits, ".", "_", "^" or "-"');

export const orderSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  quantity: z.number().describe('units, > 0'),
  status: z.enum(['pending', 'filled', 'rejected', 'cancelled']),
  placedAt: z.string().describe('ISO time the order was placed'),
  placedBar: z
    .string()
    .optional()
    .describe("the symbol's last bar at placement; the order fills at the next bar's open"),
  allowShort: z.boolean(),
  targetWeight: z.number().optional(),
  note: z.string().optional(),
  fill: z
    .object({
      bar: z.string(),
      open: z.number().describe("the bar's open"),
      price: z.number().describe('the open moved against the order by the slippage'),
      commission: z.number(),
    })
    .optional(),
  reason: z.string().optional().describe('why it was rejected or cancelled'),
});

export const positionSchema = z.object({
  symbol: z.string(),
  quantity: z.number().describe('signed units; negative is a short'),
  averageCost: z.number(),
  lastPrice: z.number().describe('the last close'),
  lastBar: z.string(),
  marketValue: z.number(),
  unrealizedPnl: z.number(),
  realizedPnl: z.number().describe('average-cost method, before commissions'),
  commissions: z.number(),
});

export const balanceSchema = z.object({
  initialCash: z.number(),
  cash: z.number(),
  equity: z.number().describe('cash plus positions at the last close'),
  realizedPnl: z.number(),
  unrealizedPnl: z.number(),
  commissions: z.number(),
  netPnl: z.number().describe('equity - initialCash = realizedPnl + unrealizedPnl - commissions'),
});

export type OrderOutput = z.input<typeof orderSchema>;

export function describeOrder(order: OrderOutput): string {
  const head = `${order.id} ${order.side} ${order.quantity} ${order.symbol} ${order.status}`;
  if (order.fill)
    return `${head} at ${order.fill.price.toFixed(4)} on ${order.fill.bar} (commission ${order.fill.commission.toFixed(2)})`;
  if (order.reason) return `${head}: ${order.reason}`;
  return order.placedBar ? `${head}, fills at the open of the bar after ${order.placedBar}` : head;
}
